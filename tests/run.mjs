// Runs the end-to-end suites (`npm run test:e2e`): tests/e2e three files at a time, then, if they
// pass, tests/network one file at a time (each of its files runs four node processes). TAP on
// standard output, as `node --test` prints when not on a terminal; the exit code is 1 when a test
// failed.
//
// `node --test` starts its files in name order. The model change waits a request's lifetime in
// real time (about five minutes, twice the next longest file), so started ninth it bounded the
// suite; here it starts first and the other files share the remaining two places around it.
import { readdirSync } from "node:fs";
import path from "node:path";
import { finished } from "node:stream/promises";
import { run } from "node:test";
import { tap } from "node:test/reporters";

const ROOT = import.meta.dirname;

// A suite's files in name order, `first` before them.
function files(dir, first) {
	const names = readdirSync(path.join(ROOT, dir)).filter((n) => n.endsWith(".test.mjs")).sort();
	if (names.length === 0) throw new Error(`no test files in tests/${dir}`);
	if (first && !names.includes(first)) throw new Error(`tests/${dir}/${first} is not there to start first`);
	return [...names.filter((n) => n === first), ...names.filter((n) => n !== first)].map((n) => path.join(ROOT, dir, n));
}

async function suite(dir, concurrency, first) {
	let failed = false;
	const stream = run({ files: files(dir, first), concurrency });
	// As `node --test`: a failing test marked `todo` fails nothing.
	stream.on("test:fail", (data) => (failed ||= !data.todo));
	const out = stream.compose(tap);
	out.pipe(process.stdout, { end: false });
	await finished(out);
	return !failed;
}

process.exitCode = (await suite("e2e", 3, "model-change.test.mjs")) && (await suite("network", 1)) ? 0 : 1;
