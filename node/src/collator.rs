//! The parachain node: it follows a relay chain (run in process, or reached through a relay
//! node's RPC with `--relay-chain-rpc-url`), imports the blocks the relay chain backs, and with
//! `--collator` authors blocks with Aura's lookahead collator, as the polkadot-sdk parachain
//! template does. Validators' off-chain workers score here as on the `--dev` chain.

use crate::service::{self, ClientParts, FullBackend, FullClient, TransactionPool};
use codec::Encode;
use cumulus_client_cli::CollatorOptions;
use cumulus_client_collator::service::CollatorService;
use cumulus_client_consensus_aura::collators::lookahead::{self as aura, Params as AuraParams};
use cumulus_client_service::{
	build_network, build_relay_chain_interface, prepare_node_config, start_relay_chain_tasks,
	BuildNetworkParams, DARecoveryProfile, StartRelayChainTasksParams,
};
use cumulus_primitives_core::{relay_chain::ValidationCode, GetParachainInfo, ParaId};
use cumulus_relay_chain_interface::{OverseerHandle, RelayChainInterface};
use polkadot_primitives::CollatorPair;
use poq_primitives::{opaque::Block, Hash};
use sc_network::{
	config::FullNetworkConfiguration, service::traits::NetworkBlock, NetworkBackend, PeerId,
};
use sc_service::{Configuration, TaskManager};
use sc_telemetry::TelemetryHandle;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_keystore::KeystorePtr;
use std::{sync::Arc, time::Duration};

/// The block import of a parachain node: it keeps the blocks the relay chain has not included
/// yet from becoming best before they are.
type ParachainBlockImport =
	cumulus_client_consensus_common::ParachainBlockImport<Block, Arc<FullClient>, FullBackend>;

/// The network backend; the same as the `--dev` node's.
type Network = sc_network::Litep2pNetworkBackend;

/// Aura's key pair; the runtime's `AuraId` is its public key.
type AuraPair = sp_consensus_aura::sr25519::AuthorityPair;

/// Relay-chain slot, as the runtime's consensus hook has it.
const RELAY_CHAIN_SLOT_DURATION: Duration =
	Duration::from_millis(poq_primitives::RELAY_CHAIN_SLOT_DURATION_MILLIS as u64);

/// The time a collator gives itself to build a block.
const AUTHORING_DURATION: Duration = Duration::from_millis(2_000);

/// The parts of a parachain node: the shared [`ClientParts`], and the import that consensus and the
/// import queue share.
pub struct ParachainPartial {
	pub parts: ClientParts,
	pub import_queue: sc_consensus::DefaultImportQueue<Block>,
	pub block_import: ParachainBlockImport,
}

/// Builds the parts of a parachain node; its import queue checks Aura seals and equivocations.
pub fn new_parachain_partial(
	config: &Configuration,
) -> Result<ParachainPartial, sc_service::Error> {
	let parts = service::new_client_parts(config)?;
	let block_import = ParachainBlockImport::new(parts.client.clone(), parts.backend.clone());
	let import_queue =
		cumulus_client_consensus_aura::equivocation_import_queue::fully_verifying_import_queue::<
			AuraPair,
			_,
			_,
			_,
			_,
		>(
			parts.client.clone(),
			block_import.clone(),
			move |_, _| async move { Ok(sp_timestamp::InherentDataProvider::from_system_time()) },
			&parts.task_manager.spawn_essential_handle(),
			config.prometheus_registry(),
			parts.telemetry.as_ref().map(|t| t.handle()),
		);
	Ok(ParachainPartial { parts, import_queue, block_import })
}

/// Starts the parachain node beside its relay-chain node, whose logs are prefixed
/// `[Relaychain]` as these are `[Parachain]`. `hwbench` is the hardware benchmark it ran, if it
/// did: printed, checked against the reference hardware and sent to telemetry.
#[sc_tracing::logging::prefix_logs_with("Parachain")]
pub async fn start_node(
	parachain_config: Configuration,
	relay_chain_config: Configuration,
	collator_options: CollatorOptions,
	poq: crate::cli::PoqParams,
	hwbench: Option<sc_sysinfo::HwBench>,
) -> Result<TaskManager, sc_service::Error> {
	let parachain_config = prepare_node_config(parachain_config);
	let ParachainPartial {
		parts:
			ClientParts {
				client,
				backend,
				mut task_manager,
				keystore_container,
				transaction_pool,
				mut telemetry,
				telemetry_worker,
			},
		import_queue,
		block_import,
	} = new_parachain_partial(&parachain_config)?;

	let validator = parachain_config.role.is_authority();
	if let Some(hwbench) = &hwbench {
		sc_sysinfo::print_hwbench(hwbench);
		let reference = &frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE;
		if validator {
			if let Err(failures) = reference.check_hardware(hwbench, false) {
				log::warn!(
					target: "poq",
					"⚠️  This machine falls short of the reference hardware for a collator \
					 ({failures}): it may miss its slots"
				);
			}
		}
		if let Some(telemetry) = telemetry.as_ref() {
			task_manager.spawn_handle().spawn(
				"telemetry_hwbench",
				None,
				sc_sysinfo::initialize_hwbench_telemetry(telemetry.handle(), hwbench.clone()),
			);
		}
	}

	let para_id = client
		.runtime_api()
		.parachain_id(client.info().best_hash)
		.map_err(|e| sc_service::Error::Other(format!("reading the parachain id: {e}")))?;
	log::info!(target: "poq", "🪪 Parachain id {}", u32::from(para_id));

	let relay_chain_fork_id = relay_chain_config.chain_spec.fork_id().map(ToString::to_string);
	let (relay_chain_interface, collator_key, relay_chain_network, paranode_requests) =
		build_relay_chain_interface(
			relay_chain_config,
			&parachain_config,
			telemetry_worker,
			&mut task_manager,
			collator_options.clone(),
			hwbench,
		)
		.await
		.map_err(|e| sc_service::Error::Application(Box::new(e)))?;

	let prometheus_registry = parachain_config.prometheus_registry().cloned();
	let import_queue_service = sc_consensus::ImportQueue::service(&import_queue);
	let net_config = FullNetworkConfiguration::<_, _, Network>::new(
		&parachain_config.network,
		prometheus_registry.clone(),
	);
	let metrics = <Network as NetworkBackend<Block, Hash>>::register_notification_metrics(
		prometheus_registry.as_ref(),
	);
	let (network, system_rpc_tx, tx_handler_controller, sync_service, _) =
		build_network(BuildNetworkParams {
			parachain_config: &parachain_config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			para_id,
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			relay_chain_interface: relay_chain_interface.clone(),
			import_queue,
			metrics,
			gap_sync_body_policy: None,
		})
		.await?;

	let keystore = keystore_container.keystore();
	let scorers = service::load_scorers(
		&poq,
		parachain_config.base_path.path(),
		&keystore,
		prometheus_registry.as_ref(),
	)?;
	service::spawn_offchain_workers(
		&parachain_config,
		&task_manager,
		&client,
		&backend,
		&transaction_pool,
		&keystore,
		network.clone(),
		scorers,
		crate::appeal::load(&poq).map_err(sc_service::Error::Other)?,
	)?;

	let parachain_public_addresses = parachain_config.network.public_addresses.clone();
	let parachain_fork_id = parachain_config.chain_spec.fork_id().map(ToString::to_string);
	let advertise_non_global_ips = parachain_config.network.allow_non_globals_in_dht;
	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		rpc_builder: service::rpc_builder(&client, &transaction_pool),
		client: client.clone(),
		transaction_pool: transaction_pool.clone(),
		task_manager: &mut task_manager,
		config: parachain_config,
		keystore: keystore.clone(),
		backend: backend.clone(),
		network: network.clone(),
		sync_service: sync_service.clone(),
		system_rpc_tx,
		tx_handler_controller,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	let announce_block = {
		let sync_service = sync_service.clone();
		Arc::new(move |hash, data| sync_service.announce_block(hash, data))
	};
	let overseer_handle = relay_chain_interface
		.overseer_handle()
		.map_err(|e| sc_service::Error::Application(Box::new(e)))?;

	start_relay_chain_tasks(StartRelayChainTasksParams {
		client: client.clone(),
		announce_block: announce_block.clone(),
		para_id,
		relay_chain_interface: relay_chain_interface.clone(),
		task_manager: &mut task_manager,
		da_recovery_profile: if validator {
			DARecoveryProfile::Collator
		} else {
			DARecoveryProfile::FullNode
		},
		import_queue: import_queue_service,
		relay_chain_slot_duration: RELAY_CHAIN_SLOT_DURATION,
		recovery_handle: Box::new(overseer_handle.clone()),
		sync_service,
		prometheus_registry: prometheus_registry.as_ref(),
	})?;

	cumulus_client_bootnodes::start_bootnode_tasks(
		cumulus_client_bootnodes::StartBootnodeTasksParams {
			embedded_dht_bootnode: collator_options.embedded_dht_bootnode,
			dht_bootnode_discovery: collator_options.dht_bootnode_discovery,
			para_id,
			task_manager: &mut task_manager,
			relay_chain_interface: relay_chain_interface.clone(),
			relay_chain_fork_id,
			relay_chain_network: relay_chain_network.clone(),
			request_receiver: paranode_requests,
			parachain_network: network,
			advertise_non_global_ips,
			parachain_genesis_hash: client.info().genesis_hash.encode(),
			parachain_fork_id,
			parachain_public_addresses,
		},
	);

	if validator {
		let collator_key = collator_key.ok_or_else(|| {
			sc_service::Error::Other("a collator needs the relay chain's collator key".into())
		})?;
		start_consensus(Consensus {
			client,
			backend,
			block_import,
			prometheus_registry: prometheus_registry.as_ref(),
			telemetry: telemetry.as_ref().map(|t| t.handle()),
			task_manager: &task_manager,
			relay_chain_interface,
			transaction_pool,
			keystore,
			para_id,
			collator_key,
			collator_peer_id: relay_chain_network.local_peer_id(),
			overseer_handle,
			announce_block,
		});
	}

	Ok(task_manager)
}

/// What the collator needs to author blocks.
struct Consensus<'a> {
	client: Arc<FullClient>,
	backend: Arc<FullBackend>,
	block_import: ParachainBlockImport,
	prometheus_registry: Option<&'a substrate_prometheus_endpoint::Registry>,
	telemetry: Option<TelemetryHandle>,
	task_manager: &'a TaskManager,
	relay_chain_interface: Arc<dyn RelayChainInterface>,
	transaction_pool: Arc<TransactionPool>,
	keystore: KeystorePtr,
	para_id: ParaId,
	collator_key: CollatorPair,
	collator_peer_id: PeerId,
	overseer_handle: OverseerHandle,
	announce_block: Arc<dyn Fn(Hash, Option<Vec<u8>>) + Send + Sync>,
}

/// Runs Aura's lookahead collator: it builds on parachain blocks the relay chain has not
/// included yet (asynchronous backing), up to the runtime's unincluded-segment capacity.
fn start_consensus(c: Consensus) {
	let proposer = sc_basic_authorship::ProposerFactory::new(
		c.task_manager.spawn_handle(),
		c.client.clone(),
		c.transaction_pool,
		c.prometheus_registry,
		c.telemetry,
	);
	let collator_service =
		CollatorService::new(c.client.clone(), c.announce_block, c.client.clone());
	let code_hash_provider = {
		let client = c.client.clone();
		move |block_hash| client.code_at(block_hash).ok().map(|c| ValidationCode::from(c).hash())
	};
	let params = AuraParams {
		// The collator sets the timestamp, the slot and the relay-chain data itself.
		create_inherent_data_providers: move |_, ()| async move { Ok(()) },
		block_import: c.block_import,
		para_client: c.client,
		para_backend: c.backend,
		relay_client: c.relay_chain_interface,
		code_hash_provider,
		keystore: c.keystore,
		collator_key: c.collator_key,
		collator_peer_id: c.collator_peer_id,
		para_id: c.para_id,
		overseer_handle: c.overseer_handle,
		relay_chain_slot_duration: RELAY_CHAIN_SLOT_DURATION,
		proposer,
		collator_service,
		authoring_duration: AUTHORING_DURATION,
		reinitialize: false,
		max_pov_percentage: None,
	};
	c.task_manager.spawn_essential_handle().spawn(
		"aura",
		None,
		aura::run::<Block, AuraPair, _, _, _, _, _, _, _, _>(params),
	);
}
