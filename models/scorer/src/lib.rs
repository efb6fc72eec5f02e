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

pub mod attack;
mod bert;
mod config;
mod digest;
mod error;
pub mod eval;
mod int8;
mod isa;
pub mod judge;
mod kernels;
mod model;
pub mod quality;

pub use config::weights_file;
pub use digest::{digest_file, to_hex, Manifest, MANIFEST_HEADER};
pub use error::{Error, Result};
pub use isa::isa;
pub use model::{ModelKind, QualityModel, Scored};

#[cfg(test)]
mod tests {
	#[test]
	fn quality_model_is_shareable_across_threads() {
		fn assert_send_sync<T: Send + Sync>() {}
		assert_send_sync::<super::QualityModel>();
	}
}
