//! The Proof of Quality parachain runtime: cumulus with Aura, balances, fees, governance, the
//! collator pieces, the relay chain's and siblings' messages (`xcm_config`), and `Poq` at index 50.
//! The node's build script (`node/build.rs`) builds this crate's wasm blob; a native build of it,
//! as its tests use, builds no wasm.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` recurses deeply.
#![recursion_limit = "256"]

extern crate alloc;

// Before `apis`: it defines the `list_benchmarks!`/`add_benchmarks!` macros `apis` calls.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benches;
mod apis;
mod configs;
pub mod genesis;
pub mod weights;
pub mod xcm_config;

use alloc::vec::Vec;
use frame_support::weights::{
	constants::WEIGHT_REF_TIME_PER_SECOND, Weight, WeightToFeeCoefficient, WeightToFeeCoefficients,
	WeightToFeePolynomial,
};
use smallvec::smallvec;
use sp_runtime::{generic, impl_opaque_keys, traits::Verify, Perbill};
use sp_version::RuntimeVersion;

pub use apis::RuntimeApi;
pub use poq_primitives::{
	opaque, AccountId, AuraId, Balance, BlockNumber, Hash, Header, Nonce, Signature,
	RELAY_CHAIN_SLOT_DURATION_MILLIS,
};

pub type Address = sp_runtime::MultiAddress<AccountId, ()>;
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// What every signed transaction checks, with storage-proof weight reclaim around it.
pub type TxExtension = cumulus_pallet_weight_reclaim::StorageWeightReclaim<
	Runtime,
	(
		frame_system::CheckNonZeroSender<Runtime>,
		frame_system::CheckSpecVersion<Runtime>,
		frame_system::CheckTxVersion<Runtime>,
		frame_system::CheckGenesis<Runtime>,
		frame_system::CheckEra<Runtime>,
		// Before the nonce and the fee: committee and node work that is not valid is refused
		// with the pallet's named error, also when its signer (an operator key not yet named)
		// has no account for the nonce check to find.
		pallet_poq::CheckWork<Runtime>,
		frame_system::CheckNonce<Runtime>,
		frame_system::CheckWeight<Runtime>,
		pallet_skip_feeless_payment::SkipCheckIfFeeless<
			Runtime,
			pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
		>,
	),
>;
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// Storage migrations run on the next runtime upgrade; each is a no-op once its pallet's storage
/// version is past it.
pub type Migrations = (
	pallet_poq::migrations::v1::MigrateToV1<Runtime>,
	pallet_poq::migrations::v2::MigrateToV2<Runtime>,
	pallet_poq::migrations::v3::MigrateToV3<Runtime>,
	pallet_poq::migrations::v4::MigrateToV4<Runtime>,
	pallet_poq::migrations::v5::MigrateToV5<Runtime>,
	pallet_poq::migrations::v6::MigrateToV6<Runtime>,
);

pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

impl_opaque_keys! {
	pub struct SessionKeys {
		pub aura: Aura,
	}
}

#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("poq"),
	impl_name: alloc::borrow::Cow::Borrowed("poq"),
	authoring_version: 1,
	spec_version: 11,
	impl_version: 0,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 3,
	system_version: 1,
};

/// Six-second blocks: one per relay-chain slot.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

pub const UNIT: Balance = 1_000_000_000_000;
pub const MILLI_UNIT: Balance = 1_000_000_000;
pub const MICRO_UNIT: Balance = 1_000_000;
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// About 5% of a block goes to `on_initialize`, PoQ's deadlines among it.
const AVERAGE_ON_INITIALIZE_RATIO: Perbill = Perbill::from_percent(5);
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// Two seconds of compute per six-second block, and the relay chain's proof size.
const MAXIMUM_BLOCK_WEIGHT: Weight = Weight::from_parts(
	WEIGHT_REF_TIME_PER_SECOND.saturating_mul(2),
	cumulus_primitives_core::relay_chain::MAX_POV_SIZE as u64,
);

/// Async backing: blocks not yet included the runtime accepts, and blocks per relay parent.
const UNINCLUDED_SEGMENT_CAPACITY: u32 = 3;
const BLOCK_PROCESSING_VELOCITY: u32 = 1;

type ConsensusHook = cumulus_pallet_aura_ext::FixedVelocityConsensusHook<
	Runtime,
	RELAY_CHAIN_SLOT_DURATION_MILLIS,
	BLOCK_PROCESSING_VELOCITY,
	UNINCLUDED_SEGMENT_CAPACITY,
>;

/// Fees: the base extrinsic weight costs a tenth of a milli-unit.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		let p = MILLI_UNIT / 10;
		let q = 100 * Balance::from(weights::ExtrinsicBaseWeight::get().ref_time());
		smallvec![WeightToFeeCoefficient {
			degree: 1,
			negative: false,
			coeff_frac: Perbill::from_rational(p % q, q),
			coeff_integer: p / q,
		}]
	}
}

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type ParachainSystem = cumulus_pallet_parachain_system;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type ParachainInfo = parachain_info;
	#[runtime::pallet_index(4)]
	pub type WeightReclaim = cumulus_pallet_weight_reclaim;
	#[runtime::pallet_index(5)]
	pub type RelayRandomness = pallet_relay_randomness;

	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(12)]
	pub type SkipFeelessPayment = pallet_skip_feeless_payment;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(15)]
	pub type Sudo = pallet_sudo;
	#[runtime::pallet_index(16)]
	pub type TechnicalCommittee = pallet_collective<Instance1>;
	#[runtime::pallet_index(17)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(18)]
	pub type Whitelist = pallet_whitelist;

	// Collator support; the order matters: authorship, selection, session, aura.
	#[runtime::pallet_index(20)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(21)]
	pub type CollatorSelection = pallet_collator_selection;
	#[runtime::pallet_index(22)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(23)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(24)]
	pub type AuraExt = cumulus_pallet_aura_ext;

	// Messages from the relay chain and sibling parachains (`xcm_config`).
	#[runtime::pallet_index(30)]
	pub type XcmpQueue = cumulus_pallet_xcmp_queue;
	#[runtime::pallet_index(32)]
	pub type CumulusXcm = cumulus_pallet_xcm;
	#[runtime::pallet_index(33)]
	pub type MessageQueue = pallet_message_queue;

	#[runtime::pallet_index(50)]
	pub type Poq = pallet_poq;
}

cumulus_pallet_parachain_system::register_validate_block! {
	Runtime = Runtime,
	BlockExecutor = cumulus_pallet_aura_ext::BlockExecutor::<Runtime, Executive>,
}
