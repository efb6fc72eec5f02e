//! Benchmarks of every call and of the hook paths, each in its worst case for the config
//! bounds: full pools, full committees, the last action of a phase (which ends it).

use super::*;
use crate::pallet::*;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin, Get, Hooks};
use frame_system::pallet_prelude::BlockNumberFor;
use frame_system::{offchain::AppCrypto, RawOrigin};
use sp_runtime::{
	traits::{Bounded, One, Zero},
	Saturating,
};

const SEED: u32 = 0;

/// What a runtime does for its benchmarks.
pub trait BenchmarkHelper {
	/// Makes the randomness source report a value first known in the current block, as a
	/// relay-state proof with new relay randomness does: the draws need one.
	fn refresh_randomness();
}

/// Moves to the block in which request `id`'s draw goes ahead, with fresh randomness.
fn draw_block<T: Config>(id: RequestId) -> BlockNumberFor<T> {
	let fresh_from = Requests::<T>::get(id).expect("drawing").ends_at;
	frame_system::Pallet::<T>::set_block_number(fresh_from);
	T::BenchmarkHelper::refresh_randomness();
	let at = fresh_from.saturating_add(One::one());
	frame_system::Pallet::<T>::set_block_number(at);
	at
}

/// Runs the draw of request `id`, which is waiting for one.
fn run_draw<T: Config>(id: RequestId) {
	let at = draw_block::<T>(id);
	Pallet::<T>::end_phase(id, at);
}

/// An account with enough funds for any bond or fee the benchmarks use.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, SEED);
	let plenty = T::MinBond::get()
		.saturating_add(T::MinFee::get())
		.saturating_add(T::Penalty::get())
		.saturating_mul(1_000u32.into());
	T::Currency::set_balance(&who, plenty);
	who
}

/// Registers accounts in `role`'s pool until `room` places are left.
fn fill_pool<T: Config>(role: Role, room: u32) {
	let name = match role {
		Role::InferenceNode => "node",
		Role::Validator => "validator",
	};
	let target = T::MaxPoolSize::get().saturating_sub(room) as usize;
	let mut index = 0;
	while Pools::<T>::get(role).len() < target {
		let who = funded::<T>(name, index);
		index += 1;
		if !Participants::<T>::contains_key(&who) {
			Pallet::<T>::do_register(&who, role, T::MinBond::get()).expect("funded and new");
		}
	}
}

/// A request submitted with both pools full, waiting for its nodes to be drawn.
fn submitted<T: Config>() -> RequestId {
	fill_pool::<T>(Role::InferenceNode, 0);
	fill_pool::<T>(Role::Validator, 0);
	let client = funded::<T>("client", 0);
	let id = NextRequestId::<T>::get();
	let prompt = vec![b'p'; T::MaxPromptLen::get() as usize];
	Pallet::<T>::do_submit_request(client, prompt, T::MinFee::get().saturating_mul(100u32.into()))
		.expect("the node pool is full and the client funded");
	id
}

/// The longest answer a node can give.
fn longest_answer<T: Config>() -> Vec<u8> {
	vec![b'o'; T::MaxOutputLen::get() as usize]
}

/// A request whose nodes are drawn and have all committed to the longest answer; the first
/// `revealed` of them have revealed it.
fn answers_revealing<T: Config>(revealed: u32) -> (RequestId, Vec<T::AccountId>) {
	let id = submitted::<T>();
	run_draw::<T>(id);
	let nodes: Vec<T::AccountId> =
		Requests::<T>::get(id).expect("nodes drawn").nodes.iter().map(|s| s.who.clone()).collect();
	for (index, node) in nodes.iter().enumerate() {
		let digest = answer_commitment(id, node, &longest_answer::<T>(), &salt(index));
		Pallet::<T>::do_work(node.clone(), Work::CommitResponse { id, commitment: digest })
			.expect("a drawn node");
	}
	for (index, node) in nodes.iter().enumerate().take(revealed as usize) {
		let output = longest_answer::<T>();
		Pallet::<T>::do_work(node.clone(), Work::RevealResponse { id, output, salt: salt(index) })
			.expect("committed");
	}
	(id, nodes)
}

/// A request in its commit phase, its committee drawn from a full pool. Every node committed
/// and all but the last revealed, so settlement also slashes a node (when there are two or
/// more).
fn committing<T: Config>() -> (RequestId, Vec<T::AccountId>) {
	let revealed = T::NodesPerRequest::get().saturating_sub(1).max(1);
	let (id, _) = answers_revealing::<T>(revealed);
	if Requests::<T>::get(id).expect("live").phase == Phase::RevealingResponses {
		let ends_at = close_window::<T>(id);
		Pallet::<T>::end_phase(id, ends_at);
	}
	run_draw::<T>(id);
	let request = Requests::<T>::get(id).expect("committing");
	(id, request.committee.iter().map(|member| member.who.clone()).collect())
}

/// Scores every member commits to: the same, so that a majority agrees whatever the
/// committee's size; settlement pays the members who reveal and penalises the one who does not.
fn scores_of<T: Config>(id: RequestId) -> Vec<u16> {
	let responses = Requests::<T>::get(id).expect("live").responders.len();
	vec![8_000; responses]
}

fn salt(index: usize) -> [u8; 32] {
	[index as u8; 32]
}

/// A request in its reveal phase in which every member committed and all but the last
/// `unrevealed` revealed.
fn revealing<T: Config>(unrevealed: usize) -> (RequestId, Vec<T::AccountId>) {
	let (id, committee) = committing::<T>();
	for (index, who) in committee.iter().enumerate() {
		let scores = scores_of::<T>(id);
		let digest = commitment(id, who, &scores, &salt(index));
		Pallet::<T>::do_work(who.clone(), Work::CommitScores { id, commitment: digest })
			.expect("a member");
	}
	for (index, who) in committee.iter().enumerate().take(committee.len() - unrevealed) {
		let scores = scores_of::<T>(id);
		Pallet::<T>::do_work(who.clone(), Work::RevealScores { id, scores, salt: salt(index) })
			.expect("committed");
	}
	(id, committee)
}

/// A request whose committee reached consensus with every member but the last revealing: its
/// outcome is provisional. `Weightless` on a runtime with no dispute window.
fn provisional<T: Config>() -> Result<(RequestId, Vec<T::AccountId>), BenchmarkError> {
	if T::DisputeWindow::get().is_zero() {
		return Err(BenchmarkError::Weightless);
	}
	let (id, committee) = revealing::<T>(1);
	let ends_at = close_window::<T>(id);
	Pallet::<T>::end_phase(id, ends_at);
	assert_eq!(Requests::<T>::get(id).expect("live").phase, Phase::Provisional);
	Ok((id, committee))
}

/// A provisional request whose client may ask the last of `DisputeLevels` juries: it disputed
/// it, and appealed each jury's finding below the last, every one of which upheld the committee
/// with every juror revealing.
fn appealable<T: Config>() -> Result<RequestId, BenchmarkError> {
	let (id, _) = provisional::<T>()?;
	for _ in 1..T::DisputeLevels::get() {
		let jury = jury_drawn::<T>(id);
		let width = Pallet::<T>::scores_per_response(id);
		let upheld = scores_of::<T>(id).repeat(width);
		for (index, juror) in jury.iter().enumerate() {
			let digest = commitment(id, juror, &upheld, &salt(index));
			Pallet::<T>::do_work(juror.clone(), Work::CommitScores { id, commitment: digest })
				.expect("a juror");
		}
		for (index, juror) in jury.iter().enumerate() {
			let (scores, salt) = (upheld.clone(), salt(index));
			Pallet::<T>::do_work(juror.clone(), Work::RevealScores { id, scores, salt })
				.expect("committed");
		}
		let ends_at = close_window::<T>(id);
		Pallet::<T>::end_phase(id, ends_at);
		assert_eq!(Requests::<T>::get(id).expect("appealable").phase, Phase::Provisional);
	}
	Ok(id)
}

/// The client of provisional request `id` disputes or appeals it and the jury is drawn, from a
/// full pool; returns the jurors.
fn jury_drawn<T: Config>(id: RequestId) -> Vec<T::AccountId> {
	let client = Requests::<T>::get(id).expect("live").client;
	Pallet::<T>::do_dispute(client, id, BalanceOf::<T>::max_value()).expect("funded");
	run_draw::<T>(id);
	let request = Requests::<T>::get(id).expect("the jury sits");
	request.committee.iter().map(|juror| juror.who.clone()).collect()
}

/// Moves to the first block after request `id`'s current window, and returns it.
fn close_window<T: Config>(id: RequestId) -> BlockNumberFor<T> {
	let ends_at = Requests::<T>::get(id).expect("live").ends_at;
	frame_system::Pallet::<T>::set_block_number(ends_at);
	ends_at
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_inference_node() {
		fill_pool::<T>(Role::InferenceNode, 1);
		let caller = funded::<T>("caller", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), T::MinBond::get());
		assert!(Participants::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn register_validator() {
		fill_pool::<T>(Role::Validator, 1);
		let caller = funded::<T>("caller", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), T::MinBond::get());
		assert!(Participants::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn unregister() {
		fill_pool::<T>(Role::Validator, 1);
		let caller = funded::<T>("caller", 0);
		Pallet::<T>::do_register(&caller, Role::Validator, T::MinBond::get()).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));
		assert!(!Pools::<T>::get(Role::Validator).iter().any(|(who, _)| *who == caller));
	}

	#[benchmark]
	fn withdraw_unbonded() {
		let caller = funded::<T>("caller", 0);
		Pallet::<T>::do_register(&caller, Role::Validator, T::MinBond::get()).unwrap();
		Pallet::<T>::do_unregister(&caller).unwrap();
		let unlock = Pallet::<T>::now().saturating_add(T::UnbondingPeriod::get());
		frame_system::Pallet::<T>::set_block_number(unlock);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));
		assert!(!Participants::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn bond_extra() {
		fill_pool::<T>(Role::Validator, 1);
		let caller = funded::<T>("caller", 0);
		Pallet::<T>::do_register(&caller, Role::Validator, T::MinBond::get()).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), T::MinBond::get());
		let doubled = T::MinBond::get().saturating_mul(2u32.into());
		assert_eq!(Participants::<T>::get(&caller).unwrap().bond, doubled);
	}

	#[benchmark]
	fn resume() {
		// The pool is full: the caller comes back in place of the smallest bond.
		fill_pool::<T>(Role::Validator, 1);
		let caller = funded::<T>("caller", 0);
		let bond = T::MinBond::get().saturating_mul(2u32.into());
		Pallet::<T>::do_register(&caller, Role::Validator, bond).unwrap();
		for _ in 0..T::MaxStrikes::get() {
			Pallet::<T>::record_attendance(&caller, false);
		}
		assert_eq!(Participants::<T>::get(&caller).unwrap().standing, Standing::Suspended);
		fill_pool::<T>(Role::Validator, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));
		assert_eq!(Participants::<T>::get(&caller).unwrap().standing, Standing::Active);
	}

	#[benchmark]
	fn submit_request(p: Linear<1, { T::MaxPromptLen::get() }>) {
		fill_pool::<T>(Role::InferenceNode, 0);
		let caller = funded::<T>("caller", 0);
		let id = NextRequestId::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), vec![b'p'; p as usize], T::MinFee::get());
		assert!(Requests::<T>::contains_key(id));
	}

	#[benchmark]
	fn commit_response() {
		let id = submitted::<T>();
		run_draw::<T>(id);
		let nodes: Vec<T::AccountId> =
			Requests::<T>::get(id).unwrap().nodes.iter().map(|s| s.who.clone()).collect();
		let last = nodes.len() - 1;
		for (index, node) in nodes.iter().enumerate().take(last) {
			let digest = answer_commitment(id, node, &longest_answer::<T>(), &salt(index));
			Pallet::<T>::do_work(node.clone(), Work::CommitResponse { id, commitment: digest })
				.unwrap();
		}
		let digest = answer_commitment(id, &nodes[last], &longest_answer::<T>(), &salt(last));
		#[extrinsic_call]
		_(RawOrigin::Signed(nodes[last].clone()), id, digest);
		// The last commitment opened the reveal phase.
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::RevealingResponses);
	}

	#[benchmark]
	fn reveal_response(o: Linear<0, { T::MaxOutputLen::get() }>) {
		// Every node but the last has revealed; the last committed to an answer of `o` bytes.
		let (id, nodes) = answers_revealing::<T>(T::NodesPerRequest::get() - 1);
		let last = nodes.len() - 1;
		let output = vec![b'a'; o as usize];
		Requests::<T>::mutate(id, |request| {
			let seat = &mut request.as_mut().unwrap().nodes[last];
			seat.commitment = Some(answer_commitment(id, &seat.who, &output, &salt(last)));
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(nodes[last].clone()), id, output, salt(last));
		// The last reveal closed the phase: the committee is drawn in a later block.
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::DrawingCommittee);
	}

	#[benchmark]
	fn commit_scores() {
		let (id, committee) = committing::<T>();
		let last = committee.len() - 1;
		for (index, who) in committee.iter().enumerate().take(last) {
			let digest = commitment(id, who, &scores_of::<T>(id), &salt(index));
			Pallet::<T>::do_work(who.clone(), Work::CommitScores { id, commitment: digest })
				.unwrap();
		}
		let digest = commitment(id, &committee[last], &scores_of::<T>(id), &salt(last));
		#[extrinsic_call]
		_(RawOrigin::Signed(committee[last].clone()), id, digest);
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::Revealing);
	}

	/// A reveal that leaves another to come, so does not settle: settling costs
	/// `end_reveal_window` more.
	#[benchmark]
	fn reveal_scores() {
		let (id, committee) = revealing::<T>(2);
		let member = committee.len() - 2;
		let scores = scores_of::<T>(id);
		#[extrinsic_call]
		_(RawOrigin::Signed(committee[member].clone()), id, scores, salt(member));
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::Revealing);
	}

	/// Replacing an operator: the new key's consent checked, the old one forgotten, the new one
	/// named.
	#[benchmark]
	fn set_operator() {
		use sp_runtime::{traits::IdentifyAccount, RuntimeAppPublic};
		let (_, committee) = committing::<T>();
		let who = committee[0].clone();
		let old: T::AccountId = account("operator", 0, 0);
		Pallet::<T>::name_operator(&who, Some(old.clone()));
		let key = crate::crypto::Public::generate_pair(None);
		let until = Pallet::<T>::now() + 10u32.into();
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let message = crate::operator_consent(&genesis, &who, &until);
		let signature = key.sign(&message).expect("the benchmark's keystore holds the key");
		let generic: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic =
			key.clone().into();
		let new = Into::<T::Public>::into(generic).into_account();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Some(OperatorConsent { key, until, signature }));
		assert_eq!(Principals::<T>::get(&new), Some(who));
		assert!(!Principals::<T>::contains_key(&old));
	}

	/// An operator key freeing itself from the account that named it.
	#[benchmark]
	fn release_operator() {
		let (_, committee) = committing::<T>();
		let who = committee[0].clone();
		let key: T::AccountId = account("operator", 0, 0);
		Pallet::<T>::name_operator(&who, Some(key.clone()));
		#[extrinsic_call]
		_(RawOrigin::Signed(key.clone()));
		assert!(!Principals::<T>::contains_key(&key));
		assert!(!Operators::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_appeal_judge() -> Result<(), BenchmarkError> {
		let origin =
			T::ModelOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Some([7; 32]));
		assert_eq!(AppealJudge::<T>::get(), Some([7; 32]));
		Ok(())
	}

	#[benchmark]
	fn set_quality_model() -> Result<(), BenchmarkError> {
		let origin =
			T::ModelOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		// The harness moves a chain at block 0 to block 1 before the call: be there already.
		frame_system::Pallet::<T>::set_block_number(Pallet::<T>::now().max(1u32.into()));
		let at = Pallet::<T>::now() + Pallet::<T>::max_request_lifetime();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, [7; 32], at);
		assert_eq!(ModelChange::<T>::get(), Some((at, [7; 32])));
		Ok(())
	}

	#[benchmark]
	fn apply_model_change() {
		let now = Pallet::<T>::now();
		ModelChange::<T>::put((now, [7; 32]));
		#[block]
		{
			assert!(Pallet::<T>::apply_model_change(now));
		}
		assert_eq!(QualityModel::<T>::get(), Some([7; 32]));
	}

	#[benchmark]
	fn on_initialize_base() {
		let now = Pallet::<T>::now();
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
	}

	#[benchmark]
	fn draw_nodes() {
		// From a full pool.
		let id = submitted::<T>();
		let at = draw_block::<T>(id);
		#[block]
		{
			Pallet::<T>::end_phase(id, at);
		}
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::AwaitingResponses);
	}

	#[benchmark]
	fn draw_committee() {
		// From a full pool, once every answer is in.
		let (id, _) = answers_revealing::<T>(T::NodesPerRequest::get());
		let at = draw_block::<T>(id);
		#[block]
		{
			Pallet::<T>::end_phase(id, at);
		}
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::Committing);
	}

	#[benchmark]
	fn end_reveal_window() {
		// The last member never reveals: the outcome is provisional, or, with no dispute
		// window, settlement pays, penalises and refunds.
		let (id, _) = revealing::<T>(1);
		let ends_at = close_window::<T>(id);
		#[block]
		{
			Pallet::<T>::end_phase(id, ends_at);
		}
		match T::DisputeWindow::get().is_zero() {
			true => assert_eq!(Outcomes::<T>::get(id).unwrap().phase, Phase::Finalized),
			false => assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::Provisional),
		}
	}

	/// Nobody disputed: settlement pays, penalises (the member who never revealed) and
	/// refunds.
	#[benchmark]
	fn end_dispute_window() -> Result<(), BenchmarkError> {
		let (id, _) = provisional::<T>()?;
		let ends_at = close_window::<T>(id);
		#[block]
		{
			Pallet::<T>::end_phase(id, ends_at);
		}
		assert_eq!(Outcomes::<T>::get(id).unwrap().phase, Phase::Finalized);
		Ok(())
	}

	/// The client appeals to the last jury (disputes, with one jury).
	#[benchmark]
	fn dispute() -> Result<(), BenchmarkError> {
		let id = appealable::<T>()?;
		let client = Requests::<T>::get(id).unwrap().client;
		let limit = BalanceOf::<T>::max_value();
		#[extrinsic_call]
		_(RawOrigin::Signed(client), id, limit);
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::DrawingJury);
		Ok(())
	}

	#[benchmark]
	fn draw_jury() -> Result<(), BenchmarkError> {
		// The last and largest jury, from a full pool, the committee and every earlier jury
		// passed over.
		let id = appealable::<T>()?;
		let client = Requests::<T>::get(id).unwrap().client;
		Pallet::<T>::do_dispute(client, id, BalanceOf::<T>::max_value()).expect("funded");
		let at = draw_block::<T>(id);
		#[block]
		{
			Pallet::<T>::end_phase(id, at);
		}
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::Committing);
		Ok(())
	}

	/// The last jury contradicts the committee and every earlier jury: every answer they paid
	/// is junk and every member and earlier juror a liar, so the review slashes them all, pays
	/// the last jurors from the penalties and gives the client its deposits back; the last
	/// juror never reveals. An appeal judge is pinned: each reveal carries the grades too.
	#[benchmark]
	fn settle_dispute() -> Result<(), BenchmarkError> {
		AppealJudge::<T>::put([7; 32]);
		let id = appealable::<T>()?;
		let jury = jury_drawn::<T>(id);
		let zeros = vec![0; 2 * Requests::<T>::get(id).unwrap().responders.len()];
		for (index, juror) in jury.iter().enumerate() {
			let digest = commitment(id, juror, &zeros, &salt(index));
			Pallet::<T>::do_work(juror.clone(), Work::CommitScores { id, commitment: digest })
				.expect("a juror");
		}
		for (index, juror) in jury.iter().enumerate().take(jury.len() - 1) {
			let scores = zeros.clone();
			Pallet::<T>::do_work(
				juror.clone(),
				Work::RevealScores { id, scores, salt: salt(index) },
			)
			.expect("committed");
		}
		let ends_at = close_window::<T>(id);
		#[block]
		{
			Pallet::<T>::end_phase(id, ends_at);
		}
		let disputed = Outcomes::<T>::get(id).unwrap().dispute.unwrap();
		assert_eq!(disputed.finding, settlement::Finding::Overturned);
		Ok(())
	}

	/// A committee fails with all but one member never revealing: they are penalised and
	/// passed over, and the request goes back to draw another.
	#[benchmark]
	fn redraw_committee() -> Result<(), BenchmarkError> {
		if T::MaxRedraws::get() == 0 {
			return Err(BenchmarkError::Weightless);
		}
		let (id, committee) = revealing::<T>(T::CommitteeSize::get() as usize - 1);
		let ends_at = close_window::<T>(id);
		#[block]
		{
			Pallet::<T>::end_phase(id, ends_at);
		}
		assert_eq!(Requests::<T>::get(id).unwrap().phase, Phase::DrawingCommittee);
		assert_eq!(Redraws::<T>::get(id).unwrap().excluded.len(), committee.len() - 1);
		Ok(())
	}

	#[benchmark]
	fn prune_outcome() {
		let (id, _) = revealing::<T>(1);
		let mut ends_at = close_window::<T>(id);
		Pallet::<T>::end_phase(id, ends_at);
		if Requests::<T>::contains_key(id) {
			// Provisional until its dispute window closes.
			ends_at = close_window::<T>(id);
			Pallet::<T>::end_phase(id, ends_at);
		}
		let due = ends_at.saturating_add(T::RetainFinished::get()).saturating_add(One::one());
		#[block]
		{
			Pallet::<T>::prune_outcomes(due, 1);
		}
		assert!(!Outcomes::<T>::contains_key(id));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build_with_keystore(),
		crate::mock::Test
	);
}
