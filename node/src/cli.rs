//! Command-line interface.

use std::path::PathBuf;

/// Block time of `--dev` when `--dev-block-time` is not given.
pub const DEFAULT_DEV_BLOCK_TIME_MS: u64 = 3_000;
/// With `--instant-seal`, an empty block this often besides a block per transaction.
pub const INSTANT_SEAL_IDLE_BLOCK_TIME_MS: u64 = 1_000;

/// Where a node without `--poq-model` looks for its model first: this folder in its base path,
/// next to the chain's data (`<base-path>/poq-model`), where an operator installs it.
pub const BASE_PATH_MODEL_DIR: &str = "poq-model";
/// Where it looks next: the default model `scripts/fetch-model.sh` fetches into a checkout of
/// the repository, relative to the working directory (for development).
pub const CHECKOUT_MODEL_DIR: &str = "models/weights/all-MiniLM-L6-v2";

#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
	/// Key management: generate, inspect, and insert keys (such as `poq!` validator keys).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain spec (JSON) from a built-in chain: `dev` or `local`.
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export a chain spec without starting a node.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Export the genesis head data of the parachain (for its registration on a relay chain).
	#[command(alias = "export-genesis-state")]
	ExportGenesisHead(cumulus_client_cli::ExportGenesisHeadCommand),

	/// Export the genesis wasm of the parachain (for its registration on a relay chain).
	ExportGenesisWasm(cumulus_client_cli::ExportGenesisWasmCommand),

	/// Benchmark the runtime: `benchmark pallet` regenerates `pallets/poq/src/weights.rs`.
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),
}

/// What the node needs to score: where the quality model is, and how many threads it gets.
#[derive(Debug, Clone, clap::Parser)]
pub struct PoqParams {
	/// Folder of a quality model the off-chain worker scores with (a Hugging Face folder:
	/// `config.json`, `tokenizer.json`, weights). Give it twice to hold the old and the new
	/// model while the chain switches (`set_quality_model`): each request is scored with the
	/// model its committee was drawn under. A relative path is taken from the working
	/// directory. Without it the node looks in `<base-path>/poq-model`, then in
	/// `models/weights/all-MiniLM-L6-v2` under the working directory (a checkout of the
	/// repository). Without a model the node imports blocks but scores nothing.
	#[arg(long, value_name = "DIR")]
	pub poq_model: Vec<PathBuf>,

	/// Threads the quality model scores on: a pool of its own, so that scoring takes at most
	/// this many cores from block production, the relay-chain client and the database.
	#[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
	pub poq_scorer_threads: u16,

	/// Judge card of an appeal judge this node grades disputed answers with when it sits on a
	/// jury: a JSON file `{"model": "...", "instructions": "..."}` naming the model its
	/// OpenAI-compatible endpoint serves and the judging instructions. Its SHA-256 is what
	/// governance pins (`set_appeal_judge`); the node logs it. Give it with
	/// `--poq-appeal-judge-url`. Without it the node sits out the juries of disputes graded by
	/// an appeal judge.
	#[arg(long, value_name = "FILE", requires = "poq_appeal_judge_url")]
	pub poq_appeal_judge: Option<PathBuf>,

	/// Base URL of the OpenAI-compatible endpoint (such as `http://127.0.0.1:8080/v1`) that
	/// serves the model of `--poq-appeal-judge`: the off-chain worker posts to its
	/// `/chat/completions`.
	#[arg(long, value_name = "URL", requires = "poq_appeal_judge")]
	pub poq_appeal_judge_url: Option<String>,
}

/// How `--dev` seals blocks.
#[derive(Debug, Clone, clap::Parser)]
pub struct DevParams {
	/// Block time in milliseconds of the `--dev` chain.
	#[arg(long, value_name = "MS", conflicts_with = "instant_seal")]
	pub dev_block_time: Option<u64>,

	/// Seal a block as soon as a transaction arrives (`--dev` only), and an empty block every
	/// second besides: the protocol's draws and windows wait for later blocks.
	#[arg(long)]
	pub instant_seal: bool,
}

/// How the development chain seals blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealMode {
	/// A block every so many milliseconds, with or without transactions.
	Timer(u64),
	/// A block for each transaction, and an empty one every second.
	Instant,
}

impl DevParams {
	/// The seal mode these flags ask for.
	pub fn seal_mode(&self) -> SealMode {
		if self.instant_seal {
			SealMode::Instant
		} else {
			SealMode::Timer(self.dev_block_time.unwrap_or(DEFAULT_DEV_BLOCK_TIME_MS))
		}
	}
}

#[derive(Debug, clap::Parser)]
#[command(
	propagate_version = true,
	args_conflicts_with_subcommands = true,
	subcommand_negates_reqs = true
)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[command(flatten)]
	pub run: cumulus_client_cli::RunCmd,

	#[command(flatten)]
	pub poq: PoqParams,

	#[command(flatten)]
	pub dev: DevParams,

	/// Arguments of the relay-chain node, after `--` (collator mode).
	#[arg(raw = true)]
	pub relay_chain_args: Vec<String>,

	/// Skip the hardware benchmark (CPU, memory, disk against Polkadot's reference hardware) the
	/// parachain node runs at start, and reports to telemetry.
	#[cfg(feature = "parachain")]
	#[arg(long)]
	pub no_hardware_benchmarks: bool,
}

/// The command line of the relay-chain node a collator runs beside the parachain: the
/// arguments after `--`, parsed as `polkadot` parses its own.
#[cfg(feature = "parachain")]
pub struct RelayChainCli {
	/// The relay node's arguments.
	pub base: polkadot_cli::RunCmd,
	/// The relay chain named by the parachain's chain spec, used when `--chain` is not given.
	pub chain_id: Option<String>,
	/// `<parachain base path>/polkadot`, used when `--base-path` is not given.
	pub base_path: Option<PathBuf>,
}

#[cfg(feature = "parachain")]
mod relay_chain_cli {
	use super::{Cli, RelayChainCli};
	use crate::chain_spec::Extensions;
	use clap::{CommandFactory, FromArgMatches};
	use sc_cli::RpcEndpoint;
	use sc_cli::{
		CliConfiguration, DefaultConfigurationValues, ImportParams, KeystoreParams, NetworkParams,
		SharedParams, SubstrateCli,
	};
	use sc_service::config::{BasePath, PrometheusConfig};

	impl RelayChainCli {
		/// Parses the relay-chain arguments, with defaults from the parachain's configuration.
		pub fn new<'a>(
			para_config: &sc_service::Configuration,
			relay_chain_args: impl Iterator<Item = &'a String>,
		) -> Self {
			let matches = polkadot_cli::RunCmd::command()
				.no_binary_name(true)
				.get_matches_from(relay_chain_args);
			let base = FromArgMatches::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
			let chain_id =
				Extensions::try_get(&*para_config.chain_spec).map(|e| e.relay_chain.clone());
			let base_path = Some(para_config.base_path.path().join("polkadot"));
			Self { base, chain_id, base_path }
		}
	}

	impl SubstrateCli for RelayChainCli {
		fn impl_name() -> String {
			Cli::impl_name()
		}
		fn impl_version() -> String {
			Cli::impl_version()
		}
		fn description() -> String {
			Cli::description()
		}
		fn author() -> String {
			Cli::author()
		}
		fn support_url() -> String {
			Cli::support_url()
		}
		fn copyright_start_year() -> i32 {
			Cli::copyright_start_year()
		}
		fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
			polkadot_cli::Cli::from_iter([Self::executable_name()].iter()).load_spec(id)
		}
	}

	// The relay node listens beside the parachain node, so its default ports differ.
	impl DefaultConfigurationValues for RelayChainCli {
		fn p2p_listen_port() -> u16 {
			30334
		}
		fn rpc_listen_port() -> u16 {
			9945
		}
		fn prometheus_listen_port() -> u16 {
			9616
		}
	}

	impl CliConfiguration<Self> for RelayChainCli {
		fn shared_params(&self) -> &SharedParams {
			self.base.base.shared_params()
		}
		fn import_params(&self) -> Option<&ImportParams> {
			self.base.base.import_params()
		}
		fn network_params(&self) -> Option<&NetworkParams> {
			self.base.base.network_params()
		}
		fn keystore_params(&self) -> Option<&KeystoreParams> {
			self.base.base.keystore_params()
		}
		fn base_path(&self) -> sc_cli::Result<Option<BasePath>> {
			Ok(self.shared_params().base_path()?.or_else(|| self.base_path.clone().map(Into::into)))
		}
		fn rpc_addr(&self, default_listen_port: u16) -> sc_cli::Result<Option<Vec<RpcEndpoint>>> {
			self.base.base.rpc_addr(default_listen_port)
		}
		fn prometheus_config(
			&self,
			default_listen_port: u16,
			chain_spec: &Box<dyn sc_service::ChainSpec>,
		) -> sc_cli::Result<Option<PrometheusConfig>> {
			self.base.base.prometheus_config(default_listen_port, chain_spec)
		}
		fn init<F>(&self, _: &String, _: &String, _: F) -> sc_cli::Result<()>
		where
			F: FnOnce(&mut sc_cli::LoggerBuilder),
		{
			unreachable!("the parachain's command line initialises logging for both nodes")
		}
		fn chain_id(&self, is_dev: bool) -> sc_cli::Result<String> {
			let chain_id = self.base.base.chain_id(is_dev)?;
			Ok(if chain_id.is_empty() {
				self.chain_id.clone().unwrap_or_default()
			} else {
				chain_id
			})
		}
		fn role(&self, is_dev: bool) -> sc_cli::Result<sc_service::Role> {
			self.base.base.role(is_dev)
		}
		fn transaction_pool(
			&self,
			is_dev: bool,
		) -> sc_cli::Result<sc_service::config::TransactionPoolOptions> {
			self.base.base.transaction_pool(is_dev)
		}
		fn trie_cache_maximum_size(&self) -> sc_cli::Result<Option<usize>> {
			self.base.base.trie_cache_maximum_size()
		}
		fn rpc_methods(&self) -> sc_cli::Result<sc_service::config::RpcMethods> {
			self.base.base.rpc_methods()
		}
		fn rpc_max_connections(&self) -> sc_cli::Result<u32> {
			self.base.base.rpc_max_connections()
		}
		fn rpc_cors(&self, is_dev: bool) -> sc_cli::Result<Option<Vec<String>>> {
			self.base.base.rpc_cors(is_dev)
		}
		fn default_heap_pages(&self) -> sc_cli::Result<Option<u64>> {
			self.base.base.default_heap_pages()
		}
		fn force_authoring(&self) -> sc_cli::Result<bool> {
			self.base.base.force_authoring()
		}
		fn disable_grandpa(&self) -> sc_cli::Result<bool> {
			self.base.base.disable_grandpa()
		}
		fn max_runtime_instances(&self) -> sc_cli::Result<Option<usize>> {
			self.base.base.max_runtime_instances()
		}
		fn announce_block(&self) -> sc_cli::Result<bool> {
			self.base.base.announce_block()
		}
		fn telemetry_endpoints(
			&self,
			chain_spec: &Box<dyn sc_service::ChainSpec>,
		) -> sc_cli::Result<Option<sc_telemetry::TelemetryEndpoints>> {
			self.base.base.telemetry_endpoints(chain_spec)
		}
		fn node_name(&self) -> sc_cli::Result<String> {
			self.base.base.node_name()
		}
	}
}
