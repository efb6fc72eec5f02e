//! The chain specs built into the node, from the runtime's genesis presets.

use sc_chain_spec::{ChainSpecExtension, ChainSpecGroup, ChainType};
use serde::{Deserialize, Serialize};

/// The runtime's wasm, which `build.rs` builds: `WASM_BINARY` is the compressed blob a chain spec
/// carries. The generated file also names the uncompressed blob and its path, unused here.
#[allow(dead_code)]
mod runtime_wasm {
	include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));
}

/// The chain spec of this node.
pub type ChainSpec = sc_chain_spec::GenericChainSpec<Extensions>;

/// The parachain extensions of a chain spec: the relay chain and the parachain id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ChainSpecGroup, ChainSpecExtension)]
#[serde(deny_unknown_fields)]
pub struct Extensions {
	/// The relay chain of the parachain.
	pub relay_chain: String,
	/// The parachain id.
	pub para_id: u32,
}

#[cfg(feature = "parachain")]
impl Extensions {
	/// The extensions of `chain_spec`, if it has them.
	pub fn try_get(chain_spec: &dyn sc_service::ChainSpec) -> Option<&Self> {
		sc_chain_spec::get_extension(chain_spec.extensions())
	}
}

fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), "POQ".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

/// The relay chain the development and local-testnet chains are launched with
/// (`zombienet.toml`).
const LOCAL_RELAY_CHAIN: &str = "westend-local";

fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
	relay_chain: &str,
) -> Result<ChainSpec, String> {
	let wasm = runtime_wasm::WASM_BINARY.ok_or("this node was built without the wasm runtime")?;
	Ok(ChainSpec::builder(
		wasm,
		Extensions { relay_chain: relay_chain.into(), para_id: poq_primitives::PARACHAIN_ID },
	)
	.with_name(name)
	.with_id(id)
	.with_chain_type(chain_type)
	.with_protocol_id(id)
	.with_genesis_config_preset_name(preset)
	.with_properties(properties())
	.build())
}

/// A one-node development chain: //Alice collates; //Alice, //Bob and //Charlie validate;
/// //Dave and //Eve are inference nodes.
pub fn development() -> Result<ChainSpec, String> {
	from_preset(
		"PoQ Development",
		"poq_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
		LOCAL_RELAY_CHAIN,
	)
}

/// A local testnet for a relay chain: //Alice and //Bob collate.
pub fn local_testnet() -> Result<ChainSpec, String> {
	from_preset(
		"PoQ Local Testnet",
		"poq_local_testnet",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
		LOCAL_RELAY_CHAIN,
	)
}

/// A live chain on Polkadot: no sudo and no dev account. Its collators, technical committee,
/// parachain id and endowments are patched in before launch (`docs/launch.md`).
pub fn production() -> Result<ChainSpec, String> {
	from_preset(
		"Proof of Quality",
		"poq",
		ChainType::Live,
		poq_primitives::PRODUCTION_PRESET,
		"polkadot",
	)
}
