//! What the runtime's tests share: a chain's state from one of its presets.

use poq_runtime::{genesis, RuntimeGenesisConfig, System};

/// The state a chain built from preset `id` starts with, at block 1.
pub fn chain(id: &str) -> sp_io::TestExternalities {
	let preset = genesis::preset(&id.into()).expect("a preset of the runtime");
	let patch: serde_json::Value = serde_json::from_slice(&preset).unwrap();
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, patch);
	let json = serde_json::to_vec(&config).unwrap();
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		frame_support::genesis_builder_helper::build_state::<RuntimeGenesisConfig>(json)
			.expect("the preset builds");
		System::set_block_number(1);
	});
	ext
}

/// Lays a preset's patch over the default genesis config the way a node's chain-spec builder does:
/// objects merge key by key, and anything else in the patch replaces what was there. Written here
/// rather than taken from `sc-chain-spec`, whose client stack (networking, the wasm executor) would
/// be most of this test's build.
fn merge(config: &mut serde_json::Value, patch: serde_json::Value) {
	match (config, patch) {
		(serde_json::Value::Object(config), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(config.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(config, patch) => *config = patch,
	}
}
