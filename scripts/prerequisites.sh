#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test the project, and nothing it already has.
# Sourced by the other scripts; safe to run again.
set -euo pipefail

# Debian packages, by the command each provides.
apt_needed=()
command -v clang >/dev/null || apt_needed+=(clang)
# bindgen (RocksDB's bindings, in the collator build) loads libclang.so, which only -dev ships.
compgen -G "/usr/lib/llvm-*/lib/libclang.so" >/dev/null || apt_needed+=(libclang-dev)
# litep2p's build script compiles its protobuf definitions with protoc.
command -v protoc >/dev/null || apt_needed+=(protobuf-compiler)
# The explorer's browser test drives Debian's Chromium (tests/e2e/explorer.test.mjs).
[ -n "${CHROMIUM:-}" ] || command -v chromium >/dev/null || apt_needed+=(chromium)
if ((${#apt_needed[@]})); then
	echo "installing ${apt_needed[*]} (apt)"
	sudo_cmd=""
	[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${apt_needed[@]}" >/dev/null
fi

# The runtime is no_std and builds for wasm.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
	rustup target add wasm32-unknown-unknown
fi
if ! rustup component list --installed | grep -q '^rust-src'; then
	rustup component add rust-src
fi
if ! rustup component list --installed | grep -q '^rustfmt'; then
	rustup component add rustfmt
fi
