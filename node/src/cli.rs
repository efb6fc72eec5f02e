//! Command-line interface.

use std::path::PathBuf;

/// Block time of `--dev` when `--dev-block-time` is not given.
pub const DEFAULT_DEV_BLOCK_TIME_MS: u64 = 3_000;

/// Where `--poq-model` points when it is not given: the default model fetched by
/// `scripts/fetch-model.sh`, relative to the working directory.
pub const DEFAULT_MODEL_DIR: &str = "models/weights/all-MiniLM-L6-v2";

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

/// What the node needs to score: where the quality model is.
#[derive(Debug, Clone, clap::Parser)]
pub struct PoqParams {
	/// Folder of the quality model the off-chain worker scores with (a Hugging Face folder:
	/// `config.json`, `tokenizer.json`, weights). Defaults to `models/weights/all-MiniLM-L6-v2`
	/// when that exists. Without a model the node imports blocks but scores nothing.
	#[arg(long, value_name = "DIR")]
	pub poq_model: Option<PathBuf>,
}

/// How `--dev` seals blocks.
#[derive(Debug, Clone, clap::Parser)]
pub struct DevParams {
	/// Block time in milliseconds of the `--dev` chain.
	#[arg(long, value_name = "MS", conflicts_with = "instant_seal")]
	pub dev_block_time: Option<u64>,

	/// Seal a block as soon as a transaction arrives instead of on a timer (`--dev` only).
	#[arg(long)]
	pub instant_seal: bool,
}

/// How the development chain seals blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealMode {
	/// A block every so many milliseconds, with or without transactions.
	Timer(u64),
	/// A block for each transaction.
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
	pub run: sc_cli::RunCmd,

	#[command(flatten)]
	pub poq: PoqParams,

	#[command(flatten)]
	pub dev: DevParams,
}
