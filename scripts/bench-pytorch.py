#!/usr/bin/env python3
"""PyTorch reference benchmark for poq-scorer, on the same weights and the same generated pairs.

The baseline is a bare transformers forward pass (`--baseline bare`, the default): the fast
tokenizer and the model under `torch.inference_mode()`, nothing else; for the bi-encoder
`BertModel` + mean pooling + normalisation + cosine, for the cross-encoder
`BertForSequenceClassification` on models/weights/minilm-cross-test (built by
scripts/parity.py). `--baseline library` measures sentence-transformers' `encode` instead, which
adds its own overhead.

    python3 scripts/bench-pytorch.py --kind bi --batch 32 --tokens 128 --threads 2
    python3 scripts/bench-pytorch.py --matrix [--threads 2] [--seconds 10]

--matrix runs, for both kinds, one pair of 128 tokens, 3 pairs of 256 (a request's answers) and
32 pairs of 128, PyTorch and `poq-scorer bench` alternately (so both see the same machine load;
best of --rounds each): poq-scorer on the model alone (models/weights/minilm-bi,
minilm-cross-test) and, for the bi-encoder, with the default judge as a validator runs it. Prints
a markdown table. Uses the venv of scripts/parity.py ($HOME/.cache/poq-venv), creating it when
missing.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
parity = __import__("parity")  # the venv bootstrap and model paths live there

# The same word lists and text formula as `poq-scorer bench` (models/scorer/src/main.rs): each
# word is one WordPiece token, so a text of n words is n tokens; prompts and responses share no
# word, so the judge strikes nothing from a response.
PROMPT_WORDS = ["the", "quality", "of", "this", "answer", "is", "good", "and", "clear", "model",
                "chain", "score", "node", "block", "value", "test", "data", "time", "work", "fast",
                "small", "large", "first", "last", "high", "low", "open", "true", "water", "city",
                "house", "music"]
RESPONSE_WORDS = ["river", "light", "green", "stone", "paper", "table", "window", "garden", "road",
                  "tree", "bird", "sun", "moon", "star", "night", "day", "cold", "warm", "blue",
                  "red", "book", "door", "wall", "hill", "sea", "sky", "rain", "snow", "fire",
                  "wind", "song", "game"]


def text(words, n, seed, stride):
    return " ".join(words[(seed + i * stride) % len(words)] for i in range(n))


def make_pairs(kind, batch, tokens):
    if kind == "cross":  # [CLS] prompt [SEP] response [SEP]
        p, r = (tokens - 3) // 2, tokens - 3 - (tokens - 3) // 2
    else:  # [CLS] text [SEP] for each text
        p, r = tokens - 2, tokens - 2
    return [(text(PROMPT_WORDS, p, i, 7), text(RESPONSE_WORDS, r, i, 5)) for i in range(batch)]


def runner(kind, pairs, baseline):
    import torch

    if kind == "bi" and baseline == "bare":
        from transformers import AutoModel, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(parity.BARE_BI_DIR))
        model = AutoModel.from_pretrained(str(parity.BARE_BI_DIR)).eval()
        texts = [p for p, _ in pairs] + [r for _, r in pairs]
        n = len(tokenizer(texts[0])["input_ids"])

        def run():
            with torch.inference_mode():
                enc = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
                hidden = model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                e = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=1)
                return (e[: len(pairs)] * e[len(pairs):]).sum(1)
    elif kind == "bi":
        from sentence_transformers import SentenceTransformer, util

        model = SentenceTransformer(str(parity.BI_DIR), device="cpu")
        prompts = [p for p, _ in pairs]
        responses = [r for _, r in pairs]
        n = len(model.tokenizer(prompts[0])["input_ids"])

        def run():
            e = model.encode(prompts + responses, batch_size=32, convert_to_tensor=True)
            return util.pairwise_cos_sim(e[: len(pairs)], e[len(pairs):])
    else:
        from transformers import AutoTokenizer, BertForSequenceClassification

        tokenizer = AutoTokenizer.from_pretrained(str(parity.CROSS_DIR))
        model = BertForSequenceClassification.from_pretrained(str(parity.CROSS_DIR)).eval()
        n = len(tokenizer([pairs[0][0]], [pairs[0][1]])["input_ids"][0])

        def run():
            with torch.inference_mode():
                enc = tokenizer([p for p, _ in pairs], [r for _, r in pairs], padding=True,
                                truncation=True, return_tensors="pt")
                return model(**enc).logits[:, 0]
    return run, n


def prepare(kind, batch, tokens, threads, baseline="bare"):
    """The PyTorch scoring call for one cell, with its inputs checked to be `tokens` long."""
    import torch

    torch.set_num_threads(threads)
    run, n = runner(kind, make_pairs(kind, batch, tokens), baseline)
    assert n == tokens, f"generated text is {n} tokens, not {tokens}"
    return run


def measure(run, batch, seconds):
    for _ in range(3):
        run()
    times = []
    start = time.perf_counter()
    while len(times) < 10 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    times.sort()
    pct = lambda p: times[round((len(times) - 1) * p)] * 1e3
    return {"pairs/s": len(times) * batch / sum(times), "p50": pct(0.5), "p99": pct(0.99)}


def rust(binary, model, batch, tokens, threads, seconds):
    out = subprocess.run([str(binary), "bench", "--model", str(model), "--batch", str(batch),
                          "--tokens", str(tokens), "--threads", str(threads), "--seconds", str(seconds)],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"pairs/s=([\d.]+) p50=([\d.]+)ms p99=([\d.]+)ms", out)
    return {"pairs/s": float(m[1]), "p50": float(m[2]), "p99": float(m[3])}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=["bi", "cross"], default="bi")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--matrix", action="store_true", help="PyTorch vs poq-scorer table")
    ap.add_argument("--rounds", type=int, default=3,
                    help="--matrix: alternate PyTorch and poq-scorer this many times per cell and keep "
                         "each side's best round, so a burst of load elsewhere does not decide the ratio")
    ap.add_argument("--baseline", choices=["bare", "library"], default="bare",
                    help="bi-encoder baseline: a bare transformers forward, or sentence-transformers' encode")
    ap.add_argument("--bin", help="poq-scorer binary (default: build it with cargo)")
    args = ap.parse_args()
    parity.ensure_venv()
    if not args.matrix:
        r = measure(prepare(args.kind, args.batch, args.tokens, args.threads, args.baseline), args.batch, args.seconds)
        print(f"pytorch {args.kind} batch={args.batch} tokens={args.tokens} threads={args.threads} "
              f"pairs/s={r['pairs/s']:.1f} p50={r['p50']:.2f}ms p99={r['p99']:.2f}ms")
        return
    if not parity.CROSS_DIR.joinpath("model.safetensors").exists():
        sys.exit("bench: run scripts/parity.py first (it builds models/weights/minilm-cross-test)")
    if args.bin:
        binary = Path(args.bin)
    else:
        subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "poq-scorer"], cwd=parity.ROOT)
        binary = Path(os.environ.get("CARGO_TARGET_DIR", parity.ROOT / "target")) / "release" / "poq-scorer"
    import torch
    print(f"torch {torch.__version__}, {args.threads} threads, best of {args.rounds} alternating rounds "
          f"of >= {args.seconds}s per side and cell, load average before: {os.getloadavg()[0]:.2f}\n")
    print("| model | pairs x tokens | PyTorch pairs/s | poq-scorer pairs/s | ratio | with the judge pairs/s | PyTorch p50 ms | poq-scorer p50 ms | with the judge p50 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    best = lambda rounds: max(rounds, key=lambda r: r["pairs/s"])
    for kind in ["bi", "cross"]:
        for batch, tokens in [(1, 128), (3, 256), (32, 128)]:
            run = prepare(kind, batch, tokens, args.threads, args.baseline)
            bare = parity.BARE_BI_DIR if kind == "bi" else parity.CROSS_DIR
            py, rs, judged = [], [], []
            for _ in range(args.rounds):
                py.append(measure(run, batch, args.seconds))
                rs.append(rust(binary, bare, batch, tokens, args.threads, args.seconds))
                if kind == "bi":
                    judged.append(rust(binary, parity.BI_DIR, batch, tokens, args.threads, args.seconds))
            py, rs = best(py), best(rs)
            j = best(judged) if judged else None
            name = "all-MiniLM-L6-v2 (bi)" if kind == "bi" else "minilm-cross-test (cross)"
            print(f"| {name} | {batch} x {tokens} | {py['pairs/s']:.1f} | {rs['pairs/s']:.1f} | "
                  f"{rs['pairs/s'] / py['pairs/s']:.2f} | {j['pairs/s'] if j else float('nan'):.1f} | "
                  f"{py['p50']:.1f} | {rs['p50']:.1f} | {j['p50'] if j else float('nan'):.1f} |", flush=True)


if __name__ == "__main__":
    main()
