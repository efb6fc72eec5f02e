//! Parses the command line and runs the node or a subcommand.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use sc_cli::SubstrateCli;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Proof of Quality Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		"A parachain on which validators score generative-model inference with a small quality \
		 model and the chain pays by consensus quality.\n\nRun a development chain with \
		 `poq-node --dev`."
			.into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://github.com/poq-chain/poq/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" | "" => Box::new(chain_spec::development()?),
			"local" => Box::new(chain_spec::local_testnet()?),
			"production" => Box::new(chain_spec::production()?),
			path => Box::new(chain_spec::ChainSpec::from_json_file(path.into())?),
		})
	}
}

/// Runs the command line.
pub fn run() -> sc_cli::Result<()> {
	let mut cli = Cli::from_args();
	default_to_paritydb(&mut cli);

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let spec = cli.load_spec(&cmd.chain)?;
			cmd.run(spec)
		},
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let (client, _, import_queue, task_manager) = service::chain_ops(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let (client, _, _, task_manager) = service::chain_ops(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		},
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let (client, _, _, task_manager) = service::chain_ops(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let (client, _, import_queue, task_manager) = service::chain_ops(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let (client, backend, _, task_manager) = service::chain_ops(&config)?;
				Ok((cmd.run(client, backend, None), task_manager))
			})
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::ExportGenesisHead(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				let (client, ..) = service::chain_ops(&config)?;
				cmd.run(client)
			})
		},
		Some(Subcommand::ExportGenesisWasm(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|_config| {
				let spec = cli.load_spec(&cmd.shared_params.chain.clone().unwrap_or_default())?;
				cmd.run(&*spec)
			})
		},
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => {
			use frame_benchmarking_cli::BenchmarkCmd;
			// The chain spec a benchmark names, if it names one.
			let spec = |params: &sc_cli::SharedParams| {
				params.chain.as_ref().map(|chain| cli.load_spec(chain)).transpose()
			};
			match cmd {
				BenchmarkCmd::Pallet(cmd) => {
					type Hashing = sp_runtime::traits::HashingFor<poq_primitives::opaque::Block>;
					cmd.run_with_spec::<Hashing, service::HostFunctions>(spec(&cmd.shared_params)?)
				},
				// The base weights of a block and of an extrinsic, on the development chain's
				// genesis with its parachain inherent.
				BenchmarkCmd::Overhead(cmd) => {
					// Beside Substrate's and the storage-proof size, which the command brings.
					type Extra = (
						poq_model_interface::HostFunctions,
						frame_benchmarking::benchmarking::HostFunctions,
					);
					cmd.run_with_default_builder_and_spec::<poq_primitives::opaque::Block, Extra>(
						spec(&cmd.shared_params)?,
					)
				},
				BenchmarkCmd::Machine(cmd) => {
					let runner = cli.create_runner(cmd)?;
					runner.sync_run(|config| {
						cmd.run(
							&config,
							frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE.clone(),
						)
					})
				},
				_ => Err(
					"this node benchmarks pallets (`benchmark pallet`), the block and extrinsic \
					     overhead (`benchmark overhead`) and the machine only"
						.into(),
				),
			}
		},
		None => {
			let mut run = cli.run.normalize();
			// The fork-aware pool of this polkadot-sdk release drops transactions it accepted
			// when many senders flood it (`docs/DESIGN.md`, "Transaction pool"); the single-state
			// pool lands them all. It is the default here; an explicit `--pool-type` still wins.
			if !std::env::args().any(|arg| arg.starts_with("--pool-type")) {
				run.base.pool_config.pool_type = sc_cli::TransactionPoolType::SingleState;
			}
			let runner = cli.create_runner(&run)?;
			let poq = cli.poq.clone();
			// `--dev` runs the development chain alone; `--chain dev` joins (or, with
			// `--validator`, seals) a development network of several nodes.
			let solo = cli.run.base.shared_params.is_dev();
			if solo || runner.config().chain_spec.chain_type() == sc_service::ChainType::Development
			{
				let dev = service::DevNode { seal: cli.dev.seal_mode(), solo };
				return runner.run_node_until_exit(|config| async move {
					service::start_dev_node(config, dev, poq).map_err(sc_cli::Error::Service)
				});
			}
			run_parachain_node(&cli, runner, poq)
		},
	}
}

/// Runs the parachain node beside its relay-chain node.
#[cfg(feature = "parachain")]
fn run_parachain_node(
	cli: &Cli,
	runner: sc_cli::Runner<Cli>,
	poq: crate::cli::PoqParams,
) -> sc_cli::Result<()> {
	let relay_chain_cli =
		crate::cli::RelayChainCli::new(runner.config(), cli.relay_chain_args.iter());
	let collator_options = cli.run.collator_options();
	let hardware_benchmarks = !cli.no_hardware_benchmarks;
	runner.run_node_until_exit(|config| async move {
		let hwbench = hardware_benchmarks
			.then(|| {
				config.database.path().map(|database| {
					let _ = std::fs::create_dir_all(database);
					sc_sysinfo::gather_hwbench(
						Some(database),
						&frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE,
					)
				})
			})
			.flatten();
		let relay_chain_config = SubstrateCli::create_configuration(
			&relay_chain_cli,
			&relay_chain_cli,
			config.tokio_handle.clone(),
		)
		.map_err(|e| format!("relay-chain arguments: {e}"))?;
		crate::collator::start_node(config, relay_chain_config, collator_options, poq, hwbench)
			.await
			.map_err(sc_cli::Error::Service)
	})
}

/// Without the `parachain` feature the node runs the development chain only.
#[cfg(not(feature = "parachain"))]
fn run_parachain_node(
	_: &Cli,
	_: sc_cli::Runner<Cli>,
	_: crate::cli::PoqParams,
) -> sc_cli::Result<()> {
	Err("this binary runs the development chain only (`--dev`): build it with `--features \
	     parachain` to follow a relay chain and collate"
		.into())
}

/// Makes ParityDB the database unless one is named. The collator build links RocksDB (the
/// relay-chain client needs it), which would otherwise become sc-cli's default and leave the
/// same base path meaning a different database in each build.
fn default_to_paritydb(cli: &mut Cli) {
	use sc_cli::Database;
	let database = match &mut cli.subcommand {
		None => &mut cli.run.base.import_params.database_params.database,
		Some(Subcommand::CheckBlock(cmd)) => &mut cmd.import_params.database_params.database,
		Some(Subcommand::ExportBlocks(cmd)) => &mut cmd.database_params.database,
		Some(Subcommand::ExportState(cmd)) => &mut cmd.database_params.database,
		Some(Subcommand::ImportBlocks(cmd)) => &mut cmd.import_params.database_params.database,
		Some(Subcommand::Revert(cmd)) => &mut cmd.database_params.database,
		Some(Subcommand::PurgeChain(cmd)) => &mut cmd.database_params.database,
		_ => return,
	};
	database.get_or_insert(Database::ParityDb);
}
