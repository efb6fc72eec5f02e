// What the explorer shows, computed from plain values (bigints, numbers, strings) read from the
// chain: no API object and no DOM here, so every rule is testable in Node (test/model.test.mjs).

/** Phases of a request, in the order a request goes through them (`pallet_poq::Phase`). */
export const PHASES = [
	"DrawingNodes",
	"AwaitingResponses",
	"RevealingResponses",
	"DrawingCommittee",
	"Committing",
	"Revealing",
	"Provisional",
	"DrawingJury",
	"JuryCommitting",
	"JuryRevealing",
];
/** The phases a request ends in. */
export const FINAL_PHASES = ["Finalized", "Expired"];

/** A phase name in words. */
export function phaseLabel(phase) {
	return (
		{
			DrawingNodes: "drawing inference nodes",
			AwaitingResponses: "nodes commit to answers",
			RevealingResponses: "nodes reveal answers",
			DrawingCommittee: "drawing the committee",
			Committing: "committee commits scores",
			Revealing: "committee reveals scores",
			Provisional: "provisional: open to dispute",
			DrawingJury: "disputed: drawing the jury",
			JuryCommitting: "jury commits scores",
			JuryRevealing: "jury reveals scores",
			Finalized: "finalized",
			Expired: "expired",
		}[phase] ?? phase
	);
}

/** Highest score (`pallet_poq::consensus::MAX_SCORE`): scores are in ten-thousandths. */
export const MAX_SCORE = 10_000;

/** A score (0..=10 000) as a fraction with two decimals: 8731 -> "0.87". */
export function formatScore(score) {
	return (score / MAX_SCORE).toFixed(2);
}

/**
 * `amount` (planck, a bigint) in units of `decimals` decimals, with at most `shown` decimals
 * (rounded down; trailing zeros dropped) and the symbol: 1_234_500_000_000n, 12 -> "1.2345 UNIT".
 * Amounts that round to nothing but are not zero keep one significant digit.
 */
export function formatBalance(amount, decimals, symbol, shown = 4) {
	const value = BigInt(amount);
	const negative = value < 0n;
	const abs = negative ? -value : value;
	const base = 10n ** BigInt(decimals);
	const whole = abs / base;
	let fraction = (abs % base).toString().padStart(decimals, "0");
	let digits = Math.min(shown, decimals);
	if (whole === 0n && abs !== 0n && /^0*$/.test(fraction.slice(0, digits))) {
		digits = fraction.search(/[1-9]/) + 1;
	}
	fraction = fraction.slice(0, digits).replace(/0+$/, "");
	const text = fraction ? `${whole}.${fraction}` : `${whole}`;
	return `${negative ? "-" : ""}${text} ${symbol}`.trim();
}

/**
 * A decimal amount typed by a person ("1.5", "10", "0.300") in planck of `decimals` decimals.
 * Throws an `Error` saying what is wrong with anything else (signs, exponents, too many decimals).
 */
export function parseAmount(text, decimals) {
	const trimmed = String(text).trim();
	const match = /^(\d*)(?:\.(\d*))?$/.exec(trimmed);
	if (!trimmed || !match || (match[1] === "" && !match[2])) {
		throw new Error(`"${text}" is not an amount: write it like 10 or 0.5`);
	}
	const [, whole, fraction = ""] = match;
	if (fraction.length > decimals) {
		throw new Error(`"${text}" has more than ${decimals} decimals`);
	}
	return BigInt(whole || "0") * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/**
 * How far a member's revealed scores sat from consensus: the mean absolute difference per
 * answer, the measure the pallet holds against its tolerance (`consensus::in_consensus`).
 * `null` when there is nothing to compare.
 */
export function meanDeviation(scores, consensus) {
	if (!scores || !consensus || consensus.length === 0 || scores.length !== consensus.length) return null;
	return totalDistance(scores, consensus) / consensus.length;
}

/** Whether `scores` are within `tolerance` of `consensus`, exactly as the pallet decides it. */
export function inConsensus(scores, consensus, tolerance) {
	return totalDistance(scores, consensus) <= tolerance * consensus.length;
}

/** The summed absolute difference of `scores` from `consensus`, answer by answer. */
function totalDistance(scores, consensus) {
	return scores.reduce((sum, score, i) => sum + Math.abs(score - consensus[i]), 0);
}

/** The phase each `Poq` event of a request starts, by event name. */
const STARTS = {
	RequestSubmitted: "DrawingNodes",
	NodesSelected: "AwaitingResponses",
	ResponseRevealStarted: "RevealingResponses",
	CommitteeSelected: "Committing",
	RevealStarted: "Revealing",
	CommitteeFailed: "DrawingCommittee",
	RequestProvisional: "Provisional",
	Disputed: "DrawingJury",
	Appealed: "DrawingJury",
	JurySelected: "JuryCommitting",
	RequestFinalized: "Finalized",
	RequestExpired: "Expired",
};

/**
 * The phase to show for a request the chain says is in `phase`, given its events: a disputed
 * request's jury commits and reveals in the chain's `Committing` and `Revealing`.
 */
export function displayPhase(phase, events) {
	if (!events.some((e) => e.name === "Disputed")) return phase;
	return { Committing: "JuryCommitting", Revealing: "JuryRevealing" }[phase] ?? phase;
}

/**
 * A request's phases as block ranges, from its events `{ block, name, data }` (oldest first),
 * the block the chain is at, and, if known, the phase it is in now. Each entry is
 * `{ phase, from, to }`: it began in block `from` and lasted until `to` (exclusive; `null` while
 * it goes on; a final phase is a single block). The first committee draw has no event of its
 * own: it starts where the answers' reveal window ends (`ResponseRevealStarted.reveal_by`). A
 * committee that failed (`CommitteeFailed`) is drawn again: the committee's phases repeat. A
 * disputed request's jury (`Disputed`) has phases of its own, as has each appeal's
 * (`Appealed`), each after the provisional finding it appealed.
 */
export function timeline(events, head, current) {
	const starts = [];
	// Committees that failed so far, and a dispute: each later one's phases are its own.
	let round = 0;
	let disputed = false;
	for (const { block, name } of events) {
		if (name === "Disputed") disputed = true;
		const phase = disputed && name === "RevealStarted" ? "JuryRevealing" : STARTS[name];
		if (name === "CommitteeFailed" || name === "Disputed" || name === "Appealed") round += 1;
		if (phase && !starts.some((s) => s.phase === phase && s.round === round)) starts.push({ phase, from: block, round });
	}
	const revealBy = events.find((e) => e.name === "ResponseRevealStarted")?.data?.revealBy;
	const drawn = starts.find((s) => s.phase === "Committing");
	const drawing = drawn ? revealBy < drawn.from : current === "DrawingCommittee" && revealBy <= head;
	if (revealBy !== undefined && drawing) starts.push({ phase: "DrawingCommittee", from: revealBy, round: 0 });
	const order = [...PHASES, ...FINAL_PHASES];
	starts.sort((a, b) => a.from - b.from || a.round - b.round || order.indexOf(a.phase) - order.indexOf(b.phase));
	return starts.map(({ phase, from }, i) => {
		const final = FINAL_PHASES.includes(phase);
		const next = starts[i + 1];
		return { phase, from, to: final ? from + 1 : next ? next.from : null };
	});
}

/**
 * What `who` earned and lost on each finished request of `outcomes` (plain outcomes, as
 * `chain.js` decodes them), oldest first: `{ id, block, role, paid, slashed, spent }`, where
 * `role` is "node", "validator" or "client" and `spent` is what a client paid for its answer
 * (fee less refund). An account can hold several roles on one request; each is its own row.
 */
export function accountHistory(outcomes, who) {
	const rows = [];
	for (const outcome of outcomes) {
		const base = { id: outcome.id, block: outcome.finishedAt };
		for (const response of outcome.responses) {
			if (response.node === who) {
				rows.push({ ...base, role: "node", paid: response.paid, slashed: response.slashed, spent: 0n });
			}
		}
		for (const member of outcome.committee) {
			if (member.validator === who) {
				rows.push({ ...base, role: "validator", paid: member.paid, slashed: member.slashed, spent: 0n });
			}
		}
		if (outcome.client === who) {
			rows.push({ ...base, role: "client", paid: 0n, slashed: 0n, spent: outcome.fee - outcome.refund });
		}
	}
	return rows.sort((a, b) => a.block - b.block || Number(a.id - b.id));
}

/** Running totals of `rows` (`accountHistory`): `{ block, earned, lost }` after each row. */
export function cumulative(rows) {
	let earned = 0n;
	let lost = 0n;
	return rows.map((row) => {
		earned += row.paid;
		lost += row.slashed + row.spent;
		return { block: row.block, earned, lost };
	});
}

/**
 * Requests that finished in each block from `from` to `to` (inclusive), from plain outcomes:
 * `{ block, finalized, expired }` per block, blocks without any included.
 */
export function settledPerBlock(outcomes, from, to) {
	const rows = [];
	for (let block = Math.max(0, from); block <= to; block++) rows.push({ block, finalized: 0, expired: 0 });
	for (const outcome of outcomes) {
		const row = rows[outcome.finishedAt - Math.max(0, from)];
		if (!row) continue;
		if (outcome.phase === "Finalized") row.finalized++;
		else row.expired++;
	}
	return rows;
}

/**
 * A failed transaction in words. `meta` is what `registry.findMetaError` gives for a module
 * error (`{ section, name, docs }`); anything else falls back to `fallback`.
 */
export function errorText(meta, fallback) {
	if (!meta) return String(fallback);
	const words = meta.docs.join(" ").replace(/`/g, "").trim();
	return `${meta.section}.${meta.name}${words ? `: ${words}` : ""}`;
}

/** `address` shortened for tables: "5Grw…utQY"; `names` maps known addresses to names. */
export function shortAddress(address, names = {}) {
	if (names[address]) return names[address];
	return address.length > 12 ? `${address.slice(0, 4)}…${address.slice(-4)}` : address;
}

/** Hex of a 32-byte digest, shortened: "0x5caf…3fd". */
export function shortDigest(hex) {
	return hex && hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : (hex ?? "none");
}

/**
 * The appeals of a disputed request's jury findings, from its `Appealed` events (oldest first):
 * `{ level, who, deposit }` each, the level of the jury it asked for (2 for the first appeal).
 */
export function appealsOf(events) {
	return events.filter((e) => e.name === "Appealed").map(({ data }) => ({ level: data.level, who: data.who, deposit: data.deposit }));
}

/**
 * Which jury each juror of a disputed request sat on, from its `JurySelected` events (oldest
 * first): a map from account to 1 for the first jury, 2 for the first appeal's, and so on. No
 * account sits on two juries of a request.
 */
export function juryOf(events) {
	const juries = events.filter((e) => e.name === "JurySelected");
	return new Map(juries.flatMap(({ data }, i) => (data.jury ?? []).map((who) => [who, i + 1])));
}

/**
 * What `who` is to the finished request `outcome` (`client`, `committee` and `responses` as
 * `plainOutcome` gives them), as a dispute or an appeal names it: "client", "committee member",
 * "node" (it answered), or null for none of them.
 */
export function partyOf(outcome, who) {
	if (outcome.client === who) return "client";
	if (outcome.committee.some((m) => m.validator === who)) return "committee member";
	if (outcome.responses.some((r) => r.node === who)) return "node";
	return null;
}

/**
 * The appeal judge's grades of a disputed request's answers, in answer order, from its
 * `DisputeResolved` event among `events` (each grade 0 to 10, as the judge gave it); null when
 * the jury graded nothing (no appeal judge was pinned, or no dispute).
 */
export function appealGrades(events) {
	const resolved = events.findLast((e) => e.name === "DisputeResolved");
	const grades = resolved?.data?.grades;
	return grades?.length ? grades.map((grade) => grade / 1_000) : null;
}
