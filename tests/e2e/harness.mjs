// The end-to-end harness: starts a built `poq-node --dev` on free ports with its own base path,
// connects @polkadot/api, and always stops the node. The node runs in its base path and finds the
// default model where an operator would install it, in `<base path>/poq-model` (a link to the
// checkout's). It builds nothing: run
// `cargo build --release -p poq-node` first (scripts/test.sh does), or point POQ_NODE at a binary.

import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import { u8aToHex } from "@polkadot/util";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { answer, send, sendAll, waitForWork } from "../../tools/lib/chain.mjs";

export { answer, send, waitForWork };

export const ROOT = resolve(import.meta.dirname, "../..");
export const UNIT = 10n ** 12n;
/** The default quality model, as `scripts/fetch-model.sh` fetches it into the checkout. */
export const MODEL = join(ROOT, "models/weights/all-MiniLM-L6-v2");

/** Where the builds are (`CARGO_TARGET_DIR`, as the scripts set it). */
export const TARGET = process.env.CARGO_TARGET_DIR ?? join(homedir(), ".cache/poq-target");
export const NODE_BINARY = process.env.POQ_NODE ?? join(TARGET, "release/poq-node");
const SCORER_BINARY = process.env.POQ_SCORER ?? join(TARGET, "release/poq-scorer");

/** A free TCP port on localhost. */
export function freePort() {
	return new Promise((ok, fail) => {
		const server = createServer();
		server.unref();
		server.on("error", fail);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address();
			server.close(() => ok(port));
		});
	});
}

/**
 * Starts a node; `basePath` keeps its database (and offchain storage) across starts. By default
 * `poq-node --dev`, the development chain alone, on a node that holds every dev validator's key
 * and seals a block every `blockTimeMs`. With `chain` (`dev`, or a chain spec's path), a node of
 * a development network that keeps only the keys its own keystore has (see `insertKey`); `args`
 * give its part: `--validator --dev-block-time MS` seals, `--bootnodes ADDR --offchain-worker
 * always` follows and scores (`startNetwork` starts both).
 */
export async function startNode({ basePath, blockTimeMs = 1000, args = [], chain } = {}) {
	if (!existsSync(NODE_BINARY)) throw new Error(`no node binary at ${NODE_BINARY}: build it first`);
	const ownBase = !basePath;
	const base = basePath ?? mkdtempSync(join(tmpdir(), "poq-e2e-"));
	// A node that seals must have a network key of its own (`--validator` makes none).
	if (chain && !existsSync(join(base, "chains/poq_dev/network/secret_ed25519")))
		execFileSync(NODE_BINARY, ["key", "generate-node-key", "--chain", chain, "--base-path", base], { stdio: "ignore" });
	const installed = join(base, "poq-model");
	if (!existsSync(installed)) symlinkSync(MODEL, installed);
	const [rpc, prometheus, p2p] = [await freePort(), await freePort(), await freePort()];
	const child = spawn(
		NODE_BINARY,
		[
			...(chain ? ["--chain", chain] : ["--dev", "--dev-block-time", String(blockTimeMs)]),
			"--base-path", base,
			"--rpc-port", String(rpc),
			"--prometheus-port", String(prometheus),
			"--port", String(p2p),
			...args,
		],
		{ cwd: base, stdio: ["ignore", "ignore", "pipe"] },
	);
	let log = "";
	const ready = new Promise((ok, fail) => {
		const timer = setTimeout(() => fail(new Error(`the node did not start:\n${log}`)), 60_000);
		child.stderr.on("data", (chunk) => {
			log += chunk;
			if (log.includes("Running JSON-RPC server")) {
				clearTimeout(timer);
				ok();
			}
		});
		child.on("exit", (code) => {
			clearTimeout(timer);
			fail(new Error(`the node exited with ${code}:\n${log}`));
		});
	});
	const exited = new Promise((ok) => child.on("exit", ok));
	try {
		await ready;
	} catch (error) {
		child.kill("SIGKILL");
		throw error;
	}
	await cryptoWaitReady();
	const api = await ApiPromise.create({ provider: new WsProvider(`ws://127.0.0.1:${rpc}`), noInitWarn: true });
	const peerId = log.match(/Local node identity is: (\w+)/)[1];
	return {
		api,
		ws: `ws://127.0.0.1:${rpc}`,
		basePath: base,
		/** Where its peers reach it (`--bootnodes`). */
		multiaddr: `/ip4/127.0.0.1/tcp/${p2p}/p2p/${peerId}`,
		log: () => log,
		metricsUrl: `http://127.0.0.1:${prometheus}/metrics`,
		/** Stops the node (and removes its base path unless the caller gave one). */
		async stop() {
			await api.disconnect().catch(() => {});
			if (child.exitCode === null) {
				child.kill("SIGINT");
				const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
				await exited;
				clearTimeout(killer);
			}
			if (ownBase) rmSync(base, { recursive: true, force: true });
		},
		/** Kills the node at once (SIGKILL), as a crash or a power cut would; keeps its base path. */
		async kill() {
			await api.disconnect().catch(() => {});
			if (child.exitCode === null) {
				child.kill("SIGKILL");
				await exited;
			}
		},
	};
}

/** Puts the `poq!` key of `suri` in the keystore of `chain` (a development chain) under `basePath`. */
export function insertKey(basePath, suri, chain = "dev") {
	execFileSync(NODE_BINARY, [
		"key", "insert", "--chain", chain, "--base-path", basePath,
		"--key-type", "poq!", "--scheme", "sr25519", "--suri", suri,
	], { stdio: "ignore" });
}

/**
 * A development network of separate processes on `chain`: a node that seals a block every
 * `blockTimeMs` and holds no validator key, and a validator node for each dev account named in
 * `validators` (name → its scorer's threads), which holds only that account's `poq!` key in a
 * keystore of its own, imports the chain from the sealer over the network and scores
 * (`--offchain-worker always`). `restart(name)` starts a stopped or killed validator again on
 * its base path.
 */
export async function startNetwork({ chain = "dev", validators, blockTimeMs = 1000 }) {
	const sealer = await startNode({ chain, args: ["--validator", "--dev-block-time", String(blockTimeMs)] });
	const bases = {};
	const nodes = {};
	const start = (name) =>
		startNode({
			chain,
			basePath: bases[name],
			args: [
				"--bootnodes", sealer.multiaddr,
				"--offchain-worker", "always",
				"--poq-scorer-threads", String(validators[name]),
			],
		});
	const network = {
		sealer,
		nodes,
		async restart(name) {
			nodes[name] = await start(name);
			return nodes[name];
		},
		async stop() {
			await Promise.all([sealer, ...Object.values(nodes)].map((node) => node.stop()));
			for (const base of Object.values(bases)) rmSync(base, { recursive: true, force: true });
		},
	};
	try {
		for (const name of Object.keys(validators)) {
			bases[name] = mkdtempSync(join(tmpdir(), `poq-e2e-${name}-`));
			insertKey(bases[name], `//${name}`, chain);
		}
		await Promise.all(Object.keys(validators).map((name) => network.restart(name)));
	} catch (error) {
		await network.stop();
		throw error;
	}
	return network;
}

/**
 * The judge's red team (`poq-scorer attack --guided`, no language model, reading the judge as
 * well as its scores: the stronger of its two attackers) on each `{ prompt, good }` of `set`,
 * `budget` judge calls a prompt: by prompt, the best text it found, `{ strategy, text, score }`,
 * with the default model's score of the good answer (`good`).
 */
export function redTeam(set, budget) {
	const dir = mkdtempSync(join(tmpdir(), "poq-attack-"));
	const details = join(dir, "details.jsonl");
	const input = set.map(({ prompt, good }) => JSON.stringify({ prompt, good })).join("\n");
	const args = ["attack", "--model", MODEL, "--input", "-", "--budget", String(budget), "--guided", "--details", details];
	execFileSync(SCORER_BINARY, args, { input, stdio: ["pipe", "ignore", "inherit"] });
	const found = readFileSync(details, "utf8").trim().split("\n").map((line) => JSON.parse(line));
	rmSync(dir, { recursive: true, force: true });
	return new Map(found.map(({ prompt, good, best }) => [prompt, { ...best, good }]));
}

/** What the default model gives each `prompt`/`response` pair scored so far. */
const judged = new Map();

/**
 * The default model's score of each of `responses` to `prompt`, computed apart by `poq-scorer
 * score`, as an honest validator outside the node computes them: the node's own to the bit
 * (`Tolerance` is 0: nothing less is in consensus). Loading the model takes seconds, longer than
 * a commit window may have left: a test judges its answers before its request, and
 * `honestScores` then finds them.
 */
export function judge(prompt, responses) {
	const key = (response) => JSON.stringify([prompt, response]);
	const missing = [...new Set(responses.filter((r) => !judged.has(key(r))))];
	if (missing.length > 0) {
		const input = missing.map((response) => JSON.stringify({ prompt, response }) + "\n").join("");
		const scored = execFileSync(SCORER_BINARY, ["score", "--model", MODEL, "--input", "-"], { input, encoding: "utf8" });
		scored.trim().split("\n").forEach((line, i) => judged.set(key(missing[i]), JSON.parse(line).score));
	}
	return responses.map((r) => judged.get(key(r)));
}

/** What an honest validator reveals for request `id`: `judge` of its answers, in their order on chain. */
export async function honestScores(api, id) {
	const [prompt, responses] = (await api.call.poqApi.scoringInput(id)).unwrap();
	return judge(prompt.toUtf8(), responses.map((r) => r.toUtf8()));
}

/** The name of dispatch error `error`. */
function errorName(api, error) {
	if (!error.isModule) return error.toString();
	const meta = api.registry.findMetaError(error.asModule);
	return `${meta.section}.${meta.name}`;
}

/**
 * Walks `call` through the technical committee as its members would: //Alice proposes it for
 * two thirds (2 of //Alice, //Bob and //Charlie), she and //Bob vote for it, she closes the vote.
 * Resolves with the closing block's events and the name of the error the call's dispatch ended
 * with, or null.
 */
export async function motion(api, acc, call) {
	const length = call.method.encodedLength;
	const { events } = await send(api, api.tx.technicalCommittee.propose(2, call, length), acc.Alice);
	const { proposalIndex, proposalHash } = events.find(({ event }) => api.events.technicalCommittee.Proposed.is(event)).event.data;
	for (const member of [acc.Alice, acc.Bob]) {
		await send(api, api.tx.technicalCommittee.vote(proposalHash, proposalIndex, true), member);
	}
	const bound = { refTime: 10_000_000_000n, proofSize: 1_000_000n };
	const closed = await send(api, api.tx.technicalCommittee.close(proposalHash, proposalIndex, bound, length), acc.Alice);
	const { result } = closed.events.find(({ event }) => api.events.technicalCommittee.Executed.is(event)).event.data;
	return { events: closed.events, error: result.isOk ? null : errorName(api, result.asErr) };
}

/** The dev accounts, by name. */
export async function devAccounts() {
	await cryptoWaitReady();
	const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
	const names = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];
	return Object.fromEntries(names.map((n) => [n, keyring.addFromUri(`//${n}`)]));
}

/** A fresh account derived from //Alice, funded by //Alice with `amount`. */
export async function fundedAccount(api, alice, name, amount) {
	const [pair] = await fundedAccounts(api, alice, [name], amount);
	return pair;
}

/** [`fundedAccount`] for each of `names`, the transfers sent together. */
export async function fundedAccounts(api, alice, names, amount) {
	const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
	const pairs = names.map((name) => keyring.addFromUri(`//Alice//${name}`));
	await sendAll(api, pairs.map((pair) => api.tx.balances.transferKeepAlive(pair.address, amount)), alice);
	return pairs;
}

/** The fees (tips included) `who` paid in `events` (TransactionFeePaid), as a bigint. */
export function feePaid(api, events, who) {
	return events
		.filter(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event))
		.filter(({ event }) => event.data.who.toString() === who.toString())
		.reduce((sum, { event }) => sum + event.data.actualFee.toBigInt(), 0n);
}

/** Free and held balance of `who`, now or in the state `at` (`api.at(hash)`). */
export async function balances(api, who, at = api) {
	const { data } = await at.query.system.account(who);
	return { free: data.free.toBigInt(), held: data.reserved.toBigInt() };
}

/**
 * Collects every event of every new block until `until(record, block)` returns true for one of
 * them; resolves with `{ block, records }` (all records seen, each with its block number).
 */
export async function watch(api, until, timeoutMs = 120_000) {
	const records = [];
	let unsubscribe;
	const result = await new Promise((ok, fail) => {
		const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
		// A test that failed first and stopped its node must not wait for this.
		timer.unref();
		api.rpc.chain
			.subscribeNewHeads(async (header) => {
				const block = header.number.toNumber();
				const events = await (await api.at(header.hash)).query.system.events();
				for (const record of events) {
					records.push({ block, record });
					if (until(record, block)) {
						clearTimeout(timer);
						ok({ block, records });
					}
				}
			})
			.then((u) => (unsubscribe = u), fail);
	});
	unsubscribe?.();
	return result;
}

/** Whether `record` is `Poq.<method>` about request `id`. */
export function poqEvent(api, record, method, id) {
	const { event } = record;
	return api.events.poq[method].is(event) && (id === undefined || event.data.id.toBigInt() === BigInt(id));
}

/**
 * Accounts derived from //Alice as `names`, funded with 2 000 UNIT, whose `poq!` keys the node
 * holds (author_insertKey): once registered as validators, its worker acts for them.
 */
export async function keyedAccounts(api, alice, names) {
	const pairs = await fundedAccounts(api, alice, names, 2_000n * UNIT);
	for (const [i, pair] of pairs.entries()) {
		await api.rpc.author.insertKey("poq!", `//Alice//${names[i]}`, u8aToHex(pair.publicKey));
	}
	return pairs;
}

/** What //Dave and //Eve answer in `provisionalRequest`, unless told otherwise: good, and junk. */
export const PROVISIONAL_ANSWERS = {
	Dave: "The capital of France is Paris.",
	Eve: "Bananas are rich in potassium and grow in tropical climates.",
};

/**
 * Submits a request from //Ferdie with a fee of 10 UNIT ("What is the capital of France?")
 * that //Dave and //Eve answer (`answers`: by default well and with junk); once its committee is
 * drawn, registers `later` as validators with `bond` (so that they can only sit on its jury) and
 * runs `meanwhile(id)`. Resolves when the outcome is provisional with `{ id, slotFee, scores,
 * block }` (the block it became provisional in).
 */
export async function provisionalRequest(api, acc, later, bond, meanwhile = async () => {}, answers = PROVISIONAL_ANSWERS) {
	const id = (await api.query.poq.nextRequestId()).toBigInt();
	const drawn = watch(api, (r) => poqEvent(api, r, "CommitteeSelected", id));
	const held = watch(api, (r) => poqEvent(api, r, "RequestProvisional", id) || poqEvent(api, r, "RequestFinalized", id));
	const { events } = await send(api, api.tx.poq.submitRequest("What is the capital of France?", 10n * UNIT), acc.Ferdie);
	const slotFee = events.find(({ event }) => api.events.poq.RequestSubmitted.is(event)).event.data.slotFee.toBigInt();
	await Promise.all([
		answer(api, acc.Dave, [[id, answers.Dave]]),
		answer(api, acc.Eve, [[id, answers.Eve]]),
	]);
	await drawn;
	await Promise.all([...later.map((pair) => send(api, api.tx.poq.registerValidator(bond), pair)), meanwhile(id)]);
	const { records } = await held;
	const event = records.find(({ record }) => poqEvent(api, record, "RequestProvisional", id));
	if (!event) throw new Error(`request ${id} was not provisional before it was final`);
	return { id, slotFee, scores: event.record.event.data.scores.map((s) => s.toNumber()), block: event.block };
}

/** Resolves once `node` is not syncing, has a peer and has imported `sealer`'s best block. */
export async function caughtUp(node, sealer, timeoutMs = 120_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const [health, best, target] = await Promise.all([
			node.api.rpc.system.health(),
			node.api.rpc.chain.getHeader(),
			sealer.api.rpc.chain.getHeader(),
		]);
		const at = best.number.toNumber();
		if (!health.isSyncing.isTrue && health.peers.toNumber() > 0 && at >= target.number.toNumber()) return;
		if (Date.now() > deadline) throw new Error(`the node did not catch up: at #${at}, the sealer at #${target.number}`);
		await new Promise((ok) => setTimeout(ok, 500));
	}
}

/**
 * Runs poq-infer for `suri` against the node at `ws` and the OpenAI-compatible `endpoint`, with
 * a fresh state file, or `kept` written into it first; returns the process and its output so far.
 */
export function runInfer(ws, suri, endpoint, kept) {
	const state = join(mkdtempSync(join(tmpdir(), "poq-infer-")), "state.json");
	if (kept) writeFileSync(state, JSON.stringify(kept));
	return runClient("tools/poq-infer/poq-infer.mjs", ["--ws", ws, "--suri", suri, "--endpoint", endpoint, "--state", state]);
}

/** Runs poq-guard for the validator `suri` against the node at `ws`; as `runClient`. */
export function runGuard(ws, suri) {
	return runClient("tools/poq-guard/poq-guard.mjs", ["--ws", ws, "--suri", suri]);
}

/** Runs the repository's client `script` with `args`; returns the process and its output so far. */
function runClient(script, args) {
	const child = spawn(process.execPath, [join(ROOT, script), ...args], { stdio: ["ignore", "pipe", "pipe"] });
	const out = { text: "", child };
	child.stdout.on("data", (d) => (out.text += d));
	child.stderr.on("data", (d) => (out.text += d));
	return out;
}
