//! Random sequences of calls and blocks through the mock runtime, with `try_state` after every
//! block and money conserved throughout.

use super::*;
use frame_support::traits::Currency as _;
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Action {
	Submit { client: usize, prompt: usize, fee: Balance },
	Respond { target: Target, len: usize },
	RevealAnswer { target: Target, tamper: bool },
	Commit { target: Target, scores: Vec<u16> },
	Reveal { target: Target, tamper: bool },
	Register { account: usize, validator: bool, bond: Balance },
	Unregister { account: usize },
	BondExtra { account: usize, amount: Balance },
	Resume { account: usize },
	Withdraw { account: usize },
	SetOperator { account: usize, operator: Option<usize> },
	Dispute { target: Target, limit: Balance },
	PinAppealJudge { pinned: bool },
	Advance { blocks: u64 },
}

/// Who acts on which request: mostly a live request and an account seated on it (so that the
/// protocol advances), sometimes any account on any id (so that errors are exercised too).
#[derive(Clone, Debug)]
struct Target {
	request: prop::sample::Index,
	seat: prop::sample::Index,
	stray: bool,
}

fn target() -> impl Strategy<Value = Target> {
	(any::<prop::sample::Index>(), any::<prop::sample::Index>(), prop::bool::weighted(0.1))
		.prop_map(|(request, seat, stray)| Target { request, seat, stray })
}

/// Resolves a target to `(request id, account)`; `seats` lists the accounts seated on a request.
fn resolve(
	target: &Target,
	seats: impl Fn(&RequestOf<Test>) -> Vec<AccountId>,
) -> (u64, AccountId) {
	let mut live: Vec<_> = Requests::<Test>::iter().collect();
	live.sort_by_key(|(id, _)| *id);
	if target.stray || live.is_empty() {
		let id = target.request.index(NextRequestId::<Test>::get() as usize + 2) as u64;
		return (id, *target.seat.get(&ACTORS));
	}
	let (id, request) = target.request.get(&live);
	let seated = seats(request);
	match seated.is_empty() {
		true => (*id, *target.seat.get(&ACTORS)),
		false => (*id, *target.seat.get(&seated)),
	}
}

fn nodes(request: &RequestOf<Test>) -> Vec<AccountId> {
	request.nodes.iter().map(|seat| seat.who).collect()
}

/// The client, the nodes and the committee (or sitting jury): who may dispute or appeal.
fn parties(request: &RequestOf<Test>) -> Vec<AccountId> {
	core::iter::once(request.client).chain(nodes(request)).chain(committee(request)).collect()
}

fn committee(request: &RequestOf<Test>) -> Vec<AccountId> {
	request.committee.iter().map(|member| member.who).collect()
}

/// Everyone who may act: clients, nodes, validators and spare accounts.
const ACTORS: [AccountId; 11] = [1, 2, 10, 11, 20, 21, 22, 30, 31, 32, 33];

/// Keys that hold nothing, which registered accounts may name their operators.
const OPERATORS: [&str; 2] = ["//Operator1", "//Operator2"];

/// Who signs `who`'s work: its operator when it named one.
fn signer(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(Operators::<Test>::get(who).unwrap_or(who))
}

fn action() -> impl Strategy<Value = Action> {
	let actor = 0..ACTORS.len();
	prop_oneof![
		2 => (0..ACTORS.len(), 0..(MAX_PROMPT as usize + 8), 0..2_000u64)
			.prop_map(|(client, prompt, fee)| Action::Submit { client, prompt, fee }),
		3 => (target(), 0..(MAX_OUTPUT as usize + 8))
			.prop_map(|(target, len)| Action::Respond { target, len }),
		3 => (target(), prop::bool::weighted(0.1))
			.prop_map(|(target, tamper)| Action::RevealAnswer { target, tamper }),
		3 => (target(), proptest::collection::vec(0u16..=10_000, 1..3))
			.prop_map(|(target, scores)| Action::Commit { target, scores }),
		3 => (target(), prop::bool::weighted(0.1))
			.prop_map(|(target, tamper)| Action::Reveal { target, tamper }),
		1 => (actor.clone(), any::<bool>(), 50..1_500u64)
			.prop_map(|(account, validator, bond)| Action::Register { account, validator, bond }),
		1 => actor.clone().prop_map(|account| Action::Unregister { account }),
		1 => (actor.clone(), 0..600u64).prop_map(|(account, amount)| Action::BondExtra { account, amount }),
		1 => actor.clone().prop_map(|account| Action::Resume { account }),
		1 => actor.clone().prop_map(|account| Action::Withdraw { account }),
		1 => (actor, proptest::option::of(0..OPERATORS.len()))
			.prop_map(|(account, operator)| Action::SetOperator { account, operator }),
		2 => (target(), 0..3_000u64).prop_map(|(target, limit)| Action::Dispute { target, limit }),
		1 => any::<bool>().prop_map(|pinned| Action::PinAppealJudge { pinned }),
		2 => (1..8u64).prop_map(|blocks| Action::Advance { blocks }),
	]
}

fn everyone_total() -> Balance {
	ACTORS.iter().chain(&[PAUPER]).map(Balances::total_balance).sum()
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

	#[test]
	fn random_calls_keep_every_invariant(
		actions in proptest::collection::vec(action(), 1..60),
		dispute_window in 0..4u64,
		dispute_levels in 1..4u32,
	) {
		ExtBuilder::default().build().execute_with(|| {
			DisputeWindow::set(&dispute_window);
			DisputeLevels::set(&dispute_levels);
			let issuance = Balances::total_issuance();
			let start = everyone_total();
			// What each member and node committed to, so that honest reveals match.
			let mut committed: BTreeMap<(u64, AccountId), Vec<u16>> = BTreeMap::new();
			let mut answered: BTreeMap<(u64, AccountId), Vec<u8>> = BTreeMap::new();
			for action in actions {
				let result: Result<(), sp_runtime::DispatchError> = match action {
					Action::Submit { client, prompt, fee } => Poq::submit_request(
						RuntimeOrigin::signed(ACTORS[client]),
						vec![b'p'; prompt],
						fee,
					),
					Action::Respond { target, len } => {
						let (request, node) = resolve(&target, nodes);
						let output = vec![b'o'; len];
						let digest = crate::answer_commitment(request, &node, &output, &salt(node));
						let result = Poq::commit_response(signer(node), request, digest)
							.map(|_| ())
							.map_err(|e| e.error);
						if result.is_ok() {
							answered.insert((request, node), output);
						}
						result
					},
					Action::RevealAnswer { target, tamper } => {
						let (request, node) = resolve(&target, nodes);
						let mut output = answered.get(&(request, node)).cloned().unwrap_or_default();
						if tamper {
							output.push(b'!');
						}
						Poq::reveal_response(signer(node), request, output, salt(node))
							.map(|_| ())
							.map_err(|e| e.error)
					},
					Action::Commit { target, mut scores } => {
						let (request, who) = resolve(&target, committee);
						// One score per response (two for a jury that grades), when the request
						// has responses.
						if let Some(live) = Requests::<Test>::get(request) {
							let width = Poq::scores_per_response(request);
							scores.resize(live.responders.len() * width, scores[0]);
						}
						let digest = crate::commitment(request, &who, &scores, &salt(who));
						let result = Poq::commit_scores(signer(who), request, digest)
							.map(|_| ())
							.map_err(|e| e.error);
						if result.is_ok() {
							committed.insert((request, who), scores);
						}
						result
					},
					Action::Reveal { target, tamper } => {
						let (request, who) = resolve(&target, committee);
						let mut scores =
							committed.get(&(request, who)).cloned().unwrap_or_default();
						if tamper {
							scores.push(1);
						}
						Poq::reveal_scores(signer(who), request, scores, salt(who))
							.map(|_| ())
							.map_err(|e| e.error)
					},
					Action::Register { account, validator, bond } => {
						let origin = RuntimeOrigin::signed(ACTORS[account]);
						match validator {
							true => Poq::register_validator(origin, bond),
							false => Poq::register_inference_node(origin, bond),
						}
					},
					Action::Unregister { account } =>
						Poq::unregister(RuntimeOrigin::signed(ACTORS[account])),
					Action::BondExtra { account, amount } =>
						Poq::bond_extra(RuntimeOrigin::signed(ACTORS[account]), amount),
					Action::Resume { account } =>
						Poq::resume(RuntimeOrigin::signed(ACTORS[account])),
					Action::Withdraw { account } =>
						Poq::withdraw_unbonded(RuntimeOrigin::signed(ACTORS[account])),
					Action::SetOperator { account, operator } => Poq::set_operator(
						RuntimeOrigin::signed(ACTORS[account]),
						operator.map(|index| {
							consent(&operator_key(OPERATORS[index]).0, ACTORS[account], 1_000)
						}),
					),
					Action::Dispute { target, limit } => {
						let (request, who) = resolve(&target, parties);
						Poq::dispute(RuntimeOrigin::signed(who), request, limit)
					},
					Action::PinAppealJudge { pinned } =>
						Poq::set_appeal_judge(RuntimeOrigin::root(), pinned.then_some([7; 32])),
					Action::Advance { blocks } => {
						advance(blocks);
						Ok(())
					},
				};
				// Failed calls are part of the exercise; the invariants must hold regardless.
				let _ = result;
				Poq::do_try_state(System::block_number()).expect("invariants hold after a call");
				// Money only leaves through slashing, which burns it in the mock.
				let burned = issuance - Balances::total_issuance();
				assert_eq!(everyone_total() + burned, start, "funds are conserved");
			}
			// Run every live request to its end: everything escrowed comes back or is paid.
			advance(Poq::max_request_lifetime());
			assert_eq!(Requests::<Test>::count(), 0);
			assert!(ACTORS.iter().all(|who| escrow(*who) == 0));
			let deposits = |who: &AccountId| {
				Balances::balance_on_hold(&HoldReason::Dispute.into(), who)
			};
			assert!(ACTORS.iter().all(|who| deposits(who) == 0));
		});
	}
}
