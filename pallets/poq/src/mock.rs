//! A test runtime: frame-system, pallet-balances and this pallet.

use crate as pallet_poq;
use codec::{Decode, Encode};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU16, ConstU32, ConstU64, Randomness},
};
use frame_system::offchain::{
	AppCrypto, CreateSignedTransaction, CreateTransactionBase, SigningTypes,
};
use frame_system::RunToBlockHooks;
use scale_info::TypeInfo;
use sp_core::{sr25519, H256};
use sp_runtime::{testing::TestXt, traits::IdentifyAccount, BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Poq: pallet_poq,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ConstU64<1>;
}

/// Deterministic randomness like a parachain's relay randomness: a new value in every block,
/// first known in the block before the current one (on a parachain, the inherent that brings
/// it runs after `on_initialize`), so draws differ per request and per block and tests replay
/// exactly. A test can hold it at an older block ([`RandomnessSeenAt`]), as when the relay
/// chain has not moved on.
pub struct TestRandomness;
impl Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let latest = System::block_number().saturating_sub(1);
		let seen = RandomnessSeenAt::get().map_or(latest, |held| held.min(latest));
		(H256(sp_io::hashing::blake2_256(&(subject, seen).encode())), seen)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_poq::benchmarking::BenchmarkHelper for TestRandomness {
	fn refresh_randomness() {
		// What the current block's source would report to the next block.
		RandomnessSeenAt::set(&None);
	}
}

parameter_types! {
	pub const ValidatorShare: Perbill = Perbill::from_percent(20);
	/// Small, so that at the tests' usual fees the floor, `PENALTY`, applies.
	pub const PenaltyShare: Perbill = Perbill::from_percent(2);
	/// `MaxHookItemsPerBlock`, which scheduling tests lower.
	pub storage HookItems: u32 = HOOK_ITEMS;
	/// Holds the randomness at the value first known in this block, when set.
	pub storage RandomnessSeenAt: Option<u64> = None;
	/// `SlotFee`: none, so that a client's balance moves by its fee only, except in the tests
	/// of the slot's price.
	pub storage SlotFee: Balance = 0;
	/// `DisputeWindow`: none, so that a request settles as its committee ends it, except in the
	/// tests of disputes.
	pub storage DisputeWindow: u64 = 0;
	/// `DisputeLevels`: one jury, whose finding is final, except in the tests of appeals.
	pub storage DisputeLevels: u32 = 1;
	/// `MaxRedraws` and `UnvouchedShare`: none, so that a failed committee ends its request
	/// with the fee back, except in the tests of redraws.
	pub storage MaxRedraws: u32 = 0;
	pub storage UnvouchedShare: Perbill = Perbill::zero();
	/// `CommitteeSize`: `COMMITTEE` seats, one for each of the equally bonded `VALIDATORS`,
	/// except in the tests of seats held in proportion to stake.
	pub storage CommitteeSeats: u32 = COMMITTEE;
}

pub const MIN_BOND: Balance = 100;
pub const MIN_FEE: Balance = 10;
/// `PenaltyShare` (2 %) of it is `MIN_BOND`.
pub const MAX_FEE: Balance = 5_000;
pub const PENALTY: Balance = 50;
pub const NODE_PENALTY: Balance = 40;
pub const ABSENCE_PENALTY: Balance = 20;
pub const MAX_STRIKES: u32 = 3;
pub const MAX_PROMPT: u32 = 64;
pub const MAX_OUTPUT: u32 = 128;
pub const NODES_PER_REQUEST: u32 = 2;
pub const COMMITTEE: u32 = 3;
pub const MAX_POOL: u32 = 16;
pub const MAX_WORK: u32 = 8;
pub const MAX_LIVE: u32 = 8;
pub const HOOK_ITEMS: u32 = 4;
pub const WINDOW: u64 = 5;
pub const UNBONDING: u64 = 10;
pub const RETAIN: u64 = 20;
pub const TOLERANCE: u16 = 1_000;
pub const MIN_QUALITY: u16 = 2_000;
pub const DISPUTE_DEPOSIT: Balance = 100;

/// A `poq!` key standing for the `u64` account made of its first 8 bytes (little-endian), so the
/// off-chain worker signs with real sr25519 keys from a keystore in a runtime of `u64` accounts.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Encode, Decode, TypeInfo)]
pub struct TestSigner(pub sr25519::Public);

impl IdentifyAccount for TestSigner {
	type AccountId = AccountId;
	fn into_account(self) -> AccountId {
		AccountId::from_le_bytes(self.0 .0[..8].try_into().expect("a public key has 32 bytes"))
	}
}

impl From<sr25519::Public> for TestSigner {
	fn from(public: sr25519::Public) -> Self {
		Self(public)
	}
}

impl From<TestSigner> for sr25519::Public {
	fn from(signer: TestSigner) -> Self {
		signer.0
	}
}

impl AppCrypto<TestSigner, sr25519::Signature> for pallet_poq::crypto::PoqAuthId {
	type RuntimeAppPublic = pallet_poq::crypto::Public;
	type GenericPublic = sr25519::Public;
	type GenericSignature = sr25519::Signature;
}

impl SigningTypes for Test {
	type Public = TestSigner;
	type Signature = sr25519::Signature;
}

/// A transaction the off-chain worker sent: the call and its signer.
pub type Extrinsic = TestXt<RuntimeCall, ()>;

impl<C> CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> CreateSignedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<A: AppCrypto<TestSigner, sr25519::Signature>>(
		call: RuntimeCall,
		_public: TestSigner,
		account: AccountId,
		_nonce: u32,
	) -> Option<Extrinsic> {
		Some(Extrinsic::new_signed(call, account, (), ()))
	}
}

impl pallet_poq::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = TestRandomness;
	type OnSlash = ();
	type OnSlotFee = ();
	type SlotFee = SlotFee;
	type ModelOrigin = frame_system::EnsureRoot<AccountId>;
	type WeightInfo = ();
	type AuthorityId = pallet_poq::crypto::PoqAuthId;
	type MinBond = ConstU64<MIN_BOND>;
	type MinFee = ConstU64<MIN_FEE>;
	type MaxFee = ConstU64<MAX_FEE>;
	type MaxPromptLen = ConstU32<MAX_PROMPT>;
	type MaxOutputLen = ConstU32<MAX_OUTPUT>;
	type NodesPerRequest = ConstU32<NODES_PER_REQUEST>;
	type CommitteeSize = CommitteeSeats;
	type MaxPoolSize = ConstU32<MAX_POOL>;
	type MaxWorkItems = ConstU32<MAX_WORK>;
	type MaxLiveRequests = ConstU32<MAX_LIVE>;
	type MaxHookItemsPerBlock = HookItems;
	type ResponseWindow = ConstU64<WINDOW>;
	type CommitWindow = ConstU64<WINDOW>;
	type RevealWindow = ConstU64<WINDOW>;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type RetainFinished = ConstU64<RETAIN>;
	type Tolerance = ConstU16<TOLERANCE>;
	type MinQuality = ConstU16<MIN_QUALITY>;
	type ValidatorShare = ValidatorShare;
	type Penalty = ConstU64<PENALTY>;
	type PenaltyShare = PenaltyShare;
	type NodePenalty = ConstU64<NODE_PENALTY>;
	type AbsencePenalty = ConstU64<ABSENCE_PENALTY>;
	type MaxRedraws = MaxRedraws;
	type UnvouchedShare = UnvouchedShare;
	type MaxStrikes = ConstU32<MAX_STRIKES>;
	type DisputeWindow = DisputeWindow;
	type DisputeDeposit = ConstU64<DISPUTE_DEPOSIT>;
	type DisputeLevels = DisputeLevels;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestRandomness;
}

/// Clients.
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
/// The two genesis inference nodes: exactly `NODES_PER_REQUEST`, so both answer every request.
pub const NODES: [AccountId; 2] = [10, 11];
/// The three genesis validators: exactly `COMMITTEE`, so all sit on every committee.
pub const VALIDATORS: [AccountId; 3] = [20, 21, 22];
/// Funded, unregistered accounts.
pub const SPARE: [AccountId; 4] = [30, 31, 32, 33];
/// A poor account.
pub const PAUPER: AccountId = 99;

pub const FUNDS: Balance = 10_000;
pub const BOND: Balance = 1_000;
pub const MODEL: [u8; 32] = [7; 32];

pub struct ExtBuilder {
	validators: Vec<(AccountId, Balance)>,
	nodes: Vec<(AccountId, Balance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			validators: VALIDATORS.iter().map(|v| (*v, BOND)).collect(),
			nodes: NODES.iter().map(|n| (*n, BOND)).collect(),
		}
	}
}

impl ExtBuilder {
	pub fn validators(mut self, validators: Vec<(AccountId, Balance)>) -> Self {
		self.validators = validators;
		self
	}

	pub fn nodes(mut self, nodes: Vec<(AccountId, Balance)>) -> Self {
		self.nodes = nodes;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let mut funded: Vec<(AccountId, Balance)> = [ALICE, BOB]
			.into_iter()
			.chain(SPARE)
			.chain(self.validators.iter().map(|v| v.0))
			.chain(self.nodes.iter().map(|n| n.0))
			.map(|who| (who, FUNDS))
			.collect();
		funded.push((PAUPER, 20));
		funded.sort();
		funded.dedup();
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> { balances: funded, ..Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		pallet_poq::GenesisConfig::<Test> {
			quality_model: Some(MODEL),
			inference_nodes: self.nodes,
			validators: self.validators,
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Builds, with a keystore for keys made in the runtime (the benchmarks' operator keys) and
	/// a dispute window.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn build_with_keystore(self) -> sp_io::TestExternalities {
		let mut ext = self.build();
		let keystore = sp_keystore::testing::MemoryKeystore::new();
		ext.register_extension(sp_keystore::KeystoreExt::new(keystore));
		// The benchmarks measure the dispute paths too, appeals included.
		ext.execute_with(|| {
			DisputeWindow::set(&3);
			DisputeLevels::set(&2);
		});
		ext
	}

	/// Builds, runs `test`, then checks the invariants once more.
	pub fn execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Poq::do_try_state(System::block_number()).expect("invariants hold");
		})
	}
}

/// Runs blocks up to `n`, checking the pallet's invariants after every one.
pub fn run_to_block(n: u64) {
	System::run_to_block_with::<AllPalletsWithSystem>(
		n,
		RunToBlockHooks::default().after_finalize(|block| {
			Poq::do_try_state(block).expect("invariants hold after every block")
		}),
	);
}

/// Runs `blocks` more blocks.
pub fn advance(blocks: u64) {
	run_to_block(System::block_number() + blocks);
}

/// The pallet's events so far.
pub fn poq_events() -> Vec<pallet_poq::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Poq(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// An operator key made from `seed` (a secret URI such as `//Dave`) and its account.
pub fn operator_key(seed: &str) -> (sp_core::sr25519::Pair, AccountId) {
	use sp_core::Pair;
	let pair = sp_core::sr25519::Pair::from_string(seed, None).expect("a valid secret URI");
	let account = sp_runtime::traits::IdentifyAccount::into_account(TestSigner(pair.public()));
	(pair, account)
}

/// `key`'s consent to sign `who`'s work on this chain until block `until`.
pub fn consent(
	key: &sp_core::sr25519::Pair,
	who: AccountId,
	until: u64,
) -> pallet_poq::OperatorConsent<u64> {
	use sp_core::Pair;
	let genesis = System::block_hash(0);
	let signature = key.sign(&pallet_poq::operator_consent(&genesis, &who, &until));
	pallet_poq::OperatorConsent { key: key.public().into(), until, signature: signature.into() }
}
