// The client's commitment against the golden vector the pallet is tested with.

import assert from "node:assert/strict";
import { test } from "node:test";
import { u8aToHex } from "@polkadot/util";
import { commitment } from "./commitment.mjs";

test("the client's commitment matches the pallet's golden vector", () => {
	const account = Uint8Array.from({ length: 32 }, (_, i) => i);
	const digest = commitment(7, account, [0, 5000, 10000], new Uint8Array(32).fill(0xab));
	assert.equal(u8aToHex(digest), "0x35b2efc29cd62997e400db63f386cc2db0d5bab745ab6dc2969c0acba27cf231");
});
