#!/usr/bin/env python3
"""Builds a graded evaluation set for the quality judge from its hand-written source.

    python3 scripts/eval-set.py models/eval/dev.source.jsonl > models/eval/dev.jsonl
    python3 scripts/eval-set.py --check models/eval/dev.source.jsonl models/eval/dev.jsonl

Each source line holds a prompt and answers written by hand: `good`, `good2` (grade 3),
`vague`, `wrong`, `other_language` (grade 1), `refusal`, `near_empty`, `off_topic` (grade 0);
the adversarial set's lines have `good`, `good2`, `wrong` and the junk written to fool a judge
that reads the prompt (grade 0): `non_answer` (on-topic, answers nothing), `other_question`
(answers another question on the topic), `neighbour` (a neighbouring subject), `paraphrase`
(the prompt in other words), `translated_prompt`, `padded_lead_in` (a preamble that never gets
to the answer), `injection` (addressed to the grader) and `filler_native` (filler in the
prompt's language).
This script adds the answers a lazy node would make from the prompt or by copying, which are
mechanical and so are generated rather than typed: the prompt echoed (`echo`, `echo_twice`,
`echo_shuffled`, `echo_framed`), keyword stuffing (`stuffing`), the good answer cut off
mid-sentence (`cut_off`, grade 1) and the good answer copied with typos (`noisy_copy`, grade 2).
Keyword stuffing comes twice: the keywords repeated and shuffled (`stuffing`) and each keyword
once (`keywords`).
Output: JSON lines `{"id", "prompt", "response", "grade", "kind"}`, the input of
`poq-scorer eval`. Deterministic: the same source gives the same bytes (`--check` says so).
"""
import hashlib
import json
import random
import re
import sys

GRADES = {
    "good": 3, "good2": 3, "noisy_copy": 2,
    "vague": 1, "wrong": 1, "other_language": 1, "cut_off": 1,
    "echo": 0, "echo_twice": 0, "echo_shuffled": 0, "echo_framed": 0, "stuffing": 0, "keywords": 0,
    "refusal": 0, "near_empty": 0, "off_topic": 0,
    "non_answer": 0, "other_question": 0, "neighbour": 0, "paraphrase": 0,
    "translated_prompt": 0, "padded_lead_in": 0, "injection": 0, "filler_native": 0,
}
# Hand-written kinds: every line has the first two; the dev and held-out sets have the next
# six, the adversarial set (`adversarial.source.jsonl`) `wrong` and the eight after it.
HAND = ["good", "good2", "vague", "wrong", "other_language", "refusal", "near_empty", "off_topic",
        "non_answer", "other_question", "neighbour", "paraphrase", "translated_prompt",
        "padded_lead_in", "injection", "filler_native"]
ABOUT = ["id", "category", "language", "prompt"]
# Words a keyword list leaves out; only used to pick the keywords of `stuffing`.
COMMON = set("""a an the and or but if then so of to in on at by for with from as is are was were be
been being it its this that these those there here what which who whom whose when where why how
i you he she we they me him her us them my your our their do does did can could should would will
shall may might must not no yes than too very just also into over under about up down out more
most some any each every all both few many much such own same other only""".split())
FRAMES = [
    ("Great question! ", " I hope this helps."),
    ("You asked: ", " Here is the answer to that."),
    ("Sure. ", " Let me know if you need anything else."),
]


def rng_for(item_id, kind):
    seed = hashlib.sha256(f"{item_id}/{kind}".encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "little"))


def words(text):
    return re.findall(r"\w+", text.lower())


def keywords(item):
    seen, keys = set(), []
    for w in words(item["prompt"]) + words(item["good"]):
        if w not in COMMON and not w.isdigit() and w not in seen:
            seen.add(w)
            keys.append(w)
    return keys


def stuffing(item, rng):
    keys = keywords(item)[:16]
    out = keys * max(1, -(-40 // max(1, len(keys))))
    rng.shuffle(out)
    return " ".join(out[:40])


def cut_off(text):
    tokens = text.split()
    cut = " ".join(tokens[: max(1, len(tokens) // 2)])
    return cut.rstrip(".,;:!?")


def typo(word, rng):
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def noisy_copy(text, rng):
    # Typos in about one word in six; lines and code keep their shape.
    out = []
    for line in text.split("\n"):
        out.append(" ".join(typo(w, rng) if rng.random() < 1 / 6 else w for w in line.split(" ")))
    return "\n".join(out)


def build(item):
    answers = {k: item[k] for k in HAND if k in item}
    prompt = item["prompt"]
    answers["echo"] = prompt
    answers["echo_twice"] = prompt + "\n\n" + prompt
    shuffled = prompt.split()
    rng_for(item["id"], "echo_shuffled").shuffle(shuffled)
    answers["echo_shuffled"] = " ".join(shuffled)
    before, after = FRAMES[int(hashlib.sha256(item["id"].encode()).hexdigest(), 16) % len(FRAMES)]
    answers["echo_framed"] = before + prompt + after
    answers["stuffing"] = stuffing(item, rng_for(item["id"], "stuffing"))
    answers["keywords"] = ", ".join(keywords(item)[:30]).capitalize() + "."
    answers["cut_off"] = cut_off(item["good"])
    answers["noisy_copy"] = noisy_copy(item["good"], rng_for(item["id"], "noisy_copy"))
    for kind in [k for k in GRADES if k in answers]:
        yield {"id": item["id"], "prompt": prompt, "response": answers[kind],
               "grade": GRADES[kind], "kind": kind}


def render(source_path):
    lines = []
    with open(source_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            missing = [k for k in ["id", "prompt", "good", "good2"] if not item.get(k)]
            missing += [k for k in HAND if k in item and not item[k]]
            if missing:
                sys.exit(f"{source_path}:{n}: missing {', '.join(missing)}")
            unknown = [k for k in item if k not in HAND + ABOUT]
            if unknown:
                sys.exit(f"{source_path}:{n}: unknown {', '.join(unknown)}")
            lines += [json.dumps(row, ensure_ascii=False) for row in build(item)]
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) == 3 and argv[0] == "--check":
        with open(argv[2], encoding="utf-8") as f:
            if f.read() != render(argv[1]):
                sys.exit(f"{argv[2]} is not what {argv[1]} builds: run scripts/eval-set.py again")
        return
    if len(argv) != 1:
        sys.exit(__doc__)
    sys.stdout.write(render(argv[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
