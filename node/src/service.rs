//! The node service: the client with the PoQ host functions, and the development chain (manual
//! or instant seal over mocked relay-chain data, the way polkadot-omni-node's dev mode runs a
//! parachain runtime alone: `--dev` on one node, or `--chain dev` on a network of nodes of
//! which one seals), with the off-chain workers that score.

use crate::runtime_api::RuntimeApi;
use crate::{
	cli::{PoqParams, SealMode, INSTANT_SEAL_IDLE_BLOCK_TIME_MS},
	scorer::{Metrics, ModelScorer},
};
use codec::Encode;
use cumulus_client_parachain_inherent::MockValidationDataInherentDataProvider;
use cumulus_primitives_core::{
	relay_chain::{well_known_keys, HeadData, UpgradeGoAhead},
	CollectCollationInfo, GetParachainInfo, ParaId,
};
use futures::FutureExt;
use poq_model_interface::{Scorer, ScorerExt};
use poq_primitives::opaque::Block;
use sc_client_api::Backend as _;
use sc_consensus_manual_seal::consensus::aura::AuraConsensusDataProvider;
use sc_network::{config::FullNetworkConfiguration, NotificationMetrics};
use sc_service::{Configuration, PartialComponents, TaskManager};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_keystore::Keystore;
use sp_runtime::traits::{Block as BlockT, Header as _, UniqueSaturatedInto};
use std::{
	path::{Path, PathBuf},
	sync::Arc,
	time::Duration,
};

/// Every host function the runtime may import: Substrate's, the parachain storage-proof size,
/// and PoQ's scoring function. All nodes register them, since every node executes blocks.
#[cfg(not(feature = "runtime-benchmarks"))]
pub type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	cumulus_primitives_proof_size_hostfunction::storage_proof_size::HostFunctions,
	poq_model_interface::HostFunctions,
);
/// Every host function the runtime may import, plus the benchmarking ones.
#[cfg(feature = "runtime-benchmarks")]
pub type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	cumulus_primitives_proof_size_hostfunction::storage_proof_size::HostFunctions,
	poq_model_interface::HostFunctions,
	frame_benchmarking::benchmarking::HostFunctions,
);

pub type Executor = sc_executor::WasmExecutor<HostFunctions>;
pub type FullClient = sc_service::TFullClient<Block, RuntimeApi, Executor>;
pub type FullBackend = sc_service::TFullBackend<Block>;
pub type TransactionPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;
type DevPartial = PartialComponents<
	FullClient,
	FullBackend,
	sc_consensus::LongestChain<FullBackend, Block>,
	sc_consensus::DefaultImportQueue<Block>,
	TransactionPool,
	Option<sc_telemetry::Telemetry>,
>;

/// Relay-chain slot of the mocked relay chain, as the runtime's consensus hook has it.
const RELAY_CHAIN_SLOT_DURATION_MILLIS: u64 =
	poq_primitives::RELAY_CHAIN_SLOT_DURATION_MILLIS as u64;
/// Blocks per epoch of the mocked relay chain.
const PARA_BLOCKS_PER_RELAY_EPOCH: u32 = 10;

/// The `poq!` validator keys a `--dev` node holds, so one node acts as the three validators of
/// the development genesis.
const DEV_VALIDATOR_SEEDS: [&str; 3] = ["//Alice", "//Bob", "//Charlie"];

/// What every mode builds first: the client with its backend and keystore, the transaction
/// pool, and telemetry.
pub struct ClientParts {
	pub client: Arc<FullClient>,
	pub backend: Arc<FullBackend>,
	pub keystore_container: sc_service::KeystoreContainer,
	pub task_manager: TaskManager,
	pub transaction_pool: Arc<TransactionPool>,
	pub telemetry: Option<sc_telemetry::Telemetry>,
	/// For the collator's relay-chain client.
	#[cfg(feature = "parachain")]
	pub telemetry_worker: Option<sc_telemetry::TelemetryWorkerHandle>,
}

/// Builds the [`ClientParts`]. Blocks are imported with their storage proof recorded, as a parachain
/// node must: the runtime's weight reclaim reads the proof size, and importing must compute what
/// authoring computed.
pub fn new_client_parts(config: &Configuration) -> Result<ClientParts, sc_service::Error> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|endpoints| !endpoints.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = sc_telemetry::TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts_record_import::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			true,
			Default::default(),
		)?;
	let client = Arc::new(client);

	#[cfg(feature = "parachain")]
	let telemetry_worker = telemetry.as_ref().map(|(worker, _)| worker.handle());
	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	Ok(ClientParts {
		client,
		backend,
		keystore_container,
		task_manager,
		transaction_pool,
		telemetry,
		#[cfg(feature = "parachain")]
		telemetry_worker,
	})
}

/// The parts of the development chain: its blocks are sealed by this node, so the import queue
/// checks nothing a relay chain would.
pub fn new_dev_partial(config: &Configuration) -> Result<DevPartial, sc_service::Error> {
	let ClientParts {
		client,
		backend,
		keystore_container,
		task_manager,
		transaction_pool,
		telemetry,
		..
	} = new_client_parts(config)?;
	let import_queue = sc_consensus_manual_seal::import_queue(
		Box::new(client.clone()),
		&task_manager.spawn_essential_handle(),
		config.prometheus_registry(),
	);
	Ok(PartialComponents {
		select_chain: sc_consensus::LongestChain::new(backend.clone()),
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		transaction_pool,
		other: telemetry,
	})
}

/// The client, its backend, an import queue and the task manager: what the chain subcommands
/// run on.
pub type ChainOps =
	(Arc<FullClient>, Arc<FullBackend>, sc_consensus::DefaultImportQueue<Block>, TaskManager);

/// What the chain subcommands use: the client, its backend and an import queue fitting the
/// chain (manual seal for the development chain, Aura for a relay-chain-backed one).
pub fn chain_ops(config: &Configuration) -> Result<ChainOps, sc_service::Error> {
	#[cfg(feature = "parachain")]
	if config.chain_spec.chain_type() != sc_chain_spec::ChainType::Development {
		let crate::collator::ParachainPartial { parts, import_queue, .. } =
			crate::collator::new_parachain_partial(config)?;
		return Ok((parts.client, parts.backend, import_queue, parts.task_manager));
	}
	let PartialComponents { client, backend, import_queue, task_manager, .. } =
		new_dev_partial(config)?;
	Ok((client, backend, import_queue, task_manager))
}

/// Loads the quality models: each `--poq-model`, else, if the keystore holds a `poq!` key (a
/// node that validates), the first default folder that exists (`<base_path>/poq-model`, then the
/// checkout's); a node without either loads nothing.
pub fn load_scorers(
	poq: &PoqParams,
	base_path: &Path,
	keystore: &sp_keystore::KeystorePtr,
	registry: Option<&substrate_prometheus_endpoint::Registry>,
) -> Result<Vec<Arc<dyn Scorer>>, sc_service::Error> {
	if poq.poq_model.is_empty() && keystore.sr25519_public_keys(pallet_poq::POQ_KEY_TYPE).is_empty()
	{
		log::info!(
			target: "poq",
			"No poq! key in the keystore and no --poq-model: this node scores nothing and loads no \
			 quality model (insert a key and restart, or give --poq-model, to validate)."
		);
		return Ok(Vec::new());
	}
	let dirs = if poq.poq_model.is_empty() {
		let defaults = [
			base_path.join(crate::cli::BASE_PATH_MODEL_DIR),
			PathBuf::from(crate::cli::CHECKOUT_MODEL_DIR),
		];
		let Some(default) = defaults.iter().find(|dir| dir.is_dir()) else {
			log::warn!(
				target: "poq",
				"No quality model (no --poq-model, no {} and no {} in the working directory): \
				 this node imports blocks but scores nothing. `bash scripts/fetch-model.sh` \
				 fetches the default model.",
				defaults[0].display(),
				defaults[1].display(),
			);
			return Ok(Vec::new());
		};
		vec![default.clone()]
	} else {
		poq.poq_model.clone()
	};
	// One set of metrics for all the models.
	let metrics = registry
		.map(Metrics::register)
		.transpose()
		.map_err(|e| sc_service::Error::Other(format!("PoQ metrics: {e}")))?;
	let threads = usize::from(poq.poq_scorer_threads);
	let mut scorers: Vec<Arc<dyn Scorer>> = Vec::with_capacity(dirs.len());
	for dir in &dirs {
		let scorer = ModelScorer::load(dir, threads, metrics.clone()).map_err(|e| {
			sc_service::Error::Other(format!(
				"cannot load the quality model in {}: {e}",
				dir.display()
			))
		})?;
		if scorers.iter().any(|loaded| loaded.digest() == scorer.digest()) {
			return Err(sc_service::Error::Other(format!(
				"the quality model in {} is loaded twice (the same digest as an earlier \
				 --poq-model)",
				dir.display()
			)));
		}
		scorers.push(Arc::new(scorer));
	}
	Ok(scorers)
}

/// How a node takes part in the development chain.
#[derive(Debug, Clone, Copy)]
pub struct DevNode {
	/// How it seals blocks, when it is the one that seals them (an authority: `--dev` or
	/// `--validator`); any other node imports the blocks its peers announce.
	pub seal: SealMode,
	/// `--dev`: the chain alone, with no peers, on a node that holds the `poq!` keys of every
	/// genesis validator. Otherwise (`--chain dev`) the node joins a network of them, each
	/// holding only the keys its own keystore has (`poq-node key insert`).
	pub solo: bool,
}

/// Starts a node of the development chain.
pub fn start_dev_node(
	mut config: Configuration,
	dev: DevNode,
	poq: PoqParams,
) -> Result<TaskManager, sc_service::Error> {
	let PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: mut telemetry,
	} = new_dev_partial(&config)?;

	let keystore = keystore_container.keystore();
	if dev.solo {
		for seed in DEV_VALIDATOR_SEEDS {
			keystore.sr25519_generate_new(pallet_poq::POQ_KEY_TYPE, Some(seed)).map_err(|e| {
				sc_service::Error::Other(format!("inserting the {seed} poq! key: {e}"))
			})?;
		}
		log::info!(
			target: "poq",
			"🔑 poq! keys of {} in the keystore",
			DEV_VALIDATOR_SEEDS.join(", ")
		);
		// The development chain alone keeps to itself.
		config.network.default_peers_set.in_peers = 0;
		config.network.default_peers_set.out_peers = 0;
	}
	let scorers =
		load_scorers(&poq, config.base_path.path(), &keystore, config.prometheus_registry())?;
	let net_config = FullNetworkConfiguration::<_, _, sc_network::Litep2pNetworkBackend>::new(
		&config.network,
		None,
	);
	let (network, system_rpc_tx, tx_handler_controller, sync_service, _) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			net_config,
			block_announce_validator_builder: None,
			warp_sync_config: None,
			block_relay: None,
			metrics: NotificationMetrics::new(None),
			gap_sync_body_policy: None,
		})?;

	spawn_offchain_workers(
		&config,
		&task_manager,
		&client,
		&backend,
		&transaction_pool,
		&keystore,
		network.clone(),
		scorers,
		crate::appeal::load(&poq).map_err(sc_service::Error::Other)?,
	)?;

	if config.role.is_authority() {
		spawn_sealing(
			&config,
			&task_manager,
			&client,
			&transaction_pool,
			select_chain,
			&telemetry,
			dev.seal,
		)?;
	} else {
		log::info!(
			target: "poq",
			"Following the development chain: this node imports the blocks its peers seal."
		);
	}

	let rpc_builder = rpc_builder(&client, &transaction_pool);
	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network,
		client,
		keystore,
		task_manager: &mut task_manager,
		transaction_pool,
		rpc_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service,
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;
	Ok(task_manager)
}

/// Seals the development chain's blocks with manual seal, on a timer or on each transaction.
fn spawn_sealing(
	config: &Configuration,
	task_manager: &TaskManager,
	client: &Arc<FullClient>,
	transaction_pool: &Arc<TransactionPool>,
	select_chain: sc_consensus::LongestChain<FullBackend, Block>,
	telemetry: &Option<sc_telemetry::Telemetry>,
	seal: SealMode,
) -> Result<(), sc_service::Error> {
	let proposer = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		config.prometheus_registry(),
		telemetry.as_ref().map(|t| t.handle()),
	);
	let slot_duration = sc_consensus_aura::slot_duration(&**client)?;
	let para_id = client
		.runtime_api()
		.parachain_id(client.info().best_hash)
		.map_err(|e| sc_service::Error::Other(format!("reading the parachain id: {e}")))?;
	let aura_digests = AuraConsensusDataProvider::<Block>::new_with_slot_duration(slot_duration);
	let inherents = dev_inherent_data_providers(client.clone(), para_id, slot_duration);

	// Blocks are sealed on a stream of commands: a timer's ticks and, with instant seal, every
	// transaction the pool imports. Instant seal keeps a timer too, of empty blocks while idle:
	// PoQ's draws and windows wait for later blocks, which no transaction might bring.
	let seal_now = |create_empty| sc_consensus_manual_seal::EngineCommand::SealNewBlock {
		create_empty,
		finalize: true,
		parent_hash: None,
		sender: None,
	};
	let (interval, on_transactions) = match seal {
		SealMode::Timer(block_time) => (block_time, false),
		SealMode::Instant => (INSTANT_SEAL_IDLE_BLOCK_TIME_MS, true),
	};
	let (mut sink, ticks) = futures::channel::mpsc::channel(1024);
	task_manager.spawn_essential_handle().spawn("block-timer", None, async move {
		loop {
			futures_timer::Delay::new(Duration::from_millis(interval)).await;
			if sink.try_send(seal_now(true)).is_err() {
				log::warn!(target: "poq", "block authoring lags: skipped a block");
			}
		}
	});
	let commands: std::pin::Pin<Box<dyn futures::Stream<Item = _> + Send>> = if on_transactions {
		use futures::StreamExt;
		use sc_transaction_pool_api::TransactionPool;
		let imported = transaction_pool.import_notification_stream().map(move |_| seal_now(false));
		Box::pin(futures::stream::select(ticks, imported))
	} else {
		Box::pin(ticks)
	};
	let authorship =
		sc_consensus_manual_seal::run_manual_seal(sc_consensus_manual_seal::ManualSealParams {
			block_import: client.clone(),
			env: proposer,
			client: client.clone(),
			pool: transaction_pool.clone(),
			select_chain,
			commands_stream: commands,
			consensus_data_provider: Some(Box::new(aura_digests)),
			create_inherent_data_providers: inherents,
		});
	task_manager.spawn_essential_handle().spawn_blocking("manual-seal", None, authorship);
	Ok(())
}

/// Runs the off-chain workers, which score with the model: the model reaches the runtime only
/// inside them, block import and RPC calls never carry the extension.
#[allow(clippy::too_many_arguments)] // The node's parts the workers need, as both modes hold them.
pub fn spawn_offchain_workers(
	config: &Configuration,
	task_manager: &TaskManager,
	client: &Arc<FullClient>,
	backend: &Arc<FullBackend>,
	transaction_pool: &Arc<TransactionPool>,
	keystore: &sp_keystore::KeystorePtr,
	network: Arc<dyn sc_network::service::traits::NetworkService>,
	scorers: Vec<Arc<dyn Scorer>>,
	appeal_judge: Option<crate::appeal::AppealJudge>,
) -> Result<(), sc_service::Error> {
	if !config.offchain_worker.enabled {
		// Only a node that loaded a model meant to score.
		if !scorers.is_empty() {
			log::warn!(
				target: "poq",
				"Off-chain workers are disabled: this node scores nothing (a validator that \
				 does not author blocks runs with `--offchain-worker always`)."
			);
		}
		return Ok(());
	}
	let offchain_db = backend.offchain_storage();
	if let Some(mut storage) = offchain_db.clone() {
		use sp_core::offchain::OffchainStorage;
		// No worker of this process runs yet: a lock left by one of a node that died is stale.
		storage.remove(sp_core::offchain::STORAGE_PREFIX, pallet_poq::offchain::WORKER_LOCK);
		if let Some(judge) = &appeal_judge {
			crate::appeal::serve(&mut storage, judge);
		}
	}
	let custom_extensions = move |_| {
		if scorers.is_empty() {
			vec![]
		} else {
			vec![Box::new(ScorerExt::new(scorers.clone())) as Box<_>]
		}
	};
	let offchain_workers = sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
		runtime_api_provider: client.clone(),
		keystore: Some(keystore.clone()),
		offchain_db,
		transaction_pool: Some(OffchainTransactionPoolFactory::new(transaction_pool.clone())),
		network_provider: Arc::new(network),
		is_validator: config.role.is_authority(),
		// Only to ask the appeal judge's endpoint.
		enable_http_requests: appeal_judge.is_some(),
		custom_extensions,
	})?;
	task_manager.spawn_handle().spawn(
		"offchain-workers-runner",
		"offchain-work",
		offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
	);
	Ok(())
}

/// Builds the node's RPC methods, as `sc_service::spawn_tasks` takes them.
pub type RpcBuilder = Box<
	dyn Fn(
		Arc<dyn sp_core::traits::SpawnNamed>,
	) -> Result<jsonrpsee::RpcModule<()>, sc_service::Error>,
>;

/// The node's RPC methods.
pub fn rpc_builder(
	client: &Arc<FullClient>,
	transaction_pool: &Arc<TransactionPool>,
) -> RpcBuilder {
	let client = client.clone();
	let pool = transaction_pool.clone();
	Box::new(move |_| {
		crate::rpc::create_full(client.clone(), pool.clone())
			.map_err(sc_service::Error::Application)
	})
}

/// The inherent data providers of one development block, or why there are none.
type DevInherentData = Result<
	(sp_timestamp::InherentDataProvider, MockValidationDataInherentDataProvider<()>),
	Box<dyn std::error::Error + Send + Sync>,
>;

/// Timestamp and mocked relay-chain validation data for each development block. Each block
/// gets its own relay slot, and the timestamp is that slot's start, so Aura's slot and the
/// relay slot in the mocked proof agree (the runtime's consensus hook checks it). The mocked
/// relay state carries BABE randomness as a relay chain's does: one value per mocked epoch, and
/// a fresh VRF output per relay block, so the runtime's relay randomness changes as on a real
/// relay chain (it is not secret here: a dev node makes it up).
fn dev_inherent_data_providers(
	client: Arc<FullClient>,
	para_id: ParaId,
	slot_duration: sp_consensus_aura::SlotDuration,
) -> impl Fn(<Block as BlockT>::Hash, ()) -> futures::future::Ready<DevInherentData> + Send + Sync {
	// Start two hours back so that timestamps do not run ahead of the clock at once.
	let now_ms = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.expect("the clock is past 1970")
		.as_millis() as u64;
	let initial_relay_slot = (now_ms - 2 * 60 * 60 * 1000) / RELAY_CHAIN_SLOT_DURATION_MILLIS;
	let relay_blocks_per_para_block =
		(slot_duration.as_millis() / RELAY_CHAIN_SLOT_DURATION_MILLIS).max(1) as u32;

	move |parent, ()| {
		let result = (|| {
			let head = client.header(parent)?.ok_or("the parent block is unknown")?;
			let block_number: u32 = (*head.number()).unique_saturated_into();
			let block_number = block_number + 1;
			// A pending runtime upgrade goes ahead at once.
			let upgrade_pending = client
				.runtime_api()
				.collect_collation_info(parent, &head)
				.map(|info| info.new_validation_code.is_some())
				.unwrap_or_default();
			let epoch = block_number / PARA_BLOCKS_PER_RELAY_EPOCH;
			let relay_randomness = vec![
				(
					well_known_keys::ONE_EPOCH_AGO_RANDOMNESS.to_vec(),
					sp_io::hashing::blake2_256(&(b"poq-dev/epoch", epoch).encode()).encode(),
				),
				(
					well_known_keys::CURRENT_BLOCK_RANDOMNESS.to_vec(),
					Some(sp_io::hashing::blake2_256(
						&(b"poq-dev/vrf", now_ms, block_number).encode(),
					))
					.encode(),
				),
			];
			let relay_slot = initial_relay_slot
				+ u64::from(block_number) * u64::from(relay_blocks_per_para_block);
			let relay_data = MockValidationDataInherentDataProvider::<()> {
				current_para_block: block_number,
				para_id,
				current_para_block_head: Some(HeadData(head.encode())),
				relay_blocks_per_para_block,
				relay_offset: (relay_slot as u32)
					.saturating_sub(relay_blocks_per_para_block * block_number),
				para_blocks_per_relay_epoch: PARA_BLOCKS_PER_RELAY_EPOCH,
				additional_key_values: Some(relay_randomness),
				upgrade_go_ahead: upgrade_pending.then_some(UpgradeGoAhead::GoAhead),
				..Default::default()
			};
			let timestamp = sp_timestamp::InherentDataProvider::new(
				(relay_slot * RELAY_CHAIN_SLOT_DURATION_MILLIS).into(),
			);
			Ok::<_, Box<dyn std::error::Error + Send + Sync>>((timestamp, relay_data))
		})();
		futures::future::ready(result)
	}
}
