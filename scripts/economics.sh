#!/usr/bin/env bash
# Regenerates every result of docs/economics.md: the real model's scores
# (docs/economics/minilm/*.scores.jsonl: `poq-scorer score` with the default model and its judge,
# on tests/sim/data/*.jsonl), the synthetic runs, the runs on those scores, the prompt-echo run,
# heavy-tailed stakes, absent validators, copying nodes, stake splitting, grinding the committee
# draw, a model change under a live request, the price of holding live-request slots, larger
# committees, the capture curve of the committee's seat draw, disputes, and writing for the judge at
# the red team's measured scores. About 7 min after the builds.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poq-target}"
cargo build --release -p poq-sim -p poq-scorer
sim="$CARGO_TARGET_DIR/release/poq-sim"
scorer="$CARGO_TARGET_DIR/release/poq-scorer"
scores=docs/economics/minilm

model="$(bash scripts/fetch-model.sh)"
for set in good junk echo; do
	"$scorer" score --model "$model" --input "tests/sim/data/$set.jsonl" \
		>"$scores/$set.scores.jsonl"
done

"$sim" all --out docs/economics
"$sim" all --scores "$scores/good.scores.jsonl" --junk-scores "$scores/junk.scores.jsonl" \
	--out docs/economics/minilm
"$sim" rewards --scores "$scores/good.scores.jsonl" --junk-scores "$scores/echo.scores.jsonl" \
	--out docs/economics/echo
"$sim" all --stakes pareto --out docs/economics/pareto
"$sim" rewards --absent 0.1 --out docs/economics/absent
"$sim" rewards --copying-nodes 0.1 --out docs/economics/copying
"$sim" split --out docs/economics
"$sim" grind --out docs/economics
"$sim" model-switch --out docs/economics
"$sim" shading --out docs/economics
"$sim" slots --out docs/economics
# Fees from MinFee to 1 000 x MinFee with the runtime's proportions (Penalty = NodePenalty =
# 10 000 x MinFee, AbsencePenalty = 2 000 x MinFee; MinFee = 100 here), copying nodes and absent
# validators on top of the default mix.
for fee in 100 1000 10000 100000; do
	"$sim" rewards --bond 10000000 --penalty 1000000 --absence-penalty 200000 --node-penalty 1000000 \
		--fee "$fee" --copying-nodes 0.1 --absent 0.1 --out "docs/economics/fees/$fee"
done
# The capture curve: committees of 5 to 51 seats, coalitions held whole and split.
"$sim" capture --rounds 20000 --out docs/economics
for size in 5 11 15 21 31; do
	"$sim" attack --committee "$size" --rounds 5000 --out "docs/economics/committee-$size"
done
# Disputes (protocol v4) and appeals (v6): capture with clients disputing the junk it pays, with
# one jury and with the runtime's appeal to a second, at the runtime's committee, fee and
# penalties (Penalty = NodePenalty = fee = 10 UNIT, MinBond 1 000 UNIT).
"$sim" disputes --committee 15 --fee 10000000000000 --bond 1000000000000000 \
	--penalty 10000000000000 --rounds 40000 --out docs/economics
# The appeal judge (protocol v5): a node writing text to please the committee's judge, with
# clients disputing it and an appeal judge grading, at the runtime's committee, fee and penalties.
"$sim" judge-gaming --committee 15 --fee 10000000000000 --bond 1000000000000000 \
	--penalty 10000000000000 --rounds 20000 --out docs/economics
# The same game at the red team's measured scores (issue 25): the best text of the attacker who
# reads the judge (`--guided`) for each prompt at 300 judge calls against the good answer, as
# `poq-scorer attack --details` gives them, on the held-out set and on the short factual
# questions, where the judge is weakest.
for set in heldout short; do
	"$scorer" attack --model "$model" --input "models/eval/$set.source.jsonl" \
		--budget 300 --guided --details "docs/economics/red_team_$set.jsonl"
done
"$sim" judge-gaming --committee 15 --fee 10000000000000 --bond 1000000000000000 \
	--penalty 10000000000000 --rounds 20000 --red-team docs/economics/red_team_heldout.jsonl \
	--out docs/economics
"$sim" judge-gaming --committee 15 --fee 10000000000000 --bond 1000000000000000 \
	--penalty 10000000000000 --rounds 20000 --red-team docs/economics/red_team_short.jsonl \
	--out docs/economics/short
