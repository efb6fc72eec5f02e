// A node's Prometheus metrics, as the scripts and tests read them.

/** The value of each sample named `name` in a Prometheus text exposition (labels ignored), summed. */
export function sample(text, name) {
	return text
		.split("\n")
		.filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
		.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** The metrics the node serves at `url` (its `/metrics` address). */
export async function scrape(url) {
	return (await fetch(url)).text();
}

/**
 * What a node spent since it started: blocks imported and the mean milliseconds each took to
 * verify and import, answers scored by its quality model and the mean milliseconds each.
 */
export async function nodeCosts(url) {
	const text = await scrape(url);
	const imported = sample(text, "substrate_block_verification_and_import_time_count");
	const scored = sample(text, "poq_scores_computed_total");
	const mean = (seconds, count) => (count > 0 ? (seconds / count) * 1000 : NaN);
	return {
		imported,
		importMs: mean(sample(text, "substrate_block_verification_and_import_time_sum"), imported),
		scored,
		scoreMs: mean(sample(text, "poq_scoring_seconds_sum"), scored),
	};
}

/** One line of `nodeCosts`. */
export function describeCosts({ imported, importMs, scored, scoreMs }) {
	const each = (ms) => (Number.isNaN(ms) ? "" : `, ${ms.toFixed(1)} ms each`);
	return `${imported} blocks imported${each(importMs)}; ${scored} answers scored${each(scoreMs)}`;
}
