#!/usr/bin/env node
// The transaction pool's red team from the command line: starts a fresh `poq-node --dev`, has
// //Ferdie (or `--accounts` accounts funded by //Alice) send `--requests` `submit_request`s as
// fast as the pool takes them, and reports what became of each (`tools/lib/flood.mjs`). Exits
// non-zero when an accepted transaction was lost in silence.
//
//   node scripts/flood.mjs [--requests 2000] [--accounts 1] [--block-time 1000] [--era 64]
//                          [--window 16] [--pool-type fork-aware]
//
// `--era 0` signs immortal transactions; the default is @polkadot/api's mortal era. `--window`
// is how many of an account's transactions may wait for the pool at once. `--pool-type` goes to
// the node (its default is the single-state pool: `docs/DESIGN.md`, "Transaction pool").

import { parseArgs } from "node:util";
import { UNIT, devAccounts, fundedAccounts, startNode } from "../tests/e2e/harness.mjs";
import { flood } from "../tools/lib/flood.mjs";

const { values: args } = parseArgs({
	options: {
		requests: { type: "string", default: "2000" },
		accounts: { type: "string", default: "1" },
		"block-time": { type: "string", default: "1000" },
		era: { type: "string" },
		window: { type: "string", default: "16" },
		"pool-type": { type: "string" },
	},
});

const poolType = args["pool-type"] ? ["--pool-type", args["pool-type"]] : [];
const node = await startNode({ blockTimeMs: Number(args["block-time"]), args: poolType });
try {
	const { api } = node;
	const acc = await devAccounts();
	const accounts = Number(args.accounts);
	const names = Array.from({ length: accounts }, (_, k) => `Flood${k}`);
	const signers = accounts === 1 ? [acc.Ferdie] : await fundedAccounts(api, acc.Alice, names, 10_000n * UNIT);
	const fee = api.consts.poq.minFee.toBigInt();
	const options = args.era === undefined ? {} : { era: Number(args.era) };
	const request = (i) => api.tx.poq.submitRequest(`What is ${i} plus ${i}?`, fee);
	const report = await flood(api, signers, Number(args.requests), request, { options, window: Number(args.window) });
	console.log(JSON.stringify(report, null, 2));
	process.exitCode = report.lost === 0 && report.landed === report.accepted ? 0 : 1;
} finally {
	await node.stop();
}
