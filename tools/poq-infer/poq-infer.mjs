#!/usr/bin/env node
// poq-infer: the inference-node client. It registers its account as an inference node if needed,
// watches the chain for requests it was drawn for, asks an OpenAI-compatible endpoint
// (`/v1/chat/completions`, as llama.cpp's server, vLLM and Ollama serve it) for the answer, and
// answers in the protocol's two steps: it commits to the answer with a fresh secret salt, and
// once every drawn node has committed (or the window closed) it reveals the answer and the salt.
// The answer and salt are kept in a state file between the two steps, so a restart in between
// still reveals (a node that commits and never reveals loses `NodePenalty`). An unreachable or
// failing endpoint is retried on the next block while the request's window lasts; a request is
// answered at most once. What the node has to do in a block (reveals, then commitments) goes in
// one `submitWork` batch, free of fees when valid; requests paying less than `--min-fee` (in
// units of the chain's token) are left alone. It then follows each request it answered to the
// end and logs it: the provisional outcome and its dispute window, a client's dispute, the jury
// and what it found (with the appeal judge's grade of this node's answer when one is pinned),
// and what the node was paid or lost.
//
//   node tools/poq-infer/poq-infer.mjs --suri //Dave --endpoint http://127.0.0.1:8080 \
//        [--ws ws://127.0.0.1:9944] [--model default] [--bond 100] [--max-tokens 512] \
//        [--state ~/.local/share/poq-infer/<genesis hash>/<account>.json] [--min-fee 0.05]
//   (--suri-file <file> reads the secret from a file instead)

import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import { u8aToHex } from "@polkadot/util";
import { blake2AsHex, cryptoWaitReady, randomAsU8a } from "@polkadot/util-crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { planck, runtimeUpgraded, send, sendAll, workCalls } from "../lib/chain.mjs";
import { answerCommitment } from "../lib/commitment.mjs";

const { values: args } = parseArgs({
	options: {
		ws: { type: "string", default: "ws://127.0.0.1:9944" },
		suri: { type: "string" },
		"suri-file": { type: "string" },
		endpoint: { type: "string" },
		model: { type: "string", default: "default" },
		bond: { type: "string", default: "100" },
		"max-tokens": { type: "string", default: "512" },
		"request-timeout": { type: "string", default: "60" },
		state: { type: "string" },
		"min-fee": { type: "string", default: "0" },
	},
});

const log = (message) => console.log(`${new Date().toISOString()} poq-infer: ${message}`);

/** The endpoint's answer to `prompt`, or a thrown error saying why not. */
export async function complete(endpoint, model, prompt, maxTokens, timeoutSeconds) {
	const response = await fetch(new URL("/v1/chat/completions", endpoint), {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ model, messages: [{ role: "user", content: prompt }], max_tokens: maxTokens }),
		signal: AbortSignal.timeout(timeoutSeconds * 1000),
	});
	if (!response.ok) throw new Error(`the endpoint answered HTTP ${response.status}`);
	const body = await response.json();
	const content = body?.choices?.[0]?.message?.content;
	if (typeof content !== "string") throw new Error("the endpoint's reply has no choices[0].message.content");
	return content;
}

/**
 * The answers committed and not yet revealed, by request id, kept in a JSON file that is
 * replaced atomically on every change:
 * `{ "<id>": { "output": "...", "salt": "0x...", "prompt": "<blake2-256 of the prompt>" } }`.
 */
export class Kept {
	constructor(path) {
		this.path = path;
		try {
			this.entries = JSON.parse(readFileSync(path, "utf8"));
		} catch (error) {
			if (error.code !== "ENOENT") throw new Error(`cannot read the state file ${path}: ${error.message}`);
			this.entries = {};
		}
	}

	get(id) {
		return this.entries[String(id)];
	}

	ids() {
		return Object.keys(this.entries).map(BigInt);
	}

	set(id, entry) {
		this.entries[String(id)] = entry;
		this.save();
	}

	delete(id) {
		delete this.entries[String(id)];
		this.save();
	}

	save() {
		mkdirSync(dirname(this.path), { recursive: true });
		writeFileSync(`${this.path}.tmp`, JSON.stringify(this.entries));
		renameSync(`${this.path}.tmp`, this.path);
	}
}

/** `text` cut to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text, maxBytes) {
	const bytes = new TextEncoder().encode(text);
	if (bytes.length <= maxBytes) return text;
	let end = maxBytes;
	while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
	return new TextDecoder().decode(bytes.slice(0, end));
}

async function main() {
	if (!args.endpoint) throw new Error("--endpoint is required");
	const secret = args.suri ?? (args["suri-file"] && readFileSync(args["suri-file"], "utf8").trim());
	if (!secret) throw new Error("--suri or --suri-file is required");
	await cryptoWaitReady();
	const account = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri(secret);
	log(`account ${account.address}, endpoint ${args.endpoint}, model ${args.model}`);
	// What outlives a connection: answers being generated, requests left alone, requests this
	// node revealed an answer to (followed until they end), and the kept answers' file.
	const memory = { generating: new Set(), skipped: new Set(), answered: new Set(), kept: null };
	// A client connected before a runtime upgrade loses the runtime's APIs (@polkadot/api
	// reloads the new metadata without them): connect again, with the answers kept on disk.
	for (;;) {
		const upgraded = await serve(account, memory);
		log(`the runtime was upgraded to spec_version ${upgraded}: connecting again`);
	}
}

/**
 * Serves `account` on one connection until the chain's runtime is upgraded; resolves then, with
 * the new spec_version, once the connection is closed.
 */
async function serve(account, memory) {
	const { generating, skipped, answered } = memory;
	const api = await ApiPromise.create({ provider: new WsProvider(args.ws), noInitWarn: true });
	const specVersion = api.runtimeVersion.specVersion.toNumber();
	const maxOutput = api.consts.poq.maxOutputLen.toNumber();
	const decimals = BigInt(api.registry.chainDecimals[0] ?? 12);
	// Requests paying less than this are left alone (default: every fee the chain allows).
	const minFee = planck(api, args["min-fee"] ?? 0);

	if ((await api.query.poq.participants(account.address)).isNone) {
		const bond = BigInt(args.bond) * 10n ** decimals;
		log(`not registered: registering as an inference node with a bond of ${args.bond}`);
		await send(api, api.tx.poq.registerInferenceNode(bond), account);
		log("registered");
	}

	// One file per chain and account: request ids restart from 0 on every chain.
	const genesis = api.genesisHash.toHex();
	const statePath = args.state ?? join(homedir(), ".local/share/poq-infer", genesis, `${account.address}.json`);
	// One for the process: an answer generated across a reconnection is kept in it.
	if (!memory.kept) {
		memory.kept = new Kept(statePath);
		log(`answers between commit and reveal are kept in ${statePath}`);
	}
	const { kept } = memory;

	// Whether a batch of work is on its way: one at a time, so the next batch is built from
	// what has landed.
	let sending = false;
	/** The kept answer to request `id` if it answers the prompt on chain, else `undefined`. */
	const keptAnswer = async (id) => {
		// A state file given to another chain (`--state`) holds other requests under these ids.
		const promptBytes = (await api.query.poq.prompts(id)).unwrap();
		const entry = kept.get(id);
		return { entry: entry?.prompt === blake2AsHex(promptBytes) ? entry : undefined, promptBytes };
	};
	/** Generates and keeps an answer to request `id`, in the background. */
	const generate = (id, promptBytes) => {
		generating.add(id);
		const prompt = new TextDecoder().decode(promptBytes);
		complete(args.endpoint, args.model, prompt, Number(args["max-tokens"]), Number(args["request-timeout"]))
			.then((output) => {
				kept.set(id, { output: truncateUtf8(output, maxOutput), salt: u8aToHex(randomAsU8a(32)), prompt: blake2AsHex(promptBytes) });
				log(`request ${id}: answer ready (${output.length} characters)`);
			})
			.catch((error) => log(`request ${id}: generating failed: ${error.message}; trying again on a later block while its window lasts`))
			.finally(() => generating.delete(id));
	};
	/** Whether request `id` pays less than `--min-fee`: then this node leaves it alone. */
	const tooCheap = async (id) => {
		if (minFee === 0n) return false;
		const status = await api.call.poqApi.requestStatus(id);
		const fee = status.isSome && status.unwrap().isLive ? status.unwrap().asLive.fee.toBigInt() : 0n;
		if (fee >= minFee) return false;
		if (!skipped.has(id)) log(`request ${id}: its fee is below --min-fee: not answering`);
		skipped.add(id);
		return true;
	};
	// Forgets kept answers of requests that are over (expired before the reveal, say).
	const forgetFinished = async () => {
		for (const id of kept.ids()) {
			if (generating.has(id)) continue;
			const status = await api.call.poqApi.requestStatus(id);
			if (status.isNone || status.unwrap().isFinished) kept.delete(id);
		}
	};

	const unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
		if (answered.size > 0) {
			try {
				const events = await (await api.at(header.hash)).query.system.events();
				for (const { event } of events) {
					const said = event.section === "poq" && followed(event, account.address, answered, Number(decimals));
					if (said) log(said);
				}
			} catch (error) {
				log(`#${header.number}: cannot read its events: ${error.message}`);
			}
		}
		if (sending) return;
		sending = true;
		try {
			const work = await api.call.poqApi.pendingWork(account.address);
			await forgetFinished();
			// Reveals first, then commitments: what this node has to do in this block, in one
			// batch. An answer kept from before a restart is committed again, never replaced: the
			// chain may hold a commitment to it already.
			const reveals = [];
			const commits = [];
			for (const [rawId, task] of work) {
				const id = rawId.toBigInt();
				if (task.isRevealResponse) {
					const entry = kept.get(id);
					if (entry) reveals.push({ RevealResponse: { id, output: entry.output, salt: entry.salt } });
					else log(`request ${id}: no answer kept for it (the state file was lost): it cannot be revealed`);
				}
				if (task.isRespond && !generating.has(id) && !(await tooCheap(id))) {
					const { entry, promptBytes } = await keptAnswer(id);
					if (entry) commits.push({ CommitResponse: { id, commitment: answerCommitment(id, account.address, entry.output, entry.salt) } });
					else generate(id, promptBytes);
				}
			}
			const pieces = [...reveals, ...commits];
			if (pieces.length === 0) return;
			await sendAll(api, workCalls(api, pieces), account);
			for (const { RevealResponse } of reveals) {
				kept.delete(RevealResponse.id);
				answered.add(BigInt(RevealResponse.id));
			}
			log(`#${header.number}: revealed ${reveals.length} and committed to ${commits.length} answers`);
		} catch (error) {
			log(`#${header.number}: ${error.message}; trying again on a later block while the windows last`);
		} finally {
			sending = false;
		}
	});
	const disconnected = () => log("disconnected from the node; reconnecting");
	api.on("disconnected", disconnected);
	const upgraded = await runtimeUpgraded(api, specVersion);
	unsubscribe();
	api.off("disconnected", disconnected);
	await api.disconnect();
	return upgraded;
}

/**
 * What event `event` of the poq pallet says to the inference node `me` about request `id`, one
 * of those it answered, or null for events about other requests or of no concern to it.
 * `responders` are the request's answering nodes in order (for the jury's grades).
 */
export function followed(event, me, answered, decimals = 12) {
	const data = event.data;
	const id = data.id?.toBigInt?.();
	if (id === undefined || !answered.has(id)) return null;
	const amount = (value) => `${(Number(value.toBigInt()) / 10 ** decimals).toFixed(4)}`;
	switch (event.method) {
		case "RequestProvisional":
			return `request ${id}: provisional, scores ${data.scores.join(", ")}; it may be disputed until block #${data.disputeBy}`;
		case "Disputed":
			return `request ${id}: disputed by ${data.who} (deposit ${amount(data.deposit)}); a jury is drawn`;
		case "Appealed":
			return `request ${id}: the jury's finding appealed by ${data.who} (deposit ${amount(data.deposit)}); jury ${data.level} is drawn`;
		case "JurySelected":
			return `request ${id}: a jury of ${data.jury.reduce((seats, [, n]) => seats + n.toNumber(), 0)} seats sits`;
		case "DisputeResolved": {
			const grades = data.grades.length > 0 ? `, appeal judge's grades ${data.grades.join(", ")}` : "";
			return `request ${id}: the jury found ${data.finding.type}${grades}`;
		}
		case "NodePaid":
			return data.node.toString() === me ? `request ${id}: paid ${amount(data.amount)}` : null;
		case "NodeSlashed":
			return data.node.toString() === me ? `request ${id}: slashed ${amount(data.amount)}` : null;
		case "RequestFinalized":
			answered.delete(id);
			return `request ${id}: final`;
		case "RequestExpired":
			answered.delete(id);
			return `request ${id}: expired in ${data.phase.type}, the fee back to the client`;
		default:
			return null;
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	main().catch((error) => {
		log(`fatal: ${error.message}`);
		process.exit(1);
	});
}
