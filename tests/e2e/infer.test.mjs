// poq-infer against a live dev chain and small local servers that speak the OpenAI chat API.

import assert from "node:assert/strict";
import { test } from "node:test";
import { UNIT, devAccounts, fundedAccount, poqEvent, runInfer, send, startNode, watch } from "./harness.mjs";
import { chatServer } from "../../tools/lib/chat-server.mjs";
import { followed, truncateUtf8 } from "../../tools/poq-infer/poq-infer.mjs";

test("truncates answers to whole UTF-8 characters", () => {
	assert.equal(truncateUtf8("héllo", 2), "h");
	assert.equal(truncateUtf8("héllo", 3), "hé");
	assert.equal(truncateUtf8("abc", 10), "abc");
});

test("follows an answered request through a dispute and an appeal to its end, and nothing else", () => {
	// Events as @polkadot/api decodes them, reduced to what is read.
	const n = (value) => ({ toBigInt: () => BigInt(value), toNumber: () => Number(value), toString: () => String(value) });
	const event = (method, data) => ({ method, data: { id: n(7), ...data } });
	const answered = new Set([7n]);
	const said = (e) => followed(e, "me", answered);
	assert.equal(said(event("Disputed", { who: "client", deposit: n(10n ** 13n) })), "request 7: disputed by client (deposit 10.0000); a jury is drawn");
	assert.equal(said(event("JurySelected", { jury: [["a", n(20)], ["b", n(11)]] })), "request 7: a jury of 31 seats sits");
	assert.equal(
		said(event("Appealed", { who: "node", deposit: n(2n * 10n ** 13n), level: n(2) })),
		"request 7: the jury's finding appealed by node (deposit 20.0000); jury 2 is drawn",
	);
	const finding = { type: "Overturned" };
	assert.equal(
		said(event("DisputeResolved", { finding, scores: [9000, 10000], grades: [9000, 1000] })),
		"request 7: the jury found Overturned, appeal judge's grades 9000, 1000",
	);
	assert.equal(said(event("DisputeResolved", { finding, scores: [9000], grades: [] })), "request 7: the jury found Overturned");
	assert.equal(said(event("NodeSlashed", { node: "me", amount: n(5n * 10n ** 12n) })), "request 7: slashed 5.0000");
	assert.equal(said(event("NodePaid", { node: "someone else", amount: n(1) })), null);
	assert.equal(said({ method: "Disputed", data: { id: n(8), who: "x", deposit: n(1) } }), null, "not a request it answered");
	assert.equal(said(event("RequestFinalized", {})), "request 7: final");
	assert.equal(answered.size, 0, "an ended request is no longer followed");
});

test("inference clients register, answer once each, and ride out a failing endpoint", async (t) => {
	const node = await startNode();
	t.after(() => node.stop());
	const { api } = node;
	const acc = await devAccounts();
	const { ws } = node;
	const oscar = await fundedAccount(api, acc.Alice, "Oscar", 1_000n * UNIT);

	const good = await chatServer(() => "The capital of France is Paris.");
	const flaky = await chatServer(() => "Bananas are yellow.", { failures: 3 });
	const fresh = await chatServer(() => "Paris, on the Seine.");
	t.after(() => Promise.all([good.close(), flaky.close(), fresh.close()]));
	const clients = [
		runInfer(ws, "//Dave", good.url),
		runInfer(ws, "//Eve", flaky.url),
		runInfer(ws, "//Alice//Oscar", fresh.url),
	];
	t.after(() => clients.forEach((c) => c.child.kill()));

	// Oscar is not an inference node yet: its client registers it.
	const deadline = Date.now() + 60_000;
	while ((await api.query.poq.participants(oscar.address)).isNone) {
		assert.ok(Date.now() < deadline, `Oscar did not register:\n${clients[2].text}`);
		await new Promise((ok) => setTimeout(ok, 500));
	}

	const nextId = (await api.query.poq.nextRequestId()).toBigInt();
	const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", nextId) || poqEvent(api, r, "RequestExpired", nextId));
	await send(api, api.tx.poq.submitRequest("What is the capital of France?", 10n * UNIT), acc.Ferdie);
	const { records } = await done;

	const responders = records
		.filter(({ record }) => poqEvent(api, record, "ResponseRevealed", nextId))
		.map(({ record }) => record.event.data.node.toString());
	assert.deepEqual(
		[...responders].sort(),
		[acc.Dave.address, acc.Eve.address, oscar.address].sort(),
		"each drawn node committed and revealed exactly once",
	);
	const committers = records.filter(({ record }) => poqEvent(api, record, "ResponseCommitted", nextId));
	assert.equal(committers.length, 3);
	assert.ok(records.some(({ record }) => poqEvent(api, record, "RequestFinalized", nextId)));
	assert.ok(flaky.calls() > 3, "the failing endpoint was retried until it answered");
	assert.match(clients[1].text, /HTTP 503/);
	assert.doesNotMatch(clients.map((c) => c.text).join(""), /AlreadyResponded|AlreadyRevealed|CommitmentMismatch|fatal/);
	for (const c of clients) assert.equal(c.child.exitCode, null, "no client crashed");
	const outcome = (await api.call.poqApi.requestStatus(nextId)).unwrap().asFinished;
	const score = (who) => outcome.responses.find((r) => r.node.toString() === who).score.unwrap().toNumber();
	assert.ok(score(acc.Dave.address) > score(acc.Eve.address));
	// Each client followed its answer to the end: the provisional outcome, its pay, the end.
	const paid = outcome.responses.find((r) => r.node.toString() === acc.Dave.address).paid.toBigInt();
	const until = Date.now() + 30_000;
	while (!/final/.test(clients[0].text) && Date.now() < until) await new Promise((ok) => setTimeout(ok, 500));
	assert.match(clients[0].text, new RegExp(`request ${nextId}: provisional, scores `));
	assert.match(clients[0].text, new RegExp(`request ${nextId}: paid ${(Number(paid) / 1e12).toFixed(4)}`));
	assert.match(clients[0].text, new RegExp(`request ${nextId}: final`));
});

test("a node that echoes the prompt back is paid nothing; the node that answers is paid", async (t) => {
	const node = await startNode();
	t.after(() => node.stop());
	const { api, ws } = node;
	const acc = await devAccounts();
	const honest = await chatServer(() => "Plants capture sunlight with chlorophyll and use its energy to turn water and carbon dioxide into glucose, releasing oxygen.");
	const echo = await chatServer((prompt) => prompt);
	t.after(() => Promise.all([honest.close(), echo.close()]));
	const id = (await api.query.poq.nextRequestId()).toBigInt();
	const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
	await send(api, api.tx.poq.submitRequest("How does photosynthesis work in plants?", 10n * UNIT), acc.Ferdie);
	// The request is live when the clients start, and Dave's state file holds an answer kept
	// for its id on another chain (another prompt): that answer must not be committed here.
	const stale = { [String(id)]: { output: "Bananas are yellow.", salt: `0x${"11".repeat(32)}`, prompt: `0x${"00".repeat(32)}` } };
	const clients = [runInfer(ws, "//Dave", honest.url, stale), runInfer(ws, "//Eve", echo.url)];
	t.after(() => clients.forEach((c) => c.child.kill()));
	const { records } = await done;
	assert.ok(records.some(({ record }) => poqEvent(api, record, "RequestFinalized", id)), "the request is finalized");

	const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
	const of = (who) => outcome.responses.find((r) => r.node.toString() === who);
	const minQuality = api.consts.poq.minQuality.toNumber();
	const [dave, eve] = [of(acc.Dave.address), of(acc.Eve.address)];
	assert.ok(eve.score.unwrap().toNumber() < minQuality, `the echo scored ${eve.score.unwrap()}`);
	assert.equal(eve.paid.toBigInt(), 0n, "the echo is paid nothing");
	assert.ok(dave.score.unwrap().toNumber() >= minQuality, `the answer scored ${dave.score.unwrap()}`);
	assert.ok(dave.paid.toBigInt() > 0n, "the answer is paid");
});
