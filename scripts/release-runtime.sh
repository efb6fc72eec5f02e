#!/usr/bin/env bash
# Builds the runtime wasm of an earlier release from this repository's history, for the live
# upgrade test (tests/network/upgrade.test.mjs): a chain started on it is upgraded to the runtime of
# the checkout through governance. Prints the wasm's path; a second run finds it built.
#
#   bash scripts/release-runtime.sh [REVISION]   # default: the last release before protocol v4
#
# The release's sources go to a git worktree, its build to a target directory of its own
# ($HOME/.cache/poq-target-release), so the checkout's builds are untouched. `cargo check` of the
# node runs its build script, which compiles the runtime's wasm, and links nothing native.
set -euo pipefail
cd "$(dirname "$0")/.."
# Protocol v3 (spec_version 6, pallet storage version 3): upgrading from it runs v4's migration.
revision="${1:-a7c459d}"
commit=$(git rev-parse --verify "$revision^{commit}")
out="$HOME/.cache/poq-release-runtimes/$commit"
wasm="$out/poq_runtime.compact.compressed.wasm"
if [ ! -f "$wasm" ]; then
	target="${POQ_RELEASE_TARGET_DIR:-$HOME/.cache/poq-target-release}"
	tree=$(mktemp -d)
	trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"' EXIT
	git worktree add --detach "$tree" "$commit" >/dev/null 2>&1
	(cd "$tree" && CARGO_TARGET_DIR="$target" cargo check --locked --release -p poq-node >&2)
	mkdir -p "$out"
	cp "$target/release/wbuild/poq-runtime/poq_runtime.compact.compressed.wasm" "$wasm"
fi
echo "$wasm"
