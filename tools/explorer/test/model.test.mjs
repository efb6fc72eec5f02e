// The explorer's arithmetic and bookkeeping (src/model.js), by example and by property.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
	accountHistory, appealGrades, appealsOf, cumulative, errorText, formatBalance, formatScore, inConsensus, meanDeviation, parseAmount,
	juryOf, partyOf, settledPerBlock, timeline, displayPhase, phaseLabel,
} from "../src/model.js";

const UNIT = 10n ** 12n;

describe("amounts", () => {
	test("format with at most four decimals, rounded down, and keep one digit of dust", () => {
		assert.equal(formatBalance(10n * UNIT, 12, "POQ"), "10 POQ");
		assert.equal(formatBalance(666_666_666_666n, 12, "POQ"), "0.6666 POQ");
		assert.equal(formatBalance(1_234_500_000_000n, 12, "POQ"), "1.2345 POQ");
		assert.equal(formatBalance(2n, 12, "POQ"), "0.000000000002 POQ");
		assert.equal(formatBalance(0n, 12, "POQ"), "0 POQ");
		assert.equal(formatBalance(-UNIT / 2n, 12, "POQ"), "-0.5 POQ");
		assert.equal(formatBalance(5n, 0, "X"), "5 X");
	});

	test("parse what a person types, and say what is wrong with the rest", () => {
		assert.equal(parseAmount("10", 12), 10n * UNIT);
		assert.equal(parseAmount(" 0.3 ", 12), 300_000_000_000n);
		assert.equal(parseAmount(".5", 12), UNIT / 2n);
		assert.equal(parseAmount("1.", 12), UNIT);
		for (const bad of ["", ".", "ten", "-1", "1e3", "1,5", "0x10"]) {
			assert.throws(() => parseAmount(bad, 12), /is not an amount/, bad);
		}
		assert.throws(() => parseAmount("0.0000000000001", 12), /more than 12 decimals/);
	});

	test("parsing a formatted amount gives it back when nothing was rounded", () => {
		fc.assert(
			fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 18 }), (amount, decimals) => {
				const text = formatBalance(amount, decimals, "", 40).trim();
				assert.equal(parseAmount(text, decimals), amount);
			}),
		);
	});

	test("a formatted amount never shows more than there is", () => {
		fc.assert(
			fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (amount) => {
				const shown = parseAmount(formatBalance(amount, 12, "").trim(), 12);
				assert.ok(shown <= amount);
				assert.ok(amount === 0n || shown > 0n, "dust is not shown as nothing");
			}),
		);
	});
});

describe("scores", () => {
	test("are shown as fractions", () => {
		assert.equal(formatScore(10_000), "1.00");
		assert.equal(formatScore(8731), "0.87");
		assert.equal(formatScore(0), "0.00");
	});

	test("mean distance from consensus, as the pallet measures it against its tolerance", () => {
		assert.equal(meanDeviation([100, 300], [200, 200]), 100);
		assert.ok(inConsensus([100, 300], [200, 200], 100));
		assert.ok(!inConsensus([100, 301], [200, 200], 100));
		assert.equal(meanDeviation(null, [1]), null);
		assert.equal(meanDeviation([1, 2], [1]), null);
		assert.equal(meanDeviation([], []), null);
	});

	test("a member is in consensus exactly when its mean distance is within the tolerance", () => {
		const scores = fc.integer({ min: 0, max: 10_000 });
		fc.assert(
			fc.property(
				fc.array(fc.tuple(scores, scores), { minLength: 1, maxLength: 8 }),
				fc.integer({ min: 0, max: 10_000 }),
				(pairs, tolerance) => {
					const mine = pairs.map(([s]) => s);
					const consensus = pairs.map(([, c]) => c);
					assert.equal(inConsensus(mine, consensus, tolerance), meanDeviation(mine, consensus) <= tolerance);
				},
			),
		);
	});
});

describe("a request's timeline", () => {
	const ev = (block, name, data = {}) => ({ block, name, data });
	const full = [
		ev(5, "RequestSubmitted"),
		ev(7, "NodesSelected", { respondBy: 17 }),
		ev(9, "ResponseRevealStarted", { revealBy: 14 }),
		ev(16, "CommitteeSelected", { commitBy: 21 }),
		ev(18, "RevealStarted", { revealBy: 23 }),
		ev(19, "RequestFinalized"),
	];

	test("puts each phase where its event says it began, and the committee draw where the reveals ended", () => {
		assert.deepEqual(timeline(full, 30, "Finalized"), [
			{ phase: "DrawingNodes", from: 5, to: 7 },
			{ phase: "AwaitingResponses", from: 7, to: 9 },
			{ phase: "RevealingResponses", from: 9, to: 14 },
			{ phase: "DrawingCommittee", from: 14, to: 16 },
			{ phase: "Committing", from: 16, to: 18 },
			{ phase: "Revealing", from: 18, to: 19 },
			{ phase: "Finalized", from: 19, to: 20 },
		]);
	});

	test("a committee that failed is drawn again: its phases repeat", () => {
		const redrawn = [...full.slice(0, 5), ev(23, "CommitteeFailed", { redrawsLeft: 1 }), ev(26, "CommitteeSelected"), ev(28, "RevealStarted"), ev(29, "RequestFinalized")];
		assert.deepEqual(timeline(redrawn, 30, "Finalized").slice(3), [
			{ phase: "DrawingCommittee", from: 14, to: 16 },
			{ phase: "Committing", from: 16, to: 18 },
			{ phase: "Revealing", from: 18, to: 23 },
			{ phase: "DrawingCommittee", from: 23, to: 26 },
			{ phase: "Committing", from: 26, to: 28 },
			{ phase: "Revealing", from: 28, to: 29 },
			{ phase: "Finalized", from: 29, to: 30 },
		]);
		assert.deepEqual(timeline(redrawn.slice(0, 6), 24, "DrawingCommittee").at(-1), { phase: "DrawingCommittee", from: 23, to: null });
	});

	// A request disputed in block 21, its jury revealing from block 25.
	const disputed = [
		...full.slice(0, 5),
		ev(19, "RequestProvisional", { disputeBy: 24 }),
		ev(21, "Disputed"),
		ev(23, "JurySelected", { commitBy: 28 }),
		ev(25, "RevealStarted", { revealBy: 30 }),
	];

	test("a disputed request: provisional, then its jury's own phases, then final", () => {
		const final = [...disputed, ev(26, "RequestFinalized")];
		assert.deepEqual(timeline(final, 30, "Finalized").slice(4), [
			{ phase: "Committing", from: 16, to: 18 },
			{ phase: "Revealing", from: 18, to: 19 },
			{ phase: "Provisional", from: 19, to: 21 },
			{ phase: "DrawingJury", from: 21, to: 23 },
			{ phase: "JuryCommitting", from: 23, to: 25 },
			{ phase: "JuryRevealing", from: 25, to: 26 },
			{ phase: "Finalized", from: 26, to: 27 },
		]);
		assert.equal(displayPhase("Revealing", final), "JuryRevealing");
		assert.equal(displayPhase("Revealing", full), "Revealing");
		assert.equal(displayPhase("Provisional", final), "Provisional");
		assert.equal(phaseLabel("Provisional"), "provisional: open to dispute");
	});

	test("an appealed finding: provisional again, then the appeal's jury's own phases, then final", () => {
		const appealed = [
			...disputed,
			ev(27, "DisputeResolved", { grades: [] }),
			ev(27, "RequestProvisional", { disputeBy: 32 }),
			ev(29, "Appealed", { level: 2 }),
			ev(31, "JurySelected", { commitBy: 36 }),
			ev(33, "RevealStarted", { revealBy: 38 }),
			ev(35, "RequestFinalized"),
		];
		assert.deepEqual(timeline(appealed, 40, "Finalized").slice(9), [
			{ phase: "JuryRevealing", from: 25, to: 27 },
			{ phase: "Provisional", from: 27, to: 29 },
			{ phase: "DrawingJury", from: 29, to: 31 },
			{ phase: "JuryCommitting", from: 31, to: 33 },
			{ phase: "JuryRevealing", from: 33, to: 35 },
			{ phase: "Finalized", from: 35, to: 36 },
		]);
		assert.equal(displayPhase("Provisional", appealed), "Provisional");
	});

	test("leaves the phase a live request is in open", () => {
		assert.deepEqual(timeline(full.slice(0, 3), 12, "RevealingResponses").at(-1), { phase: "RevealingResponses", from: 9, to: null });
		assert.deepEqual(timeline(full.slice(0, 3), 15, "DrawingCommittee").at(-1), { phase: "DrawingCommittee", from: 14, to: null });
	});

	test("shows no committee draw that took no block, and an expiry as the end", () => {
		const drawnAtOnce = [...full.slice(0, 3), ev(14, "CommitteeSelected"), ev(16, "RequestExpired")];
		assert.deepEqual(
			timeline(drawnAtOnce, 20, "Expired").map((p) => p.phase),
			["DrawingNodes", "AwaitingResponses", "RevealingResponses", "Committing", "Expired"],
		);
	});

	test("ignores other events and keeps the first of repeated ones", () => {
		const noisy = [ev(5, "RequestSubmitted"), ev(6, "ResponseCommitted"), ev(7, "NodesSelected"), ev(8, "NodesSelected")];
		assert.deepEqual(timeline(noisy, 9, "AwaitingResponses"), [
			{ phase: "DrawingNodes", from: 5, to: 7 },
			{ phase: "AwaitingResponses", from: 7, to: null },
		]);
	});
});

describe("an account's history", () => {
	const outcome = (id, finishedAt, over) => ({
		id, finishedAt, client: "C", fee: 10n, refund: 1n, phase: "Finalized", responses: [], committee: [], ...over,
	});
	const outcomes = [
		outcome(2n, 20, { responses: [{ node: "N", score: 9000, paid: 6n, slashed: 0n }], committee: [{ validator: "V", verdict: "OffConsensus", paid: 0n, slashed: 3n }] }),
		outcome(1n, 12, { client: "N", responses: [{ node: "M", score: null, paid: 0n, slashed: 4n }], committee: [{ validator: "V", verdict: "InConsensus", paid: 2n, slashed: 0n }] }),
	];

	test("has a row per role per request, oldest first, and running totals", () => {
		assert.deepEqual(accountHistory(outcomes, "V"), [
			{ id: 1n, block: 12, role: "validator", paid: 2n, slashed: 0n, spent: 0n },
			{ id: 2n, block: 20, role: "validator", paid: 0n, slashed: 3n, spent: 0n },
		]);
		assert.deepEqual(cumulative(accountHistory(outcomes, "V")), [
			{ block: 12, earned: 2n, lost: 0n },
			{ block: 20, earned: 2n, lost: 3n },
		]);
		assert.deepEqual(accountHistory(outcomes, "N").map((r) => [r.id, r.role, r.spent]), [[1n, "client", 9n], [2n, "node", 0n]]);
		assert.deepEqual(accountHistory(outcomes, "nobody"), []);
	});

	test("totals are what the outcomes paid and took from the account", () => {
		const account = fc.constantFrom("A", "B", "C");
		const amount = fc.bigInt({ min: 0n, max: 10n ** 20n });
		const gen = fc.array(
			fc.record({
				id: fc.bigInt({ min: 0n, max: 1000n }),
				finishedAt: fc.nat(600),
				client: account,
				fee: amount,
				refund: fc.constant(0n),
				phase: fc.constant("Finalized"),
				responses: fc.array(fc.record({ node: account, score: fc.constant(null), paid: amount, slashed: amount }), { maxLength: 3 }),
				committee: fc.array(fc.record({ validator: account, verdict: fc.constant("InConsensus"), paid: amount, slashed: amount }), { maxLength: 3 }),
			}),
			{ maxLength: 6 },
		);
		fc.assert(
			fc.property(gen, account, (all, who) => {
				const last = cumulative(accountHistory(all, who)).at(-1) ?? { earned: 0n, lost: 0n };
				const sum = (xs) => xs.reduce((a, b) => a + b, 0n);
				const seats = all.flatMap((o) => [...o.responses.filter((r) => r.node === who), ...o.committee.filter((m) => m.validator === who)]);
				assert.equal(last.earned, sum(seats.map((s) => s.paid)));
				assert.equal(last.lost, sum(seats.map((s) => s.slashed)) + sum(all.filter((o) => o.client === who).map((o) => o.fee)));
			}),
		);
	});
});

test("requests settled per block count each outcome once, in its block", () => {
	const outcomes = [
		{ finishedAt: 3, phase: "Finalized" },
		{ finishedAt: 3, phase: "Expired" },
		{ finishedAt: 5, phase: "Finalized" },
		{ finishedAt: 9, phase: "Finalized" },
	];
	assert.deepEqual(settledPerBlock(outcomes, 2, 5), [
		{ block: 2, finalized: 0, expired: 0 },
		{ block: 3, finalized: 1, expired: 1 },
		{ block: 4, finalized: 0, expired: 0 },
		{ block: 5, finalized: 1, expired: 0 },
	]);
	assert.equal(settledPerBlock(outcomes, -3, 1).length, 2, "no block before genesis");
});

test("a failed transaction in words: the pallet's error and its documentation", () => {
	const meta = { section: "poq", name: "FeeTooLow", docs: ["The fee is below `MinFee`."] };
	assert.equal(errorText(meta), "poq.FeeTooLow: The fee is below MinFee.");
	assert.equal(errorText({ ...meta, docs: [] }), "poq.FeeTooLow");
	assert.equal(errorText(null, "1010: Invalid Transaction: Inability to pay some fees"), "1010: Invalid Transaction: Inability to pay some fees");
});

describe("disputes", () => {
	test("the appeals of a dispute come from its Appealed events, in order", () => {
		const events = [
			{ name: "Disputed", data: {} },
			{ name: "DisputeResolved", data: { grades: [] } },
			{ name: "Appealed", data: { level: 2, who: "5Grw", deposit: 20n } },
			{ name: "DisputeResolved", data: { grades: [] } },
		];
		assert.deepEqual(appealsOf(events), [{ level: 2, who: "5Grw", deposit: 20n }]);
		assert.deepEqual(appealsOf(events.slice(0, 2)), [], "a dispute nobody appealed");
	});

	test("each juror's jury comes from the JurySelected events, in the order they sat", () => {
		const events = [
			{ name: "Disputed", data: {} },
			{ name: "JurySelected", data: { jury: ["grace", "heidi"] } },
			{ name: "DisputeResolved", data: { grades: [] } },
			{ name: "Appealed", data: { level: 2 } },
			{ name: "JurySelected", data: { jury: ["judy"] } },
		];
		assert.deepEqual([...juryOf(events)], [["grace", 1], ["heidi", 1], ["judy", 2]]);
		assert.equal(juryOf([{ name: "RequestFinalized", data: {} }]).size, 0, "no dispute");
	});

	test("a dispute names what its appellant is to the request: any party may dispute", () => {
		const outcome = {
			client: "ferdie",
			committee: [{ validator: "alice" }, { validator: "mallory" }],
			responses: [{ node: "dave" }, { node: "eve" }],
		};
		assert.equal(partyOf(outcome, "ferdie"), "client");
		assert.equal(partyOf(outcome, "alice"), "committee member");
		assert.equal(partyOf(outcome, "eve"), "node");
		assert.equal(partyOf(outcome, "grace"), null);
	});

	test("the appeal judge's grades come from the last DisputeResolved event, as the judge gave them", () => {
		const events = [
			{ name: "Disputed", data: {} },
			{ name: "DisputeResolved", data: { grades: [9_000, 1_000] } },
		];
		assert.deepEqual(appealGrades(events), [9, 1]);
		assert.equal(appealGrades([{ name: "DisputeResolved", data: { grades: [] } }]), null, "no appeal judge pinned");
		assert.equal(appealGrades([{ name: "RequestFinalized", data: {} }]), null, "no dispute");
		assert.equal(appealGrades([]), null);
	});
});
