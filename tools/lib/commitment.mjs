// The protocol's commitments, computed by a client from their documented byte layouts
// (docs/DESIGN.md): sha256 of a 13-byte tag, the request id (u64 little-endian), the 32-byte
// account, the committed value in SCALE, and the 32-byte salt. And what an operator key signs
// to consent to sign an account's work.

import { bnToU8a, compactToU8a, u8aConcat } from "@polkadot/util";
import { decodeAddress, sha256AsU8a } from "@polkadot/util-crypto";

const accountBytes = (account) => (typeof account === "string" ? decodeAddress(account) : account);
const u64 = (id) => bnToU8a(id, { bitLength: 64, isLe: true });

/** A validator's commitment to `scores` (one u16 per answer) on request `id`. */
export function commitment(id, account, scores, salt) {
	return sha256AsU8a(
		u8aConcat(
			new TextEncoder().encode("poq/commit/v1"),
			u64(id),
			accountBytes(account),
			compactToU8a(scores.length),
			...scores.map((s) => bnToU8a(s, { bitLength: 16, isLe: true })),
			salt,
		),
	);
}

/** An inference node's commitment to its answer `output` (a string, as UTF-8, or bytes). */
export function answerCommitment(id, account, output, salt) {
	const bytes = typeof output === "string" ? new TextEncoder().encode(output) : output;
	return sha256AsU8a(
		u8aConcat(new TextEncoder().encode("poq/answer/v1"), u64(id), accountBytes(account), compactToU8a(bytes.length), bytes, salt),
	);
}

/**
 * What operator key signs to consent to sign `account`'s work on the chain whose genesis hash is
 * `genesis`, if named by block `until`: the 15-byte tag, the 32-byte genesis hash, the 32-byte
 * account and `until` (u32 little-endian).
 */
export function operatorConsent(genesis, account, until) {
	return u8aConcat(
		new TextEncoder().encode("poq/operator/v1"),
		genesis,
		accountBytes(account),
		bnToU8a(until, { bitLength: 32, isLe: true }),
	);
}
