// Nothing the pool accepts is lost in silence (issue 24): a flood of `submit_request`s, from one
// account and then from twenty, each watched to its block (`tools/lib/flood.mjs`, the pool's red
// team). Before, a dev node accepted 2 068 requests from one account, executed 334 and dropped
// the rest with no word to the client.

import assert from "node:assert/strict";
import { test } from "node:test";
import { UNIT, devAccounts, fundedAccounts, startNode } from "./harness.mjs";
import { flood } from "../../tools/lib/flood.mjs";

const REQUESTS = 2_000;

test(`every transaction the pool accepts lands: ${REQUESTS} requests from one account, then from twenty`, async (t) => {
	const node = await startNode();
	t.after(() => node.stop());
	const { api } = node;
	const acc = await devAccounts();
	const fee = api.consts.poq.minFee.toBigInt();
	const request = (i) => api.tx.poq.submitRequest(`What is ${i} plus ${i}?`, fee);

	const alone = await flood(api, [acc.Ferdie], REQUESTS, request);
	t.diagnostic(`one account: ${JSON.stringify(alone)}`);
	assert.deepEqual(alone.refused, {});
	assert.deepEqual(alone.failed, {});
	assert.equal(alone.lost, 0, "nothing accepted is lost in silence");
	assert.equal(alone.landed, REQUESTS);

	// Nobody answers the first flood: its requests end when their response window closes, and
	// give their live-request slots back before the second flood takes them.
	await new Promise((ok) => {
		const unsubscribe = api.rpc.chain.subscribeNewHeads(async () => {
			if ((await api.query.poq.counterForRequests()).toNumber() === 0) {
				(await unsubscribe)();
				ok();
			}
		});
	});
	const names = Array.from({ length: 20 }, (_, k) => `Flood${k}`);
	const twenty = await fundedAccounts(api, acc.Alice, names, 1_000n * UNIT);
	const many = await flood(api, twenty, REQUESTS, (i) => request(REQUESTS + i));
	t.diagnostic(`twenty accounts: ${JSON.stringify(many)}`);
	assert.deepEqual(many.refused, {});
	assert.deepEqual(many.failed, {});
	assert.equal(many.lost, 0, "nothing accepted is lost in silence");
	assert.equal(many.landed, REQUESTS);
});
