#!/usr/bin/env bash
# Regenerates `pallets/poq/src/weights.rs`: builds the node with its benchmarks and runs
# `benchmark pallet` for pallet-poq on the development chain's runtime.
#
#   bash scripts/benchmark.sh [--steps 50] [--repeat 20]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}"
steps=50
repeat=20
while [ $# -gt 0 ]; do
	case "$1" in
	--steps) steps=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done

bash scripts/prerequisites.sh
cargo build --release --locked -p poq-node --features runtime-benchmarks
"$CARGO_TARGET_DIR/release/poq-node" benchmark pallet \
	--chain dev \
	--pallet pallet_poq \
	--extrinsic '*' \
	--wasm-execution compiled \
	--steps "$steps" \
	--repeat "$repeat" \
	--template scripts/weight-template.hbs \
	--output pallets/poq/src/weights.rs
