//! The storage migrations on storage written in the layouts before them.

use super::*;
use crate::migrations::{
	v0,
	v1::{self, MigrateToV1},
	v2::{self, MigrateToV2},
	v3::MigrateToV3,
	v4::{self, MigrateToV4},
	v5::{self, MigrateToV5},
	v6::{self, MigrateToV6},
};
use frame_support::{
	traits::{fungible::MutateHold, GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	BoundedVec,
};

const FEE: Balance = 1_000;

/// A v1 request in its commit phase: both nodes answered in the clear, the committee drawn.
fn write_v1_request(id: RequestId, ends_at: u64) {
	assert_ok!(Balances::hold(&HoldReason::Escrow.into(), &ALICE, FEE));
	let seats = NODES.iter().chain(&VALIDATORS);
	seats.for_each(|who| Poq::set_busy(who, true));
	let committee = VALIDATORS
		.iter()
		.map(|who| v2::Member { who: *who, stake: BOND, commitment: None, reveal: None })
		.collect();
	v0::Requests::<Test>::insert(
		id,
		v0::Request {
			client: ALICE,
			fee: FEE,
			phase: Phase::Committing,
			ends_at,
			nodes: NODES.to_vec(),
			responders: NODES.to_vec(),
			committee,
		},
	);
	Prompts::<Test>::insert(id, BoundedVec::truncate_from(b"What is PoQ?".to_vec()));
	for node in NODES {
		Outputs::<Test>::insert(id, node, BoundedVec::truncate_from(answer(node)));
	}
	Deadlines::<Test>::mutate(ends_at, |due| due.try_push(id).unwrap());
	NextRequestId::<Test>::put(id + 1);
}

/// A v1 outcome of a request that finished and paid its nodes.
fn write_v1_outcome(id: RequestId) -> v0::OutcomeOf<Test> {
	let old = v0::Outcome {
		client: BOB,
		fee: FEE,
		phase: Phase::Finalized,
		finished_at: 1,
		responses: vec![v0::NodeOutcome { node: 10, score: Some(9_000), paid: FEE }],
		committee: vec![],
		refund: 0,
	};
	v0::Outcomes::<Test>::insert(id, old.clone());
	Poq::queue_prune(id, 1);
	old
}

/// Rewrites every participant in v1's layout (no strikes); returns them as they were.
fn write_v1_participants() -> Vec<(AccountId, Participant<Balance, u64>)> {
	let participants: Vec<_> = Participants::<Test>::iter().collect();
	for (who, p) in &participants {
		let old = v0::Participant {
			role: p.role,
			bond: p.bond,
			standing: p.standing,
			live_requests: p.live_requests,
		};
		v0::Participants::<Test>::insert(who, old);
	}
	participants
}

#[test]
fn v1_requests_end_refunded_and_v1_outcomes_are_kept() {
	ExtBuilder::default().build().execute_with(|| {
		let issuance = Balances::total_issuance();
		StorageVersion::new(0).put::<Poq>();
		let old = write_v1_outcome(0);
		write_v1_request(1, 4);
		let participants = write_v1_participants();
		assert_eq!(escrow(ALICE), FEE);

		#[cfg(feature = "try-runtime")]
		MigrateToV1::<Test>::try_on_runtime_upgrade(true).expect("pre and post checks pass");
		#[cfg(not(feature = "try-runtime"))]
		MigrateToV1::<Test>::on_runtime_upgrade();

		assert_eq!(Poq::on_chain_storage_version(), StorageVersion::new(1));
		// The live request ended: all of the fee back, every seat freed, its data gone.
		assert_eq!(Requests::<Test>::count(), 0);
		assert_eq!(escrow(ALICE), 0);
		assert_eq!(total(ALICE), FUNDS);
		assert!(NODES.iter().chain(&VALIDATORS).all(|who| live_requests(*who) == 0));
		assert!(Prompts::<Test>::get(1).is_none());
		assert_eq!(Outputs::<Test>::iter_prefix(1).count(), 0);
		assert_eq!(Deadlines::<Test>::iter().count(), 0);
		let ended = outcome(1);
		assert_eq!((ended.phase, ended.refund, ended.fee), (Phase::Expired, FEE, FEE));
		assert!(poq_events().contains(&Event::RequestExpired {
			id: 1,
			phase: Phase::Committing,
			refund: FEE
		}));
		// The finished request's outcome reads in the new layout, nobody slashed.
		let kept = outcome(0);
		assert_eq!((kept.client, kept.phase, kept.fee), (old.client, old.phase, old.fee));
		assert_eq!(
			kept.responses.iter().map(|r| (r.node, r.score, r.paid, r.slashed)).collect::<Vec<_>>(),
			vec![(10, Some(9_000), FEE, 0)]
		);
		assert_eq!(Balances::total_issuance(), issuance);
		// Participants read in the new layout, unchanged but for no strikes.
		for (who, before) in participants {
			let after = Participants::<Test>::get(who).unwrap();
			assert_eq!(after, Participant { live_requests: 0, strikes: 0, ..before });
		}
		Poq::do_try_state(System::block_number()).expect("invariants hold");

		// Once at version 1, running it again changes nothing.
		let before = Outcomes::<Test>::iter().count();
		MigrateToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Outcomes::<Test>::iter().count(), before);
		// And the chain goes on under v2.
		let id = submit(ALICE, FEE);
		assert_eq!(request(id).phase, Phase::AwaitingResponses);
	});
}

/// Member `who` of a storage-version-2 committee of request `id`, weighted by `stake`, committed
/// to `scores` if any, not yet revealed.
fn v2_member(
	id: RequestId,
	who: AccountId,
	stake: Balance,
	scores: Option<&[u16]>,
) -> v2::MemberOf<Test> {
	let commitment = scores.map(|scores| crate::commitment(id, &who, scores, &salt(who)));
	v2::Member { who, stake, commitment, reveal: None }
}

#[test]
fn requests_keep_the_model_in_force_if_their_committee_is_drawn() {
	ExtBuilder::default().build().execute_with(|| {
		let drawn = submit(ALICE, FEE);
		respond_all(drawn);
		let waiting = submit(ALICE, FEE);
		assert_eq!(request(drawn).phase, Phase::Committing);
		assert_eq!(request(waiting).phase, Phase::AwaitingResponses);
		// Both rewritten as storage version 1 had them: no model of their own, members
		// weighted by stake.
		let now: Vec<_> = Requests::<Test>::iter().collect();
		let members = |r: &RequestOf<Test>| -> Vec<v2::MemberOf<Test>> {
			r.committee.iter().map(|m| v2_member(0, m.who, BOND, None)).collect()
		};
		for (id, r) in &now {
			v1::Requests::<Test>::insert(
				id,
				v1::Request {
					client: r.client,
					fee: r.fee,
					phase: r.phase,
					ends_at: r.ends_at,
					nodes: r.nodes.to_vec(),
					responders: r.responders.to_vec(),
					committee: members(r),
				},
			);
		}
		StorageVersion::new(1).put::<Poq>();
		assert!(v2::Requests::<Test>::try_get(drawn).is_err(), "v1 bytes do not decode as v2");

		#[cfg(feature = "try-runtime")]
		MigrateToV2::<Test>::try_on_runtime_upgrade(true).expect("pre and post checks pass");
		#[cfg(not(feature = "try-runtime"))]
		MigrateToV2::<Test>::on_runtime_upgrade();

		assert_eq!(Poq::on_chain_storage_version(), StorageVersion::new(2));
		assert_eq!(v2::Requests::<Test>::count(), 2);
		let before = now.iter().find(|(id, _)| *id == drawn).unwrap().1.clone();
		let (migrated, model) = v2::Requests::<Test>::get(drawn).unwrap();
		assert_eq!((model, migrated.committee), (Some(MODEL), members(&before)));
		assert_eq!(v2::Requests::<Test>::get(waiting).unwrap().1, None);

		// Version 3 seats each of them once, and they go on as they were.
		MigrateToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Poq::on_chain_storage_version(), StorageVersion::new(3));
		assert_eq!(request(drawn), RequestOf::<Test> { model: Some(MODEL), ..before });
		assert_eq!(request(waiting).model, None);
		// The waiting request takes the model in force at its committee's draw.
		respond_all(waiting);
		assert_eq!(request(waiting).model, Some(MODEL));
		Poq::do_try_state(System::block_number()).expect("invariants hold");
	});
}

#[test]
fn a_v2_committee_settles_with_one_vote_per_member() {
	ExtBuilder::default().build().execute_with(|| {
		let id = submit(ALICE, FEE);
		respond_all(id);
		let r = request(id);
		// Under v2 the first member's stake outweighed the other two: its low scores would
		// have been the consensus. Under v3 it holds one vote of three.
		let [heavy, a, b] = VALIDATORS;
		let (low, high): (&[u16], &[u16]) = (&[1_000, 1_000], &[9_000, 9_000]);
		let committee = vec![
			v2_member(id, heavy, 10 * BOND, Some(low)),
			v2_member(id, a, BOND, Some(high)),
			v2_member(id, b, BOND, None),
		];
		let old = v1::Request {
			client: r.client,
			fee: r.fee,
			phase: Phase::Committing,
			ends_at: r.ends_at,
			nodes: r.nodes.to_vec(),
			responders: r.responders.to_vec(),
			committee,
		};
		v2::Requests::<Test>::insert(id, (old, r.model));
		StorageVersion::new(2).put::<Poq>();
		assert!(Requests::<Test>::try_get(id).is_err(), "v2 bytes do not decode as v3");

		#[cfg(feature = "try-runtime")]
		MigrateToV3::<Test>::try_on_runtime_upgrade(true).expect("pre and post checks pass");
		#[cfg(not(feature = "try-runtime"))]
		MigrateToV3::<Test>::on_runtime_upgrade();

		assert_eq!(Poq::on_chain_storage_version(), StorageVersion::new(3));
		let migrated = request(id);
		assert!(migrated.committee.iter().all(|m| m.seats == 1));
		assert_eq!(
			migrated.committee[0].commitment,
			Some(crate::commitment(id, &heavy, low, &salt(heavy)))
		);
		// The request goes on: the last member commits, and all reveal what they committed to.
		commit(b, id, high);
		for (who, scores) in [(heavy, low), (a, high), (b, high)] {
			reveal(who, id, scores);
		}
		assert_eq!(outcome(id).phase, Phase::Finalized);
		assert!(poq_events().contains(&Event::RequestFinalized {
			id,
			scores: high.to_vec(),
			refund: outcome(id).refund
		}));
		Poq::do_try_state(System::block_number()).expect("invariants hold");
		// Once at version 3, running it again changes nothing.
		MigrateToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Poq::on_chain_storage_version(), StorageVersion::new(3));
	});
}

#[test]
fn a_v3_outcome_is_kept_undisputed_and_a_live_request_goes_on_under_v4() {
	ExtBuilder::default().build().execute_with(|| {
		let done = submit(ALICE, FEE);
		respond_all(done);
		for v in VALIDATORS {
			commit(v, done, &[8_000, 7_000]);
		}
		for v in VALIDATORS {
			reveal(v, done, &[8_000, 7_000]);
		}
		let kept = outcome(done);
		let live = submit(BOB, FEE);
		respond_all(live);
		// The finished request's outcome in the v3 layout: no dispute field.
		let old = v4::Outcome {
			client: kept.client,
			fee: kept.fee,
			phase: kept.phase,
			finished_at: kept.finished_at,
			responses: kept.responses.clone(),
			committee: kept.committee.clone(),
			refund: kept.refund,
		};
		v4::Outcomes::<Test>::insert(done, old);
		StorageVersion::new(3).put::<Poq>();
		assert!(Outcomes::<Test>::try_get(done).is_err(), "v3 bytes do not decode as v4");

		#[cfg(feature = "try-runtime")]
		MigrateToV4::<Test>::try_on_runtime_upgrade(true).expect("pre and post checks pass");
		#[cfg(not(feature = "try-runtime"))]
		MigrateToV4::<Test>::on_runtime_upgrade();

		assert_eq!(Poq::on_chain_storage_version(), StorageVersion::new(4));
		assert_eq!(outcome(done), kept);
		assert_eq!(outcome(done).dispute, None);
		// The live request goes on under v4: its outcome is provisional, then disputed.
		DisputeWindow::set(&3);
		for v in VALIDATORS {
			commit(v, live, &[8_000, 7_000]);
		}
		for v in VALIDATORS {
			reveal(v, live, &[8_000, 7_000]);
		}
		assert_eq!(request(live).phase, Phase::Provisional);
		assert_ok!(Poq::dispute(signed(BOB), live, FEE));
		Poq::do_try_state(System::block_number()).expect("invariants hold");
		// Once at version 4, running it again changes nothing.
		MigrateToV4::<Test>::on_runtime_upgrade();
		assert_eq!(outcome(done), kept);
	});
}

#[test]
fn a_v4_dispute_keeps_its_jury_without_an_appeal_judge_or_rulings_and_settles_under_v6() {
	ExtBuilder::default().build().execute_with(|| {
		DisputeWindow::set(&3);
		// A pinned judge does not reach a dispute opened before it could be pinned.
		assert_ok!(Poq::set_appeal_judge(RuntimeOrigin::root(), Some([7; 32])));
		let id = submit(ALICE, FEE);
		respond_all(id);
		for juror in SPARE {
			assert_ok!(Poq::register_validator(signed(juror), BOND));
		}
		for v in VALIDATORS {
			commit(v, id, &[8_000, 7_000]);
		}
		for v in VALIDATORS {
			reveal(v, id, &[8_000, 7_000]);
		}
		assert_ok!(Poq::dispute(signed(ALICE), id, FEE));
		advance(DRAW_DELAY);
		assert_eq!(request(id).phase, Phase::Committing);
		// The dispute in the v4 layout: no appeal judge field.
		let live = Disputes::<Test>::get(id).unwrap();
		let old = v5::Dispute {
			appellant: live.appellant,
			deposit: live.deposit,
			reviewed: live.reviewed.clone(),
		};
		v5::Disputes::<Test>::insert(id, old);
		StorageVersion::new(4).put::<Poq>();
		assert!(v6::Disputes::<Test>::try_get(id).is_err(), "v4 bytes do not decode as v5");

		// One upgrade runs both, as the runtime's `Migrations` do: v5 writes the v5 layout,
		// which v6 reads.
		#[cfg(feature = "try-runtime")]
		{
			MigrateToV5::<Test>::try_on_runtime_upgrade(true).expect("pre and post checks pass");
			assert!(Disputes::<Test>::try_get(id).is_err(), "v5 bytes do not decode as v6");
			MigrateToV6::<Test>::try_on_runtime_upgrade(true).expect("pre and post checks pass");
		}
		#[cfg(not(feature = "try-runtime"))]
		<(MigrateToV5<Test>, MigrateToV6<Test>)>::on_runtime_upgrade();

		assert_eq!(Poq::on_chain_storage_version(), StorageVersion::new(6));
		let migrated = Disputes::<Test>::get(id).unwrap();
		assert_eq!(migrated.appeal_judge, None);
		assert_eq!(migrated.reviewed, live.reviewed);
		assert!(migrated.rulings.is_empty() && migrated.appeals.is_empty());
		// Its jury reveals one score per answer, as it was drawn to, and settles.
		let jury: Vec<AccountId> = request(id).committee.iter().map(|j| j.who).collect();
		for juror in &jury {
			commit(*juror, id, &[8_000, 7_000]);
		}
		for juror in &jury {
			reveal(*juror, id, &[8_000, 7_000]);
		}
		advance(1);
		let result = outcome(id);
		assert_eq!(result.dispute.unwrap().finding, crate::settlement::Finding::Upheld);
		Poq::do_try_state(System::block_number()).expect("invariants hold");
		// Once at version 6, running them again changes nothing.
		<(MigrateToV5<Test>, MigrateToV6<Test>)>::on_runtime_upgrade();
		assert_eq!(Poq::on_chain_storage_version(), StorageVersion::new(6));
	});
}
