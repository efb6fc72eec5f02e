#!/usr/bin/env python3
"""Prints the table of judges on the graded sets that models/README.md shows.

    python3 scripts/judge-table.py [--scorer PATH]

Runs `poq-scorer eval --json` on models/eval/dev.jsonl, heldout.jsonl and adversarial.jsonl for the
bare model (all-MiniLM-L6-v2 alone, the score before the judge), the default judge
(models/judge/judge.json, in int8 as the default folder's precision.json says), the same judge
in f32, and the default judge with one stage switched off at a time, each in a scratch folder
that links the default model's files. Needs `bash scripts/fetch-model.sh` and
a release build of poq-scorer (`cargo build --release -p poq-scorer`).
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models/weights/all-MiniLM-L6-v2")
JUDGE = os.path.join(ROOT, "models/judge/judge.json")
SETS = ["dev", "heldout", "adversarial"]
# A ramp that is 1 everywhere a share or a count can be, so its stage never bites.
OFF = {"lo": -2.0, "hi": -1.0}


def variants(judge):
    def without(edit):
        j = json.loads(json.dumps(judge))
        edit(j)
        return j

    yield "model alone (no judge)", None
    yield "**judge (default)**", judge
    yield "judge in f32 (no precision.json)", judge
    yield "judge, model sees the whole answer", without(lambda j: j.update(strip="none"))
    yield "judge without length", without(lambda j: j.update(length=OFF))
    yield "judge without novelty", without(lambda j: j.update(novelty=OFF))
    yield "judge without function words", without(lambda j: j["function_words"].update(run={"lo": 1e6, "hi": 2e6}))
    yield "judge without diversity", without(lambda j: j["diversity"].update(share=OFF))
    yield "judge without refusal", without(lambda j: j["refusal"].update(phrases=[]))
    yield "judge without unfinished", without(lambda j: j.update(unfinished=1.0))
    yield "judge without grounding", without(lambda j: j.update(grounding=1.0))
    yield "judge without answer", without(lambda j: j.pop("answer"))


def folder(tmp, name, judge, f32):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    for f in os.listdir(MODEL):
        if f != "judge.json" and not (f32 and f == "precision.json"):
            os.symlink(os.path.join(MODEL, f), os.path.join(d, f))
    if judge is not None:
        with open(os.path.join(d, "judge.json"), "w") as out:
            json.dump(judge, out)
    return d


def main():
    scorer = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/poq-target")), "release/poq-scorer")
    if "--scorer" in sys.argv:
        scorer = sys.argv[sys.argv.index("--scorer") + 1]
    with open(JUDGE) as f:
        judge = json.load(f)
    pct = lambda r: f"{100 * r['value']:.1f}"
    print("| judge | set | pairwise accuracy % | good beats junk % | junk paid % | good paid % |")
    print("|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n, (name, j) in enumerate(variants(judge)):
            d = folder(tmp, f"v{n}", j, f32=name.startswith("judge in f32"))
            for s in SETS:
                out = subprocess.run([scorer, "eval", "--model", d, "--input", os.path.join(ROOT, f"models/eval/{s}.jsonl"), "--json"],
                                     check=True, capture_output=True, text=True).stdout
                r = json.loads(out)
                print(f"| {name} | {s} ({r['prompts']} prompts) | {pct(r['pairwise_accuracy'])} | {pct(r['best_beats_junk'])} | {pct(r['junk_paid'])} | {pct(r['good_paid'])} |")


if __name__ == "__main__":
    main()
