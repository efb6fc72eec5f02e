#!/usr/bin/env bash
# Builds the web explorer (tools/explorer) and serves it for a node's RPC endpoint:
#
#   bash scripts/explorer.sh [--rpc ws://127.0.0.1:9944] [--port 8090] [--host 127.0.0.1]
#   npm run explorer -- --rpc wss://<a node>
#
# Prints the page's address and serves until stopped. The page is static (tools/explorer/dist
# after the build): any web server can serve it; `?rpc=<endpoint>` picks the node.
set -euo pipefail
cd "$(dirname "$0")/.."

rpc="ws://127.0.0.1:9944"
port=8090
host=127.0.0.1
while (($#)); do
	case "$1" in
	--rpc) rpc="$2" && shift 2 ;;
	--port) port="$2" && shift 2 ;;
	--host) host="$2" && shift 2 ;;
	-h | --help) sed -n '2,9p' "$0" | cut -c3- && exit 0 ;;
	*) echo "explorer.sh: unknown option $1 (see --help)" >&2 && exit 2 ;;
	esac
done

[ -x node_modules/.bin/vite ] || npm ci --no-audit --no-fund --loglevel=error
node_modules/.bin/vite build tools/explorer --logLevel warn
echo "explorer: http://$host:$port/?rpc=$rpc"
exec node_modules/.bin/vite preview tools/explorer --host "$host" --port "$port" --strictPort --logLevel warn
