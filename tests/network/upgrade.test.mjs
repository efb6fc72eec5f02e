// A live runtime upgrade through governance, on a network of separate nodes, with a request in
// flight (issue 27). The network starts on the runtime of the last release before protocol v4
// (spec_version 6, pallet storage version 3), built from the repository's history by
// `scripts/release-runtime.sh`. The technical committee whitelists `system.authorize_upgrade` for
// the checkout's runtime and dispatches it as root; anyone then applies the code. Meanwhile a
// request waits in its response phase: its node's client, poq-infer, committed the answer under
// the old runtime, and the answer's reveal (poq-infer connects again after the upgrade), the
// committee's draw, scores and settlement come under the new runtime's rules (the other drawn
// node stays silent, so the phase lasts its whole window). v4's migration rewrites the outcome
// the old runtime stored; no request is lost, every balance is accounted for, and the validator
// nodes keep scoring and agree.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsHex, xxhashAsU8a } from "@polkadot/util-crypto";
import { chatServer } from "../../tools/lib/chat-server.mjs";
import {
	NODE_BINARY, ROOT, TARGET, UNIT, answer, devAccounts, motion, poqEvent, runInfer, send, startNetwork, watch,
} from "../e2e/harness.mjs";

const FEE = 10n * UNIT;
const JUNK = "Bananas are rich in potassium and grow in tropical climates.";

/** A raw chain spec of the development chain whose genesis is built by the runtime `wasm`. */
function chainSpecOf(wasm, dir) {
	const spec = JSON.parse(execFileSync(NODE_BINARY, ["build-spec", "--chain", "dev"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }));
	spec.genesis.runtimeGenesis.code = u8aToHex(wasm);
	const plain = join(dir, "release.json");
	writeFileSync(plain, JSON.stringify(spec));
	const raw = join(dir, "release-raw.json");
	writeFileSync(raw, execFileSync(NODE_BINARY, ["build-spec", "--chain", plain, "--raw"], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 }));
	return raw;
}

/** Every account's free and held balance, summed, against the total issuance. */
async function books(api) {
	const accounts = await api.query.system.account.entries();
	const held = accounts.reduce((sum, [, { data }]) => sum + data.free.toBigInt() + data.reserved.toBigInt(), 0n);
	return { issuance: (await api.query.balances.totalIssuance()).toBigInt(), held };
}

/** The pallet's storage version, as FRAME keeps it. */
async function storageVersion(api) {
	const key = u8aConcat(xxhashAsU8a("Poq", 128), xxhashAsU8a(":__STORAGE_VERSION__:", 128));
	const stored = await api.rpc.state.getStorage(u8aToHex(key));
	const [low, high] = stored.unwrap().toU8a(true);
	return low | (high << 8);
}

test("upgrade: governance upgrades a live network from protocol v3 to the checkout's runtime, a request in flight", async (t) => {
	const release = execFileSync("bash", [join(ROOT, "scripts/release-runtime.sh")], { encoding: "utf8" }).trim();
	const current = readFileSync(join(TARGET, "release/wbuild/poq-runtime/poq_runtime.compact.compressed.wasm"));
	const dir = mkdtempSync(join(tmpdir(), "poq-e2e-upgrade-"));
	const chain = chainSpecOf(readFileSync(release), dir);
	// Two-second blocks: the request in flight's response window (10 blocks) outlasts the switch
	// and a client's reconnection with room to spare.
	const network = await startNetwork({ chain, validators: { Alice: 2, Bob: 2, Charlie: 2 }, blockTimeMs: 2000 });
	t.after(async () => {
		await network.stop();
		rmSync(dir, { recursive: true, force: true });
	});
	const api = network.sealer.api;
	const acc = await devAccounts();
	const from = api.runtimeVersion.specVersion.toNumber();
	assert.equal(from, 6, "the network runs the release's runtime");
	assert.equal(await storageVersion(api), 3);
	const ended = (id, client = api) => (r) => poqEvent(client, r, "RequestFinalized", id) || poqEvent(client, r, "RequestExpired", id);
	const submit = async (prompt) => {
		const { events } = await send(api, api.tx.poq.submitRequest(prompt, FEE), acc.Ferdie);
		return events.find(({ event }) => api.events.poq.RequestSubmitted.is(event)).event.data.id.toBigInt();
	};

	// Under the old runtime: a request settles, and its outcome is stored in v3's encoding.
	const before = await submit("What is the capital of France?");
	const settled = watch(api, ended(before), 120_000);
	await Promise.all([answer(api, acc.Dave, [[before, "The capital of France is Paris."]]), answer(api, acc.Eve, [[before, JUNK]])]);
	const { records: early } = await settled;
	assert.ok(early.some(({ record }) => poqEvent(api, record, "RequestFinalized", before)), "settled under v3");

	// The technical committee whitelists the upgrade and dispatches it as root.
	const upgrade = api.tx.system.authorizeUpgrade(blake2AsHex(current, 256));
	const whitelisted = await motion(api, acc, api.tx.whitelist.whitelistCall(blake2AsHex(upgrade.method.toU8a(), 256)));
	assert.equal(whitelisted.error, null);
	const dispatched = await motion(api, acc, api.tx.whitelist.dispatchWhitelistedCallWithPreimage(upgrade.method));
	assert.equal(dispatched.error, null);
	assert.ok(dispatched.events.some(({ event }) => api.events.system.UpgradeAuthorized.is(event)), "the upgrade is authorized");

	// A request in flight, answered for Dave by poq-infer, the inference client, connected under
	// the old runtime: it commits the answer before the upgrade; Eve stays silent, so the
	// response phase lasts its whole window (10 blocks), across the upgrade.
	const model = await chatServer(() => "Jupiter is the largest planet in the solar system.");
	const dave = runInfer(network.sealer.ws, "//Dave", model.url);
	t.after(async () => {
		dave.child.kill();
		await model.close();
	});
	const inFlight = (await api.query.poq.nextRequestId()).toBigInt();
	const committed = watch(api, (r) => poqEvent(api, r, "ResponseCommitted", inFlight), 120_000);
	assert.equal(await submit("Which planet is the largest in the solar system?"), inFlight);
	await committed;
	const booksBefore = await books(api);
	assert.equal(booksBefore.held, booksBefore.issuance, "every unit is in an account before the upgrade");

	// Anyone applies the authorized code; the dev sealer gives the go-ahead a relay chain would.
	const { block: appliedAt } = await send(api, api.tx.system.applyAuthorizedUpgrade(u8aToHex(current)), acc.Ferdie);
	for (let tries = 0; (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber() === from; tries++) {
		assert.ok(tries < 60, "the new runtime is in force within a minute");
		await new Promise((ok) => setTimeout(ok, 1000));
	}
	// A client connected before the upgrade keeps the old runtime's APIs: @polkadot/api reloads
	// an upgraded runtime's metadata as v14, which has no runtime APIs (`api.call.poqApi` is gone).
	// A client connecting now reads v15.
	const after = await ApiPromise.create({ provider: new WsProvider(network.sealer.ws), noInitWarn: true });
	t.after(() => after.disconnect());
	const to = after.runtimeVersion.specVersion.toNumber();
	t.diagnostic(`spec_version ${from} → ${to}, applied in block ${appliedAt}, request ${inFlight} in flight`);
	assert.equal(to, 11);
	assert.equal(await storageVersion(after), 6, "v4's, v5's and v6's migrations ran");
	const status = (await after.call.poqApi.requestStatus(inFlight)).unwrap();
	assert.ok(status.isLive, `request ${inFlight} is still live: ${JSON.stringify(status.toHuman()).slice(0, 400)}`);

	// The outcome the old runtime stored decodes under the new one (the migration added `dispute`).
	const old = (await after.call.poqApi.requestStatus(before)).unwrap().asFinished;
	assert.ok(old.phase.isFinalized && old.dispute.isNone, `request ${before}'s outcome survived the migration`);

	// The request in flight goes on under the new rules: Dave's client reveals, the committee
	// scores, provisional, then final.
	const finished = watch(after, ended(inFlight, after), 180_000);
	const { records } = await finished;
	// poq-infer saw the upgrade, connected again (its old client lost the runtime APIs) and
	// revealed from the answer it kept.
	const reconnected = dave.text.indexOf("the runtime was upgraded to spec_version 11: connecting again");
	assert.ok(reconnected >= 0, `poq-infer did not connect again:\n${dave.text}`);
	assert.ok(dave.text.indexOf("revealed 1 and committed to 0 answers", reconnected) > reconnected, `poq-infer revealed before the upgrade or not at all:\n${dave.text}`);
	assert.ok(records.some(({ record }) => poqEvent(after, record, "RequestProvisional", inFlight)), "settled under the new rules");
	const outcome = (await after.call.poqApi.requestStatus(inFlight)).unwrap().asFinished;
	assert.ok(outcome.phase.isFinalized);
	const answered = outcome.responses.find((r) => r.node.toString() === acc.Dave.address);
	assert.ok(answered?.score.isSome && answered.paid.toBigInt() > 0n, "Dave's answer was revealed, scored and paid");
	const paid = [...outcome.responses, ...outcome.committee].reduce((sum, r) => sum + r.paid.toBigInt(), 0n);
	assert.equal(paid + outcome.refund.toBigInt(), FEE, "the escrow of the request in flight is conserved");
	for (const v of outcome.committee) assert.ok(v.verdict.isInConsensus, `${v.validator} kept scoring, in consensus`);

	// And after it every unit is still in an account: nothing minted, nothing lost.
	const booksAfter = await books(after);
	assert.equal(booksAfter.held, booksAfter.issuance, "every unit is in an account after the upgrade");
	t.diagnostic(`total issuance ${booksBefore.issuance} before the upgrade, ${booksAfter.issuance} after the request settled`);
});
