// The ask page: a prompt and a fee, signed by an account of a browser extension (the injected
// accounts API every Polkadot wallet implements) or, on a dev chain, by a dev account; once the
// request is in a block, its page.

import { web3Accounts, web3Enable, web3FromAddress } from "@polkadot/extension-dapp";
import { submitRequest } from "../chain.js";
import { parseAmount } from "../model.js";
import { h, notice } from "../ui.js";

/** Accounts of the browser's extensions, or none (no extension, or access refused). */
async function extensionAccounts() {
	try {
		const extensions = await web3Enable("PoQ explorer");
		return extensions.length ? await web3Accounts() : [];
	} catch {
		return [];
	}
}

export async function render(ctx) {
	const { info } = ctx;
	const injected = await extensionAccounts();
	const options = [
		...injected.map((a) => h("option", { value: `ext:${a.address}` }, `${a.meta.name ?? "account"} (${a.meta.source}) ${a.address}`)),
		...ctx.devAccounts.map(({ name }) => h("option", { value: `dev:${name}`, selected: !injected.length && name === "Ferdie" }, `//${name} (dev account)`)),
	];
	const result = h("div", { dataset: { testid: "ask-result" } });
	const form = h(
		"form",
		{ class: "ask" },
		h("label", {}, "Account", h("select", { name: "account", required: true }, options)),
		h(
			"label",
			{},
			"Prompt",
			h("textarea", { name: "prompt", required: true, placeholder: "What is the capital of France?" }),
			h("span", { class: "hint" }, `At most ${info.maxPromptLen} bytes.`),
		),
		h(
			"label",
			{},
			`Fee (${info.symbol})`,
			h("input", { name: "fee", value: "10", inputmode: "decimal", required: true }),
			h("span", { class: "hint" }, `From ${ctx.money(info.minFee)} to ${ctx.money(info.maxFee)}; what the committee and the nodes do not earn comes back.`),
		),
		h("button", { type: "submit" }, "Ask"),
		result,
	);
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		const button = form.querySelector("button");
		const data = new FormData(form);
		let fee;
		try {
			fee = parseAmount(data.get("fee"), info.decimals);
		} catch (error) {
			result.replaceChildren(notice("error", error.message));
			return;
		}
		button.disabled = true;
		result.replaceChildren(notice("note", "signing and sending…"));
		try {
			const [kind, key] = data.get("account").split(/:(.*)/s);
			let signer = ctx.devAccounts.find(({ name }) => name === key)?.pair;
			let options = {};
			if (kind === "ext") {
				signer = key;
				options = { signer: (await web3FromAddress(key)).signer };
			}
			const { id, block } = await submitRequest(ctx.api, data.get("prompt"), fee, signer, options);
			result.replaceChildren(notice("ok", `request #${id} is in block #${block}`));
			location.hash = `#/request/${id}`;
		} catch (error) {
			result.replaceChildren(notice("error", h("span", { dataset: { testid: "ask-error" } }, error.message)));
		} finally {
			button.disabled = false;
		}
	});
	return h(
		"div",
		{ dataset: { page: "ask" } },
		h("h1", {}, "Ask"),
		options.length
			? form
			: notice(
					"error",
					"No account can sign here: this is not a dev chain, and no browser extension (polkadot.js, Talisman, SubWallet…) shared an account with this page.",
				),
	);
}
