// The explorer's shell: which node to read (`?rpc=`, else the last one used, else a local
// node), the connection's state, the routes (`#/`, `#/ask`, `#/request/<id>`,
// `#/account/<address>`) and a refresh of the page shown at every new block.

import "./style.css";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady, decodeAddress } from "@polkadot/util-crypto";
import { BlockEvents, chainInfo, connect } from "./chain.js";
import { formatBalance } from "./model.js";
import * as account from "./pages/account.js";
import * as ask from "./pages/ask.js";
import * as chain from "./pages/chain.js";
import * as request from "./pages/request.js";
import { h, notice } from "./ui.js";

const STORED = "poq-explorer.rpc";
const endpoint = new URLSearchParams(location.search).get("rpc") ?? localStorage.getItem(STORED) ?? "ws://127.0.0.1:9944";
const page = document.getElementById("page");
const status = document.getElementById("status");

/** The dev accounts' names by address, shown instead of addresses on dev chains. */
const DEV_NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];

function route() {
	const [, name = "", arg] = location.hash.split("/");
	if (name === "ask") return { view: ask };
	if (name === "request" && /^\d+$/.test(arg ?? "")) return { view: request, arg: BigInt(arg) };
	if (name === "account" && arg) return { view: account, arg: decodeURIComponent(arg) };
	return { view: chain };
}

function showStatus(state, detail) {
	status.className = state;
	status.textContent = state === "connected" ? "" : (detail ?? `connecting to ${endpoint}…`);
}

/** Renders the current route; `quiet` (a refresh) keeps the old page until the new one is ready. */
let generation = 0;
let busy = false;
async function show(ctx, quiet = false) {
	const token = ++generation;
	const { view, arg } = route();
	if (!quiet) page.replaceChildren(h("p", { class: "hint" }, "loading…"));
	busy = true;
	try {
		const content = await view.render(ctx, arg);
		if (token === generation) page.replaceChildren(content);
	} catch (error) {
		if (token === generation) page.replaceChildren(notice("error", error.message ?? String(error)));
	} finally {
		busy = false;
	}
}

function search(event) {
	event.preventDefault();
	const q = new FormData(event.target).get("q").trim();
	if (/^\d+$/.test(q)) location.hash = `#/request/${q}`;
	else if (q) {
		try {
			decodeAddress(q);
			location.hash = `#/account/${q}`;
		} catch {
			status.className = "unreachable";
			status.textContent = `"${q}" is neither a request id nor an account address`;
		}
	}
}

async function main() {
	const form = document.getElementById("endpoint");
	form.rpc.value = endpoint;
	form.addEventListener("submit", (event) => {
		event.preventDefault();
		localStorage.setItem(STORED, form.rpc.value.trim());
		location.search = `?rpc=${encodeURIComponent(form.rpc.value.trim())}`;
	});
	document.getElementById("search").addEventListener("submit", search);

	const api = await connect(endpoint, showStatus);
	localStorage.setItem(STORED, endpoint);
	await cryptoWaitReady();
	const info = await chainInfo(api);
	const keyring = new Keyring({ type: "sr25519", ss58Format: api.registry.chainSS58 ?? 42 });
	const devAccounts = info.dev ? DEV_NAMES.map((name) => ({ name, pair: keyring.addFromUri(`//${name}`) })) : [];
	const ctx = {
		api,
		info,
		endpoint,
		devAccounts,
		names: Object.fromEntries(devAccounts.map(({ name, pair }) => [pair.address, name])),
		events: new BlockEvents(api),
		money: (amount) => formatBalance(amount, info.decimals, info.symbol),
		blockUrl: (number) => `https://polkadot.js.org/apps/?rpc=${encodeURIComponent(endpoint)}#/explorer/query/${number}`,
	};
	document.title = `PoQ explorer · ${info.name}`;
	window.addEventListener("hashchange", () => show(ctx));
	await show(ctx);
	// Pages follow the chain: at each new block the page shown is read again, unless it says it
	// is final (a settled request) or takes input (asking).
	await api.rpc.chain.subscribeNewHeads(() => {
		const final = page.firstElementChild?.dataset?.final === "true";
		if (!busy && !final && route().view !== ask) show(ctx, true);
	});
}

main().catch((error) => {
	showStatus("unreachable", `the explorer stopped: ${error.message ?? error}`);
});
