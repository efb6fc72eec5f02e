// The client's commitments against the golden vectors the pallet is tested with.

import assert from "node:assert/strict";
import { test } from "node:test";
import { u8aToHex } from "@polkadot/util";
import { answerCommitment, commitment, operatorConsent } from "../../tools/lib/commitment.mjs";

const account = Uint8Array.from({ length: 32 }, (_, i) => i);
const salt = new Uint8Array(32).fill(0xab);

test("the client's score commitment matches the pallet's golden vector", () => {
	const digest = commitment(7, account, [0, 5000, 10000], salt);
	assert.equal(u8aToHex(digest), "0x35b2efc29cd62997e400db63f386cc2db0d5bab745ab6dc2969c0acba27cf231");
});

test("the client's answer commitment matches the pallet's golden vector", () => {
	const digest = answerCommitment(7, account, "The capital of France is Paris.", salt);
	assert.equal(u8aToHex(digest), "0x6100c250222fb6d668ee817e9ef345c41d4c1872ec0cdd91582d57c3f263e3b4");
});

test("the client's operator consent has the pallet's golden bytes", () => {
	const message = operatorConsent(new Uint8Array(32).fill(0xee), account, 1234);
	assert.equal(
		u8aToHex(message),
		"0x706f712f6f70657261746f722f7631" + "ee".repeat(32) + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" + "d2040000",
	);
});
