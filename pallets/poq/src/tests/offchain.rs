//! The off-chain worker in the mock runtime: real `poq!` sr25519 keys in a memory keystore, the
//! offchain test externalities, and a fake model behind the host function's extension.

use super::*;
use crate::{
	offchain::{
		appeal_judge_key, grade_of, grading_request, kept_key, legacy_kept_key, AppealJudgeConfig,
		Kept, LegacyKept, FORGET_AFTER, POQ_KEY_TYPE, RESEND_AFTER,
	},
	Work,
};
use codec::{Decode, Encode};
use frame_support::{dispatch::GetDispatchInfo, traits::Hooks};
use parking_lot::RwLock;
use poq_model_interface::{Scorer, ScorerExt};
use sp_core::offchain::{
	testing::{OffchainState, PoolState, TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use sp_runtime::{generic::Preamble, traits::Dispatchable};
use std::sync::Arc;

/// A model with digest `.0` that scores a response by its length: `.1` per byte, capped.
struct ByLength([u8; 32], u16);

impl Scorer for ByLength {
	fn digest(&self) -> [u8; 32] {
		self.0
	}
	fn score(&self, _prompt: &[u8], responses: &[Vec<u8>]) -> Option<Vec<u16>> {
		Some(responses.iter().map(|r| (r.len() as u16 * self.1).min(10_000)).collect())
	}
	fn score_requests(&self, requests: &[(Vec<u8>, Vec<Vec<u8>>)]) -> Option<Vec<Vec<u16>>> {
		MODEL_CALLS.with(|calls| calls.set(calls.get() + 1));
		requests.iter().map(|(prompt, responses)| self.score(prompt, responses)).collect()
	}
}

std::thread_local! {
	/// Calls of the model on this test's thread.
	static MODEL_CALLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The pieces of work in `sent` calls, with their signers, in order.
fn pieces(sent: &[(AccountId, Call<Test>)]) -> Vec<(AccountId, Work)> {
	sent.iter()
		.flat_map(|(signer, call)| {
			let Call::submit_work { work } = call else { panic!("the worker sends submit_work") };
			work.iter().map(|piece| (*signer, piece.clone()))
		})
		.collect()
}

/// A validator node's environment: its keystore, transaction pool and offchain database.
struct Node {
	ext: sp_io::TestExternalities,
	pool: Arc<RwLock<PoolState>>,
	offchain: Arc<RwLock<OffchainState>>,
	validators: Vec<AccountId>,
}

/// The node's one model, with digest `digest`, scoring 300 per byte.
fn model(digest: [u8; 32]) -> Vec<Arc<dyn Scorer>> {
	vec![Arc::new(ByLength(digest, 300))]
}

/// A chain whose validators are the node's `poq!` keys //Alice, //Bob and //Charlie, with the
/// node's models registered for the off-chain worker.
fn node(models: Vec<Arc<dyn Scorer>>) -> Node {
	let keystore = MemoryKeystore::new();
	let validators: Vec<AccountId> = ["//Alice", "//Bob", "//Charlie"]
		.into_iter()
		.map(|seed| {
			let public = keystore.sr25519_generate_new(POQ_KEY_TYPE, Some(seed)).unwrap();
			sp_runtime::traits::IdentifyAccount::into_account(TestSigner(public))
		})
		.collect();
	let ext =
		ExtBuilder::default().validators(validators.iter().map(|v| (*v, BOND)).collect()).build();
	with_offchain(ext, keystore, models, validators)
}

/// Registers the worker's extensions on a chain.
fn with_offchain(
	mut ext: sp_io::TestExternalities,
	keystore: MemoryKeystore,
	models: Vec<Arc<dyn Scorer>>,
	validators: Vec<AccountId>,
) -> Node {
	let (offchain_ext, offchain) = TestOffchainExt::new();
	let (pool_ext, pool) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain_ext.clone()));
	ext.register_extension(OffchainDbExt::new(offchain_ext));
	ext.register_extension(TransactionPoolExt::new(pool_ext));
	ext.register_extension(KeystoreExt::new(keystore));
	if !models.is_empty() {
		ext.register_extension(ScorerExt::new(models));
	}
	Node { ext, pool, offchain, validators }
}

/// Runs the off-chain worker on the current block. Its state changes are discarded, as a node
/// discards them; only local storage and the pool keep what it did.
fn run_worker() {
	sp_io::storage::start_transaction();
	Poq::offchain_worker(System::block_number());
	sp_io::storage::rollback_transaction();
}

/// The calls waiting in the pool with their signers, removing them.
fn take_pool(pool: &RwLock<PoolState>) -> Vec<(AccountId, Call<Test>)> {
	std::mem::take(&mut pool.write().transactions)
		.into_iter()
		.map(|tx| {
			let tx = Extrinsic::decode(&mut &tx[..]).expect("the worker sends extrinsics");
			let Preamble::Signed(signer, (), ()) = tx.preamble else { panic!("unsigned") };
			let RuntimeCall::Poq(call) = tx.function else { panic!("not a PoQ call") };
			(signer, call)
		})
		.collect()
}

/// Includes the pooled transactions in the next block, as an author would.
fn include(pool: &RwLock<PoolState>) -> Vec<(AccountId, Call<Test>)> {
	let sent = take_pool(pool);
	advance(1);
	for (signer, call) in &sent {
		assert!(call.get_dispatch_info().call_weight.ref_time() > 0);
		System::inc_account_nonce(signer);
		assert_ok!(RuntimeCall::Poq(call.clone()).dispatch(RuntimeOrigin::signed(*signer)));
	}
	sent
}

/// A request whose responses are in, so the node's validators sit on its committee.
fn request_in_commit_phase() -> RequestId {
	let id = submit(ALICE, 1_000);
	respond_all(id);
	assert_eq!(request(id).phase, Phase::Committing);
	id
}

/// What `who` keeps for request `id`: one entry per scoring input it scored.
fn kept_all(who: AccountId, id: RequestId) -> Vec<Kept> {
	sp_runtime::offchain::storage::StorageValueRef::persistent(&kept_key(&who, id))
		.get::<Vec<Kept>>()
		.unwrap()
		.unwrap_or_default()
}

/// The one entry `who` keeps for request `id`, if any.
fn kept(who: AccountId, id: RequestId) -> Option<Kept> {
	let mut all = kept_all(who, id);
	assert!(all.len() <= 1, "one scoring input, one entry");
	all.pop()
}

#[test]
fn commits_then_reveals_the_models_scores() {
	let Node { mut ext, pool, validators, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let id = request_in_commit_phase();
		run_worker();
		let commits = include(&pool);
		let mut signers: Vec<_> = commits.iter().map(|(who, _)| *who).collect();
		signers.sort();
		let mut expected = validators.clone();
		expected.sort();
		assert_eq!(signers, expected, "each local key commits once");
		assert!(pieces(&commits).iter().all(|(_, work)| matches!(work, Work::CommitScores { .. })));
		assert_eq!(request(id).phase, Phase::Revealing);

		run_worker();
		let reveals = include(&pool);
		assert_eq!(reveals.len(), 3);
		// "answer of node 10" and "answer of node 11" are 17 bytes each: 5 100 apiece.
		assert!(pieces(&reveals).iter().all(
			|(_, work)| matches!(work, Work::RevealScores { scores, .. } if scores == &[5_100, 5_100])
		));
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Finalized);
		assert!(result.responses.iter().all(|r| r.score == Some(5_100) && r.paid > 0));
		assert!(result.committee.iter().all(|v| v.paid > 0 && v.slashed == 0));

		// The request is over: what was kept goes once no reorg is expected to undo that.
		run_worker();
		assert!(take_pool(&pool).is_empty());
		assert!(validators.iter().all(|v| kept(*v, id).is_some()));
		advance(FORGET_AFTER as u64);
		run_worker();
		assert!(validators.iter().all(|v| kept(*v, id).is_none()));
	});
}

#[test]
fn keeps_scores_and_salt_before_sending() {
	let Node { mut ext, pool, validators, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let id = request_in_commit_phase();
		run_worker();
		for (who, work) in pieces(&take_pool(&pool)) {
			let Work::CommitScores { commitment, .. } = work else { panic!("a commit") };
			let Kept { scores, salt, .. } = kept(who, id).expect("kept before sending");
			assert_eq!(commitment, crate::commitment(id, &who, &scores, &salt));
		}
		let salts: Vec<_> = validators.iter().map(|v| kept(*v, id).unwrap().salt).collect();
		assert!(salts[0] != salts[1] && salts[1] != salts[2], "each account draws its own salt");
	});
}

#[test]
fn restart_reveals_with_the_kept_salt() {
	let Node { mut ext, pool, offchain, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let id = request_in_commit_phase();
		run_worker();
		include(&pool);
		// A restarted node has only its persistent local storage; its randomness differs.
		offchain.write().seed = [0xee; 32];
		run_worker();
		include(&pool);
		assert_eq!(outcome(id).phase, Phase::Finalized, "every reveal matched its commitment");
		assert!(outcome(id).committee.iter().all(|v| v.slashed == 0));
	});
}

#[test]
fn sends_nothing_twice_while_a_round_is_on_its_way() {
	let Node { mut ext, pool, offchain, .. } = node(model(MODEL));
	ext.execute_with(|| {
		request_in_commit_phase();
		run_worker();
		run_worker();
		assert_eq!(pool.read().transactions.len(), 3, "a second run in the same block waits");
		advance(1);
		run_worker();
		assert_eq!(pool.read().transactions.len(), 3, "the next block waits for the round");

		// The round was dropped: after `RESEND_AFTER` blocks the same commits go again.
		let first = take_pool(&pool);
		offchain.write().seed = [0xee; 32];
		advance(RESEND_AFTER as u64 - 1);
		run_worker();
		let again = take_pool(&pool);
		assert_eq!(again.len(), 3);
		for sent in &again {
			assert!(first.contains(sent), "a resent commit is the same commit");
		}
	});
}

#[test]
fn skips_actions_that_would_land_after_the_window() {
	let Node { mut ext, pool, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let id = request_in_commit_phase();
		// The last block of the commit window: a commit sent now lands in the next block, when
		// the window has closed.
		run_to_block(request(id).ends_at - 1);
		run_worker();
		assert!(take_pool(&pool).is_empty());
	});
}

#[test]
fn no_model_means_no_commit() {
	for digest in [None, Some([8; 32])] {
		let Node { mut ext, pool, validators, .. } = node(digest.map(model).unwrap_or_default());
		ext.execute_with(|| {
			let id = request_in_commit_phase();
			run_worker();
			assert!(take_pool(&pool).is_empty(), "model {digest:?} commits nothing");
			assert!(validators.iter().all(|v| kept(*v, id).is_none()));
		});
	}
}

#[test]
fn keys_of_accounts_off_the_committee_do_nothing() {
	// The default chain's validators are accounts 20..=22, whose keys this node does not hold.
	let keystore = MemoryKeystore::new();
	keystore.sr25519_generate_new(POQ_KEY_TYPE, Some("//Dave")).unwrap();
	let Node { mut ext, pool, .. } =
		with_offchain(ExtBuilder::default().build(), keystore, model(MODEL), vec![]);
	ext.execute_with(|| {
		request_in_commit_phase();
		run_worker();
		assert!(take_pool(&pool).is_empty());
	});
}

/// A fork on which the request got other responses than those the worker scored.
fn other_responses(id: RequestId) {
	for node in request(id).responders {
		let other: frame_support::BoundedVec<u8, _> =
			format!("another answer of node {node}, longer").into_bytes().try_into().unwrap();
		Outputs::<Test>::insert(id, node, other);
	}
}

#[test]
fn a_fork_with_other_responses_is_scored_afresh() {
	let Node { mut ext, pool, validators, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let id = request_in_commit_phase();
		run_worker();
		// The commits never land: this best block is reorganised away, and on the new best
		// chain the nodes answered otherwise.
		take_pool(&pool);
		other_responses(id);
		advance(RESEND_AFTER as u64);
		run_worker();
		let commits = include(&pool);
		assert_eq!(commits.len(), 3);
		for who in &validators {
			let entries = kept_all(*who, id);
			assert_eq!(entries.len(), 2, "one entry per scoring input");
			assert_ne!(entries[0].salt, entries[1].salt, "a fresh salt for the new input");
			// The responses here are 33 bytes long: 9 900 apiece, not the 5 100 of the first.
			assert_eq!(entries[1].scores, vec![9_900, 9_900]);
		}
		run_worker();
		include(&pool);
		let result = outcome(id);
		assert!(result.responses.iter().all(|r| r.score == Some(9_900)));
		assert!(result.committee.iter().all(|v| v.slashed == 0));
	});
}

#[test]
fn after_a_reorg_the_reveal_matches_the_commitment_on_this_chain() {
	let Node { mut ext, pool, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let id = request_in_commit_phase();
		run_worker();
		include(&pool);
		assert_eq!(request(id).phase, Phase::Revealing);
		// A fork on which the commits have not landed and the responses differ: the worker
		// scores and commits there too, and that fork is then abandoned.
		sp_io::storage::start_transaction();
		let mut request_b = request(id);
		request_b.phase = Phase::Committing;
		request_b.committee.iter_mut().for_each(|member| member.commitment = None);
		Requests::<Test>::insert(id, request_b);
		other_responses(id);
		run_worker();
		assert_eq!(take_pool(&pool).len(), 3);
		sp_io::storage::rollback_transaction();
		// Back on the chain where the first commits landed, each reveal opens the commitment
		// made on it.
		advance(RESEND_AFTER as u64);
		run_worker();
		include(&pool);
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Finalized);
		assert!(result.committee.iter().all(|v| v.slashed == 0));
	});
}

#[test]
fn kept_scores_survive_a_best_block_without_the_request() {
	let Node { mut ext, pool, validators, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let id = request_in_commit_phase();
		run_worker();
		include(&pool);
		// A best block of a fork where the request was never made: nothing is forgotten.
		sp_io::storage::start_transaction();
		Requests::<Test>::remove(id);
		NextRequestId::<Test>::put(id);
		run_worker();
		sp_io::storage::rollback_transaction();
		assert!(validators.iter().all(|v| kept(*v, id).is_some()));
		advance(RESEND_AFTER as u64);
		run_worker();
		include(&pool);
		assert_eq!(outcome(id).phase, Phase::Finalized, "every member could still reveal");
	});
}

#[test]
fn a_node_upgraded_between_commit_and_reveal_reveals_from_the_old_entry() {
	use sp_runtime::offchain::storage::StorageValueRef;
	let Node { mut ext, pool, validators, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let id = request_in_commit_phase();
		run_worker();
		include(&pool);
		// The commits were made by a worker that kept one `(scores, salt)` under the old key.
		for who in &validators {
			let Kept { scores, salt, .. } = kept(*who, id).unwrap();
			StorageValueRef::persistent(&legacy_kept_key(who, id))
				.set(&LegacyKept { scores, salt });
			StorageValueRef::persistent(&kept_key(who, id)).clear();
		}
		run_worker();
		include(&pool);
		assert_eq!(outcome(id).phase, Phase::Finalized);
		assert!(outcome(id).committee.iter().all(|v| v.slashed == 0));
		// The old entries go with the request.
		advance(FORGET_AFTER as u64);
		run_worker();
		let legacy =
			|who| StorageValueRef::persistent(&legacy_kept_key(who, id)).get::<LegacyKept>();
		assert!(validators.iter().all(|who| legacy(who).unwrap().is_none()));
	});
}

#[test]
fn one_round_reveals_first_then_commits_and_scores_in_one_model_call() {
	let Node { mut ext, pool, validators, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let first = submit_only(ALICE, 1_000);
		let second = submit_only(ALICE, 1_000);
		let third = submit_only(ALICE, 1_000);
		advance(DRAW_DELAY);
		respond_all(first);
		run_worker();
		include(&pool);
		assert_eq!(request(first).phase, Phase::Revealing);
		for id in [second, third] {
			for node in NODES {
				commit_answer(node, id);
			}
			for node in NODES {
				reveal_answer(node, id);
			}
		}
		advance(DRAW_DELAY);
		assert_eq!(request(second).phase, Phase::Committing);
		assert_eq!(request(first).phase, Phase::Revealing);

		MODEL_CALLS.with(|calls| calls.set(0));
		run_worker();
		assert_eq!(MODEL_CALLS.with(|calls| calls.get()), 1, "both new requests in one call");
		let sent = include(&pool);
		assert_eq!(sent.len(), validators.len(), "one transaction per key");
		for (_, call) in &sent {
			let ids: Vec<_> = pieces(&[(0, call.clone())])
				.into_iter()
				.map(|(_, work)| match work {
					Work::RevealScores { id, .. } => ("reveal", id),
					Work::CommitScores { id, .. } => ("commit", id),
					other => panic!("{other:?}"),
				})
				.collect();
			assert_eq!(ids, [("reveal", first), ("commit", second), ("commit", third)]);
		}
		assert_eq!(outcome(first).phase, Phase::Finalized);
		assert_eq!(request(second).phase, Phase::Revealing);
	});
}

#[test]
fn an_operator_key_does_its_accounts_work() {
	let keystore = MemoryKeystore::new();
	let account_of = |public| sp_runtime::traits::IdentifyAccount::into_account(TestSigner(public));
	// //Alice's key stays cold, off the node; the node holds //Dave's, her operator's.
	let alice = account_of(
		MemoryKeystore::new().sr25519_generate_new(POQ_KEY_TYPE, Some("//Alice")).unwrap(),
	);
	let mut validators = vec![alice];
	for seed in ["//Bob", "//Charlie"] {
		validators
			.push(account_of(keystore.sr25519_generate_new(POQ_KEY_TYPE, Some(seed)).unwrap()));
	}
	let dave = account_of(keystore.sr25519_generate_new(POQ_KEY_TYPE, Some("//Dave")).unwrap());
	let ext =
		ExtBuilder::default().validators(validators.iter().map(|v| (*v, BOND)).collect()).build();
	let Node { mut ext, pool, .. } = with_offchain(ext, keystore, model(MODEL), validators);
	ext.execute_with(|| {
		let (dave_key, _) = operator_key("//Dave");
		assert_ok!(Poq::set_operator(RuntimeOrigin::signed(alice), Some(consent(&dave_key, alice, 10))));
		let id = request_in_commit_phase();
		run_worker();
		let commits = pieces(&include(&pool));
		let (signer, _) = commits
			.iter()
			.find(|(_, work)| matches!(work, Work::CommitScores { commitment, .. }
				if kept(alice, id).is_some_and(|k| *commitment == crate::commitment(id, &alice, &k.scores, &k.salt))))
			.expect("Alice's commitment, kept under her account");
		assert_eq!(*signer, dave);
		run_worker();
		include(&pool);
		let result = outcome(id);
		assert!(result.committee.iter().all(|v| v.paid > 0), "{result:?}");
		assert_eq!(total(dave), 0, "the operator holds nothing");
	});
}

#[test]
fn each_request_is_scored_with_the_model_its_committee_was_drawn_under() {
	const NEW: [u8; 32] = [9; 32];
	let old: Arc<dyn Scorer> = Arc::new(ByLength(MODEL, 300));
	let new: Arc<dyn Scorer> = Arc::new(ByLength(NEW, 100));
	let Node { mut ext, pool, validators, .. } = node(vec![old, new]);
	ext.execute_with(|| {
		let at = System::block_number() + Poq::max_request_lifetime();
		assert_ok!(Poq::set_quality_model(RuntimeOrigin::root(), NEW, at));
		// One committee drawn the block before the change, one in its block.
		run_to_block(at - 1 - 2 * DRAW_DELAY);
		let before = submit_only(ALICE, 1_000);
		advance(1);
		let after = submit_only(ALICE, 1_000);
		let answer_all = |id| {
			for node in NODES {
				commit_answer(node, id);
			}
			for node in NODES {
				reveal_answer(node, id);
			}
		};
		advance(DRAW_DELAY - 1);
		answer_all(before);
		advance(1);
		answer_all(after);
		advance(DRAW_DELAY);
		assert_eq!(System::block_number(), at);
		assert_eq!(
			(request(before).phase, request(after).phase),
			(Phase::Committing, Phase::Committing)
		);
		assert_eq!((request(before).model, request(after).model), (Some(MODEL), Some(NEW)));

		MODEL_CALLS.with(|calls| calls.set(0));
		run_worker();
		assert_eq!(MODEL_CALLS.with(|calls| calls.get()), 2, "one call per model");
		include(&pool);
		let lengths: Vec<u16> = NODES.iter().map(|node| answer(*node).len() as u16).collect();
		for v in &validators {
			let by = |per_byte: u16| -> Vec<u16> {
				lengths.iter().map(|l| (l * per_byte).min(10_000)).collect()
			};
			assert_eq!(kept(*v, before).unwrap().scores, by(300));
			assert_eq!(kept(*v, after).unwrap().scores, by(100));
		}
	});
}

/// A request the node's committee keys scored, disputed, with its jury drawn from three more
/// validators whose keys the same node holds; returns the request and the jurors.
fn jury_drawn(pool: &RwLock<PoolState>) -> (RequestId, Vec<AccountId>) {
	let jurors: Vec<AccountId> = ["//Dave", "//Eve", "//Ferdie"]
		.into_iter()
		.map(|seed| {
			let seed = Some(seed.as_bytes().to_vec());
			let public = sp_io::crypto::sr25519_generate(POQ_KEY_TYPE, seed);
			sp_runtime::traits::IdentifyAccount::into_account(TestSigner(public))
		})
		.collect();
	DisputeWindow::set(&3);
	let id = request_in_commit_phase();
	run_worker();
	include(pool);
	run_worker();
	include(pool);
	assert_eq!(request(id).phase, Phase::Provisional);
	for juror in &jurors {
		let _ = Balances::deposit_creating(juror, FUNDS);
		assert_ok!(Poq::register_validator(signed(*juror), BOND));
	}
	assert_ok!(Poq::dispute(signed(ALICE), id, 1_000));
	advance(DRAW_DELAY);
	let mut seated: Vec<_> = request(id).committee.iter().map(|m| m.who).collect();
	seated.sort();
	let mut expected = jurors.clone();
	expected.sort();
	assert_eq!(seated, expected, "the jury is the validators off the committee");
	(id, jurors)
}

#[test]
fn serves_jury_seats_with_the_committees_model() {
	let Node { mut ext, pool, validators, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let (id, jurors) = jury_drawn(&pool);
		run_worker();
		let commits = include(&pool);
		assert_eq!(commits.len(), 3, "each juror commits once; the committee's keys do nothing");
		assert_eq!(request(id).phase, Phase::Revealing);
		run_worker();
		let reveals = include(&pool);
		// The hook settles a jury's request in the next block.
		advance(1);
		assert!(pieces(&reveals).iter().all(|(who, work)| jurors.contains(who)
			&& matches!(work, Work::RevealScores { scores, .. } if scores == &[5_100, 5_100])));
		// The jury reran the committee's model and agreed: upheld, the deposit pays it.
		let result = outcome(id);
		let dispute = result.dispute.expect("disputed");
		assert_eq!(dispute.finding, crate::settlement::Finding::Upheld);
		assert!(dispute.jury.iter().all(|j| j.paid > 0 && j.slashed == 0));
		assert!(result.committee.iter().all(|m| validators.contains(&m.validator) && m.paid > 0));
	});
}

/// The appeal judge the tests pin, and what the node serves it as.
const JUDGE: [u8; 32] = [9; 32];

fn judge_config() -> AppealJudgeConfig {
	AppealJudgeConfig {
		model: b"judge-llm".to_vec(),
		instructions: b"Grade the answer from 0 to 10.".to_vec(),
		endpoint: b"http://judge.test/v1/".to_vec(),
	}
}

/// What an OpenAI-compatible endpoint replies with `reply` as its message.
fn completion(reply: &str) -> Vec<u8> {
	serde_json::to_vec(&serde_json::json!({
		"id": "chatcmpl-1",
		"object": "chat.completion",
		"choices": [{ "index": 0, "message": { "role": "assistant", "content": reply }, "finish_reason": "stop" }],
	}))
	.unwrap()
}

/// Expects the worker to ask the judge of [`judge_config`] to grade `answer` to `prompt`, and
/// replies `reply`.
fn expect_grading(offchain: &RwLock<OffchainState>, prompt: &[u8], answer: &[u8], reply: &str) {
	offchain.write().expect_request(sp_core::offchain::testing::PendingRequest {
		method: "POST".into(),
		uri: "http://judge.test/v1/chat/completions".into(),
		headers: vec![("Content-Type".into(), "application/json".into())],
		body: grading_request(&judge_config(), prompt, answer),
		response: Some(completion(reply)),
		sent: true,
		..Default::default()
	});
}

/// [`jury_drawn`] with the appeal judge [`JUDGE`] pinned before the dispute and served by the
/// node; returns the request, its jurors, its prompt and its answers in order.
fn graded_jury_drawn(
	pool: &RwLock<PoolState>,
) -> (RequestId, Vec<AccountId>, Vec<u8>, Vec<Vec<u8>>) {
	assert_ok!(Poq::set_appeal_judge(RuntimeOrigin::root(), Some(JUDGE)));
	sp_io::offchain::local_storage_set(
		sp_core::offchain::StorageKind::PERSISTENT,
		&appeal_judge_key(&JUDGE),
		&judge_config().encode(),
	);
	let (id, jurors) = jury_drawn(pool);
	let prompt = Prompts::<Test>::get(id).unwrap().to_vec();
	let answers = request(id)
		.responders
		.iter()
		.map(|node| Outputs::<Test>::get(id, node).unwrap().to_vec())
		.collect();
	(id, jurors, prompt, answers)
}

#[test]
fn a_jury_with_an_appeal_judge_grades_each_answer_over_http_and_commits_to_both() {
	let Node { mut ext, pool, offchain, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let (id, jurors, prompt, answers) = graded_jury_drawn(&pool);
		// One request per answer, graded 9 and "1/10"; the three jurors' keys share them.
		for (answer, reply) in answers.iter().zip(["9", "Grade: 1/10"]) {
			expect_grading(&offchain, &prompt, answer, reply);
		}
		run_worker();
		let commits = include(&pool);
		assert_eq!(commits.len(), 3, "each juror commits to its scores and the grades");
		run_worker();
		let reveals = include(&pool);
		advance(1);
		let expected = [5_100, 5_100, 9_000, 1_000];
		assert!(pieces(&reveals).iter().all(|(who, work)| jurors.contains(who)
			&& matches!(work, Work::RevealScores { scores, .. } if scores == &expected)));
		assert!(poq_events().contains(&Event::DisputeResolved {
			id,
			finding: crate::settlement::Finding::Overturned,
			scores: vec![5_100, 5_100],
			grades: vec![9_000, 1_000],
		}));
	});
}

#[test]
fn a_node_that_does_not_serve_the_appeal_judge_sits_out_its_jury() {
	let Node { mut ext, pool, .. } = node(model(MODEL));
	ext.execute_with(|| {
		assert_ok!(Poq::set_appeal_judge(RuntimeOrigin::root(), Some(JUDGE)));
		let (id, _) = jury_drawn(&pool);
		run_worker();
		assert!(take_pool(&pool).is_empty(), "no grades, no commitment");
		assert_eq!(request(id).phase, Phase::Committing);
	});
}

#[test]
fn a_jury_seat_is_left_when_the_appeal_judge_gives_no_grade() {
	let Node { mut ext, pool, offchain, .. } = node(model(MODEL));
	ext.execute_with(|| {
		let (id, _, prompt, answers) = graded_jury_drawn(&pool);
		// The first answer is graded, the second gets a reply with no grade in it.
		for (answer, reply) in answers.iter().zip(["8", "I cannot grade this."]) {
			expect_grading(&offchain, &prompt, answer, reply);
		}
		run_worker();
		assert!(take_pool(&pool).is_empty(), "a grade missing, no commitment");
		assert_eq!(request(id).phase, Phase::Committing);
	});
}

#[test]
fn a_grade_is_the_first_whole_number_up_to_ten_in_the_reply() {
	for (reply, grade) in [
		("7", Some(7_000)),
		("Grade: 10/10", Some(10_000)),
		(" 0 - it does not answer", Some(0)),
		("11", None),
		("I cannot grade this.", None),
		("", None),
	] {
		assert_eq!(grade_of(&completion(reply)), grade, "{reply:?}");
	}
	assert_eq!(grade_of(b"not json"), None);
	assert_eq!(grade_of(br#"{"choices":[]}"#), None);
	assert_eq!(grade_of(br#"{"error":{"message":"model not found"}}"#), None);
}

#[test]
fn the_grading_request_carries_the_judges_model_instructions_question_and_answer() {
	let body: serde_json::Value = serde_json::from_slice(&grading_request(
		&judge_config(),
		b"Capital of \"France\"?",
		b"Paris",
	))
	.unwrap();
	assert_eq!(body["model"], "judge-llm");
	assert_eq!(body["temperature"], 0);
	assert_eq!(body["messages"][0]["role"], "system");
	assert_eq!(body["messages"][0]["content"], "Grade the answer from 0 to 10.");
	assert_eq!(
		body["messages"][1]["content"],
		"Question:\nCapital of \"France\"?\n\nAnswer:\nParis"
	);
}

#[test]
fn a_judge_card_names_its_model_and_instructions_and_a_bad_one_says_why() {
	let card = br#"{"model": "judge-llm", "instructions": "Grade the answer from 0 to 10."}"#;
	let config = AppealJudgeConfig::from_card(card, "http://judge.test/v1/").unwrap();
	assert_eq!(config, judge_config());
	let refused =
		|card: &[u8], endpoint: &str| AppealJudgeConfig::from_card(card, endpoint).unwrap_err();
	assert!(refused(card, "judge.test:8080").contains("not an http(s) URL"));
	assert!(refused(br#"{"instructions": "i"}"#, "http://x").contains("no string \"model\""));
	assert!(
		refused(br#"{"model": "m", "instructions": " "}"#, "http://x").contains("\"instructions\"")
	);
	assert!(refused(b"model: m", "http://x").contains("not a JSON judge card"));
	// The repository's card is one.
	let ours = include_bytes!("../../../../models/appeal-judge/card.json");
	assert!(AppealJudgeConfig::from_card(ours, "http://127.0.0.1:8080/v1").is_ok());
}
