//! Regression tests for the review findings of protocol v2 (issue 11): each fails on the
//! protocol before the fix and pins the rule that fixed it.
//!
//! - draws (finding 1): [`draws_wait_for_randomness_first_known_after_the_close`],
//!   [`the_last_responder_does_not_know_its_committee`]; relay-state proofs missing a key in
//!   `pallet-relay-randomness`'s `a_proof_without_a_key_is_rejected`;
//! - copying (finding 2): [`an_answer_cannot_be_copied`],
//!   [`a_node_that_commits_and_never_reveals_is_slashed`];
//! - holds (finding 8): [`escrow_comes_only_from_spendable_funds`];
//! - exit (finding 5): [`a_busy_participant_leaves_at_once_and_takes_its_bond_when_done`];
//! - scheduling (finding 4): [`carried_deadlines_go_first`],
//!   [`pruning_keeps_pace_with_finishing`];
//! - seats (finding 6): [`a_seat_slashed_below_min_bond_leaves_the_pool`],
//!   [`a_full_pool_admits_a_larger_bond_by_evicting_the_smallest`];
//! - absence and ties (finding 3): [`an_absent_member_does_not_let_one_liar_win`],
//!   [`strikes_in_a_row_suspend_a_seat_until_it_resumes`],
//!   [`a_suspended_seat_may_leave_but_a_short_bond_cannot_resume`];
//! - seats, top-ups: [`bond_extra_tops_up_a_seat`];
//! - forks (finding 7): in `tests/offchain.rs`, `a_fork_with_other_responses_is_scored_afresh`,
//!   `after_a_reorg_the_reveal_matches_the_commitment_on_this_chain` and
//!   `kept_scores_survive_a_best_block_without_the_request`.

use super::*;
use crate::settlement::Verdict;
use codec::Encode;
use frame_support::{
	assert_noop,
	traits::{LockableCurrency, WithdrawReasons},
};

const FEE: Balance = 1_000;

fn in_pool(role: Role, who: AccountId) -> bool {
	Pools::<Test>::get(role).iter().any(|(account, _)| *account == who)
}

#[test]
fn draws_wait_for_randomness_first_known_after_the_close() {
	ExtBuilder::default().execute(|| {
		// The client acts in block 1; the relay chain then stalls: no new randomness comes.
		let id = submit_only(ALICE, FEE);
		RandomnessSeenAt::set(&Some(1));
		advance(DRAW_DELAY + 3);
		assert_eq!(request(id).phase, Phase::DrawingNodes, "drawn from what the client knew");
		assert!(request(id).nodes.is_empty());
		// New randomness: the draw goes ahead in the next block.
		RandomnessSeenAt::set(&None);
		advance(1);
		assert_eq!(request(id).phase, Phase::AwaitingResponses);
		assert_eq!(drawn(id).len(), NODES_PER_REQUEST as usize);

		// The same for the committee, after the last reveal of an answer.
		for node in NODES {
			commit_answer(node, id);
		}
		for node in NODES {
			reveal_answer(node, id);
		}
		RandomnessSeenAt::set(&Some(System::block_number()));
		advance(DRAW_DELAY + 3);
		assert_eq!(request(id).phase, Phase::DrawingCommittee);
		RandomnessSeenAt::set(&None);
		advance(1);
		assert_eq!(request(id).phase, Phase::Committing);
	});
}

#[test]
fn the_last_responder_does_not_know_its_committee() {
	// Eight validators, three seats: which three depends on the randomness.
	let validators: Vec<_> = (40..48).map(|v| (v, BOND)).collect();
	ExtBuilder::default().validators(validators).execute(|| {
		let id = submit(ALICE, FEE);
		for node in NODES {
			commit_answer(node, id);
		}
		reveal_answer(NODES[0], id);
		// The last reveal draws nothing: the committee comes from later randomness.
		reveal_answer(NODES[1], id);
		let closed = System::block_number();
		assert_eq!(request(id).phase, Phase::DrawingCommittee);
		assert!(request(id).committee.is_empty());
		assert!(!poq_events().iter().any(|e| matches!(e, Event::CommitteeSelected { .. })));
		advance(DRAW_DELAY);
		// The draw used randomness first known in the block after the close, which nobody
		// acting up to the close could read.
		let committee: Vec<_> = request(id).committee.iter().map(|m| m.who).collect();
		let (random, seen) = <TestRandomness as frame_support::traits::Randomness<_, _>>::random(
			&(b"poq/committee".as_slice(), id).encode(),
		);
		assert_eq!(seen, closed + 1);
		let pool = Pools::<Test>::get(Role::Validator);
		let weights: Vec<u128> = pool.iter().map(|(_, bond)| *bond as u128).collect();
		let seed = crate::selection::seed_for(random.as_ref(), b"poq/committee", id);
		let expected: Vec<_> = crate::selection::allot_seats(seed, &weights, COMMITTEE)
			.into_iter()
			.map(|(i, _)| pool[i].0)
			.collect();
		assert_eq!(committee, expected);
	});
}

#[test]
fn an_answer_cannot_be_copied() {
	ExtBuilder::default().execute(|| {
		let [honest, copier] = NODES;
		let id = submit(ALICE, FEE);
		commit_answer(honest, id);
		// While nodes commit, no answer is on chain to copy, and no score is asked for.
		assert!(Outputs::<Test>::get(id, honest).is_none());
		assert_eq!(Poq::scoring_input(id), Some((b"What is PoQ?".to_vec(), vec![])));
		// The copier can only copy the commitment, which binds the honest node's account.
		let copied = request(id).nodes.iter().find(|s| s.who == honest).unwrap().commitment;
		assert_ok!(Poq::commit_response(signed(copier), id, copied.unwrap()));
		assert_eq!(request(id).phase, Phase::RevealingResponses);
		reveal_answer(honest, id);
		// Now the answer and its salt are public, and still cannot be revealed as the copier's.
		assert_noop!(
			Poq::reveal_response(signed(copier), id, answer(honest), salt(honest)),
			Error::<Test>::CommitmentMismatch
		);
		run_to_block(request(id).ends_at);
		advance(DRAW_DELAY);
		for v in VALIDATORS {
			commit(v, id, &[9_000]);
		}
		for v in VALIDATORS {
			reveal(v, id, &[9_000]);
		}
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Finalized);
		let of = |node| result.responses.iter().find(|r| r.node == node).unwrap().clone();
		assert_eq!((of(honest).score, of(honest).paid, of(honest).slashed), (Some(9_000), 800, 0));
		assert_eq!(
			(of(copier).score, of(copier).paid, of(copier).slashed),
			(None, 0, NODE_PENALTY)
		);
	});
}

#[test]
fn a_node_that_commits_and_never_reveals_is_slashed() {
	ExtBuilder::default().execute(|| {
		let issuance = Balances::total_issuance();
		let [revealer, withholder] = NODES;
		let id = submit(ALICE, FEE);
		for node in NODES {
			commit_answer(node, id);
		}
		reveal_answer(revealer, id);
		// The withholder waits to see the other answer and keeps its own back.
		run_to_block(request(id).ends_at);
		assert_eq!(request(id).phase, Phase::DrawingCommittee);
		assert_eq!(request(id).responders.to_vec(), vec![revealer]);
		advance(DRAW_DELAY);
		for v in VALIDATORS {
			commit(v, id, &[9_000]);
		}
		for v in VALIDATORS {
			reveal(v, id, &[9_000]);
		}
		assert!(poq_events().contains(&Event::NodeSlashed {
			id,
			node: withholder,
			amount: NODE_PENALTY
		}));
		assert_eq!(bond(withholder), BOND - NODE_PENALTY);
		assert_eq!(total(withholder), FUNDS - NODE_PENALTY);
		assert_eq!(total(revealer), FUNDS + 800);
		assert_eq!(Balances::total_issuance(), issuance - NODE_PENALTY);

		// With no answer revealed at all the request ends at once: the client gets its fee
		// back and the withholders lose their penalty.
		let id = submit(ALICE, FEE);
		for node in NODES {
			commit_answer(node, id);
		}
		run_to_block(request(id).ends_at);
		assert_eq!(outcome(id).phase, Phase::Expired);
		assert_eq!(outcome(id).refund, FEE);
		assert!(outcome(id).responses.iter().all(|r| r.slashed == NODE_PENALTY && r.paid == 0));
		assert!(poq_events().contains(&Event::RequestExpired {
			id,
			phase: Phase::RevealingResponses,
			refund: FEE
		}));
	});
}

#[test]
fn escrow_comes_only_from_spendable_funds() {
	ExtBuilder::default().execute(|| {
		// Alice's funds are locked but for 500, as a vesting schedule locks them.
		Balances::set_lock(*b"vesting ", &ALICE, FUNDS - 500, WithdrawReasons::all());
		// Holding locked funds and paying them out to nodes would let them leave the account.
		assert_noop!(
			Poq::submit_request(signed(ALICE), b"q".to_vec(), FEE),
			Error::<Test>::InsufficientBalance
		);
		// What is spendable can be escrowed, and the lock still covers the rest afterwards.
		let id = submit(ALICE, 400);
		respond_all(id);
		for v in VALIDATORS {
			commit(v, id, &[9_000, 9_000]);
		}
		for v in VALIDATORS {
			reveal(v, id, &[9_000, 9_000]);
		}
		assert_eq!(outcome(id).phase, Phase::Finalized);
		assert!(total(ALICE) >= FUNDS - 500, "the locked funds stayed");
	});
}

#[test]
fn a_busy_participant_leaves_at_once_and_takes_its_bond_when_done() {
	ExtBuilder::default().execute(|| {
		let [node, other] = NODES;
		let id = submit(ALICE, FEE);
		// Sitting on a live request pins nobody: the node leaves its pool at once.
		assert_ok!(Poq::unregister(signed(node)));
		assert!(!in_pool(Role::InferenceNode, node));
		assert_eq!(drawn(submit(BOB, FEE)), vec![other]);
		// It still answers the request it was drawn for, and can be paid or slashed on it...
		commit_answer(node, id);
		run_to_block(request(id).ends_at);
		reveal_answer(node, id);
		advance(DRAW_DELAY);
		for v in VALIDATORS {
			commit(v, id, &[9_000]);
		}
		// ...so its bond stays held, past the unbonding period, until the request is over.
		let Standing::Unbonding { unlock_at } = Participants::<Test>::get(node).unwrap().standing
		else {
			panic!("the node unbonds");
		};
		run_to_block(unlock_at);
		assert!(Requests::<Test>::contains_key(id));
		assert_noop!(Poq::withdraw_unbonded(signed(node)), Error::<Test>::Busy);
		run_to_block(request(id).ends_at);
		assert!(!Requests::<Test>::contains_key(id));
		assert_ok!(Poq::withdraw_unbonded(signed(node)));
		assert_eq!(bond(node), 0);
	});
}

#[test]
fn carried_deadlines_go_first() {
	ExtBuilder::default().execute(|| {
		HookItems::set(&1);
		let waiting = |id: &RequestId| {
			Requests::<Test>::get(id).is_some_and(|r| r.phase == Phase::DrawingNodes)
		};
		// Two draws fall due in block 1 + DRAW_DELAY: one is carried to the next block.
		let first = [submit_only(ALICE, FEE), submit_only(BOB, FEE)];
		// From then on one new draw falls due in every block, using the whole budget.
		let mut later = Vec::new();
		for block in 2..=WINDOW + 1 {
			run_to_block(block);
			if block == 1 + DRAW_DELAY {
				assert_eq!(first.iter().filter(|id| waiting(id)).count(), 1);
			}
			// The carried draw happens in the next block, before that block's own deadline.
			if block == 2 + DRAW_DELAY {
				assert!(!first.iter().any(waiting));
				assert!(waiting(&later[0]), "the block's own draw waits behind the carried one");
			}
			later.push(submit_only(ALICE, FEE));
		}
		// And no deadline waits more than `max_deadline_delay` blocks.
		let delay = Poq::max_deadline_delay();
		run_to_block(WINDOW + 1 + DRAW_DELAY + delay);
		assert!(!later.iter().any(waiting));
	});
}

#[test]
fn pruning_keeps_pace_with_finishing() {
	ExtBuilder::default().execute(|| {
		HookItems::set(&1);
		// Two requests finish on the fast path in every block, more than the hook's budget.
		for block in 1..=3 * RETAIN {
			run_to_block(block);
			for client in [ALICE, BOB] {
				let id = submit(client, MIN_FEE);
				respond_all(id);
				for v in VALIDATORS {
					commit(v, id, &[9_000, 9_000]);
				}
				for v in VALIDATORS {
					reveal(v, id, &[9_000, 9_000]);
				}
			}
		}
		// Outcomes are kept `RetainFinished` blocks; none is left over for longer.
		let kept = Outcomes::<Test>::iter().count() as u64;
		assert!(kept <= 2 * (RETAIN + 1), "{kept} outcomes kept");
	});
}

#[test]
fn a_seat_slashed_below_min_bond_leaves_the_pool() {
	let [low, a, b] = VALIDATORS;
	let small = MIN_BOND + PENALTY / 2;
	ExtBuilder::default().validators(vec![(low, small), (a, BOND), (b, BOND)]).execute(|| {
		let id = submit(ALICE, FEE);
		respond_all(id);
		let honest = [9_000, 2_500];
		commit(a, id, &honest);
		commit(b, id, &honest);
		commit(low, id, &[0, 10_000]);
		reveal(a, id, &honest);
		reveal(b, id, &honest);
		reveal(low, id, &[0, 10_000]);
		assert_eq!(bond(low), small - PENALTY);
		// Below `MinBond` it is no longer drawn; it unbonds as if it had left.
		assert!(!in_pool(Role::Validator, low));
		let unlock_at = System::block_number() + UNBONDING;
		assert_eq!(
			Participants::<Test>::get(low).unwrap().standing,
			Standing::Unbonding { unlock_at }
		);
		assert!(poq_events().contains(&Event::Unregistered { who: low, unlock_at }));
		run_to_block(unlock_at);
		assert_ok!(Poq::withdraw_unbonded(signed(low)));
	});
}

#[test]
fn a_full_pool_admits_a_larger_bond_by_evicting_the_smallest() {
	let full: Vec<_> = (100..100 + MAX_POOL as u64).map(|v| (v, BOND + v)).collect();
	ExtBuilder::default().validators(full).execute(|| {
		let smallest = 100;
		// Not larger than the smallest seat: refused, nothing changes.
		assert_noop!(
			Poq::register_validator(signed(SPARE[0]), BOND + 100),
			Error::<Test>::PoolFull
		);
		assert_ok!(Poq::register_validator(signed(SPARE[0]), BOND + 101));
		assert!(in_pool(Role::Validator, SPARE[0]));
		assert!(!in_pool(Role::Validator, smallest));
		let unlock_at = System::block_number() + UNBONDING;
		assert!(poq_events().contains(&Event::Unregistered { who: smallest, unlock_at }));
		// The evicted account unbonds as if it had left.
		run_to_block(unlock_at);
		assert_ok!(Poq::withdraw_unbonded(signed(smallest)));
		assert_eq!(total(smallest), FUNDS);
	});
}

#[test]
fn an_absent_member_does_not_let_one_liar_win() {
	ExtBuilder::default().execute(|| {
		let issuance = Balances::total_issuance();
		let [honest, liar, absent] = VALIDATORS;
		let id = submit(ALICE, FEE);
		respond_all(id);
		let (truth, lie) = ([9_000, 2_500], [0, 0]);
		commit(honest, id, &truth);
		commit(liar, id, &lie);
		// The third member never commits; the commit window closes without it.
		run_to_block(request(id).ends_at);
		reveal(honest, id, &truth);
		reveal(liar, id, &lie);
		let result = outcome(id);
		// The liar's scores are the lower median, but they hold a third of the stake: no
		// consensus, nobody's scores decide, nobody is paid or slashed for them. Only the
		// absent member loses the absence penalty.
		assert_eq!(result.phase, Phase::Expired);
		let verdicts: Vec<_> =
			result.committee.iter().map(|v| (v.validator, v.verdict, v.slashed)).collect();
		assert!(verdicts.contains(&(honest, Verdict::NoMajority, 0)));
		assert!(verdicts.contains(&(liar, Verdict::NoMajority, 0)));
		assert!(verdicts.contains(&(absent, Verdict::NoCommit, ABSENCE_PENALTY)));
		assert!(result.committee.iter().all(|v| v.paid == 0));
		assert_eq!(result.refund, FEE);
		assert_eq!(total(honest), FUNDS);
		assert_eq!(total(ALICE), FUNDS);
		// Staying away cost the absent member less than lying would have, and a strike.
		const { assert!(ABSENCE_PENALTY < PENALTY) };
		assert_eq!(Participants::<Test>::get(absent).unwrap().strikes, 1);
		assert_eq!(Participants::<Test>::get(honest).unwrap().strikes, 0);
		assert_eq!(bond(absent), BOND - ABSENCE_PENALTY);
		assert_eq!(Balances::total_issuance(), issuance - ABSENCE_PENALTY);
	});
}

/// Runs one request through with every validator but `absent` committing honestly.
fn request_without(absent: AccountId) -> RequestId {
	let id = submit(ALICE, MIN_FEE);
	respond_all(id);
	let present: Vec<_> =
		request(id).committee.iter().map(|m| m.who).filter(|v| *v != absent).collect();
	for v in &present {
		commit(*v, id, &[9_000, 9_000]);
	}
	close_commits(id);
	for v in &present {
		reveal(*v, id, &[9_000, 9_000]);
	}
	id
}

/// Runs to the end of request `id`'s commit phase unless every member committed already.
fn close_commits(id: RequestId) {
	if request(id).phase == Phase::Committing {
		run_to_block(request(id).ends_at);
	}
}

#[test]
fn strikes_in_a_row_suspend_a_seat_until_it_resumes() {
	// Four validators for three seats, so requests still find a committee without the
	// suspended one.
	let validators = VALIDATORS.iter().chain(&[23]).map(|v| (*v, BOND)).collect();
	ExtBuilder::default().validators(validators).execute(|| {
		let absent = VALIDATORS[2];
		// Requests until `absent` sat on MAX_STRIKES committees in a row without committing,
		// with a committed one in between that clears its strikes.
		let mut sat = 0;
		let mut cleared = false;
		while Participants::<Test>::get(absent).unwrap().standing == Standing::Active {
			let id = submit(ALICE, MIN_FEE);
			respond_all(id);
			let seated = request(id).committee.iter().any(|m| m.who == absent);
			let members: Vec<_> = request(id).committee.iter().map(|m| m.who).collect();
			let clear_now = seated && sat == MAX_STRIKES - 1 && !cleared;
			for v in members.iter().filter(|v| **v != absent || clear_now) {
				commit(*v, id, &[9_000, 9_000]);
			}
			close_commits(id);
			for v in members.iter().filter(|v| **v != absent || clear_now) {
				reveal(*v, id, &[9_000, 9_000]);
			}
			if clear_now {
				cleared = true;
				sat = 0;
				assert_eq!(Participants::<Test>::get(absent).unwrap().strikes, 0);
			} else if seated {
				sat += 1;
				assert_eq!(Participants::<Test>::get(absent).unwrap().strikes, sat);
			}
		}
		assert!(cleared && sat == MAX_STRIKES, "suspended after MAX_STRIKES absences in a row");
		assert!(poq_events().contains(&Event::Suspended { who: absent }));
		assert!(!in_pool(Role::Validator, absent));
		// Suspended: never drawn.
		for _ in 0..4 {
			let id = submit(ALICE, MIN_FEE);
			respond_all(id);
			let members: Vec<_> = request(id).committee.iter().map(|m| m.who).collect();
			assert!(!members.contains(&absent));
			members.iter().for_each(|v| commit(*v, id, &[9_000, 9_000]));
			members.iter().for_each(|v| reveal(*v, id, &[9_000, 9_000]));
		}
		assert_noop!(Poq::resume(signed(VALIDATORS[0])), Error::<Test>::NotSuspended);
		assert_noop!(Poq::resume(signed(SPARE[0])), Error::<Test>::NotRegistered);
		assert_ok!(Poq::resume(signed(absent)));
		assert!(in_pool(Role::Validator, absent));
		assert_eq!(Participants::<Test>::get(absent).unwrap().strikes, 0);
		assert!(poq_events().contains(&Event::Resumed { who: absent }));
	});
}

#[test]
fn a_suspended_seat_may_leave_but_a_short_bond_cannot_resume() {
	// Equal bonds, one seat each: the one that stays away is on every committee.
	let validators = vec![(20, MIN_BOND), (21, MIN_BOND), (22, MIN_BOND)];
	ExtBuilder::default().validators(validators).execute(|| {
		let absent = 22;
		for _ in 0..MAX_STRIKES {
			request_without(absent);
		}
		// Absence penalties took it below MinBond: it left the pool unbonding on the way,
		// before it could be suspended.
		let participant = Participants::<Test>::get(absent).unwrap();
		assert!(participant.bond < MIN_BOND);
		assert!(matches!(participant.standing, Standing::Unbonding { .. }));
		assert_noop!(Poq::resume(signed(absent)), Error::<Test>::NotSuspended);
	});
	ExtBuilder::default().execute(|| {
		let absent = VALIDATORS[2];
		for _ in 0..MAX_STRIKES {
			request_without(absent);
		}
		assert_eq!(Participants::<Test>::get(absent).unwrap().standing, Standing::Suspended);
		// Suspended is not stuck: it may leave.
		assert_ok!(Poq::unregister(signed(absent)));
		assert!(matches!(
			Participants::<Test>::get(absent).unwrap().standing,
			Standing::Unbonding { .. }
		));
	});
}

#[test]
fn bond_extra_tops_up_a_seat() {
	ExtBuilder::default().execute(|| {
		let v = VALIDATORS[0];
		assert_ok!(Poq::bond_extra(signed(v), 500));
		assert_eq!(bond(v), BOND + 500);
		assert_eq!(Participants::<Test>::get(v).unwrap().bond, BOND + 500);
		assert!(Pools::<Test>::get(Role::Validator).contains(&(v, BOND + 500)));
		assert!(poq_events().contains(&Event::Bonded { who: v, bond: BOND + 500 }));
		// The new stake weighs in the next committee: 1 500 of 3 500 is 1.29 of its 3 seats.
		let id = submit(ALICE, MIN_FEE);
		respond_all(id);
		let member = request(id).committee.into_iter().find(|m| m.who == v).unwrap();
		assert!(matches!(member.seats, 1 | 2));
		// Bad inputs change nothing.
		assert_noop!(Poq::bond_extra(signed(v), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Poq::bond_extra(signed(v), FUNDS), Error::<Test>::InsufficientBalance);
		assert_noop!(Poq::bond_extra(signed(SPARE[0]), 10), Error::<Test>::NotRegistered);
		assert_ok!(Poq::unregister(signed(VALIDATORS[1])));
		assert_noop!(Poq::bond_extra(signed(VALIDATORS[1]), 10), Error::<Test>::AlreadyUnbonding);
	});
}
