//! A request from submission to settlement: the fast path and every expiry path, with balances
//! checked to the unit.

use super::*;
use crate::settlement::Verdict;

const FEE: Balance = 1_000;

#[test]
fn fast_path_settles_by_quality_and_consensus() {
	ExtBuilder::default().execute(|| {
		let issuance = Balances::total_issuance();
		let id = submit(ALICE, FEE);
		assert_eq!(id, 0);
		assert_eq!(escrow(ALICE), FEE);
		let req = request(id);
		assert_eq!(req.phase, Phase::AwaitingResponses);
		assert_eq!(req.ends_at, 1 + DRAW_DELAY + WINDOW);
		let mut nodes = drawn(id);
		nodes.sort();
		assert_eq!(nodes, NODES);
		assert!(req.committee.is_empty(), "the committee is unknown while nodes answer");
		assert_eq!(Prompts::<Test>::get(id).unwrap().to_vec(), b"What is PoQ?".to_vec());
		assert!(NODES.iter().all(|n| live_requests(*n) == 1));

		respond_all(id);
		let req = request(id);
		assert_eq!(req.phase, Phase::Committing);
		assert_eq!(req.responders.to_vec(), NODES);
		let mut committee: Vec<_> = req.committee.iter().map(|m| m.who).collect();
		committee.sort();
		assert_eq!(committee, VALIDATORS);
		assert!(req.committee.iter().all(|m| m.seats == 1));
		assert!(VALIDATORS.iter().all(|v| live_requests(*v) == 1));

		// Node 10 answered well, node 11 poorly; the validators agree within noise.
		let scores = [[9_000, 3_000], [8_800, 3_100], [9_100, 2_900]];
		for (v, s) in VALIDATORS.iter().zip(&scores) {
			commit(*v, id, s);
		}
		assert_eq!(request(id).phase, Phase::Revealing);
		for (v, s) in VALIDATORS.iter().zip(&scores).take(2) {
			reveal(*v, id, s);
		}
		assert_eq!(request(id).phase, Phase::Revealing);
		reveal(VALIDATORS[2], id, &scores[2]);

		// Settled in the same block: medians 9000 and 3000; 200 for validators (66 each),
		// 800 for nodes 9:3 (600, 200); 2 units of dust refunded.
		assert!(Requests::<Test>::get(id).is_none());
		assert!(Prompts::<Test>::get(id).is_none());
		assert!(NODES.iter().all(|n| Outputs::<Test>::get(id, n).is_none()));
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Finalized);
		assert_eq!(result.refund, 2);
		assert_eq!(
			result.responses.iter().map(|r| (r.node, r.score, r.paid)).collect::<Vec<_>>(),
			vec![(10, Some(9_000), 600), (11, Some(3_000), 200)]
		);
		assert!(result
			.committee
			.iter()
			.all(|v| v.verdict == Verdict::InConsensus && v.paid == 66 && v.slashed == 0));

		assert_eq!(total(ALICE), FUNDS - FEE + 2);
		assert_eq!(escrow(ALICE), 0);
		assert_eq!(total(10), FUNDS + 600);
		assert_eq!(total(11), FUNDS + 200);
		for v in VALIDATORS {
			assert_eq!(total(v), FUNDS + 66);
			assert_eq!(bond(v), BOND);
			assert_eq!(live_requests(v), 0);
		}
		assert!(NODES.iter().all(|n| live_requests(*n) == 0));
		// Paid + refunded == escrowed, and no money was made or lost.
		assert_eq!(600 + 200 + 3 * 66 + 2, FEE);
		assert_eq!(Balances::total_issuance(), issuance);
		assert!(poq_events().contains(&Event::RequestFinalized {
			id,
			scores: vec![9_000, 3_000],
			refund: 2
		}));
		assert!(poq_events().contains(&Event::NodePaid { id, node: 10, amount: 600 }));
	});
}

#[test]
fn outcome_is_pruned_after_retain_finished() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, FEE);
		let ends = request(id).ends_at;
		run_to_block(ends);
		assert!(Outcomes::<Test>::get(id).is_some());
		run_to_block(ends + RETAIN - 1);
		assert!(Outcomes::<Test>::get(id).is_some());
		run_to_block(ends + RETAIN);
		assert!(Outcomes::<Test>::get(id).is_none());
		assert_eq!(PruneCursor::<Test>::get(), (1, 1));
	});
}

#[test]
fn no_response_expires_with_a_full_refund() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, FEE);
		let ends = request(id).ends_at;
		run_to_block(ends - 1);
		assert_eq!(request(id).phase, Phase::AwaitingResponses);
		run_to_block(ends);
		assert!(Requests::<Test>::get(id).is_none());
		assert_eq!(outcome(id).phase, Phase::Expired);
		assert_eq!(total(ALICE), FUNDS);
		assert_eq!(escrow(ALICE), 0);
		assert!(NODES.iter().all(|n| live_requests(*n) == 0 && total(*n) == FUNDS));
		assert!(poq_events().contains(&Event::RequestExpired {
			id,
			phase: Phase::AwaitingResponses,
			refund: FEE
		}));
	});
}

#[test]
fn window_closing_with_some_responses_draws_the_committee() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, FEE);
		commit_answer(11, id);
		let ends = request(id).ends_at;
		run_to_block(ends);
		// The one commitment opens the reveals; its reveal closes them.
		assert_eq!(request(id).phase, Phase::RevealingResponses);
		assert_eq!(request(id).ends_at, ends + WINDOW);
		reveal_answer(11, id);
		assert_eq!(request(id).phase, Phase::DrawingCommittee);
		assert!(request(id).committee.is_empty());
		advance(DRAW_DELAY);
		let req = request(id);
		assert_eq!(req.phase, Phase::Committing);
		assert_eq!(req.responders.to_vec(), vec![11]);
		assert_eq!(req.ends_at, ends + DRAW_DELAY + WINDOW);
		// The silent node stays seated until the request ends, but earns nothing.
		assert_eq!(live_requests(10), 1);
		for v in VALIDATORS {
			commit(v, id, &[7_000]);
		}
		for v in VALIDATORS {
			reveal(v, id, &[7_000]);
		}
		let result = outcome(id);
		assert_eq!(result.responses.len(), 1);
		assert_eq!(result.responses[0].paid, 800);
		assert_eq!(total(10), FUNDS);
		assert_eq!(total(11), FUNDS + 800);
		assert_eq!(live_requests(10), 0);
	});
}

#[test]
fn no_commitment_expires_with_a_full_refund() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, FEE);
		respond_all(id);
		assert_eq!(request(id).phase, Phase::Committing);
		let expired_at = request(id).ends_at;
		run_to_block(expired_at - 1);
		assert_eq!(request(id).phase, Phase::Committing);
		run_to_block(expired_at);
		assert_eq!(outcome(id).phase, Phase::Expired);
		assert_eq!(total(ALICE), FUNDS);
		// Nobody committed: the committee failed as a whole (a model change its nodes have not
		// caught up with, say), so nobody is paid, penalised or struck.
		assert!(VALIDATORS.iter().all(|v| total(*v) == FUNDS && bond(*v) == BOND));
		assert!(VALIDATORS.iter().all(|v| Participants::<Test>::get(v).unwrap().strikes == 0));
		assert!(NODES.iter().all(|n| total(*n) == FUNDS));
		assert!(outcome(id).committee.iter().all(|v| v.verdict == Verdict::NoCommit));
	});
}

#[test]
fn partial_commits_and_reveals_settle_on_what_was_revealed() {
	// The one member who reveals holds a strict majority of the committee's seats: three of
	// five, as it holds three fifths of the stake.
	let [v0, v1, v2] = VALIDATORS;
	let validators = vec![(v0, 3 * BOND), (v1, BOND), (v2, BOND)];
	ExtBuilder::default().validators(validators).execute(|| {
		CommitteeSeats::set(&5);
		let issuance = Balances::total_issuance();
		let id = submit(ALICE, FEE);
		respond_all(id);
		commit(v0, id, &[8_000, 4_000]);
		commit(v1, id, &[8_000, 4_000]);
		run_to_block(request(id).ends_at);
		let req = request(id);
		assert_eq!(req.phase, Phase::Revealing);
		reveal(v0, id, &[8_000, 4_000]);
		run_to_block(req.ends_at);

		let result = outcome(id);
		assert_eq!(result.phase, Phase::Finalized);
		let verdict = |who| result.committee.iter().find(|v| v.validator == who).unwrap().clone();
		assert_eq!(verdict(v0).verdict, Verdict::InConsensus);
		assert_eq!(verdict(v0).paid, 200);
		assert_eq!(verdict(v1).verdict, Verdict::NoReveal);
		assert_eq!(verdict(v1).slashed, PENALTY);
		assert_eq!(verdict(v2).verdict, Verdict::NoCommit);
		assert_eq!(verdict(v2).slashed, ABSENCE_PENALTY);
		// 800 to the nodes at 8:4 (533 and 266), 1 unit of dust back.
		assert_eq!(total(10), FUNDS + 533);
		assert_eq!(total(11), FUNDS + 266);
		assert_eq!(total(ALICE), FUNDS - FEE + 1);
		assert_eq!(total(v0), FUNDS + 200);
		assert_eq!(total(v1), FUNDS - PENALTY);
		assert_eq!(bond(v1), BOND - PENALTY);
		assert_eq!(Participants::<Test>::get(v1).unwrap().bond, BOND - PENALTY);
		assert_eq!(total(v2), FUNDS - ABSENCE_PENALTY);
		// The slashes are the only money that left circulation (`OnSlash = ()` burns it).
		assert_eq!(Balances::total_issuance(), issuance - PENALTY - ABSENCE_PENALTY);
	});
}

#[test]
fn commitments_without_reveals_expire_and_are_penalised() {
	ExtBuilder::default().execute(|| {
		let issuance = Balances::total_issuance();
		let id = submit(ALICE, FEE);
		respond_all(id);
		for v in VALIDATORS {
			commit(v, id, &[5_000, 5_000]);
		}
		let ends = request(id).ends_at;
		run_to_block(ends);
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Expired);
		assert_eq!(result.refund, FEE);
		assert_eq!(total(ALICE), FUNDS);
		assert!(VALIDATORS.iter().all(|v| bond(*v) == BOND - PENALTY));
		assert_eq!(Balances::total_issuance(), issuance - 3 * PENALTY);
		assert!(poq_events().contains(&Event::RequestExpired {
			id,
			phase: Phase::Revealing,
			refund: FEE
		}));
	});
}

#[test]
fn no_validators_expires_when_the_responses_are_in() {
	ExtBuilder::default().validators(vec![]).execute(|| {
		let id = submit(ALICE, FEE);
		respond_all(id);
		assert_eq!(outcome(id).phase, Phase::Expired);
		assert_eq!(total(ALICE), FUNDS);
	});
}

#[test]
fn low_quality_answers_earn_nothing() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, FEE);
		respond_all(id);
		let scores = [MIN_QUALITY - 1, 500];
		for v in VALIDATORS {
			commit(v, id, &scores);
		}
		for v in VALIDATORS {
			reveal(v, id, &scores);
		}
		// Validators earn their share for the judgement; the node share goes back.
		assert!(NODES.iter().all(|n| total(*n) == FUNDS));
		assert_eq!(outcome(id).refund, FEE - 3 * 66);
		assert_eq!(total(ALICE), FUNDS - 3 * 66);
	});
}

#[test]
fn seats_weigh_in_the_median() {
	// One validator holds two thirds of the stake, so two of the three seats: its scores are
	// the consensus, and it takes two thirds of the validators' pay.
	ExtBuilder::default().validators(vec![(20, 2 * BOND), (21, BOND)]).execute(|| {
		let id = submit(ALICE, FEE);
		respond_all(id);
		let mut seats: Vec<_> = request(id).committee.iter().map(|m| (m.who, m.seats)).collect();
		seats.sort();
		assert_eq!(seats, [(20, 2), (21, 1)]);
		commit(20, id, &[9_000, 9_000]);
		commit(21, id, &[1_000, 1_000]);
		reveal(20, id, &[9_000, 9_000]);
		reveal(21, id, &[1_000, 1_000]);
		assert!(poq_events().contains(&Event::RequestFinalized {
			id,
			scores: vec![9_000, 9_000],
			refund: 0
		}));
		let result = outcome(id);
		let pay = |who| result.committee.iter().find(|v| v.validator == who).unwrap().paid;
		assert_eq!((pay(20), pay(21)), (200, 0));
	});
}

#[test]
fn deadlines_beyond_the_hook_budget_carry_over() {
	ExtBuilder::default().execute(|| {
		// Their draws fall due in one block, two more than the hook's budget.
		let ids: Vec<_> = (0..HOOK_ITEMS + 2).map(|_| submit_only(ALICE, MIN_FEE)).collect();
		run_to_block(1 + DRAW_DELAY);
		let phase = |id: &RequestId| request(*id).phase;
		let drawn = ids.iter().filter(|id| phase(id) == Phase::AwaitingResponses).count();
		assert_eq!(drawn as u32, HOOK_ITEMS);
		// The rest waits, oldest first, and accepts no answer before its draw.
		let late = *ids.last().unwrap();
		assert_eq!(phase(&late), Phase::DrawingNodes);
		frame_support::assert_noop!(
			Poq::commit_response(RuntimeOrigin::signed(10), late, [0; 32]),
			Error::<Test>::WrongPhase
		);
		run_to_block(2 + DRAW_DELAY);
		assert!(ids.iter().all(|id| phase(id) == Phase::AwaitingResponses));
		// Nobody answers: every request expires and the client has all its funds back.
		run_to_block(2 + DRAW_DELAY + WINDOW);
		assert!(ids.iter().all(|id| Outcomes::<Test>::get(*id).is_some()));
		assert_eq!(total(ALICE), FUNDS);
	});
}

#[test]
fn requests_are_numbered_from_zero_and_drawn_differently() {
	let nodes: Vec<_> = (40..48).map(|n| (n, BOND)).collect();
	ExtBuilder::default().nodes(nodes).execute(|| {
		let draws: Vec<_> = (0..6).map(|_| drawn(submit(ALICE, MIN_FEE))).collect();
		assert_eq!(NextRequestId::<Test>::get(), 6);
		assert!(draws.iter().all(|d| d.len() == NODES_PER_REQUEST as usize));
		assert!(draws.windows(2).any(|w| w[0] != w[1]), "every request drew the same nodes");
	});
}

#[test]
fn a_model_change_takes_effect_at_its_block_and_live_requests_keep_their_model() {
	const NEW: [u8; 32] = [9; 32];
	ExtBuilder::default().execute(|| {
		let at = System::block_number() + Poq::max_request_lifetime();
		assert_ok!(Poq::set_quality_model(RuntimeOrigin::root(), [8; 32], at + 1));
		// A second change replaces the first.
		assert_ok!(Poq::set_quality_model(RuntimeOrigin::root(), NEW, at));
		assert!(poq_events().contains(&Event::QualityModelScheduled { digest: NEW, at }));
		assert_eq!(ModelChange::<Test>::get(), Some((at, NEW)));

		// A request whose committee is drawn the block before the change scores with the old
		// model to its end.
		run_to_block(at - 1 - 2 * DRAW_DELAY);
		let before = submit(ALICE, MIN_FEE);
		respond_all(before);
		assert_eq!(System::block_number(), at - 1);
		assert_eq!(
			(request(before).phase, request(before).model),
			(Phase::Committing, Some(MODEL))
		);
		assert_eq!(QualityModel::<Test>::get(), Some(MODEL));

		advance(1);
		assert_eq!(QualityModel::<Test>::get(), Some(NEW));
		assert_eq!(ModelChange::<Test>::get(), None);
		assert!(poq_events().contains(&Event::QualityModelSet { digest: NEW }));
		assert_eq!(request(before).model, Some(MODEL));
		// Its committee settles as ever.
		for v in VALIDATORS {
			commit(v, before, &[8_000, 7_000]);
		}
		for v in VALIDATORS {
			reveal(v, before, &[8_000, 7_000]);
		}
		assert_eq!(outcome(before).phase, Phase::Finalized);
		// A committee drawn from then on scores with the new model.
		let after = submit(ALICE, MIN_FEE);
		respond_all(after);
		assert_eq!(request(after).model, Some(NEW));
	});
}

#[test]
fn a_model_change_comes_a_request_lifetime_ahead() {
	ExtBuilder::default().execute(|| {
		let now = System::block_number();
		let lifetime = Poq::max_request_lifetime();
		// Four windows, two draws and six deadlines each carried at most the hook's delay; then
		// a dispute: its window, the jury's draw and two windows, and four more deadlines.
		let delay = Poq::max_deadline_delay();
		let dispute = DisputeWindow::get() + 2 * WINDOW + 2 + 4 * delay;
		assert_eq!(lifetime, 4 * WINDOW + 4 + 6 * delay + dispute);
		for at in [0, now, now + lifetime - 1] {
			frame_support::assert_noop!(
				Poq::set_quality_model(RuntimeOrigin::root(), [9; 32], at),
				Error::<Test>::ModelChangeTooSoon
			);
		}
		assert_ok!(Poq::set_quality_model(RuntimeOrigin::root(), [9; 32], now + lifetime));
	});
}
