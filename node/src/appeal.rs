//! The appeal judge a validator node serves to disputes' juries (`--poq-appeal-judge`): its
//! judge card, read and checked at start ([`AppealJudgeConfig::from_card`]), and handed to the
//! off-chain worker through local storage.

use crate::cli::PoqParams;
use pallet_poq::offchain::{appeal_judge_key, AppealJudgeConfig};
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};

/// An appeal judge this node serves: the SHA-256 of its card, which governance pins, and what
/// the worker needs to ask it.
pub struct AppealJudge {
	pub digest: [u8; 32],
	pub config: AppealJudgeConfig,
}

/// The appeal judge of `--poq-appeal-judge` and `--poq-appeal-judge-url`, if given.
pub fn load(poq: &PoqParams) -> Result<Option<AppealJudge>, String> {
	let (Some(card), Some(endpoint)) = (&poq.poq_appeal_judge, &poq.poq_appeal_judge_url) else {
		return Ok(None);
	};
	let bytes = std::fs::read(card)
		.map_err(|e| format!("cannot read the appeal judge card {}: {e}", card.display()))?;
	let config = AppealJudgeConfig::from_card(&bytes, endpoint)
		.map_err(|e| format!("--poq-appeal-judge {}: {e}", card.display()))?;
	let digest = sp_io::hashing::sha2_256(&bytes);
	log::info!(
		target: "poq",
		"⚖️ Serving the appeal judge 0x{} ({} at {endpoint}) to disputes' juries",
		poq_scorer::to_hex(&digest),
		String::from_utf8_lossy(&config.model),
	);
	Ok(Some(AppealJudge { digest, config }))
}

/// Hands `judge` to the off-chain worker: the persistent local storage it reads.
pub fn serve(storage: &mut impl OffchainStorage, judge: &AppealJudge) {
	use codec::Encode;
	storage.set(STORAGE_PREFIX, &appeal_judge_key(&judge.digest), &judge.config.encode());
}
