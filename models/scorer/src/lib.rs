//! `poq-scorer`: the Proof of Quality scorer. A small BERT model, run with Candle on the CPU,
//! judges how well a response answers a prompt, as a `u16` score in `0..=10_000`.
//!
//! Two kinds of model load from an HF folder (see [`QualityModel::load`]):
//! - a **cross-encoder** (`BertForSequenceClassification`, one logit): `raw` is the logit and the
//!   score is `round(10_000 * sigmoid(raw))`;
//! - a **bi-encoder** (a sentence-transformers folder such as the default all-MiniLM-L6-v2):
//!   `raw` is the cosine similarity of prompt and response embeddings and the score is
//!   `round(10_000 * clamp(raw, 0, 1))`.
//!
//! With a `judge.json` in the folder, the model scores what a response adds to the prompt and
//! the [`judge`]'s stages turn that into the score; see [`judge`].
//!
//! The chain pins a model by [`QualityModel::digest`], the SHA-256 of the folder's [`Manifest`]:
//! every file that changes a score.
//!
//! ```no_run
//! # fn main() -> Result<(), poq_scorer::Error> {
//! let model = poq_scorer::QualityModel::load("models/weights/all-MiniLM-L6-v2".as_ref())?;
//! let scores = model.scores("What is the capital of France?", &["Paris.", "Bananas are yellow."])?;
//! assert!(scores[0] > scores[1]);
//! # Ok(()) }
//! ```

mod bert;
mod config;
mod digest;
mod error;
pub mod eval;
pub mod judge;
mod kernels;
mod model;
pub mod quality;

pub use config::weights_file;
pub use digest::{digest_file, to_hex, Manifest, MANIFEST_HEADER};
pub use error::{Error, Result};
pub use model::{ModelKind, QualityModel, Scored};

/// Tunes glibc's allocator for scoring; call once at process start (the CLI does).
///
/// Every forward pass allocates activations of several MB per layer and frees them again.
/// By default glibc serves such sizes with fresh `mmap`s, or trims them off the heap on free,
/// so each pass pays page faults and page zeroing again: about a fifth of batch-32 time. Raising
/// the mmap threshold to its maximum (32 MiB) and the trim threshold to 1 GiB keeps that memory
/// mapped for reuse. It affects the whole process (memory, once used, stays with it). A no-op
/// elsewhere than on glibc.
pub fn tune_allocator() {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	// SAFETY: mallopt only changes allocator parameters; both values are in their valid range.
	unsafe {
		libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
		libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn quality_model_is_shareable_across_threads() {
		fn assert_send_sync<T: Send + Sync>() {}
		assert_send_sync::<super::QualityModel>();
	}
}
