#!/usr/bin/env bash
# Launches the PoQ parachain on a local relay chain (zombienet.toml: westend-local with two
# validators, para 2000 with the collators //Alice and //Bob and three PoQ validator nodes), hands
# each validator node one genesis validator's poq! key, and sends requests through it with
# scripts/request.mjs, which traces them block by block: seconds since the block that carried
# each request, and how long each draw waited for new relay randomness.
#
#   bash scripts/relay-launch.sh            # launch, run a request, keep running (Ctrl-C stops)
#   bash scripts/relay-launch.sh --check    # launch, run the requests, stop: exit 0 if they
#                                           # settled with every validator in consensus
#
# It builds poq-node with the `parachain` feature (the collator) and tools/relay-node (the
# polkadot relay node with westend-local, and its PVF workers); on a 2-core machine the first
# build of both takes well over an hour. It also writes the files a relay chain's registration
# needs to $POQ_RELAY_DIR (default: a temp dir): the raw chain spec, the genesis head and wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
# The collator and the relay node build in a target directory of their own. scripts/test.sh
# checks the collator's code with RocksDB's C++ left out (a check links nothing); sharing that
# build script's output with these builds, which link RocksDB, would rebuild it at every switch.
export CARGO_TARGET_DIR="${POQ_COLLATOR_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}/collator}"
check=false
[ "${1:-}" = "--check" ] && check=true
out="${POQ_RELAY_DIR:-$(mktemp -d)}"
mkdir -p "$out"
step() { printf '\n==> %s %s\n' "$(date +%T)" "$*"; }

step "prerequisites and the default quality model"
bash scripts/prerequisites.sh
# zombienet.toml gives the validator nodes this folder.
export POQ_MODEL_DIR="$(bash scripts/fetch-model.sh | tail -1)"
step "building the collator (poq-node --features parachain) and the relay node (tools/relay-node)"
cargo build --release --locked -p poq-node --features parachain
cargo build --release --locked -p poq-relay-node
bin="$CARGO_TARGET_DIR/release"

step "the parachain's chain spec and genesis, as a relay chain registers them ($out)"
"$bin/poq-node" build-spec --chain local --disable-default-bootnode --raw >"$out/poq-local-raw.json" 2>/dev/null
"$bin/poq-node" export-genesis-head --chain local "$out/genesis-head" 2>/dev/null
"$bin/poq-node" export-genesis-wasm --chain local "$out/genesis-wasm" 2>/dev/null
ls -l "$out"

step "zombienet (npm ci in tools/zombienet)"
(cd tools/zombienet && npm ci --no-audit --no-fund --loglevel=error)
step "starting the relay chain and the parachain (logs in $out/network)"
PATH="$bin:$PATH" tools/zombienet/node_modules/.bin/zombienet spawn zombienet.toml \
	--provider native --dir "$out/network" --force --logType text >"$out/zombienet.log" 2>&1 &
zombienet=$!
trap 'kill $zombienet 2>/dev/null; wait $zombienet 2>/dev/null || true' EXIT

# JSON-RPC over HTTP to a collator, and one field of a JSON document on stdin (`a.b`).
rpc() { curl -sf -H 'Content-Type: application/json' "http://127.0.0.1:$1" -d "$2"; }
field() {
	node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>
		console.log(process.argv[1].split(".").reduce((o,k)=>o[k],JSON.parse(s))))' "$1"
}

# zombienet starts the relay nodes, then the collators, then the validator nodes.
started=false
for _ in $(seq 1 300); do
	if rpc 9948 '{"jsonrpc":"2.0","id":1,"method":"system_health"}' >/dev/null; then
		started=true
		break
	fi
	kill -0 "$zombienet" 2>/dev/null || break
	sleep 2
done
$started || {
	echo "the parachain nodes did not start (zombienet exited, or 10 minutes passed)" >&2
	tail -50 "$out/zombienet.log" >&2
	exit 1
}

step "poq! keys: one in each validator node, //Alice (9946), //Bob (9947), //Charlie (9948)"
insert_key() {
	local port=$1 suri=$2 public
	public=$("$bin/poq-node" key inspect --scheme sr25519 --output-type json "$suri" | field publicKey)
	rpc "$port" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"author_insertKey\",\"params\":[\"poq!\",\"$suri\",\"$public\"]}" >/dev/null
	echo "$suri -> 127.0.0.1:$port"
}
insert_key 9946 //Alice
insert_key 9947 //Bob
insert_key 9948 //Charlie
for node in poq-alice poq-bob poq-charlie; do
	loaded=$(grep -h "Quality model loaded" "$out/network/$node.log") ||
		{ echo "$node loaded no quality model (see $out/network/$node.log)" >&2; exit 1; }
	echo "$node: ${loaded##*: }"
done

step "requests through the parachain, block by block (parachain blocks follow the relay chain)"
npm ci --no-audit --no-fund --loglevel=error
prompt="What is the capital of France?"
node scripts/request.mjs --ws ws://127.0.0.1:9944 --timeout 600 \
	--prompt "$prompt" --prompt "$prompt" --prompt "$prompt" \
	--metrics poq-alice=http://127.0.0.1:9626/metrics --metrics poq-bob=http://127.0.0.1:9627/metrics \
	--metrics poq-charlie=http://127.0.0.1:9628/metrics

# The request settled in the collators' best chain; the relay chain finalizes it once validators
# have backed, included and finalized those parachain blocks.
number() {
	local header
	header=$(rpc 9944 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getHeader\",\"params\":[$1]}")
	echo $(($(field result.number <<<"$header")))
}
finalized() {
	local head
	head=$(rpc 9944 '{"jsonrpc":"2.0","id":1,"method":"chain_getFinalizedHead"}' | field result)
	number "\"$head\""
}
settled=$(number "")
for _ in $(seq 1 100); do
	final=$(finalized)
	[ "$final" -ge "$settled" ] && break
	sleep 3
done
echo "parachain best #$settled when the request settled; finalized by the relay chain: #$final"
# Resident memory of each node (the parachain nodes hold a relay node in process, and the model).
ps -eo rss=,args= | awk '/(poq-node|polkadot) / && / --name / {
	for (i = 1; i < NF; i++) if ($i == "--name") { printf "memory: %s %.0f MB\n", $(i + 1), $1 / 1024; break } }'
[ "$final" -ge "$settled" ] || { echo "the relay chain did not finalize the request's blocks in 5 minutes" >&2; exit 1; }
if $check; then
	exit 0
fi
step "running: relay chain RPC ws://127.0.0.1:9900, collators ws://127.0.0.1:9944 and :9945; Ctrl-C stops"
wait "$zombienet"
