//! The off-chain worker: each `poq!` key in the node's keystore whose account, or the bonded
//! account that named it operator, sits on a committee scores the responses, commits and reveals
//! by itself.
//!
//! Per imported best block, under a lock (workers of consecutive blocks may run at once), every
//! local key gets at most one *round*: its reveals, then its commitments, in one `submit_work`
//! (more when they exceed `MaxWorkItems`), free of fees. All the responses the round commits on
//! that have no kept scores are scored in one call per quality model, each request with the
//! model its committee was drawn under (`Request::model`: a node holds the old and the new model
//! while the chain switches).
//! - a pending commit takes the `(scores, salt)` kept for that request, account **and scoring
//!   input** (a hash of the model, the prompt and the responses in order), or scores the
//!   responses through the node's model ([`poq_model_interface`]), draws a fresh salt and keeps all three in
//!   persistent local storage **before** sending, so a resent commit and a reveal after a restart
//!   use the same salt, and a fork with other responses is scored afresh instead of getting
//!   scores of responses it does not have;
//! - a pending reveal sends the kept entry whose commitment is the one on this chain (checked
//!   before sending, so a fork where another of its commitments landed still reveals the right
//!   one, and nothing is sent that would fail).
//!
//! A juror of a dispute with an appeal judge ([`Dispute::appeal_judge`]) also grades every
//! answer with it: the node serves the judge it was given (`--poq-appeal-judge`, kept in local
//! storage under [`appeal_judge_key`] as an [`AppealJudgeConfig`]), and the worker asks the
//! judge's OpenAI-compatible endpoint through the off-chain HTTP API for one grade from 0 to 10
//! per answer ([`grading_request`], [`grade_of`]), then commits to its scores followed by those
//! grades times 1 000. A node that does not serve the judge, or whose endpoint does not answer
//! in [`APPEAL_TIMEOUT_MS`], scores nothing for that jury and says so in its log.
//!
//! A round's transactions carry consecutive nonces from one chain state. The next round waits
//! until the key's nonce shows the round landed, or [`RESEND_AFTER`] blocks have passed (a
//! dropped transaction, a fork), so two rounds never reuse a nonce and nothing is sent twice
//! while it is on its way. [`RESEND_AFTER`] is short against the runtime's windows (5 blocks),
//! so a lost round is sent again with blocks to spare, and the pool drops a round that can no
//! longer land (its longevity ends with its earliest window). What to do is always read from the chain (the pending work whose
//! window is still open in the block the transaction lands in), so a landed action is never
//! repeated. Kept entries are forgotten once their request has been over for [`FORGET_AFTER`]
//! blocks of the best chain: not when it is merely missing from a best block, which may be a
//! fork that reorganises away.

use crate::{
	commitment,
	pallet::*,
	queries::Task,
	types::{RequestId, Work},
};
use alloc::{
	collections::{BTreeMap, BTreeSet},
	vec::Vec,
};
use codec::{Decode, Encode};
use frame_support::traits::Get;
use frame_system::{
	offchain::{Account, SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use sp_runtime::{
	offchain::{
		storage::StorageValueRef,
		storage_lock::{BlockAndTime, StorageLock},
		Duration,
	},
	traits::Saturating,
	KeyTypeId,
};

/// Key type of the accounts a validator node commits and reveals with.
pub const POQ_KEY_TYPE: KeyTypeId = KeyTypeId(*b"poq!");

/// Blocks a round of transactions has to land before the worker sends again.
pub const RESEND_AFTER: u32 = 2;

/// Blocks after a request's end before its kept scores are forgotten: deeper than any reorg the
/// worker expects (a parachain block is final once the relay chain finalizes it, a few blocks).
pub const FORGET_AFTER: u32 = 64;

const LOG_TARGET: &str = "runtime::poq::ocw";
/// Local storage key of the lock a worker holds while it runs (`StorageLock`, which expires
/// only once both its blocks and its time have passed). A node that died holding it would leave
/// its next workers idle for up to a minute, missing windows: the node removes it at start, when
/// no worker of its can be running.
pub const WORKER_LOCK: &[u8] = b"poq/ocw/lock";
const KEPT: &[u8] = b"poq/ocw/kept-v2/";
/// Where workers before the scoring input was kept stored one `(scores, salt)` per request and
/// account: read when revealing, so a node upgraded between a commit and its reveal reveals.
const LEGACY_KEPT: &[u8] = b"poq/ocw/kept/";
const KEPT_IDS: &[u8] = b"poq/ocw/kept-ids/";
const APPEAL_JUDGE: &[u8] = b"poq/appeal-judge/";

/// Milliseconds the worker waits for an appeal judge's grades of one request's answers, asked
/// for all at once.
pub const APPEAL_TIMEOUT_MS: u64 = 30_000;

/// What a grade of the appeal judge (0 to 10) is worth in score units.
pub const GRADE_UNIT: u16 = 1_000;

/// The most bytes of an appeal judge's reply the worker reads: a grade needs a few dozen, and a
/// longer reply is cut, fails to parse and gives no grade.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// An appeal judge a validator node serves: the model and instructions of its judge card, whose
/// SHA-256 governance pins (`set_appeal_judge`), and where the node's own OpenAI-compatible
/// endpoint serving that model listens. The node keeps it in local storage under
/// [`appeal_judge_key`] of the card's digest.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct AppealJudgeConfig {
	/// The model the endpoint serves, as its `model` field names it.
	pub model: Vec<u8>,
	/// The judging instructions, sent as the system message.
	pub instructions: Vec<u8>,
	/// The endpoint's base URL, such as `http://127.0.0.1:8080/v1`; the worker posts to its
	/// `/chat/completions`.
	pub endpoint: Vec<u8>,
}

impl AppealJudgeConfig {
	/// What a node serving the judge card `card` (a JSON object with non-empty strings `model`
	/// and `instructions`) at the OpenAI-compatible `endpoint` (an `http(s)` URL) keeps; the
	/// reason it cannot, otherwise. The card's digest is the SHA-256 of `card`.
	pub fn from_card(card: &[u8], endpoint: &str) -> Result<Self, alloc::string::String> {
		use alloc::format;
		let json: serde_json::Value =
			serde_json::from_slice(card).map_err(|e| format!("not a JSON judge card: {e}"))?;
		let field = |name: &str| match json.get(name).and_then(|value| value.as_str()) {
			Some(text) if !text.trim().is_empty() => Ok(text.as_bytes().to_vec()),
			_ => Err(format!("the judge card has no string \"{name}\"")),
		};
		if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
			return Err(format!("the endpoint {endpoint} is not an http(s) URL"));
		}
		Ok(Self {
			model: field("model")?,
			instructions: field("instructions")?,
			endpoint: endpoint.as_bytes().to_vec(),
		})
	}
}

/// Local storage key of the [`AppealJudgeConfig`] whose card has digest `digest`.
pub fn appeal_judge_key(digest: &[u8; 32]) -> Vec<u8> {
	(APPEAL_JUDGE, digest).encode()
}

/// The chat-completions request body asking `judge` to grade `answer` to `prompt`: its
/// instructions as the system message, the question and the answer as the user's, at
/// temperature 0.
pub fn grading_request(judge: &AppealJudgeConfig, prompt: &[u8], answer: &[u8]) -> Vec<u8> {
	use alloc::string::String;
	let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
	let user = alloc::format!("Question:\n{}\n\nAnswer:\n{}", text(prompt), text(answer));
	let body = serde_json::json!({
		"model": text(&judge.model),
		"temperature": 0,
		"max_tokens": 8,
		"messages": [
			{ "role": "system", "content": text(&judge.instructions) },
			{ "role": "user", "content": user },
		],
	});
	serde_json::to_vec(&body).unwrap_or_default()
}

/// The grade in score units a chat-completions response body gives: the first whole number in
/// its first choice's message, from 0 to 10, times [`GRADE_UNIT`]. `None` for a body that is
/// not such a response, or a reply with no number or one above 10.
pub fn grade_of(body: &[u8]) -> Option<u16> {
	let response: serde_json::Value = serde_json::from_slice(body).ok()?;
	let reply = response.get("choices")?.get(0)?.get("message")?.get("content")?.as_str()?;
	let digits: alloc::string::String = reply
		.chars()
		.skip_while(|c| !c.is_ascii_digit())
		.take_while(|c| c.is_ascii_digit())
		.collect();
	let grade: u16 = digits.parse().ok()?;
	(grade <= 10).then_some(grade * GRADE_UNIT)
}

/// Asks `judge`'s endpoint to grade each of `answers` to `prompt`, all at once; `None` unless
/// every answer got a grade within [`APPEAL_TIMEOUT_MS`] in a reply of at most
/// [`MAX_REPLY_BYTES`].
fn grade_answers(
	judge: &AppealJudgeConfig,
	prompt: &[u8],
	answers: &[Vec<u8>],
) -> Option<Vec<u16>> {
	use sp_runtime::offchain::http;
	let base = core::str::from_utf8(&judge.endpoint).ok()?.trim_end_matches('/');
	let url = alloc::format!("{base}/chat/completions");
	let deadline = sp_io::offchain::timestamp().add(Duration::from_millis(APPEAL_TIMEOUT_MS));
	let pending = answers
		.iter()
		.map(|answer| {
			http::Request::post(&url, alloc::vec![grading_request(judge, prompt, answer)])
				.add_header("Content-Type", "application/json")
				.deadline(deadline)
				.send()
				.ok()
		})
		.collect::<Option<Vec<_>>>()?;
	http::PendingRequest::try_wait_all(pending, deadline)
		.into_iter()
		.map(|result| match result {
			Ok(Ok(response)) if response.code == 200 => {
				grade_of(&response.body().take(MAX_REPLY_BYTES).collect::<Vec<u8>>())
			},
			_ => None,
		})
		.collect()
}
const ROUND: &[u8] = b"poq/ocw/round/";

/// The application crypto of [`POQ_KEY_TYPE`] keys: sr25519.
pub mod crypto {
	use super::POQ_KEY_TYPE;
	use sp_runtime::{
		app_crypto::{app_crypto, sr25519},
		MultiSignature, MultiSigner,
	};

	app_crypto!(sr25519, POQ_KEY_TYPE);

	/// Signs the worker's transactions with `poq!` keys, for runtimes whose accounts are
	/// `MultiSigner`s.
	pub struct PoqAuthId;

	impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for PoqAuthId {
		type RuntimeAppPublic = Public;
		type GenericPublic = sp_core::sr25519::Public;
		type GenericSignature = sp_core::sr25519::Signature;
	}
}

/// Scores and salt an account committed to for a request, kept until it has revealed, with the
/// scoring input they were computed on.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Kept {
	/// `blake2_256` of the SCALE-encoded `(model, prompt, responses)`, and the appeal judge
	/// after them for a jury that grades: [`input_hash`].
	pub input: [u8; 32],
	pub scores: Vec<u16>,
	pub salt: [u8; 32],
}

/// What [`LEGACY_KEPT`] holds.
#[derive(Encode, Decode)]
pub struct LegacyKept {
	pub scores: Vec<u16>,
	pub salt: [u8; 32],
}

/// Local storage key of what a worker before [`Kept::input`] kept for an account and request.
pub fn legacy_kept_key<AccountId: Encode>(who: &AccountId, id: RequestId) -> Vec<u8> {
	(LEGACY_KEPT, who, id).encode()
}

/// Local storage key of an account's [`Kept`] entries for a request, one per scoring input
/// seen (forks with other responses).
pub fn kept_key<AccountId: Encode>(who: &AccountId, id: RequestId) -> Vec<u8> {
	(KEPT, who, id).encode()
}

/// The hash a [`Kept`] entry carries of a scoring input, the model that scores it and the appeal
/// judge that grades it, if any.
pub fn input_hash(
	model: &[u8; 32],
	prompt: &[u8],
	responses: &[Vec<u8>],
	appeal_judge: Option<&[u8; 32]>,
) -> [u8; 32] {
	match appeal_judge {
		None => sp_io::hashing::blake2_256(&(model, prompt, responses).encode()),
		Some(judge) => sp_io::hashing::blake2_256(&(model, prompt, responses, judge).encode()),
	}
}

/// The last round an account sent: the block, and the nonce the account has once it landed.
#[derive(Encode, Decode)]
struct Round<BlockNumber, Nonce> {
	sent_at: BlockNumber,
	nonce_after: Nonce,
}

impl<T: Config> Pallet<T> {
	/// Scores, commits and reveals for every local `poq!` account; see the module docs.
	pub(crate) fn run_offchain_worker(now: BlockNumberFor<T>) {
		let accounts: Vec<Account<T>> = Signer::<T, T::AuthorityId>::keystore_accounts().collect();
		if accounts.is_empty() {
			return;
		}
		let mut lock =
			StorageLock::<BlockAndTime<frame_system::Pallet<T>>>::with_block_and_time_deadline(
				WORKER_LOCK,
				RESEND_AFTER,
				Duration::from_millis(60_000),
			);
		let Ok(_guard) = lock.try_lock() else {
			log::debug!(target: LOG_TARGET, "#{now:?}: an earlier worker still runs");
			return;
		};
		let mut scorer = Scorer::default();
		for account in accounts {
			Self::forget_finished(&account.id, now);
			if Self::round_in_flight(&account.id, now) {
				continue;
			}
			Self::send_round(&account, now, &mut scorer);
		}
	}

	/// Whether `who`'s last round is neither landed nor old enough to send again.
	fn round_in_flight(who: &T::AccountId, now: BlockNumberFor<T>) -> bool {
		let key = (ROUND, who).encode();
		let Ok(Some(round)) =
			StorageValueRef::persistent(&key).get::<Round<BlockNumberFor<T>, T::Nonce>>()
		else {
			return false;
		};
		let landed = frame_system::Pallet::<T>::account_nonce(who) >= round.nonce_after;
		let waited = now.saturating_sub(round.sent_at) >= RESEND_AFTER.into();
		if !landed && waited {
			log::warn!(target: LOG_TARGET, "#{now:?}: a round of {who:?} did not land: sending again");
		}
		!landed && !waited
	}

	/// Sends the pending reveals and commits, that can still land in time, of the account
	/// `account` signs for.
	fn send_round(account: &Account<T>, now: BlockNumberFor<T>, scorer: &mut Scorer) {
		let key = &account.id;
		let who = &Self::principal(key.clone());
		let next_block = now.saturating_add(1u32.into());
		let tasks = Self::work_open_at(who, next_block);
		let commits: Vec<(RequestId, Option<Kept>)> = tasks
			.iter()
			.filter(|(_, task)| *task == Task::Commit)
			.map(|(id, _)| (*id, Self::kept_for(who, *id, scorer)))
			.collect();
		let unscored: Vec<RequestId> =
			commits.iter().filter(|(_, kept)| kept.is_none()).map(|(id, _)| *id).collect();
		scorer.score(&unscored);
		let reveals = tasks
			.iter()
			.filter(|(_, task)| *task == Task::Reveal)
			.filter_map(|(id, _)| Self::reveal_work(who, *id));
		let work: Vec<Work> = reveals
			.chain(
				commits
					.into_iter()
					.filter_map(|(id, kept)| Self::commit_work(who, id, kept, scorer)),
			)
			.collect();
		let signer = Signer::<T, T::AuthorityId>::all_accounts();
		let mut sent = 0u32;
		for chunk in work.chunks(T::MaxWorkItems::get().max(1) as usize) {
			let pieces = chunk.len();
			let work = chunk.to_vec();
			match signer.send_single_signed_transaction(account, Call::submit_work { work }) {
				Some(Ok(())) => {
					sent += 1;
					log::info!(target: LOG_TARGET, "#{now:?}: {key:?} sent {pieces} pieces of work for {who:?}");
				},
				_ => log::warn!(target: LOG_TARGET, "#{now:?}: {key:?} could not send its work"),
			}
		}
		if sent > 0 {
			let round =
				Round { sent_at: now, nonce_after: frame_system::Pallet::<T>::account_nonce(key) };
			// `send_single_signed_transaction` bumped the nonce in this worker's state overlay.
			StorageValueRef::persistent(&(ROUND, key).encode()).set(&round);
		}
	}

	/// The scores and salt `who` keeps for request `id`'s current scoring input, if any.
	fn kept_for(who: &T::AccountId, id: RequestId, scorer: &mut Scorer) -> Option<Kept> {
		let input = scorer.input_hash::<T>(id)?;
		let entries: Vec<Kept> =
			StorageValueRef::persistent(&kept_key(who, id)).get().ok().flatten()?;
		entries.into_iter().find(|kept| kept.input == input)
	}

	/// The commitment of `who` on request `id`: to what it `kept` ([`Self::kept_for`]), or to
	/// the model's scores and a fresh salt, kept first.
	fn commit_work(
		who: &T::AccountId,
		id: RequestId,
		kept: Option<Kept>,
		scorer: &mut Scorer,
	) -> Option<Work> {
		let kept = match kept {
			Some(kept) => kept,
			None => {
				let input = scorer.input_hash::<T>(id)?;
				let key = kept_key(who, id);
				let stored = StorageValueRef::persistent(&key);
				let mut entries: Vec<Kept> = stored.get().ok().flatten().unwrap_or_default();
				let scores = scorer.scores(id)?;
				// Fresh for every input, and mixed with the account, request and input so that
				// salts differ even if the node's randomness repeats.
				let seed = sp_io::offchain::random_seed();
				let salt = sp_io::hashing::blake2_256(&(seed, who, id, input).encode());
				let kept = Kept { input, scores, salt };
				entries.push(kept.clone());
				stored.set(&entries);
				Self::remember_kept(who, id);
				kept
			},
		};
		let commitment = commitment(id, who, &kept.scores, &kept.salt);
		Some(Work::CommitScores { id, commitment })
	}

	/// The reveal of `who` on request `id`: the kept entry whose commitment is the one on this
	/// chain.
	fn reveal_work(who: &T::AccountId, id: RequestId) -> Option<Work> {
		let on_chain = Requests::<T>::get(id)?
			.committee
			.iter()
			.find(|member| member.who == *who)
			.and_then(|member| member.commitment)?;
		let entries: Vec<Kept> = StorageValueRef::persistent(&kept_key(who, id))
			.get()
			.ok()
			.flatten()
			.unwrap_or_default();
		let legacy: Option<LegacyKept> =
			StorageValueRef::persistent(&legacy_kept_key(who, id)).get().ok().flatten();
		let kept = entries
			.into_iter()
			.map(|Kept { scores, salt, .. }| (scores, salt))
			.chain(legacy.map(|LegacyKept { scores, salt }| (scores, salt)))
			.find(|(scores, salt)| commitment(id, who, scores, salt) == on_chain);
		match kept {
			Some((scores, salt)) => Some(Work::RevealScores { id, scores, salt }),
			None => {
				log::error!(
					target: LOG_TARGET,
					"{who:?} committed on request {id} but kept no scores matching that commitment (local storage lost?): cannot reveal",
				);
				None
			},
		}
	}

	/// Adds `id` to the requests `who` keeps scores for.
	fn remember_kept(who: &T::AccountId, id: RequestId) {
		let key = (KEPT_IDS, who).encode();
		let ids = StorageValueRef::persistent(&key);
		let mut kept: Vec<RequestId> = ids.get().ok().flatten().unwrap_or_default();
		if !kept.contains(&id) {
			kept.push(id);
			ids.set(&kept);
		}
	}

	/// Forgets the kept scores of `who` on requests that ended at least [`FORGET_AFTER`] blocks
	/// ago on this chain (or so long ago that their outcome is pruned). A request this chain
	/// does not know (a fork where it was never made) or that is still live is kept. The list
	/// is bounded by the requests `who` scored in the last `FORGET_AFTER` blocks and those live.
	fn forget_finished(who: &T::AccountId, now: BlockNumberFor<T>) {
		let key = (KEPT_IDS, who).encode();
		let ids = StorageValueRef::persistent(&key);
		let Ok(Some(kept)) = ids.get::<Vec<RequestId>>() else { return };
		let next_id = NextRequestId::<T>::get();
		let over_for_good = |id: &RequestId| {
			if Requests::<T>::contains_key(id) || *id >= next_id {
				return false;
			}
			Outcomes::<T>::get(id).is_none_or(|outcome| {
				now.saturating_sub(outcome.finished_at) >= FORGET_AFTER.into()
			})
		};
		let (over, keep): (Vec<RequestId>, Vec<RequestId>) =
			kept.into_iter().partition(over_for_good);
		if over.is_empty() {
			return;
		}
		for id in over {
			StorageValueRef::persistent(&kept_key(who, id)).clear();
			StorageValueRef::persistent(&legacy_kept_key(who, id)).clear();
		}
		ids.set(&keep);
	}
}

/// Reads, hashes and scores each request's scoring input at most once per worker run (every
/// local account sits on the same requests), scoring only when some account needs scores.
#[derive(Default)]
struct Scorer {
	inputs: BTreeMap<RequestId, Option<Input>>,
	/// Models and appeal judges the node could not score or grade with, logged once per run.
	unavailable: BTreeSet<[u8; 32]>,
}

/// A request's scoring input, its [`input_hash`] and, once asked for, the model's scores.
struct Input {
	/// The quality model the request's committee scores with.
	model: [u8; 32],
	/// The appeal judge its jury grades with, if a dispute's jury with one sits.
	appeal_judge: Option<[u8; 32]>,
	prompt: Vec<u8>,
	responses: Vec<Vec<u8>>,
	hash: [u8; 32],
	scores: Option<Option<Vec<u16>>>,
	/// The appeal judge's grades, once asked for: `None` inside when it gave none.
	grades: Option<Option<Vec<u16>>>,
}

impl Scorer {
	/// The [`input_hash`] of request `id`'s scoring input; `None` when it has none, or no model
	/// was in force when its committee was drawn.
	fn input_hash<T: Config>(&mut self, id: RequestId) -> Option<[u8; 32]> {
		let input = self.inputs.entry(id).or_insert_with(|| {
			let request = Requests::<T>::get(id)?;
			let model = request.model?;
			let appeal_judge = Disputes::<T>::get(id).and_then(|dispute| dispute.appeal_judge);
			let (prompt, responses) = Pallet::<T>::scoring_input_of(id, &request)?;
			let hash = input_hash(&model, &prompt, &responses, appeal_judge.as_ref());
			Some(Input { model, appeal_judge, prompt, responses, hash, scores: None, grades: None })
		});
		input.as_ref().map(|input| input.hash)
	}

	/// Scores the responses of requests `ids` not scored yet, whose inputs
	/// [`Self::input_hash`] has read, in one call per model.
	fn score(&mut self, ids: &[RequestId]) {
		let mut pending: BTreeMap<[u8; 32], Vec<&mut Input>> = BTreeMap::new();
		let unscored = self
			.inputs
			.iter_mut()
			.filter(|(id, _)| ids.contains(id))
			.filter_map(|(_, input)| input.as_mut())
			.filter(|input| input.scores.is_none());
		for input in unscored {
			// Graded first: scoring takes the responses.
			if let Some(judge) = input.appeal_judge {
				input.grades = Some(grades_of(&judge, &input.prompt, &input.responses));
			}
			pending.entry(input.model).or_default().push(input);
		}
		for (model, mut inputs) in pending {
			// Scored once: the responses are not needed again.
			let requests: Vec<(Vec<u8>, Vec<Vec<u8>>)> = inputs
				.iter_mut()
				.map(|input| (input.prompt.clone(), core::mem::take(&mut input.responses)))
				.collect();
			let scored = poq_model_interface::poq_model::score_requests(requests, &model)
				.filter(|scored| scored.len() == inputs.len());
			for (index, input) in inputs.into_iter().enumerate() {
				input.scores = Some(scored.as_ref().map(|scored| scored[index].clone()));
			}
		}
	}

	/// The model's scores of request `id`'s responses, followed by the appeal judge's grades for
	/// a jury that grades, once [`Self::score`] has scored them.
	fn scores(&mut self, id: RequestId) -> Option<Vec<u16>> {
		let input = self.inputs.get_mut(&id)?.as_mut()?;
		let Some(mut scores) = input.scores.clone().flatten() else {
			if self.unavailable.insert(input.model) {
				log::warn!(
					target: LOG_TARGET,
					"the node has no quality model with digest 0x{}: not scoring request {id}",
					hex(&input.model),
				);
			}
			return None;
		};
		let Some(judge) = input.appeal_judge else { return Some(scores) };
		let Some(grades) = input.grades.clone().flatten() else {
			if self.unavailable.insert(judge) {
				log::warn!(
					target: LOG_TARGET,
					"no grades from the appeal judge 0x{} (not served by this node, see \
					 --poq-appeal-judge, or its endpoint did not answer): absent from the jury \
					 of request {id}",
					hex(&judge),
				);
			}
			return None;
		};
		scores.extend(grades);
		Some(scores)
	}
}

/// The grades of the appeal judge `digest` the node serves of `responses` to `prompt`; `None`
/// when it serves no such judge or its endpoint gave no grade to some answer.
fn grades_of(digest: &[u8; 32], prompt: &[u8], responses: &[Vec<u8>]) -> Option<Vec<u16>> {
	let judge: AppealJudgeConfig =
		StorageValueRef::persistent(&appeal_judge_key(digest)).get().ok().flatten()?;
	grade_answers(&judge, prompt, responses)
}

fn hex(bytes: &[u8]) -> alloc::string::String {
	bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
}
