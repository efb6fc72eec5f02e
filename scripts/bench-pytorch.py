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
32 pairs of 128, PyTorch, ONNX Runtime and `poq-scorer bench` alternately (so both see the same machine load;
best of --rounds each): PyTorch in f32 and with its own int8 path (`quantize_dynamic`, `--int8`); ONNX
Runtime on the same model exported to ONNX, in f32 and quantised by its own `quantize_dynamic`
(int8, per channel);
poq-scorer on the model alone in f32 (models/weights/minilm-bi, minilm-cross-test) and in int8
(the same folders plus precision.json, linked as *-int8) and, for the bi-encoder, with the
default judge (int8) as a validator runs it. Prints a markdown table. Uses the venv of scripts/parity.py ($HOME/.cache/poq-venv), creating it when
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
# word (a judge strikes "fire" and "tree" as forms of "first" and "true").
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


def quantized(model):
    """PyTorch's own int8 path for the same model: dynamic quantisation of every Linear (int8
    weights, activations quantised per call, fbgemm kernels), the fair baseline for poq-scorer's
    int8 folders."""
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def onnx_file(kind, int8):
    """The model exported to ONNX (torch.onnx, opset 17) and, for int8, quantised by ONNX
    Runtime's own dynamic quantisation (int8 weights per output channel, activations quantised
    per call): the fastest path ONNX Runtime offers a user on the CPU. Cached beside the model
    folders in models/weights/onnx/."""
    import torch
    from transformers import AutoModel, BertForSequenceClassification

    out = parity.ROOT / "models" / "weights" / "onnx"
    out.mkdir(parents=True, exist_ok=True)
    f32 = out / f"{kind}.onnx"
    if not f32.exists():
        if kind == "bi":
            model, names = AutoModel.from_pretrained(str(parity.BARE_BI_DIR)).eval(), ["last_hidden_state"]
        else:
            model, names = BertForSequenceClassification.from_pretrained(str(parity.CROSS_DIR)).eval(), ["logits"]
        class ByName(torch.nn.Module):  # the three inputs by name, the first output alone
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids)[0]

        model = ByName(model)
        dummy = tuple(torch.ones(1, 8, dtype=torch.long) for _ in range(3))
        axes = {n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "token_type_ids"]}
        torch.onnx.export(model, dummy, str(f32), input_names=list(axes), output_names=names,
                          dynamic_axes={**axes, names[0]: {0: "batch"}}, opset_version=17, dynamo=False)
    if not int8:
        return f32
    q = out / f"{kind}-int8.onnx"
    if not q.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(f32), str(q), per_channel=True, weight_type=QuantType.QInt8)
    return q


def ort_runner(kind, pairs, threads, int8):
    """ONNX Runtime on the same inputs as the PyTorch bare forward: the tokenizer, the session
    (all graph optimisations, `threads` intra-op threads, sequential), then the same pooling."""
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(onnx_file(kind, int8)), options, providers=["CPUExecutionProvider"])
    if kind == "bi":
        tokenizer = AutoTokenizer.from_pretrained(str(parity.BARE_BI_DIR))
        texts = [p for p, _ in pairs] + [r for _, r in pairs]
        n = len(tokenizer(texts[0])["input_ids"])

        def run():
            enc = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="np")
            hidden = session.run(None, {k: enc[k].astype(np.int64) for k in ["input_ids", "attention_mask", "token_type_ids"]})[0]
            mask = enc["attention_mask"][..., None].astype(hidden.dtype)
            e = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            e /= np.linalg.norm(e, axis=1, keepdims=True)
            return (e[: len(pairs)] * e[len(pairs):]).sum(1)
    else:
        tokenizer = AutoTokenizer.from_pretrained(str(parity.CROSS_DIR))
        n = len(tokenizer([pairs[0][0]], [pairs[0][1]])["input_ids"][0])

        def run():
            enc = tokenizer([p for p, _ in pairs], [r for _, r in pairs], padding=True, truncation=True,
                            return_tensors="np")
            return session.run(None, {k: enc[k].astype(np.int64) for k in ["input_ids", "attention_mask", "token_type_ids"]})[0][:, 0]
    return run, n


def runner(kind, pairs, baseline, int8=False):
    import torch

    maybe_int8 = quantized if int8 else (lambda m: m)

    if kind == "bi" and baseline == "bare":
        from transformers import AutoModel, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(parity.BARE_BI_DIR))
        model = maybe_int8(AutoModel.from_pretrained(str(parity.BARE_BI_DIR)).eval())
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
        assert not int8, "--int8 measures the bare forward pass"
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
        model = maybe_int8(BertForSequenceClassification.from_pretrained(str(parity.CROSS_DIR)).eval())
        n = len(tokenizer([pairs[0][0]], [pairs[0][1]])["input_ids"][0])

        def run():
            with torch.inference_mode():
                enc = tokenizer([p for p, _ in pairs], [r for _, r in pairs], padding=True,
                                truncation=True, return_tensors="pt")
                return model(**enc).logits[:, 0]
    return run, n


def prepare(kind, batch, tokens, threads, baseline="bare", int8=False, onnx=False):
    """The PyTorch (or, with `onnx`, ONNX Runtime) scoring call for one cell, with its inputs
    checked to be `tokens` long."""
    import torch

    torch.set_num_threads(threads)
    pairs = make_pairs(kind, batch, tokens)
    run, n = ort_runner(kind, pairs, threads, int8) if onnx else runner(kind, pairs, baseline, int8)
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
    ap.add_argument("--int8", action="store_true", help="PyTorch's int8 path (quantize_dynamic)")
    ap.add_argument("--bin", help="poq-scorer binary (default: build it with cargo)")
    args = ap.parse_args()
    parity.ensure_venv()
    if not args.matrix:
        run = prepare(args.kind, args.batch, args.tokens, args.threads, args.baseline, args.int8)
        r = measure(run, args.batch, args.seconds)
        print(f"pytorch{' int8' if args.int8 else ''} {args.kind} batch={args.batch} tokens={args.tokens} threads={args.threads} "
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
    import onnxruntime

    flags = sorted({f for line in open("/proc/cpuinfo") if line.startswith("flags") for f in line.split()[2:]
                    if f.startswith(("avx", "fma", "amx"))})
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"onnxruntime {onnxruntime.__version__}; {cpu}; flags {' '.join(flags)}; "
          f"poq-scorer kernels: {subprocess.run([str(binary), 'bench', '--model', str(parity.int8_variant(parity.BARE_BI_DIR)), '--tokens', '8', '--seconds', '0'], capture_output=True, text=True).stdout.split('isa=')[1].split()[0]}\n")
    print("pairs/s (p50 ms); the last column is poq-scorer int8 against the fastest of the four peers\n")
    print("| model | pairs x tokens | PyTorch f32 | PyTorch int8 | ORT f32 | ORT int8 | poq-scorer f32 | poq-scorer int8 "
          "| int8 ÷ fastest peer | with the judge (int8) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    best = lambda rounds: max(rounds, key=lambda r: r["pairs/s"])
    cell = lambda r: f"{r['pairs/s']:.1f} ({r['p50']:.1f})"
    for kind in ["bi", "cross"]:
        f32_dir = parity.BARE_BI_DIR if kind == "bi" else parity.CROSS_DIR
        int8_dir = parity.int8_variant(f32_dir)
        for batch, tokens in [(1, 128), (3, 256), (32, 128)]:
            sides = {"torch f32": prepare(kind, batch, tokens, args.threads),
                     "torch int8": prepare(kind, batch, tokens, args.threads, int8=True),
                     "ort f32": prepare(kind, batch, tokens, args.threads, onnx=True),
                     "ort int8": prepare(kind, batch, tokens, args.threads, int8=True, onnx=True)}
            dirs = {"f32": f32_dir, "int8": int8_dir}
            if kind == "bi":
                dirs["judge"] = parity.BI_DIR
            rounds = {name: [] for name in [*sides, *dirs]}
            for _ in range(args.rounds):
                for name, run in sides.items():
                    rounds[name].append(measure(run, batch, args.seconds))
                for name, d in dirs.items():
                    rounds[name].append(rust(binary, d, batch, tokens, args.threads, args.seconds))
            r = {name: best(v) for name, v in rounds.items()}
            name = "all-MiniLM-L6-v2 (bi)" if kind == "bi" else "minilm-cross-test (cross)"
            ratio = lambda a, b: r[a]["pairs/s"] / r[b]["pairs/s"]
            judge = cell(r["judge"]) if "judge" in r else "–"
            fastest = max(sides, key=lambda k: r[k]["pairs/s"])
            print(f"| {name} | {batch} x {tokens} | {cell(r['torch f32'])} | {cell(r['torch int8'])} | "
                  f"{cell(r['ort f32'])} | {cell(r['ort int8'])} | {cell(r['f32'])} | {cell(r['int8'])} | "
                  f"{ratio('int8', fastest):.2f} ({fastest}) | {judge} |", flush=True)


if __name__ == "__main__":
    main()
