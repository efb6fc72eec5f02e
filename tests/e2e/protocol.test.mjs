// PoQ on a live dev chain through @polkadot/api: the happy path with its books checked to the
// unit, bad inputs from a real client, a copied score commitment and a copied answer.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { u8aToHex } from "@polkadot/util";
import { randomAsU8a } from "@polkadot/util-crypto";
import { answerCommitment, commitment } from "../../tools/lib/commitment.mjs";
import {
	UNIT, answer, balances, devAccounts, feePaid, fundedAccount, honestScores, judge, poqEvent, send, startNode,
	waitForWork, watch,
} from "./harness.mjs";

const PROMPT = "What is the capital of France?";
const GOOD = "The capital of France is Paris.";
const JUNK = "Bananas are rich in potassium and grow in tropical climates.";
const FEE = 10n * UNIT;
const BOND = 100n * UNIT;
// As much as each dev validator: seats follow stake, and Mallory must hold one on every committee.
const MALLORY_BOND = 1_000n * UNIT;
const PENALTY = 10n * UNIT;
const NODE_PENALTY = 10n * UNIT;

describe("a request on a live dev chain", () => {
	let node, api, acc, mallory;
	const total = async (who) => {
		const { free, held } = await balances(api, who);
		return free + held;
	};

	before(async () => {
		node = await startNode();
		api = node.api;
		acc = await devAccounts();
		// A validator whose key the node does not hold: the test acts for it.
		mallory = await fundedAccount(api, acc.Alice, "Mallory", 2_000n * UNIT);
	});
	after(() => node?.stop());

	/** Registers Mallory as a validator unless it is already. */
	async function registerMallory() {
		if ((await api.query.poq.participants(mallory.address)).isNone) {
			await send(api, api.tx.poq.registerValidator(MALLORY_BOND), mallory);
		}
	}

	/** Submits a request from Ferdie; returns its id, the block it landed in and its slot fee. */
	async function request(prompt = PROMPT) {
		const { block, events } = await send(api, api.tx.poq.submitRequest(prompt, FEE), acc.Ferdie);
		const { data } = events.find(({ event }) => api.events.poq.RequestSubmitted.is(event)).event;
		return { id: data.id.toBigInt(), block, slotFee: data.slotFee.toBigInt() };
	}

	/** Every event from block `from` to block `to`. */
	async function eventsBetween(from, to) {
		const all = [];
		for (let n = from; n <= to; n++) {
			const at = await api.at(await api.rpc.chain.getBlockHash(n));
			all.push(...(await at.query.system.events()));
		}
		return all;
	}

	test("happy path: the better answer scores higher and is paid more; the books add up", async () => {
		const names = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];
		const before = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await total(acc[n].address)])));
		const nextId = (await api.query.poq.nextRequestId()).toBigInt();
		const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", nextId) || poqEvent(api, r, "RequestExpired", nextId));
		const quoted = (await api.call.poqApi.slotFee()).toBigInt();
		const { id, block: start, slotFee } = await request();
		assert.equal(id, nextId);
		assert.equal(slotFee, quoted, "the slot fee is what the runtime API quoted");
		assert.ok(slotFee >= api.consts.poq.slotFee.toBigInt());
		await Promise.all([answer(api, acc.Dave, [[id, GOOD]]), answer(api, acc.Eve, [[id, JUNK]])]);
		const { block: end, records } = await done;
		const final = records.find(({ record }) => poqEvent(api, record, "RequestFinalized", id));
		assert.ok(final, "the request is finalized, not expired");

		// Read back through the runtime API, as a client does.
		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		assert.ok(outcome.phase.isFinalized);
		const byNode = Object.fromEntries(outcome.responses.map((r) => [r.node.toString(), r]));
		const dave = byNode[acc.Dave.address];
		const eve = byNode[acc.Eve.address];
		assert.ok(dave.score.unwrap().toNumber() > eve.score.unwrap().toNumber(), "the good answer scores higher");
		assert.ok(dave.paid.toBigInt() > eve.paid.toBigInt(), "and is paid more");
		assert.ok(eve.score.unwrap().toNumber() < api.consts.poq.minQuality.toNumber(), "the off-topic answer scores below MinQuality");
		assert.equal(eve.paid.toBigInt(), 0n, "and is paid nothing");
		assert.equal(outcome.committee.length, 3);
		for (const v of outcome.committee) {
			assert.ok(v.verdict.isInConsensus, `${v.validator} in consensus`);
			assert.ok(v.paid.toBigInt() > 0n);
			assert.equal(v.slashed.toBigInt(), 0n);
		}

		// Escrow: paid + refunded == fee, to the unit.
		const paid = [...outcome.responses, ...outcome.committee].reduce((s, r) => s + r.paid.toBigInt(), 0n);
		assert.equal(paid + outcome.refund.toBigInt(), FEE);

		// Every balance moved by exactly what it earned minus the fees it paid (fees and the slot
		// fee are burnt).
		const events = await eventsBetween(start, end);
		const earned = { Ferdie: outcome.refund.toBigInt() - FEE - slotFee };
		for (const r of [...outcome.responses.map((r) => [r.node, r.paid]), ...outcome.committee.map((v) => [v.validator, v.paid])]) {
			const name = names.find((n) => acc[n].address === r[0].toString());
			earned[name] = (earned[name] ?? 0n) + r[1].toBigInt();
		}
		for (const n of names) {
			const delta = (await total(acc[n].address)) - before[n];
			assert.equal(delta, (earned[n] ?? 0n) - feePaid(api, events, acc[n].address), `${n}'s balance`);
		}
		assert.equal((await api.query.balances.holds(acc.Ferdie.address)).length, 0, "no escrow left");
	});

	test("bad inputs fail with their named errors and change no balance but the fee; bad work is refused before a block", async () => {
		const WORK = ["commitResponse", "revealResponse", "commitScores", "revealScores", "submitWork"];
		/**
		 * Sends a call that must fail with `error`; checks the sender paid only the fee, and for
		 * committee or node work, that the pool refused it (never in a block, nothing paid).
		 */
		async function rejects(tx, signer, error) {
			const before = await balances(api, signer.address);
			const failure = await send(api, tx, signer).then(
				() => assert.fail(`expected ${error}`),
				(e) => e,
			);
			assert.equal(failure.module, error);
			const work = tx.method.section === "poq" && WORK.includes(tx.method.method);
			assert.equal(Boolean(failure.rejected), work, work ? "work is refused by the pool" : "dispatched and failed");
			const after = await balances(api, signer.address);
			assert.equal(after.held, before.held, "holds unchanged");
			const fee = failure.rejected ? 0n : feePaid(api, failure.events, signer.address);
			assert.equal(before.free - after.free, fee, "only the fee");
		}

		await registerMallory();
		judge(PROMPT, [GOOD, JUNK]);
		const maxPrompt = api.consts.poq.maxPromptLen.toNumber();
		await rejects(api.tx.poq.submitRequest("x".repeat(maxPrompt + 1), FEE), acc.Ferdie, "poq.PromptTooLong");
		const maxFee = api.consts.poq.maxFee.toBigInt();
		await rejects(api.tx.poq.submitRequest(PROMPT, maxFee + 1n), acc.Ferdie, "poq.FeeTooHigh");

		const { id } = await request();
		await waitForWork(api, acc.Dave.address, [id], "Respond");
		const salts = { Dave: randomAsU8a(32), Eve: randomAsU8a(32) };
		const daves = answerCommitment(id, acc.Dave.address, GOOD, salts.Dave);
		await send(api, api.tx.poq.commitResponse(id, daves), acc.Dave);
		await rejects(api.tx.poq.commitResponse(id, daves), acc.Dave, "poq.AlreadyResponded");
		await rejects(api.tx.poq.commitResponse(id, daves), acc.Ferdie, "poq.NotSelected");
		await rejects(api.tx.poq.revealResponse(id, GOOD, salts.Dave), acc.Dave, "poq.WrongPhase");
		await send(api, api.tx.poq.commitResponse(id, answerCommitment(id, acc.Eve.address, JUNK, salts.Eve)), acc.Eve);
		await waitForWork(api, acc.Dave.address, [id], "RevealResponse");
		await rejects(api.tx.poq.revealResponse(id, JUNK, salts.Dave), acc.Dave, "poq.CommitmentMismatch");
		await rejects(api.tx.poq.revealResponse(id, "x".repeat(api.consts.poq.maxOutputLen.toNumber() + 1), salts.Dave), acc.Dave, "poq.OutputTooLong");
		await send(api, api.tx.poq.revealResponse(id, GOOD, salts.Dave), acc.Dave);
		await send(api, api.tx.poq.revealResponse(id, JUNK, salts.Eve), acc.Eve);
		await waitForWork(api, mallory.address, [id], "Commit");

		// Mallory sits on the committee and has not committed, so the request waits in its commit
		// phase for it.
		const live = (await api.call.poqApi.requestStatus(id)).unwrap().asLive;
		assert.ok(live.phase.isCommitting);
		assert.ok(live.committee.some((s) => s.who.toString() === mallory.address));
		await rejects(api.tx.poq.commitScores(id, u8aToHex(randomAsU8a(32))), acc.Ferdie, "poq.NotCommitteeMember");

		// What the model gives the two answers, computed apart: honest to the bit.
		const scores = await honestScores(api, id);
		const salt = randomAsU8a(32);
		const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
		await send(api, api.tx.poq.commitScores(id, u8aToHex(commitment(id, mallory.address, scores, salt))), mallory);
		await rejects(api.tx.poq.revealScores(id, scores, u8aToHex(randomAsU8a(32))), mallory, "poq.CommitmentMismatch");
		await send(api, api.tx.poq.revealScores(id, scores, u8aToHex(salt)), mallory);
		await done;
		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		const seat = outcome.committee.find((v) => v.validator.toString() === mallory.address);
		assert.ok(outcome.phase.isFinalized);
		assert.ok(seat.verdict.isInConsensus, "an honest external validator is in consensus");
		assert.ok(seat.paid.toBigInt() > 0n);
	});

	test("copy attack: a copied commitment cannot be revealed, and its copier is penalised", async () => {
		await registerMallory();
		const { id } = await request("Name the largest planet of the solar system.");
		const alice = acc.Alice.address;
		const committed = watch(api, (r) => poqEvent(api, r, "ScoresCommitted", id) && r.event.data.validator.toString() === alice);
		await Promise.all([answer(api, acc.Dave, [[id, "Jupiter is the largest planet."]]), answer(api, acc.Eve, [[id, JUNK]])]);
		await committed;

		// Mallory copies Alice's commitment from chain storage.
		const stored = (await api.query.poq.requests(id)).unwrap();
		const alicesCommitment = stored.committee.find((m) => m.who.toString() === alice).commitment.unwrap();
		const revealed = watch(api, (r) => poqEvent(api, r, "ScoresRevealed", id) && r.event.data.validator.toString() === alice);
		const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
		await send(api, api.tx.poq.commitScores(id, alicesCommitment), mallory);

		// Once Alice reveals, Mallory replays her scores and salt, taken from her extrinsic.
		const { block } = await revealed;
		const body = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(block));
		const alicesReveal = body.block.extrinsics
			.filter((x) => x.isSigned && x.signer.toString() === alice && x.method.section === "poq" && x.method.method === "submitWork")
			.flatMap((x) => [...x.method.args[0]])
			.find((piece) => piece.isRevealScores && piece.asRevealScores.id.toBigInt() === BigInt(id));
		const { scores, salt } = alicesReveal.asRevealScores;
		const failure = await send(api, api.tx.poq.revealScores(id, scores, salt), mallory).then(
			() => assert.fail("a copied commitment must not reveal"),
			(e) => e,
		);
		assert.equal(failure.module, "poq.CommitmentMismatch");

		const { records } = await done;
		assert.ok(records.some(({ record }) => poqEvent(api, record, "RequestFinalized", id)));
		const slashed = records.find(
			({ record }) => poqEvent(api, record, "ValidatorSlashed", id) && record.event.data.validator.toString() === mallory.address,
		);
		const { seats } = stored.committee.find((m) => m.who.toString() === mallory.address);
		assert.equal(slashed?.record.event.data.amount.toBigInt(), PENALTY * seats.toBigInt(), "committed without revealing: penalised per seat");
		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		const seat = outcome.committee.find((v) => v.validator.toString() === mallory.address);
		assert.equal(seat.paid.toBigInt(), 0n);
		for (const v of outcome.committee.filter((v) => v.validator.toString() !== mallory.address)) {
			assert.ok(v.verdict.isInConsensus);
		}
	});

	test("copy attack on answers: a node that copies another's commitment cannot reveal, earns nothing and is penalised", async () => {
		const { id } = await request("Which planet is known as the red planet?");
		const honest = "Mars is known as the red planet.";
		const salt = randomAsU8a(32);
		await waitForWork(api, acc.Dave.address, [id], "Respond");
		const daves = answerCommitment(id, acc.Dave.address, honest, salt);
		await send(api, api.tx.poq.commitResponse(id, daves), acc.Dave);
		// While nodes commit, no answer is on chain: Eve can only copy Dave's commitment.
		assert.equal((await api.query.poq.outputs(id, acc.Dave.address)).isNone, true);
		const stored = (await api.query.poq.requests(id)).unwrap();
		const copied = stored.nodes.find((s) => s.who.toString() === acc.Dave.address).commitment.unwrap();
		const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
		await send(api, api.tx.poq.commitResponse(id, copied), acc.Eve);
		await waitForWork(api, acc.Dave.address, [id], "RevealResponse");
		await send(api, api.tx.poq.revealResponse(id, honest, salt), acc.Dave);
		// Dave's answer and salt are public now, and still do not open Eve's copy.
		await send(api, api.tx.poq.revealResponse(id, honest, salt), acc.Eve).then(
			() => assert.fail("a copied answer commitment must not reveal"),
			(e) => assert.equal(e.module, "poq.CommitmentMismatch"),
		);

		const { records } = await done;
		assert.ok(records.some(({ record }) => poqEvent(api, record, "RequestFinalized", id)));
		const slashed = records.find(({ record }) => poqEvent(api, record, "NodeSlashed", id));
		assert.equal(slashed?.record.event.data.node.toString(), acc.Eve.address);
		assert.equal(slashed.record.event.data.amount.toBigInt(), NODE_PENALTY);
		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		const of = (who) => outcome.responses.find((r) => r.node.toString() === who);
		assert.ok(of(acc.Dave.address).paid.toBigInt() > 0n, "the honest node is paid");
		assert.equal(of(acc.Eve.address).paid.toBigInt(), 0n);
		assert.ok(of(acc.Eve.address).score.isNone);
		assert.equal(of(acc.Eve.address).slashed.toBigInt(), NODE_PENALTY);
	});

	test("a validator tops up its bond; bad top-ups and resuming an active seat fail by name", async () => {
		const walter = await fundedAccount(api, acc.Alice, "Walter", 1_000n * UNIT);
		await send(api, api.tx.poq.registerValidator(BOND), walter);
		const { events } = await send(api, api.tx.poq.bondExtra(5n * UNIT), walter);
		const bonded = events.find(({ event }) => api.events.poq.Bonded.is(event));
		assert.equal(bonded.event.data.bond.toBigInt(), BOND + 5n * UNIT);
		assert.equal((await api.query.poq.participants(walter.address)).unwrap().bond.toBigInt(), BOND + 5n * UNIT);
		const pool = (await api.query.poq.pools("Validator")).map(([who, bond]) => [who.toString(), bond.toBigInt()]);
		assert.deepEqual(pool.find(([who]) => who === walter.address), [walter.address, BOND + 5n * UNIT]);
		assert.equal((await balances(api, walter.address)).held, BOND + 5n * UNIT);
		const fails = (tx) => send(api, tx, walter).then(() => assert.fail("must fail"), (e) => e.module);
		assert.equal(await fails(api.tx.poq.bondExtra(0)), "poq.ZeroAmount");
		assert.equal(await fails(api.tx.poq.bondExtra(10_000n * UNIT)), "poq.InsufficientBalance");
		assert.equal(await fails(api.tx.poq.resume()), "poq.NotSuspended");
		assert.equal((await balances(api, walter.address)).held, BOND + 5n * UNIT, "nothing changed");
	});
});
