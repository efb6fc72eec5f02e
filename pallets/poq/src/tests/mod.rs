//! Mock-runtime tests of the pallet. Every test ends with `try_state`, and `run_to_block`
//! checks it after every block.

mod attacks;
mod errors;
mod findings;
mod lifecycle;
mod offchain;
mod queries;
mod random_calls;
mod registry;

use crate::{mock::*, pallet::*, types::*};
use frame_support::{
	assert_ok,
	traits::{fungible::InspectHold, Currency},
};

type Poq = crate::Pallet<Test>;

/// Submits a request from `who` and returns its id.
fn submit(who: AccountId, fee: Balance) -> RequestId {
	let id = NextRequestId::<Test>::get();
	assert_ok!(Poq::submit_request(RuntimeOrigin::signed(who), b"What is PoQ?".to_vec(), fee));
	id
}

/// Has every selected node of `id` answer, in the order `NODES`.
fn respond_all(id: RequestId) {
	for node in NODES {
		assert_ok!(Poq::submit_response(RuntimeOrigin::signed(node), id, answer(node)));
	}
}

fn answer(node: AccountId) -> Vec<u8> {
	format!("answer of node {node}").into_bytes()
}

/// A member's secret salt.
fn salt(who: AccountId) -> [u8; 32] {
	[who as u8; 32]
}

fn commit(who: AccountId, id: RequestId, scores: &[u16]) {
	let digest = crate::commitment(id, &who, scores, &salt(who));
	assert_ok!(Poq::commit_scores(RuntimeOrigin::signed(who), id, digest));
}

fn reveal(who: AccountId, id: RequestId, scores: &[u16]) {
	assert_ok!(Poq::reveal_scores(RuntimeOrigin::signed(who), id, scores.to_vec(), salt(who)));
}

fn request(id: RequestId) -> RequestOf<Test> {
	Requests::<Test>::get(id).expect("request is live")
}

fn outcome(id: RequestId) -> OutcomeOf<Test> {
	Outcomes::<Test>::get(id).expect("request has finished")
}

fn total(who: AccountId) -> Balance {
	Balances::total_balance(&who)
}

fn escrow(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::Escrow.into(), &who)
}

fn bond(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::Bond.into(), &who)
}

fn live_requests(who: AccountId) -> u32 {
	Participants::<Test>::get(who).map_or(0, |p| p.live_requests)
}
