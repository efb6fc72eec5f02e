//! Bonds: registering, unregistering and withdrawing.

use super::*;
use frame_support::assert_noop;

#[test]
fn registering_holds_the_bond() {
	ExtBuilder::default().execute(|| {
		let [a, b, ..] = SPARE;
		assert_ok!(Poq::register_validator(signed(a), MIN_BOND));
		assert_ok!(Poq::register_inference_node(signed(b), 2 * MIN_BOND));
		assert_eq!(bond(a), MIN_BOND);
		assert_eq!(total(a), FUNDS);
		assert_eq!(Balances::free_balance(a), FUNDS - MIN_BOND);
		assert!(Pools::<Test>::get(Role::Validator).contains(&(a, MIN_BOND)));
		assert!(Pools::<Test>::get(Role::InferenceNode).contains(&(b, 2 * MIN_BOND)));
		assert!(poq_events().contains(&Event::Registered {
			who: b,
			role: Role::InferenceNode,
			bond: 2 * MIN_BOND
		}));
	});
}

#[test]
fn registration_errors() {
	ExtBuilder::default().execute(|| {
		assert_noop!(
			Poq::register_validator(signed(SPARE[0]), MIN_BOND - 1),
			Error::<Test>::BondTooLow
		);
		assert_noop!(
			Poq::register_validator(signed(VALIDATORS[0]), MIN_BOND),
			Error::<Test>::AlreadyRegistered
		);
		assert_noop!(
			Poq::register_validator(signed(NODES[0]), MIN_BOND),
			Error::<Test>::AlreadyRegistered
		);
		assert_noop!(
			Poq::register_inference_node(signed(PAUPER), MIN_BOND),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(Poq::unregister(signed(SPARE[0])), Error::<Test>::NotRegistered);
		assert_noop!(Poq::withdraw_unbonded(signed(SPARE[0])), Error::<Test>::NotRegistered);
		assert_noop!(Poq::withdraw_unbonded(signed(NODES[0])), Error::<Test>::NotUnbonding);
	});
}

#[test]
fn pools_are_bounded() {
	let full: Vec<_> = (100..100 + MAX_POOL as u64).map(|v| (v, BOND)).collect();
	ExtBuilder::default().validators(full).execute(|| {
		assert_noop!(Poq::register_validator(signed(SPARE[0]), MIN_BOND), Error::<Test>::PoolFull);
		// The other role's pool is separate.
		assert_ok!(Poq::register_inference_node(signed(SPARE[0]), MIN_BOND));
	});
}

#[test]
fn unbonding_returns_the_bond_after_the_period() {
	ExtBuilder::default().execute(|| {
		let v = VALIDATORS[0];
		assert_ok!(Poq::unregister(signed(v)));
		assert!(!Pools::<Test>::get(Role::Validator).iter().any(|(a, _)| *a == v));
		assert_noop!(Poq::unregister(signed(v)), Error::<Test>::AlreadyUnbonding);
		assert_noop!(Poq::withdraw_unbonded(signed(v)), Error::<Test>::StillUnbonding);
		run_to_block(1 + UNBONDING - 1);
		assert_noop!(Poq::withdraw_unbonded(signed(v)), Error::<Test>::StillUnbonding);
		run_to_block(1 + UNBONDING);
		assert_ok!(Poq::withdraw_unbonded(signed(v)));
		assert_eq!(bond(v), 0);
		assert_eq!(Balances::free_balance(v), FUNDS);
		assert!(Participants::<Test>::get(v).is_none());
		assert!(poq_events().contains(&Event::Withdrawn { who: v, amount: BOND }));
		// Gone for good, and free to register again.
		assert_ok!(Poq::register_inference_node(signed(v), MIN_BOND));
	});
}

#[test]
fn unbonding_accounts_are_never_drawn() {
	ExtBuilder::default().execute(|| {
		assert_ok!(Poq::unregister(signed(NODES[0])));
		assert_ok!(Poq::unregister(signed(VALIDATORS[0])));
		let id = submit(ALICE, 1_000);
		assert_eq!(drawn(id), vec![NODES[1]]);
		commit_answer(NODES[1], id);
		reveal_answer(NODES[1], id);
		advance(DRAW_DELAY);
		assert!(!request(id).committee.iter().any(|m| m.who == VALIDATORS[0]));
		assert_eq!(request(id).committee.len(), 2);
	});
}
