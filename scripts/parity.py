#!/usr/bin/env python3
"""Parity of poq-scorer's `raw` with the reference implementations.

Bi-encoder: sentence-transformers on all-MiniLM-L6-v2 (cosine of the embeddings); poq-scorer runs
the same weights without the judge, in f32 (models/weights/minilm-bi, linked from the default
folder).
Cross-encoder: transformers' BertForSequenceClassification on a checkpoint built here from the
real MiniLM encoder and pooler plus a generated one-logit head (no trained cross-encoder is
available offline). XLM-R: transformers' XLMRobertaForSequenceClassification (the layout of the
bge-reranker family) on a small checkpoint whose every weight is a formula, with the Unigram
tokenizer in models/scorer/tests/xlmr-tokenizer.json (written here). The Rust tests build the
identical checkpoints (models/scorer/tests/common) with the same formulas, so the golden values
below apply to both.

Usage:
    python3 scripts/parity.py                 # compare, exit 1 if any |diff| > 1e-3
    python3 scripts/parity.py --write-golden  # also refresh models/scorer/tests/golden.json

Creates and uses a venv at $HOME/.cache/poq-venv (scripts/requirements-parity.txt) when run
from outside one. Builds poq-scorer with `cargo build --release` unless --bin is given.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path.home() / ".cache" / "poq-venv"
REQUIREMENTS = ROOT / "scripts" / "requirements-parity.txt"
BI_DIR = ROOT / "models" / "weights" / "all-MiniLM-L6-v2"
CROSS_DIR = ROOT / "models" / "weights" / "minilm-cross-test"
CROSS_BIN_DIR = ROOT / "models" / "weights" / "minilm-cross-test-bin"
BARE_BI_DIR = ROOT / "models" / "weights" / "minilm-bi"
XLMR_DIR = ROOT / "models" / "weights" / "xlmr-test"
XLMR_TOKENIZER = ROOT / "models" / "scorer" / "tests" / "xlmr-tokenizer.json"
# The XLM-R test checkpoint: small, so that a formula can fill it (tests/common/mod.rs: XLMR_*).
XLMR_CONFIG = {
    "model_type": "xlm-roberta", "architectures": ["XLMRobertaForSequenceClassification"],
    "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
    "max_position_embeddings": 514, "type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0,
    "eos_token_id": 2, "layer_norm_eps": 1e-5, "hidden_act": "gelu",
    "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0},
}
CASES = ROOT / "models" / "scorer" / "tests" / "parity-cases.json"
GOLDEN = ROOT / "models" / "scorer" / "tests" / "golden.json"
TOLERANCE = 1e-3


def ensure_venv():
    """Re-run this script inside the venv with the reference packages, creating it if needed."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"parity: creating {VENV}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    subprocess.check_call([str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)])
    os.execv(str(python), [str(python), *sys.argv])


def head_weights(hidden):
    """The generated classifier head; models/scorer/tests/common/mod.rs uses the same formula.
    Every value is a multiple of 1/512, so it is exact in f32 on both sides."""
    weight = [(((j * 37 + 11) % 101) - 50) / 512 for j in range(hidden)]
    return weight, 0.25


def build_cross_checkpoint():
    """MiniLM encoder + pooler under `bert.`, plus the generated head, as an HF folder."""
    import shutil
    import torch
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(BI_DIR / "model.safetensors"))
    state = {f"bert.{k}": v.contiguous() for k, v in tensors.items() if k != "embeddings.position_ids"}
    config = json.loads((BI_DIR / "config.json").read_text())
    weight, bias = head_weights(config["hidden_size"])
    state["classifier.weight"] = torch.tensor([weight], dtype=torch.float32)
    state["classifier.bias"] = torch.tensor([bias], dtype=torch.float32)
    config["architectures"] = ["BertForSequenceClassification"]
    config["id2label"] = {"0": "LABEL_0"}
    config["label2id"] = {"LABEL_0": 0}
    for out, weights_name in [(CROSS_DIR, "model.safetensors"), (CROSS_BIN_DIR, "pytorch_model.bin")]:
        out.mkdir(parents=True, exist_ok=True)
        for name in ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"]:
            shutil.copy(BI_DIR / name, out / name)
        (out / "config.json").write_text(json.dumps(config, indent=2))
        if weights_name.endswith(".safetensors"):
            save_file(state, str(out / weights_name))
        else:
            torch.save(state, out / weights_name)


def build_bare_bi():
    """The default folder without its judge, in f32: what the references score."""
    BARE_BI_DIR.mkdir(parents=True, exist_ok=True)
    for f in BI_DIR.iterdir():
        link = BARE_BI_DIR / f.name
        if f.name in ("judge.json", "precision.json"):
            link.unlink(missing_ok=True)
        elif not link.exists():
            link.symlink_to(f)


def int8_variant(src):
    """`src` computing in int8: links to its files plus precision.json (models/README.md)."""
    out = src.with_name(src.name + "-int8")
    out.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        link = out / f.name
        if f.name != "precision.json" and not link.exists():
            link.symlink_to(f.resolve())
    (out / "precision.json").write_text('{"version": 1, "dense": "int8"}\n')
    return out


def write_xlmr_tokenizer():
    """A Unigram tokenizer in XLM-R's form (Metaspace, <s> A </s></s> B </s>), built from a fixed
    vocabulary: common English words, then single characters; anything else is <unk>."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    words = ("the of and to in is that it for was on are as with his they at be this have from or "
             "one had by word but not what all were we when your can said there use an each which "
             "she do how their if will up other about out many then them these so some her would "
             "make like him into time has look two more write go see number no way could people my "
             "than first water been call who oil its now find long down day did get come made may "
             "part capital france paris answer question score model chain quality good bad").split()
    chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:'\"()-"
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [("\u2581" + w, -2.0 - 0.01 * i) for i, w in enumerate(words)]
    vocab += [("\u2581", -3.0)]
    vocab += [(c, -5.0 - 0.01 * i) for i, c in enumerate(chars)]
    vocab += [("\u2581" + c, -6.0 - 0.01 * i) for i, c in enumerate(chars)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>"])
    tok.save(str(XLMR_TOKENIZER))


def formula_tensor(t, shape, layer_norm_weight):
    """Tensor number `t` (in sorted name order) of the XLM-R test checkpoint: element k is
    ((31k + 7t) mod 97 - 48) / 128, plus 1 for a LayerNorm weight (exact in f32)."""
    import torch

    n = 1
    for d in shape:
        n *= d
    k = torch.arange(n, dtype=torch.int64)
    v = (((k * 31 + 7 * t) % 97) - 48).to(torch.float32) / 128
    return (v + 1 if layer_norm_weight else v).reshape(shape).contiguous()


def build_xlmr_checkpoint():
    from safetensors.torch import save_file
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    if not XLMR_TOKENIZER.exists():
        write_xlmr_tokenizer()
    from tokenizers import Tokenizer
    config = dict(XLMR_CONFIG, vocab_size=Tokenizer.from_file(str(XLMR_TOKENIZER)).get_vocab_size())
    model = XLMRobertaForSequenceClassification(XLMRobertaConfig(**config))
    names = sorted(n for n in model.state_dict() if not n.endswith("position_ids"))
    state = {n: formula_tensor(t, tuple(model.state_dict()[n].shape), n.endswith("LayerNorm.weight"))
             for t, n in enumerate(names)}
    XLMR_DIR.mkdir(parents=True, exist_ok=True)
    save_file(state, str(XLMR_DIR / "model.safetensors"))
    (XLMR_DIR / "config.json").write_text(json.dumps(config, indent=2))
    (XLMR_DIR / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 512}))
    (XLMR_DIR / "tokenizer.json").write_bytes(XLMR_TOKENIZER.read_bytes())
    return names


def reference_xlmr(cases):
    import torch
    from transformers import PreTrainedTokenizerFast, XLMRobertaForSequenceClassification

    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(XLMR_DIR / "tokenizer.json"),
                                        pad_token="<pad>", model_max_length=512)
    model = XLMRobertaForSequenceClassification.from_pretrained(str(XLMR_DIR)).eval()
    out = []
    with torch.no_grad():
        for c in cases:
            enc = tokenizer([c["prompt"]], [c["response"]], truncation="longest_first",
                            max_length=512, return_tensors="pt", return_token_type_ids=False)
            out.append(float(model(**enc).logits[0, 0]))
    return out


def reference_bi(cases):
    from sentence_transformers import SentenceTransformer, util

    model = SentenceTransformer(str(BI_DIR), device="cpu")
    prompts = model.encode([c["prompt"] for c in cases], convert_to_tensor=True)
    responses = model.encode([c["response"] for c in cases], convert_to_tensor=True)
    return [float(util.cos_sim(p, r)) for p, r in zip(prompts, responses)]


def reference_cross(cases):
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(str(CROSS_DIR))
    model = BertForSequenceClassification.from_pretrained(str(CROSS_DIR)).eval()
    max_length = min(tokenizer.model_max_length, model.config.max_position_embeddings)
    out = []
    with torch.no_grad():
        for c in cases:
            # Lists, as sentence-transformers' CrossEncoder passes them: called with two bare
            # strings, transformers drops an empty second text and encodes a single sequence.
            enc = tokenizer([c["prompt"]], [c["response"]], truncation="longest_first",
                            max_length=max_length, return_tensors="pt")
            out.append(float(model(**enc).logits[0, 0]))
    return out


def rust_raw(binary, model_dir, cases):
    lines = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
    result = subprocess.run([str(binary), "score", "--model", str(model_dir), "--input", "-"],
                            input=lines, capture_output=True, text=True, check=True)
    return [json.loads(line)["raw"] for line in result.stdout.splitlines()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-golden", action="store_true", help="refresh models/scorer/tests/golden.json")
    parser.add_argument("--bin", help="poq-scorer binary (default: build it with cargo)")
    args = parser.parse_args()
    ensure_venv()

    subprocess.check_call(["bash", str(ROOT / "scripts" / "fetch-model.sh")], stdout=subprocess.DEVNULL)
    build_cross_checkpoint()
    build_bare_bi()
    if args.write_golden:
        write_xlmr_tokenizer()
    build_xlmr_checkpoint()
    if args.bin:
        binary = Path(args.bin)
    else:
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "poq-scorer"], cwd=ROOT)
        binary = target / "release" / "poq-scorer"

    cases = json.loads(CASES.read_text())["cases"]
    import torch, transformers, sentence_transformers
    versions = f"torch {torch.__version__}, transformers {transformers.__version__}, sentence-transformers {sentence_transformers.__version__}"
    print(f"reference: {versions}")

    failed = False
    golden = {}
    for kind, model_dir, reference in [("bi", BARE_BI_DIR, reference_bi), ("cross", CROSS_DIR, reference_cross),
                                       ("xlmr", XLMR_DIR, reference_xlmr)]:
        ref = reference(cases)
        ours = rust_raw(binary, model_dir, cases)
        diffs = [abs(a - b) for a, b in zip(ref, ours)]
        worst = max(diffs)
        print(f"{kind:5} max |raw - reference| = {worst:.2e} over {len(cases)} cases")
        for c, r, o, d in zip(cases, ref, ours, diffs):
            label = (c["prompt"][:24] + " | " + c["response"][:24]).replace("\n", " ")
            print(f"    {r:+.6f} {o:+.6f} {d:.1e}  {label}")
        failed |= worst > TOLERANCE
        golden[kind] = ref
    bin_raw = rust_raw(binary, CROSS_BIN_DIR, cases)
    bin_worst = max(abs(a - b) for a, b in zip(bin_raw, golden["cross"]))
    print(f"cross (pytorch_model.bin) max |raw - reference| = {bin_worst:.2e}")
    failed |= bin_worst > TOLERANCE

    if args.write_golden:
        GOLDEN.write_text(json.dumps({
            "_comment": "Reference raw values for tests/parity-cases.json, produced by `python3 scripts/parity.py --write-golden` with " + versions + ". bi: sentence-transformers cosine on all-MiniLM-L6-v2; cross: transformers BertForSequenceClassification logit on the generated minilm-cross-test checkpoint; xlmr: transformers XLMRobertaForSequenceClassification logit on the formula-built xlmr-test checkpoint.",
            "bi": golden["bi"],
            "cross": golden["cross"],
            "xlmr": golden["xlmr"],
        }, indent=1) + "\n")
        print(f"wrote {GOLDEN}")
    if failed:
        print(f"FAIL: a difference exceeds {TOLERANCE}", file=sys.stderr)
        sys.exit(1)
    print(f"OK: every |diff| <= {TOLERANCE}")


if __name__ == "__main__":
    main()
