// What every client script here does with the chain: send a signed transaction and learn how it
// ended, wait for work the chain assigns, answer as an inference node.

import { BN } from "@polkadot/util";
import { randomAsU8a } from "@polkadot/util-crypto";
import { answerCommitment, operatorConsent } from "./commitment.mjs";

/**
 * Signs and sends `tx`, resolving once it is in a block with `{ block, events }`, or rejecting
 * with the dispatch error; a module error's name is on `error.module` (for example
 * `"poq.PromptTooLong"`) and the block's events on `error.events`. Work the pool refuses
 * (`CheckWork`: invalid committee or node work never enters a block, and costs nothing) rejects
 * with `error.module` named the same way and `error.rejected` set.
 */
export function send(api, tx, signer, options = {}) {
	return submit(api, tx, signer, options).included;
}

/**
 * Sends `txs` from `signer` with consecutive nonces, each once the pool has taken the one before
 * (so no nonce gap ever reaches the pool, which may drop transactions it holds as `Future`);
 * resolves with each one's `{ block, events }` once all are in blocks. `options` go to every
 * `signAndSend` (for example `{ era: 0 }`: immortal). They are signed against a checkpoint
 * block looked up once and renewed when half its era has passed ([`sendEach`]): per
 * transaction, the lookup costs more than the pool does.
 */
export async function sendAll(api, txs, signer, options = {}) {
	return Promise.all(await sendEach(api, txs, signer, options));
}

/**
 * [`sendAll`], resolving as soon as the pool has taken every transaction with one promise per
 * transaction: its `{ block, events }` once in a block, or the error it met (a dispatch error,
 * or the status the pool dropped it with). At the first the pool refuses it throws that
 * refusal, with the promises of those it took as `included`. With a `window` above 1, that
 * many are sent before the pool has taken the first of them: faster, and a gap in the nonces
 * may reach the pool, which holds the later ones as `Future` until it fills.
 */
export async function sendEach(api, txs, signer, options = {}, window = 1) {
	let nonce = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
	// The checkpoint's `ExtrinsicEra` and block, given, spare `signAndSend` its own lookup. A
	// mortal checkpoint is renewed once half its era has passed, so that a long run of
	// transactions is never refused as signed against an "ancient birth block".
	let era;
	let renewAt = Infinity;
	const checkpoint = async () => {
		const { header, mortalLength } = await api.derive.tx.signingInfo(signer.address, nonce, options.era);
		if (!header) return;
		const period = options.era || mortalLength;
		era = { blockHash: header.hash, era: api.createType("ExtrinsicEra", { current: header.number, period }) };
		renewAt = header.number.toNumber() + Math.floor(period / 2);
	};
	await checkpoint();
	const sent = [];
	// Waits until the pool has taken `sent[index]`; throws its refusal once every one sent has
	// been taken or refused, with the taken ones' promises.
	const taken = (index) =>
		sent[index].accepted.catch(async (refusal) => {
			const settled = await Promise.allSettled(sent.map((s) => s.accepted));
			refusal.included = sent.filter((_, k) => settled[k].status === "fulfilled").map((s) => s.included);
			throw refusal;
		});
	for (const [i, tx] of txs.entries()) {
		// Looked up every 64 transactions: per transaction, the lookup costs more than the pool.
		if (i % 64 === 63 && (await api.rpc.chain.getHeader()).number.toNumber() >= renewAt) await checkpoint();
		const one = submit(api, tx, signer, { ...options, ...era, nonce: nonce++ });
		// Handled by the caller; until then a failure must not go unhandled.
		one.included.catch(() => {});
		sent.push(one);
		if (sent.length >= window) await taken(sent.length - window);
	}
	for (let k = Math.max(0, sent.length - window + 1); k < sent.length; k++) await taken(k);
	return sent.map((s) => s.included);
}

/** The pallet error `code` of a pool rejection (`Custom error: <code>`), as `"poq.Name"`. */
function poolError(api, error) {
	const code = /Custom error: (\d+)/.exec(error.message ?? "")?.[1];
	if (code === undefined) return error;
	const meta = api.registry.findMetaError({ index: new BN(api.tx.poq.submitWork.callIndex[0]), error: new BN(code) });
	const named = new Error(`${meta.section}.${meta.name}`);
	named.module = named.message;
	named.rejected = true;
	return named;
}

/** [`send`], with `accepted`, which resolves once the pool has taken the transaction. */
function submit(api, tx, signer, options) {
	let accept;
	let refuse;
	const accepted = new Promise((ok, fail) => ((accept = ok), (refuse = fail)));
	const included = new Promise((ok, fail) => {
		let unsubscribe;
		tx.signAndSend(signer, options, ({ status, dispatchError, events }) => {
			if (!status.isInBlock && !status.isFinalized) {
				if (status.isInvalid || status.isDropped || status.isUsurped || status.isFinalityTimeout) {
					fail(new Error(`transaction ${status.type}`));
				}
				return;
			}
			unsubscribe?.();
			const hash = status.isInBlock ? status.asInBlock : status.asFinalized;
			api.rpc.chain.getHeader(hash).then((header) => {
				const block = header.number.toNumber();
				if (dispatchError) {
					const meta = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
					const error = new Error(meta ? `${meta.section}.${meta.name}` : dispatchError.toString());
					error.module = meta ? `${meta.section}.${meta.name}` : null;
					error.events = events;
					error.block = block;
					fail(error);
				} else {
					ok({ block, events });
				}
			}, fail);
		})
			.then((u) => {
				unsubscribe = u;
				accept();
			})
			.catch((error) => {
				const named = poolError(api, error);
				refuse(named);
				fail(named);
			});
	});
	// Whoever waits only for inclusion learns of a refusal there.
	accepted.catch(() => {});
	return { accepted, included };
}

/** `work` (a list of `poq` Work pieces) in `submitWork` calls of at most `MaxWorkItems` pieces. */
export function workCalls(api, work) {
	const most = api.consts.poq.maxWorkItems.toNumber();
	const calls = [];
	for (let i = 0; i < work.length; i += most) calls.push(api.tx.poq.submitWork(work.slice(i, i + most)));
	return calls;
}

/**
 * Resolves once the chain's pending work for `who` lists `task` (`"Respond"`, `"RevealResponse"`,
 * `"Commit"` or `"Reveal"`) on every request of `ids`, checked at once and at every new block.
 */
export function waitForWork(api, who, ids, task, timeoutMs = 120_000) {
	const wanted = ids.map(BigInt);
	return new Promise((ok, fail) => {
		let unsubscribe;
		let done = false;
		const finish = (error) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			unsubscribe?.();
			error ? fail(error) : ok();
		};
		const timer = setTimeout(() => finish(new Error(`no ${task} for ${who} on ${wanted} within ${timeoutMs} ms`)), timeoutMs);
		const check = async () => {
			const work = await api.call.poqApi.pendingWork(who);
			const open = new Set(work.filter(([, t]) => t.type === task).map(([id]) => id.toBigInt()));
			if (wanted.every((id) => open.has(id))) finish();
		};
		api.rpc.chain
			.subscribeNewHeads(() => check().catch(finish))
			.then((u) => {
				unsubscribe = u;
				if (done) u();
			}, finish);
		check().catch(finish);
	});
}

/**
 * Answers requests as inference node `account`, the protocol's two steps: once the node is
 * drawn for all of them, commits to each answer with a fresh salt; once the reveals open,
 * reveals each. `answers` is a list of `[id, output]`; a step's pieces go in `submitWork`
 * batches (free of fees). Resolves with the reveals' `{ block, events }`.
 */
export async function answer(api, account, answers) {
	const ids = answers.map(([id]) => id);
	const salts = answers.map(() => randomAsU8a(32));
	await waitForWork(api, account.address, ids, "Respond");
	const commits = answers.map(([id, output], i) => ({ CommitResponse: { id, commitment: answerCommitment(id, account.address, output, salts[i]) } }));
	await sendAll(api, workCalls(api, commits), account);
	await waitForWork(api, account.address, ids, "RevealResponse");
	const reveals = answers.map(([id, output], i) => ({ RevealResponse: { id, output, salt: salts[i] } }));
	return sendAll(api, workCalls(api, reveals), account);
}

/**
 * Operator key `key` (a keyring pair, sr25519: a `poq!` key)'s consent to sign `who`'s work, for
 * `api.tx.poq.setOperator`: good until `blocks` blocks from now.
 */
export async function consent(api, key, who, blocks = 100) {
	const until = (await api.rpc.chain.getHeader()).number.toNumber() + blocks;
	const signature = key.sign(operatorConsent(api.genesisHash, who, until));
	return { key: key.publicKey, until, signature };
}

/** `text`, an amount of the chain's token in decimals (six places at most), in its smallest unit. */
export function planck(api, text) {
	const decimals = BigInt(api.registry.chainDecimals[0] ?? 12);
	return (BigInt(Math.round(Number(text) * 1e6)) * 10n ** decimals) / 1_000_000n;
}

/**
 * Resolves with the new spec_version once the chain `api` is connected to runs another runtime
 * than `specVersion` (a client connected before an upgrade loses the runtime's APIs: @polkadot/api
 * reloads the new metadata without them, so it must connect again).
 */
export async function runtimeUpgraded(api, specVersion) {
	let unsubscribe;
	const upgraded = await new Promise((resolve, reject) => {
		api.rpc.state
			.subscribeRuntimeVersion((version) => {
				if (version.specVersion.toNumber() !== specVersion) resolve(version.specVersion.toNumber());
			})
			.then((u) => (unsubscribe = u), reject);
	});
	unsubscribe?.();
	return upgraded;
}

/** What a dispute of a request with `fee` holds: the fee, or the runtime's least deposit. */
export function disputeDeposit(api, fee) {
	const least = api.consts.poq.disputeDeposit.toBigInt();
	return BigInt(fee) > least ? BigInt(fee) : least;
}

/**
 * Disputes the provisional outcome of request `id` as `signer`, a party to it (its client, a
 * member of its committee or a node that answered), before its dispute window closes: holds
 * [`disputeDeposit`], refusing to hold more than `maxDeposit` when given. Resolves with the
 * `Disputed` event's `{ block, deposit }`; a jury is drawn in a later block.
 */
export async function dispute(api, id, signer, maxDeposit) {
	const status = (await api.call.poqApi.requestStatus(id)).unwrap();
	if (!status.isLive) throw new Error(`request ${id} is over: its outcome is final`);
	const deposit = maxDeposit ?? disputeDeposit(api, status.asLive.fee.toBigInt());
	const { block, events } = await send(api, api.tx.poq.dispute(id, deposit), signer);
	const disputed = events.find(({ event }) => api.events.poq.Disputed.is(event)).event;
	return { block, deposit: disputed.data.deposit.toBigInt() };
}

/**
 * What asking jury `level` of a request with `fee` holds: [`disputeDeposit`] for the client's
 * dispute (level 1), twice as much at each appeal.
 */
export function appealDeposit(api, fee, level) {
	return disputeDeposit(api, fee) << BigInt(level - 1);
}

/**
 * Appeals the last jury's finding on request `id` as `signer`, the side it went against (any
 * party when the committee was upheld; a committee member or an answering node when it was
 * overturned), while the finding is provisional: holds [`appealDeposit`] at the next level,
 * refusing to hold more than `maxDeposit` when given. Resolves with the `Appealed` event's
 * `{ block, deposit, level }`; the larger jury is drawn in a later block.
 */
export async function appeal(api, id, signer, maxDeposit) {
	const status = (await api.call.poqApi.requestStatus(id)).unwrap();
	if (!status.isLive) throw new Error(`request ${id} is over: its outcome is final`);
	const open = (await api.query.poq.disputes(id)).unwrapOr(null);
	if (open === null) throw new Error(`request ${id} has no jury's finding to appeal: dispute it`);
	const level = open.rulings.length + 1;
	const deposit = maxDeposit ?? appealDeposit(api, status.asLive.fee.toBigInt(), level);
	const { block, events } = await send(api, api.tx.poq.dispute(id, deposit), signer);
	const appealed = events.find(({ event }) => api.events.poq.Appealed.is(event)).event;
	return { block, deposit: appealed.data.deposit.toBigInt(), level: appealed.data.level.toNumber() };
}
