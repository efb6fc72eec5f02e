//! The read-only views behind the runtime API.

use super::*;
use crate::queries::{RequestStatus, Seat, Task};

#[test]
fn status_follows_the_request_to_its_outcome() {
	ExtBuilder::default().execute(|| {
		assert_eq!(Poq::request_status(0), None);
		let id = submit(ALICE, 1_000);
		let Some(RequestStatus::Live(live)) = Poq::request_status(id) else { panic!("live") };
		assert_eq!(live.phase, Phase::AwaitingResponses);
		assert_eq!(live.client, ALICE);
		assert!(live.committee.is_empty());

		respond_all(id);
		commit(VALIDATORS[0], id, &[5_000, 5_000]);
		let Some(RequestStatus::Live(live)) = Poq::request_status(id) else { panic!("live") };
		assert_eq!(live.phase, Phase::Committing);
		assert_eq!(live.responders, NODES.to_vec());
		let seat = live.committee.iter().find(|s| s.who == VALIDATORS[0]).unwrap();
		assert_eq!(seat, &Seat { who: VALIDATORS[0], committed: true, revealed: false });

		run_to_block(request(id).ends_at);
		run_to_block(request(id).ends_at);
		assert_eq!(Poq::request_status(id), Some(RequestStatus::Finished(outcome(id))));
	});
}

#[test]
fn pending_work_names_what_each_account_owes() {
	ExtBuilder::default().execute(|| {
		let first = submit(ALICE, 1_000);
		let second = submit(BOB, 1_000);
		assert_eq!(
			Poq::pending_work(&NODES[0]),
			vec![(first, Task::Respond), (second, Task::Respond)]
		);
		assert!(Poq::pending_work(&VALIDATORS[0]).is_empty());

		commit_answer(NODES[0], first);
		assert_eq!(Poq::pending_work(&NODES[0]), vec![(second, Task::Respond)]);
		assert_eq!(
			Poq::pending_work(&NODES[1]),
			vec![(first, Task::Respond), (second, Task::Respond)]
		);
		// The last commitment opens the reveals.
		commit_answer(NODES[1], first);
		let reveal_first = vec![(first, Task::RevealResponse), (second, Task::Respond)];
		assert_eq!(Poq::pending_work(&NODES[0]), reveal_first);
		reveal_answer(NODES[0], first);
		assert_eq!(Poq::pending_work(&NODES[0]), vec![(second, Task::Respond)]);
		assert_eq!(Poq::pending_work(&NODES[1]), reveal_first);
		reveal_answer(NODES[1], first);
		// The committee is drawn two blocks on; meanwhile nobody owes anything on `first`.
		assert!(Poq::pending_work(&VALIDATORS[0]).is_empty());
		advance(DRAW_DELAY);
		assert_eq!(Poq::pending_work(&NODES[0]), vec![(second, Task::Respond)]);
		assert_eq!(Poq::pending_work(&VALIDATORS[0]), vec![(first, Task::Commit)]);
		assert_eq!(
			Poq::scoring_input(first),
			Some((b"What is PoQ?".to_vec(), NODES.iter().map(|n| answer(*n)).collect()))
		);

		for v in VALIDATORS {
			commit(v, first, &[5_000, 5_000]);
		}
		assert_eq!(Poq::pending_work(&VALIDATORS[0]), vec![(first, Task::Reveal)]);
		reveal(VALIDATORS[0], first, &[5_000, 5_000]);
		assert!(Poq::pending_work(&VALIDATORS[0]).is_empty());
		assert_eq!(Poq::pending_work(&VALIDATORS[1]), vec![(first, Task::Reveal)]);

		// Once the windows close, nothing is owed and nothing is left to score.
		run_to_block(request(second).ends_at);
		assert!(Poq::pending_work(&NODES[0]).is_empty());
		assert_eq!(Poq::scoring_input(second), None);
	});
}
