# Sourced: starts `poq-node --dev` in the background and stops it when the calling script exits.
#
#   start_dev_node PORT [extra node flags...]
#
# Sets DEV_NODE_PID, DEV_NODE_BASE (a temporary base path) and DEV_NODE_LOG; returns once the
# node serves JSON-RPC on ws://127.0.0.1:PORT, or fails with the node's log.
start_dev_node() {
	local port=$1
	shift
	DEV_NODE_BASE=$(mktemp -d)
	DEV_NODE_LOG="$DEV_NODE_BASE/node.log"
	"$CARGO_TARGET_DIR/release/poq-node" --dev --base-path "$DEV_NODE_BASE" --rpc-port "$port" \
		--prometheus-port "$((port + 1))" --port "$((port + 2))" "$@" >"$DEV_NODE_LOG" 2>&1 &
	DEV_NODE_PID=$!
	trap stop_dev_node EXIT
	for _ in $(seq 1 120); do
		grep -q "Running JSON-RPC server" "$DEV_NODE_LOG" && return 0
		if ! kill -0 "$DEV_NODE_PID" 2>/dev/null; then
			cat "$DEV_NODE_LOG" >&2
			return 1
		fi
		sleep 0.5
	done
	echo "poq-node did not start within 60 s" >&2
	cat "$DEV_NODE_LOG" >&2
	return 1
}

stop_dev_node() {
	if [ -n "${DEV_NODE_PID:-}" ]; then
		kill "$DEV_NODE_PID" 2>/dev/null || true
		wait "$DEV_NODE_PID" 2>/dev/null || true
	fi
	[ -n "${DEV_NODE_BASE:-}" ] && rm -rf "$DEV_NODE_BASE"
	DEV_NODE_PID=
}
