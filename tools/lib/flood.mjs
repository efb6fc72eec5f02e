// The transaction pool's red team: floods a chain with signed transactions from a few accounts
// as fast as its pool takes them, watches every one, and says what became of each. What the
// pool accepted must land in a block or come back with a reason (`Invalid`, `Dropped`,
// `Usurped`, a dispatch error); anything still unaccounted for when the deadline passes was lost
// in silence. Used by `scripts/flood.mjs` and the e2e suite (`tests/e2e/pool.test.mjs`).

import { sendEach } from "./chain.mjs";

/**
 * Sends `count` transactions, `makeTx(i)` for i in 0..count, spread evenly over `signers`, each
 * signer's in nonce order with up to `window` of them not yet taken by the pool, all signers at
 * once. Waits for every accepted one to land or fail, at most `timeoutMs` from the last
 * acceptance. Resolves with `{ accepted, refused, landed, failed, lost, seconds }`: counts of
 * each fate, `failed` and `refused` as `{ reason: count }`.
 */
export async function flood(api, signers, count, makeTx, { timeoutMs = 300_000, options = {}, window = 16 } = {}) {
	const started = Date.now();
	const shares = signers.map((_, k) => Array.from({ length: Math.ceil((count - k) / signers.length) }, (_, j) => makeTx(k + j * signers.length)));
	const refused = [];
	const fates = await Promise.all(
		signers.map(async (signer, k) => {
			try {
				return await sendEach(api, shares[k], signer, options, window);
			} catch (refusal) {
				// The pool refused one: those before it were taken and are watched, the rest of
				// this signer's are not sent.
				refused.push(refusal.module ?? refusal.message);
				return refusal.included;
			}
		}),
	);
	const watched = fates.flat();
	const deadline = new Promise((ok) => setTimeout(() => ok(LOST), timeoutMs).unref());
	const outcomes = await Promise.all(
		watched.map((included) =>
			Promise.race([
				included.then(
					() => LANDED,
					(error) => error.module ?? error.message,
				),
				deadline,
			]),
		),
	);
	return {
		accepted: watched.length,
		refused: tally(refused),
		landed: outcomes.filter((o) => o === LANDED).length,
		failed: tally(outcomes.filter((o) => o !== LANDED && o !== LOST)),
		lost: outcomes.filter((o) => o === LOST).length,
		seconds: (Date.now() - started) / 1000,
	};
}

const LANDED = Symbol("landed");
const LOST = Symbol("lost");

/** `{ reason: count }` of a list of reasons. */
function tally(reasons) {
	const counts = {};
	for (const reason of reasons) counts[reason] = (counts[reason] ?? 0) + 1;
	return counts;
}
