// Load and money: 100 requests at once, 200 answers from one account, and what honest work earns
// at the smallest fee.

import assert from "node:assert/strict";
import { test } from "node:test";
import { UNIT, answer, devAccounts, poqEvent, startNode, watch } from "./harness.mjs";
import { answerCommitment } from "../../tools/lib/commitment.mjs";
import { sendAll } from "../../tools/lib/chain.mjs";
import { randomAsU8a } from "@polkadot/util-crypto";

/** Submits `count` requests from `client` at `fee`, all at once; returns their ids. */
async function submitMany(api, client, count, fee) {
	const first = (await api.query.poq.nextRequestId()).toBigInt();
	const txs = Array.from({ length: count }, (_, i) => api.tx.poq.submitRequest(`Question ${i}: what is ${i} plus ${i}?`, fee));
	// Immortal: on a busy node the pool can lag the head polkadot.js signs against (ancient birth).
	const submitted = await sendAll(api, txs, client, { era: 0 });
	return { ids: txs.map((_, i) => first + BigInt(i)), submittedAt: Math.max(...submitted.map((s) => s.block)) };
}

/** Resolves once every request of `ids` has finished, with how each did and where. */
function finishing(api, ids, timeoutMs = 300_000) {
	const finished = new Map();
	return watch(
		api,
		(r, block) => {
			if (poqEvent(api, r, "RequestFinalized") || poqEvent(api, r, "RequestExpired")) {
				finished.set(r.event.data.id.toBigInt(), { block, method: r.event.method });
			}
			return ids.every((id) => finished.has(id));
		},
		timeoutMs,
	).then(({ block, records }) => ({ block, records, finished }));
}

test("load: 100 requests submitted at once with 1-second blocks all finalize", async (t) => {
	const node = await startNode({ blockTimeMs: 1000 });
	t.after(() => node.stop());
	const { api } = node;
	const acc = await devAccounts();
	const requests = 100;
	const startBlock = (await api.rpc.chain.getHeader()).number.toNumber();
	const first = (await api.query.poq.nextRequestId()).toBigInt();
	const ids = Array.from({ length: requests }, (_, i) => first + BigInt(i));
	const done = finishing(api, ids);
	const started = Date.now();
	const { submittedAt } = await submitMany(api, acc.Ferdie, requests, 10n * UNIT);
	// Each node commits to all its answers in one batch once drawn, then reveals them in one.
	await Promise.all([
		answer(api, acc.Dave, ids.map((id, i) => [id, `${i} plus ${i} is ${2 * i}.`])),
		answer(api, acc.Eve, ids.map((id) => [id, "Bananas are yellow."])),
	]);
	const { block: lastBlock, finished } = await done;
	const seconds = (Date.now() - started) / 1000;
	const expired = ids.filter((id) => finished.get(id).method !== "RequestFinalized");
	assert.deepEqual(expired, [], "every answered request finalized");
	const perRequest = ids.map((id) => finished.get(id).block - startBlock);
	console.log(
		`load: ${requests} requests submitted by #${submittedAt}, all finalized by #${lastBlock}: ` +
			`${lastBlock - startBlock} blocks and ${seconds.toFixed(1)} s from the first submission; ` +
			`blocks from submission to settlement: min ${Math.min(...perRequest)}, max ${Math.max(...perRequest)}`,
	);
});

test("200 answers from one account, sent one transaction each, all land", async (t) => {
	// 4-second blocks: a 20-second reveal window for 200 transactions sent one after another, each
	// once the pool has taken the one before (about 45 ms each on this node: the pool's "ready"
	// comes about 40 ms after the subscription it answers).
	const node = await startNode({ blockTimeMs: 4000 });
	t.after(() => node.stop());
	const { api } = node;
	const acc = await devAccounts();
	const { ids } = await submitMany(api, acc.Ferdie, 200, api.consts.poq.minFee.toBigInt());
	const dave = acc.Dave.address;
	const revealed = new Set();
	const allRevealed = watch(
		api,
		(r) => {
			if (poqEvent(api, r, "ResponseRevealed") && r.event.data.node.toString() === dave) revealed.add(r.event.data.id.toBigInt());
			return ids.every((id) => revealed.has(id));
		},
		300_000,
	);
	// Each commitment and each reveal alone, consecutive nonces, as the requests are drawn:
	// what the pool used to drop some of.
	const salts = new Map(ids.map((id) => [id, randomAsU8a(32)]));
	const output = (id) => `Answer ${id}.`;
	const sent = new Set();
	let landed = 0;
	const giveUp = Date.now() + 240_000;
	while (revealed.size < ids.length && Date.now() < giveUp) {
		const work = await api.call.poqApi.pendingWork(dave);
		const txs = [];
		for (const [rawId, task] of work) {
			const id = rawId.toBigInt();
			const key = `${task.type}/${id}`;
			if (sent.has(key)) continue;
			sent.add(key);
			if (task.isRespond) txs.push(api.tx.poq.commitResponse(id, answerCommitment(id, dave, output(id), salts.get(id))));
			if (task.isRevealResponse) txs.push(api.tx.poq.revealResponse(id, output(id), salts.get(id)));
		}
		landed += (await sendAll(api, txs, acc.Dave)).length;
		await new Promise((ok) => setTimeout(ok, 300));
	}
	assert.equal(landed, 400, "200 commitments and 200 reveals, one transaction each, all in blocks");
	await allRevealed;
	assert.equal(revealed.size, 200, "every answer landed and was revealed");
});

test("economics: at the smallest fee, honest validators and nodes end every request richer", async (t) => {
	const node = await startNode({ blockTimeMs: 1000 });
	t.after(() => node.stop());
	const { api } = node;
	const acc = await devAccounts();
	const minFee = api.consts.poq.minFee.toBigInt();
	const workers = { Alice: acc.Alice, Bob: acc.Bob, Charlie: acc.Charlie, Dave: acc.Dave };
	const total = async (who) => {
		const { data } = await api.query.system.account(who.address);
		return data.free.toBigInt() + data.reserved.toBigInt();
	};
	const before = Object.fromEntries(await Promise.all(Object.entries(workers).map(async ([n, a]) => [n, await total(a)])));
	const requests = 20;
	const first = (await api.query.poq.nextRequestId()).toBigInt();
	const ids = Array.from({ length: requests }, (_, i) => first + BigInt(i));
	const done = finishing(api, ids);
	await submitMany(api, acc.Ferdie, requests, minFee);
	await Promise.all([
		answer(api, acc.Dave, ids.map((id, i) => [id, `${i} plus ${i} is ${2 * i}.`])),
		answer(api, acc.Eve, ids.map((id) => [id, "Bananas are yellow."])),
	]);
	const { finished, records } = await done;
	assert.ok(ids.every((id) => finished.get(id).method === "RequestFinalized"), "every request finalized");
	const fees = records.filter(({ record }) => api.events.transactionPayment.TransactionFeePaid.is(record.event));
	for (const [name, account] of Object.entries(workers)) {
		const gain = (await total(account)) - before[name];
		assert.ok(gain > 0n, `${name} gained ${gain} over ${requests} requests at MinFee`);
		assert.ok(!fees.some(({ record }) => record.event.data.who.toString() === account.address), `${name} paid no fee for its work`);
		console.log(`economics: ${name} gained ${Number(gain) / 1e12} UNIT over ${requests} requests at MinFee (${Number(minFee) / 1e12} UNIT)`);
	}
});
