// Everything the explorer reads from and sends to a PoQ node, through @polkadot/api: the
// `poqApi` runtime API, the pallet's storage (at the head, or at the block before a request
// finished for what it kept until then) and the events of recent blocks. Values come back plain
// (bigint, number, string) for `model.js` and the pages.

import { ApiPromise, WsProvider } from "@polkadot/api";
import { send } from "../../lib/chain.mjs";
import { errorText } from "./model.js";

/** How far back a request's events are looked for: a pruning node keeps this much state. */
export const LOOKBACK = 256;
/** Blocks whose events, and bodies whose extrinsics, a page session keeps at most. */
const KEPT = 4 * LOOKBACK;

/** `map.set(key, value)`, dropping the oldest entries beyond `KEPT`. */
function keep(map, key, value) {
	map.set(key, value);
	for (const oldest of map.keys()) {
		if (map.size <= KEPT) break;
		map.delete(oldest);
	}
}

/**
 * Connects to `endpoint`, calling `onStatus("connecting" | "connected" | "unreachable", detail)`
 * as the connection comes and goes (the provider keeps retrying). Resolves once the API is ready.
 */
export async function connect(endpoint, onStatus) {
	onStatus("connecting");
	const provider = new WsProvider(endpoint, 2_000);
	let reached = false;
	const down = () =>
		onStatus(
			"unreachable",
			reached ? `lost the connection to ${endpoint}; retrying every 2 s` : `cannot reach a node at ${endpoint}; retrying every 2 s`,
		);
	provider.on("connected", () => {
		reached = true;
		onStatus("connected");
	});
	provider.on("disconnected", down);
	provider.on("error", down);
	const api = await ApiPromise.create({ provider, noInitWarn: true });
	onStatus("connected");
	return api;
}

/** What the pages need to know of the chain once. */
export async function chainInfo(api) {
	const [name, type] = await Promise.all([api.rpc.system.chain(), api.rpc.system.chainType()]);
	return {
		name: name.toString(),
		type: type.type,
		// Dev accounts (//Alice ...) only sign on chains whose keys everyone knows.
		dev: type.isDevelopment || type.isLocal,
		decimals: api.registry.chainDecimals[0],
		symbol: api.registry.chainTokens[0],
		tolerance: api.consts.poq.tolerance.toNumber(),
		minFee: api.consts.poq.minFee.toBigInt(),
		maxFee: api.consts.poq.maxFee.toBigInt(),
		maxPromptLen: api.consts.poq.maxPromptLen.toNumber(),
		retainFinished: api.consts.poq.retainFinished.toNumber(),
	};
}

const option = (value, map = (v) => v) => (value.isSome ? map(value.unwrap()) : null);
const hex = (bytes) => bytes.toHex();
const text = (bytes) => {
	try {
		return new TextDecoder("utf-8", { fatal: true }).decode(bytes.toU8a(true));
	} catch {
		return bytes.toHex();
	}
};

/** A finished request's `Outcome`, plain. */
export function plainOutcome(id, outcome) {
	return {
		id: BigInt(id),
		client: outcome.client.toString(),
		fee: outcome.fee.toBigInt(),
		phase: outcome.phase.type,
		finishedAt: outcome.finishedAt.toNumber(),
		refund: outcome.refund.toBigInt(),
		responses: outcome.responses.map((r) => ({
			node: r.node.toString(),
			score: option(r.score, (s) => s.toNumber()),
			paid: r.paid.toBigInt(),
			slashed: r.slashed.toBigInt(),
		})),
		committee: outcome.committee.map(plainMember),
		dispute: option(outcome.dispute, (d) => ({
			appellant: d.appellant.toString(),
			deposit: d.deposit.toBigInt(),
			finding: d.finding.type,
			jury: d.jury.map(plainMember),
		})),
	};
}

/** A committee member's or juror's `ValidatorOutcome`, plain. */
function plainMember(m) {
	return { validator: m.validator.toString(), verdict: m.verdict.type, paid: m.paid.toBigInt(), slashed: m.slashed.toBigInt() };
}

/** A live request as the runtime API gives it, plain. */
function plainLive(id, live) {
	const seat = (s) => ({ who: s.who.toString(), committed: s.committed.isTrue, revealed: s.revealed.isTrue });
	return {
		id: BigInt(id),
		client: live.client.toString(),
		fee: live.fee.toBigInt(),
		phase: live.phase.type,
		endsAt: live.endsAt.toNumber(),
		nodes: live.nodes.map(seat),
		responders: live.responders.map((r) => r.toString()),
		committee: live.committee.map(seat),
	};
}

/**
 * What storage holds of live request `id` at `at` (an API at a block): the prompt, the answers
 * in response order, each member's stake, the model digest. `null` when the request is not live
 * there.
 */
async function storedRequest(at, id) {
	const request = option(await at.query.poq.requests(id));
	if (!request) return null;
	const prompt = option(await at.query.poq.prompts(id), text);
	const responders = request.responders.map((r) => r.toString());
	const outputs = await Promise.all(responders.map((node) => at.query.poq.outputs(id, node)));
	return {
		prompt,
		answers: responders.map((node, i) => ({ node, output: option(outputs[i], text) })),
		seats: Object.fromEntries(request.committee.map((m) => [m.who.toString(), m.seats.toNumber()])),
		model: option(request.model, hex),
	};
}

/**
 * Remembers the events of blocks the chain has finalized (they cannot change), so that pages
 * that refresh at every block read each block once.
 */
export class BlockEvents {
	constructor(api) {
		this.api = api;
		this.finalized = new Map();
		this.bodies = new Map();
	}

	/** `{ hash, records }` of block `number` (its events). */
	async at(number, finalizedNumber) {
		const kept = this.finalized.get(number);
		if (kept) return kept;
		const hash = await this.api.rpc.chain.getBlockHash(number);
		const records = await (await this.api.at(hash)).query.system.events();
		const block = { hash: hash.toHex(), records };
		if (number <= finalizedNumber) keep(this.finalized, number, block);
		return block;
	}

	/**
	 * The `Poq` events about request `id` from block `end` back to the block it was submitted
	 * in (at most `LOOKBACK` blocks), oldest first, as `{ block, hash, name, data }`.
	 */
	async ofRequest(id, end, finalizedNumber) {
		const found = [];
		const wanted = BigInt(id);
		for (let top = end; top >= 1 && top > end - LOOKBACK; top -= 16) {
			const numbers = [];
			for (let n = top; n > Math.max(0, top - 16, end - LOOKBACK); n--) numbers.push(n);
			const blocks = await Promise.all(numbers.map((n) => this.at(n, finalizedNumber)));
			let submitted = false;
			blocks.forEach(({ hash, records }, i) => {
				for (const { event, phase } of records) {
					if (event.section !== "poq" || event.data.id?.toBigInt?.() !== wanted) continue;
					found.push({ block: numbers[i], hash, name: event.method, data: eventData(event), extrinsic: extrinsicOf(phase) });
					submitted ||= event.method === "RequestSubmitted";
				}
			});
			if (submitted) break;
		}
		return found.reverse();
	}

	/**
	 * Each committee member's revealed scores, by member: what the extrinsics that its
	 * `ScoresRevealed` events (in `events`, from `ofRequest`) point at carried. Blocks keep their
	 * extrinsics after the state that held the reveals is gone, and the request leaves storage in
	 * the block of its last reveal.
	 */
	async reveals(id, events) {
		const found = {};
		for (const e of events.filter((e) => e.name === "ScoresRevealed" && e.extrinsic !== null)) {
			let body = this.bodies.get(e.hash);
			if (!body) {
				body = (await this.api.rpc.chain.getBlock(e.hash)).block;
				keep(this.bodies, e.hash, body);
			}
			const scores = revealedScores(body.extrinsics[e.extrinsic]?.method, BigInt(id));
			if (scores) found[e.data.validator] = scores;
		}
		return found;
	}
}

/** The index of the extrinsic an event's record came from, or `null` (a hook's event). */
function extrinsicOf(phase) {
	return phase.isApplyExtrinsic ? phase.asApplyExtrinsic.toNumber() : null;
}

/** The scores on request `id` a `poq.revealScores` or `poq.submitWork` call carries, or `null`. */
function revealedScores(call, id) {
	if (call?.section !== "poq") return null;
	const plain = (scores) => scores.map((s) => s.toNumber());
	if (call.method === "revealScores" && call.args[0].toBigInt() === id) return plain(call.args[1]);
	if (call.method !== "submitWork") return null;
	const work = call.args[0].find((w) => w.isRevealScores && w.asRevealScores.id.toBigInt() === id);
	return work ? plain(work.asRevealScores.scores) : null;
}

/** The fields of a `Poq` event the timeline reads, plain. */
function eventData(event) {
	const data = {};
	for (const key of ["revealBy", "commitBy", "respondBy"]) {
		if (event.data[key] !== undefined) data[key] = event.data[key].toNumber();
	}
	if (event.data.validator !== undefined) data.validator = event.data.validator.toString();
	if (event.data.grades !== undefined) data.grades = event.data.grades.map((grade) => grade.toNumber());
	if (event.data.jury !== undefined) data.jury = event.data.jury.map(([who]) => who.toString());
	if (event.data.level !== undefined) {
		data.level = event.data.level.toNumber();
		data.who = event.data.who.toString();
		data.deposit = event.data.deposit.toBigInt();
	}
	return data;
}

async function heads(api) {
	const [head, finalizedHash] = await Promise.all([api.rpc.chain.getHeader(), api.rpc.chain.getFinalizedHead()]);
	const finalized = await api.rpc.chain.getHeader(finalizedHash);
	return { head: head.number.toNumber(), finalized: finalized.number.toNumber() };
}

/**
 * Everything the request page shows of request `id`: `{ known: false }` for an id the chain
 * does not know (never submitted, or finished and pruned); otherwise its status (`live` or
 * `outcome`), its stored details (`details`, or `detailsError` saying why they are gone), its
 * events and the members' revealed scores (`reveals`, by member).
 */
export async function loadRequest(api, blockEvents, id) {
	const [status, { head, finalized }] = await Promise.all([api.call.poqApi.requestStatus(id), heads(api)]);
	if (status.isNone) return { id: BigInt(id), known: false, head };
	const inner = status.unwrap();
	const result = { id: BigInt(id), known: true, head };
	let detailsAt;
	if (inner.isLive) {
		result.live = plainLive(id, inner.asLive);
		detailsAt = api;
	} else {
		result.outcome = plainOutcome(id, inner.asFinished);
		// The request left storage in the block it finished; the block before still has it.
		try {
			detailsAt = await api.at(await api.rpc.chain.getBlockHash(result.outcome.finishedAt - 1));
		} catch (error) {
			result.detailsError = `this node no longer has the state of block ${result.outcome.finishedAt - 1}: ${error.message}`;
		}
	}
	if (detailsAt) {
		try {
			result.details = await storedRequest(detailsAt, id);
		} catch (error) {
			// A pruning node discards state older than its window (256 blocks by default).
			result.detailsError = `the prompt, answers and revealed scores are no longer on this node (${error.message}); an archive node (--state-pruning archive) keeps them`;
		}
	}
	const end = result.outcome ? result.outcome.finishedAt : head;
	result.events = await blockEvents.ofRequest(id, end, finalized);
	result.reveals = await blockEvents.reveals(id, result.events);
	return result;
}

/** Every outcome the chain still keeps (`RetainFinished` blocks), oldest first. */
export async function loadOutcomes(api) {
	const entries = await api.query.poq.outcomes.entries();
	return entries
		.map(([key, value]) => plainOutcome(key.args[0].toBigInt(), value.unwrap()))
		.sort((a, b) => a.finishedAt - b.finishedAt || Number(a.id - b.id));
}

/** The live requests, oldest first, as `{ id, client, fee, phase, endsAt, nodes, committee }`. */
export async function loadLive(api) {
	const entries = await api.query.poq.requests.entries();
	return entries
		.map(([key, value]) => {
			const r = value.unwrap();
			return {
				id: key.args[0].toBigInt(),
				client: r.client.toString(),
				fee: r.fee.toBigInt(),
				phase: r.phase.type,
				endsAt: r.endsAt.toNumber(),
				nodes: r.nodes.map((s) => s.who.toString()),
				committee: r.committee.map((m) => m.who.toString()),
			};
		})
		.sort((a, b) => Number(a.id - b.id));
}

/** The chain page: heads, the quality model (and a scheduled change), live requests, outcomes. */
export async function loadChain(api) {
	const [{ head, finalized }, model, change, next, live, outcomes, nodes, validators] = await Promise.all([
		heads(api),
		api.call.poqApi.qualityModel(),
		api.query.poq.modelChange(),
		api.query.poq.nextRequestId(),
		loadLive(api),
		loadOutcomes(api),
		api.query.poq.pools("InferenceNode"),
		api.query.poq.pools("Validator"),
	]);
	return {
		head,
		finalized,
		model: option(model, hex),
		change: option(change, ([at, digest]) => ({ at: at.toNumber(), digest: hex(digest) })),
		submitted: next.toBigInt(),
		live,
		outcomes,
		pools: { nodes: nodes.length, validators: validators.length },
	};
}

/** The account page: balance, registration, operator key, work to do, seats, history. */
export async function loadAccount(api, who) {
	const [account, participant, operator, principal, work, live, outcomes] = await Promise.all([
		api.query.system.account(who),
		api.query.poq.participants(who),
		api.query.poq.operators(who),
		api.query.poq.principals(who),
		api.call.poqApi.pendingWork(who),
		loadLive(api),
		loadOutcomes(api),
	]);
	return {
		free: account.data.free.toBigInt(),
		held: account.data.reserved.toBigInt(),
		participant: option(participant, (p) => ({
			role: p.role.type,
			bond: p.bond.toBigInt(),
			standing: p.standing.type,
			unlockAt: p.standing.isUnbonding ? p.standing.asUnbonding.unlockAt.toNumber() : null,
			liveRequests: p.liveRequests.toNumber(),
			strikes: p.strikes.toNumber(),
		})),
		operator: option(operator, (o) => o.toString()),
		principal: option(principal, (p) => p.toString()),
		work: work.map(([id, task]) => ({ id: id.toBigInt(), task: task.type })),
		seats: live.filter((r) => r.nodes.includes(who) || r.committee.includes(who) || r.client === who),
		outcomes,
	};
}

/**
 * Submits a request (`poq.submitRequest`) signed by `signer` (a keyring pair, or an address with
 * `options.signer` from a browser extension); resolves with `{ id, block }` once it is in a block,
 * rejects with an `Error` whose message is the pallet's error in words.
 */
export async function submitRequest(api, prompt, fee, signer, options = {}) {
	try {
		const { block, events } = await send(api, api.tx.poq.submitRequest(prompt, fee), signer, options);
		const submitted = events.find(({ event }) => api.events.poq.RequestSubmitted.is(event));
		return { id: submitted.event.data.id.toBigInt(), block };
	} catch (error) {
		throw new Error(describeError(api, error));
	}
}

/** A transaction's failure in words: the pallet's error and its documentation when it has one. */
export function describeError(api, error) {
	const [section, name] = (error.module ?? "").split(".");
	const meta = section && api.errors[section]?.[name]?.meta;
	if (meta) return errorText({ section, name, docs: meta.docs.map((d) => d.toString()) });
	return errorText(null, error.message ?? error);
}
