// The protocol-v1 commitment, computed by a client from its documented byte layout
// (docs/DESIGN.md): sha256 of the tag, the id (u64 LE), the 32-byte account, the scores as SCALE
// Vec<u16>, and the salt.

import { bnToU8a, compactToU8a, u8aConcat } from "@polkadot/util";
import { decodeAddress, sha256AsU8a } from "@polkadot/util-crypto";

export function commitment(id, account, scores, salt) {
	const accountId = typeof account === "string" ? decodeAddress(account) : account;
	return sha256AsU8a(
		u8aConcat(
			new TextEncoder().encode("poq/commit/v1"),
			bnToU8a(id, { bitLength: 64, isLe: true }),
			accountId,
			compactToU8a(scores.length),
			...scores.map((s) => bnToU8a(s, { bitLength: 16, isLe: true })),
			salt,
		),
	);
}
