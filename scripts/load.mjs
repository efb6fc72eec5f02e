#!/usr/bin/env node
// Drives a dev chain at the runtime's real block limits to saturation and reports what it
// settles: a fresh `poq-node --dev` with `--dev-block-time` (default 6000 ms, the runtime's slot),
// //Ferdie submitting requests in waves, two poq-infer clients (//Dave and //Eve) answering them
// from a local model server with short answers (so the chain's side is measured, not the
// model's), and the node's three validators scoring, committing and revealing.
//
//   node scripts/load.mjs [--requests 600] [--per-block 150] [--block-time 6000]
//
// Prints a table: requests settled per block, blocks from a request's last answer to its
// settlement, block weight and proof size per settled request, and, from the node's Prometheus
// metrics, how many (prompt, answer) pairs a second the validators' model scored.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Keyring } from "@polkadot/keyring";
import { ROOT, UNIT, devAccounts, startNode } from "../tests/e2e/harness.mjs";
import { sendAll } from "../tools/lib/chain.mjs";
import { chatServer } from "../tools/lib/chat-server.mjs";
import { sample, scrape } from "../tools/lib/metrics.mjs";

const { values: args } = parseArgs({
	options: {
		requests: { type: "string", default: "600" },
		"per-block": { type: "string", default: "150" },
		"block-time": { type: "string", default: "6000" },
		"timeout-blocks": { type: "string", default: "200" },
	},
});
const total = Number(args.requests);
const perBlock = Number(args["per-block"]);
const blockTimeMs = Number(args["block-time"]);

const node = await startNode({ blockTimeMs });
const { api } = node;
const acc = await devAccounts();
const state = mkdtempSync(join(tmpdir(), "poq-load-"));
const server = await chatServer((prompt) => (prompt.includes("plus") ? `${prompt.length} is the answer.` : "No idea."));
const infer = ["//Dave", "//Eve"].map((suri, i) =>
	spawn(
		process.execPath,
		[join(ROOT, "tools/poq-infer/poq-infer.mjs"), "--suri", suri, "--ws", node.ws, "--endpoint", server.url, "--state", join(state, `${i}.json`)],
		{ stdio: "ignore" },
	),
);

// What each block did.
const blocks = [];
const lastAnswer = new Map();
const submittedIds = [];
const submittedAt = new Map();
const settled = new Map();
let submitted = 0;
const unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
	const at = await api.at(header.hash);
	const [events, weight] = await Promise.all([at.query.system.events(), at.query.system.blockWeight()]);
	const number = header.number.toNumber();
	let finalized = 0;
	for (const { event } of events) {
		if (event.section !== "poq") continue;
		const id = event.data.id?.toBigInt();
		if (event.method === "RequestSubmitted") {
			submittedIds.push(id);
			submittedAt.set(id, number);
		}
		if (event.method === "ResponseRevealed") lastAnswer.set(id, number);
		if (event.method === "RequestFinalized" || event.method === "RequestExpired") {
			settled.set(id, { block: number, finalized: event.method === "RequestFinalized" });
			finalized += 1;
		}
	}
	const classes = ["normal", "operational", "mandatory"].map((c) => weight[c]);
	blocks.push({
		number,
		settled: finalized,
		refTime: classes.reduce((sum, w) => sum + w.refTime.toBigInt(), 0n),
		proofSize: classes.reduce((sum, w) => sum + w.proofSize.toBigInt(), 0n),
	});
});

// What the work transactions of one request (its answers, and a committee whose every seat is a
// different member: the most it can have) would cost at the base fee if work were not free, with
// short answers and with the longest: what `MinFee` is held against. (The client's own
// `submit_request` pays its fee, prompt included.)
const zero = `0x${"00".repeat(32)}`;
const txCost = async (tx, times) => (await tx.paymentInfo(acc.Alice)).partialFee.toBigInt() * BigInt(times);
const nodes = api.consts.poq.nodesPerRequest.toNumber();
const members = api.consts.poq.committeeSize.toNumber();
const workTransactions = 2 * (nodes + members);
const carriedWith = async (answer) =>
	(
		await Promise.all([
			txCost(api.tx.poq.commitResponse(0, zero), nodes),
			txCost(api.tx.poq.revealResponse(0, answer, zero), nodes),
			txCost(api.tx.poq.commitScores(0, zero), members),
			txCost(api.tx.poq.revealScores(0, Array(nodes).fill(0), zero), members),
		])
	).reduce((a, b) => a + b, 0n);
const carried = await carriedWith("x".repeat(32));
const carriedLongest = await carriedWith("x".repeat(api.consts.poq.maxOutputLen.toNumber()));
const minFee = api.consts.poq.minFee.toBigInt();

// One client account per wave, so that a wave goes out every block time without waiting for the
// one before to land.
const fee = 10n * UNIT;
const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
const clients = Array.from({ length: Math.ceil(total / perBlock) }, (_, w) => keyring.addFromUri(`//Alice//load${w}`));
await sendAll(api, clients.map((c) => api.tx.balances.transferKeepAlive(c.address, BigInt(perBlock + 10) * fee)), acc.Alice);

const started = Date.now();
const waves = [];
for (const client of clients) {
	const wave = Math.min(perBlock, total - submitted);
	const txs = Array.from({ length: wave }, (_, i) => api.tx.poq.submitRequest(`Question ${submitted + i}: what is ${i} plus ${i}?`, fee));
	// Immortal: on a busy node the pool's view can lag the head a client signs against, and a
	// transaction born in a block the pool has not seen yet is refused as ancient.
	waves.push(sendAll(api, txs, client, { era: 0 }).catch((error) => ({ error })));
	submitted += wave;
	await new Promise((ok) => setTimeout(ok, blockTimeMs));
}
const failed = (await Promise.all(waves)).filter((wave) => wave.error);
if (failed.length > 0) console.log(`${failed.length} waves failed: ${failed.map((wave) => wave.error.message).join("; ")}`);
// What landed: a wave refused as a whole (`TooManyLiveRequests`) submitted nothing.
await new Promise((ok) => setTimeout(ok, 2 * blockTimeMs));
const ids = submittedIds;
const deadline = blocks.at(-1).number + Number(args["timeout-blocks"]);
while (!ids.every((id) => settled.has(id)) && blocks.at(-1).number < deadline) {
	await new Promise((ok) => setTimeout(ok, blockTimeMs));
}
const seconds = (Date.now() - started) / 1000;
const metrics = await scrape(node.metricsUrl);
const metric = (name) => sample(metrics, name);
unsubscribe();
infer.forEach((child) => child.kill());
await server.close();
await node.stop();
rmSync(state, { recursive: true, force: true });

// Busy blocks: from the first settlement to the last.
const busy = blocks.filter((b) => b.settled > 0);
const span = blocks.filter((b) => b.number >= busy[0].number && b.number <= busy.at(-1).number);
const done = ids.filter((id) => settled.has(id));
const finalized = done.filter((id) => settled.get(id).finalized).length;
const waits = done.filter((id) => lastAnswer.has(id)).map((id) => settled.get(id).block - lastAnswer.get(id)).sort((a, b) => a - b);
const lives = done.map((id) => settled.get(id).block - submittedAt.get(id)).sort((a, b) => a - b);
const sumRef = span.reduce((s, b) => s + b.refTime, 0n);
const sumProof = span.reduce((s, b) => s + b.proofSize, 0n);
const settledInSpan = span.reduce((s, b) => s + b.settled, 0);
const pairs = metric("poq_scores_computed_total");
const scoringSeconds = metric("poq_scoring_seconds_sum");
const rows = [
	["machine", `${cpus().length} × ${cpus()[0].model}`],
	["block time", `${blockTimeMs} ms`],
	["requests submitted", `${total}, ${perBlock} a block from one client each; all settled in ${seconds.toFixed(0)} s`],
	["finalized / expired / unfinished / refused", `${finalized} / ${done.length - finalized} / ${ids.length - done.length} / ${total - ids.length}`],
	["settled per block, busiest", `${Math.max(...span.map((b) => b.settled))}`],
	["settled per block, mean from first to last settlement", `${(settledInSpan / span.length).toFixed(1)} over ${span.length} blocks`],
	["blocks from submission to settlement, median / max", `${lives[Math.floor(lives.length / 2)]} / ${lives.at(-1)}`],
	["blocks from last answer to settlement, median / max", `${waits[Math.floor(waits.length / 2)]} / ${waits.at(-1)}`],
	["block weight per settled request (ref time)", `${(Number(sumRef / BigInt(Math.max(settledInSpan, 1))) / 1e9).toFixed(2)} ms`],
	["block proof size per settled request", `${(Number(sumProof / BigInt(Math.max(settledInSpan, 1))) / 1024).toFixed(1)} KiB`],
	["most block weight used in a block", `${(Number(span.reduce((m, b) => (b.refTime > m ? b.refTime : m), 0n)) / 1e9).toFixed(0)} ms of 2000`],
	[
		`base fee of one request's ${workTransactions} work transactions, 32-byte / longest answers, against MinFee`,
		`${(Number(carried) / 1e9).toFixed(1)} / ${(Number(carriedLongest) / 1e9).toFixed(1)} mUNIT, MinFee ${(Number(minFee) / 1e9).toFixed(0)} mUNIT`,
	],
	["pairs scored per second (one model call per worker round)", `${(pairs / Math.max(scoringSeconds, 1e-9)).toFixed(0)} (${pairs} pairs in ${scoringSeconds.toFixed(1)} s)`],
];
console.log("| | |\n|---|---|");
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
process.exit(finalized === ids.length ? 0 : 1);
