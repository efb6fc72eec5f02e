//! # Proof of Quality pallet
//!
//! Clients buy generative-model inference without trusting the node that runs it. A request
//! escrows a fee and draws inference nodes (stake-weighted); they commit to their answers, then
//! reveal them. Then a validator committee is drawn, its seats in proportion to stake (an account
//! may hold several), scores every answer with a small quality model off chain, commits to the
//! scores and reveals them. Each answer's consensus score is the median of the reveals, one vote
//! per seat, standing only when the members near it hold a strict majority of the committee's
//! seats; the escrow pays the nodes by quality and the validators near consensus, the rest goes
//! back to the client, and members who committed and then did not reveal or revealed off
//! consensus lose part of their bond, as do nodes that committed to an answer and never revealed
//! it.
//!
//! A consensus that stood is provisional for `DisputeWindow` blocks, nothing paid or slashed
//! yet: any party to the request may `dispute` it, holding a deposit (its client, a committee
//! member a captured majority outvoted, a node whose good answer went unpaid). A jury of
//! `2 * CommitteeSize + 1` seats, drawn from the validators not on the committee, reruns the
//! committee's model through the same commit and reveal. If it contradicts the committee (a
//! member of its consensus is off the jury's, or an answer it paid scores below `MinQuality`),
//! the request settles by the jury's scores, the liars and the junk's nodes are penalised and
//! their penalties pay the jury, and the deposit comes back; otherwise the deposit pays the jury
//! ([`settlement::review`]).
//! Governance may pin an appeal judge (`set_appeal_judge`: a stronger model, such as an LLM
//! each validator serves behind an OpenAI-compatible endpoint): the jury then also grades every
//! answer with it, and an answer the committee paid that it grades below `MinQuality` is junk
//! even when the committee's model was fooled, without slashing the members who ran that model
//! faithfully. Below the last of `DisputeLevels` juries a jury's finding is provisional in turn:
//! the side it went against may appeal it with the same call, holding twice the deposit, to a
//! jury twice as large from validators on none of the request's bodies; the last jury standing
//! decides, and every juror of every jury is judged against it ([`Dispute::rulings`]).
//!
//! ## Phases
//!
//! `DrawingNodes → AwaitingResponses → RevealingResponses → DrawingCommittee → Committing →
//! Revealing → Provisional [→ DrawingJury → Committing → Revealing → Provisional …] → Finalized |
//! Expired`.
//! The draws happen in `on_initialize`, from randomness first known after the previous phase
//! closed, so nobody acting in that phase knew it. Every other phase lasts a window of blocks
//! from the config and ends early as soon as every selected account has acted (the fast path).
//! A window that closes with nobody having acted ends the request and refunds the client; one
//! that closes with some actions moves on with those.
//!
//! ## Layout
//!
//! This file is the map: config, storage, events, errors, hooks and calls. The logic is in
//! [`registry`] (bonds), [`lifecycle`] (phases and settlement), [`schedule`] (deadlines and
//! pruning), [`offchain`] (the validators' off-chain worker) and the pure modules [`selection`], [`consensus`], [`settlement`],
//! [`pricing`] and [`commitment`], which touch no storage and are shared with off-chain code.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod commitment;
pub mod consensus;
#[cfg(any(feature = "try-runtime", test))]
mod invariants;
mod lifecycle;
pub mod migrations;
pub mod offchain;
pub mod pricing;
pub mod queries;
mod registry;
mod schedule;
pub mod selection;
pub mod settlement;
pub mod types;
pub mod weights;
pub mod work;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use commitment::{answer_commitment, commitment, operator_consent};
pub use offchain::{crypto, POQ_KEY_TYPE};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;
pub use work::CheckWork;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{self, Credit},
			OnUnbalanced, Randomness,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::Perbill;

	/// Balance of the currency bonds and fees are held in.
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;
	/// A live request of this runtime.
	pub type RequestOf<T> = Request<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::NodesPerRequest,
		JurySizeOf<T>,
	>;
	/// A committee member of this runtime.
	pub type MemberOf<T> = types::Member<
		<T as frame_system::Config>::AccountId,
		Twice<<T as Config>::NodesPerRequest>,
	>;
	/// A finished request's result of this runtime.
	pub type OutcomeOf<T> = Outcome<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::NodesPerRequest,
		JurySizeOf<T>,
	>;
	/// A live request's dispute of this runtime.
	pub type DisputeOf<T> = Dispute<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		<T as Config>::NodesPerRequest,
		JurySizeOf<T>,
		<T as Config>::DisputeLevels,
	>;
	/// A jury's finding on a dispute of this runtime.
	pub type RulingOf<T> = Ruling<
		<T as frame_system::Config>::AccountId,
		<T as Config>::NodesPerRequest,
		JurySizeOf<T>,
	>;
	/// How a dispute of this runtime ended: every juror of every jury, at most twice the last.
	pub type DisputeOutcomeOf<T> =
		DisputeOutcome<<T as frame_system::Config>::AccountId, BalanceOf<T>, Twice<JurySizeOf<T>>>;
	/// A live request's redraws of this runtime.
	pub type RedrawOf<T> = Redraw<<T as frame_system::Config>::AccountId, MaxExcludedOf<T>>;
	/// The selectable accounts of one role with their bonds.
	pub type PoolOf<T> = BoundedVec<
		(<T as frame_system::Config>::AccountId, BalanceOf<T>),
		<T as Config>::MaxPoolSize,
	>;

	/// 1: protocol v2 (answers committed then revealed, draws in `on_initialize`); 2: each
	/// request keeps the quality model its committee was drawn under; 3: a committee member
	/// holds seats in proportion to stake; 4: outcomes are provisional and may be disputed
	/// (`Outcome::dispute`); 5: a dispute records the appeal judge its jury grades with
	/// (`Dispute::appeal_judge`); 6: a jury's finding may be appealed to a larger jury
	/// (`Dispute::rulings`, `Dispute::appeals`); see [`migrations`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(6);

	/// The most blocks any phase may outlive its window for want of hook budget (an escrow
	/// and the members' bonds stay held meanwhile): `integrity_test` holds the config to it
	/// through [`Pallet::max_deadline_delay`].
	pub const MAX_DEADLINE_DELAY: u32 = 100;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config + frame_system::offchain::CreateSignedTransaction<Call<Self>>
	{
		/// Holds bonds and escrowed fees, pays out of the escrow and slashes bonds.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::BalancedHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Seeds the draws of inference nodes and committees, mixed with the request id.
		///
		/// A parachain should plug in randomness taken from the relay chain (its BABE randomness,
		/// read from the validated relay-state proof), which no collator can bias. The
		/// collective-flip pallet is fine on a development chain only: a block author can steer
		/// it. Whatever the source, anything known before a phase closes is known to whoever acts
		/// in it, so the draws wait in `on_initialize` for a value whose `known_since` block
		/// comes after the close.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Receives slashed bonds (a treasury, or `()` to burn them).
		type OnSlash: OnUnbalanced<Credit<Self::AccountId, Self::Currency>>;

		/// Receives the slot fees clients pay to submit requests (a treasury, or `()` to burn
		/// them).
		type OnSlotFee: OnUnbalanced<Credit<Self::AccountId, Self::Currency>>;

		/// May schedule a change of the quality model and pin the appeal judge (a technical
		/// committee on a production chain).
		type ModelOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Signs the off-chain worker's commits and reveals with the node's `poq!` keys
		/// ([`crypto::PoqAuthId`] in a runtime with `MultiSignature`); operator keys are such
		/// keys, and sign their consent with them.
		type AuthorityId: frame_system::offchain::AppCrypto<
			Self::Public,
			Self::Signature,
			RuntimeAppPublic = crypto::Public,
		>;

		/// Smallest bond of an inference node or validator.
		#[pallet::constant]
		type MinBond: Get<BalanceOf<Self>>;

		/// Smallest fee of a request.
		#[pallet::constant]
		type MinFee: Get<BalanceOf<Self>>;

		/// What taking a live-request slot costs on an empty chain, never refunded: the price
		/// doubles every sixth of `MaxLiveRequests` taken ([`pricing::slot_fee`]).
		#[pallet::constant]
		type SlotFee: Get<BalanceOf<Self>>;

		/// Largest fee of a request: `PenaltyShare` of it must fit in `MinBond`
		/// (`integrity_test`), so that every penalty a request can call for can be taken from
		/// any seat on it. A lie on a larger fee could earn more than the liar's whole bond.
		#[pallet::constant]
		type MaxFee: Get<BalanceOf<Self>>;

		/// Longest prompt in bytes.
		#[pallet::constant]
		type MaxPromptLen: Get<u32>;

		/// Longest response in bytes.
		#[pallet::constant]
		type MaxOutputLen: Get<u32>;

		/// Inference nodes drawn per request, so the most responses a request has.
		#[pallet::constant]
		type NodesPerRequest: Get<u32>;

		/// Seats of a committee, drawn in proportion to stake; an account may hold several, so
		/// also the most members a committee has.
		#[pallet::constant]
		type CommitteeSize: Get<u32>;

		/// Most pieces of work one `submit_work` carries.
		#[pallet::constant]
		type MaxWorkItems: Get<u32>;

		/// Most registered and active accounts per role.
		#[pallet::constant]
		type MaxPoolSize: Get<u32>;

		/// Most requests live at once.
		#[pallet::constant]
		type MaxLiveRequests: Get<u32>;

		/// Most phase deadlines, and separately most pruned outcomes, handled in one block;
		/// the rest carries over to the next block.
		#[pallet::constant]
		type MaxHookItemsPerBlock: Get<u32>;

		/// Blocks the selected inference nodes have to answer.
		#[pallet::constant]
		type ResponseWindow: Get<BlockNumberFor<Self>>;

		/// Blocks the committee has to commit.
		#[pallet::constant]
		type CommitWindow: Get<BlockNumberFor<Self>>;

		/// Blocks the committee has to reveal.
		#[pallet::constant]
		type RevealWindow: Get<BlockNumberFor<Self>>;

		/// Blocks between `unregister` and `withdraw_unbonded`.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks a finished request's outcome stays queryable.
		#[pallet::constant]
		type RetainFinished: Get<BlockNumberFor<Self>>;

		/// Largest mean absolute deviation from consensus (score units) that counts as in
		/// consensus.
		#[pallet::constant]
		type Tolerance: Get<u16>;

		/// Responses scored below this earn nothing.
		#[pallet::constant]
		type MinQuality: Get<u16>;

		/// Share of the fee paid to the validators in consensus.
		#[pallet::constant]
		type ValidatorShare: Get<Perbill>;

		/// The least taken from the bond of a member who committed and then did not reveal or
		/// revealed off consensus; `PenaltyShare` of the request's fee when that is more.
		#[pallet::constant]
		type Penalty: Get<BalanceOf<Self>>;

		/// Share of a request's fee a member who committed and then did not reveal or revealed
		/// off consensus loses, when more than `Penalty`: a seat pays a share of the fee, so a
		/// fixed penalty would make laziness pay on requests with fees high enough.
		#[pallet::constant]
		type PenaltyShare: Get<Perbill>;

		/// Taken from the bond of a member who never committed (at most `Penalty`). It also
		/// earns a strike.
		#[pallet::constant]
		type AbsencePenalty: Get<BalanceOf<Self>>;

		/// Strikes in a row (committees sat on without committing) that suspend a validator
		/// from draws until it calls `resume`.
		#[pallet::constant]
		type MaxStrikes: Get<u32>;

		/// Taken from the bond of an inference node that committed to an answer and never
		/// revealed it.
		#[pallet::constant]
		type NodePenalty: Get<BalanceOf<Self>>;

		/// Committees drawn again, at most, for a request whose committee failed (nobody
		/// committed, or no strict majority stood) on answers that were revealed: each new draw
		/// passes over the members who stayed away from the failed ones.
		#[pallet::constant]
		type MaxRedraws: Get<u32>;

		/// Share of the nodes' part of the fee paid, in equal parts, to the nodes that revealed
		/// answers no committee could vouch for (every draw failed): work delivered is paid,
		/// and less than a committee would pay for good answers.
		#[pallet::constant]
		type UnvouchedShare: Get<Perbill>;

		/// Blocks a request's outcome stays provisional once its committee reached consensus:
		/// nothing is paid or slashed, and its client may `dispute` it. Zero settles at once,
		/// with no disputes.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;

		/// The least deposit of a dispute; a dispute of a request holds its fee when that is
		/// more ([`Pallet::dispute_deposit`]).
		#[pallet::constant]
		type DisputeDeposit: Get<BalanceOf<Self>>;

		/// Juries a dispute may go through, at least one: the client's dispute draws the first;
		/// until the last, the side a jury's finding went against may appeal it to a jury of
		/// twice its seats and one more ([`jury_seats`]), holding twice the deposit. The last
		/// jury standing decides.
		#[pallet::constant]
		type DisputeLevels: Get<u32>;

		/// Makes the randomness source fresh, so the benchmarks' draws go ahead.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The bond of an inference node or validator.
		Bond,
		/// A client's fee while its request is live.
		Escrow,
		/// A client's deposit on its dispute while the jury sits.
		Dispute,
	}

	/// Registered inference nodes and validators, active or unbonding.
	#[pallet::storage]
	pub type Participants<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Participant<BalanceOf<T>, BlockNumberFor<T>>>;

	/// The accounts each role draws from, with their bonds.
	#[pallet::storage]
	pub type Pools<T: Config> = StorageMap<_, Twox64Concat, Role, PoolOf<T>, ValueQuery>;

	/// Id of the next request.
	#[pallet::storage]
	pub type NextRequestId<T> = StorageValue<_, RequestId, ValueQuery>;

	/// Live requests.
	#[pallet::storage]
	pub type Requests<T: Config> = CountedStorageMap<_, Twox64Concat, RequestId, RequestOf<T>>;

	/// Prompts of live requests.
	#[pallet::storage]
	pub type Prompts<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, BoundedVec<u8, T::MaxPromptLen>>;

	/// Responses of live requests, by request and inference node.
	#[pallet::storage]
	pub type Outputs<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RequestId,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<u8, T::MaxOutputLen>,
	>;

	/// Live requests whose current phase ends at a block.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<RequestId, T::MaxLiveRequests>,
		ValueQuery,
	>;

	/// Results of finished requests, until pruned.
	#[pallet::storage]
	pub type Outcomes<T: Config> = StorageMap<_, Twox64Concat, RequestId, OutcomeOf<T>>;

	/// Live requests whose committee failed and was drawn again: how many times, and the members
	/// who stayed away from the failed committees, whom later draws pass over.
	#[pallet::storage]
	pub type Redraws<T: Config> = StorageMap<_, Twox64Concat, RequestId, RedrawOf<T>>;

	/// Live requests whose client disputed the provisional outcome: the deposit and the
	/// committee the jury checks.
	#[pallet::storage]
	pub type Disputes<T: Config> = StorageMap<_, Twox64Concat, RequestId, DisputeOf<T>>;

	/// Finished requests in the order they finished, with the block their outcome goes.
	#[pallet::storage]
	pub type PruneQueue<T: Config> =
		StorageMap<_, Twox64Concat, u64, (RequestId, BlockNumberFor<T>)>;

	/// `(head, tail)` of [`PruneQueue`]: the oldest entry and the next free slot.
	#[pallet::storage]
	pub type PruneCursor<T> = StorageValue<_, (u64, u64), ValueQuery>;

	/// The operator key each bonded account named (`set_operator`) to sign its work.
	#[pallet::storage]
	pub type Operators<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// The bonded account each operator key signs work for.
	#[pallet::storage]
	pub type Principals<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// The digest of the quality model validators must run: the SHA-256 of its folder's manifest
	/// (weights, tokenizer, configs, judge; `poq-scorer digest`).
	/// Committees drawn from now on score with it; each request keeps the model its committee
	/// was drawn under (`Request::model`).
	#[pallet::storage]
	pub type QualityModel<T> = StorageValue<_, [u8; 32]>;

	/// The next quality model and the block from which it is [`QualityModel`]
	/// (`set_quality_model`).
	#[pallet::storage]
	pub type ModelChange<T: Config> = StorageValue<_, (BlockNumberFor<T>, [u8; 32])>;

	/// The digest of the appeal judge disputes opened from now on are graded with, if governance
	/// pinned one (`set_appeal_judge`): the SHA-256 of its judge card, a JSON file naming the
	/// model an OpenAI-compatible endpoint serves and the judging instructions
	/// (`--poq-appeal-judge`; [`offchain::AppealJudgeConfig`]). Without one the jury only
	/// reruns the committee's model.
	#[pallet::storage]
	pub type AppealJudge<T> = StorageValue<_, [u8; 32]>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Digest of the quality model.
		pub quality_model: Option<[u8; 32]>,
		/// Inference nodes registered at genesis, with their bonds.
		pub inference_nodes: Vec<(T::AccountId, BalanceOf<T>)>,
		/// Validators registered at genesis, with their bonds.
		pub validators: Vec<(T::AccountId, BalanceOf<T>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(digest) = self.quality_model {
				QualityModel::<T>::put(digest);
			}
			let roles = self
				.inference_nodes
				.iter()
				.map(|entry| (Role::InferenceNode, entry))
				.chain(self.validators.iter().map(|entry| (Role::Validator, entry)));
			for (role, (who, bond)) in roles {
				Pallet::<T>::do_register(who, role, *bond)
					.expect("genesis participants are funded and distinct");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account bonded and joined a pool.
		Registered { who: T::AccountId, role: Role, bond: BalanceOf<T> },
		/// An account left its pool; its bond unlocks at `unlock_at`.
		Unregistered { who: T::AccountId, unlock_at: BlockNumberFor<T> },
		/// An unbonded account took its bond back.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// An account added to its bond; `bond` is the new total.
		Bonded { who: T::AccountId, bond: BalanceOf<T> },
		/// A validator sat on `MaxStrikes` committees in a row without committing and left its
		/// pool until it calls `resume`.
		Suspended { who: T::AccountId },
		/// A suspended validator is back in its pool.
		Resumed { who: T::AccountId },
		/// A request was submitted: its fee escrowed, and `slot_fee` taken for its slot.
		RequestSubmitted {
			id: RequestId,
			who: T::AccountId,
			fee: BalanceOf<T>,
			slot_fee: BalanceOf<T>,
		},
		/// Inference nodes were drawn for a request; they commit to answers until `respond_by`
		/// (exclusive).
		NodesSelected { id: RequestId, nodes: Vec<T::AccountId>, respond_by: BlockNumberFor<T> },
		/// An inference node committed to its answer.
		ResponseCommitted { id: RequestId, node: T::AccountId },
		/// The nodes' reveal phase began; it lasts until `reveal_by` (exclusive).
		ResponseRevealStarted { id: RequestId, reveal_by: BlockNumberFor<T> },
		/// An inference node revealed the answer it committed to.
		ResponseRevealed { id: RequestId, node: T::AccountId },
		/// A committee was drawn: each member with the seats it holds. It commits until
		/// `commit_by` (exclusive).
		CommitteeSelected {
			id: RequestId,
			committee: Vec<(T::AccountId, u32)>,
			commit_by: BlockNumberFor<T>,
		},
		/// A committee member committed to its scores.
		ScoresCommitted { id: RequestId, validator: T::AccountId },
		/// The reveal phase began; it lasts until `reveal_by` (exclusive).
		RevealStarted { id: RequestId, reveal_by: BlockNumberFor<T> },
		/// A committee member revealed scores matching its commitment.
		ScoresRevealed { id: RequestId, validator: T::AccountId },
		/// An inference node was paid for its response.
		NodePaid { id: RequestId, node: T::AccountId, amount: BalanceOf<T> },
		/// A committee member in consensus was paid.
		ValidatorPaid { id: RequestId, validator: T::AccountId, amount: BalanceOf<T> },
		/// A committee member lost part of its bond.
		ValidatorSlashed { id: RequestId, validator: T::AccountId, amount: BalanceOf<T> },
		/// An inference node that committed and never revealed lost part of its bond.
		NodeSlashed { id: RequestId, node: T::AccountId, amount: BalanceOf<T> },
		/// The committee of request `id` failed (nobody committed, or no strict majority stood):
		/// another is drawn, without the members who stayed away; `redraws_left` more may follow.
		CommitteeFailed { id: RequestId, redraws_left: u32 },
		/// A committee reached consensus on request `id`: one score per response, in response
		/// order. Nothing is paid yet: the client may `dispute` the outcome until `dispute_by`
		/// (exclusive); after that it is final.
		RequestProvisional { id: RequestId, scores: Vec<u16>, dispute_by: BlockNumberFor<T> },
		/// The client disputed request `id`'s provisional outcome, holding `deposit`; a jury is
		/// drawn in a later block.
		Disputed { id: RequestId, who: T::AccountId, deposit: BalanceOf<T> },
		/// `who` appealed the finding of request `id`'s last jury, holding `deposit`: jury
		/// `level` (2 for the first appeal) is drawn in a later block.
		Appealed { id: RequestId, who: T::AccountId, deposit: BalanceOf<T>, level: u32 },
		/// The jury of a disputed request was drawn: each juror with the seats it holds. It
		/// reruns the committee's model, commits until `commit_by` (exclusive), then reveals.
		JurySelected { id: RequestId, jury: Vec<(T::AccountId, u32)>, commit_by: BlockNumberFor<T> },
		/// The jury of request `id` gave its `finding`: its consensus rerun of the committee's
		/// model (`scores`, none when it lapsed) and, with an appeal judge, its jurors' grades in
		/// consensus (`grades`, one per response; none without one). `RequestFinalized` follows
		/// in the same block, or, while a larger jury may still be asked, `RequestProvisional`
		/// with the outcome the finding gives, which the side it went against may appeal.
		DisputeResolved {
			id: RequestId,
			finding: settlement::Finding,
			scores: Vec<u16>,
			grades: Vec<u16>,
		},
		/// A request's outcome is final and paid: one score per response, in response order.
		RequestFinalized { id: RequestId, scores: Vec<u16>, refund: BalanceOf<T> },
		/// A request ended without consensus in `phase`; the fee went back to the client.
		RequestExpired { id: RequestId, phase: Phase, refund: BalanceOf<T> },
		/// The quality model changes at block `at`: committees drawn from then on score with it.
		QualityModelScheduled { digest: [u8; 32], at: BlockNumberFor<T> },
		/// The quality model committees are drawn under changed.
		QualityModelSet { digest: [u8; 32] },
		/// Disputes opened from now on are graded by the appeal judge `digest` (`None`: by the
		/// committee's model alone).
		AppealJudgeSet { digest: Option<[u8; 32]> },
		/// A bonded account named the operator key that signs its work (`None`: itself again).
		OperatorSet { who: T::AccountId, operator: Option<T::AccountId> },
		/// Operator key `operator` stopped signing `who`'s work at its own request.
		OperatorReleased { who: T::AccountId, operator: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The bond is below `MinBond`.
		BondTooLow,
		/// The account is already registered.
		AlreadyRegistered,
		/// The account is not registered.
		NotRegistered,
		/// The pool of that role is full.
		PoolFull,
		/// The account is already unbonding.
		AlreadyUnbonding,
		/// The account has not unregistered.
		NotUnbonding,
		/// The account is not suspended.
		NotSuspended,
		/// The amount is zero.
		ZeroAmount,
		/// The unbonding period has not passed yet.
		StillUnbonding,
		/// The account still sits on a live request, so its bond stays held.
		Busy,
		/// The account cannot afford the bond or the fee.
		InsufficientBalance,
		/// The prompt is longer than `MaxPromptLen`.
		PromptTooLong,
		/// The prompt is empty.
		EmptyPrompt,
		/// The fee is below `MinFee`.
		FeeTooLow,
		/// The fee is above `MaxFee`.
		FeeTooHigh,
		/// `MaxLiveRequests` requests are live.
		TooManyLiveRequests,
		/// No inference node is registered.
		NoInferenceNodes,
		/// No request has that id, or it has finished.
		UnknownRequest,
		/// The request is not in the phase this call belongs to, or that phase's window is over.
		WrongPhase,
		/// The response is longer than `MaxOutputLen`.
		OutputTooLong,
		/// The caller is not an inference node selected for the request.
		NotSelected,
		/// The inference node already committed to an answer.
		AlreadyResponded,
		/// The caller is not on the request's committee.
		NotCommitteeMember,
		/// The member already committed.
		AlreadyCommitted,
		/// The member or node did not commit, so it has nothing to reveal.
		NotCommitted,
		/// The member or node already revealed.
		AlreadyRevealed,
		/// Not exactly one score per response.
		WrongScoreCount,
		/// A score is above 10 000.
		ScoreOutOfRange,
		/// The scores or answer and the salt do not hash to the caller's commitment.
		CommitmentMismatch,
		/// A work call with no work in it.
		NoWork,
		/// An operator key must not itself be registered.
		OperatorIsParticipant,
		/// The account already is the operator key of a bonded account.
		IsOperator,
		/// A model change must come at least a request's lifetime ahead
		/// (`Pallet::max_request_lifetime`), so that validators can load the new model first.
		ModelChangeTooSoon,
		/// A work call with more than `MaxWorkItems` pieces.
		TooMuchWork,
		/// Two pieces of one work call act on the same request: each must apply on its own.
		RepeatedRequest,
		/// The operator key's signature is not its consent to sign the caller's work on this
		/// chain (`operator_consent`).
		BadConsent,
		/// The operator key's consent was good until a block now past.
		ConsentExpired,
		/// The caller is not the operator key of any account.
		NotOperator,
		/// Only a party to the request may dispute it: its client, a member of its committee or
		/// a node that answered it.
		NotParty,
		/// Only the side a jury's finding went against may appeal it: a party to the request
		/// when the committee was upheld; a committee member or an answering node when it was
		/// overturned.
		NotLoser,
		/// The request's outcome is already disputed.
		AlreadyDisputed,
		/// The deposit a dispute of this request holds ([`Pallet::dispute_deposit`]) is above
		/// the caller's `max_deposit`.
		DepositAboveLimit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Puts a scheduled model in force, draws the nodes and committees whose randomness has
		/// come, ends the phases whose window closed and prunes old outcomes, bounded by
		/// `MaxHookItemsPerBlock`.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let changed = Self::apply_model_change(now);
			let (deadlines, carried) = Self::process_deadlines(now);
			let pruned = Self::prune_outcomes(now, T::MaxHookItemsPerBlock::get());
			T::WeightInfo::on_initialize_base()
				.saturating_add(deadlines)
				.saturating_add(if carried { Self::carry_weight() } else { Weight::zero() })
				.saturating_add(if changed {
					T::WeightInfo::apply_model_change()
				} else {
					Weight::zero()
				})
				.saturating_add(T::WeightInfo::prune_outcome().saturating_mul(pruned.into()))
		}

		/// On a validator node: scores, commits and reveals with its `poq!` keys (see
		/// [`offchain`]).
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::run_offchain_worker(now)
		}

		fn integrity_test() {
			use consensus::MAX_SCORE;
			assert!(T::MinBond::get() > 0u32.into(), "a zero bond would weigh nothing in draws");
			assert!(T::NodesPerRequest::get() > 0, "a request needs an inference node");
			assert!(T::CommitteeSize::get() > 0, "a request needs a committee");
			assert!(T::MaxHookItemsPerBlock::get() > 0, "deadlines must make progress");
			assert!(
				Self::max_deadline_delay() <= MAX_DEADLINE_DELAY.into(),
				"a deadline could wait more than MAX_DEADLINE_DELAY blocks: raise \
				 MaxHookItemsPerBlock or lower MaxLiveRequests"
			);
			assert!(T::MinQuality::get() <= MAX_SCORE && T::Tolerance::get() <= MAX_SCORE);
			assert!(
				T::AbsencePenalty::get() <= T::Penalty::get(),
				"staying away must not cost more than lying"
			);
			assert!(T::MaxStrikes::get() > 0, "a validator is suspended only after a strike");
			assert!(T::DisputeLevels::get() > 0, "a dispute needs a jury");
			assert!(T::MinFee::get() <= T::MaxFee::get(), "no fee would be allowed");
			assert!(
				T::PenaltyShare::get().mul_floor(T::MaxFee::get()) <= T::MinBond::get(),
				"a penalty on the largest fee would not fit in the smallest bond"
			);
			for window in [T::ResponseWindow::get(), T::CommitWindow::get(), T::RevealWindow::get()]
			{
				assert!(window > 0u32.into(), "a phase needs at least one block");
			}
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(now: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state(now)
		}
	}

	#[pallet::extra_constants]
	impl<T: Config> Pallet<T> {
		/// The most blocks a request lives, from its submission to its settlement: its four windows
		/// (answers, their reveal, scores, their reveal), two draws of two blocks each (randomness
		/// known after the previous phase closed, tried the block after), and each of its six
		/// deadlines carried at most [`Self::max_deadline_delay`] blocks; and for each of
		/// `MaxRedraws` committees drawn again, a draw, its two windows and their three deadlines.
		/// A model change comes at least this far ahead (`set_quality_model`).
		#[pallet::constant_name(MaxRequestLifetime)]
		pub fn max_request_lifetime() -> BlockNumberFor<T> {
			use sp_runtime::Saturating;
			let delay = Self::max_deadline_delay();
			let windows = T::ResponseWindow::get()
				.saturating_add(T::RevealWindow::get())
				.saturating_add(T::CommitWindow::get())
				.saturating_add(T::RevealWindow::get());
			let first = windows
				.saturating_add(4u32.into())
				.saturating_add(delay.saturating_mul(6u32.into()));
			let redraw = T::CommitWindow::get()
				.saturating_add(T::RevealWindow::get())
				.saturating_add(2u32.into())
				.saturating_add(delay.saturating_mul(3u32.into()));
			// For each jury: the window to dispute or appeal, the jury's draw and its two
			// windows, and their four deadlines.
			let dispute = T::DisputeWindow::get().saturating_add(redraw).saturating_add(delay);
			first
				.saturating_add(redraw.saturating_mul(T::MaxRedraws::get().into()))
				.saturating_add(dispute.saturating_mul(T::DisputeLevels::get().into()))
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as an inference node, holding `bond` (at least `MinBond`).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_inference_node())]
		pub fn register_inference_node(
			origin: OriginFor<T>,
			#[pallet::compact] bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(&who, Role::InferenceNode, bond)
		}

		/// Registers the caller as a validator, holding `bond` (at least `MinBond`). Its bond is
		/// its weight in committee draws and in the consensus median.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::register_validator())]
		pub fn register_validator(
			origin: OriginFor<T>,
			#[pallet::compact] bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(&who, Role::Validator, bond)
		}

		/// Leaves the caller's pool at once, also while it sits on live requests (it is drawn for
		/// no new one); the bond can be withdrawn `UnbondingPeriod` blocks later, once those
		/// requests are over.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unregister())]
		pub fn unregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unregister(&who)
		}

		/// Releases the caller's bond once its unbonding period has passed, and forgets the
		/// account.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(&who)
		}

		/// Asks for inference on `prompt` (at most `MaxPromptLen` bytes), escrowing `fee`
		/// (at least `MinFee`) and paying the slot fee ([`Self::slot_fee`], which rises with the
		/// requests live). The inference nodes that may answer are drawn in a later block, from
		/// randomness the caller could not know.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_request(prompt.len() as u32))]
		pub fn submit_request(
			origin: OriginFor<T>,
			prompt: Vec<u8>,
			#[pallet::compact] fee: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_request(who, prompt, fee)
		}

		/// Commits to scores for request `id`: once, by a committee member (or its operator),
		/// in the commit phase. `commitment` is [`commitment()`] of the scores and a secret salt.
		/// The last commitment opens the reveal phase. Free when valid, like all work
		/// ([`work`]).
		#[pallet::call_index(6)]
		#[pallet::weight((T::WeightInfo::commit_scores(), DispatchClass::Operational))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, id: &RequestId, commitment: &[u8; 32]| -> bool {
			Pallet::<T>::is_free_work(origin, &[Work::CommitScores { id: *id, commitment: *commitment }])
		})]
		pub fn commit_scores(
			origin: OriginFor<T>,
			id: RequestId,
			commitment: [u8; 32],
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_submit_work(signer, alloc::vec![Work::CommitScores { id, commitment }])
		}

		/// Reveals the committed scores of request `id`: one per response in response order,
		/// each `0..=10_000`, with the salt of the commitment. The last reveal settles the
		/// request.
		#[pallet::call_index(7)]
		#[pallet::weight((Pallet::<T>::settling_reveal_weight(), DispatchClass::Operational))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, id: &RequestId, scores: &Vec<u16>, salt: &[u8; 32]| -> bool {
			Pallet::<T>::is_free_work(origin, &[Work::RevealScores { id: *id, scores: scores.clone(), salt: *salt }])
		})]
		pub fn reveal_scores(
			origin: OriginFor<T>,
			id: RequestId,
			scores: Vec<u16>,
			salt: [u8; 32],
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_submit_work(signer, alloc::vec![Work::RevealScores { id, scores, salt }])
		}

		/// Schedules the quality model `digest` (`poq-scorer digest`: the SHA-256 of the model
		/// folder's manifest) to take effect at block `at`, at least [`Self::max_request_lifetime`]
		/// ahead: committees drawn from `at` on score with it, requests drawn before keep theirs.
		/// Replaces a change not yet in effect.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::set_quality_model())]
		pub fn set_quality_model(
			origin: OriginFor<T>,
			digest: [u8; 32],
			at: BlockNumberFor<T>,
		) -> DispatchResult {
			T::ModelOrigin::ensure_origin(origin)?;
			Self::do_schedule_model(digest, at)
		}

		/// Adds `amount` to the caller's bond (held at once): more weight in draws and in the
		/// median, more to slash. Not while unbonding.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_extra(&who, amount)
		}

		/// Puts a suspended validator back in its pool (with its bond at least `MinBond`; a
		/// full pool admits it as it admits a registration).
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_resume(&who)
		}

		/// Commits to an answer to request `id`: once, by a drawn inference node, while the
		/// request awaits responses. `commitment` is [`answer_commitment()`] of the answer and a
		/// secret salt. The last commitment opens the nodes' reveal phase.
		#[pallet::call_index(9)]
		#[pallet::weight((T::WeightInfo::commit_response(), DispatchClass::Operational))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, id: &RequestId, commitment: &[u8; 32]| -> bool {
			Pallet::<T>::is_free_work(origin, &[Work::CommitResponse { id: *id, commitment: *commitment }])
		})]
		pub fn commit_response(
			origin: OriginFor<T>,
			id: RequestId,
			commitment: [u8; 32],
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_submit_work(signer, alloc::vec![Work::CommitResponse { id, commitment }])
		}

		/// Reveals the answer `output` (at most `MaxOutputLen` bytes) a node committed to for
		/// request `id`, with the commitment's salt: once, in the nodes' reveal phase. A node that
		/// committed and never reveals loses `NodePenalty`. The last reveal closes the phase; the
		/// committee is drawn in a later block.
		#[pallet::call_index(10)]
		#[pallet::weight((T::WeightInfo::reveal_response(output.len() as u32), DispatchClass::Operational))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, id: &RequestId, output: &Vec<u8>, salt: &[u8; 32]| -> bool {
			Pallet::<T>::is_free_work(origin, &[Work::RevealResponse { id: *id, output: output.clone(), salt: *salt }])
		})]
		pub fn reveal_response(
			origin: OriginFor<T>,
			id: RequestId,
			output: Vec<u8>,
			salt: [u8; 32],
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_submit_work(signer, alloc::vec![Work::RevealResponse { id, output, salt }])
		}

		/// Does several pieces of the caller's node or committee work at once, in order: what
		/// a node or validator has to do in a block goes in one transaction. Free when every
		/// piece applies, each on a request of its own, and at most `MaxWorkItems` of them
		/// (`TooMuchWork`, `RepeatedRequest`); refused before a block otherwise ([`work`]).
		#[pallet::call_index(13)]
		#[pallet::weight((Pallet::<T>::works_weight(work), DispatchClass::Operational))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, work: &Vec<Work>| -> bool {
			Pallet::<T>::is_free_work(origin, work)
		})]
		pub fn submit_work(origin: OriginFor<T>, work: Vec<Work>) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_submit_work(signer, work)
		}

		/// Names the key of `consent` as the one that signs the caller's work (`None`: the caller
		/// signs it again). The key consents by signing [`operator_consent`] of this chain, the
		/// caller and a last block (`BadConsent`, `ConsentExpired`), so no account can take a
		/// key that did not agree. The operator holds no funds and can do nothing else for the
		/// account, so a validator's node keeps only that key; the bonded account's key can stay
		/// cold. A new operator takes over at once, also on live requests.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::set_operator())]
		pub fn set_operator(
			origin: OriginFor<T>,
			consent: Option<OperatorConsent<BlockNumberFor<T>>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_operator(&who, consent)
		}

		/// Disputes the provisional outcome of request `id` before its dispute window closes,
		/// holding [`Self::dispute_deposit`] (at most `max_deposit`): the caller is a party to it
		/// (`NotParty`), its client, a member of its committee (an honest one a captured
		/// majority outvoted would otherwise be slashed) or a node that answered. A jury of
		/// `2 * CommitteeSize + 1` seats, drawn later from validators not on the committee,
		/// reruns the committee's model through `submit_work`: if it contradicts the committee
		/// (a member in the committee's consensus lied, or a paid answer is below `MinQuality`),
		/// the request settles by the jury's scores, the liars and the junk's nodes pay the
		/// jury, and the deposit comes back; otherwise the outcome stands and the deposit pays
		/// the jury ([`settlement::review`]).
		///
		/// The same call appeals a jury's finding while it is provisional, before the last of
		/// `DisputeLevels` juries: by the side it went against (`NotLoser`), holding twice the
		/// last deposit, to a jury of twice the last one's seats and one more, drawn from
		/// validators who sat on none of the request's bodies. The last jury standing decides:
		/// the deposits of the side it went against and the penalties of every liar pay the
		/// jurors of every level who agree with it.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::dispute())]
		pub fn dispute(
			origin: OriginFor<T>,
			id: RequestId,
			#[pallet::compact] max_deposit: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute(who, id, max_deposit)
		}

		/// Pins the appeal judge `digest` (the SHA-256 of its judge card) that the juries of
		/// disputes opened from now on grade the answers with, or none (`None`): each juror
		/// reveals, after its rerun of the committee's model, the judge's grade of every answer,
		/// and an answer the committee paid that the jurors in consensus grade below
		/// `MinQuality` is junk. A dispute already open keeps the judge it was opened under.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::set_appeal_judge())]
		pub fn set_appeal_judge(origin: OriginFor<T>, digest: Option<[u8; 32]>) -> DispatchResult {
			T::ModelOrigin::ensure_origin(origin)?;
			match digest {
				Some(digest) => AppealJudge::<T>::put(digest),
				None => AppealJudge::<T>::kill(),
			}
			Self::deposit_event(Event::AppealJudgeSet { digest });
			Ok(())
		}

		/// Frees the caller, an operator key, from signing for the account that named it
		/// (`NotOperator`). Free for an operator key, which holds no funds.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::release_operator())]
		#[pallet::feeless_if(|origin: &OriginFor<T>| -> bool {
			ensure_signed(origin.clone()).is_ok_and(Principals::<T>::contains_key)
		})]
		pub fn release_operator(origin: OriginFor<T>) -> DispatchResult {
			let operator = ensure_signed(origin)?;
			Self::do_release_operator(&operator)
		}
	}
}
