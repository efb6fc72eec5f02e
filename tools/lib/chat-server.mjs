// A stand-in model server that speaks the OpenAI chat API (`POST /v1/chat/completions`), as
// llama.cpp's server, vLLM and Ollama do: for the demo, poq-infer's tests and the appeal judge's.

import { createServer } from "node:http";

/**
 * Serves `reply(prompt)` on `port` (0: any free one); the first `failures` calls answer HTTP 503.
 * Resolves with `{ url, calls(), requests(), close() }`: `requests()` are the bodies of the
 * requests it answered, parsed.
 */
export async function chatServer(reply, { port = 0, failures = 0 } = {}) {
	let calls = 0;
	const answered = [];
	const server = createServer((req, res) => {
		let body = "";
		req.on("data", (chunk) => (body += chunk));
		req.on("end", () => {
			calls++;
			if (req.method !== "POST" || req.url !== "/v1/chat/completions") return res.writeHead(404).end();
			if (failures > 0) {
				failures--;
				return res.writeHead(503).end("overloaded");
			}
			const request = JSON.parse(body);
			answered.push(request);
			const prompt = request.messages.at(-1).content;
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: reply(prompt) } }] }));
		});
	});
	await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		calls: () => calls,
		requests: () => answered,
		close: () => new Promise((ok) => server.close(ok)),
	};
}
