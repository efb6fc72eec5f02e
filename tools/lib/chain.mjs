// What every client script here does with the chain: send a signed transaction and learn how it
// ended, wait for work the chain assigns, answer as an inference node.

import { randomAsU8a } from "@polkadot/util-crypto";
import { answerCommitment } from "./commitment.mjs";

/**
 * Signs and sends `tx`, resolving once it is in a block with `{ block, events }`, or rejecting
 * with the dispatch error; a module error's name is on `error.module` (for example
 * `"poq.PromptTooLong"`) and the block's events on `error.events`.
 */
export function send(api, tx, signer, options = {}) {
	return new Promise((ok, fail) => {
		let unsubscribe;
		tx.signAndSend(signer, options, ({ status, dispatchError, events }) => {
			if (!status.isInBlock && !status.isFinalized) {
				if (status.isInvalid || status.isDropped || status.isUsurped) {
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
			.then((u) => (unsubscribe = u))
			.catch(fail);
	});
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
 * reveals each. `answers` is a list of `[id, output]`; the transactions of a step go out at once
 * with consecutive nonces. Resolves with the reveals' `{ block, events }`.
 */
export async function answer(api, account, answers) {
	const ids = answers.map(([id]) => id);
	const salts = answers.map(() => randomAsU8a(32));
	const all = async (txs) => {
		let nonce = (await api.rpc.system.accountNextIndex(account.address)).toNumber();
		return Promise.all(txs.map((tx) => send(api, tx, account, { nonce: nonce++ })));
	};
	await waitForWork(api, account.address, ids, "Respond");
	await all(answers.map(([id, output], i) => api.tx.poq.commitResponse(id, answerCommitment(id, account.address, output, salts[i]))));
	await waitForWork(api, account.address, ids, "RevealResponse");
	return all(answers.map(([id, output], i) => api.tx.poq.revealResponse(id, output, salts[i])));
}
