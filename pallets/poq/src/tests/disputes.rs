//! Protocols v4 to v7: provisional outcomes, the dispute of any party to the request (v7: not
//! only the client, also an outvoted committee member or a node) and the jury that checks the
//! committee, with the appeal judge governance pins, and appeals to larger juries. Every attack
//! first: a captured committee paying junk, junk that fooled the committee's model, a frivolous
//! client, a jury that cannot agree, jurors who skip the model and grade at will, a captured
//! jury, a frivolous appeal, every bad input.

use super::*;
use crate::settlement::{Finding, Verdict};
use frame_support::{assert_noop, traits::fungible::Inspect};
use proptest::prelude::*;

const FEE: Balance = 1_000;
/// Node 10's answer is good, node 11's junk, as an honest member scores them.
const HONEST: [u16; 2] = [8_000, 500];
/// What a member who wants the junk paid reveals.
const CAPTURED: [u16; 2] = [8_000, 9_000];
/// Validators registered after the committee is drawn: the only ones a jury can seat.
const JURORS: [AccountId; 4] = SPARE;

/// Opens the dispute window and seats the would-be jurors; returns the request's id, with its
/// committee drawn.
fn committee_drawn() -> RequestId {
	DisputeWindow::set(&3);
	let id = submit(ALICE, FEE);
	respond_all(id);
	for juror in JURORS {
		assert_ok!(Poq::register_validator(signed(juror), BOND));
	}
	id
}

/// Has committee member `who` commit and reveal `scores`: the members act one after another,
/// so the reveals wait for every commitment.
fn committee_scores(id: RequestId, scores: &[(AccountId, [u16; 2])]) {
	for (who, s) in scores {
		commit(*who, id, s);
	}
	for (who, s) in scores {
		reveal(*who, id, s);
	}
}

/// A request whose committee (20 and 21 captured, 22 honest) made junk paid, provisionally.
fn captured_outcome() -> RequestId {
	let id = committee_drawn();
	committee_scores(id, &[(20, CAPTURED), (21, CAPTURED), (22, HONEST)]);
	id
}

/// Alice, the client, disputes `id` and the jury is drawn; returns the jurors with their seats.
fn dispute_and_draw(id: RequestId) -> Vec<(AccountId, u32)> {
	disputed_by(id, ALICE)
}

/// `who` disputes `id`, holding the fee, and the jury is drawn; returns the jurors with their
/// seats.
fn disputed_by(id: RequestId, who: AccountId) -> Vec<(AccountId, u32)> {
	assert_ok!(Poq::dispute(signed(who), id, FEE));
	assert!(poq_events().contains(&Event::Disputed { id, who, deposit: FEE }));
	advance(DRAW_DELAY);
	let jury = request(id).committee;
	assert_eq!(request(id).phase, Phase::Committing);
	jury.iter().map(|juror| (juror.who, juror.seats)).collect()
}

/// Every juror commits and reveals `scores`; the next block's hook settles the request.
fn jury_scores(id: RequestId, jury: &[(AccountId, u32)], scores: &[u16]) {
	for (juror, _) in jury {
		commit(*juror, id, scores);
	}
	for (juror, _) in jury {
		reveal(*juror, id, scores);
	}
	// The last reveal leaves the settlement, dearer than a reveal declares, to the hook.
	assert_eq!(request(id).ends_at, System::block_number() + 1);
	advance(1);
}

/// The outcome of request `id` and its dispute, which the jury overturned with `scores` and
/// `grades`, as `DisputeResolved` said.
fn overturned(
	id: RequestId,
	scores: &[u16],
	grades: &[u16],
) -> (OutcomeOf<Test>, crate::DisputeOutcomeOf<Test>) {
	let result = outcome(id);
	let dispute = result.dispute.clone().expect("disputed");
	assert_eq!(dispute.finding, Finding::Overturned);
	assert!(poq_events().contains(&Event::DisputeResolved {
		id,
		finding: Finding::Overturned,
		scores: scores.to_vec(),
		grades: grades.to_vec(),
	}));
	(result, dispute)
}

/// The committee of [`captured_outcome`] judged against the truth: the honest member takes the
/// validators' whole 200, the captured members lose the penalty for a lie.
fn liars_slashed_and_honest_member_paid(result: &OutcomeOf<Test>) {
	let mut verdicts: Vec<_> =
		result.committee.iter().map(|m| (m.validator, m.verdict, m.paid, m.slashed)).collect();
	verdicts.sort_by_key(|v| v.0);
	assert_eq!(
		verdicts,
		vec![
			(20, Verdict::OffConsensus, 0, PENALTY),
			(21, Verdict::OffConsensus, 0, PENALTY),
			(22, Verdict::InConsensus, 200, 0)
		]
	);
}

fn deposit_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::Dispute.into(), &who)
}

/// Everything every account holds: with `OnSlash` burning, what it burnt is the fall.
fn everything() -> Balance {
	Balances::total_issuance()
}

#[test]
fn an_undisputed_outcome_is_provisional_then_paid_as_before() {
	ExtBuilder::default().execute(|| {
		let id = committee_drawn();
		let before: Vec<Balance> = NODES.iter().map(|n| total(*n)).collect();
		committee_scores(id, &[(20, HONEST), (21, HONEST), (22, HONEST)]);
		// Consensus stood: nothing moves yet, the client may dispute until `dispute_by`.
		let now = System::block_number();
		assert_eq!(request(id).phase, Phase::Provisional);
		assert!(poq_events().contains(&Event::RequestProvisional {
			id,
			scores: HONEST.to_vec(),
			dispute_by: now + 3,
		}));
		assert_eq!(escrow(ALICE), FEE);
		assert_eq!(NODES.map(total).to_vec(), before);
		assert!(VALIDATORS.iter().all(|v| live_requests(*v) == 1), "bonds stay at stake");
		advance(2);
		assert_eq!(request(id).phase, Phase::Provisional);
		advance(1);
		// Final: node 10 takes the nodes' 800, each member 66, 2 of dust back.
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Finalized);
		assert_eq!(result.dispute, None);
		assert_eq!(result.finished_at, now + 3);
		assert_eq!(total(10), before[0] + 800);
		assert_eq!(total(11), before[1]);
		assert!(VALIDATORS.iter().all(|v| total(*v) == FUNDS + 66 && live_requests(*v) == 0));
		assert_eq!(total(ALICE), FUNDS - FEE + 2);
		assert_noop!(Poq::dispute(signed(ALICE), id, FEE), Error::<Test>::UnknownRequest);
	});
}

#[test]
fn a_captured_committee_is_overturned_and_its_liars_and_the_junk_pay_the_jury() {
	ExtBuilder::default().execute(|| {
		let issuance = everything();
		let id = captured_outcome();
		// The captured majority decided: the junk would be paid, the honest member slashed.
		assert_eq!(request(id).phase, Phase::Provisional);
		assert!(poq_events().contains(&Event::RequestProvisional {
			id,
			scores: CAPTURED.to_vec(),
			dispute_by: System::block_number() + 3,
		}));
		let jurors_before: Vec<Balance> = JURORS.iter().map(|j| total(*j)).collect();

		let jury = dispute_and_draw(id);
		assert_eq!(deposit_held(ALICE), FEE);
		assert_eq!(jury.iter().map(|(_, seats)| seats).sum::<u32>(), 2 * COMMITTEE + 1);
		assert!(jury.iter().all(|(juror, _)| JURORS.contains(juror)), "no member judges itself");
		assert_eq!(Disputes::<Test>::get(id).unwrap().reviewed.len(), 3);
		jury_scores(id, &jury, &HONEST);

		let (result, dispute) = overturned(id, &HONEST, &[]);
		// Settled by the jury's scores: the good answer takes the nodes' 800, the junk nothing,
		// and loses what it would have been paid (800 × 9/17 = 423) and the node penalty.
		assert_eq!(
			result
				.responses
				.iter()
				.map(|r| (r.node, r.score, r.paid, r.slashed))
				.collect::<Vec<_>>(),
			vec![(10, Some(8_000), 800, 0), (11, Some(500), 0, 423 + NODE_PENALTY)]
		);
		// The honest member, off the captured consensus, is paid the whole validators' 200;
		// the captured members lose the penalty for a lie.
		liars_slashed_and_honest_member_paid(&result);
		// The client's deposit comes back; it paid what the good answer and the honest member
		// earned.
		assert_eq!(deposit_held(ALICE), 0);
		assert_eq!(total(ALICE), FUNDS - 800 - 200);
		// The losers' penalties pay the jurors, by seat.
		let penalties = 2 * PENALTY + 423 + NODE_PENALTY;
		let paid: Balance = dispute.jury.iter().map(|j| j.paid).sum();
		assert!(penalties - paid < jury.len() as Balance, "only rounding dust is burnt");
		for ((juror, seats), outcome) in jury.iter().zip(&dispute.jury) {
			assert_eq!(outcome.validator, *juror);
			assert_eq!(outcome.verdict, Verdict::InConsensus);
			assert_eq!(outcome.paid, penalties * Balance::from(*seats) / 7);
			let before = jurors_before[JURORS.iter().position(|j| j == juror).unwrap()];
			assert_eq!(total(*juror), before + outcome.paid);
			assert_eq!(live_requests(*juror), 0);
		}
		// Funds are conserved: what was not paid to a juror is the dust burnt.
		assert_eq!(everything(), issuance - (penalties - paid));
	});
}

#[test]
fn an_outvoted_member_disputes_a_captured_committee_and_is_paid_instead_of_slashed() {
	ExtBuilder::default().execute(|| {
		let issuance = everything();
		let id = captured_outcome();
		// Member 22 scored honestly and would be slashed for it; the client does nothing.
		let jury = disputed_by(id, 22);
		assert_eq!((deposit_held(22), deposit_held(ALICE)), (FEE, 0));
		jury_scores(id, &jury, &HONEST);

		let (result, dispute) = overturned(id, &HONEST, &[]);
		liars_slashed_and_honest_member_paid(&result);
		assert_eq!(result.responses[1].slashed, 423 + NODE_PENALTY);
		// The member's deposit comes back with its pay; the client pays what the good answer
		// and the honest member earned, as if it had disputed.
		assert_eq!(deposit_held(22), 0);
		assert_eq!(total(22), FUNDS + 200);
		assert_eq!(total(ALICE), FUNDS - 800 - 200);
		let penalties = 2 * PENALTY + 423 + NODE_PENALTY;
		let paid: Balance = dispute.jury.iter().map(|j| j.paid).sum();
		assert!(penalties - paid < jury.len() as Balance, "only rounding dust is burnt");
		assert_eq!(everything(), issuance - (penalties - paid));
	});
}

#[test]
fn an_outvoted_member_appeals_a_captured_jury_and_gets_both_deposits_back() {
	ExtBuilder::default().execute(|| {
		DisputeLevels::set(&2);
		let id = captured_outcome();
		let jury = disputed_by(id, 22);
		// The first jury is captured too: it upholds, and the outvoted member may appeal that
		// finding, as may the client and the nodes; nobody else.
		jury_scores(id, &jury, &CAPTURED);
		assert_eq!(request(id).phase, Phase::Provisional);
		assert_noop!(Poq::dispute(signed(BOB), id, 2 * FEE), Error::<Test>::NotLoser);
		appeal_jurors_join();
		let issuance = everything();
		let appeal = appeal_and_draw(id, 22, 2 * FEE);
		assert_eq!(deposit_held(22), 3 * FEE);
		jury_scores(id, &appeal, &HONEST);

		let (result, dispute) = overturned(id, &HONEST, &[]);
		liars_slashed_and_honest_member_paid(&result);
		// Both of the member's stakes were on the truth; the first jury lied and is slashed.
		assert_eq!(deposit_held(22), 0);
		assert_eq!(total(22), FUNDS + 200);
		let (first, last) = dispute.jury.split_at(jury.len());
		assert!(first.iter().all(|j| j.verdict == Verdict::OffConsensus && j.slashed > 0));
		assert!(last.iter().all(|j| j.verdict == Verdict::InConsensus && j.paid > 0));
		let penalties = 2 * PENALTY + 423 + NODE_PENALTY;
		let paid: Balance = last.iter().map(|j| j.paid).sum();
		let first_slashed: Balance = first.iter().map(|j| j.slashed).sum();
		assert_eq!(everything(), issuance - first_slashed - (penalties - paid));
	});
}

#[test]
fn a_node_may_dispute_the_outcome_it_answered() {
	ExtBuilder::default().execute(|| {
		let id = committee_drawn();
		committee_scores(id, &[(20, HONEST), (21, HONEST), (22, HONEST)]);
		assert_ok!(Poq::dispute(signed(10), id, FEE));
		assert_eq!(deposit_held(10), FEE);
		assert_eq!(request(id).phase, Phase::DrawingJury);
	});
}

#[test]
fn an_honest_committee_is_upheld_and_a_frivolous_client_loses_its_deposit_to_the_jury() {
	ExtBuilder::default().execute(|| {
		let issuance = everything();
		let id = committee_drawn();
		// The committee ran the judge faithfully; say it was fooled and the junk is paid: the
		// jury reruns the same model and agrees, so nobody is slashed for the judge's mistake.
		committee_scores(id, &[(20, CAPTURED), (21, CAPTURED), (22, CAPTURED)]);
		let jury = dispute_and_draw(id);
		jury_scores(id, &jury, &CAPTURED);

		let result = outcome(id);
		let dispute = result.dispute.clone().expect("disputed");
		assert_eq!(dispute.finding, Finding::Upheld);
		assert!(result
			.committee
			.iter()
			.all(|m| m.verdict == Verdict::InConsensus && m.slashed == 0));
		assert!(result.responses.iter().all(|r| r.slashed == 0));
		// The committee's outcome as it stood: 800 split 8:9, 66 a member, 2 of dust.
		assert_eq!(result.responses.iter().map(|r| r.paid).collect::<Vec<_>>(), vec![376, 423]);
		assert_eq!(result.refund, 3);
		// The deposit pays the jurors, by seat; its dust goes back to the client.
		let paid: Balance = dispute.jury.iter().map(|j| j.paid).sum();
		for ((_, seats), outcome) in jury.iter().zip(&dispute.jury) {
			assert_eq!(outcome.paid, FEE * Balance::from(*seats) / 7);
		}
		assert_eq!(deposit_held(ALICE), 0);
		assert_eq!(total(ALICE), FUNDS - FEE + 3 - paid);
		assert!(FEE - paid < 7);
		assert_eq!(everything(), issuance, "nothing burnt, nothing made");
	});
}

#[test]
fn a_jury_without_a_majority_lapses_and_the_deposit_comes_back() {
	ExtBuilder::default().execute(|| {
		let id = captured_outcome();
		let jury = dispute_and_draw(id);
		// Jurors holding 3 of 7 seats reveal; the others stay away: no strict majority.
		let mut seats = 0;
		let revealing: Vec<(AccountId, u32)> = jury
			.iter()
			.copied()
			.take_while(|(_, s)| {
				seats += s;
				seats <= 3
			})
			.collect();
		assert!(!revealing.is_empty());
		for (juror, _) in &revealing {
			commit(*juror, id, &HONEST);
		}
		advance(WINDOW);
		assert_eq!(request(id).phase, Phase::Revealing);
		// The last of the jurors who committed to reveal ends the jury, in the next block.
		for (juror, _) in &revealing {
			reveal(*juror, id, &HONEST);
		}
		advance(1);

		let result = outcome(id);
		let dispute = result.dispute.clone().expect("disputed");
		assert_eq!(dispute.finding, Finding::Lapsed);
		assert_eq!(deposit_held(ALICE), 0);
		// The committee's outcome stands, the jurors who stayed away lose the absence
		// penalty and earn a strike, those who revealed earn nothing and lose nothing.
		assert_eq!(result.responses[1].paid, 423);
		for ((juror, s), outcome) in jury.iter().zip(&dispute.jury) {
			assert_eq!(outcome.paid, 0);
			match revealing.iter().any(|(r, _)| r == juror) {
				true => assert_eq!((outcome.verdict, outcome.slashed), (Verdict::NoMajority, 0)),
				false => {
					assert_eq!(outcome.verdict, Verdict::NoCommit);
					assert_eq!(outcome.slashed, ABSENCE_PENALTY * Balance::from(*s));
					assert_eq!(Participants::<Test>::get(juror).unwrap().strikes, 1);
				},
			}
		}
		assert_eq!(total(ALICE), FUNDS - FEE + result.refund);
	});
}

#[test]
fn a_dispute_with_nobody_left_to_judge_lapses() {
	ExtBuilder::default().execute(|| {
		DisputeWindow::set(&3);
		let id = submit(ALICE, FEE);
		respond_all(id);
		committee_scores(id, &[(20, CAPTURED), (21, CAPTURED), (22, HONEST)]);
		// Every validator sat on the committee.
		assert_ok!(Poq::dispute(signed(ALICE), id, FEE));
		advance(DRAW_DELAY);
		let result = outcome(id);
		let dispute = result.dispute.expect("disputed");
		assert_eq!((dispute.finding, dispute.jury.len()), (Finding::Lapsed, 0));
		assert_eq!(deposit_held(ALICE), 0);
		assert_eq!(result.responses[1].paid, 423);
	});
}

#[test]
fn every_bad_dispute_is_a_named_error_and_changes_nothing() {
	ExtBuilder::default().execute(|| {
		let id = committee_drawn();
		assert_noop!(Poq::dispute(signed(ALICE), id + 1, FEE), Error::<Test>::UnknownRequest);
		// Before the committee reached consensus.
		assert_noop!(Poq::dispute(signed(ALICE), id, FEE), Error::<Test>::WrongPhase);
		committee_scores(id, &[(20, HONEST), (21, HONEST), (22, HONEST)]);
		// Bob has no part in the request; a validator off the committee has none either.
		assert_noop!(Poq::dispute(signed(BOB), id, FEE), Error::<Test>::NotParty);
		assert_noop!(Poq::dispute(signed(JURORS[0]), id, FEE), Error::<Test>::NotParty);
		assert_noop!(Poq::dispute(signed(ALICE), id, FEE - 1), Error::<Test>::DepositAboveLimit);
		let spendable = Balances::reducible_balance(
			&ALICE,
			frame_support::traits::tokens::Preservation::Protect,
			frame_support::traits::tokens::Fortitude::Polite,
		);
		assert_ok!(Balances::transfer_allow_death(signed(ALICE), BOB, spendable - FEE + 1));
		assert_noop!(Poq::dispute(signed(ALICE), id, FEE), Error::<Test>::InsufficientBalance);
		assert_ok!(Balances::transfer_allow_death(signed(BOB), ALICE, 1));
		assert_ok!(Poq::dispute(signed(ALICE), id, FEE + 1));
		assert_eq!(deposit_held(ALICE), FEE, "the deposit, not the caller's limit");
		assert_noop!(Poq::dispute(signed(ALICE), id, FEE), Error::<Test>::AlreadyDisputed);
	});
}

#[test]
fn the_dispute_window_closes_with_its_last_block() {
	ExtBuilder::default().execute(|| {
		DisputeWindow::set(&3);
		let id = submit(ALICE, MIN_FEE);
		respond_all(id);
		committee_scores(id, &[(20, HONEST), (21, HONEST), (22, HONEST)]);
		advance(2);
		// In the window's last block the outcome is still open to dispute ...
		frame_support::assert_storage_noop!(assert!(Poq::dispute(signed(ALICE), id, 0).is_err()));
		assert_eq!(request(id).phase, Phase::Provisional);
		advance(1);
		// ... and then final.
		assert_noop!(Poq::dispute(signed(ALICE), id, FEE), Error::<Test>::UnknownRequest);
		assert_eq!(outcome(id).phase, Phase::Finalized);
	});
}

#[test]
fn a_dispute_holds_the_fee_or_the_least_deposit() {
	ExtBuilder::default().execute(|| {
		assert_eq!(Poq::dispute_deposit(FEE), FEE);
		assert_eq!(Poq::dispute_deposit(MIN_FEE), DISPUTE_DEPOSIT);
	});
}

#[test]
fn a_client_that_validates_never_sits_on_the_jury_of_its_own_dispute() {
	ExtBuilder::default().execute(|| {
		DisputeWindow::set(&3);
		let client = JURORS[0];
		let id = submit(client, FEE);
		respond_all(id);
		for juror in JURORS {
			assert_ok!(Poq::register_validator(signed(juror), BOND));
		}
		committee_scores(id, &[(20, CAPTURED), (21, CAPTURED), (22, HONEST)]);
		assert_ok!(Poq::dispute(signed(client), id, FEE));
		advance(DRAW_DELAY);
		let jury: Vec<AccountId> = request(id).committee.iter().map(|juror| juror.who).collect();
		assert!(!jury.is_empty());
		assert!(!jury.contains(&client), "the client judges its own dispute: {jury:?}");
		assert!(jury.iter().all(|juror| JURORS[1..].contains(juror)));
	});
}

/// The appeal judge the tests pin.
const JUDGE: [u8; 32] = [7; 32];

/// A juror's reveal under an appeal judge: its rerun of the committee's model, then its grades.
fn graded(rerun: [u16; 2], grades: [u16; 2]) -> Vec<u16> {
	rerun.iter().chain(&grades).copied().collect()
}

#[test]
fn only_the_model_origin_pins_the_appeal_judge_and_a_dispute_keeps_the_one_it_was_opened_under() {
	ExtBuilder::default().execute(|| {
		assert_noop!(Poq::set_appeal_judge(signed(ALICE), Some(JUDGE)), DispatchError::BadOrigin);
		assert_ok!(Poq::set_appeal_judge(RuntimeOrigin::root(), Some(JUDGE)));
		assert_eq!(AppealJudge::<Test>::get(), Some(JUDGE));
		assert!(poq_events().contains(&Event::AppealJudgeSet { digest: Some(JUDGE) }));

		let id = committee_drawn();
		committee_scores(id, &[(20, HONEST), (21, HONEST), (22, HONEST)]);
		let jury = dispute_and_draw(id);
		assert_ok!(Poq::set_appeal_judge(RuntimeOrigin::root(), None));
		assert_eq!(AppealJudge::<Test>::get(), None);
		assert_eq!(Disputes::<Test>::get(id).unwrap().appeal_judge, Some(JUDGE));
		// The jury of the open dispute still grades: a reveal without grades is refused.
		let (juror, _) = jury[0];
		let scores = graded(HONEST, [9_000, 1_000]);
		for (juror, _) in &jury {
			commit(*juror, id, &scores);
		}
		assert_noop!(
			Poq::reveal_scores(signed(juror), id, HONEST.to_vec(), salt(juror)),
			Error::<Test>::WrongScoreCount
		);
		reveal(juror, id, &scores);
		assert!(request(id).committee.iter().any(|j| j.who == juror && j.reveal.is_some()));
	});
}

#[test]
fn an_appeal_judge_overturns_junk_that_fooled_an_honest_committee_and_slashes_only_the_node() {
	ExtBuilder::default().execute(|| {
		let issuance = everything();
		assert_ok!(Poq::set_appeal_judge(RuntimeOrigin::root(), Some(JUDGE)));
		let id = committee_drawn();
		// The committee's model was fooled by node 11's text, and every member reported
		// faithfully what it gives: the junk is paid 9:8.
		committee_scores(id, &[(20, CAPTURED), (21, CAPTURED), (22, CAPTURED)]);
		let nodes_before = NODES.map(total);
		let jury = dispute_and_draw(id);
		assert_eq!(Disputes::<Test>::get(id).unwrap().appeal_judge, Some(JUDGE));
		// The jury reruns the same model (and agrees with the committee), and the appeal judge
		// grades the junk 1 000.
		jury_scores(id, &jury, &graded(CAPTURED, [9_000, 1_000]));

		let (result, dispute) = overturned(id, &CAPTURED, &[9_000, 1_000]);
		// The members ran the judge faithfully: paid as before, nobody slashed.
		assert!(result
			.committee
			.iter()
			.all(|m| m.verdict == Verdict::InConsensus && m.paid == 66 && m.slashed == 0));
		// The junk is unpaid and loses what it would have been paid (423) and the node
		// penalty; the good answer takes the nodes' whole 800.
		let by_node = |node| result.responses.iter().find(|r| r.node == node).unwrap().clone();
		assert_eq!((by_node(10).paid, by_node(10).slashed), (800, 0));
		assert_eq!(by_node(11).paid, 0);
		assert_eq!(by_node(11).slashed, 423 + NODE_PENALTY);
		assert_eq!(total(10), nodes_before[0] + 800);
		assert_eq!(total(11), nodes_before[1] - 423 - NODE_PENALTY);
		// The junk's penalty pays the jury, by seat; the client's deposit comes back.
		let paid: Balance = dispute.jury.iter().map(|j| j.paid).sum();
		assert!(dispute.jury.iter().all(|j| j.verdict == Verdict::InConsensus && j.paid > 0));
		assert!(423 + NODE_PENALTY - paid < 7);
		assert_eq!(deposit_held(ALICE), 0);
		assert_eq!(total(ALICE), FUNDS - FEE + result.refund);
		// What no juror was paid of the penalty (dust) is burnt, nothing is made.
		assert_eq!(everything(), issuance - (423 + NODE_PENALTY - paid));
	});
}

#[test]
fn an_appeal_judge_that_grades_the_answers_good_upholds_and_the_client_pays_the_jury() {
	ExtBuilder::default().execute(|| {
		assert_ok!(Poq::set_appeal_judge(RuntimeOrigin::root(), Some(JUDGE)));
		let id = committee_drawn();
		committee_scores(id, &[(20, HONEST), (21, HONEST), (22, HONEST)]);
		let jury = dispute_and_draw(id);
		// The committee did not pay the junk (500 < MinQuality): whatever the judge grades
		// it, nothing the committee paid is junk.
		jury_scores(id, &jury, &graded(HONEST, [8_000, 0]));
		let result = outcome(id);
		let dispute = result.dispute.clone().expect("disputed");
		assert_eq!(dispute.finding, Finding::Upheld);
		let paid: Balance = dispute.jury.iter().map(|j| j.paid).sum();
		assert!(FEE - paid < 7);
		assert_eq!(total(ALICE), FUNDS - FEE + result.refund - paid);
	});
}

#[test]
fn jurors_who_skip_the_model_cannot_grade_junk_good() {
	ExtBuilder::default().execute(|| {
		assert_ok!(Poq::set_appeal_judge(RuntimeOrigin::root(), Some(JUDGE)));
		let id = committee_drawn();
		committee_scores(id, &[(20, CAPTURED), (21, CAPTURED), (22, CAPTURED)]);
		let jury = dispute_and_draw(id);
		// Every juror but the first reruns the model and grades the junk 1 000; the first
		// skips the model and grades the junk 10 000 on all its seats.
		let (lazy, lazy_seats) = jury[0];
		let lazy_reveal = graded([0, 0], [10_000, 10_000]);
		let honest_reveal = graded(CAPTURED, [9_000, 1_000]);
		let reveal_of = |juror| if juror == lazy { &lazy_reveal } else { &honest_reveal };
		for (juror, _) in &jury {
			commit(*juror, id, reveal_of(*juror));
		}
		for (juror, _) in &jury {
			reveal(*juror, id, reveal_of(*juror));
		}
		advance(1);
		let result = outcome(id);
		let dispute = result.dispute.clone().expect("disputed");
		let honest_seats = 2 * COMMITTEE + 1 - lazy_seats;
		if 2 * honest_seats > 2 * COMMITTEE + 1 {
			assert_eq!(dispute.finding, Finding::Overturned);
			assert!(poq_events().iter().any(|e| matches!(e,
				Event::DisputeResolved { grades, .. } if *grades == vec![9_000, 1_000])));
			let skipped = dispute.jury.iter().find(|j| j.validator == lazy).unwrap();
			assert_eq!(skipped.verdict, Verdict::OffConsensus);
			assert!(skipped.slashed > 0);
		} else {
			assert_eq!(dispute.finding, Finding::Lapsed);
		}
	});
}

/// Validators for an appeal's jury: funded and registered once the first jury is drawn, so
/// only an appeal can seat them.
const APPEAL_JURORS: [AccountId; 5] = [40, 41, 42, 43, 44];

/// Funds and registers [`APPEAL_JURORS`].
fn appeal_jurors_join() {
	for juror in APPEAL_JURORS {
		let _ = Balances::deposit_creating(&juror, FUNDS);
		assert_ok!(Poq::register_validator(signed(juror), BOND));
	}
}

/// `who` appeals `id` holding `deposit` and the appeal's jury is drawn; returns the jurors
/// with their seats.
fn appeal_and_draw(id: RequestId, who: AccountId, deposit: Balance) -> Vec<(AccountId, u32)> {
	assert_ok!(Poq::dispute(signed(who), id, deposit));
	assert!(poq_events().contains(&Event::Appealed { id, who, deposit, level: 2 }));
	advance(DRAW_DELAY);
	assert_eq!(request(id).phase, Phase::Committing);
	request(id).committee.iter().map(|juror| (juror.who, juror.seats)).collect()
}

/// With two juries, Alice disputes provisional request `id` and the first jury reveals
/// `scores`: its `finding` (`scores` the outcome it gives) is provisional, and the side it went
/// against may appeal it until `dispute_by`; nothing has moved yet. Returns the jury.
fn first_ruling(id: RequestId, scores: &[u16], finding: Finding) -> Vec<(AccountId, u32)> {
	DisputeLevels::set(&2);
	let jury = dispute_and_draw(id);
	jury_scores(id, &jury, scores);
	assert_eq!(request(id).phase, Phase::Provisional);
	let dispute = Disputes::<Test>::get(id).expect("the dispute goes on");
	assert_eq!(dispute.rulings.iter().map(|r| r.finding).collect::<Vec<_>>(), vec![finding]);
	assert!(poq_events().contains(&Event::RequestProvisional {
		id,
		scores: scores.to_vec(),
		dispute_by: System::block_number() + 3,
	}));
	assert!(Outcomes::<Test>::get(id).is_none());
	assert_eq!(escrow(ALICE), FEE);
	assert!(jury.iter().all(|(juror, _)| live_requests(*juror) == 1), "the jury stays at stake");
	jury
}

#[test]
fn a_captured_jury_is_appealed_to_a_larger_one_whose_final_verdict_slashes_it() {
	ExtBuilder::default().execute(|| {
		let id = captured_outcome();
		// The first jury is captured too: it confirms the committee.
		let jury = first_ruling(id, &CAPTURED, Finding::Upheld);

		// The finding went against the client; an appeal holds twice the deposit.
		assert_eq!(Poq::appeal_deposit(FEE, 2), 2 * FEE);
		appeal_jurors_join();
		let issuance = everything();
		let jurors_before: Vec<Balance> = APPEAL_JURORS.iter().map(|j| total(*j)).collect();
		let appeal = appeal_and_draw(id, ALICE, 2 * FEE);
		assert_eq!(deposit_held(ALICE), 3 * FEE);
		assert_eq!(appeal.iter().map(|(_, seats)| seats).sum::<u32>(), 2 * 7 + 1);
		assert!(appeal.iter().all(|(j, _)| APPEAL_JURORS.contains(j)), "no earlier body sits");
		jury_scores(id, &appeal, &HONEST);

		// The last level's verdict is final: the request settles by it.
		let (result, dispute) = overturned(id, &HONEST, &[]);
		assert_eq!(
			result.responses.iter().map(|r| (r.node, r.paid, r.slashed)).collect::<Vec<_>>(),
			vec![(10, 800, 0), (11, 0, 423 + NODE_PENALTY)]
		);
		liars_slashed_and_honest_member_paid(&result);
		assert_noop!(Poq::dispute(signed(20), id, 4 * FEE), Error::<Test>::UnknownRequest);
		// The client staked on the truth twice: both deposits come back.
		assert_eq!(deposit_held(ALICE), 0);
		assert_eq!(total(ALICE), FUNDS - 800 - 200);
		// Every juror is judged against the last jury: the first, captured, lied about the
		// model and loses the penalty on each seat; the second shares the liars' penalties.
		assert_eq!(dispute.jury.len(), jury.len() + appeal.len());
		let (first, last) = dispute.jury.split_at(jury.len());
		for ((juror, seats), outcome) in jury.iter().zip(first) {
			assert_eq!(outcome.validator, *juror);
			assert_eq!(outcome.verdict, Verdict::OffConsensus);
			assert_eq!((outcome.paid, outcome.slashed), (0, PENALTY * Balance::from(*seats)));
		}
		let penalties = 2 * PENALTY + 423 + NODE_PENALTY;
		for ((juror, seats), outcome) in appeal.iter().zip(last) {
			assert_eq!(outcome.validator, *juror);
			assert_eq!(outcome.verdict, Verdict::InConsensus);
			assert_eq!(outcome.paid, penalties * Balance::from(*seats) / 15);
			let before = jurors_before[APPEAL_JURORS.iter().position(|j| j == juror).unwrap()];
			assert_eq!(total(*juror), before + outcome.paid);
		}
		assert!(jury.iter().chain(&appeal).all(|(juror, _)| live_requests(*juror) == 0));
		// Conserved: what fell is the first jury's penalties and the pot's dust, burnt.
		let paid: Balance = last.iter().map(|j| j.paid).sum();
		let burnt = 7 * PENALTY + (penalties - paid);
		assert!(penalties - paid < appeal.len() as Balance);
		assert_eq!(everything(), issuance - burnt);
	});
}

#[test]
fn a_frivolous_appeal_loses_both_deposits_to_every_juror_who_agrees() {
	ExtBuilder::default().execute(|| {
		let id = committee_drawn();
		committee_scores(id, &[(20, CAPTURED), (21, CAPTURED), (22, CAPTURED)]);
		let jury = first_ruling(id, &CAPTURED, Finding::Upheld);
		appeal_jurors_join();
		let issuance = everything();
		let appeal = appeal_and_draw(id, ALICE, 2 * FEE);
		jury_scores(id, &appeal, &CAPTURED);

		let result = outcome(id);
		let dispute = result.dispute.clone().expect("disputed");
		assert_eq!(dispute.finding, Finding::Upheld);
		assert!(result.committee.iter().all(|m| m.slashed == 0));
		assert_eq!(result.responses.iter().map(|r| r.paid).collect::<Vec<_>>(), vec![376, 423]);
		// Both deposits pay the 22 seats of both juries, by seat; the dust goes back.
		let paid: Balance = dispute.jury.iter().map(|j| j.paid).sum();
		for ((_, seats), outcome) in jury.iter().chain(&appeal).zip(&dispute.jury) {
			assert_eq!(outcome.verdict, Verdict::InConsensus);
			assert_eq!(outcome.paid, 3 * FEE * Balance::from(*seats) / 22);
		}
		assert!(3 * FEE - paid < 22);
		assert_eq!(deposit_held(ALICE), 0);
		assert_eq!(total(ALICE), FUNDS - FEE + result.refund - paid);
		assert_eq!(everything(), issuance, "nothing burnt, nothing made");
	});
}

#[test]
fn the_losers_of_an_overturn_may_appeal_it_and_lose_their_deposit_when_it_stands() {
	ExtBuilder::default().execute(|| {
		let id = captured_outcome();
		let jury = first_ruling(id, &HONEST, Finding::Overturned);
		// The finding went for the client and Bob has no part: neither may appeal it.
		assert_noop!(Poq::dispute(signed(ALICE), id, 2 * FEE), Error::<Test>::NotLoser);
		assert_noop!(Poq::dispute(signed(BOB), id, 2 * FEE), Error::<Test>::NotLoser);
		appeal_jurors_join();
		let issuance = everything();
		// A slashed member of the captured committee appeals.
		let appeal = appeal_and_draw(id, 20, 2 * FEE);
		assert_noop!(Poq::dispute(signed(11), id, 2 * FEE), Error::<Test>::AlreadyDisputed);
		jury_scores(id, &appeal, &HONEST);

		let (result, dispute) = overturned(id, &HONEST, &[]);
		assert_eq!(result.responses[1].slashed, 423 + NODE_PENALTY);
		// The member's deposit and the liars' penalties pay both juries, which agree.
		assert_eq!(deposit_held(20), 0);
		assert_eq!(deposit_held(ALICE), 0);
		let pot = 2 * FEE + 2 * PENALTY + 423 + NODE_PENALTY;
		let paid: Balance = dispute.jury.iter().map(|j| j.paid).sum();
		for ((_, seats), outcome) in jury.iter().chain(&appeal).zip(&dispute.jury) {
			assert_eq!(outcome.paid, pot * Balance::from(*seats) / 22);
		}
		assert_eq!(total(20), FUNDS - PENALTY - 2 * FEE + (pot - paid));
		assert_eq!(everything(), issuance);
	});
}

#[test]
fn an_unappealed_finding_stands_when_its_window_closes() {
	ExtBuilder::default().execute(|| {
		let id = captured_outcome();
		let jury = first_ruling(id, &HONEST, Finding::Overturned);
		advance(2);
		assert_eq!(request(id).phase, Phase::Provisional);
		advance(1);
		assert_noop!(Poq::dispute(signed(20), id, 2 * FEE), Error::<Test>::UnknownRequest);
		let (result, dispute) = overturned(id, &HONEST, &[]);
		assert_eq!(result.responses[1].slashed, 423 + NODE_PENALTY);
		assert!(dispute.jury.iter().all(|j| j.verdict == Verdict::InConsensus && j.paid > 0));
		assert!(jury.iter().all(|(juror, _)| live_requests(*juror) == 0), "released at the end");
		assert_eq!(deposit_held(ALICE), 0);
	});
}

#[test]
fn an_appeal_whose_jury_lapses_leaves_the_last_finding_standing_and_its_deposit_back() {
	ExtBuilder::default().execute(|| {
		let id = captured_outcome();
		first_ruling(id, &HONEST, Finding::Overturned);
		// Nobody is left to sit on a second jury.
		assert_ok!(Poq::dispute(signed(21), id, 2 * FEE));
		assert_eq!(deposit_held(21), 2 * FEE);
		advance(DRAW_DELAY);
		assert!(poq_events().contains(&Event::DisputeResolved {
			id,
			finding: Finding::Lapsed,
			scores: vec![],
			grades: vec![],
		}));
		let (result, dispute) = overturned(id, &HONEST, &[]);
		assert_eq!(dispute.finding, Finding::Overturned);
		assert_eq!(deposit_held(21), 0);
		assert_eq!(total(21), FUNDS - PENALTY);
		assert_eq!(result.responses[1].slashed, 423 + NODE_PENALTY);
	});
}

/// The validators who join before each appeal's draw, so that every level finds jurors (the
/// pool of `MAX_POOL` then is full).
const LATER_JURORS: [&[AccountId]; 2] = [&APPEAL_JURORS, &[50, 51, 52, 53]];

/// How a jury acts in [`appeals_conserve_funds_and_keep_every_invariant`].
#[derive(Clone, Copy, Debug)]
enum Turnout {
	/// Every juror reveals `HONEST`, or `CAPTURED`.
	All { captured: bool },
	/// The jurors holding at most half the seats reveal; the others stay away.
	Minority,
	/// Nobody commits.
	Nobody,
}

fn turnout() -> impl Strategy<Value = Turnout> {
	prop_oneof![
		3 => any::<bool>().prop_map(|captured| Turnout::All { captured }),
		1 => Just(Turnout::Minority),
		1 => Just(Turnout::Nobody),
	]
}

/// The phase of request `id`, while it is live.
fn request_phase(id: RequestId) -> Option<Phase> {
	Requests::<Test>::get(id).map(|request| request.phase)
}

/// Everything every account holds, free and held, counted one by one.
fn every_balance() -> Balance {
	frame_system::Account::<Test>::iter().map(|(_, a)| a.data.free + a.data.reserved).sum()
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

	/// Random disputes and appeals: any committee, juries that agree, split or stay away, any
	/// party disputing and appealing (or a stranger, refused), up to three levels. Every block keeps the invariants (`run_to_block`);
	/// in the end the request is settled, nothing stays held for it, and the funds every
	/// account holds are the issuance, which fell only by what was burnt.
	#[test]
	fn appeals_conserve_funds_and_keep_every_invariant(
		levels in prop_oneof![Just(1u32), Just(2), Just(3), Just(3)],
		committee in prop::array::uniform3(any::<bool>()),
		first in 0usize..6,
		juries in prop::collection::vec((turnout(), prop::bool::weighted(0.8), 0usize..7), 3),
	) {
		ExtBuilder::default().execute(|| {
			DisputeLevels::set(&levels);
			let id = committee_drawn();
			let scores = |captured: bool| if captured { CAPTURED } else { HONEST };
			committee_scores(id, &[
				(20, scores(committee[0])),
				(21, scores(committee[1])),
				(22, scores(committee[2])),
			]);
			// The client, the nodes and the members: every party to the request.
			let parties = [ALICE, 10, 11, 20, 21, 22];
			let mut appellant = parties[first];
			for (level, (turnout, loser, next)) in (1..).zip(juries) {
				let deposit = Poq::appeal_deposit(FEE, level);
				if Poq::dispute(signed(appellant), id, deposit).is_err() {
					break;
				}
				advance(DRAW_DELAY);
				let Some(request) = Requests::<Test>::get(id) else { break };
				let jury: Vec<(AccountId, u32)> =
					request.committee.iter().map(|j| (j.who, j.seats)).collect();
				let acting: Vec<AccountId> = match turnout {
					Turnout::All { .. } => jury.iter().map(|j| j.0).collect(),
					Turnout::Minority => {
						let mut seats = 0;
						jury.iter()
							.take_while(|(_, s)| {
								seats += s;
								2 * seats <= jury.iter().map(|j| j.1).sum::<u32>()
							})
							.map(|j| j.0)
							.collect()
					},
					Turnout::Nobody => Vec::new(),
				};
				let revealed = scores(matches!(turnout, Turnout::All { captured: true }));
				for juror in &acting {
					commit(*juror, id, &revealed);
				}
				if !acting.is_empty() && request_phase(id) == Some(Phase::Committing) {
					// The commit window closes on the minority's commitments.
					advance(WINDOW);
				}
				for juror in &acting {
					reveal(*juror, id, &revealed);
				}
				while request_phase(id).is_some_and(|phase| phase != Phase::Provisional) {
					advance(1);
				}
				if !Requests::<Test>::contains_key(id) {
					break;
				}
				if let Some(joining) = LATER_JURORS.get(level as usize - 1) {
					for juror in joining.iter() {
						let _ = Balances::deposit_creating(juror, FUNDS);
						assert_ok!(Poq::register_validator(signed(*juror), BOND));
					}
				}
				// Mostly the side the finding went against (any party after an upheld one, the
				// nodes and members after an overturn); otherwise anyone, Bob with no part too.
				let finding = Disputes::<Test>::get(id).and_then(|d| d.rulings.last().map(|r| r.finding));
				appellant = match (loser, finding) {
					(true, Some(Finding::Upheld)) => parties[next % 6],
					(true, _) => parties[1 + next % 5],
					(false, _) => [BOB, ALICE, 10, 11, 20, 21, 22][next],
				};
			}
			while request_phase(id).is_some() {
				advance(1);
			}
			let result = outcome(id);
			assert!(matches!(result.phase, Phase::Finalized | Phase::Expired));
			assert!(Disputes::<Test>::get(id).is_none());
			for who in frame_system::Account::<Test>::iter_keys() {
				assert_eq!(deposit_held(who), 0);
				assert_eq!(escrow(who), 0);
			}
			assert_eq!(every_balance(), everything());
		});
	}
}
