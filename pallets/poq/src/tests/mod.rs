//! Mock-runtime tests of the pallet. Every test ends with `try_state`, and `run_to_block`
//! checks it after every block.

mod attacks;
mod disputes;
mod errors;
mod findings;
mod findings_v3;
mod lifecycle;
mod migration;
mod offchain;
mod queries;
mod random_calls;
mod registry;
mod work;

use crate::{mock::*, pallet::*, types::*, CheckWork};
use frame_support::{
	assert_ok,
	dispatch::GetDispatchInfo,
	pallet_prelude::{InvalidTransaction, TransactionSource},
	traits::{fungible::InspectHold, Currency},
};
use sp_runtime::{
	traits::DispatchTransaction, transaction_validity::TransactionValidityError, DispatchError,
	ModuleError,
};

type Poq = crate::Pallet<Test>;

/// Blocks from a phase's close to the block its draw happens in: the draw waits for randomness
/// first known after the close, which `on_initialize` sees one block later.
const DRAW_DELAY: u64 = 2;

/// Submits a request from `who` and returns its id; its nodes are not drawn yet.
fn submit_only(who: AccountId, fee: Balance) -> RequestId {
	let id = NextRequestId::<Test>::get();
	assert_ok!(Poq::submit_request(RuntimeOrigin::signed(who), b"What is PoQ?".to_vec(), fee));
	id
}

/// Submits a request from `who` and runs to the block its nodes are drawn in; returns its id.
fn submit(who: AccountId, fee: Balance) -> RequestId {
	let id = submit_only(who, fee);
	advance(DRAW_DELAY);
	id
}

/// Has every drawn node of `id` commit to its answer and then reveal it, in the order `NODES`,
/// and runs to the block the committee is drawn in.
fn respond_all(id: RequestId) {
	for node in NODES {
		commit_answer(node, id);
	}
	for node in NODES {
		reveal_answer(node, id);
	}
	advance(DRAW_DELAY);
}

/// Node `node` commits to [`answer`] with its [`salt`].
fn commit_answer(node: AccountId, id: RequestId) {
	let digest = crate::answer_commitment(id, &node, &answer(node), &salt(node));
	assert_ok!(Poq::commit_response(RuntimeOrigin::signed(node), id, digest));
}

/// Node `node` reveals [`answer`] with its [`salt`].
fn reveal_answer(node: AccountId, id: RequestId) {
	assert_ok!(Poq::reveal_response(RuntimeOrigin::signed(node), id, answer(node), salt(node)));
}

fn answer(node: AccountId) -> Vec<u8> {
	format!("answer of node {node}").into_bytes()
}

/// A member's or node's secret salt.
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

/// The nodes drawn for live request `id`, in draw order.
fn drawn(id: RequestId) -> Vec<AccountId> {
	request(id).nodes.iter().map(|seat| seat.who).collect()
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

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// `who`'s commitment to `scores` on request `id`, with its [`salt`], as a piece of work.
fn commit_of(who: AccountId, id: RequestId, scores: &[u16]) -> Work {
	Work::CommitScores { id, commitment: crate::commitment(id, &who, scores, &salt(who)) }
}

/// `who`'s reveal of `scores` on request `id`, with its [`salt`], as a piece of work.
fn reveal_of(who: AccountId, id: RequestId, scores: &[u16]) -> Work {
	Work::RevealScores { id, scores: scores.to_vec(), salt: salt(who) }
}

fn work_call(work: Vec<Work>) -> RuntimeCall {
	RuntimeCall::Poq(crate::Call::submit_work { work })
}

/// How the pool takes `call` signed by `who`: its priority and longevity.
fn validate(who: AccountId, call: RuntimeCall) -> Result<(u64, u64), TransactionValidityError> {
	let info = call.get_dispatch_info();
	CheckWork::<Test>::new()
		.validate_only(signed(who), &call, &info, 0, TransactionSource::External, 0)
		.map(|(valid, _, _)| (valid.priority, valid.longevity))
}

/// The pool's rejection of work refused with `error`.
fn refused(error: Error<Test>) -> TransactionValidityError {
	let DispatchError::Module(ModuleError { error, .. }) = error.into() else { unreachable!() };
	InvalidTransaction::Custom(error[0]).into()
}
