//! Records kept in storage.

use crate::settlement::Verdict;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound,
	PartialEqNoBound,
};
use scale_info::TypeInfo;

/// Request ids: a counter from 0.
pub type RequestId = u64;

/// What a registered account does.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Role {
	/// Runs the generative model and answers requests.
	InferenceNode,
	/// Scores answers with the quality model.
	Validator,
}

/// Whether a registered account can still be selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub enum Standing<BlockNumber> {
	/// Selectable.
	Active,
	/// Left the pool; the bond can be withdrawn from `unlock_at` on.
	Unbonding { unlock_at: BlockNumber },
	/// Out of its pool after `MaxStrikes` committees in a row on which it never committed;
	/// `resume` puts it back.
	Suspended,
}

/// A registered inference node or validator.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Participant<Balance, BlockNumber> {
	pub role: Role,
	/// Held under `HoldReason::Bond`; penalties reduce it.
	pub bond: Balance,
	pub standing: Standing<BlockNumber>,
	/// Live requests the account is selected for; nothing is released while it is non-zero.
	pub live_requests: u32,
	/// Committees in a row on which it never committed; `MaxStrikes` suspend it.
	pub strikes: u32,
}

/// Protocol phase of a request. All but the last two are live.
///
/// The SCALE indices of the phases protocol v1 had are kept, so outcomes recorded under v1
/// (`Finalized`, `Expired`) decode unchanged.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Phase {
	/// Waiting for randomness first known from `ends_at` on to draw the inference nodes.
	#[codec(index = 5)]
	DrawingNodes,
	/// The drawn nodes commit to their answers.
	#[codec(index = 0)]
	AwaitingResponses,
	/// The nodes that committed reveal their answers.
	#[codec(index = 6)]
	RevealingResponses,
	/// Waiting for randomness first known from `ends_at` on to draw the committee.
	#[codec(index = 7)]
	DrawingCommittee,
	/// The committee commits to its scores.
	#[codec(index = 1)]
	Committing,
	/// The committee reveals its scores.
	#[codec(index = 2)]
	Revealing,
	/// Consensus stood: the outcome is provisional, nothing paid or slashed yet, and the client
	/// may `dispute` it until `ends_at` (exclusive).
	#[codec(index = 8)]
	Provisional,
	/// Disputed: waiting for randomness first known from `ends_at` on to draw the jury, which
	/// then commits (`Committing`) and reveals (`Revealing`) in the committee's place.
	#[codec(index = 9)]
	DrawingJury,
	#[codec(index = 3)]
	Finalized,
	#[codec(index = 4)]
	Expired,
}

/// An inference node drawn for a live request and its commitment to an answer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct NodeSeat<AccountId> {
	pub who: AccountId,
	/// [`crate::answer_commitment`] of its answer, once it committed.
	pub commitment: Option<[u8; 32]>,
}

/// A committee member of a live request and what it has done so far.
#[derive(
	CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxResponses))]
pub struct Member<AccountId, MaxResponses: Get<u32>>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
{
	pub who: AccountId,
	/// The committee's seats it holds, in proportion to its stake when the committee was
	/// drawn: its votes in the median, its shares of the validators' pay and of a penalty.
	pub seats: u32,
	pub commitment: Option<[u8; 32]>,
	pub reveal: Option<BoundedVec<u16, MaxResponses>>,
}

/// A live request. Its prompt and outputs live in their own maps.
#[derive(
	CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxNodes, MaxCommittee))]
pub struct Request<AccountId, Balance, BlockNumber, MaxNodes: Get<u32>, MaxCommittee: Get<u32>>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
	Balance: Clone + core::fmt::Debug + PartialEq + Eq,
	BlockNumber: Clone + core::fmt::Debug + PartialEq + Eq,
{
	pub client: AccountId,
	/// Held from the client under `HoldReason::Escrow`.
	pub fee: Balance,
	pub phase: Phase,
	/// In a phase with a window, the first block after it (nothing is accepted from then on).
	/// While drawing, the first block whose randomness may seed the draw: the block after the
	/// previous phase closed.
	pub ends_at: BlockNumber,
	/// Inference nodes drawn to answer, with their commitments; empty before the draw.
	pub nodes: BoundedVec<NodeSeat<AccountId>, MaxNodes>,
	/// Nodes that revealed their answers, in reveal order: the order of scores in commitments
	/// and reveals.
	pub responders: BoundedVec<AccountId, MaxNodes>,
	/// Drawn once the answers are revealed, one entry per account seated (an account may hold
	/// several of the `CommitteeSize` seats); empty before. While a dispute's jury sits, the
	/// jury (the committee waits in [`Dispute::reviewed`]), whose reveals carry twice as many
	/// scores when an appeal judge is pinned ([`Dispute::appeal_judge`]).
	pub committee: BoundedVec<Member<AccountId, Twice<MaxNodes>>, MaxCommittee>,
	/// Digest of the quality model the committee scores with: the one in force when it was
	/// drawn, kept through a later model change. `None` before the draw, or if no model was set.
	pub model: Option<[u8; 32]>,
}

/// What an inference node earned or lost on a finished request.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct NodeOutcome<AccountId, Balance> {
	pub node: AccountId,
	/// Consensus quality score, if the node revealed and the request reached consensus.
	pub score: Option<u16>,
	pub paid: Balance,
	/// Taken from its bond: it committed to an answer and never revealed it.
	pub slashed: Balance,
}

/// What a committee member earned or lost on a finished request.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ValidatorOutcome<AccountId, Balance> {
	pub validator: AccountId,
	pub verdict: Verdict,
	pub paid: Balance,
	pub slashed: Balance,
}

/// The queryable result of a finished request, kept for `RetainFinished` blocks.
#[derive(
	CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxNodes, MaxCommittee))]
pub struct Outcome<AccountId, Balance, BlockNumber, MaxNodes: Get<u32>, MaxCommittee: Get<u32>>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
	Balance: Clone + core::fmt::Debug + PartialEq + Eq,
	BlockNumber: Clone + core::fmt::Debug + PartialEq + Eq,
{
	pub client: AccountId,
	pub fee: Balance,
	/// `Finalized` (a consensus stood) or `Expired`.
	pub phase: Phase,
	pub finished_at: BlockNumber,
	/// One per revealed answer, in reveal order (the order of `RequestFinalized`'s scores),
	/// then one per node that committed and never revealed.
	pub responses: BoundedVec<NodeOutcome<AccountId, Balance>, MaxNodes>,
	/// One per committee member, in committee order.
	pub committee: BoundedVec<ValidatorOutcome<AccountId, Balance>, MaxCommittee>,
	pub refund: Balance,
	/// The client's dispute of the provisional outcome, if it disputed.
	pub dispute: Option<DisputeOutcome<AccountId, Balance, Twice<MaxCommittee>>>,
}

/// A live request's dispute (`Disputes`): who put money on it, the committee whose
/// provisional outcome the juries check, and the juries that ruled so far.
#[derive(
	CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxNodes, MaxSeated, MaxLevels))]
pub struct Dispute<AccountId, Balance, MaxNodes: Get<u32>, MaxSeated: Get<u32>, MaxLevels: Get<u32>>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
	Balance: Clone + core::fmt::Debug + PartialEq + Eq,
{
	/// Who disputed: a party to the request (its client, a committee member or a node that
	/// answered it).
	pub appellant: AccountId,
	/// Held from the appellant under `HoldReason::Dispute`.
	pub deposit: Balance,
	/// The committee whose outcome is disputed, with its reveals, while a jury sits in its
	/// place; empty otherwise.
	pub reviewed: BoundedVec<Member<AccountId, Twice<MaxNodes>>, MaxSeated>,
	/// The appeal judge pinned when the dispute was opened ([`crate::AppealJudge`]): the jury
	/// reveals, after its rerun of the committee's model, one grade of it per answer.
	pub appeal_judge: Option<[u8; 32]>,
	/// The juries that reached a finding, in order, each with its reveals.
	pub rulings: BoundedVec<Ruling<AccountId, MaxNodes, MaxSeated>, MaxLevels>,
	/// The appeals of `rulings`, in order (the `i`-th appeals the `i`-th ruling): who appealed
	/// and the deposit it holds under `HoldReason::Dispute`.
	pub appeals: BoundedVec<(AccountId, Balance), MaxLevels>,
}

/// A jury's finding on a dispute, kept until the dispute ends: an appeal's jury may contradict
/// it, and the last one standing is the truth every jury is judged by.
#[derive(
	CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxNodes, MaxSeated))]
pub struct Ruling<AccountId, MaxNodes: Get<u32>, MaxSeated: Get<u32>>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
{
	/// [`crate::settlement::Finding::Upheld`] or [`crate::settlement::Finding::Overturned`].
	pub finding: crate::settlement::Finding,
	/// The jurors, with their seats, commitments and reveals.
	pub jury: BoundedVec<Member<AccountId, Twice<MaxNodes>>, MaxSeated>,
}

/// How a dispute ended, kept in the request's outcome.
#[derive(
	CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxSeated))]
pub struct DisputeOutcome<AccountId, Balance, MaxSeated: Get<u32>>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
	Balance: Clone + core::fmt::Debug + PartialEq + Eq,
{
	pub appellant: AccountId,
	pub deposit: Balance,
	/// What the last jury standing found ([`crate::settlement::Finding`]).
	pub finding: crate::settlement::Finding,
	/// One per juror of every jury, in the order they sat, each judged against the last jury
	/// standing: paid out of the losing side's deposits (and, when the outcome was overturned,
	/// the penalties of the committee's liars and the junk's nodes), penalised as committee
	/// members are.
	pub jury: BoundedVec<ValidatorOutcome<AccountId, Balance>, MaxSeated>,
}

/// One piece of the work a drawn inference node or committee member does on a request: what
/// `commit_response`, `reveal_response`, `commit_scores` and `reveal_scores` each carry, and what
/// `submit_work` carries many of.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum Work {
	/// A drawn node commits to its answer: [`crate::answer_commitment`] of it and a salt.
	CommitResponse { id: RequestId, commitment: [u8; 32] },
	/// A node reveals the answer it committed to, with the commitment's salt.
	RevealResponse { id: RequestId, output: alloc::vec::Vec<u8>, salt: [u8; 32] },
	/// A committee member commits to its scores: [`crate::commitment`] of them and a salt.
	CommitScores { id: RequestId, commitment: [u8; 32] },
	/// A member reveals its scores, one per response in response order, with the salt; a
	/// juror of a dispute with an appeal judge, one more per response: its grades, in the
	/// same order.
	RevealScores { id: RequestId, scores: alloc::vec::Vec<u16>, salt: [u8; 32] },
}

impl Work {
	/// The request this work is for.
	pub fn id(&self) -> RequestId {
		match self {
			Work::CommitResponse { id, .. }
			| Work::RevealResponse { id, .. }
			| Work::CommitScores { id, .. }
			| Work::RevealScores { id, .. } => *id,
		}
	}
}

/// An operator key's consent to sign a bonded account's work (`set_operator`): the key, the last
/// block it may be used in, and the key's signature of [`crate::operator_consent`] of the chain's
/// genesis hash, the account and `until`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct OperatorConsent<BlockNumber> {
	pub key: crate::crypto::Public,
	pub until: BlockNumber,
	pub signature: crate::crypto::Signature,
}

/// A live request's committees that failed and were drawn again (`Redraws`).
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	DefaultNoBound,
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxExcluded))]
pub struct Redraw<AccountId, MaxExcluded: Get<u32>>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
{
	/// Committees drawn again so far.
	pub count: u32,
	/// Members who never committed or never revealed on a failed committee: later draws pass
	/// over them.
	pub excluded: BoundedVec<AccountId, MaxExcluded>,
}

/// The seats of the jury of appeal `level` (1: the client's dispute): `2 * s + 1` where `s` is
/// the seats of the body it checks, `committee` seats for the first.
pub fn jury_seats(committee: u32, level: u32) -> u32 {
	(0..level).fold(committee, |seats, _| seats.saturating_mul(2).saturating_add(1))
}

/// The seats of a dispute's last jury ([`jury_seats`] at `DisputeLevels`): also the most
/// accounts a committee or jury seats.
pub struct JurySizeOf<T>(core::marker::PhantomData<T>);

impl<T: crate::Config> Get<u32> for JurySizeOf<T> {
	fn get() -> u32 {
		jury_seats(T::CommitteeSize::get(), T::DisputeLevels::get())
	}
}

/// Twice `G`: the most scores a reveal holds, a juror's rerun of the committee's model followed
/// by the appeal judge's grades.
pub struct Twice<G>(core::marker::PhantomData<G>);

impl<G: Get<u32>> Get<u32> for Twice<G> {
	fn get() -> u32 {
		G::get().saturating_mul(2)
	}
}

/// The most members `Redraw::excluded` holds: every seat of every failed committee.
pub struct MaxExcludedOf<T>(core::marker::PhantomData<T>);

impl<T: crate::Config> Get<u32> for MaxExcludedOf<T> {
	fn get() -> u32 {
		T::CommitteeSize::get().saturating_mul(T::MaxRedraws::get())
	}
}
