#!/usr/bin/env bash
# Regenerates every result of docs/economics.md: the synthetic runs, the runs on the real
# model's scores (docs/economics/minilm/*.scores.jsonl, made by `poq-scorer score` from
# tests/sim/data/*.jsonl), the prompt-echo run, heavy-tailed stakes and larger committees.
# About 20 s after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}"
cargo build --release -p poq-sim
sim="$CARGO_TARGET_DIR/release/poq-sim"
scores=docs/economics/minilm

"$sim" all --out docs/economics
"$sim" all --scores "$scores/good.scores.jsonl" --junk-scores "$scores/junk.scores.jsonl" \
	--out docs/economics/minilm
"$sim" rewards --scores "$scores/good.scores.jsonl" --junk-scores "$scores/echo.scores.jsonl" \
	--out docs/economics/echo
"$sim" all --stakes pareto --out docs/economics/pareto
for size in 5 11 21; do
	"$sim" attack --committee "$size" --rounds 5000 --out "docs/economics/committee-$size"
done
