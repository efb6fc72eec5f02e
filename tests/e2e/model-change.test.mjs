// A change of the quality model on a live dev chain: voted by the technical committee, scheduled a
// request's lifetime ahead, in force from its block, each request scored with the model its
// committee was drawn under by one node that holds both models.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MODEL, UNIT, answer, devAccounts, motion, poqEvent, send, startNode, watch } from "./harness.mjs";

/**
 * A second model folder: the default model's files, but a `config.json` with one more field,
 * which changes the folder's digest and nothing it scores. Returns its path.
 */
function otherModel() {
	const dir = mkdtempSync(join(tmpdir(), "poq-model-"));
	for (const name of readdirSync(MODEL)) {
		if (name !== "config.json") symlinkSync(join(MODEL, name), join(dir, name));
	}
	const config = JSON.parse(readFileSync(join(MODEL, "config.json"), "utf8"));
	writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, poq_release: "next" }, null, 2));
	return dir;
}

/**
 * Submits a request and has //Dave and //Eve answer it; resolves with the model its committee was
 * drawn under and whether it was finalized.
 */
async function scored(api, acc) {
	const id = (await api.query.poq.nextRequestId()).toBigInt();
	let model;
	const done = watch(api, (r) => {
		if (poqEvent(api, r, "CommitteeSelected", id)) {
			model = api.query.poq.requests(id).then((request) => request.unwrap().model.unwrap().toHex());
		}
		return poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id);
	});
	await send(api, api.tx.poq.submitRequest("What is the capital of France?", 10n * UNIT), acc.Ferdie);
	await Promise.all([
		answer(api, acc.Dave, [[id, "The capital of France is Paris."]]),
		answer(api, acc.Eve, [[id, "Paris is the capital and largest city of France."]]),
	]);
	const { records } = await done;
	const finalized = records.some(({ record }) => poqEvent(api, record, "RequestFinalized", id));
	return { id, model: await model, finalized };
}

test("a model change through the technical committee: a lifetime ahead, requests scored with the model they were drawn under", async (t) => {
	const next = otherModel();
	t.after(() => rmSync(next, { recursive: true, force: true }));
	const node = await startNode({ args: ["--poq-model", MODEL, "--poq-model", next] });
	t.after(() => node.stop());
	const { api } = node;
	const acc = await devAccounts();
	const loaded = [...node.log().matchAll(/Quality model loaded from .*digest (0x[0-9a-f]{64})/g)].map((m) => m[1]);
	const old = (await api.query.poq.qualityModel()).unwrap().toHex();
	assert.equal(loaded.length, 2, "the node loaded both models");
	assert.equal(loaded[0], old, "the first is the chain's");
	const digest = loaded[1];
	assert.notEqual(digest, old);

	// Not by one member's key; and sooner than a request's lifetime, refused by name.
	const lifetime = api.consts.poq.maxRequestLifetime.toNumber();
	const head = (await api.rpc.chain.getHeader()).number.toNumber();
	await assert.rejects(send(api, api.tx.poq.setQualityModel(digest, head + lifetime + 5), acc.Alice), /badorigin/i);
	assert.equal((await motion(api, acc, api.tx.poq.setQualityModel(digest, head + 5))).error, "poq.ModelChangeTooSoon");
	assert.ok((await api.query.poq.modelChange()).isNone);

	// The motion takes a few blocks: room for them.
	const at = (await api.rpc.chain.getHeader()).number.toNumber() + lifetime + 10;
	const switched = watch(api, (r) => poqEvent(api, r, "QualityModelSet"), (lifetime + 30) * 2_000);
	assert.equal((await motion(api, acc, api.tx.poq.setQualityModel(digest, at))).error, null);
	assert.deepEqual(
		(await api.query.poq.modelChange()).unwrap().map((x) => x.toString()),
		[String(at), digest],
	);

	// Before the change: scored with the chain's model.
	const before = await scored(api, acc);
	assert.deepEqual([before.model, before.finalized], [old, true]);
	assert.equal((await api.query.poq.qualityModel()).unwrap().toHex(), old, "not in force yet");

	// From its block on: the new model, which the node scores with too.
	const { block } = await switched;
	assert.equal(block, at, "in force from the block it was scheduled for");
	assert.equal((await api.query.poq.qualityModel()).unwrap().toHex(), digest);
	const after = await scored(api, acc);
	assert.deepEqual([after.model, after.finalized], [digest, true]);
	assert.ok(!node.log().includes("has no quality model"), "the worker never lacked a model");
});
