#!/usr/bin/env node
// poq-infer: the inference-node client. It registers its account as an inference node if needed,
// watches the chain for requests it was drawn for, asks an OpenAI-compatible endpoint
// (`/v1/chat/completions`, as llama.cpp's server, vLLM and Ollama serve it) for the answer, and
// submits it. An unreachable or failing endpoint is retried on the next block while the request's
// window lasts; a request is answered at most once.
//
//   node tools/poq-infer/poq-infer.mjs --suri //Dave --endpoint http://127.0.0.1:8080 \
//        [--ws ws://127.0.0.1:9944] [--model default] [--bond 100] [--max-tokens 512]
//   (--suri-file <file> reads the secret from a file instead)

import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { send } from "../lib/chain.mjs";

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
	const api = await ApiPromise.create({ provider: new WsProvider(args.ws), noInitWarn: true });
	const maxOutput = api.consts.poq.maxOutputLen.toNumber();
	log(`account ${account.address}, endpoint ${args.endpoint}, model ${args.model}`);

	if ((await api.query.poq.participants(account.address)).isNone) {
		const decimals = api.registry.chainDecimals[0] ?? 12;
		const bond = BigInt(args.bond) * 10n ** BigInt(decimals);
		log(`not registered: registering as an inference node with a bond of ${args.bond}`);
		await send(api, api.tx.poq.registerInferenceNode(bond), account);
		log("registered");
	}

	// Requests being answered right now: never two answers to one request at once, and the
	// chain's pending work says when one has landed.
	const inFlight = new Set();
	const answer = async (id) => {
		inFlight.add(id);
		try {
			const prompt = new TextDecoder().decode((await api.query.poq.prompts(id)).unwrap());
			const output = await complete(args.endpoint, args.model, prompt, Number(args["max-tokens"]), Number(args["request-timeout"]));
			await send(api, api.tx.poq.submitResponse(id, truncateUtf8(output, maxOutput)), account);
			log(`request ${id}: answered (${output.length} characters)`);
		} catch (error) {
			log(`request ${id}: ${error.message}; trying again on a later block while its window lasts`);
		} finally {
			inFlight.delete(id);
		}
	};

	await api.rpc.chain.subscribeNewHeads(async (header) => {
		let work;
		try {
			work = await api.call.poqApi.pendingWork(account.address);
		} catch (error) {
			log(`#${header.number}: cannot read pending work: ${error.message}`);
			return;
		}
		for (const [id, task] of work) {
			if (task.isRespond && !inFlight.has(id.toBigInt())) answer(id.toBigInt());
		}
	});
	api.on("disconnected", () => log("disconnected from the node; reconnecting"));
}

if (import.meta.url === `file://${process.argv[1]}`) {
	main().catch((error) => {
		log(`fatal: ${error.message}`);
		process.exit(1);
	});
}
