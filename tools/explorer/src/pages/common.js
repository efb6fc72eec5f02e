// Cells and links every page uses.

import { shortAddress } from "../model.js";
import { h } from "../ui.js";

/** An account, by name on dev chains, linked to its page. */
export function accountLink(ctx, address) {
	return h("a", { href: `#/account/${address}`, title: address, class: "account" }, shortAddress(address, ctx.names));
}

/** A request id linked to its page. */
export function requestLink(id) {
	return h("a", { href: `#/request/${id}` }, `#${id}`);
}

/** A block number linked to the block in polkadot.js apps (extrinsics, events, state). */
export function blockLink(ctx, number) {
	return h("a", { href: ctx.blockUrl(number), target: "_blank", rel: "noopener", class: "block" }, `#${number}`);
}

/** An amount, right-aligned, with its raw value (planck) for copying and for tests. */
export function moneyCell(ctx, amount, name) {
	return h("td", { class: "num", dataset: { planck: amount.toString(), ...(name && { field: name }) } }, ctx.money(amount));
}
