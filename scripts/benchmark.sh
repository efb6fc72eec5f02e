#!/usr/bin/env bash
# Regenerates the runtime's weights on this machine: builds the node with its benchmarks and runs
# `benchmark pallet` on the development chain's runtime, for pallet-poq into
# `pallets/poq/src/weights.rs` (with its own template), and for every other pallet
# `runtime/src/benches.rs` lists into `runtime/src/weights/<pallet>.rs`; then `benchmark overhead`
# for the base weights of a block and of an extrinsic (`runtime/src/weights/block_weights.rs`,
# `extrinsic_weights.rs`).
#
#   bash scripts/benchmark.sh [--steps 50] [--repeat 20] [--runtime-steps 10] [--runtime-repeat 5]
#                             [--only "frame_system pallet_message_queue overhead"]
#
# `--only` runs just the named benchmarks (pallets as `benches.rs` names them, `overhead`).
#
# The other pallets' benchmarks have many components each (collator selection's run up to 100
# candidates), so they take fewer samples by default: about 10 min for all of them on 2 cores,
# where 50 steps and 20 repeats took more than 10 min for collator selection alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}"
steps=50
repeat=20
runtime_steps=10
runtime_repeat=5
only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--steps) steps=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--runtime-steps) runtime_steps=$2; shift 2 ;;
	--runtime-repeat) runtime_repeat=$2; shift 2 ;;
	--only) only=" $2 "; shift 2 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done

bash scripts/prerequisites.sh
cargo build --release --locked -p poq-node --features runtime-benchmarks
bench() {
	"$CARGO_TARGET_DIR/release/poq-node" benchmark pallet \
		--chain dev \
		--extrinsic '*' \
		--wasm-execution compiled \
		"$@"
}
wanted() { [ -z "$only" ] || [[ "$only" == *" $1 "* ]]; }
if wanted pallet_poq; then
	bench --pallet pallet_poq --steps "$steps" --repeat "$repeat" \
		--template scripts/weight-template.hbs --output pallets/poq/src/weights.rs
fi
pallets=$(grep -oE '^\s*\[[a-z_]+,' runtime/src/benches.rs | tr -d '[,\t ' | grep -vx pallet_poq)
# Weights every block pays get pallet-poq's samples: at 10 steps and 5 repeats the downward
# messages' intercept, charged in each block's inherent, came out 2.6 ms against 2.2 µs.
every_block=" frame_system cumulus_pallet_parachain_system "
for pallet in $pallets; do
	wanted "$pallet" || continue
	if [[ "$every_block" == *" $pallet "* ]]; then
		samples=(--steps "$steps" --repeat "$repeat")
	else
		samples=(--steps "$runtime_steps" --repeat "$runtime_repeat")
	fi
	bench --pallet "$pallet" "${samples[@]}" \
		--header scripts/weight-header.txt --output "runtime/src/weights/$pallet.rs"
done
if wanted overhead; then
	# `benchmark overhead` mocks the relay chain's proof for the parachain id it is given, not
	# the chain spec's: without the development chain's id the proof lacks the chain's head.
	para_id=$(sed -n 's/^pub const PARACHAIN_ID: u32 = \([0-9]*\);$/\1/p' runtime/src/genesis.rs)
	"$CARGO_TARGET_DIR/release/poq-node" benchmark overhead --chain dev --para-id "$para_id" \
		--header scripts/weight-header.txt --weight-path runtime/src/weights
fi
