// A stand-in model server for the demo: it speaks the OpenAI chat API (`/v1/chat/completions`)
// as llama.cpp's server, vLLM and Ollama do, answering the demo's questions well (`--style good`)
// or off-topic (`--style junk`). A real inference node points poq-infer at its real model server.
//
//   node scripts/demo-endpoint.mjs --port 8081 --style good

import { parseArgs } from "node:util";
import { chatServer } from "../tools/lib/chat-server.mjs";

const { values: args } = parseArgs({
	options: { port: { type: "string", default: "8081" }, style: { type: "string", default: "good" } },
});

/** Demo questions and good answers to them. */
export const QUESTIONS = [
	["What is the capital of France?", "The capital of France is Paris."],
	["Which planet is the largest in the solar system?", "Jupiter is the largest planet in the solar system."],
	["What gas do plants absorb from the air for photosynthesis?", "Plants absorb carbon dioxide from the air. With water and sunlight they turn it into sugar and release oxygen."],
];
const JUNK = "Bananas are rich in potassium and grow in tropical climates.";

function reply(prompt) {
	if (args.style === "junk") return JUNK;
	return QUESTIONS.find(([q]) => q === prompt)?.[1] ?? "I do not know.";
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await chatServer(reply, { port: Number(args.port) });
}
