// The web explorer (tools/explorer, served by scripts/explorer.sh) in a real browser: Debian's
// Chromium, headless, driven through puppeteer-core. //Ferdie asks on the Ask page, //Dave and
// //Eve answer, the node's validators score; the page must show the request settled with the
// chain's own scores and payments, keep showing them after a reload, and credit the nodes on
// their account pages. Bad input and an unreachable node must be shown in words. Screenshots go
// to $POQ_SCREENSHOTS (default: <tmp>/poq-explorer).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import puppeteer from "puppeteer-core";
import { formatBalance, formatScore } from "../../tools/explorer/src/model.js";
import { appeal, dispute } from "../../tools/lib/chain.mjs";
import {
	ROOT, UNIT, answer, devAccounts, freePort, fundedAccount, keyedAccounts, poqEvent, provisionalRequest, send, startNode, watch,
} from "./harness.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.POQ_SCREENSHOTS ?? join(tmpdir(), "poq-explorer");
const PROMPT = "What is the capital of France?";
const GOOD = "The capital of France is Paris.";
const JUNK = "Bananas are rich in potassium and grow in tropical climates.";

/** Resolves once `url` answers, or rejects after `timeoutMs`. */
async function served(url, server, timeoutMs = 120_000) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (server.exitCode !== null) throw new Error(`scripts/explorer.sh exited with ${server.exitCode}`);
		try {
			if ((await fetch(url)).ok) return;
		} catch {
			// not listening yet
		}
		await new Promise((ok) => setTimeout(ok, 250));
	}
	throw new Error(`the explorer did not come up at ${url}`);
}

describe("the explorer in a browser", () => {
	let node, api, acc, server, browser, site, decimals, symbol;
	const money = (amount) => formatBalance(amount, decimals, symbol);

	before(async () => {
		node = await startNode();
		api = node.api;
		acc = await devAccounts();
		decimals = api.registry.chainDecimals[0];
		symbol = api.registry.chainTokens[0];
		const port = await freePort();
		server = spawn("bash", ["scripts/explorer.sh", "--rpc", node.ws, "--port", String(port)], {
			cwd: ROOT,
			stdio: "ignore",
			detached: true,
		});
		site = `http://127.0.0.1:${port}/`;
		await served(site, server);
		browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
		mkdirSync(SHOTS, { recursive: true });
	});
	after(async () => {
		await browser?.close();
		if (server?.exitCode === null) process.kill(-server.pid, "SIGTERM");
		await node?.stop();
	});

	/** A new tab at `hash` of the explorer for this node; page errors fail the test. */
	async function open(hash, rpc = node.ws) {
		const page = await browser.newPage();
		await page.setViewport({ width: 1280, height: 900 });
		page.on("pageerror", (error) => assert.fail(`the page threw: ${error.message}`));
		await page.goto(`${site}?rpc=${rpc}${hash}`);
		return page;
	}

	/** The text of `selector` once it is on the page. */
	async function textOf(page, selector, timeout = 30_000) {
		const element = await page.waitForSelector(selector, { timeout });
		return element.evaluate((el) => el.textContent);
	}

	test("asks as Ferdie, follows the request until it settles, and shows the chain's scores and pay", async () => {
		const page = await open("#/ask");
		await page.waitForSelector("form.ask select");
		assert.equal(await page.$eval("form.ask select", (s) => s.value), "dev:Ferdie", "a dev chain offers its dev accounts");
		const id = (await api.query.poq.nextRequestId()).toBigInt();
		await page.type("form.ask textarea", PROMPT);
		await page.$eval("form.ask input[name=fee]", (input) => (input.value = "10"));
		await page.click("form.ask button");
		await page.waitForFunction((hash) => location.hash === hash, { timeout: 60_000 }, `#/request/${id}`);

		// The request is Ferdie's, as the chain says.
		const status = (await api.call.poqApi.requestStatus(id)).unwrap();
		assert.equal((status.isLive ? status.asLive : status.asFinished).client.toString(), acc.Ferdie.address);

		await Promise.all([answer(api, acc.Dave, [[id, GOOD]]), answer(api, acc.Eve, [[id, JUNK]])]);
		await page.waitForSelector('[data-testid=phase][data-phase="Finalized"]', { timeout: 180_000 });
		await page.screenshot({ path: join(SHOTS, "request.png"), fullPage: true });
		await page.waitForSelector("[data-testid=committee] ~ .plot canvas");

		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		const check = async () => {
			assert.equal(await textOf(page, "[data-field=prompt]"), PROMPT);
			const answers = await page.$$eval("[data-testid=answers] tr[data-node]", (rows) =>
				rows.map((row) => ({
					node: row.dataset.node,
					text: row.querySelector(".answer").textContent,
					score: row.querySelector("[data-field=score]").textContent,
					paid: row.querySelector("[data-field=paid]").textContent,
					paidPlanck: row.querySelector("[data-field=paid]").dataset.planck,
				})),
			);
			assert.deepEqual(
				answers,
				outcome.responses.map((r) => ({
					node: r.node.toString(),
					text: r.node.toString() === acc.Dave.address ? GOOD : JUNK,
					score: formatScore(r.score.unwrap().toNumber()),
					paid: money(r.paid.toBigInt()),
					paidPlanck: r.paid.toString(),
				})),
			);
			const committee = await page.$$eval("[data-testid=committee] tr[data-validator]", (rows) =>
				rows.map((row) => ({
					validator: row.dataset.validator,
					verdict: row.querySelector("[data-field=verdict]").textContent,
					paid: row.querySelector("[data-field=paid]").dataset.planck,
					slashed: row.querySelector("[data-field=slashed]").dataset.planck,
					revealed: row.querySelector("[data-field=reveal]").dataset.scores,
					seats: Number(row.querySelector("[data-field=seats]").textContent),
				})),
			);
			// Every seat of the committee is shown, each member's seats beside it.
			assert.equal(
				committee.reduce((sum, m) => sum + m.seats, 0),
				api.consts.poq.committeeSize.toNumber(),
			);
			committee.forEach((m) => delete m.seats);
			// Equal stakes: each answer's consensus is the (lower) median of the revealed scores.
			const reveals = committee.filter((m) => m.revealed).map((m) => m.revealed.split(",").map(Number));
			outcome.responses.forEach((r, j) => {
				const column = reveals.map((scores) => scores[j]).sort((a, b) => a - b);
				assert.equal(column[Math.ceil(column.length / 2) - 1], r.score.unwrap().toNumber(), "the shown reveals give the consensus");
			});
			assert.deepEqual(
				committee,
				outcome.committee.map((m) => ({
					validator: m.validator.toString(),
					verdict: m.verdict.type,
					paid: m.paid.toString(),
					slashed: m.slashed.toString(),
					revealed: committee.find((c) => c.validator === m.validator.toString())?.revealed || (m.verdict.isInConsensus ? "missing" : ""),
				})),
			);
			assert.equal(await page.$eval("[data-field=refund]", (el) => el.dataset.planck), outcome.refund.toString());
			const phases = await page.$$eval("[data-testid=timeline] .phase strong", (els) => els.map((el) => el.textContent));
			assert.deepEqual(phases.at(0), "drawing inference nodes");
			assert.deepEqual(phases.at(-1), "finalized");
			assert.ok(phases.includes("committee reveals scores"), `every phase is on the timeline: ${phases}`);
		};
		await check();
		// After a reload the page reads it all back from the chain.
		await page.reload();
		await page.waitForSelector('[data-testid=phase][data-phase="Finalized"]');
		await check();

		// Dave's account page credits what the chain paid him on every request it keeps.
		const outcomes = await api.query.poq.outcomes.entries();
		const earned = outcomes
			.flatMap(([, o]) => o.unwrap().responses)
			.filter((r) => r.node.toString() === acc.Dave.address)
			.reduce((sum, r) => sum + r.paid.toBigInt(), 0n);
		assert.ok(earned > 0n);
		await page.goto(`${site}?rpc=${node.ws}#/account/${acc.Dave.address}`);
		const shown = await page.waitForSelector("[data-field=earned]");
		assert.equal(await shown.evaluate((el) => el.dataset.planck), earned.toString());
		assert.equal(await textOf(page, "[data-field=earned]"), money(earned));
		await page.screenshot({ path: join(SHOTS, "account.png"), fullPage: true });

		// The chain page lists it among the finished requests, with the digest the chain pins.
		await page.goto(`${site}?rpc=${node.ws}#/`);
		const model = (await api.call.poqApi.qualityModel()).unwrap().toHex();
		assert.equal(await textOf(page, "[data-testid=model]"), model);
		assert.equal(await textOf(page, `[data-testid=finished] a[href="#/request/${id}"]`), `#${id}`);
		await page.screenshot({ path: join(SHOTS, "chain.png"), fullPage: true });
		await page.close();
	});

	test("shows a disputed and appealed request: provisional, then its juries, the finding, the appeal and each juror's pay", async () => {
		// Validators off the committee, so that a jury can sit, and more once it sits, so that
		// an appeal's can.
		const first = await keyedAccounts(api, acc.Alice, ["Grace", "Heidi", "Ivan"]);
		const second = await keyedAccounts(api, acc.Alice, ["Judy", "Ken", "Leo"]);
		const jurors = [...first, ...second];
		const { id } = await provisionalRequest(api, acc, first, 1_000n * UNIT);
		const sitting = watch(api, (r) => poqEvent(api, r, "JurySelected", id));
		const ruled = watch(api, (r) => poqEvent(api, r, "DisputeResolved", id));
		await dispute(api, id, acc.Ferdie);
		await sitting;
		await Promise.all(second.map((pair) => send(api, api.tx.poq.registerValidator(1_000n * UNIT), pair)));
		await ruled;
		const { deposit: appealed } = await appeal(api, id, acc.Ferdie);
		const page = await open(`#/request/${id}`);
		await page.waitForSelector('[data-testid=phase][data-phase="Finalized"]', { timeout: 180_000 });
		await page.waitForSelector("[data-testid=jury]");
		await page.screenshot({ path: join(SHOTS, "dispute.png"), fullPage: true });

		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		const result = outcome.dispute.unwrap();
		assert.equal(await page.$eval("[data-testid=finding]", (el) => el.dataset.finding), result.finding.type);
		assert.equal(await page.$eval("[data-field=deposit]", (el) => el.dataset.planck), result.deposit.toString());
		const shown = await page.$$eval("[data-testid=jury] tr[data-validator]", (rows) =>
			rows.map((row) => ({
				validator: row.dataset.validator,
				jury: row.querySelector("[data-field=jury]").textContent,
				verdict: row.querySelector("[data-field=verdict]").textContent,
				paid: row.querySelector("[data-field=paid]").dataset.planck,
				slashed: row.querySelector("[data-field=slashed]").dataset.planck,
			})),
		);
		assert.deepEqual(
			shown,
			result.jury.map((j) => ({
				validator: j.validator.toString(),
				// Only the validators registered before the dispute could sit on the first jury.
				jury: first.some((p) => p.address === j.validator.toString()) ? "1" : "2",
				verdict: j.verdict.type,
				paid: j.paid.toString(),
				slashed: j.slashed.toString(),
			})),
		);
		assert.ok(shown.length > 0 && shown.every((j) => jurors.some((p) => p.address === j.validator)));
		const appeals = await page.$eval("[data-field=appeals]", (el) => el.textContent);
		assert.ok(appeals.startsWith("jury 2 asked by ") && appeals.includes(money(appealed)), appeals);
		// Any party may dispute: the page says which one asked, each time.
		const parties = await page.$$eval("[data-field=party]", (els) => els.map((el) => el.textContent));
		assert.deepEqual(parties, [" (client)", " (client)"], "Ferdie disputed, then appealed");
		const phases = await page.$$eval("[data-testid=timeline] .phase strong", (els) => els.map((el) => el.textContent));
		for (const phase of ["committee reveals scores", "provisional: open to dispute", "disputed: drawing the jury", "jury commits scores"]) {
			assert.ok(phases.includes(phase), `${phase} is on the timeline: ${phases}`);
		}
		assert.equal(phases.at(-1), "finalized");
		await page.close();
	});

	test("signs through a browser extension's injected accounts", async () => {
		// A wallet as every Polkadot extension presents itself to pages (`window.injectedWeb3`);
		// it signs what the page asks with a key only this test holds.
		const wallet = await fundedAccount(api, acc.Alice, "Wallet", 100n * UNIT);
		const page = await browser.newPage();
		page.on("pageerror", (error) => assert.fail(`the page threw: ${error.message}`));
		await page.exposeFunction("walletSign", (payload) =>
			api.registry.createType("ExtrinsicPayload", payload, { version: payload.version }).sign(wallet).signature,
		);
		await page.evaluateOnNewDocument((address) => {
			const accounts = [{ address, name: "Wallet account", type: "sr25519" }];
			window.injectedWeb3 = {
				"test-wallet": {
					version: "1.0.0",
					enable: async () => ({
						accounts: { get: async () => accounts, subscribe: (cb) => (cb(accounts), () => {}) },
						signer: { signPayload: async (payload) => ({ id: 1, signature: await window.walletSign(payload) }) },
					}),
				},
			};
		}, wallet.address);
		await page.goto(`${site}?rpc=${node.ws}#/ask`);
		await page.waitForSelector(`form.ask select option[value="ext:${wallet.address}"]`);
		await page.select("form.ask select", `ext:${wallet.address}`);
		const id = (await api.query.poq.nextRequestId()).toBigInt();
		await page.type("form.ask textarea", PROMPT);
		await page.click("form.ask button");
		await page.waitForFunction((hash) => location.hash === hash, { timeout: 60_000 }, `#/request/${id}`);
		const status = (await api.call.poqApi.requestStatus(id)).unwrap();
		assert.equal((status.isLive ? status.asLive : status.asFinished).client.toString(), wallet.address);
		await page.close();
	});

	test("says what went wrong: a fee below MinFee, a fee that is not a number, an unreachable node", async () => {
		const page = await open("#/ask");
		await page.waitForSelector("form.ask textarea");
		const next = (await api.query.poq.nextRequestId()).toBigInt();
		await page.type("form.ask textarea", PROMPT);
		await page.$eval("form.ask input[name=fee]", (input) => (input.value = "0.001"));
		await page.click("form.ask button");
		const error = await textOf(page, "[data-testid=ask-error]", 60_000);
		assert.match(error, /^poq\.FeeTooLow: The fee is below MinFee/);
		assert.equal((await api.query.poq.nextRequestId()).toBigInt(), next, "no request was made");

		await page.$eval("form.ask input[name=fee]", (input) => (input.value = "ten"));
		await page.click("form.ask button");
		await page.waitForFunction(() => document.querySelector("[data-testid=ask-result]").textContent.includes("not an amount"));
		await page.close();

		const closed = await freePort();
		const unreachable = await open("#/", `ws://127.0.0.1:${closed}`);
		await unreachable.waitForFunction(() => document.getElementById("status").textContent.includes("cannot reach"), { timeout: 30_000 });
		assert.match(await textOf(unreachable, "#status"), new RegExp(`cannot reach a node at ws://127.0.0.1:${closed}`));
		await unreachable.close();
	});
});
