//! `poq-model-interface`: the host function through which the PoQ off-chain worker scores
//! responses with the quality model the node has loaded.
//!
//! The runtime side (`substrate_runtime`, set by the wasm builder) is `no_std` and only declares
//! the imports `ext_poq_model_score_version_1` and `ext_poq_model_score_requests_version_1`.
//! The node side reaches its models through the [`ScorerExt`] externalities extension, which a
//! validator node registers for off-chain worker calls only. It may hold several models (the
//! old and the new one while the chain switches), and each call names the digest it wants.
//! Block import never carries the extension, and every node (and the relay chain's validation
//! of parachain blocks) executes blocks, while only validators hold a model; so without the
//! extension, or when no loaded model has the digest asked for, [`poq_model::score`] returns
//! `None` rather than failing. Call it from the off-chain worker only.
//!
//! ```ignore
//! // node: register the host functions with the executor, and the extension with the workers
//! type HostFunctions = (sp_io::SubstrateHostFunctions, poq_model_interface::HostFunctions);
//! let ext = poq_model_interface::ScorerExt::new(vec![Arc::new(my_scorer)]);
//! // runtime (off-chain worker):
//! let scores = poq_model_interface::poq_model::score(&prompt, &responses, &digest);
//! ```

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
#[cfg(not(substrate_runtime))]
use sp_externalities::ExternalitiesExt;
use sp_runtime_interface::{
	pass_by::{
		AllocateAndReturnByCodec, PassFatPointerAndDecode, PassFatPointerAndRead,
		PassPointerAndRead,
	},
	runtime_interface,
};

/// A quality model the node has loaded.
#[cfg(not(substrate_runtime))]
pub trait Scorer: Send + Sync {
	/// SHA-256 of the model's weights, as pinned on chain.
	fn digest(&self) -> [u8; 32];

	/// One score in `0..=10_000` per response, in order, or `None` if scoring failed.
	fn score(&self, prompt: &[u8], responses: &[Vec<u8>]) -> Option<Vec<u16>>;

	/// [`Self::score`] of several requests' `(prompt, responses)`, in order, or `None` if
	/// scoring any failed. A model that batches pairs does them in one pass.
	fn score_requests(&self, requests: &[(Vec<u8>, Vec<Vec<u8>>)]) -> Option<Vec<Vec<u16>>> {
		requests.iter().map(|(prompt, responses)| self.score(prompt, responses)).collect()
	}
}

#[cfg(not(substrate_runtime))]
sp_externalities::decl_extension! {
	/// The node's quality models, registered for off-chain worker calls only.
	pub struct ScorerExt(Vec<alloc::sync::Arc<dyn Scorer>>);
}

#[cfg(not(substrate_runtime))]
impl ScorerExt {
	/// Wraps the loaded models.
	pub fn new(scorers: Vec<alloc::sync::Arc<dyn Scorer>>) -> Self {
		Self(scorers)
	}

	/// The loaded model whose digest is `digest`.
	fn model(&self, digest: &[u8; 32]) -> Option<&dyn Scorer> {
		self.0.iter().find(|scorer| scorer.digest() == *digest).map(|scorer| &**scorer)
	}
}

/// The host functions of this interface, for the node's executor.
#[cfg(not(substrate_runtime))]
pub type HostFunctions = (poq_model::HostFunctions,);

/// Scoring with the node's quality model.
#[runtime_interface]
pub trait PoqModel {
	/// Scores each response to `prompt` with the node's model whose digest is `digest`.
	///
	/// `None` when no model is registered (block import, a node without a model), when no
	/// loaded model has that digest, or when scoring fails.
	fn score(
		&mut self,
		prompt: PassFatPointerAndRead<&[u8]>,
		responses: PassFatPointerAndDecode<Vec<Vec<u8>>>,
		digest: PassPointerAndRead<&[u8; 32], 32>,
	) -> AllocateAndReturnByCodec<Option<Vec<u16>>> {
		let scorer = self.extension::<ScorerExt>()?.model(digest)?;
		scorer.score(prompt, &responses).filter(|scores| scores.len() == responses.len())
	}

	/// [`Self::score`] of several requests' `(prompt, responses)` at once, one list of scores
	/// per request in order: what a validator scores in a block, in one model call.
	fn score_requests(
		&mut self,
		requests: PassFatPointerAndDecode<Vec<(Vec<u8>, Vec<Vec<u8>>)>>,
		digest: PassPointerAndRead<&[u8; 32], 32>,
	) -> AllocateAndReturnByCodec<Option<Vec<Vec<u16>>>> {
		let scorer = self.extension::<ScorerExt>()?.model(digest)?;
		scorer.score_requests(&requests).filter(|scored| {
			scored.len() == requests.len()
				&& scored
					.iter()
					.zip(&requests)
					.all(|(scores, (_, responses))| scores.len() == responses.len())
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::sync::Arc;

	/// Scores each response by its length; counts nothing else.
	struct ByLength([u8; 32]);

	impl Scorer for ByLength {
		fn digest(&self) -> [u8; 32] {
			self.0
		}
		fn score(&self, _prompt: &[u8], responses: &[Vec<u8>]) -> Option<Vec<u16>> {
			Some(responses.iter().map(|r| r.len() as u16).collect())
		}
	}

	/// Scores each response by twice its length.
	struct Doubled([u8; 32]);

	impl Scorer for Doubled {
		fn digest(&self) -> [u8; 32] {
			self.0
		}
		fn score(&self, _prompt: &[u8], responses: &[Vec<u8>]) -> Option<Vec<u16>> {
			Some(responses.iter().map(|r| 2 * r.len() as u16).collect())
		}
	}

	fn with_ext<R>(ext: Option<ScorerExt>, f: impl FnOnce() -> R) -> R {
		let mut externalities = sp_io::TestExternalities::default();
		if let Some(ext) = ext {
			externalities.register_extension(ext);
		}
		externalities.execute_with(f)
	}

	#[test]
	fn scores_with_the_registered_model() {
		let ext = ScorerExt::new(vec![Arc::new(ByLength([7; 32]))]);
		let scores = with_ext(Some(ext), || {
			poq_model::score(b"q", vec![b"ab".to_vec(), b"abcd".to_vec()], &[7; 32])
		});
		assert_eq!(scores, Some(vec![2, 4]));
	}

	#[test]
	fn scores_several_requests_in_order() {
		let ext = ScorerExt::new(vec![Arc::new(ByLength([7; 32]))]);
		let requests = vec![
			(b"q".to_vec(), vec![b"ab".to_vec()]),
			(b"r".to_vec(), vec![b"a".to_vec(), b"abc".to_vec()]),
		];
		let scored = with_ext(Some(ext), || poq_model::score_requests(requests.clone(), &[7; 32]));
		assert_eq!(scored, Some(vec![vec![2], vec![1, 3]]));
		let other = ScorerExt::new(vec![Arc::new(ByLength([7; 32]))]);
		assert_eq!(with_ext(Some(other), || poq_model::score_requests(requests, &[8; 32])), None);
	}

	#[test]
	fn none_without_a_model() {
		assert_eq!(with_ext(None, || poq_model::score(b"q", vec![b"a".to_vec()], &[7; 32])), None);
	}

	#[test]
	fn scores_with_the_model_of_the_digest_asked_for() {
		let models = || {
			let old: Arc<dyn Scorer> = Arc::new(ByLength([7; 32]));
			let new: Arc<dyn Scorer> = Arc::new(Doubled([8; 32]));
			Some(ScorerExt::new(vec![old, new]))
		};
		let score = |digest| poq_model::score(b"q", vec![b"abc".to_vec()], digest);
		assert_eq!(with_ext(models(), || score(&[7; 32])), Some(vec![3]));
		assert_eq!(with_ext(models(), || score(&[8; 32])), Some(vec![6]));
		assert_eq!(with_ext(models(), || score(&[9; 32])), None);
	}

	#[test]
	fn none_when_the_digest_differs() {
		let ext = ScorerExt::new(vec![Arc::new(ByLength([7; 32]))]);
		assert_eq!(
			with_ext(Some(ext), || poq_model::score(b"q", vec![b"a".to_vec()], &[8; 32])),
			None
		);
	}
}
