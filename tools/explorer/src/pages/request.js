// The request page: the request's phases on a timeline of blocks, its prompt and answers with
// their consensus scores and pay, each committee member's revealed scores against consensus,
// the refund and the slashes. A live request is read again at every block; a finished one is
// final.

import { loadRequest } from "../chain.js";
import { scoresPlot } from "../charts.js";
import { FINAL_PHASES, appealGrades, appealsOf, displayPhase, formatScore, juryOf, meanDeviation, partyOf, phaseLabel, shortAddress, timeline } from "../model.js";
import { facts, h, notice, section, table } from "../ui.js";
import { accountLink, blockLink, moneyCell } from "./common.js";

export async function render(ctx, id) {
	const r = await loadRequest(ctx.api, ctx.events, id);
	if (!r.known) {
		return h(
			"div",
			{ dataset: { page: "request" } },
			h("h1", {}, `Request #${id}`),
			notice(
				"error",
				`The chain does not know request #${id}: it was never submitted, or it finished more than ${ctx.info.retainFinished} blocks ago and its outcome was pruned.`,
			),
		);
	}
	const phase = displayPhase(r.live?.phase ?? r.outcome.phase, r.events);
	const final = FINAL_PHASES.includes(phase);
	const client = r.live?.client ?? r.outcome.client;
	const fee = r.live?.fee ?? r.outcome.fee;
	return h(
		"div",
		// A finished request's page does not change: it is not read again.
		{ dataset: { page: "request", phase, final: String(final) } },
		h("h1", {}, `Request #${id}`, h("span", { class: `badge ${phase}`, dataset: { testid: "phase", phase } }, phaseLabel(phase))),
		facts([
			["client", accountLink(ctx, client)],
			["fee", h("span", { dataset: { planck: fee.toString(), field: "fee" } }, ctx.money(fee))],
			r.live && ["phase ends", h("span", {}, "before block ", blockLink(ctx, r.live.endsAt), ` (now #${r.head})`)],
			r.outcome && ["finished in block", blockLink(ctx, r.outcome.finishedAt)],
			r.outcome && ["refund", h("span", { dataset: { planck: r.outcome.refund.toString(), field: "refund" } }, ctx.money(r.outcome.refund))],
			r.details?.model && ["quality model", h("code", {}, r.details.model)],
			r.details && ["prompt", h("div", { class: "answer", dataset: { field: "prompt" } }, r.details.prompt ?? "")],
		]),
		r.detailsError && notice("note", r.detailsError),
		section("Timeline", timelineView(ctx, r, phase)),
		section("Answers", answersView(ctx, r)),
		section(phase.startsWith("Jury") ? "Jury" : "Committee", committeeView(ctx, r)),
		r.outcome?.dispute && section("Dispute", disputeView(ctx, r.outcome.dispute, r)),
	);
}

/**
 * What the dispute found, who asked for it, its appeals, the appeal judge's grades, and what each juror
 * of every jury earned or lost, judged against the last.
 */
function disputeView(ctx, dispute, r) {
	const grades = appealGrades(r.events);
	const answers = r.outcome.responses.map((a) => shortAddress(a.node, ctx.names));
	const found = {
		Upheld: "upheld: the last jury agreed with the committee, and the deposits staked against it paid the jurors who agreed",
		Overturned: "overturned: the last jury contradicted the committee; the request was settled by its scores, and the liars' and the junk's penalties (and any deposit staked against it) paid the jurors who agreed",
		Lapsed: "lapsed: no jury stood, the committee's outcome stands and the deposit went back",
	}[dispute.finding];
	const appeals = appealsOf(r.events);
	const juries = juryOf(r.events);
	// Any party to the request may dispute (the client, a committee member, a node that answered).
	const party = (who) => {
		const role = partyOf(r.outcome, who);
		return role && h("span", { dataset: { field: "party" } }, ` (${role})`);
	};
	return [
		facts([
			["appellant", [accountLink(ctx, dispute.appellant), party(dispute.appellant)]],
			["deposit", h("span", { dataset: { planck: dispute.deposit.toString(), field: "deposit" } }, ctx.money(dispute.deposit))],
			["finding", h("span", { class: `badge ${dispute.finding}`, dataset: { testid: "finding", finding: dispute.finding } }, found ?? dispute.finding)],
			appeals.length > 0 && [
				"appeals",
				h(
					"span",
					{ dataset: { field: "appeals" } },
					appeals.map((a, i) => [i > 0 && ", ", `jury ${a.level} asked by `, accountLink(ctx, a.who), party(a.who), ` (deposit ${ctx.money(a.deposit)})`]),
				),
			],
			grades && [
				"appeal judge's grades (0 to 10)",
				h("span", { dataset: { field: "grades", grades: grades.join(",") } }, grades.map((g, i) => `${answers[i] ?? `answer ${i + 1}`}: ${g}`).join(", ")),
			],
		]),
		table(
			["juror", "jury", "verdict", "paid", "slashed"],
			dispute.jury.map((m) =>
				h(
					"tr",
					{ dataset: { validator: m.validator } },
					h("td", {}, accountLink(ctx, m.validator)),
					h("td", { dataset: { field: "jury" } }, String(juries.get(m.validator) ?? "")),
					h("td", {}, h("span", { class: `badge ${m.verdict}`, dataset: { field: "verdict" } }, m.verdict)),
					moneyCell(ctx, m.paid, "paid"),
					moneyCell(ctx, m.slashed, "slashed"),
				),
			),
			{ dataset: { testid: "jury" } },
		),
	];
}

function timelineView(ctx, r, phase) {
	const phases = timeline(r.events, r.head, phase);
	if (!phases.length) return h("p", { class: "hint" }, "No event of this request is in the recent blocks this node keeps.");
	return h(
		"div",
		{ class: "timeline", dataset: { testid: "timeline" } },
		phases.map((p) =>
			h(
				"div",
				{ class: `phase ${p.phase}${p.to === null ? " now" : ""}`, style: `flex-grow: ${Math.max(1, (p.to ?? r.head + 1) - p.from)}` },
				h("strong", {}, phaseLabel(p.phase)),
				h("br"),
				"from ",
				blockLink(ctx, p.from),
				p.to !== null && !FINAL_PHASES.includes(p.phase) ? [" to ", blockLink(ctx, p.to - 1)] : p.to === null ? " on" : null,
			),
		),
	);
}

/** The consensus score of each revealed answer, in response order (none without consensus). */
function consensusOf(outcome) {
	return outcome.responses.map((x) => x.score).filter((score) => score !== null);
}

function answersView(ctx, r) {
	const outputs = Object.fromEntries((r.details?.answers ?? []).map((a) => [a.node, a.output]));
	if (r.outcome) {
		if (!r.outcome.responses.length) return h("p", { class: "hint" }, "No node answered.");
		return table(
			["node", "answer", "consensus score", "paid", "slashed"],
			r.outcome.responses.map((x) =>
				h(
					"tr",
					{ dataset: { node: x.node } },
					h("td", {}, accountLink(ctx, x.node)),
					h("td", { class: "answer" }, outputs[x.node] ?? (x.score === null ? "never revealed" : "")),
					h("td", { class: "num", dataset: { field: "score", score: x.score ?? "" } }, x.score === null ? "–" : formatScore(x.score)),
					moneyCell(ctx, x.paid, "paid"),
					moneyCell(ctx, x.slashed, "slashed"),
				),
			),
			{ dataset: { testid: "answers" } },
		);
	}
	if (!r.live.nodes.length) return h("p", { class: "hint" }, "The inference nodes are not drawn yet.");
	return table(
		["node", "committed", "revealed", "answer"],
		r.live.nodes.map((seat) => [
			accountLink(ctx, seat.who),
			seat.committed ? "yes" : "no",
			seat.revealed ? "yes" : "no",
			h("td", { class: "answer" }, outputs[seat.who] ?? ""),
		]),
		{ dataset: { testid: "answers" } },
	);
}

function committeeView(ctx, r) {
	const seats = r.details?.seats ?? {};
	if (r.outcome) {
		if (!r.outcome.committee.length) return h("p", { class: "hint" }, "No committee was drawn.");
		const consensus = consensusOf(r.outcome);
		const revealed = r.outcome.committee
			.map((m) => ({ name: shortAddress(m.validator, ctx.names), scores: r.reveals[m.validator] }))
			.filter((m) => m.scores);
		const answers = (r.details?.answers ?? []).map((a) => shortAddress(a.node, ctx.names));
		return [
			table(
				["validator", "seats", "revealed scores", "mean distance from consensus", "verdict", "paid", "slashed"],
				r.outcome.committee.map((m) => {
					const reveal = r.reveals[m.validator];
					const deviation = meanDeviation(reveal, consensus);
					return h(
						"tr",
						{ dataset: { validator: m.validator } },
						h("td", {}, accountLink(ctx, m.validator)),
						h("td", { class: "num", dataset: { field: "seats" } }, seats[m.validator] ?? ""),
						h("td", { class: "num", dataset: { field: "reveal", scores: reveal?.join(",") ?? "" } }, reveal ? reveal.map(formatScore).join(", ") : "–"),
						h(
							"td",
							{ class: "num", title: `tolerance ${formatScore(ctx.info.tolerance)}` },
							deviation === null ? "–" : `${formatScore(deviation)} (tolerance ${formatScore(ctx.info.tolerance)})`,
						),
						h("td", {}, h("span", { class: `badge ${m.verdict}`, dataset: { field: "verdict" } }, m.verdict)),
						moneyCell(ctx, m.paid, "paid"),
						moneyCell(ctx, m.slashed, "slashed"),
					);
				}),
				{ dataset: { testid: "committee" } },
			),
			revealed.length && answers.length ? scoresPlot(answers, consensus, revealed) : null,
		];
	}
	if (!r.live.committee.length) return h("p", { class: "hint" }, "The committee is drawn once the answers are revealed.");
	return table(
		["validator", "seats", "committed", "revealed scores"],
		r.live.committee.map((seat) => [
			accountLink(ctx, seat.who),
			seats[seat.who] ?? "",
			seat.committed ? "yes" : "no",
			seat.revealed ? (r.reveals[seat.who]?.map(formatScore).join(", ") ?? "yes") : "no",
		]),
		{ dataset: { testid: "committee" } },
	);
}
