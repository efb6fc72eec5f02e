//! The payout plan of a finished request, with no storage access.
//!
//! Everything is in `u128` base units; the pallet converts its balance type at the edges. The
//! escrowed fee is split in full: `sum(nodes) + sum(validators) + refund == escrow`, always.
//! Penalties come out of the bonds, never out of the escrow, and never exceed a bond.

use crate::consensus::in_consensus;
use alloc::vec::Vec;
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, per_things::Rounding, Perbill,
};

/// The protocol parameters settlement depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
	/// Share of the escrow for the validators in consensus, split among them by seat.
	pub validator_share: Perbill,
	/// Responses with a consensus score below this earn nothing.
	pub min_quality: u16,
	/// Largest mean absolute deviation from consensus that still counts as in consensus.
	pub tolerance: u16,
	/// The least taken, per seat, from the bond of a member who committed and then did not
	/// reveal or revealed off consensus.
	pub penalty: u128,
	/// Share of the escrow such a member loses when it is more than `penalty`.
	pub penalty_share: Perbill,
	/// Taken, per seat, from the bond of a member who never committed: less than `penalty`, so that
	/// staying away costs less than lying, and more than nothing, so that it is not free.
	pub absence_penalty: u128,
	/// Share of the node pot paid, in equal parts, for answers no committee could vouch for
	/// ([`pay_unvouched`]).
	pub unvouched_share: Perbill,
}

/// What one committee member did, in committee order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberReport<'a> {
	/// Whether it committed.
	pub committed: bool,
	/// Its revealed scores, one per response, if it revealed.
	pub reveal: Option<&'a [u16]>,
	/// Its bond, the most a penalty can take.
	pub bond: u128,
	/// The committee's seats it holds: its votes in the consensus, its shares of the pay and of
	/// a penalty.
	pub seats: u32,
}

/// How a committee member's conduct was judged.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub enum Verdict {
	/// Never committed: earns nothing and loses the absence penalty.
	NoCommit,
	/// Committed and never revealed: penalised.
	NoReveal,
	/// Revealed scores too far from consensus: penalised.
	OffConsensus,
	/// Revealed scores within tolerance of consensus: paid.
	InConsensus,
	/// Revealed, but no consensus stood: the members within tolerance of the median held no
	/// strict majority of the committee's seats. Earns nothing, loses nothing.
	NoMajority,
}

/// The payout plan: one entry per response and per member, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
	/// Paid to the inference node of each response.
	pub node_payouts: Vec<u128>,
	/// Taken from the bond of the inference node of each response (empty: nothing); only a
	/// dispute's [`review`] takes any.
	pub node_penalties: Vec<u128>,
	/// Paid to each committee member.
	pub validator_payouts: Vec<u128>,
	/// Taken from each committee member's bond.
	pub penalties: Vec<u128>,
	/// How each committee member was judged.
	pub verdicts: Vec<Verdict>,
	/// Returned to the client: whatever nobody earned, rounding dust included.
	pub refund: u128,
	/// Whether the consensus stood (see [`settle`]); when not, the request ends without one.
	pub finalized: bool,
	/// Whether the members' absences count (penalty and strike): some member committed. A
	/// committee on which nobody committed failed as a whole.
	pub attendance_counts: bool,
}

impl Plan {
	/// Everything paid out of the escrow.
	pub fn paid(&self) -> u128 {
		self.node_payouts.iter().chain(&self.validator_payouts).sum()
	}

	/// Everything taken from bonds.
	pub fn slashed(&self) -> u128 {
		self.penalties.iter().chain(&self.node_penalties).sum()
	}
}

/// Splits `escrow` given the consensus scores (empty when nobody revealed) and what each member
/// did.
///
/// The consensus stands only when the members within tolerance of it hold a strict majority of
/// the whole committee's seats, revealed or not. Otherwise (a liar facing one honest member
/// while a third stays away, or an even split) nobody's scores decide: the request ends
/// without consensus, revealing members are neither paid nor penalised ([`Verdict::NoMajority`]),
/// the nodes earn nothing and the client gets the escrow back. Members who committed and never
/// revealed are penalised either way, and members who never committed lose the smaller absence
/// penalty either way, unless nobody committed at all. Penalties are per seat, capped at the
/// member's bond.
///
/// Validators: `validator_share` of the escrow, among the members in consensus in proportion to
/// their seats. Seats follow stake, and every seat votes, earns and risks the same, so a stake
/// earns the same whether it is held in one account or split over several.
/// Inference nodes: the rest, in proportion to consensus score among responses at or above
/// `min_quality`. Unearned parts and rounding remainders are refunded.
pub fn settle(escrow: u128, consensus: &[u16], members: &[MemberReport], params: &Params) -> Plan {
	settle_by(escrow, consensus, consensus, members, params, Standing::ByMajority)
}

/// [`settle`] against a `consensus` set elsewhere, whoever of `members` agrees with it: how
/// an earlier jury of a dispute is judged against the last one standing.
pub fn impose(escrow: u128, consensus: &[u16], members: &[MemberReport], params: &Params) -> Plan {
	settle_by(escrow, consensus, consensus, members, params, Standing::Imposed)
}

/// Whether a consensus stands on its own ([`settle`]) or was set by a jury ([`review`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
	/// Only when the members within tolerance of it hold a strict majority of the seats.
	ByMajority,
	/// Always: the committee is judged against it, whoever agrees.
	Imposed,
}

/// [`settle`] judging the members against `consensus` and paying the nodes by `pay` (one score
/// per response: `consensus` itself, or a jury's with the junk its appeal judge found at 0).
fn settle_by(
	escrow: u128,
	consensus: &[u16],
	pay: &[u16],
	members: &[MemberReport],
	params: &Params,
	standing: Standing,
) -> Plan {
	let mut verdicts: Vec<Verdict> =
		members.iter().map(|m| verdict(m, consensus, params)).collect();
	let seats = |want: fn(&Verdict) -> bool| -> u128 {
		members
			.iter()
			.zip(&verdicts)
			.filter(|(_, v)| want(v))
			.fold(0u128, |sum, (m, _)| sum.saturating_add(u128::from(m.seats)))
	};
	let agreeing = seats(|v| *v == Verdict::InConsensus);
	let others = seats(|v| *v != Verdict::InConsensus);
	let finalized = !consensus.is_empty() && (standing == Standing::Imposed || agreeing > others);
	if !finalized {
		for v in &mut verdicts {
			if matches!(v, Verdict::InConsensus | Verdict::OffConsensus) {
				*v = Verdict::NoMajority;
			}
		}
	}
	let pay = if finalized { pay } else { &[] };
	// A committee on which nobody committed failed as a whole (validators not yet running a
	// quality model that just changed, a stalled transaction pool): that is no one member's
	// absence, and penalising it would drain every bond at once.
	let attendance_counts = members.iter().any(|m| m.committed);
	let absence_penalty = if attendance_counts { params.absence_penalty } else { 0 };
	let penalty = lie_penalty(escrow, params);
	let penalties = members
		.iter()
		.zip(&verdicts)
		.map(|(member, verdict)| {
			let per_seat = match verdict {
				Verdict::NoReveal | Verdict::OffConsensus => penalty,
				Verdict::NoCommit => absence_penalty,
				Verdict::InConsensus | Verdict::NoMajority => 0,
			};
			per_seat.saturating_mul(u128::from(member.seats)).min(member.bond)
		})
		.collect();

	let validator_payouts = by_seat(params.validator_share.mul_floor(escrow), members, &verdicts);

	let node_pot = node_pot(escrow, params);
	let eligible = |score: &u16| *score >= params.min_quality && *score > 0;
	let quality_sum: u128 = pay.iter().filter(|s| eligible(s)).map(|s| u128::from(*s)).sum();
	let node_payouts = pay
		.iter()
		.map(|score| match eligible(score) {
			true => multiply_by_rational_with_rounding(
				node_pot,
				u128::from(*score),
				quality_sum,
				Rounding::Down,
			)
			.unwrap_or_default(),
			false => 0,
		})
		.collect();

	let mut plan = Plan {
		node_payouts,
		node_penalties: Vec::new(),
		validator_payouts,
		penalties,
		verdicts,
		refund: 0,
		finalized,
		attendance_counts,
	};
	plan.refund = escrow - plan.paid();
	plan
}

/// Splits `pot` among the `members` judged [`Verdict::InConsensus`], in proportion to their
/// seats, rounding down; the others get nothing.
pub fn by_seat(pot: u128, members: &[MemberReport], verdicts: &[Verdict]) -> Vec<u128> {
	let agreeing = members
		.iter()
		.zip(verdicts)
		.filter(|(_, v)| **v == Verdict::InConsensus)
		.fold(0u128, |sum, (m, _)| sum.saturating_add(u128::from(m.seats)));
	members
		.iter()
		.zip(verdicts)
		.map(|(member, v)| match v {
			Verdict::InConsensus => multiply_by_rational_with_rounding(
				pot,
				u128::from(member.seats),
				agreeing,
				Rounding::Down,
			)
			.unwrap_or_default(),
			_ => 0,
		})
		.collect()
}

/// What a dispute's jury found about a provisional outcome ([`review`]).
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub enum Finding {
	/// The jury's consensus confirms the committee's: the outcome stands and the client's
	/// deposit pays the jury.
	Upheld,
	/// The jury's consensus contradicts the committee's: a member in the committee's consensus
	/// is off the jury's (a liar), or an answer the committee paid is graded below
	/// `min_quality` by the jury (junk: by the appeal judge when one is pinned, by the jury's
	/// rerun of the committee's model otherwise). The request settles by the jury's scores
	/// with the junk unpaid, the liars and the junk's nodes are penalised and their penalties
	/// pay the jury; the client's deposit comes back.
	Overturned,
	/// No jury stood (nobody could be drawn, or no strict majority of its seats agreed): the
	/// outcome stands and the client's deposit comes back.
	Lapsed,
}

impl Finding {
	/// What an appeal of this finding stakes its deposit on: the other one.
	pub fn opposite(self) -> Finding {
		match self {
			Finding::Upheld => Finding::Overturned,
			Finding::Overturned => Finding::Upheld,
			Finding::Lapsed => Finding::Lapsed,
		}
	}
}

/// A provisional outcome checked by a dispute's jury.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
	pub finding: Finding,
	/// The request's settlement: the committee's own plan when upheld; when overturned, the
	/// plan by the jury's scores, with the junk's nodes' penalties.
	pub plan: Plan,
}

/// Reviews the outcome the committee `members` reached (`provisional`, their consensus) on a
/// request of `escrow` against the jury's consensus `verdict` (which stood among the jurors)
/// and its `grades` of the answers (the appeal judge's, or `verdict` again without one).
///
/// Two questions, kept apart. Did the committee report what its model gives? The jury reruns
/// the committee's own model (`verdict`), so an honest member agrees with it within tolerance
/// whatever the model made of the answers: it is never penalised for the model being fooled.
/// Is an answer good? `grades` says: an answer graded below `min_quality` is junk whatever the
/// committee's model scored it. Overturned, the committee is judged against `verdict` whoever
/// held its majority (an honest minority beside captured members is paid, and the captured
/// members are penalised as members off consensus), the nodes are paid by `verdict` with the
/// junk at 0, and the node of every answer the committee paid that is junk loses what it would
/// have been paid plus `node_penalty` (capped at its bond by the caller).
pub fn review(
	escrow: u128,
	provisional: &[u16],
	verdict: &[u16],
	grades: &[u16],
	members: &[MemberReport],
	params: &Params,
	node_penalty: u128,
) -> Review {
	let junk = |grade: &u16| *grade < params.min_quality;
	let pay: Vec<u16> = verdict
		.iter()
		.zip(grades)
		.map(|(score, grade)| if junk(grade) { 0 } else { *score })
		.collect();
	let upheld = settle(escrow, provisional, members, params);
	let imposed = settle_by(escrow, verdict, &pay, members, params, Standing::Imposed);
	let liars =
		upheld.verdicts.iter().zip(&imposed.verdicts).any(|(before, after)| {
			*before == Verdict::InConsensus && *after != Verdict::InConsensus
		});
	let node_penalties: Vec<u128> = upheld
		.node_payouts
		.iter()
		.zip(grades)
		.map(|(paid, grade)| match *paid > 0 && junk(grade) {
			true => paid.saturating_add(node_penalty),
			false => 0,
		})
		.collect();
	if !liars && node_penalties.iter().all(|penalty| *penalty == 0) {
		return Review { finding: Finding::Upheld, plan: upheld };
	}
	Review { finding: Finding::Overturned, plan: Plan { node_penalties, ..imposed } }
}

/// Pays the nodes of a request whose every committee failed (no consensus stood, so `plan`
/// paid nobody): `unvouched_share` of the node pot, in equal parts among the `responses`
/// revealed, out of what `plan` refunded. Answers were delivered, so the client does not get them
/// free; nobody vouched for their quality, so they earn less than a working committee would pay
/// good answers, and good and junk alike.
pub fn pay_unvouched(plan: &mut Plan, escrow: u128, responses: usize, params: &Params) {
	if plan.finalized || responses == 0 {
		return;
	}
	let each = params.unvouched_share.mul_floor(node_pot(escrow, params)) / responses as u128;
	plan.node_payouts = alloc::vec![each; responses];
	plan.refund = escrow - plan.paid();
}

/// The inference nodes' part of `escrow`: what the validators' share leaves.
fn node_pot(escrow: u128, params: &Params) -> u128 {
	escrow - params.validator_share.mul_floor(escrow)
}

/// Whether the committee settled by `plan`, on a request with `responses` revealed answers, is
/// drawn again (up to `MaxRedraws` times): no consensus stood and a member stayed away. One on
/// which every member revealed and none held a majority is not: another draw would only give
/// revealers who blocked the majority another chance to capture the request, free.
pub fn wants_redraw(plan: &Plan, responses: usize) -> bool {
	!plan.finalized && responses > 0 && plan.verdicts.iter().any(stayed_away)
}

/// The members (committee indices) the draw after `plan`'s failed committee passes over: those
/// who never committed or never revealed, unless nobody committed (the committee failed as a
/// whole, and nobody is to blame).
pub fn passed_over(plan: &Plan) -> impl Iterator<Item = usize> + '_ {
	plan.verdicts
		.iter()
		.enumerate()
		.filter(|(_, verdict)| plan.attendance_counts && stayed_away(verdict))
		.map(|(index, _)| index)
}

fn stayed_away(verdict: &Verdict) -> bool {
	matches!(verdict, Verdict::NoCommit | Verdict::NoReveal)
}

/// What a member who committed and then did not reveal or revealed off consensus loses on a
/// request of `escrow`, per seat (before the cap at its bond): `penalty`, or `penalty_share` of
/// the escrow when that is more. A seat pays at most `validator_share` of the escrow, so with
/// `penalty_share` well above it laziness costs more than it earns at every fee.
pub fn lie_penalty(escrow: u128, params: &Params) -> u128 {
	params.penalty.max(params.penalty_share.mul_floor(escrow))
}

fn verdict(member: &MemberReport, consensus: &[u16], params: &Params) -> Verdict {
	match (member.committed, member.reveal) {
		(false, _) => Verdict::NoCommit,
		(true, None) => Verdict::NoReveal,
		(true, Some(scores)) if in_consensus(scores, consensus, params.tolerance) => {
			Verdict::InConsensus
		},
		(true, Some(_)) => Verdict::OffConsensus,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::consensus::{consensus_scores, MAX_SCORE};
	use proptest::prelude::*;

	fn params() -> Params {
		Params {
			validator_share: Perbill::from_percent(20),
			min_quality: 2_000,
			tolerance: 1_000,
			penalty: 50,
			penalty_share: Perbill::from_percent(2),
			absence_penalty: 20,
			unvouched_share: Perbill::from_percent(50),
		}
	}

	fn member(reveal: Option<&[u16]>) -> MemberReport<'_> {
		MemberReport { committed: true, reveal, bond: 1_000, seats: 1 }
	}

	#[test]
	fn pays_by_quality_and_consensus() {
		let honest = [9_000u16, 3_000];
		let lazy = [0u16, 0];
		// The two honest members hold 4 of the committee's 7 seats: a strict majority.
		let heavy = |reveal| MemberReport { seats: 2, ..member(reveal) };
		let members = [
			heavy(Some(&honest)),
			heavy(Some(&honest)),
			member(Some(&lazy)),
			member(None),
			MemberReport { committed: false, reveal: None, bond: 1_000, seats: 1 },
		];
		let plan = settle(1_000, &[9_000, 3_000], &members, &params());
		// 200 for validators, two in consensus.
		assert_eq!(plan.validator_payouts, vec![100, 100, 0, 0, 0]);
		// 800 for nodes, 9:3.
		assert_eq!(plan.node_payouts, vec![600, 200]);
		assert_eq!(plan.penalties, vec![0, 0, 50, 50, 20]);
		assert_eq!(
			plan.verdicts,
			vec![
				Verdict::InConsensus,
				Verdict::InConsensus,
				Verdict::OffConsensus,
				Verdict::NoReveal,
				Verdict::NoCommit
			]
		);
		assert_eq!(plan.refund, 0);
	}

	#[test]
	fn validators_are_paid_and_penalised_by_seat() {
		let scores = [8_000u16];
		let seated = |seats| MemberReport { seats, ..member(Some(&scores)) };
		let members = [seated(3), seated(1), seated(1)];
		let plan = settle(1_000, &[8_000], &members, &params());
		assert_eq!(plan.validator_payouts, vec![120, 40, 40]);
		// Three seats held by three accounts earn what they earned in one.
		let split = [seated(1), seated(1), seated(1), seated(1), seated(1)];
		let plan = settle(1_000, &[8_000], &split, &params());
		assert_eq!(plan.validator_payouts, vec![40; 5]);
		// And lose what they lost in one: a penalty per seat, up to the bond.
		let lazy = |seats| MemberReport { seats, committed: true, reveal: None, bond: 1_000 };
		let plan = settle(1_000, &[8_000], &[seated(3), lazy(3), lazy(1)], &params());
		assert_eq!(plan.penalties, vec![0, 150, 50]);
		let absent = MemberReport { committed: false, ..lazy(30) };
		assert_eq!(
			settle(1_000, &[8_000], &[seated(3), absent], &params()).penalties,
			vec![0, 600]
		);
		let plan = settle(1_000, &[8_000], &[seated(3), lazy(30)], &params());
		assert_eq!(plan.penalties, vec![0, 1_000]);
	}

	#[test]
	fn low_quality_earns_nothing_and_is_refunded() {
		let scores = [1_999u16];
		let plan = settle(1_000, &[1_999], &[member(Some(&scores))], &params());
		assert_eq!(plan.node_payouts, vec![0]);
		assert_eq!(plan.validator_payouts, vec![200]);
		assert_eq!(plan.refund, 800);
	}

	#[test]
	fn nobody_revealed_refunds_everything() {
		let plan = settle(1_000, &[], &[member(None), member(None)], &params());
		assert_eq!(plan.refund, 1_000);
		assert_eq!(plan.penalties, vec![50, 50]);
		assert!(plan.node_payouts.is_empty());
	}

	#[test]
	fn an_absent_member_does_not_let_one_liar_decide() {
		// One member stays away; the liar's lower scores would be the lower median.
		let (honest, liar) = ([9_000u16, 2_500], [0u16, 0]);
		let absent = MemberReport { committed: false, reveal: None, bond: 1_000, seats: 1 };
		let members = [member(Some(&honest)), member(Some(&liar)), absent];
		let reveals: Vec<(&[u16], u128)> = vec![(&honest, 1), (&liar, 1)];
		let consensus = consensus_scores(&reveals, 2);
		assert_eq!(consensus, vec![0, 0]);
		let plan = settle(1_000, &consensus, &members, &params());
		assert!(!plan.finalized);
		assert_eq!(
			plan.verdicts,
			vec![Verdict::NoMajority, Verdict::NoMajority, Verdict::NoCommit]
		);
		// Neither revealing member is penalised; the absent one loses the absence penalty.
		assert_eq!(plan.penalties, vec![0, 0, 20]);
		assert_eq!(plan.refund, 1_000);
		// With the third member back and honest, the honest majority decides.
		let members = [member(Some(&honest)), member(Some(&liar)), member(Some(&honest))];
		let reveals: Vec<(&[u16], u128)> = vec![(&honest, 1), (&liar, 1), (&honest, 1)];
		let plan = settle(1_000, &consensus_scores(&reveals, 2), &members, &params());
		assert!(plan.finalized);
		assert_eq!(plan.verdicts[1], Verdict::OffConsensus);
		assert_eq!(plan.penalties, vec![0, 50, 0]);
	}

	#[test]
	fn a_committee_nobody_committed_on_is_not_penalised() {
		let absent = MemberReport { committed: false, reveal: None, bond: 1_000, seats: 1 };
		let plan = settle(1_000, &[], &[absent, absent, absent], &params());
		assert_eq!(plan.verdicts, vec![Verdict::NoCommit; 3]);
		assert_eq!(plan.penalties, vec![0, 0, 0]);
		assert!(!plan.attendance_counts);
		assert_eq!(plan.refund, 1_000);
		// One commitment makes the others' absence theirs.
		let committed = MemberReport { committed: true, ..absent };
		let plan = settle(1_000, &[], &[committed, absent, absent], &params());
		assert_eq!(plan.penalties, vec![50, 20, 20]);
		assert!(plan.attendance_counts);
	}

	#[test]
	fn the_penalty_grows_with_the_fee_above_its_floor() {
		let lazy = [0u16];
		let members = [member(Some(&[9_000])), member(Some(&[9_000])), member(Some(&lazy))];
		// 2 % of 1 000 is 20: the floor, 50, applies.
		assert_eq!(settle(1_000, &[9_000], &members, &params()).penalties, vec![0, 0, 50]);
		// 2 % of 10 000 is 200.
		assert_eq!(settle(10_000, &[9_000], &members, &params()).penalties, vec![0, 0, 200]);
		// Never more than the bond.
		assert_eq!(settle(1_000_000, &[9_000], &members, &params()).penalties, vec![0, 0, 1_000]);
	}

	#[test]
	fn penalty_never_exceeds_the_bond() {
		let poor = MemberReport { committed: true, reveal: None, bond: 7, seats: 1 };
		assert_eq!(settle(10, &[], &[poor], &params()).penalties, vec![7]);
	}

	#[test]
	fn answers_nobody_vouched_for_earn_a_share_in_equal_parts() {
		// Nobody committed: no consensus, the escrow would go back whole.
		let absent = MemberReport { committed: false, reveal: None, bond: 1_000, seats: 1 };
		let mut plan = settle(1_000, &[], &[absent, absent], &params());
		assert_eq!((plan.finalized, plan.refund), (false, 1_000));
		// 800 for the nodes, half of it paid, 133 to each of three: the client pays 399.
		pay_unvouched(&mut plan, 1_000, 3, &params());
		assert_eq!(plan.node_payouts, vec![133, 133, 133]);
		assert_eq!(plan.refund, 601);
		assert_eq!(plan.validator_payouts, vec![0, 0]);
	}

	#[test]
	fn only_a_failure_with_someone_away_is_drawn_again_and_only_the_absent_are_passed_over() {
		let honest = [9_000u16, 3_000];
		let lie = [1u16, 1];
		let absent = MemberReport { committed: false, reveal: None, bond: 1_000, seats: 1 };
		let heavy = |reveal| MemberReport { seats: 3, ..member(reveal) };
		// The absent member and the one that never revealed hold the majority: no consensus.
		let away = settle(1_000, &honest, &[member(Some(&honest)), absent, heavy(None)], &params());
		assert!(wants_redraw(&away, 2));
		assert!(!wants_redraw(&away, 0), "no answer, nothing to vouch for");
		assert_eq!(passed_over(&away).collect::<Vec<_>>(), [1, 2]);
		// Everyone revealed and half lied: final.
		let split = settle(1_000, &lie, &[member(Some(&honest)), member(Some(&lie))], &params());
		assert!(!split.finalized && !wants_redraw(&split, 2));
		// Nobody committed: drawn again, nobody passed over.
		let nobody = settle(1_000, &[], &[absent, absent], &params());
		assert!(wants_redraw(&nobody, 2));
		assert_eq!(passed_over(&nobody).count(), 0);
		// A consensus stood: nothing to draw again.
		let decided = settle(
			1_000,
			&honest,
			&[member(Some(&honest)), member(Some(&honest)), absent],
			&params(),
		);
		assert!(decided.finalized && !wants_redraw(&decided, 2));
	}

	#[test]
	fn an_appeal_judge_unpays_junk_a_fooled_committee_paid_without_slashing_it() {
		let p = params();
		// The committee's model was fooled: it scores the junk (second answer) as good, and
		// every member reports faithfully what it gives.
		let fooled = [8_000u16, 9_000];
		let members: Vec<MemberReport> = (0..3).map(|_| member(Some(&fooled))).collect();
		// The jury reruns the same model and agrees; the appeal judge grades the second answer
		// 1 000.
		let review = review(1_000_000, &fooled, &fooled, &[9_000, 1_000], &members, &p, 500);
		assert_eq!(review.finding, Finding::Overturned);
		let upheld = settle(1_000_000, &fooled, &members, &p);
		let plan = review.plan;
		assert_eq!(plan.node_payouts[1], 0, "the junk is unpaid");
		assert_eq!(plan.node_penalties, vec![0, upheld.node_payouts[1] + 500]);
		assert_eq!(plan.node_payouts[0], node_pot(1_000_000, &p), "the good answer takes it all");
		assert_eq!(plan.verdicts, vec![Verdict::InConsensus; 3], "the honest committee is paid");
		assert_eq!(plan.validator_payouts, upheld.validator_payouts);
		assert_eq!(plan.penalties, vec![0; 3]);
		assert_eq!(plan.paid() + plan.refund, 1_000_000);
		// Graded good, the same outcome stands.
		let good = super::review(1_000_000, &fooled, &fooled, &[9_000, 7_000], &members, &p, 500);
		assert_eq!(good.finding, Finding::Upheld);
		assert_eq!(good.plan, upheld);
	}

	#[test]
	fn rounding_dust_goes_back_to_the_client() {
		let scores = [5_000u16, 5_000, 5_000];
		let members = [member(Some(&scores)), member(Some(&scores)), member(Some(&scores))];
		let plan = settle(100, &scores, &members, &params());
		// 20 / 3 validators = 6 each, 80 / 3 nodes = 26 each: 2 + 2 of dust.
		assert_eq!(plan.validator_payouts, vec![6, 6, 6]);
		assert_eq!(plan.node_payouts, vec![26, 26, 26]);
		assert_eq!(plan.refund, 4);
	}

	/// The members of an [`arbitrary_round`]: a reveal implies a commitment.
	fn reports(raw: &[(bool, Option<Vec<u16>>, u128, u32)]) -> Vec<MemberReport<'_>> {
		raw.iter()
			.map(|(committed, reveal, bond, seats)| MemberReport {
				committed: *committed || reveal.is_some(),
				reveal: reveal.as_deref(),
				bond: *bond,
				seats: *seats,
			})
			.collect()
	}

	/// The consensus of `members`' reveals on `responses` answers, one vote per seat.
	fn consensus_of(members: &[MemberReport], responses: usize) -> Vec<u16> {
		let reveals: Vec<(&[u16], u128)> =
			members.iter().filter_map(|m| m.reveal.map(|r| (r, u128::from(m.seats)))).collect();
		consensus_scores(&reveals, responses)
	}

	prop_compose! {
		fn arbitrary_round()(responses in 1usize..6, members in 0usize..8)(
			reveals in proptest::collection::vec(
				(any::<bool>(), proptest::option::of(proptest::collection::vec(0u16..=MAX_SCORE, responses)), 0u128..10_000, 1u32..8),
				members,
			),
			escrow in any::<u128>(),
			share in 0u32..=1_000_000_000,
			min_quality in 0u16..=MAX_SCORE,
			tolerance in 0u16..=MAX_SCORE,
			penalty in 0u128..20_000,
			penalty_share in 0u32..=1_000_000_000,
			absence_penalty in 0u128..20_000,
			unvouched_share in 0u32..=1_000_000_000,
			responses in Just(responses),
		) -> (u128, Vec<(bool, Option<Vec<u16>>, u128, u32)>, Params, usize) {
			(escrow, reveals, Params {
				validator_share: Perbill::from_parts(share),
				min_quality,
				tolerance,
				penalty,
				penalty_share: Perbill::from_parts(penalty_share),
				absence_penalty,
				unvouched_share: Perbill::from_parts(unvouched_share),
			}, responses)
		}
	}

	proptest! {
		/// A jury that reruns the committee's model and agrees with it, with no appeal judge,
		/// upholds the outcome as it stood; whatever the jury finds and grades, the escrow
		/// splits in full, nobody within tolerance of the jury's rerun is penalised for a lie
		/// (however the appeal judge grades the answers: an honest member of a fooled committee
		/// is never punished), junk is never paid, and an outcome is overturned exactly when
		/// the jury finds a member of the committee's consensus off its own, or a paid answer
		/// graded below `min_quality`.
		#[test]
		fn a_review_conserves_the_escrow_and_never_punishes_agreement(
			(escrow, raw, params, responses) in arbitrary_round(),
			verdict_seed in any::<u64>(),
			grade_seed in proptest::option::of(any::<u64>()),
			node_penalty in 0u128..10_000,
		) {
			let members = reports(&raw);
			let provisional = consensus_of(&members, responses);
			let upheld = settle(escrow, &provisional, &members, &params);
			// Only a consensus that stood is provisional, and so disputable.
			prop_assume!(upheld.finalized);

			let same =
				review(escrow, &provisional, &provisional, &provisional, &members, &params, node_penalty);
			prop_assert_eq!(same.finding, Finding::Upheld);
			prop_assert_eq!(&same.plan, &upheld);

			let column = |seed: u64| -> Vec<u16> {
				(0..responses).map(|j| ((seed >> (j * 11)) % 10_001) as u16).collect()
			};
			let verdict = column(verdict_seed);
			// Without an appeal judge the jury's rerun grades the answers too.
			let grades = grade_seed.map_or_else(|| verdict.clone(), column);
			let review =
				review(escrow, &provisional, &verdict, &grades, &members, &params, node_penalty);
			let plan = &review.plan;
			prop_assert_eq!(plan.paid() + plan.refund, escrow);
			prop_assert!(plan.finalized);
			for (member, (v, penalty)) in members.iter().zip(plan.verdicts.iter().zip(&plan.penalties)) {
				if member.reveal.is_some_and(|r| in_consensus(r, &verdict, params.tolerance))
					&& review.finding == Finding::Overturned
				{
					prop_assert_eq!(*v, Verdict::InConsensus);
					prop_assert_eq!(*penalty, 0);
				}
			}
			let liar = upheld.verdicts.iter().zip(&members).any(|(v, m)| {
				*v == Verdict::InConsensus && !m.reveal.is_some_and(|r| in_consensus(r, &verdict, params.tolerance))
			});
			let junk: Vec<bool> = upheld.node_payouts.iter().zip(&grades)
				.map(|(paid, grade)| *paid > 0 && *grade < params.min_quality)
				.collect();
			let overturned = liar || junk.iter().any(|j| *j);
			prop_assert_eq!(review.finding == Finding::Overturned, overturned);
			if overturned {
				for (index, is_junk) in junk.iter().enumerate() {
					let due = if *is_junk { upheld.node_payouts[index] + node_penalty } else { 0 };
					prop_assert_eq!(plan.node_penalties[index], due);
				}
				for (paid, grade) in plan.node_payouts.iter().zip(&grades) {
					prop_assert!(*grade >= params.min_quality || *paid == 0, "junk is paid");
				}
			} else {
				prop_assert_eq!(plan, &upheld);
			}
		}

		/// Honest members (the same scores) holding a strict majority of the committee's seats
		/// decide the consensus and are never penalised, whatever the others reveal or skip.
		#[test]
		fn an_honest_majority_decides_and_is_never_penalised(
			truth in proptest::collection::vec(0u16..=MAX_SCORE, 1..4),
			honest in proptest::collection::vec(1u32..10, 1..5),
			others in proptest::collection::vec((0u8..3, 1u32..10, any::<u64>()), 0..5),
		) {
			let lies: Vec<Vec<u16>> = others.iter().map(|(_, _, seed)| {
				truth.iter().enumerate().map(|(j, _)| ((seed >> (j * 13)) % 10_001) as u16).collect()
			}).collect();
			let mut members: Vec<MemberReport> = honest.iter()
				.map(|seats| MemberReport { committed: true, reveal: Some(&truth), bond: 1_000, seats: *seats })
				.collect();
			for ((kind, seats, _), lie) in others.iter().zip(&lies) {
				let (committed, reveal) = match kind { 0 => (false, None), 1 => (true, None), _ => (true, Some(lie.as_slice())) };
				members.push(MemberReport { committed, reveal, bond: 1_000, seats: *seats });
			}
			let honest_seats: u32 = honest.iter().sum();
			let total: u32 = members.iter().map(|m| m.seats).sum();
			prop_assume!(2 * honest_seats > total);
			let reveals: Vec<(&[u16], u128)> =
				members.iter().filter_map(|m| m.reveal.map(|r| (r, u128::from(m.seats)))).collect();
			let consensus = consensus_scores(&reveals, truth.len());
			let plan = settle(1_000_000, &consensus, &members, &params());
			prop_assert!(plan.finalized);
			prop_assert_eq!(&consensus, &truth);
			for (verdict, penalty) in plan.verdicts.iter().zip(&plan.penalties).take(honest.len()) {
				prop_assert_eq!(*verdict, Verdict::InConsensus);
				prop_assert_eq!(*penalty, 0);
			}
		}

		#[test]
		fn conserves_the_escrow((escrow, raw, params, responses) in arbitrary_round()) {
			let members = reports(&raw);
			let consensus = consensus_of(&members, responses);
			let plan = settle(escrow, &consensus, &members, &params);

			prop_assert_eq!(plan.paid() + plan.refund, escrow);
			prop_assert_eq!(plan.validator_payouts.len(), members.len());
			prop_assert_eq!(plan.node_payouts.len(), if plan.finalized { consensus.len() } else { 0 });
			let anyone_committed = members.iter().any(|m| m.committed);
			prop_assert_eq!(plan.attendance_counts, anyone_committed);
			for ((penalty, member), verdict) in plan.penalties.iter().zip(&members).zip(&plan.verdicts) {
				let due = match verdict {
					Verdict::NoReveal | Verdict::OffConsensus => lie_penalty(escrow, &params),
					Verdict::NoCommit if anyone_committed => params.absence_penalty,
					Verdict::NoCommit => 0,
					Verdict::InConsensus | Verdict::NoMajority => 0,
				};
				prop_assert_eq!(*penalty, member.bond.min(due.saturating_mul(u128::from(member.seats))));
			}
			// Members in consensus share the validators' pot by seat, to rounding.
			let pot = params.validator_share.mul_floor(escrow);
			let agreeing_seats: u128 = members.iter().zip(&plan.verdicts)
				.filter(|(_, v)| **v == Verdict::InConsensus).map(|(m, _)| u128::from(m.seats)).sum();
			for ((pay, member), verdict) in plan.validator_payouts.iter().zip(&members).zip(&plan.verdicts) {
				if *verdict == Verdict::InConsensus {
					let due = multiply_by_rational_with_rounding(pot, u128::from(member.seats), agreeing_seats, Rounding::Down);
					prop_assert_eq!(Some(*pay), due);
				}
			}
			// Only members in consensus are paid, only members who misbehaved are penalised.
			for ((pay, penalty), verdict) in
				plan.validator_payouts.iter().zip(&plan.penalties).zip(&plan.verdicts)
			{
				prop_assert!(*pay == 0 || *verdict == Verdict::InConsensus);
				prop_assert!(*penalty == 0 || matches!(verdict, Verdict::NoReveal | Verdict::OffConsensus | Verdict::NoCommit));
			}
			// Without a strict majority in consensus nothing is paid and only a missing
			// commitment or reveal is penalised.
			let agreeing: u128 = members.iter().zip(&plan.verdicts)
				.filter(|(_, v)| **v == Verdict::InConsensus).map(|(m, _)| u128::from(m.seats)).sum();
			let total: u128 = members.iter().map(|m| u128::from(m.seats)).sum();
			prop_assert_eq!(plan.finalized, !consensus.is_empty() && 2 * agreeing > total);
			if !plan.finalized {
				prop_assert_eq!(plan.refund, escrow);
				prop_assert!(plan.verdicts.iter().all(|v| !matches!(v, Verdict::InConsensus | Verdict::OffConsensus)));
				// No committee could vouch: the nodes get `unvouched_share` of their pot in
				// equal parts, the client the rest, and the escrow still splits in full.
				let mut unvouched = plan.clone();
				pay_unvouched(&mut unvouched, escrow, responses, &params);
				let node_pot = escrow - params.validator_share.mul_floor(escrow);
				let each = params.unvouched_share.mul_floor(node_pot) / responses as u128;
				prop_assert_eq!(&unvouched.node_payouts, &vec![each; responses]);
				prop_assert_eq!(unvouched.paid() + unvouched.refund, escrow);
				prop_assert_eq!(&unvouched.penalties, &plan.penalties);
				prop_assert!(unvouched.validator_payouts.iter().all(|pay| *pay == 0));
			} else {
				let mut same = plan.clone();
				pay_unvouched(&mut same, escrow, responses, &params);
				prop_assert_eq!(same, plan.clone());
			}
			// A better response never earns less.
			for (a, pay_a) in consensus.iter().zip(&plan.node_payouts) {
				for (b, pay_b) in consensus.iter().zip(&plan.node_payouts) {
					if a >= b {
						prop_assert!(pay_a >= pay_b);
					}
				}
			}
		}
	}
}
