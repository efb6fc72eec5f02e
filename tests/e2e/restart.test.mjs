// The node's validators across a restart.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { u8aToHex } from "@polkadot/util";
import { blake2AsU8a } from "@polkadot/util-crypto";
import { UNIT, answer, devAccounts, fundedAccount, honestScores, judge, poqEvent, send, startNode, watch } from "./harness.mjs";
import { commitment } from "../../tools/lib/commitment.mjs";

const FEE = 10n * UNIT;

test("restart: reveals land from the salts kept before a restart", async (t) => {
	const basePath = mkdtempSync(join(tmpdir(), "poq-e2e-restart-"));
	// Slower blocks leave the commit window (5 blocks) room for the restart.
	const blockTimeMs = 3000;
	let node = await startNode({ basePath, blockTimeMs });
	t.after(async () => {
		await node.stop();
		rmSync(basePath, { recursive: true, force: true });
	});
	let api = node.api;
	const acc = await devAccounts();
	// Mallory (its key not in the node) holds the commit phase open while the node restarts.
	// As much as each dev validator: seats follow stake, so Mallory holds some on every committee.
	const mallory = await fundedAccount(api, acc.Alice, "Mallory", 2_000n * UNIT);
	await send(api, api.tx.poq.registerValidator(1_000n * UNIT), mallory);

	const [prompt, good, junk] = ["What is the capital of Italy?", "Rome is the capital of Italy.", "Bananas are yellow."];
	judge(prompt, [good, junk]);
	const { events } = await send(api, api.tx.poq.submitRequest(prompt, FEE), acc.Ferdie);
	const id = events.find(({ event }) => api.events.poq.RequestSubmitted.is(event)).event.data.id.toBigInt();
	const nodeValidators = [acc.Alice, acc.Bob, acc.Charlie].map((a) => a.address);
	const seen = new Set();
	const committed = watch(api, (r) => {
		if (poqEvent(api, r, "ScoresCommitted", id)) seen.add(r.event.data.validator.toString());
		return nodeValidators.every((v) => seen.has(v));
	});
	await Promise.all([
		answer(api, acc.Dave, [[id, good]]),
		answer(api, acc.Eve, [[id, junk]]),
	]);
	await committed;

	// Stop after the commits, before any reveal, and start again on the same database.
	await node.stop();
	node = await startNode({ basePath, blockTimeMs });
	api = node.api;
	const live = (await api.call.poqApi.requestStatus(id)).unwrap().asLive;
	assert.ok(live.phase.isCommitting, "the commits survived the restart, the reveals have not happened");

	// Mallory scores Dave's and Eve's answers (in their order on chain) with the model, as the
	// node's validators do.
	const scores = await honestScores(api, id);
	const salt = blake2AsU8a("mallory's salt");
	const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
	await send(api, api.tx.poq.commitScores(id, u8aToHex(commitment(id, mallory.address, scores, salt))), mallory);
	await send(api, api.tx.poq.revealScores(id, scores, u8aToHex(salt)), mallory);
	const { records } = await done;
	assert.ok(records.some(({ record }) => poqEvent(api, record, "RequestFinalized", id)));
	const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
	for (const v of outcome.committee) {
		assert.ok(v.verdict.isInConsensus, `${v.validator} revealed scores in consensus`);
		assert.equal(v.slashed.toBigInt(), 0n);
	}
});
