// Protocol v3's findings from a real client on a live dev chain: free block stuffing with work
// that fails in the block, free megabytes riding along valid work, a batch one piece too long,
// an operator key taken without its consent, and answers left unpaid by a heavy member staying
// away. Each attack is refused by name before a block or fails to pay; the honest path works.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { u8aToHex } from "@polkadot/util";
import { randomAsU8a } from "@polkadot/util-crypto";
import { Keyring } from "@polkadot/keyring";
import { consent } from "../../tools/lib/chain.mjs";
import { commitment } from "../../tools/lib/commitment.mjs";
import {
	UNIT, answer, balances, devAccounts, fundedAccount, honestScores, judge, poqEvent, send, startNode, waitForWork, watch,
} from "./harness.mjs";

// As much as each dev validator: seats follow stake, and Mallory must hold one on every committee.
const BOND = 1_000n * UNIT;
const FEE = 10n * UNIT;
const GOOD = "The capital of France is Paris.";
const JUNK = "Bananas are rich in potassium and grow in tropical climates.";

describe("attacks on free work and on operator keys, from a real client", () => {
	let node, api, acc, mallory;

	before(async () => {
		node = await startNode();
		api = node.api;
		acc = await devAccounts();
		// A validator whose key the node does not hold: the attacker.
		mallory = await fundedAccount(api, acc.Alice, "Mallory", 2_000n * UNIT);
		await send(api, api.tx.poq.registerValidator(BOND), mallory);
	});
	after(() => node?.stop());

	/** Sends `tx` from `signer`, which the pool must refuse with `error`; returns the refusal. */
	async function refused(tx, signer, error) {
		const failure = await send(api, tx, signer).then(
			() => assert.fail(`expected ${error}`),
			(e) => e,
		);
		assert.equal(failure.module, error, failure.message);
		assert.ok(failure.rejected, "refused by the pool, never in a block");
		return failure;
	}

	/** A request with Dave's and Eve's answers revealed, waiting in its commit phase for Mallory. */
	async function committing(prompt) {
		judge(prompt, [GOOD, JUNK]);
		const { events } = await send(api, api.tx.poq.submitRequest(prompt, FEE), acc.Ferdie);
		const id = events.find(({ event }) => api.events.poq.RequestSubmitted.is(event)).event.data.id.toBigInt();
		await Promise.all([answer(api, acc.Dave, [[id, GOOD]]), answer(api, acc.Eve, [[id, JUNK]])]);
		await waitForWork(api, mallory.address, [id], "Commit");
		return id;
	}

	test("block stuffing: a commitment padded with junk reveals, stale megabytes and 129 pieces are refused for free", async () => {
		const id = await committing("What is the capital of France?");
		const before = await balances(api, mallory.address);
		// What the model gives the good answer and the junk, in their order on chain.
		const scores = await honestScores(api, id);
		const salt = randomAsU8a(32);
		const commit = { CommitScores: { id, commitment: u8aToHex(commitment(id, mallory.address, scores, salt)) } };
		const junk = { RevealScores: { id, scores: [1, 2], salt: u8aToHex(randomAsU8a(32)) } };
		const most = api.consts.poq.maxWorkItems.toNumber();

		// Was: valid in the pool (the reveals merely early), failing in the block after the
		// commitment opened the reveal phase, its 342 ms of declared weight charged to nobody.
		await refused(api.tx.poq.submitWork([commit, ...Array(most - 1).fill(junk)]), mallory, "poq.RepeatedRequest");
		// Was: 1.6 MB landed free beside a real commitment, as pieces for unknown requests.
		const megabytes = { RevealScores: { id: 1_000_000, scores: Array(400_000).fill(7), salt: u8aToHex(salt) } };
		await refused(api.tx.poq.submitWork([commit, megabytes]), mallory, "poq.UnknownRequest");
		// Was: `wasm trap: unreachable`.
		const pieces = Array.from({ length: most + 1 }, (_, i) => ({ CommitScores: { id: id + 1000n + BigInt(i), commitment: u8aToHex(randomAsU8a(32)) } }));
		await refused(api.tx.poq.submitWork(pieces), mallory, "poq.TooMuchWork");

		// The commitment alone applies, free.
		await send(api, api.tx.poq.submitWork([commit]), mallory);
		const seat = (await api.query.poq.requests(id)).unwrap().committee.find((m) => m.who.toString() === mallory.address);
		assert.ok(seat.commitment.isSome, "the commitment landed once");
		const after = await balances(api, mallory.address);
		assert.deepEqual(after, before, "every refusal and the valid work cost nothing");

		const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
		await waitForWork(api, mallory.address, [id], "Reveal");
		await send(api, api.tx.poq.submitWork([{ RevealScores: { id, scores, salt: u8aToHex(salt) } }]), mallory);
		const { records } = await done;
		assert.ok(records.some(({ record }) => poqEvent(api, record, "RequestFinalized", id)), "the honest path settles");
	});

	test("operator squatting: a key is named only with its consent, and a named key frees itself for free", async () => {
		const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
		const victim = keyring.addFromUri("//Alice//Victim");
		// An operator key used before it is named gets the pallet's error, not "Inability to pay".
		const id = await committing("Name the largest planet of the solar system.");
		const commit = { CommitScores: { id, commitment: u8aToHex(randomAsU8a(32)) } };
		await refused(api.tx.poq.submitWork([commit]), victim, "poq.NotCommitteeMember");

		// Mallory cannot name the victim's key: a consent for herself signed by another key, or
		// the victim's consent for someone else, is refused by name, and only the fee is paid.
		const other = keyring.addFromUri("//Alice//Other");
		const forged = { ...(await consent(api, other, mallory.address)), key: victim.publicKey };
		const elsewhere = await consent(api, victim, acc.Bob.address);
		for (const bad of [forged, elsewhere]) {
			const failure = await send(api, api.tx.poq.setOperator(bad), mallory).then(() => assert.fail("must fail"), (e) => e);
			assert.equal(failure.module, "poq.BadConsent");
		}
		const expired = await consent(api, victim, mallory.address, -1);
		const late = await send(api, api.tx.poq.setOperator(expired), mallory).then(() => assert.fail("must fail"), (e) => e);
		assert.equal(late.module, "poq.ConsentExpired");
		const stretched = await send(api, api.tx.poq.setOperator({ ...expired, until: expired.until + 100 }), mallory).then(
			() => assert.fail("must fail"),
			(e) => e,
		);
		assert.equal(stretched.module, "poq.BadConsent", "a changed `until` breaks the signature");
		assert.ok((await api.query.poq.principals(victim.address)).isNone);

		// With its consent, Mallory names the key; the key, holding nothing, frees itself.
		const { events } = await send(api, api.tx.poq.setOperator(await consent(api, victim, mallory.address)), mallory);
		assert.ok(events.some(({ event }) => api.events.poq.OperatorSet.is(event) && event.data.operator.unwrap().toString() === victim.address));
		assert.equal((await balances(api, victim.address)).free, 0n, "the operator holds nothing");
		const released = await send(api, api.tx.poq.releaseOperator(), victim);
		const event = released.events.find(({ event }) => api.events.poq.OperatorReleased.is(event));
		assert.equal(event.event.data.who.toString(), mallory.address);
		assert.ok((await api.query.poq.operators(mallory.address)).isNone);
		// Freed, it holds nothing to send a second release with.
		const again = await send(api, api.tx.poq.releaseOperator(), victim).then(() => assert.fail("must fail"), (e) => e);
		assert.match(again.message, /Invalid Transaction/);
	});

	test("answers delivered and unpaid: a committee left by its heaviest member is drawn again without it", async () => {
		// A client that is also the heaviest validator: 60 % of the stake, 9 of every 15 seats.
		const heavy = await fundedAccount(api, acc.Alice, "Heavy", 7_000n * UNIT);
		await send(api, api.tx.poq.registerValidator(6_000n * UNIT), heavy);
		const { events } = await send(api, api.tx.poq.submitRequest("What is the capital of France?", FEE), heavy);
		const id = events.find(({ event }) => api.events.poq.RequestSubmitted.is(event)).event.data.id.toBigInt();
		const failed = watch(api, (r) => poqEvent(api, r, "CommitteeFailed", id));
		const done = watch(api, (r) => poqEvent(api, r, "RequestFinalized", id) || poqEvent(api, r, "RequestExpired", id));
		await Promise.all([answer(api, acc.Dave, [[id, GOOD]]), answer(api, acc.Eve, [[id, JUNK]])]);

		// It stays away: the members in consensus hold no strict majority, and under v2 the
		// request expired here with its whole fee back and nothing for the nodes.
		const { records: before } = await failed;
		const selected = before.find(({ record }) => poqEvent(api, record, "CommitteeSelected", id)).record.event.data.committee;
		const [, seats] = selected.find(([who]) => who.toString() === heavy.address);
		assert.ok(2 * seats.toNumber() > api.consts.poq.committeeSize.toNumber(), "it holds most seats");
		const slashed = before.find(({ record }) => poqEvent(api, record, "ValidatorSlashed", id) && record.event.data.validator.toString() === heavy.address);
		assert.equal(slashed?.record.event.data.amount.toBigInt(), api.consts.poq.absencePenalty.toBigInt() * seats.toBigInt(), "per seat");
		const { records } = await done;
		assert.ok(records.some(({ record }) => poqEvent(api, record, "RequestFinalized", id)), "the next committee decides");
		const outcome = (await api.call.poqApi.requestStatus(id)).unwrap().asFinished;
		assert.ok(outcome.committee.every((v) => v.validator.toString() !== heavy.address), "drawn again without it");
		const dave = outcome.responses.find((r) => r.node.toString() === acc.Dave.address);
		assert.ok(dave.paid.toBigInt() > 0n, "the node that answered well is paid");
		assert.ok(outcome.refund.toBigInt() < FEE, "the client paid for its answers");
	});
});
