#!/usr/bin/env python3
"""Trains the judge's `answer` stage: a linear classifier over the model's middle hidden states
of the response and of the prompt that tells answers from the text the red team writes to please
the judge.

    python3 scripts/train-answer.py [--rounds 3] [--seeds 4] [--guided] [--write]

Data, from the prompts of the dev set (models/eval/dev.jsonl) and of the training set
(models/eval/train.source.jsonl: 40 prompts in French, Spanish, German, Italian and Portuguese
and 40 short English questions with short answers, two good answers each); the held-out and adversarial sets are never read. Answers are the
dev set's graded answers of grade 1 or more and the training set's good answers; text that is
not an answer is the dev set's graded junk (grade 0) and the red team's best text of each
strategy on every prompt of both (`poq-scorer attack`). Training runs in rounds, as adversarial training does: round 0 attacks
the judge without the stage; each later round attacks the judge with the classifier of the
round before, with new seeds, and adds what it found (`--guided`: the red team that reads the
judge, `attack --guided`, instead of the one that sees only scores). The features are what the stage reads,
from `poq-scorer embed --layer` (int8, what the node computes): the response's and the prompt's
hidden states after the model's first `--layer` layers, mean-pooled and normalised (`r`, `p`),
and their distance unit by unit, `[r, p, |r - p|]`. The classifier is
L2-regularised logistic regression, answers and the rest weighted equally, solved by Newton's
method (deterministic). The stage's ramp reaches 1 at the logit that `--keep` of the dev set's good
answers reach and 0 `--width` below it.

Prints each round's numbers; with `--write`, puts the stage into models/judge/judge.json. With
`--cv K`, then compares what a stage could read, on the data the rounds gathered: for each layer
of `--cv-layers` and each set of features (`r` alone, as judge version 3 read it; `[r, p, r * p]`;
`[r, p, |r - p|]`, what the stage reads), a K-fold cross-validation grouped by prompt (no prompt
in both a fit and its test) prints the share of the red team's texts from rounds 1 on (found
against a judge with a stage) that pass where `--cv-keep` of the good answers do, and the same
for the dev set's graded junk (models/README.md, "The answer stage", has the table). Needs
`bash scripts/fetch-model.sh` and a release build of poq-scorer; runs in the venv of
scripts/parity.py (numpy).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parity import ensure_venv  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models/weights/all-MiniLM-L6-v2"
JUDGE = ROOT / "models/judge/judge.json"
DEV = ROOT / "models/eval/dev.jsonl"
SOURCES = [ROOT / "models/eval/dev.source.jsonl", ROOT / "models/eval/train.source.jsonl"]
WEIGHTS = ("response", "prompt", "distance")


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout


def folder(tmp, judge):
    """A scratch model folder with `judge` as its judge.json, the rest linked."""
    d = Path(tempfile.mkdtemp(dir=tmp))
    for f in MODEL.iterdir():
        if f.name != "judge.json":
            (d / f.name).symlink_to(f)
    (d / "judge.json").write_text(json.dumps(judge))
    return d


def red_team(scorer, model, seed, budget, guided):
    """The red team's best text of each strategy on every training prompt, as (prompt, text,
    score): the score is the judge's under attack, as `attack --details` reports it. `guided`:
    the attacker who reads the judge (`attack --guided`)."""
    out = []
    for source in SOURCES:
        with tempfile.NamedTemporaryFile(suffix=".jsonl") as details:
            run([scorer, "attack", "--model", model, "--input", source, "--budget", str(budget),
                 "--seed", str(seed), "--json", "--details", details.name] + ["--guided"] * guided)
            for line in open(details.name):
                o = json.loads(line)
                out += [(o["prompt"], f["text"], f["score"]) for f in o["by_strategy"]]
    return out


class Embeddings:
    """`poq-scorer embed` of every text, each once."""

    def __init__(self, scorer, model, layer):
        self.scorer, self.model, self.layer, self.cache = scorer, model, layer, {}

    def __call__(self, texts):
        import numpy as np
        new = sorted({t for t in texts if t not in self.cache})
        if new:
            lines = "".join(json.dumps({"text": t}) + "\n" for t in new)
            rows = run([self.scorer, "embed", "--model", self.model, "--layer", str(self.layer), "--input", "-"],
                       lines).splitlines()
            for t, row in zip(new, rows):
                self.cache[t] = np.array(json.loads(row)["embedding"], dtype=np.float64)
        return np.array([self.cache[t] for t in texts])

    def of_pairs(self, pairs):
        """The responses' and the prompts' states of (prompt, response) pairs: `r`, `p`."""
        return self([r for _, r in pairs]), self([p for p, _ in pairs])


def fit(x, y, l2, iterations=30):
    """L2-regularised logistic regression, classes weighted equally, by Newton's method."""
    import numpy as np
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    weight = np.where(y == 1, 0.5 / y.sum(), 0.5 / (n - y.sum()))
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    w = np.zeros(d + 1)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (weight * (p - y)) + reg * w
        hess = (xb * (weight * p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w[:-1], w[-1]


def stage_reads(r, p):
    """What the stage reads of the response's and the prompt's states: `[r, p, |r - p|]`."""
    import numpy as np
    return np.hstack([r, p, np.abs(r - p)])


def features(embed, pairs):
    """What the stage reads of each (prompt, response) pair."""
    return stage_reads(*embed.of_pairs(pairs))


def cross_validate(args, pairs, labels, origins, good, trained):
    """`--cv`: for each layer and feature set, the shares of the red team's later texts and of
    the graded junk that pass, out of fold, where `--cv-keep` of the good answers do. `trained`
    holds the embeddings at the layer the rounds trained at."""
    import numpy as np
    # What a stage could read of the response's and the prompt's states `r` and `p`.
    feature_sets = {
        "r": lambda r, p: r,
        "r, p, r * p": lambda r, p: np.hstack([r, p, r * p]),
        "r, p, |r - p|": stage_reads,
    }
    y, origins = np.array(labels), np.array(origins)
    prompts = {p: i for i, p in enumerate(sorted({p for p, _ in pairs}))}
    fold = np.array([prompts[p] % args.cv for p, _ in pairs])
    print(f"| layer | features | red team, rounds 1 on ({np.sum(origins == 'later')}) "
          f"| graded junk ({np.sum(origins == 'junk')}) |\n| ---: | --- | ---: | ---: |")
    for layer in args.cv_layers:
        embed = trained if layer == trained.layer else Embeddings(args.scorer, str(MODEL), layer)
        r, p = embed.of_pairs(pairs)
        for name, read in feature_sets.items():
            x, z = read(r, p), np.zeros(len(y))
            for k in range(args.cv):
                test = fold == k
                w, b = fit(x[~test], y[~test], args.l2)
                z[test] = x[test] @ w + b
            floor = np.quantile(z[good], 1.0 - args.cv_keep)
            passing = lambda o: f"{100 * np.mean(z[origins == o] >= floor):.1f} %"
            cell = name.replace("|", "\\|")  # a bar inside a table cell
            print(f"| {layer} | `{cell}` | {passing('later')} | {passing('junk')} |", flush=True)


def stage(layer, w, b, logits_good, keep, width):
    import numpy as np
    hi = float(np.quantile(logits_good, 1.0 - keep))
    f32 = lambda v: float(np.format_float_positional(np.float32(v), unique=True, trim="0"))
    d = len(w) // 3
    return {"layer": layer, "logit": {"lo": f32(hi - width), "hi": f32(hi)}, "bias": f32(b),
            **{name: [f32(v) for v in w[i * d:(i + 1) * d]] for i, name in enumerate(WEIGHTS)}}


def write(judge, answer):
    """judge.json as it was, with `answer` (the last key) set, its weights eight to a line."""
    text = JUDGE.read_text()
    cut = text.find(',\n  "answer"')
    text = (text[:cut] if cut >= 0 else text.rstrip().rstrip("}").rstrip()) + ",\n"
    def vector(name):
        v = answer[name]
        lines = ",\n".join("      " + ", ".join(json.dumps(x) for x in v[i:i + 8]) for i in range(0, len(v), 8))
        return f'    "{name}": [\n{lines}\n    ]'
    text += ('  "answer": {\n'
             f'    "layer": {answer["layer"]},\n'
             f'    "logit": {json.dumps(answer["logit"])},\n'
             f'    "bias": {json.dumps(answer["bias"])},\n'
             + ",\n".join(vector(name) for name in WEIGHTS) + '\n  }\n}\n')
    assert json.loads(text)["answer"] == answer and {k: v for k, v in json.loads(text).items() if k != "answer"} == judge
    JUDGE.write_text(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scorer", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/poq-target")), "release/poq-scorer"))
    ap.add_argument("--rounds", type=int, default=3, help="attack-and-retrain rounds after the first")
    ap.add_argument("--seeds", type=int, default=4, help="red-team seeds per round")
    ap.add_argument("--budget", type=int, default=300, help="judge calls per prompt")
    ap.add_argument("--guided", action="store_true", help="the red team reads the judge (attack --guided)")
    ap.add_argument("--layer", type=int, default=3, help="the model's layers the stage reads after")
    ap.add_argument("--l2", type=float, default=3e-4)
    ap.add_argument("--keep", type=float, default=0.99, help="share of good dev answers the ramp leaves whole")
    ap.add_argument("--width", type=float, default=3.0, help="the ramp's width in logit units")
    ap.add_argument("--write", action="store_true", help="write the stage into models/judge/judge.json")
    ap.add_argument("--cv", type=int, default=0, help="then cross-validate feature sets in this many folds")
    ap.add_argument("--cv-layers", type=lambda v: [int(x) for x in v.split(",")], default=[2, 3, 4],
                    help="the layers --cv compares, comma-separated")
    ap.add_argument("--cv-keep", type=float, default=0.98, help="share of good answers --cv keeps")
    args = ap.parse_args()
    if args.cv and args.rounds < 1:
        ap.error("--cv compares on the red team's texts from round 1 on: it needs --rounds 1 or more")
    ensure_venv()
    import numpy as np

    judge = {k: v for k, v in json.loads(JUDGE.read_text()).items() if k != "answer"}
    graded = [json.loads(l) for l in open(DEV)]
    graded += [{"prompt": t["prompt"], "response": t[k], "grade": 3}
               for t in map(json.loads, open(SOURCES[1])) for k in ("good", "good2")]
    pairs = [(g["prompt"], g["response"]) for g in graded]
    labels = [1.0 if g["grade"] >= 1 else 0.0 for g in graded]
    origins = ["junk" if g["grade"] == 0 else "answer" for g in graded]
    good = [i for i, g in enumerate(graded) if g["grade"] == 3]
    with tempfile.TemporaryDirectory() as tmp:
        embed = Embeddings(args.scorer, str(MODEL), args.layer)
        current, answer, seed = judge, None, 1
        for round_ in range(args.rounds + 1):
            model = str(folder(tmp, current))
            found = []
            for _ in range(args.seeds):
                found += red_team(args.scorer, model, seed, args.budget, args.guided)
                seed += 1
            paid = sum(score >= 2000 for _, _, score in found)
            print(f"round {round_}: the red team's {len(found)} texts against this judge, {paid} paid", file=sys.stderr)
            pairs += [(p, t) for p, t, _ in found]
            labels += [0.0] * len(found)
            origins += ["later" if round_ else "first"] * len(found)
            x, y = features(embed, pairs), np.array(labels)
            w, b = fit(x, y, args.l2)
            logits = x @ w + b
            answer = stage(args.layer, w, b, logits[good], args.keep, args.width)
            lo = answer["logit"]["lo"]
            print(f"  fitted on {int(y.sum())} answers and {int((1 - y).sum())} others: "
                  f"answers below the ramp's top {np.mean(logits[y == 1] < answer['logit']['hi']):.3f}, "
                  f"others above its foot {np.mean(logits[y == 0] > lo):.3f}", file=sys.stderr)
            current = dict(judge, answer=answer)
        if args.cv:
            cross_validate(args, pairs, labels, origins, good, embed)
    if args.write:
        write(judge, answer)
        print(f"wrote the answer stage into {JUDGE}", file=sys.stderr)


if __name__ == "__main__":
    main()
