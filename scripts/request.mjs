// Drives PoQ requests through a running dev chain with @polkadot/api and prints what happens
// block by block: //Ferdie asks, //Dave answers well and //Eve off-topic (each commits to its
// answer, then reveals it), the node's validators
// (//Alice //Bob //Charlie, through the off-chain worker) score, commit and reveal, and the chain
// settles. Exits non-zero unless every request is finalized with Dave's answer scored higher and
// every validator of its committee in consensus.
//
//   node scripts/request.mjs [--ws ws://127.0.0.1:9944] [--timeout 120]
//        [--prompt "..." ...]   the questions, one request each, in turn
//        [--clients]            Dave and Eve answer through their own poq-infer clients
//                               (scripts/demo.sh starts them); otherwise this script answers
//        [--metrics NAME=URL ...]  at the end, what each of these nodes spent importing blocks
//                               and scoring (its Prometheus /metrics address)

import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { parseArgs } from "node:util";
import { answer, send } from "../tools/lib/chain.mjs";
import { describeCosts, nodeCosts } from "../tools/lib/metrics.mjs";

const { values: args } = parseArgs({
	options: {
		ws: { type: "string", default: "ws://127.0.0.1:9944" },
		timeout: { type: "string", default: "120" },
		prompt: { type: "string", multiple: true, default: ["What is the capital of France?"] },
		clients: { type: "boolean", default: false },
		metrics: { type: "string", multiple: true, default: [] },
	},
});

/** What this script answers for Dave and Eve without `--clients`. */
const ANSWERS = {
	Dave: "The capital of France is Paris.",
	Eve: "Bananas are rich in potassium and grow in tropical climates.",
};
/** The events of a draw, which waits for fresh randomness. */
const DRAWS = ["NodesSelected", "CommitteeSelected", "JurySelected"];
const UNIT = 10n ** 12n;
const FEE = 10n * UNIT;

const fmt = (balance) => `${(Number(BigInt(balance.toString())) / Number(UNIT)).toFixed(4)} POQ`;

async function main() {
	await cryptoWaitReady();
	const api = await ApiPromise.create({ provider: new WsProvider(args.ws), noInitWarn: true });
	const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
	const accounts = Object.fromEntries(
		["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"].map((n) => [n, keyring.addFromUri(`//${n}`)]),
	);
	const name = (address) =>
		Object.entries(accounts).find(([, pair]) => pair.address === address.toString())?.[0] ?? address.toString();
	const model = await api.query.poq.qualityModel();
	console.log(`chain ${await api.rpc.system.chain()}, quality model ${model.toString()}`);

	for (const prompt of args.prompt) await runRequest(api, accounts, name, prompt);
	for (const node of args.metrics) {
		const [who, url] = node.split("=");
		console.log(`${who}: ${describeCosts(await nodeCosts(url))}`);
	}
	await api.disconnect();
}

/** Sends one request and follows it to settlement. */
async function runRequest(api, accounts, name, prompt) {
	let id = null;
	let started;
	const answers = {};
	const responded = new Set();
	let done;
	const finished = new Promise((resolve) => (done = resolve));

	// Each draw: how many blocks it waited for randomness first known after the phase before it
	// closed. The request's parent state holds the block its randomness had to be fresh from
	// (`ends_at`); the draw is first tried in the block after that one.
	const draws = [];
	const waited = async (block, parent) => {
		const request = await (await api.at(parent)).query.poq.requests(id);
		return block - request.unwrap().endsAt.toNumber() - 1;
	};

	// The block-by-block trace: every PoQ event of the request, as the chain emits it, with the
	// seconds since the block that carried it. Drawn inference nodes commit to their answers as
	// soon as they see they were drawn.
	const trace = async (block, records, at, parent) => {
		for (const { event } of records) {
			if (event.section !== "poq" || event.data.id?.toBigInt() !== id) continue;
			const detail = event.data.toHuman();
			for (const key of ["who", "node", "validator"]) if (detail[key]) detail[key] = name(detail[key]);
			if (detail.nodes) detail.nodes = detail.nodes.map(name);
			for (const body of ["committee", "jury"]) {
				if (detail[body]) detail[body] = detail[body].map(([who, seats]) => `${name(who)} ×${seats}`);
			}
			const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
			let note = "";
			if (DRAWS.includes(event.method) && parent) {
				const wait = await waited(block, parent);
				draws.push(wait);
				note = wait > 0 ? `  (waited ${wait} block(s) for new relay randomness)` : "";
			}
			console.log(`#${block} ${seconds} s  ${event.method} ${JSON.stringify(detail)}${note}`);
			if (event.method === "ResponseRevealed" && at) {
				at.query.poq.outputs(id, event.data.node).then((o) => {
					if (o.isSome) answers[name(event.data.node)] = new TextDecoder().decode(o.unwrap());
				});
			}
			if (event.method === "NodesSelected" && !args.clients) {
				for (const node of event.data.nodes) {
					const n = name(node);
					if (!ANSWERS[n] || responded.has(n)) continue;
					responded.add(n);
					answers[n] = ANSWERS[n];
					answer(api, accounts[n], [[id, ANSWERS[n]]]).catch((e) =>
						console.error(`${n}'s answer failed: ${e.message}`),
					);
				}
			}
			if (event.method === "RequestFinalized" || event.method === "RequestExpired") {
				done({ block, method: event.method });
			}
		}
	};

	const { block: submittedAt, events } = await send(api, api.tx.poq.submitRequest(prompt, FEE), accounts.Ferdie);
	// Seconds count from the block that carried the request (on a new relay network the first
	// parachain block comes minutes after the request is sent).
	started = Date.now();
	id = events.find(({ event }) => api.events.poq.RequestSubmitted.is(event)).event.data.id.toBigInt();
	console.log(`\nrequest ${id}: "${prompt}" from Ferdie with a fee of ${fmt(FEE)}`);
	await trace(submittedAt, events);
	// One block after another, so that the trace keeps the chain's order.
	let traced = Promise.resolve();
	const unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
		const block = header.number.toNumber();
		if (block <= submittedAt) return;
		traced = traced
			.then(async () => {
				const at = await api.at(header.hash);
				await trace(block, await at.query.system.events(), at, header.parentHash);
			})
			.catch((e) => console.error(`block #${block}: ${e.message}`));
	});

	const timeout = new Promise((_, reject) =>
		setTimeout(() => reject(new Error(`no settlement within ${args.timeout} s`)), Number(args.timeout) * 1000),
	);
	const end = await Promise.race([finished, timeout]);
	unsubscribe();

	// The outcome as clients read it: the runtime API, through state_call.
	const status = await api.call.poqApi.requestStatus(id);
	const outcome = status.unwrap().asFinished;
	console.log(`request ${id} ${end.method} at #${end.block}, ${end.block - submittedAt} blocks and ` +
		`${((Date.now() - started) / 1000).toFixed(1)} s after the block that carried it`);
	const late = draws.filter((w) => w > 0);
	console.log(`  draws: ${draws.length}, of which ${late.length} waited for new relay randomness ` +
		`(${late.reduce((a, b) => a + b, 0)} block(s) in all)`);
	const scores = {};
	for (const r of outcome.responses) {
		const n = name(r.node);
		scores[n] = r.score.isSome ? r.score.unwrap().toNumber() : null;
		console.log(`  ${n.padEnd(8)} score ${String(scores[n]).padStart(5)}  paid ${fmt(r.paid)}   "${answers[n] ?? ""}"`);
	}
	for (const v of outcome.committee) {
		console.log(`  ${name(v.validator).padEnd(8)} ${v.verdict.toString().padEnd(12)} paid ${fmt(v.paid)}  slashed ${fmt(v.slashed)}`);
	}
	console.log(`  refund to Ferdie ${fmt(outcome.refund)}`);

	if (end.method !== "RequestFinalized") throw new Error(`the request ended ${end.method}`);
	if (!(scores.Dave > scores.Eve)) throw new Error("the good answer did not score higher");
	// Honest validators with the same model agree to the bit (Tolerance 0).
	const apart = outcome.committee.filter((v) => v.verdict.type !== "InConsensus").map((v) => name(v.validator));
	if (apart.length > 0) throw new Error(`not in consensus: ${apart.join(", ")}`);
}

main().then(
	() => process.exit(0),
	(error) => {
		console.error(`error: ${error.message}`);
		process.exit(1);
	},
);
