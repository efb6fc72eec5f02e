#!/usr/bin/env node
// poq-guard: the watcher of a validator's bonded account. It follows the chain and, whenever an
// outcome is provisional on a request whose committee the account sat on and the outcome is off
// the account's own reveal by more than `Tolerance`, disputes it (protocol v7: any party to a
// request may) or, when a jury upheld it, appeals to the next jury. With `Tolerance` 0 the
// validator's node scores the same bits as every honest member, so such an outcome is not what
// the model gives: a captured majority outvoted the account, which would lose the lie penalty
// on each of its seats. The dispute stakes the deposit (the fee, doubled at each appeal) on the
// jury seeing it the same way; it comes back, with the account's pay, when the jury overturns.
// The node's worker cannot do this: its operator key signs work only, and a dispute holds the
// bonded account's funds, so the guard signs with the account's own key. Deposits above
// `--max-deposit` (in units of the chain's token) are logged and left alone. When it starts it
// reads the blocks of the last dispute window, so an outcome made provisional just before is not
// missed.
//
//   node tools/poq-guard/poq-guard.mjs --suri //Alice [--ws ws://127.0.0.1:9944] [--max-deposit 100]
//   (--suri-file <file> reads the secret from a file instead)

import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { appeal, appealDeposit, dispute, planck, runtimeUpgraded } from "../lib/chain.mjs";

const log = (message) => console.log(`${new Date().toISOString()} poq-guard: ${message}`);

/**
 * Whether a member who revealed `reveal` holds the outcome `scores` wrong: a score of one answer
 * differs from its own by more than `tolerance`.
 */
export function contests(reveal, scores, tolerance) {
	return reveal.length !== scores.length || reveal.some((score, i) => Math.abs(score - scores[i]) > tolerance);
}

async function main() {
	const { values: args } = parseArgs({
		options: {
			ws: { type: "string", default: "ws://127.0.0.1:9944" },
			suri: { type: "string" },
			"suri-file": { type: "string" },
			"max-deposit": { type: "string", default: "100" },
		},
	});
	const secret = args.suri ?? (args["suri-file"] && readFileSync(args["suri-file"], "utf8").trim());
	if (!secret) throw new Error("--suri or --suri-file is required");
	await cryptoWaitReady();
	const account = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri(secret);
	log(`account ${account.address}, deposits up to ${args["max-deposit"]}`);
	// What outlives a connection: the outcomes already disputed or appealed, as `<id>/<level>`.
	const asked = new Set();
	// A client connected before a runtime upgrade loses the runtime's APIs (@polkadot/api
	// reloads the new metadata without them): connect again.
	for (;;) {
		const upgraded = await guard(args, account, asked);
		log(`the runtime was upgraded to spec_version ${upgraded}: connecting again`);
	}
}

/**
 * Guards `account` on one connection until the chain's runtime is upgraded; resolves then, with
 * the new spec_version, once the connection is closed.
 */
async function guard(args, account, asked) {
	const api = await ApiPromise.create({ provider: new WsProvider(args.ws), noInitWarn: true });
	const specVersion = api.runtimeVersion.specVersion.toNumber();
	const decimals = api.registry.chainDecimals[0] ?? 12;
	const limit = planck(api, args["max-deposit"]);
	const tolerance = api.consts.poq.tolerance.toNumber();
	const amount = (value) => (Number(value) / 10 ** decimals).toFixed(4);

	/**
	 * Disputes or appeals the provisional outcome `scores` of request `id` if this account
	 * contests it and the outcome is still provisional in the chain's state `at`.
	 */
	const consider = async (at, id, scores) => {
		const request = (await at.query.poq.requests(id)).unwrapOr(null);
		if (!request?.phase.isProvisional) return;
		const me = request.committee.find((member) => member.who.toString() === account.address);
		if (!me || me.reveal.isNone) return;
		const mine = me.reveal.unwrap().map((score) => score.toNumber());
		if (!contests(mine, scores, tolerance)) return;
		const open = (await at.query.poq.disputes(id)).unwrapOr(null);
		const level = open ? open.rulings.length + 1 : 1;
		if (asked.has(`${id}/${level}`)) return;
		asked.add(`${id}/${level}`);
		const deposit = appealDeposit(api, request.fee.toBigInt(), level);
		const what = `request ${id}: the outcome ${scores.join(", ")} is off this validator's reveal ${mine.join(", ")}`;
		if (deposit > limit) {
			log(`${what}; asking jury ${level} holds ${amount(deposit)}, above --max-deposit: left alone`);
			return;
		}
		log(`${what}: ${level === 1 ? "disputing" : `appealing to jury ${level}`}, holding ${amount(deposit)}`);
		try {
			const { block } = level === 1 ? await dispute(api, id, account, deposit) : await appeal(api, id, account, deposit);
			log(`request ${id}: jury ${level} asked in block #${block}`);
		} catch (error) {
			// Another party may have asked first (`AlreadyDisputed`): a jury sits either way.
			log(`request ${id}: asking jury ${level} failed: ${error.message}`);
		}
	};

	/** The outcomes made provisional in block `hash`, by request id. */
	const provisional = async (hash) => {
		const outcomes = new Map();
		for (const { event } of await (await api.at(hash)).query.system.events()) {
			if (event.section !== "poq" || event.method !== "RequestProvisional") continue;
			outcomes.set(event.data.id.toBigInt(), event.data.scores.map((s) => s.toNumber()));
		}
		return outcomes;
	};

	// What became provisional in the last dispute window (the latest outcome of each request),
	// then what becomes provisional, block after block in order.
	const best = await api.rpc.chain.getHeader();
	const window = api.consts.poq.disputeWindow.toNumber();
	const recent = new Map();
	for (let n = Math.max(0, best.number.toNumber() - window); n <= best.number.toNumber(); n++) {
		for (const [id, scores] of await provisional(await api.rpc.chain.getBlockHash(n))) recent.set(id, scores);
	}
	const now = await api.at(best.hash);
	for (const [id, scores] of recent) await consider(now, id, scores);
	let followed = Promise.resolve();
	const unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
		followed = followed
			.then(async () => {
				const at = await api.at(header.hash);
				for (const [id, scores] of await provisional(header.hash)) await consider(at, id, scores);
			})
			.catch((error) => log(`#${header.number}: ${error.message}`));
	});
	const upgraded = await runtimeUpgraded(api, specVersion);
	unsubscribe();
	await api.disconnect();
	return upgraded;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	main().catch((error) => {
		log(`fatal: ${error.message}`);
		process.exit(1);
	});
}
