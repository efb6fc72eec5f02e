//! Regression tests for the review findings of protocol v2 (issue 11): each fails on the
//! protocol before the fix and pins the rule that fixed it.
//!
//! - holds (finding 8): [`escrow_comes_only_from_spendable_funds`];
//! - exit (finding 5): [`a_busy_participant_leaves_at_once_and_takes_its_bond_when_done`];
//! - scheduling (finding 4): [`carried_deadlines_go_first`],
//!   [`pruning_keeps_pace_with_finishing`];
//! - seats (finding 6): [`a_seat_slashed_below_min_bond_leaves_the_pool`],
//!   [`a_full_pool_admits_a_larger_bond_by_evicting_the_smallest`];
//! - absence and ties (finding 3, in part): [`an_absent_member_does_not_let_one_liar_win`];
//! - forks (finding 7): in `tests/offchain.rs`, `a_fork_with_other_responses_is_scored_afresh`,
//!   `after_a_reorg_the_reveal_matches_the_commitment_on_this_chain` and
//!   `kept_scores_survive_a_best_block_without_the_request`.

use super::*;
use crate::settlement::Verdict;
use frame_support::{
	assert_noop,
	traits::{LockableCurrency, WithdrawReasons},
};

const FEE: Balance = 1_000;

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn in_pool(role: Role, who: AccountId) -> bool {
	Pools::<Test>::get(role).iter().any(|(account, _)| *account == who)
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
		assert_eq!(request(submit(BOB, FEE)).nodes.to_vec(), vec![other]);
		// It still answers the request it was drawn for, and can be paid or slashed on it...
		assert_ok!(Poq::submit_response(signed(node), id, answer(node)));
		run_to_block(2 + WINDOW);
		for v in VALIDATORS {
			commit(v, id, &[9_000]);
		}
		// ...so its bond stays held, past the unbonding period, until the request is over.
		run_to_block(1 + UNBONDING);
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
		// Two requests fall due in block 1 + WINDOW: one is carried to the next block.
		let first = [submit(ALICE, FEE), submit(BOB, FEE)];
		// From then on one new request falls due in every block, using the whole budget.
		let mut later = Vec::new();
		for block in 2..=WINDOW + 1 {
			run_to_block(block);
			later.push(submit(ALICE, FEE));
		}
		run_to_block(1 + WINDOW);
		assert_eq!(first.iter().filter(|id| Requests::<Test>::contains_key(**id)).count(), 1);
		// The carried request ends in the next block, before that block's own deadline.
		run_to_block(2 + WINDOW);
		assert!(first.iter().all(|id| !Requests::<Test>::contains_key(*id)));
		// And no deadline waits more than `max_deadline_delay` blocks.
		let delay = Poq::max_deadline_delay();
		run_to_block(2 * WINDOW + 1 + delay);
		assert!(later.iter().all(|id| !Requests::<Test>::contains_key(*id)));
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
		// consensus, nobody's scores decide, nobody is paid or slashed for them.
		assert_eq!(result.phase, Phase::Expired);
		let verdicts: Vec<_> = result.committee.iter().map(|v| (v.validator, v.verdict)).collect();
		assert!(verdicts.contains(&(honest, Verdict::NoMajority)));
		assert!(verdicts.contains(&(liar, Verdict::NoMajority)));
		assert!(verdicts.contains(&(absent, Verdict::NoCommit)));
		assert!(result.committee.iter().all(|v| v.paid == 0 && v.slashed == 0));
		assert_eq!(result.refund, FEE);
		assert_eq!(total(honest), FUNDS);
		assert_eq!(total(ALICE), FUNDS);
	});
}
