// Scratch experiment (not a test): the old client's way, 200 single transactions at once with
// consecutive nonces, to see whether the pool drops some.
import { devAccounts, startNode, UNIT } from "./harness.mjs";
import { send, sendAll } from "../../tools/lib/chain.mjs";
const node = await startNode({ blockTimeMs: 3000 });
const { api } = node;
const acc = await devAccounts();
const keyring = acc.Alice;
const n = 200;
let nonce = (await api.rpc.system.accountNextIndex(acc.Ferdie.address)).toNumber();
const results = await Promise.allSettled(
	Array.from({ length: n }, (_, i) => send(api, api.tx.system.remark(`x${i}`.padEnd(8000, "y")), acc.Ferdie, { nonce: nonce++ })),
);
const ok = results.filter((r) => r.status === "fulfilled").length;
console.log(`concurrent: ${ok}/${n} landed; failures:`, [...new Set(results.filter((r) => r.status === "rejected").map((r) => r.reason.message))]);
const seq = await sendAll(api, Array.from({ length: n }, (_, i) => api.tx.system.remark(`z${i}`.padEnd(8000, "y"))), acc.Eve).then((r) => r.length, (e) => e.message);
console.log(`sequential: ${seq}/${n} landed`);
await node.stop();
process.exit(0);
