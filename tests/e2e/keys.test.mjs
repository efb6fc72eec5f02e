// A validator brings its own key: inserted with author_insertKey (key type `poq!`), the node's
// off-chain worker commits and reveals for it like for the dev keys, with the model installed in
// the node's base path.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { u8aToHex } from "@polkadot/util";
import { UNIT, answer, devAccounts, keyedAccounts, poqEvent, send, startNode, watch } from "./harness.mjs";

test("a validator key inserted with author_insertKey commits and reveals by itself", async (t) => {
	const node = await startNode();
	t.after(() => node.stop());
	// No --poq-model, and a working directory with no model in it: the node loads the model
	// from its base path.
	assert.ok(node.log().includes(`Quality model loaded from ${join(node.basePath, "poq-model")}:`), node.log());
	const { api } = node;
	const acc = await devAccounts();
	const [grace] = await keyedAccounts(api, acc.Alice, ["Grace"]);
	assert.ok((await api.rpc.author.hasKey(u8aToHex(grace.publicKey), "poq!")).isTrue);
	// As much as each dev validator: seats follow stake, so Grace holds some on every committee.
	await send(api, api.tx.poq.registerValidator(1_000n * UNIT), grace);

	const id = (await api.query.poq.nextRequestId()).toBigInt();
	const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
	await send(api, api.tx.poq.submitRequest("What is the capital of France?", 10n * UNIT), acc.Ferdie);
	await Promise.all([
		answer(api, acc.Dave, [[id, "The capital of France is Paris."]]),
		answer(api, acc.Eve, [[id, "Bananas are yellow."]]),
	]);
	const { records } = await done;
	const byGrace = (method) =>
		records.some(({ record }) => poqEvent(api, record, method, id) && record.event.data.validator.toString() === grace.address);
	assert.ok(byGrace("ScoresCommitted") && byGrace("ScoresRevealed"), "Grace's key acted");
	const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
	const seat = outcome.committee.find((v) => v.validator.toString() === grace.address);
	assert.ok(seat.verdict.isInConsensus);
	assert.ok(seat.paid.toBigInt() > 0n);
});
