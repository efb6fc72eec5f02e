// Writing for the judge, on a live dev chain (issue 25, item 3). //Eve's node never runs a model:
// its server sends, for each prompt, the best text the judge's red team (`poq-scorer attack
// --guided`: word salad from the model's own vocabulary and the like, no language model, searched
// by climbing the judge's own readings) found against the public judge. //Dave's server sends the
// graded set's good answers. Both answer through poq-infer. The prompts are the held-out set's,
// which the judge's answer stage was not trained on. //Ferdie reads its answers and disputes every
// outcome that pays the red team's text; the jury reruns the committee's model and grades the
// answers with the appeal judge governance pinned (a stand-in OpenAI-compatible server that grades
// the reference answers 9 and any other text 1, as an LLM grades word salad). The committees pay
// the red team's text no more often than the scorer alone does (the judge's answer stage leaves
// most of it unpaid), every payment is disputed and overturned, and over 20 requests the node
// writing for the judge ends poorer than the honest one and no richer than it started.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sendAll, sendEach } from "../../tools/lib/chain.mjs";
import { chatServer } from "../../tools/lib/chat-server.mjs";
import {
	ROOT, UNIT, balances, devAccounts, keyedAccounts, motion, redTeam, runInfer, send, startNode, watch,
} from "./harness.mjs";

const REQUESTS = 20;
/** The red team's judge calls per prompt (the attack used at most 300). */
const BUDGET = 100;
const FEE = 10n * UNIT;
/** Validators besides the three dev ones, as bonded: committees of 15 seats leave some off. */
const EXTRA_VALIDATORS = 27;
const CARD = join(ROOT, "models/appeal-judge/card.json");

test(`a node sending the red team's best text is paid less than an honest node over ${REQUESTS} held-out requests: the judge leaves most of it unpaid, and its client disputes what it pays`, async (t) => {
	// The prompts and good answers of the judge's held-out set; the red team's best text for each.
	const set = readFileSync(join(ROOT, "models/eval/heldout.source.jsonl"), "utf8")
		.trim()
		.split("\n")
		.slice(0, REQUESTS)
		.map((line) => JSON.parse(line));
	const good = new Map(set.map(({ prompt, good }) => [prompt, good]));
	const found = redTeam(set, BUDGET);
	const references = new Set(good.values());
	const appealJudge = await chatServer((question) => (references.has(question.slice(question.indexOf("Answer:\n") + 8)) ? "9" : "1"));
	const honest = await chatServer((prompt) => good.get(prompt));
	const gaming = await chatServer((prompt) => found.get(prompt).text);
	const node = await startNode({ args: ["--poq-appeal-judge", CARD, "--poq-appeal-judge-url", `${appealJudge.url}/v1`] });
	t.after(() => {
		node.stop();
		for (const server of [appealJudge, honest, gaming]) server.close();
	});
	const { api } = node;
	const acc = await devAccounts();
	const minQuality = api.consts.poq.minQuality.toNumber();
	const paidByModel = [...found.values()].filter((best) => best.score >= minQuality).length;
	t.diagnostic(`red team at ${BUDGET} calls: paid on ${paidByModel} of ${REQUESTS} prompts, at or above the good answer on ${[...found.values()].filter((b) => b.score >= b.good).length}`);

	const digest = `0x${createHash("sha256").update(readFileSync(CARD)).digest("hex")}`;
	assert.equal((await motion(api, acc, api.tx.poq.setAppealJudge(digest))).error, null);
	const extra = await keyedAccounts(api, acc.Alice, Array.from({ length: EXTRA_VALIDATORS }, (_, i) => `Juror${i}`));
	await Promise.all(extra.map((pair) => send(api, api.tx.poq.registerValidator(1_000n * UNIT), pair)));

	const clients = [runInfer(node.ws, "//Dave", honest.url), runInfer(node.ws, "//Eve", gaming.url)];
	t.after(() => clients.forEach(({ child }) => child.kill()));
	const total = async (who) => {
		const { free, held } = await balances(api, who.address);
		return free + held;
	};
	const before = { dave: await total(acc.Dave), eve: await total(acc.Eve) };

	// Ferdie's requests, and what Ferdie does with each outcome made provisional: it reads the
	// answers, and disputes one that pays Eve's text, before its window closes. The disputes of
	// outcomes made provisional together go out together (consecutive nonces), each holding the
	// fee.
	const first = (await api.query.poq.nextRequestId()).toNumber();
	const ids = new Set(Array.from({ length: REQUESTS }, (_, i) => BigInt(first + i)));
	const ended = new Set();
	const paidSalad = new Set();
	const toDispute = [];
	// Requests whose committee scored Eve's text at or above Dave's answer.
	const outscored = new Set();
	let reading = Promise.resolve();
	let disputing = Promise.resolve();
	const flush = setInterval(() => {
		if (toDispute.length === 0) return;
		const batch = toDispute.splice(0);
		disputing = disputing.then(async () => {
			await Promise.all(await sendEach(api, batch.map((id) => api.tx.poq.dispute(id, FEE)), acc.Ferdie));
		});
	}, 250);
	t.after(() => clearInterval(flush));
	const finished = watch(
		api,
		({ event }) => {
			if (event.section !== "poq" || !ids.has(event.data.id?.toBigInt())) return false;
			const id = event.data.id.toBigInt();
			if (event.method === "RequestProvisional" && !paidSalad.has(id)) {
				const scores = event.data.scores.map((s) => s.toNumber());
				reading = reading.then(async () => {
					const [, responses] = (await api.call.poqApi.scoringInput(id)).unwrap();
					const salad = responses.findIndex((r) => !references.has(r.toUtf8()));
					if (salad < 0) return;
					if (scores[salad] >= scores[1 - salad]) outscored.add(id);
					if (scores[salad] < minQuality) return;
					paidSalad.add(id);
					toDispute.push(id);
				});
			}
			if (event.method === "RequestFinalized" || event.method === "RequestExpired") ended.add(id);
			return ended.size === REQUESTS;
		},
		600_000,
	);
	await sendAll(api, set.map(({ prompt }) => api.tx.poq.submitRequest(prompt, FEE)), acc.Ferdie);
	const { records } = await finished;
	await Promise.all([reading, disputing]);

	const events = records.map(({ record }) => record).filter(({ event }) => event.section === "poq" && ids.has(event.data.id?.toBigInt()));
	const count = (method) => events.filter(({ event }) => event.method === method).length;
	const findings = events.filter(({ event }) => event.method === "DisputeResolved").map(({ event }) => event.data.finding.type);
	t.diagnostic(
		`the committees paid the red team's text on ${paidSalad.size} of ${REQUESTS} requests, as much as the good answer or more on ${outscored.size}; findings: ${findings.join(", ")}`,
	);
	assert.equal(count("RequestFinalized"), REQUESTS, "every request is final");
	assert.ok(paidSalad.size <= paidByModel, `the committees pay the red team's text no more often than the scorer: ${paidSalad.size}`);
	assert.equal(findings.length, paidSalad.size, "every dispute reached a finding");
	assert.ok(findings.every((f) => f === "Overturned"), `the appeal judge grades the text as junk: ${findings}`);

	const after = { dave: await total(acc.Dave), eve: await total(acc.Eve) };
	const earned = { dave: after.dave - before.dave, eve: after.eve - before.eve };
	t.diagnostic(`over ${REQUESTS} requests: Dave (honest) ${Number(earned.dave) / 1e12} UNIT, Eve (the red team's text) ${Number(earned.eve) / 1e12} UNIT`);
	assert.ok(earned.eve < earned.dave, "the honest node earns more");
	assert.ok(earned.eve <= 0n, "writing for the judge earns nothing: unpaid, or disputed and penalised");
	const slashed = events.filter(({ event }) => event.method === "NodeSlashed" && event.data.node.toString() === acc.Eve.address);
	assert.equal(slashed.length, paidSalad.size, "Eve's node is penalised on every dispute");
});
