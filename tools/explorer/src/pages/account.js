// The account page: its balance, role, bond and standing, the work the chain expects of it, the
// live requests it sits on, and what it earned and lost on the requests the chain still keeps.

import { decodeAddress } from "@polkadot/util-crypto";
import { loadAccount } from "../chain.js";
import { earningsPlot } from "../charts.js";
import { accountHistory, cumulative, phaseLabel, shortAddress } from "../model.js";
import { facts, h, notice, section, table } from "../ui.js";
import { accountLink, blockLink, moneyCell, requestLink } from "./common.js";

const roleLabel = (role) => (role === "Validator" ? "validator" : "inference node");

/** Rows of the history table shown, newest first. */
const SHOWN = 50;

export async function render(ctx, who) {
	try {
		decodeAddress(who);
	} catch {
		return notice("error", `"${who}" is not an account address.`);
	}
	const a = await loadAccount(ctx.api, who);
	const rows = accountHistory(a.outcomes, who);
	const series = cumulative(rows);
	const total = series.at(-1) ?? { earned: 0n, lost: 0n };
	const p = a.participant;
	const toUnits = (amount) => Number(amount) / 10 ** ctx.info.decimals;
	const seatOf = (r) => [r.client === who && "client", r.nodes.includes(who) && "node", r.committee.includes(who) && "validator"].filter(Boolean).join(", ");
	return h(
		"div",
		{ dataset: { page: "account" } },
		h("h1", {}, shortAddress(who, ctx.names), p && h("span", { class: "badge" }, roleLabel(p.role))),
		facts([
			["address", h("code", {}, who)],
			["free", ctx.money(a.free)],
			["held", ctx.money(a.held)],
			["role", p ? roleLabel(p.role) : "not registered"],
			p && ["bond", h("span", { dataset: { planck: p.bond.toString(), field: "bond" } }, ctx.money(p.bond))],
			p && ["standing", p.standing === "Unbonding" ? `unbonding until block ${p.unlockAt}` : p.standing.toLowerCase()],
			p && ["committees missed in a row", String(p.strikes)],
			a.operator && ["signs work with", accountLink(ctx, a.operator)],
			a.principal && ["signs work for", accountLink(ctx, a.principal)],
		]),
		section(
			"Work to do",
			a.work.length
				? table(["request", "task"], a.work.map((w) => [requestLink(w.id), w.task]))
				: h("p", { class: "hint" }, "Nothing is expected of this account right now."),
		),
		section(
			`Current seats (${a.seats.length})`,
			a.seats.length
				? table(["request", "as", "phase", "until block"], a.seats.map((r) => [requestLink(r.id), seatOf(r), phaseLabel(r.phase), r.endsAt]))
				: h("p", { class: "hint" }, "On no live request."),
		),
		section(
			"Earnings and losses",
			h(
				"p",
				{},
				"Earned ",
				h("strong", { dataset: { field: "earned", planck: total.earned.toString() } }, ctx.money(total.earned)),
				", lost or spent ",
				h("strong", { dataset: { field: "lost", planck: total.lost.toString() } }, ctx.money(total.lost)),
				` on the requests that finished in the last ${ctx.info.retainFinished} blocks (the outcomes the chain keeps).`,
			),
			rows.length ? earningsPlot(series, toUnits, ctx.info.symbol) : null,
			rows.length
				? table(
						["request", "block", "as", "paid", "slashed", "spent"],
						rows
							.slice(-SHOWN)
							.reverse()
							.map((row) =>
								h(
									"tr",
									{ dataset: { request: row.id.toString(), role: row.role } },
									h("td", {}, requestLink(row.id)),
									h("td", {}, blockLink(ctx, row.block)),
									h("td", {}, row.role),
									moneyCell(ctx, row.paid, "paid"),
									moneyCell(ctx, row.slashed, "slashed"),
									moneyCell(ctx, row.spent, "spent"),
								),
							),
						{ dataset: { testid: "history" } },
					)
				: h("p", { class: "hint" }, "No request it took part in finished recently."),
		),
	);
}
