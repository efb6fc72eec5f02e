// Protocols v4 to v7 on a live dev chain through @polkadot/api: a party to a request disputes its
// provisional outcome and a jury of validators off the committee, served by the node's off-chain
// worker with the real model, checks it. A captured committee that paid junk is disputed by the
// honest member it outvoted and overturned, its liar and the junk's node pay the jury; a frivolous
// dispute of an honest committee loses its deposit to the jury, and a frivolous appeal of that
// finding to a jury twice as large loses both deposits to both juries; junk written to please the
// committee's model, which an honest committee paid, is overturned by the appeal judge governance
// pinned (an OpenAI-compatible server the test runs, asked by the worker over HTTP), its node pays
// the jury and nobody on the committee is slashed. Every balance is checked to the unit.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { randomAsU8a } from "@polkadot/util-crypto";
import { appeal, dispute } from "../../tools/lib/chain.mjs";
import { chatServer } from "../../tools/lib/chat-server.mjs";
import { commitment } from "../../tools/lib/commitment.mjs";
import { contests } from "../../tools/poq-guard/poq-guard.mjs";
import {
	PROVISIONAL_ANSWERS, ROOT, UNIT, balances, devAccounts, feePaid, fundedAccount, judge, keyedAccounts, motion,
	poqEvent, provisionalRequest, runGuard, send, startNode, waitForWork, watch,
} from "./harness.mjs";

const FEE = 10n * UNIT;
// As much as each dev validator.
const JUROR_BOND = 1_000n * UNIT;
const PROMPT = "What is the capital of France?";
// The repository's judge card: what governance pins, by its SHA-256.
const CARD = join(ROOT, "models/appeal-judge/card.json");

test("poq-guard contests an outcome off its reveal by more than the tolerance, and no other", () => {
	assert.equal(contests([8_000, 500], [8_000, 500], 0), false);
	assert.equal(contests([8_000, 500], [8_000, 9_000], 0), true, "junk paid");
	assert.equal(contests([8_000, 500], [8_001, 500], 0), true, "one unit is a lie under Tolerance 0");
	assert.equal(contests([8_000, 500], [8_010, 490], 10), false);
	assert.equal(contests([8_000, 500], [8_011, 500], 10), true);
	assert.equal(contests([8_000], [8_000, 500], 0), true, "another width");
});

describe("disputes on a live dev chain", () => {
	let node, api, acc, appealJudge;
	// Every validator registered here: a juror of an earlier test may sit on a later jury.
	const registered = [];
	// The secret of each validator the tests may run poq-guard for, by address.
	const suris = new Map();
	/** What each of `pairs` holds, free and held, now or in the state `at`. */
	const totals = async (pairs, at = api) =>
		Object.fromEntries(
			await Promise.all(
				pairs.map(async (p) => {
					const { free, held } = await balances(api, p.address, at);
					return [p.address, free + held];
				}),
			),
		);

	before(async () => {
		// A stand-in for the appeal judge's endpoint: grades an answer that names Paris 9, any
		// other 1, as the card's instructions ask an LLM to.
		appealJudge = await chatServer((question) => (/Answer:\n[^]*Paris/.test(question) ? "9" : "1"));
		node = await startNode({ args: ["--poq-appeal-judge", CARD, "--poq-appeal-judge-url", `${appealJudge.url}/v1`] });
		api = node.api;
		acc = await devAccounts();
		for (const name of ["Alice", "Bob", "Charlie"]) suris.set(acc[name].address, `//${name}`);
	});
	after(() => {
		node?.stop();
		appealJudge?.close();
	});

	/** Validators whose `poq!` keys the node holds, funded, not registered yet. */
	async function jurors(names) {
		const pairs = await keyedAccounts(api, acc.Alice, names);
		registered.push(...pairs);
		pairs.forEach((pair, i) => suris.set(pair.address, `//Alice//${names[i]}`));
		return pairs;
	}

	/** A request of Ferdie's, provisional, with `later` registered once its committee is drawn. */
	const provisional = (later, meanwhile) => provisionalRequest(api, acc, later, JUROR_BOND, meanwhile);

	/**
	 * `who` (Ferdie, the client, unless another party) disputes `id`, or has disputed it when
	 * `opened` (its `{ block, deposit }`) resolves; resolves once the request is final, with the
	 * events and the outcome.
	 */
	async function disputed(id, who = acc.Ferdie, opened = () => dispute(api, id, who)) {
		const final = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
		const { block, deposit } = await opened();
		const { records } = await final;
		const events = records.map(({ record }) => record);
		const at = await api.at(await api.rpc.chain.getBlockHash(block));
		const disputeFee = feePaid(api, await at.query.system.events(), who.address);
		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		assert.ok(outcome.phase.isFinalized);
		return { events, deposit, disputeFee, outcome, dispute: outcome.dispute.unwrap() };
	}

	test("a frivolous dispute of an honest committee is upheld and its deposit pays the jury", async () => {
		const jury = await jurors(["Grace", "Heidi", "Ivan"]);
		const { id } = await provisional(jury);
		const before = await totals([acc.Ferdie, ...registered]);

		const { events, deposit, disputeFee, outcome, dispute: result } = await disputed(id);
		assert.equal(deposit, FEE, "a dispute holds the request's fee");
		const selected = events.find((r) => poqEvent(api, r, "JurySelected", id)).event.data;
		assert.equal(selected.jury.reduce((s, [, seats]) => s + seats.toNumber(), 0), 2 * api.consts.poq.committeeSize.toNumber() + 1);
		const seated = outcome.committee.map((m) => m.validator.toString());
		assert.ok(selected.jury.every(([who]) => !seated.includes(who.toString())), "only validators off the committee judge");
		assert.ok(selected.jury.every(([who]) => jury.some((j) => j.address === who.toString())));
		assert.ok(result.finding.isUpheld, `finding ${result.finding}`);
		// The committee's outcome stands: nobody slashed, the good answer paid, the junk not.
		for (const m of outcome.committee) assert.ok(m.verdict.isInConsensus && m.slashed.toBigInt() === 0n);
		assert.ok(outcome.responses.every((r) => r.slashed.toBigInt() === 0n));
		// The jury reran the committee's model and agreed; the deposit pays it, by seat.
		const juryPaid = result.jury.reduce((s, j) => s + j.paid.toBigInt(), 0n);
		assert.ok(result.jury.every((j) => j.verdict.isInConsensus && j.paid.toBigInt() > 0n && j.slashed.toBigInt() === 0n));
		assert.ok(deposit - juryPaid < BigInt(result.jury.length), "only rounding dust goes back");
		const after = await totals([acc.Ferdie, ...registered]);
		const escrowSpent = FEE - outcome.refund.toBigInt();
		assert.equal(after[acc.Ferdie.address] - before[acc.Ferdie.address], -escrowSpent - juryPaid - disputeFee, "Ferdie's balance");
		for (const j of result.jury) {
			assert.equal(after[j.validator.toString()] - before[j.validator.toString()], j.paid.toBigInt(), "a juror's balance");
		}
		assert.equal((await api.query.balances.holds(acc.Ferdie.address)).length, 0, "no escrow or deposit left");
	});

	test("a frivolous appeal of an upheld finding goes to a jury of twice the seats and one more, and both deposits pay both juries", async () => {
		const first = await jurors(["Nora", "Oskar", "Pam"]);
		// Funded now, registered once the first jury sits: only the appeal can seat them.
		const second = await jurors(["Quentin", "Rose", "Sam"]);
		const { id } = await provisional(first);
		const people = [acc.Ferdie, acc.Alice, acc.Bob, acc.Charlie, acc.Dave, acc.Eve, ...registered];
		const before = await totals(people);

		const sitting = watch(api, (r) => poqEvent(api, r, "JurySelected", id));
		// The first jury's finding, and in the same block the outcome provisional again (the
		// committee's own `RequestProvisional` is in the block this watch starts from).
		const ruled = watch(api, (r) => poqEvent(api, r, "DisputeResolved", id));
		const final = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id), 240_000);
		const disputedIn = (await dispute(api, id, acc.Ferdie)).block;
		await sitting;
		await Promise.all(second.map((pair) => send(api, api.tx.poq.registerValidator(JUROR_BOND), pair)));
		// What they hold once registered (the bond is held, the fee is gone).
		Object.assign(before, await totals(second));
		// The first jury upheld the committee: the finding is provisional, and Ferdie appeals.
		await ruled;
		const appealed = await appeal(api, id, acc.Ferdie);
		assert.deepEqual([appealed.level, appealed.deposit], [2, 2n * FEE], "an appeal holds twice the deposit");
		const { records } = await final;
		const events = records.map(({ record }) => record);
		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		const result = outcome.dispute.unwrap();

		const juries = events.filter((r) => poqEvent(api, r, "JurySelected", id)).map((r) => r.event.data.jury);
		const seats = (jury) => jury.reduce((s, [, n]) => s + n.toNumber(), 0);
		const committee = api.consts.poq.committeeSize.toNumber();
		assert.deepEqual(juries.map(seats), [2 * committee + 1, 2 * (2 * committee + 1) + 1]);
		const seated = new Set([...outcome.committee.map((m) => m.validator.toString()), ...juries[0].map(([who]) => who.toString())]);
		assert.ok(juries[1].every(([who]) => !seated.has(who.toString())), "nobody on the committee or the first jury sits on the appeal's");
		const findings = events.filter((r) => poqEvent(api, r, "DisputeResolved", id)).map((r) => r.event.data.finding.type);
		assert.deepEqual(findings, ["Upheld", "Upheld"]);
		assert.ok(result.finding.isUpheld);
		// Both juries reran the committee's model and agreed: both deposits pay every juror, by seat.
		assert.equal(result.jury.length, juries[0].length + juries[1].length);
		assert.ok(result.jury.every((j) => j.verdict.isInConsensus && j.paid.toBigInt() > 0n && j.slashed.toBigInt() === 0n));
		const juryPaid = result.jury.reduce((s, j) => s + j.paid.toBigInt(), 0n);
		assert.ok(3n * FEE - juryPaid < BigInt(result.jury.length), "only rounding dust goes back");
		const feeIn = async (block) => feePaid(api, await (await api.at(await api.rpc.chain.getBlockHash(block))).query.system.events(), acc.Ferdie.address);
		const fees = (await feeIn(disputedIn)) + (await feeIn(appealed.block));
		const after = await totals(people);
		const escrowSpent = FEE - outcome.refund.toBigInt();
		assert.equal(after[acc.Ferdie.address] - before[acc.Ferdie.address], -escrowSpent - juryPaid - fees, "Ferdie's balance");
		for (const j of result.jury) {
			assert.equal(after[j.validator.toString()] - before[j.validator.toString()], j.paid.toBigInt(), "a juror's balance");
		}
		assert.equal((await api.query.balances.holds(acc.Ferdie.address)).length, 0, "no escrow or deposit left");
	});

	test("a captured committee that paid junk is disputed by the honest member it outvoted, through poq-guard, and overturned: its liar and the junk's node pay the jury", async (t) => {
		// Mallory holds most of the stake (the jurors earlier tests registered included), so most
		// of every committee's seats; the node does not hold its key: the test acts for it, and
		// pays the junk.
		const mallory = await fundedAccount(api, acc.Alice, "Mallory", 32_000n * UNIT);
		await send(api, api.tx.poq.registerValidator(30_000n * UNIT), mallory);
		const jury = await jurors(["Judy", "Ken", "Leo"]);
		const salt = randomAsU8a(32);
		let lie, outvoted, guard, guarded;
		t.after(() => guard?.child.kill());
		const { id, scores, block } = await provisional(jury, async (id) => {
			// An honest member Mallory outvotes, who would be slashed for the truth, runs
			// poq-guard with its own account's key (protocol v7: any party may dispute); the
			// client does nothing.
			const members = (await api.query.poq.requests(id)).unwrap().committee.map((m) => m.who.toString());
			outvoted = [acc.Bob, acc.Charlie, acc.Alice, ...registered].find((p) => members.includes(p.address));
			assert.ok(outvoted, `an honest member sits beside Mallory: ${members}`);
			guarded = watch(api, (r) => poqEvent(api, r, "Disputed", id), 180_000);
			guard = runGuard(node.ws, suris.get(outvoted.address));
			await waitForWork(api, mallory.address, [id], "Commit");
			const { responders } = (await api.query.poq.requests(id)).unwrap();
			lie = responders.map(() => 9_000);
			await send(api, api.tx.poq.commitScores(id, commitment(id, mallory.address, lie, salt)), mallory);
			await waitForWork(api, mallory.address, [id], "Reveal");
			await send(api, api.tx.poq.revealScores(id, lie, salt), mallory);
		});
		assert.deepEqual(scores, lie, "the captured majority decided: the junk would be paid");
		// Balances as they were when the outcome became provisional, before the guard acted. A
		// dev validator that holds none of the committee's seats may sit on the jury.
		const people = [acc.Ferdie, acc.Dave, acc.Eve, mallory, acc.Alice, acc.Bob, acc.Charlie, ...registered];
		const before = await totals(people, await api.at(await api.rpc.chain.getBlockHash(block)));

		const { deposit, disputeFee, outcome, dispute: result } = await disputed(id, outvoted, async () => {
			const { block: at, records } = await guarded;
			const { event } = records.find(({ record }) => poqEvent(api, record, "Disputed", id)).record;
			assert.equal(event.data.who.toString(), outvoted.address, "the outvoted member's guard disputed");
			return { block: at, deposit: event.data.deposit.toBigInt() };
		});
		assert.match(guard.text, new RegExp(`request ${id}: the outcome .* is off this validator's reveal .*: disputing`));
		assert.ok(result.finding.isOverturned, `finding ${result.finding}`);
		const byNode = Object.fromEntries(outcome.responses.map((r) => [r.node.toString(), r]));
		const [dave, eve] = [byNode[acc.Dave.address], byNode[acc.Eve.address]];
		// Settled by the jury's scores: the junk is paid nothing and loses more than it would
		// have been paid; the good answer takes the nodes' whole part.
		assert.ok(eve.score.unwrap().toNumber() < api.consts.poq.minQuality.toNumber());
		assert.equal(eve.paid.toBigInt(), 0n);
		assert.ok(eve.slashed.toBigInt() > api.consts.poq.nodePenalty.toBigInt());
		assert.ok(dave.paid.toBigInt() > 0n && dave.slashed.toBigInt() === 0n);
		// Mallory lied on every seat; the honest members it outvoted are paid.
		const liar = outcome.committee.find((m) => m.validator.toString() === mallory.address);
		assert.ok(liar.verdict.isOffConsensus);
		assert.equal(liar.paid.toBigInt(), 0n);
		assert.ok(liar.slashed.toBigInt() >= api.consts.poq.penalty.toBigInt());
		for (const m of outcome.committee.filter((m) => m !== liar)) {
			assert.ok(m.verdict.isInConsensus && m.paid.toBigInt() > 0n && m.slashed.toBigInt() === 0n, `${m.validator}`);
		}
		// The losers' penalties pay the jury, by seat; the deposit comes back.
		const penalties = liar.slashed.toBigInt() + eve.slashed.toBigInt();
		const juryPaid = result.jury.reduce((s, j) => s + j.paid.toBigInt(), 0n);
		assert.ok(penalties - juryPaid < BigInt(result.jury.length), "only rounding dust is burnt");
		const after = await totals(people);
		const delta = (p) => after[p.address] - before[p.address];
		assert.equal(delta(acc.Ferdie), -(FEE - outcome.refund.toBigInt()), "Ferdie pays only what the good answer and the honest members earned");
		const disputer = outcome.committee.find((m) => m.validator.toString() === outvoted.address);
		assert.equal(delta(outvoted), disputer.paid.toBigInt() - disputeFee, "the member is paid, and its deposit comes back");
		assert.equal(delta(mallory), -liar.slashed.toBigInt(), "Mallory's balance");
		assert.equal(delta(acc.Eve), -eve.slashed.toBigInt(), "Eve's balance");
		assert.equal(delta(acc.Dave), dave.paid.toBigInt(), "Dave's balance");
		for (const j of result.jury) {
			assert.equal(after[j.validator.toString()] - before[j.validator.toString()], j.paid.toBigInt(), "a juror's balance");
		}
		assert.equal(deposit, FEE);
		assert.equal((await api.query.balances.holds(acc.Ferdie.address)).length, 0, "no escrow left");
		const held = (await api.query.balances.holds(outvoted.address)).map((h) => h.id.toString());
		assert.ok(!held.some((reason) => reason.includes("Dispute")), `no deposit left held: ${held}`);
		// Mallory leaves: the node holds no key of it, so it would sit on later committees absent.
		await send(api, api.tx.poq.unregister(), mallory);
	});

	test("junk that fooled an honest committee is overturned by the appeal judge: its node pays the jury, nobody on the committee is slashed", async () => {
		// An on-topic non-answer the committee's model pays in full.
		const fooling = "Capital cities of France: the French capital city question is a classic of European geography.";
		const [good, junk] = judge(PROMPT, [PROVISIONAL_ANSWERS.Dave, fooling]);
		assert.ok(junk >= api.consts.poq.minQuality.toNumber() && junk >= good, `the model pays the junk: ${junk} vs ${good}`);
		const digest = `0x${createHash("sha256").update(readFileSync(CARD)).digest("hex")}`;
		const { error } = await motion(api, acc, api.tx.poq.setAppealJudge(digest));
		assert.equal(error, null);
		assert.equal((await api.query.poq.appealJudge()).unwrap().toHex(), digest);

		const jury = await jurors(["Mike", "Nina", "Olga"]);
		const answers = { Dave: PROVISIONAL_ANSWERS.Dave, Eve: fooling };
		const { id, scores } = await provisionalRequest(api, acc, jury, JUROR_BOND, async () => {}, answers);
		const byAnswer = Object.fromEntries((await api.call.poqApi.scoringInput(id)).unwrap()[1].map((r, i) => [r.toUtf8(), scores[i]]));
		assert.equal(byAnswer[fooling], junk, "the honest committee paid the junk what the model gives");
		const people = [acc.Ferdie, acc.Dave, acc.Eve, acc.Alice, acc.Bob, acc.Charlie, ...registered];
		const before = await totals(people);

		const { events, deposit, disputeFee, outcome, dispute: result } = await disputed(id);
		assert.ok(result.finding.isOverturned, `finding ${result.finding}`);
		const resolved = events.find((r) => poqEvent(api, r, "DisputeResolved", id)).event.data;
		// Grades come in response order, the order of the outcome's responses.
		const responders = outcome.responses.map((r) => r.node.toString());
		const grades = Object.fromEntries(responders.map((who, i) => [who, resolved.grades[i].toNumber()]));
		assert.deepEqual(grades, { [acc.Dave.address]: 9_000, [acc.Eve.address]: 1_000 }, "the appeal judge's grades");
		// The worker asked the endpoint with the card's model and instructions, the question and
		// the answer in the user's message.
		const card = JSON.parse(readFileSync(CARD, "utf8"));
		const forThis = appealJudge.requests().filter((request) => request.messages.at(-1).content.startsWith(`Question:\n${PROMPT}`));
		const gradedAnswers = new Set(forThis.map((request) => request.messages.at(-1).content.split("\n\nAnswer:\n")[1]));
		assert.deepEqual([...gradedAnswers].sort(), [PROVISIONAL_ANSWERS.Dave, fooling].sort(), "every answer graded");
		for (const request of forThis) {
			assert.equal(request.model, card.model);
			assert.equal(request.messages[0].content, card.instructions);
		}
		const byNode = Object.fromEntries(outcome.responses.map((r) => [r.node.toString(), r]));
		const [dave, eve] = [byNode[acc.Dave.address], byNode[acc.Eve.address]];
		// The junk is unpaid and loses more than it would have been paid; the good answer takes
		// the nodes' whole part.
		assert.equal(eve.paid.toBigInt(), 0n);
		assert.ok(eve.slashed.toBigInt() > api.consts.poq.nodePenalty.toBigInt());
		assert.ok(dave.paid.toBigInt() > 0n && dave.slashed.toBigInt() === 0n);
		// The committee ran its model faithfully: paid, nobody slashed for the model being fooled.
		for (const m of outcome.committee) {
			assert.ok(m.verdict.isInConsensus && m.paid.toBigInt() > 0n && m.slashed.toBigInt() === 0n, `${m.validator}`);
		}
		// The junk's penalty pays the jury, by seat; the client's deposit comes back.
		const juryPaid = result.jury.reduce((s, j) => s + j.paid.toBigInt(), 0n);
		assert.ok(eve.slashed.toBigInt() - juryPaid < BigInt(result.jury.length), "only rounding dust is burnt");
		const after = await totals(people);
		const delta = (p) => after[p.address] - before[p.address];
		assert.equal(delta(acc.Ferdie), -(FEE - outcome.refund.toBigInt()) - disputeFee, "Ferdie gets its deposit back");
		assert.equal(delta(acc.Eve), -eve.slashed.toBigInt(), "Eve's balance");
		assert.equal(delta(acc.Dave), dave.paid.toBigInt(), "Dave's balance");
		for (const m of outcome.committee) {
			assert.equal(after[m.validator.toString()] - before[m.validator.toString()], m.paid.toBigInt(), "a member's balance");
		}
		for (const j of result.jury) {
			assert.equal(after[j.validator.toString()] - before[j.validator.toString()], j.paid.toBigInt(), "a juror's balance");
		}
		assert.ok(deposit > 0n);
		assert.equal((await api.query.balances.holds(acc.Ferdie.address)).length, 0, "no escrow or deposit left");
	});
});
