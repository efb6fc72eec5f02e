//! Configuration of every pallet of the runtime.

use crate::*;
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{
		fungible::HoldConsideration, ConstBool, ConstU16, ConstU32, ConstU64, ConstU8,
		EitherOfDiverse, LinearStoragePrice, VariantCountOf,
	},
	weights::{constants::ParityDbWeight, ConstantMultiplier},
	PalletId,
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureRoot,
};
use pallet_transaction_payment::Multiplier;
use sp_runtime::{traits::Bounded, FixedPointNumber, Perquintill};

parameter_types! {
	pub const Version: RuntimeVersion = VERSION;
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::builder()
		.base_block(crate::weights::BlockExecutionWeight::get())
		.for_class(DispatchClass::all(), |weights| {
			weights.base_extrinsic = crate::weights::ExtrinsicBaseWeight::get();
		})
		.for_class(DispatchClass::Normal, |weights| {
			weights.max_total = Some(NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
		})
		.for_class(DispatchClass::Operational, |weights| {
			weights.max_total = Some(MAXIMUM_BLOCK_WEIGHT);
			weights.reserved = Some(MAXIMUM_BLOCK_WEIGHT - NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
		})
		.avg_block_initialization(AVERAGE_ON_INITIALIZE_RATIO)
		.build_or_panic();
}

#[derive_impl(frame_system::config_preludes::ParaChainDefaultConfig)]
impl frame_system::Config for Runtime {
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type Block = Block;
	type BlockHashCount = ConstU32<256>;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	// The node stores its state in ParityDB.
	type DbWeight = ParityDbWeight;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type SS58Prefix = ConstU16<42>;
	type OnSetCode = cumulus_pallet_parachain_system::ParachainSetCode<Self>;
	type MaxConsumers = ConstU32<16>;
	type SystemWeightInfo = crate::weights::frame_system::WeightInfo<Runtime>;
	type ExtensionsWeightInfo = crate::weights::frame_system_extensions::WeightInfo<Runtime>;
}

impl cumulus_pallet_weight_reclaim::Config for Runtime {
	type WeightInfo = crate::weights::cumulus_pallet_weight_reclaim::WeightInfo<Runtime>;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<0>;
	type WeightInfo = crate::weights::pallet_timestamp::WeightInfo<Runtime>;
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
	type EventHandler = (CollatorSelection,);
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = crate::weights::pallet_balances::WeightInfo<Runtime>;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

use frame_support::traits::ConstU128;

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = pallet_transaction_payment::FungibleAdapter<Balances, ()>;
	type WeightToFee = WeightToFee;
	type LengthToFee = ConstantMultiplier<Balance, ConstU128<{ 10 * MICRO_UNIT }>>;
	type FeeMultiplierUpdate = SlowAdjustingFeeUpdate;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightInfo = crate::weights::pallet_transaction_payment::WeightInfo<Runtime>;
}

impl pallet_skip_feeless_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
}

parameter_types! {
	/// Blocks fuller than this raise the fee multiplier, emptier ones lower it.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast the multiplier moves: by up to about 30 % a day of full blocks, as Polkadot's.
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	/// Fees never fall below a tenth of the weight fee.
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

/// Fees rise while blocks are fuller than `TargetBlockFullness` and fall while they are emptier
/// (Polkadot's `SlowAdjustingFeeUpdate`), so a flood of ordinary transactions pays more and more.
/// Valid committee and node work pays no fee at all (`pallet_poq::work`).
pub type SlowAdjustingFeeUpdate = pallet_transaction_payment::TargetedFeeAdjustment<
	Runtime,
	TargetBlockFullness,
	AdjustmentVariable,
	MinimumMultiplier,
	MaximumMultiplier,
>;

/// Sudo holds root on the development and local-testnet presets only; the production preset
/// has no key, and root is the technical committee's through the whitelist.
impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = crate::weights::pallet_sudo::WeightInfo<Runtime>;
}

/// The technical committee's instance of `pallet_collective`.
pub type TechnicalCollective = pallet_collective::Instance1;

/// Root, or two thirds of the technical committee: who may change the quality model, the
/// collator set and the committee itself, and (through the whitelist) dispatch as root, for a
/// runtime upgrade.
pub type TechnicalCommitteeOrigin = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionAtLeast<AccountId, TechnicalCollective, 2, 3>,
>;

parameter_types! {
	/// A motion is open for votes this long.
	pub const TechnicalMotionDuration: BlockNumber = 3 * DAYS;
	/// A motion may dispatch at most half a block.
	pub MaxProposalWeight: Weight = Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

impl pallet_collective::Config<TechnicalCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = TechnicalMotionDuration;
	type MaxProposals = ConstU32<32>;
	type MaxMembers = ConstU32<16>;
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = crate::weights::pallet_collective::WeightInfo<Runtime>;
	type SetMembersOrigin = TechnicalCommitteeOrigin;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	type Consideration = ();
}

parameter_types! {
	pub const PreimageBaseDeposit: Balance = UNIT;
	pub const PreimageByteDeposit: Balance = 10 * MICRO_UNIT;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

/// Calls noted for the whitelist, with a deposit held for their bytes.
impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = crate::weights::pallet_preimage::WeightInfo<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

/// Root for the technical committee: a motion whitelists a call's hash, a second dispatches
/// the call as root (a runtime upgrade: `system.authorize_upgrade`).
impl pallet_whitelist::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WhitelistOrigin = TechnicalCommitteeOrigin;
	type DispatchWhitelistedOrigin = TechnicalCommitteeOrigin;
	type Preimages = Preimage;
	type DeferredDispatchExpiration = ConstU32<{ 7 * DAYS }>;
	type BlockNumberProvider = System;
	type WeightInfo = crate::weights::pallet_whitelist::WeightInfo<Runtime>;
}

parameter_types! {
	pub const ReservedXcmpWeight: Weight = MAXIMUM_BLOCK_WEIGHT.saturating_div(4);
	pub const ReservedDmpWeight: Weight = MAXIMUM_BLOCK_WEIGHT.saturating_div(4);
}

impl cumulus_pallet_parachain_system::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnSystemEvent = RelayRandomness;
	type SelfParaId = parachain_info::Pallet<Runtime>;
	// Messages in and out: `xcm_config`.
	type OutboundXcmpMessageSource = XcmpQueue;
	type DmpQueue = crate::xcm_config::DmpQueue;
	type ReservedDmpWeight = ReservedDmpWeight;
	type XcmpMessageHandler = XcmpQueue;
	type ReservedXcmpWeight = ReservedXcmpWeight;
	type CheckAssociatedRelayNumber =
		cumulus_pallet_parachain_system::RelayNumberMonotonicallyIncreases;
	type WeightInfo = crate::weights::cumulus_pallet_parachain_system::WeightInfo<Runtime>;
	type ConsensusHook = ConsensusHook;
	type RelayParentOffset = ConstU32<0>;
	type SchedulingSignatureVerifier = ();
}

impl parachain_info::Config for Runtime {}

impl cumulus_pallet_aura_ext::Config for Runtime {}

parameter_types! {
	pub const Period: u32 = 6 * HOURS;
	pub const Offset: u32 = 0;
	pub const PotId: PalletId = PalletId(*b"PotStake");
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	type ShouldEndSession = pallet_session::PeriodicSessions<Period, Offset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<Period, Offset>;
	type SessionManager = CollatorSelection;
	type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = crate::weights::pallet_session::WeightInfo<Runtime>;
	type Currency = Balances;
	type KeyDeposit = ();
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<100_000>;
	type AllowMultipleBlocksPerSlot = ConstBool<true>;
	type SlotDuration = ConstU64<SLOT_DURATION>;
}

impl pallet_collator_selection::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type UpdateOrigin = TechnicalCommitteeOrigin;
	type PotId = PotId;
	type MaxCandidates = ConstU32<100>;
	type MinEligibleCollators = ConstU32<1>;
	type MaxInvulnerables = ConstU32<20>;
	type KickThreshold = Period;
	type ValidatorId = AccountId;
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	type ValidatorRegistration = Session;
	type WeightInfo = crate::weights::pallet_collator_selection::WeightInfo<Runtime>;
}

/// Relay-chain BABE randomness from the relay-state proof (see `pallet-relay-randomness` for
/// what it protects against and what it does not).
impl pallet_relay_randomness::Config for Runtime {}

parameter_types! {
	pub const ValidatorShare: Perbill = Perbill::from_percent(20);
	/// A lie costs half the request's fee a seat when that is more than `Penalty`: a seat pays
	/// 1.33 % of it (`ValidatorShare` over fifteen seats), so a lazy member must be in consensus
	/// on more than 97 % of its seats to profit, at any fee (`docs/economics.md`, weakness 1).
	pub const PenaltyShare: Perbill = Perbill::from_percent(50);
	pub const UnvouchedShare: Perbill = Perbill::from_percent(50);
}

impl pallet_poq::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = RelayRandomness;
	type OnSlash = ();
	type OnSlotFee = ();
	type ModelOrigin = TechnicalCommitteeOrigin;
	type WeightInfo = pallet_poq::weights::SubstrateWeight<Runtime>;
	type AuthorityId = pallet_poq::crypto::PoqAuthId;
	type MinBond = ConstU128<{ 100 * UNIT }>;
	// What the 36 work transactions of a request with the longest answers and a committee whose
	// every seat is a different member would cost at the base fee (300.4 mUNIT,
	// `scripts/load.mjs`): work is free, so the fee pays for what it makes the chain carry.
	type MinFee = ConstU128<{ 310 * MILLI_UNIT }>;
	// 5 mUNIT on an empty chain, 40 at half of `MaxLiveRequests`, 320 for the last slot:
	// holding half the slots for an hour costs about 860 UNIT (`docs/economics.md`).
	type SlotFee = ConstU128<{ 5 * MILLI_UNIT }>;
	// `PenaltyShare` of it is `MinBond`.
	type MaxFee = ConstU128<{ 200 * UNIT }>;
	type MaxPromptLen = ConstU32<4096>;
	type MaxOutputLen = ConstU32<8192>;
	type NodesPerRequest = ConstU32<3>;
	// Seats drawn in proportion to stake: a coalition holding a fifth of the stake, split as it
	// likes, holds a majority of at most 0.42 % of committees of 15 (the binomial bound it meets
	// when split over many small accounts; held whole, never). A third holds one of 8.8 %, which
	// committee size alone would need 51 seats to bring under 1 % (`docs/economics.md`).
	type CommitteeSize = ConstU32<15>;
	type MaxPoolSize = ConstU32<256>;
	type MaxWorkItems = ConstU32<128>;
	// A request lives about 22 blocks from submission to settlement at 6-second blocks (its
	// dispute window included): 93 a block keep 2 048 live.
	type MaxLiveRequests = ConstU32<2048>;
	// Two draws per request: 100 requests a block need 200 deadlines a block.
	type MaxHookItemsPerBlock = ConstU32<256>;
	type ResponseWindow = ConstU32<10>;
	type CommitWindow = ConstU32<5>;
	type RevealWindow = ConstU32<5>;
	// Long enough for the requests an account sits on to end and slash it, and for governance
	// to see what it did.
	type UnbondingPeriod = ConstU32<{ 7 * DAYS }>;
	type RetainFinished = ConstU32<600>;
	// Honest members agree exactly: the default model's scores are the same bits on every CPU
	// and at every thread count (docs/DESIGN.md, Precision), so any deviation is a lie, and a
	// committee cannot shade its scores unseen (docs/economics.md, Shading).
	type Tolerance = ConstU16<0>;
	type MinQuality = ConstU16<2_000>;
	type ValidatorShare = ValidatorShare;
	type Penalty = ConstU128<{ 10 * UNIT }>;
	type PenaltyShare = PenaltyShare;
	type NodePenalty = ConstU128<{ 10 * UNIT }>;
	type AbsencePenalty = ConstU128<{ 2 * UNIT }>;
	// A committee that fails on revealed answers is drawn again twice, each time without the
	// members who stayed away; answers no committee vouched for are paid half the nodes' part.
	type MaxRedraws = ConstU32<2>;
	type UnvouchedShare = UnvouchedShare;
	type MaxStrikes = ConstU32<3>;
	// Half a minute at 6-second blocks for a client to read the answers and dispute; a request
	// then lives about 22 blocks at 100 a block (15 under protocol v3), so `MaxLiveRequests`
	// holds about 93 a block at steady state (README, "Throughput and fees").
	type DisputeWindow = ConstU32<5>;
	type DisputeDeposit = ConstU128<UNIT>;
	// The client's dispute to a jury of 31 seats, then one appeal to a jury of 63.
	type DisputeLevels = ConstU32<2>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = FreshRelayRandomness;
}

/// For the benchmarks' draws: relay randomness first seen in the current block, as a new relay
/// parent brings.
#[cfg(feature = "runtime-benchmarks")]
pub struct FreshRelayRandomness;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_poq::benchmarking::BenchmarkHelper for FreshRelayRandomness {
	fn refresh_randomness() {
		let now = frame_system::Pallet::<Runtime>::block_number();
		pallet_relay_randomness::BlockRandomness::<Runtime>::put(([7; 32], now));
	}
}

impl frame_system::offchain::SigningTypes for Runtime {
	type Public = <Signature as Verify>::Signer;
	type Signature = Signature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

/// The off-chain worker's commits and reveals: signed like any wallet's transaction (by the
/// operator key), free when valid (`pallet_poq::work`), and mortal for a few blocks, about a
/// phase's window, so a stale one drops out of the pool.
impl<C> frame_system::offchain::CreateSignedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		public: Self::Public,
		account: AccountId,
		nonce: Nonce,
	) -> Option<UncheckedExtrinsic> {
		use codec::Encode;
		use sp_runtime::{generic::Era, traits::StaticLookup, SaturatedConversion};
		const MORTALITY: u64 = 8;
		let current = System::block_number().saturated_into::<u64>().saturating_sub(1);
		let extension: TxExtension = (
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(Era::mortal(MORTALITY, current)),
			pallet_poq::CheckWork::<Runtime>::new(),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_skip_feeless_payment::SkipCheckIfFeeless::from(
				pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			),
		)
			.into();
		let payload = sp_runtime::generic::SignedPayload::new(call, extension).ok()?;
		let signature = payload.using_encoded(|bytes| A::sign(bytes, public))?;
		let (call, extension, _) = payload.deconstruct();
		let address = <Runtime as frame_system::Config>::Lookup::unlookup(account);
		Some(UncheckedExtrinsic::new_signed(call, address, signature, extension))
	}
}
