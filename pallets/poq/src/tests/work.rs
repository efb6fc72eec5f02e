//! Work in batches, free when valid and refused before a block when not, and signed by operator
//! keys.

use super::*;
use crate::work::WORK_PRIORITY;
use frame_support::{assert_noop, dispatch::CheckIfFeeless};

const FEE: Balance = 1_000;

/// Two requests whose committees are drawn (commit phase).
fn two_committing() -> (RequestId, RequestId) {
	let first = submit_only(ALICE, FEE);
	let second = submit_only(ALICE, FEE);
	advance(DRAW_DELAY);
	respond_all(first);
	respond_all(second);
	assert_eq!(request(first).phase, Phase::Committing);
	assert_eq!(request(second).phase, Phase::Committing);
	(first, second)
}

#[test]
fn one_transaction_carries_a_members_work_on_every_request() {
	ExtBuilder::default().execute(|| {
		let (first, second) = two_committing();
		let scores = [6_000, 6_000];
		for member in VALIDATORS {
			let work = vec![commit_of(member, first, &scores), commit_of(member, second, &scores)];
			assert_ok!(Poq::submit_work(signed(member), work));
		}
		assert_eq!(request(first).phase, Phase::Revealing);
		assert_eq!(request(second).phase, Phase::Revealing);
		for member in VALIDATORS {
			let work = vec![reveal_of(member, first, &scores), reveal_of(member, second, &scores)];
			assert_ok!(Poq::submit_work(signed(member), work));
		}
		assert_eq!(outcome(first).phase, Phase::Finalized);
		assert_eq!(outcome(second).phase, Phase::Finalized);
	});
}

#[test]
fn a_late_or_repeated_piece_refuses_the_whole_transaction() {
	ExtBuilder::default().execute(|| {
		let (first, second) = two_committing();
		let member = VALIDATORS[0];
		commit(member, first, &[6_000, 6_000]);
		// The commit on `first` landed already: nothing of the transaction applies, not even
		// `second`'s, which the member sends again on its own.
		let work =
			vec![commit_of(member, first, &[6_000, 6_000]), commit_of(member, second, &[1, 1])];
		assert_noop!(
			Poq::submit_work(signed(member), work.clone()),
			Error::<Test>::AlreadyCommitted
		);
		assert_eq!(
			validate(member, work_call(work)),
			Err(refused(Error::<Test>::AlreadyCommitted))
		);
		assert_ok!(Poq::submit_work(signed(member), vec![commit_of(member, second, &[1, 1])]));
		assert_eq!(
			request(second).committee.iter().find(|m| m.who == member).unwrap().commitment,
			Some(crate::commitment(second, &member, &[1, 1], &salt(member)))
		);
		assert_noop!(Poq::submit_work(signed(member), vec![]), Error::<Test>::NoWork);
	});
}

#[test]
fn a_piece_refused_for_good_refuses_the_whole_transaction() {
	ExtBuilder::default().execute(|| {
		let (first, second) = two_committing();
		let scores = [6_000, 6_000];
		for member in VALIDATORS {
			commit(member, first, &scores);
			commit(member, second, &scores);
		}
		// A reveal that does not match its commitment poisons the honest one before it.
		let member = VALIDATORS[0];
		let work = vec![reveal_of(member, first, &scores), reveal_of(member, second, &[1, 1])];
		assert_noop!(
			Poq::submit_work(signed(member), work.clone()),
			Error::<Test>::CommitmentMismatch
		);
		assert_eq!(
			validate(member, work_call(work)),
			Err(refused(Error::<Test>::CommitmentMismatch))
		);
	});
}

#[test]
fn the_pool_takes_valid_work_first_and_for_its_window_only() {
	ExtBuilder::default().execute(|| {
		let (first, _) = two_committing();
		let member = VALIDATORS[0];
		let call = work_call(vec![commit_of(member, first, &[1, 1])]);
		let ends_at = request(first).ends_at;
		let now = System::block_number();
		assert_eq!(validate(member, call.clone()), Ok((WORK_PRIORITY, ends_at - now)));
		assert!(call.is_feeless(&signed(member)));
		// Any other call passes through untouched and pays.
		let transfer = RuntimeCall::Poq(crate::Call::bond_extra { amount: 1 });
		assert_eq!(validate(member, transfer.clone()), Ok((0, u64::MAX)));
		assert!(!transfer.is_feeless(&signed(member)));
		// Invalid work is refused with the pallet's error, and would not be free.
		let stranger = work_call(vec![commit_of(SPARE[0], first, &[1, 1])]);
		assert_eq!(
			validate(SPARE[0], stranger.clone()),
			Err(refused(Error::<Test>::NotCommitteeMember))
		);
		assert!(!stranger.is_feeless(&signed(SPARE[0])));
		// Once the window is over (nobody committed, so the request ended), the work is stale.
		run_to_block(ends_at);
		assert_eq!(validate(member, call), Err(refused(Error::<Test>::UnknownRequest)));
	});
}

#[test]
fn single_work_calls_are_validated_and_free_the_same_way() {
	ExtBuilder::default().execute(|| {
		let (first, _) = two_committing();
		let member = VALIDATORS[0];
		let digest = crate::commitment(first, &member, &[1, 1], &salt(member));
		let call = RuntimeCall::Poq(crate::Call::commit_scores { id: first, commitment: digest });
		assert_eq!(validate(member, call.clone()).map(|(priority, _)| priority), Ok(WORK_PRIORITY));
		assert!(call.is_feeless(&signed(member)));
		let bad = RuntimeCall::Poq(crate::Call::reveal_scores {
			id: first,
			scores: vec![1, 1],
			salt: salt(member),
		});
		assert_eq!(validate(member, bad.clone()), Err(refused(Error::<Test>::WrongPhase)));
		assert!(!bad.is_feeless(&signed(member)));
	});
}

#[test]
fn a_reveal_that_does_not_settle_is_charged_less_block_weight() {
	ExtBuilder::default().execute(|| {
		let (first, _) = two_committing();
		for member in VALIDATORS {
			commit(member, first, &[6_000, 6_000]);
		}
		let call = work_call(vec![reveal_of(VALIDATORS[0], first, &[6_000, 6_000])]);
		let declared = call.get_dispatch_info().call_weight;
		let RuntimeCall::Poq(crate::Call::submit_work { work }) = call else { unreachable!() };
		let post = Poq::submit_work(signed(VALIDATORS[0]), work).expect("valid reveal");
		let actual = post.actual_weight.expect("reported");
		assert!(actual.all_lt(declared), "{actual:?} < {declared:?}");
		assert_eq!(actual, <() as crate::WeightInfo>::reveal_scores());
	});
}

#[test]
fn a_reveal_that_opens_the_dispute_window_is_not_charged_the_settlement() {
	use crate::WeightInfo;
	use frame_support::{traits::Get, weights::RuntimeDbWeight};
	ExtBuilder::default().execute(|| {
		DisputeWindow::set(&3);
		let (first, _) = two_committing();
		for member in VALIDATORS {
			commit(member, first, &[6_000, 6_000]);
		}
		for member in &VALIDATORS[..2] {
			reveal(*member, first, &[6_000, 6_000]);
		}
		let last = VALIDATORS[2];
		let call = work_call(vec![reveal_of(last, first, &[6_000, 6_000])]);
		let declared = call.get_dispatch_info().call_weight;
		let RuntimeCall::Poq(crate::Call::submit_work { work }) = call else { unreachable!() };
		let post = Poq::submit_work(signed(last), work).expect("the last reveal");
		assert_eq!(request(first).phase, Phase::Provisional);
		// Charged what it did: the reveal, the window opened and the phase read back; the hook
		// is charged the settlement when the window closes.
		let actual = post.actual_weight.expect("reported");
		let opened = <() as WeightInfo>::reveal_scores()
			+ <() as WeightInfo>::end_reveal_window()
			+ <<Test as frame_system::Config>::DbWeight as Get<RuntimeDbWeight>>::get().reads(1);
		assert_eq!(actual, opened);
		assert!(actual.all_lt(declared), "{actual:?} < {declared:?}");
	});
}

#[test]
fn an_operator_signs_for_its_account_and_can_be_rotated_mid_request() {
	ExtBuilder::default().execute(|| {
		let member = VALIDATORS[0];
		let ((old_key, old), (new_key, new)) = (operator_key("//Old"), operator_key("//New"));
		assert_ok!(Poq::set_operator(signed(member), Some(consent(&old_key, member, 10))));
		System::assert_last_event(Event::OperatorSet { who: member, operator: Some(old) }.into());
		assert_eq!(Principals::<Test>::get(old), Some(member));
		// The operator holds no funds, yet its account exists to sign with.
		assert_eq!(total(old), 0);
		assert_eq!(System::providers(&old), 1);

		let (first, _) = two_committing();
		// Committed by the old operator, for the member.
		assert_ok!(Poq::submit_work(signed(old), vec![commit_of(member, first, &[6_000, 6_000])]));
		for other in &VALIDATORS[1..] {
			commit(*other, first, &[6_000, 6_000]);
		}
		assert_ok!(Poq::set_operator(signed(member), Some(consent(&new_key, member, 10))));
		assert_eq!(System::providers(&old), 0);
		assert_eq!(Principals::<Test>::get(old), None);
		// The old key no longer acts for anyone; the new one reveals what the old one committed.
		assert_noop!(
			Poq::submit_work(signed(old), vec![reveal_of(member, first, &[6_000, 6_000])]),
			Error::<Test>::NotCommitteeMember
		);
		assert_ok!(Poq::submit_work(signed(new), vec![reveal_of(member, first, &[6_000, 6_000])]));
		for other in &VALIDATORS[1..] {
			reveal(*other, first, &[6_000, 6_000]);
		}
		let paid = outcome(first).committee.iter().find(|m| m.validator == member).unwrap().paid;
		assert!(paid > 0, "the member, not its operator, is paid");
		assert_eq!(total(new), 0);
		// The operator cannot touch the bond.
		assert_noop!(Poq::unregister(signed(new)), Error::<Test>::NotRegistered);
	});
}

#[test]
fn operator_errors() {
	ExtBuilder::default().execute(|| {
		let (pair, key) = operator_key("//Operator");
		let [first, second, _] = VALIDATORS;
		assert_noop!(
			Poq::set_operator(signed(SPARE[0]), Some(consent(&pair, SPARE[0], 10))),
			Error::<Test>::NotRegistered
		);
		assert_ok!(Poq::set_operator(signed(first), Some(consent(&pair, first, 10))));
		assert_noop!(
			Poq::set_operator(signed(second), Some(consent(&pair, second, 10))),
			Error::<Test>::IsOperator
		);
		Balances::make_free_balance_be(&key, 10 * MIN_BOND);
		assert_noop!(Poq::register_validator(signed(key), MIN_BOND), Error::<Test>::IsOperator);
		// Naming none makes the account sign its own work again.
		assert_ok!(Poq::set_operator(signed(first), None));
		assert_eq!(Operators::<Test>::get(first), None);
		assert_eq!(Principals::<Test>::get(key), None);
		// A registered key cannot be an operator.
		assert_ok!(Poq::register_validator(signed(key), MIN_BOND));
		assert_noop!(
			Poq::set_operator(signed(first), Some(consent(&pair, first, 10))),
			Error::<Test>::OperatorIsParticipant
		);
	});
}

#[test]
fn withdrawing_forgets_the_operator() {
	ExtBuilder::default().execute(|| {
		let (pair, key) = operator_key("//Operator");
		assert_ok!(Poq::set_operator(
			signed(VALIDATORS[0]),
			Some(consent(&pair, VALIDATORS[0], 10))
		));
		assert_ok!(Poq::unregister(signed(VALIDATORS[0])));
		advance(UNBONDING);
		assert_ok!(Poq::withdraw_unbonded(signed(VALIDATORS[0])));
		assert_eq!(Principals::<Test>::get(key), None);
		assert_eq!(System::providers(&key), 0);
	});
}

#[test]
fn the_hook_charges_each_deadline_for_what_it_did() {
	use crate::WeightInfo;
	use frame_support::traits::Hooks;
	ExtBuilder::default().execute(|| {
		submit_only(ALICE, FEE);
		let draw_at = System::block_number() + DRAW_DELAY;
		run_to_block(draw_at - 1);
		System::set_block_number(draw_at);
		let charged = Poq::on_initialize(draw_at);
		assert_eq!(
			charged,
			<() as WeightInfo>::on_initialize_base() + <() as WeightInfo>::draw_nodes()
		);
		assert!(
			charged.ref_time() < <() as WeightInfo>::end_dispute_window().ref_time(),
			"a draw is not charged as a settlement"
		);
	});
}
