// A development network of separate processes, as operators run it: one node seals the blocks
// and holds no validator key; three validator nodes each hold one `poq!` key in a keystore of
// their own, import the chain from their peers (over the network, never over RPC), score with
// their own model folder and send their own work, which reaches the sealing node through the
// network's transaction gossip. One scores on one thread, the others on two: they must agree to
// the bit. One is killed mid-request (SIGKILL, after its commitment) and restarted: the chain
// settles without it, and it scores again once it is back.

import assert from "node:assert/strict";
import { test } from "node:test";
import { describeCosts, nodeCosts } from "../../tools/lib/metrics.mjs";
import { UNIT, answer, caughtUp, devAccounts, poqEvent, send, startNetwork, watch } from "../e2e/harness.mjs";

const FEE = 10n * UNIT;
/** Each validator node: its dev account and its scorer's threads. */
const VALIDATORS = { Alice: 1, Bob: 2, Charlie: 2 };
const JUNK = "Bananas are rich in potassium and grow in tropical climates.";

test("network: validator nodes with their own keys score apart and agree to the bit; a killed one comes back", async (t) => {
	const network = await startNetwork({ validators: VALIDATORS });
	t.after(() => network.stop());
	const { sealer, nodes } = network;
	assert.match(sealer.log(), /No poq! key in the keystore/, "the sealing node holds no validator key");
	for (const [name, threads] of Object.entries(VALIDATORS)) {
		const log = nodes[name].log();
		assert.match(log, /Following the development chain/, `${name}'s node seals nothing`);
		assert.match(log, new RegExp(`Quality model loaded from .*, ${threads} scoring threads, kernels on \\w+`));
		t.diagnostic(`${name}: ${log.match(/kernels on \w+/)[0]}, ${threads} scoring thread(s)`);
	}

	const api = sealer.api;
	const acc = await devAccounts();
	const names = Object.keys(VALIDATORS);
	const nameOf = (who) => names.find((n) => acc[n].address === who.toString());

	/**
	 * Submits a request that //Dave answers with `good` and //Eve with junk, runs `meanwhile(id)`, and
	 * resolves when it is final: with each seated validator's reveal (as the chain held them when
	 * the outcome became provisional), the consensus scores and each one's verdict.
	 */
	async function request(prompt, good, meanwhile = async () => {}) {
		const id = (await api.query.poq.nextRequestId()).toBigInt();
		const ended = (r) =>
			poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id);
		const done = watch(api, ended, 180_000);
		await send(api, api.tx.poq.submitRequest(prompt, FEE), acc.Ferdie);
		await Promise.all([answer(api, acc.Dave, [[id, good]]), answer(api, acc.Eve, [[id, JUNK]]), meanwhile(id)]);
		const { records } = await done;
		const held = records.find(({ record }) => poqEvent(api, record, "RequestProvisional", id));
		assert.ok(held, `request ${id} settled by a committee's consensus`);
		const at = await api.at(await api.rpc.chain.getBlockHash(held.block));
		const live = (await at.query.poq.requests(id)).unwrap();
		const reveals = Object.fromEntries(
			live.committee.map((m) => [nameOf(m.who), m.reveal.isSome ? m.reveal.unwrap().map((s) => s.toNumber()) : null]),
		);
		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		assert.ok(outcome.phase.isFinalized, `request ${id} is finalized`);
		const scores = held.record.event.data.scores.map((s) => s.toNumber());
		return { id: String(id), reveals, scores, verdicts: outcome.committee.map((v) => [nameOf(v.validator), v.verdict.type]) };
	}

	// Every validator scores on its own node; their reveals are the same bits whatever the threads.
	const first = await request("What is the capital of France?", "The capital of France is Paris.");
	assert.deepEqual(Object.keys(first.reveals).sort(), names, "each validator sat on the committee");
	for (const name of names) assert.deepEqual(first.reveals[name], first.scores, `${name} revealed the consensus, to the bit: ${JSON.stringify(first)}`);
	assert.ok(first.scores[0] !== first.scores[1], "the good and the junk answer score apart");
	for (const [name, verdict] of first.verdicts) assert.equal(verdict, "InConsensus", `${name} in consensus`);

	// Charlie's node dies once its commitment is on chain, and comes back a few blocks later.
	let killedAt;
	const second = await request("What is the capital of Italy?", "The capital of Italy is Rome.", async (id) => {
		await watch(api, (r) => poqEvent(api, r, "ScoresCommitted", id) && r.event.data.validator.toString() === acc.Charlie.address);
		await nodes.Charlie.kill();
		killedAt = (await api.rpc.chain.getHeader()).number.toNumber();
		await network.restart("Charlie");
	});
	for (const name of ["Alice", "Bob"]) assert.deepEqual(second.reveals[name], second.scores, `${name} revealed the consensus: ${JSON.stringify(second)}`);
	const [, charlie] = second.verdicts.find(([name]) => name === "Charlie");
	t.diagnostic(`Charlie killed at block ${killedAt}; on the request it committed to: ${charlie}`);

	// Back, Charlie's node catches up from its peers and scores the next request with the others.
	const restartedAt = Date.now();
	await caughtUp(nodes.Charlie, network.sealer);
	t.diagnostic(`Charlie caught up ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the request it was killed on ended`);
	const third = await request("Which planet is the largest in the solar system?", "Jupiter is the largest planet in the solar system.");
	for (const name of names) assert.deepEqual(third.reveals[name], third.scores, `${name} revealed the consensus after the restart: ${JSON.stringify(third)}`);

	// What each node spent: importing blocks and scoring answers.
	for (const name of names) {
		const costs = await nodeCosts(nodes[name].metricsUrl);
		assert.ok(costs.imported > 0, `${name}'s node imported blocks from its peer`);
		assert.ok(costs.scored > 0, `${name}'s node scored answers`);
		t.diagnostic(`${name} (since its last start): ${describeCosts(costs)}`);
	}
});
