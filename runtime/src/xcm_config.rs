//! Messages from the relay chain (DMP) and from sibling parachains (XCMP): queued by
//! `pallet-message-queue`, executed by the XCM executor, never dropped unseen.
//!
//! Every inbound message lands in `MessageQueue` under its origin (`Parent` or `Sibling(id)`)
//! and is executed in a later `on_initialize` within `MessageQueueServiceWeight` (and in
//! `on_idle` with what the block leaves); each one ends in an event: `Processed { success }`
//! (`false` when the barrier refused it or an instruction failed), `ProcessingFailed`
//! (undecodable, an unsupported version) or `OverweightEnqueued` (kept for
//! `execute_overweight`).
//!
//! What a message may do:
//! - **The relay chain** (and its executive body) executes without paying, and its
//!   `Transact` with `OriginKind::Superuser` dispatches as root: relay-chain governance can
//!   already replace this chain's code, so it gains nothing new.
//! - **Anyone else** executes only by paying for it in this chain's own token (`Here`) from the
//!   account its location converts to (a sibling's sovereign account, an `AccountId32`).
//! - No asset is recognised as a reserve or a teleport: the chain holds no foreign assets.
//!
//! `pallet-xcm` is not in the runtime, so accounts cannot send XCM and versions are not
//! negotiated: replies and outbound messages use the current XCM version. The chain neither
//! requests nor accepts HRMP channels itself: relay-chain governance opens them. Assets left in
//! holding when a message fails are not trapped for a later claim: they are lost, so a sender
//! should end its message with `RefundSurplus` and `DepositAsset` and check its beneficiary.

use crate::*;
use core::marker::PhantomData;
use cumulus_primitives_core::{AggregateMessageOrigin, ParaId};
use frame_support::{
	parameter_types,
	traits::{
		ConstU32, Contains, EnqueueWithOrigin, Everything, Nothing, QueueFootprint,
		QueuePausedQuery,
	},
};
use pallet_message_queue::OnQueueChanged;
use polkadot_parachain_primitives::primitives::Sibling;
use polkadot_runtime_common::xcm_sender::NoPriceForMessageDelivery;
use sp_runtime::traits::Convert;
use xcm::latest::prelude::*;
use xcm_builder::{
	AccountId32Aliases, AllowExplicitUnpaidExecutionFrom, AllowTopLevelPaidExecutionFrom,
	DenyRecursively, DenyReserveTransferToRelayChain, DenyThenTry, FixedWeightBounds,
	FrameTransactionalProcessor, FungibleAdapter, IsConcrete, ParentAsSuperuser, ParentIsPreset,
	RelayChainAsNative, SiblingParachainAsNative, SiblingParachainConvertsVia,
	SignedAccountId32AsNative, SovereignSignedViaLocation, TakeWeightCredit, TrailingSetTopicAsId,
	UsingComponents, WithComputedOrigin, WithUniqueTopic,
};
use xcm_executor::XcmExecutor;

parameter_types! {
	pub const RelayLocation: Location = Location::parent();
	/// This chain's own token, as XCM names it from here.
	pub const HereLocation: Location = Location::here();
	pub const RelayNetwork: Option<NetworkId> = None;
	pub RelayChainOrigin: RuntimeOrigin = cumulus_pallet_xcm::Origin::Relay.into();
	pub UniversalLocation: InteriorLocation =
		Parachain(ParachainInfo::parachain_id().into()).into();
	/// Where the relay chain's downward messages queue.
	pub const RelayOrigin: AggregateMessageOrigin = AggregateMessageOrigin::Parent;
	/// An instruction is weighed at a conservative 1 ms and 64 KiB of proof until the XCM
	/// instructions are benchmarked for this runtime.
	pub UnitWeightCost: Weight = Weight::from_parts(1_000_000_000, 64 * 1024);
	pub const MaxInstructions: u32 = 100;
	pub const MaxAssetsIntoHolding: u32 = 64;
	/// Queued messages may use a tenth of each block before the chain's own hooks (this weight
	/// is mandatory, so no fee rises with it), and what the block leaves, up to a third, after.
	pub MessageQueueServiceWeight: Weight =
		Perbill::from_percent(10) * configs::RuntimeBlockWeights::get().max_block;
	pub MessageQueueIdleServiceWeight: Weight =
		Perbill::from_percent(35) * configs::RuntimeBlockWeights::get().max_block;
}

/// The account a location controls here: the relay chain's and siblings' sovereign accounts,
/// and plain 32-byte accounts.
pub type LocationToAccountId = (
	ParentIsPreset<AccountId>,
	SiblingParachainConvertsVia<Sibling, AccountId>,
	AccountId32Aliases<RelayNetwork, AccountId>,
);

/// The chain's own token, moved by XCM between the accounts above.
pub type LocalAssetTransactor =
	FungibleAdapter<Balances, IsConcrete<HereLocation>, LocationToAccountId, AccountId, ()>;

/// The origin a `Transact` dispatches with.
pub type XcmOriginToTransactDispatchOrigin = (
	SovereignSignedViaLocation<LocationToAccountId, RuntimeOrigin>,
	RelayChainAsNative<RelayChainOrigin, RuntimeOrigin>,
	SiblingParachainAsNative<cumulus_pallet_xcm::Origin, RuntimeOrigin>,
	ParentAsSuperuser<RuntimeOrigin>,
	SignedAccountId32AsNative<RelayNetwork, RuntimeOrigin>,
);

/// The relay chain itself, or its executive body.
pub struct ParentOrParentsExecutivePlurality;
impl Contains<Location> for ParentOrParentsExecutivePlurality {
	fn contains(location: &Location) -> bool {
		matches!(location.unpack(), (1, []) | (1, [Plurality { id: BodyId::Executive, .. }]))
	}
}

/// Which messages execute at all (see the module's documentation).
pub type Barrier = TrailingSetTopicAsId<
	DenyThenTry<
		DenyRecursively<DenyReserveTransferToRelayChain>,
		(
			TakeWeightCredit,
			WithComputedOrigin<
				(
					AllowTopLevelPaidExecutionFrom<Everything>,
					AllowExplicitUnpaidExecutionFrom<ParentOrParentsExecutivePlurality>,
				),
				UniversalLocation,
				ConstU32<8>,
			>,
		),
	>,
>;

/// Outbound messages: up to the relay chain by UMP, across to siblings by XCMP.
pub type XcmRouter =
	WithUniqueTopic<(cumulus_primitives_utility::ParentAsUmp<ParachainSystem, (), ()>, XcmpQueue)>;

pub struct XcmConfig;
impl xcm_executor::Config for XcmConfig {
	type RuntimeCall = RuntimeCall;
	type XcmSender = XcmRouter;
	type XcmEventEmitter = ();
	type AssetTransactor = LocalAssetTransactor;
	type OriginConverter = XcmOriginToTransactDispatchOrigin;
	type IsReserve = ();
	type IsTeleporter = ();
	type UniversalLocation = UniversalLocation;
	type Barrier = Barrier;
	type Weigher = FixedWeightBounds<UnitWeightCost, RuntimeCall, MaxInstructions>;
	// Execution fees are burned, as transaction fees are.
	type Trader = UsingComponents<WeightToFee, HereLocation, AccountId, Balances, ()>;
	type ResponseHandler = ();
	type AssetTrap = ();
	type AssetLocker = ();
	type AssetExchanger = ();
	type SubscriptionService = ();
	type PalletInstancesInfo = AllPalletsWithSystem;
	type MaxAssetsIntoHolding = MaxAssetsIntoHolding;
	type FeeManager = ();
	type MessageExporter = ();
	type UniversalAliases = Nothing;
	type CallDispatcher = RuntimeCall;
	type SafeCallFilter = Everything;
	type Aliasers = Nothing;
	type TransactionalProcessor = FrameTransactionalProcessor;
	type HrmpNewChannelOpenRequestHandler = ();
	type HrmpChannelAcceptedHandler = ();
	type HrmpChannelClosingHandler = ();
	type XcmRecorder = ();
}

impl cumulus_pallet_xcm::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type XcmExecutor = XcmExecutor<XcmConfig>;
}

/// Downward messages go to the message queue under the relay chain's origin.
pub type DmpQueue = EnqueueWithOrigin<MessageQueue, RelayOrigin>;

impl pallet_message_queue::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = crate::weights::pallet_message_queue::WeightInfo<Runtime>;
	// The benchmarks measure the queue, not what a message does.
	#[cfg(feature = "runtime-benchmarks")]
	type MessageProcessor =
		pallet_message_queue::mock_helpers::NoopMessageProcessor<AggregateMessageOrigin>;
	#[cfg(not(feature = "runtime-benchmarks"))]
	type MessageProcessor =
		xcm_builder::ProcessXcmMessage<AggregateMessageOrigin, XcmExecutor<XcmConfig>, RuntimeCall>;
	type Size = u32;
	type QueueChangeHandler = NarrowOriginToSibling<XcmpQueue>;
	type QueuePausedQuery = NarrowOriginToSibling<XcmpQueue>;
	type HeapSize = ConstU32<{ 103 * 1024 }>;
	type MaxStale = ConstU32<8>;
	type ServiceWeight = MessageQueueServiceWeight;
	type IdleMaxServiceWeight = MessageQueueIdleServiceWeight;
}

impl cumulus_pallet_xcmp_queue::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ChannelInfo = ParachainSystem;
	type VersionWrapper = ();
	type XcmpQueue = frame_support::traits::TransformOrigin<
		MessageQueue,
		AggregateMessageOrigin,
		ParaId,
		ParaIdToSibling,
	>;
	type MaxInboundSuspended = ConstU32<1_000>;
	type MaxActiveOutboundChannels = ConstU32<128>;
	type MaxPageSize = ConstU32<{ 1 << 16 }>;
	type ControllerOrigin = configs::TechnicalCommitteeOrigin;
	type ControllerOriginConverter = XcmOriginToTransactDispatchOrigin;
	type WeightInfo = crate::weights::cumulus_pallet_xcmp_queue::WeightInfo<Runtime>;
	type PriceForSiblingDelivery = NoPriceForMessageDelivery<ParaId>;
}

/// A sibling's queue, as the message queue names it.
pub struct ParaIdToSibling;
impl Convert<ParaId, AggregateMessageOrigin> for ParaIdToSibling {
	fn convert(para_id: ParaId) -> AggregateMessageOrigin {
		AggregateMessageOrigin::Sibling(para_id)
	}
}

/// The XCMP queue suspends and watches siblings' queues only; the relay chain's and this
/// chain's own are never paused.
pub struct NarrowOriginToSibling<Inner>(PhantomData<Inner>);
impl<Inner: QueuePausedQuery<ParaId>> QueuePausedQuery<AggregateMessageOrigin>
	for NarrowOriginToSibling<Inner>
{
	fn is_paused(origin: &AggregateMessageOrigin) -> bool {
		match origin {
			AggregateMessageOrigin::Sibling(id) => Inner::is_paused(id),
			_ => false,
		}
	}
}
impl<Inner: OnQueueChanged<ParaId>> OnQueueChanged<AggregateMessageOrigin>
	for NarrowOriginToSibling<Inner>
{
	fn on_queue_changed(origin: AggregateMessageOrigin, footprint: QueueFootprint) {
		if let AggregateMessageOrigin::Sibling(id) = origin {
			Inner::on_queue_changed(id, footprint)
		}
	}
}
