// The chain page: where the chain is, its quality model, the live requests, the pools, and how
// many requests settled in each recent block.

import { loadChain } from "../chain.js";
import { settledPlot } from "../charts.js";
import { formatScore, phaseLabel, settledPerBlock } from "../model.js";
import { facts, h, section, table } from "../ui.js";
import { accountLink, blockLink, requestLink } from "./common.js";

/** Blocks the settled-per-block plot covers. */
const PLOTTED = 100;

export async function render(ctx) {
	const c = await loadChain(ctx.api);
	const recent = c.outcomes.slice(-20).reverse();
	return h(
		"div",
		{ dataset: { page: "chain", head: c.head } },
		h("h1", {}, ctx.info.name, h("span", { class: "badge" }, ctx.info.type)),
		facts([
			["best block", blockLink(ctx, c.head)],
			["finalized", blockLink(ctx, c.finalized)],
			["quality model", h("code", { dataset: { testid: "model" } }, c.model ?? "none set")],
			c.change && ["model change", h("span", {}, "to ", h("code", {}, c.change.digest), ` at block ${c.change.at}`)],
			["requests submitted", c.submitted.toString()],
			["pools", `${c.pools.nodes} inference nodes, ${c.pools.validators} validators`],
		]),
		section(
			`Live requests (${c.live.length})`,
			c.live.length
				? table(
						["request", "client", "fee", "phase", "until block"],
						c.live.map((r) => [requestLink(r.id), accountLink(ctx, r.client), ctx.money(r.fee), phaseLabel(r.phase), r.endsAt]),
						{ dataset: { testid: "live" } },
					)
				: h("p", { class: "hint" }, "No request is live."),
		),
		section(
			"Requests settled per block",
			settledPlot(settledPerBlock(c.outcomes, c.head - PLOTTED + 1, c.head)),
			h("p", { class: "hint" }, `The last ${PLOTTED} blocks. The chain keeps outcomes for ${ctx.info.retainFinished} blocks.`),
		),
		section(
			"Recently finished",
			recent.length
				? table(
						["request", "outcome", "block", "client", "consensus scores", "refund"],
						recent.map((o) => [
							requestLink(o.id),
							h("span", { class: `badge ${o.phase}` }, o.phase),
							blockLink(ctx, o.finishedAt),
							accountLink(ctx, o.client),
							o.responses.filter((r) => r.score !== null).map((r) => formatScore(r.score)).join(", ") || "–",
							ctx.money(o.refund),
						]),
						{ dataset: { testid: "finished" } },
					)
				: h("p", { class: "hint" }, "No request has finished recently."),
		),
	);
}
