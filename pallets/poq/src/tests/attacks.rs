//! Dishonest committee members: copying, replaying and not running the model.

use super::*;
use crate::settlement::Verdict;
use frame_support::assert_noop;

const FEE: Balance = 1_000;

fn verdict(id: RequestId, who: AccountId) -> (Verdict, Balance, Balance) {
	let result = outcome(id);
	let entry = result.committee.iter().find(|v| v.validator == who).unwrap();
	(entry.verdict, entry.paid, entry.slashed)
}

#[test]
fn a_copied_commitment_cannot_be_revealed() {
	ExtBuilder::default().execute(|| {
		let [honest, copier, other] = VALIDATORS;
		let id = submit(ALICE, FEE);
		respond_all(id);
		let scores = [9_000, 2_500];
		commit(honest, id, &scores);
		// The copier sees the honest commitment in the block and submits the same bytes.
		let copied = request(id).committee.iter().find(|m| m.who == honest).unwrap().commitment;
		assert_ok!(Poq::commit_scores(RuntimeOrigin::signed(copier), id, copied.unwrap()));
		commit(other, id, &scores);
		reveal(honest, id, &scores);
		// Even knowing the honest scores and salt, the commitment binds the committer.
		assert_noop!(
			Poq::reveal_scores(RuntimeOrigin::signed(copier), id, scores.to_vec(), salt(honest)),
			Error::<Test>::CommitmentMismatch
		);
		reveal(other, id, &scores);
		run_to_block(request(id).ends_at);
		assert_eq!(verdict(id, copier), (Verdict::NoReveal, 0, PENALTY));
		assert_eq!(verdict(id, honest), (Verdict::InConsensus, 100, 0));
		assert_eq!(total(copier), FUNDS - PENALTY);
	});
}

#[test]
fn a_reveal_cannot_be_replayed_on_another_request() {
	ExtBuilder::default().execute(|| {
		let v = VALIDATORS[0];
		let first = submit(ALICE, FEE);
		let second = submit(BOB, FEE);
		respond_all(first);
		respond_all(second);
		let scores = [8_000, 3_000];
		commit(v, first, &scores);
		// A lazy member reuses its commitment from the first request on the second.
		let reused = crate::commitment(first, &v, &scores, &salt(v));
		assert_ok!(Poq::commit_scores(RuntimeOrigin::signed(v), second, reused));
		for other in &VALIDATORS[1..] {
			commit(*other, first, &scores);
			commit(*other, second, &scores);
		}
		reveal(v, first, &scores);
		assert_noop!(
			Poq::reveal_scores(RuntimeOrigin::signed(v), second, scores.to_vec(), salt(v)),
			Error::<Test>::CommitmentMismatch
		);
	});
}

fn lazy_member_is_penalised(lazy_scores: [u16; 2]) {
	ExtBuilder::default().execute(|| {
		let [a, b, lazy] = VALIDATORS;
		let id = submit(ALICE, FEE);
		respond_all(id);
		let honest = [[8_900, 1_200], [9_100, 1_000]];
		commit(a, id, &honest[0]);
		commit(b, id, &honest[1]);
		commit(lazy, id, &lazy_scores);
		reveal(a, id, &honest[0]);
		reveal(b, id, &honest[1]);
		reveal(lazy, id, &lazy_scores);
		assert_eq!(verdict(id, lazy), (Verdict::OffConsensus, 0, PENALTY));
		assert_eq!(verdict(id, a), (Verdict::InConsensus, 100, 0));
		assert_eq!(verdict(id, b), (Verdict::InConsensus, 100, 0));
		assert_eq!(total(lazy), FUNDS - PENALTY);
		assert_eq!(Participants::<Test>::get(lazy).unwrap().bond, BOND - PENALTY);
		// Its smaller bond now weighs less in draws.
		assert!(Pools::<Test>::get(Role::Validator).contains(&(lazy, BOND - PENALTY)));
	});
}

#[test]
fn a_lie_on_a_large_fee_costs_a_share_of_the_fee() {
	// At the largest fee a seat pays 20 % / 3 of it; a lie costs `PenaltyShare` of it, here all
	// of a bond of `MIN_BOND`, not the fixed `PENALTY` that a fee this large would dwarf.
	let validators = vec![(20, MIN_BOND), (21, MIN_BOND), (22, MIN_BOND)];
	ExtBuilder::default().validators(validators).execute(|| {
		let id = submit(ALICE, MAX_FEE);
		respond_all(id);
		let (honest, lie) = ([9_000, 1_000], [5_000, 5_000]);
		for (v, s) in [(20, honest), (21, honest), (22, lie)] {
			commit(v, id, &s);
		}
		for (v, s) in [(20, honest), (21, honest), (22, lie)] {
			reveal(v, id, &s);
		}
		let due = PenaltyShare::get().mul_floor(MAX_FEE);
		assert!(due > PENALTY);
		assert_eq!(verdict(id, 22), (Verdict::OffConsensus, 0, due));
		assert_eq!(due, MIN_BOND, "the largest fee's penalty fits in the smallest bond");
		assert_eq!(Participants::<Test>::get(22).unwrap().bond, 0);
	});
}

#[test]
fn a_constant_scorer_is_penalised() {
	lazy_member_is_penalised([5_000, 5_000]);
}

#[test]
fn a_random_scorer_is_penalised() {
	// Scores drawn once with a fixed seed, as a validator skipping the model would send.
	lazy_member_is_penalised([2_317, 7_790]);
}

#[test]
fn a_lone_liar_cannot_move_the_consensus() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, FEE);
		respond_all(id);
		let reveals = [(20, [9_000, 1_000]), (21, [9_200, 1_100]), (22, [0, 10_000])];
		for (v, s) in &reveals {
			commit(*v, id, s);
		}
		for (v, s) in &reveals {
			reveal(*v, id, s);
		}
		assert_eq!(
			outcome(id).responses.iter().map(|r| r.score).collect::<Vec<_>>(),
			vec![Some(9_000), Some(1_100)]
		);
		// The better answer is paid more; the poor one falls below MinQuality.
		assert_eq!(total(10), FUNDS + 800);
		assert_eq!(total(11), FUNDS);
	});
}
