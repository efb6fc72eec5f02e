//! The bad-input matrix: every failure is its named error and changes no storage.

use super::*;
use frame_support::assert_noop;
use sp_runtime::DispatchError;

/// A request whose committee is drawn (commit phase).
fn committing() -> RequestId {
	let id = submit(ALICE, 1_000);
	respond_all(id);
	id
}

/// A request in the reveal phase in which `VALIDATORS[2]` did not commit.
fn revealing() -> RequestId {
	let id = committing();
	commit(VALIDATORS[0], id, &[6_000, 6_000]);
	commit(VALIDATORS[1], id, &[6_000, 6_000]);
	run_to_block(request(id).ends_at);
	assert_eq!(request(id).phase, Phase::Revealing);
	id
}

#[test]
fn request_errors() {
	ExtBuilder::default().execute(|| {
		let long = vec![b'x'; MAX_PROMPT as usize + 1];
		assert_noop!(Poq::submit_request(signed(ALICE), long, 100), Error::<Test>::PromptTooLong);
		assert_noop!(Poq::submit_request(signed(ALICE), vec![], 100), Error::<Test>::EmptyPrompt);
		assert_noop!(
			Poq::submit_request(signed(ALICE), b"p".to_vec(), MIN_FEE - 1),
			Error::<Test>::FeeTooLow
		);
		assert_noop!(
			Poq::submit_request(signed(ALICE), b"p".to_vec(), MAX_FEE + 1),
			Error::<Test>::FeeTooHigh
		);
		assert_noop!(
			Poq::submit_request(signed(PAUPER), b"p".to_vec(), 100),
			Error::<Test>::InsufficientBalance
		);
		// The longest prompt is fine.
		assert_ok!(Poq::submit_request(signed(ALICE), vec![b'x'; MAX_PROMPT as usize], 100));
	});
}

#[test]
fn live_requests_are_bounded() {
	ExtBuilder::default().execute(|| {
		for _ in 0..MAX_LIVE {
			submit_only(ALICE, MIN_FEE);
		}
		assert_noop!(
			Poq::submit_request(signed(BOB), b"p".to_vec(), MIN_FEE),
			Error::<Test>::TooManyLiveRequests
		);
	});
}

#[test]
fn no_inference_nodes() {
	ExtBuilder::default().nodes(vec![]).execute(|| {
		assert_noop!(
			Poq::submit_request(signed(ALICE), b"p".to_vec(), 100),
			Error::<Test>::NoInferenceNodes
		);
	});
}

#[test]
fn unknown_request() {
	ExtBuilder::default().execute(|| {
		assert_noop!(Poq::commit_response(signed(10), 42, [0; 32]), Error::<Test>::UnknownRequest);
		assert_noop!(
			Poq::reveal_response(signed(10), 42, b"o".to_vec(), [0; 32]),
			Error::<Test>::UnknownRequest
		);
		assert_noop!(Poq::commit_scores(signed(20), 42, [0; 32]), Error::<Test>::UnknownRequest);
		assert_noop!(
			Poq::reveal_scores(signed(20), 42, vec![1], [0; 32]),
			Error::<Test>::UnknownRequest
		);
	});
}

#[test]
fn nothing_is_accepted_while_the_nodes_are_drawn() {
	ExtBuilder::default().execute(|| {
		let id = submit_only(ALICE, 1_000);
		assert_eq!(request(id).phase, Phase::DrawingNodes);
		assert_noop!(Poq::commit_response(signed(10), id, [0; 32]), Error::<Test>::WrongPhase);
		assert_noop!(
			Poq::reveal_response(signed(10), id, b"o".to_vec(), [0; 32]),
			Error::<Test>::WrongPhase
		);
		assert_noop!(Poq::commit_scores(signed(20), id, [0; 32]), Error::<Test>::WrongPhase);
	});
}

#[test]
fn response_commit_errors() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, 1_000);
		assert_noop!(
			Poq::commit_response(signed(VALIDATORS[0]), id, [0; 32]),
			Error::<Test>::NotSelected
		);
		// Answers are revealed only once every node committed or the window closed.
		assert_noop!(
			Poq::reveal_response(signed(10), id, b"o".to_vec(), [0; 32]),
			Error::<Test>::WrongPhase
		);
		commit_answer(10, id);
		assert_noop!(
			Poq::commit_response(signed(10), id, [1; 32]),
			Error::<Test>::AlreadyResponded
		);
		// Scores belong to the later phases.
		assert_noop!(Poq::commit_scores(signed(20), id, [0; 32]), Error::<Test>::WrongPhase);
		assert_noop!(
			Poq::reveal_scores(signed(20), id, vec![1], [0; 32]),
			Error::<Test>::WrongPhase
		);
	});
}

#[test]
fn response_reveal_errors() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, 1_000);
		commit_answer(10, id);
		// Node 11 never commits: the window closes with one commitment and reveals open.
		run_to_block(request(id).ends_at);
		assert_eq!(request(id).phase, Phase::RevealingResponses);
		assert_noop!(Poq::commit_response(signed(11), id, [0; 32]), Error::<Test>::WrongPhase);
		let long = vec![b'x'; MAX_OUTPUT as usize + 1];
		assert_noop!(
			Poq::reveal_response(signed(10), id, long, salt(10)),
			Error::<Test>::OutputTooLong
		);
		assert_noop!(
			Poq::reveal_response(signed(VALIDATORS[0]), id, answer(10), salt(10)),
			Error::<Test>::NotSelected
		);
		assert_noop!(
			Poq::reveal_response(signed(11), id, answer(11), salt(11)),
			Error::<Test>::NotCommitted
		);
		assert_noop!(
			Poq::reveal_response(signed(10), id, answer(11), salt(10)),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			Poq::reveal_response(signed(10), id, answer(10), [0; 32]),
			Error::<Test>::CommitmentMismatch
		);
		reveal_answer(10, id);
		// The only committed node revealed: the phase closed, the committee is drawn later.
		assert_eq!(request(id).phase, Phase::DrawingCommittee);
		assert_noop!(
			Poq::reveal_response(signed(10), id, answer(10), salt(10)),
			Error::<Test>::WrongPhase
		);
	});
}

#[test]
fn commit_errors() {
	ExtBuilder::default().execute(|| {
		let id = committing();
		assert_noop!(
			Poq::reveal_response(signed(10), id, answer(10), salt(10)),
			Error::<Test>::WrongPhase
		);
		assert_noop!(
			Poq::commit_scores(signed(SPARE[0]), id, [0; 32]),
			Error::<Test>::NotCommitteeMember
		);
		assert_noop!(
			Poq::reveal_scores(signed(VALIDATORS[0]), id, vec![1, 1], [0; 32]),
			Error::<Test>::WrongPhase
		);
		commit(VALIDATORS[0], id, &[1, 1]);
		assert_noop!(
			Poq::commit_scores(signed(VALIDATORS[0]), id, [1; 32]),
			Error::<Test>::AlreadyCommitted
		);
	});
}

#[test]
fn reveal_errors() {
	ExtBuilder::default().execute(|| {
		let id = revealing();
		let [v0, v1, v2] = VALIDATORS;
		assert_noop!(Poq::commit_scores(signed(v2), id, [0; 32]), Error::<Test>::WrongPhase);
		assert_noop!(
			Poq::reveal_scores(signed(SPARE[0]), id, vec![6_000, 6_000], salt(SPARE[0])),
			Error::<Test>::NotCommitteeMember
		);
		assert_noop!(
			Poq::reveal_scores(signed(v2), id, vec![6_000, 6_000], salt(v2)),
			Error::<Test>::NotCommitted
		);
		assert_noop!(
			Poq::reveal_scores(signed(v0), id, vec![6_000], salt(v0)),
			Error::<Test>::WrongScoreCount
		);
		assert_noop!(
			Poq::reveal_scores(signed(v0), id, vec![6_000, 6_000, 6_000], salt(v0)),
			Error::<Test>::WrongScoreCount
		);
		assert_noop!(
			Poq::reveal_scores(signed(v0), id, vec![6_000, 10_001], salt(v0)),
			Error::<Test>::ScoreOutOfRange
		);
		assert_noop!(
			Poq::reveal_scores(signed(v0), id, vec![6_000, 6_001], salt(v0)),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			Poq::reveal_scores(signed(v0), id, vec![6_000, 6_000], [0; 32]),
			Error::<Test>::CommitmentMismatch
		);
		reveal(v0, id, &[6_000, 6_000]);
		assert_noop!(
			Poq::reveal_scores(signed(v0), id, vec![6_000, 6_000], salt(v0)),
			Error::<Test>::AlreadyRevealed
		);
		// Once the window closes, nothing more is accepted.
		run_to_block(request(id).ends_at - 1);
		reveal(v1, id, &[6_000, 6_000]);
		assert!(Requests::<Test>::get(id).is_none());
		assert_noop!(
			Poq::reveal_scores(signed(v1), id, vec![6_000, 6_000], salt(v1)),
			Error::<Test>::UnknownRequest
		);
	});
}

#[test]
fn quality_model_needs_root() {
	ExtBuilder::default().execute(|| {
		assert_noop!(
			Poq::set_quality_model(signed(ALICE), [1; 32], u64::MAX),
			DispatchError::BadOrigin
		);
	});
}
