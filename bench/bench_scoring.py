"""Benchmark: ``evaluator score`` and ``evaluator compare`` as whole processes against a seqeval script.

Run:  .venv/bin/python bench/bench_scoring.py  [--tokens 1000000] [--runs 3] [--strict] [--keep DIR]

Data: CoNLL-2003-shaped files written for the run (seeded): ``-DOCSTART-`` documents of 20 sentences, sentences
of 8-32 tokens, four columns (``word POS chunk NER``), valid IOB2 gold; prediction A has 15% of its tokens
replaced by a random tag, prediction B 12%.

Each row is one user-facing command, run as a process ``--runs`` times, next to the reference script run the same
number of times; the table shows medians of CPU seconds (user + system) and peak memory of each side, and the
ratio of the CPU medians. The reference is the 20-line script a user writes with seqeval (below, written to a
temporary file and run with the same interpreter): read the tag column, call ``classification_report``, print.
For ``compare`` the reference scores both prediction files (seqeval has no paired test; ours does a 10,000-resample
paired bootstrap and randomization test on top). Before timing is shown, every figure of ours is checked equal
to seqeval's output of the same run.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import EVALUATOR, PYTHON, machine, measure  # noqa: E402

TYPES = ("PER", "LOC", "ORG", "MISC")
VOCAB = ["O"] + [f"{p}-{t}" for t in TYPES for p in "BI"]

SEQEVAL_SCRIPT = '''\
import json, sys
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

def read_tags(path):
    sents, cur = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            cols = line.split()
            if not cols:
                if cur:
                    sents.append(cur)
                    cur = []
            elif cols[0] != "-DOCSTART-":
                cur.append(cols[-1])
    if cur:
        sents.append(cur)
    return sents

strict = sys.argv[1] == "strict"
gold = read_tags(sys.argv[2])
for pred_path in sys.argv[3:]:
    kw = {"mode": "strict", "scheme": IOB2} if strict else {}
    report = classification_report(gold, read_tags(pred_path), output_dict=True, zero_division=0, **kw)
    print(json.dumps(report, default=float))
'''


def _tags(n: int, rng: np.random.Generator) -> np.ndarray:
    """Valid IOB2 tag ids (into VOCAB) for ``n`` tokens: entities of 1-3 tokens, about 18% of the slots."""
    slots = n  # enough slots: each slot covers at least one token
    is_ent = rng.random(slots) < 0.18
    length = np.where(is_ent, rng.integers(1, 4, size=slots), 1)
    ends = np.cumsum(length)
    keep = int(np.searchsorted(ends, n)) + 1
    is_ent, length = is_ent[:keep], length[:keep]
    typ = rng.integers(0, len(TYPES), size=keep)
    starts = np.concatenate([[0], np.cumsum(length)[:-1]])
    slot_of = np.repeat(np.arange(keep), length)[:n]
    inside = np.arange(n) - starts[slot_of]
    begin_id = 1 + 2 * typ  # B-T; I-T is B-T + 1
    ids = np.where(is_ent[slot_of], begin_id[slot_of] + (inside > 0), 0)
    return ids.astype(np.int64)


def make_files(folder: Path, n_tokens: int, seed: int = 20240601) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    lengths = []
    total = 0
    while total < n_tokens:
        k = int(min(rng.integers(8, 33), n_tokens - total))
        lengths.append(k)
        total += k
    gold = _tags(n_tokens, rng)
    sent_start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    # an entity cut by a sentence boundary restarts with B- (the gold stays valid IOB2)
    first = gold[sent_start]
    gold[sent_start] = np.where((first > 0) & (first % 2 == 0), first - 1, first)
    preds = []
    for rate in (0.15, 0.12):
        p = gold.copy()
        hit = rng.random(n_tokens) < rate
        p[hit] = rng.integers(0, len(VOCAB), size=int(hit.sum()))
        preds.append(p)
    words = np.array([f"w{k}" for k in range(5000)], dtype=object)[rng.integers(0, 5000, size=n_tokens)]
    pos = np.array(["NNP", "VBZ", "DT", "NN", "IN", "JJ"], dtype=object)[rng.integers(0, 6, size=n_tokens)]
    vocab = np.array(VOCAB, dtype=object)
    paths = []
    for name, ids in (("gold.conll", gold), ("a.conll", preds[0]), ("b.conll", preds[1])):
        path = folder / name
        tags = vocab[ids]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("-DOCSTART- -X- -X- O\n\n")
            for s, (start, k) in enumerate(zip(sent_start.tolist(), lengths)):
                if s and s % 20 == 0:
                    fh.write("-DOCSTART- -X- -X- O\n\n")
                fh.write("".join(f"{w} {p} I-NP {t}\n" for w, p, t in
                                 zip(words[start:start + k], pos[start:start + k], tags[start:start + k])))
                fh.write("\n")
        paths.append(path)
    return paths[0], paths[1], paths[2]


def same_figures(ours: dict, ref: dict) -> None:
    """Every per-label and averaged P/R/F1 and support of ours equals seqeval's (undefined = seqeval's 0)."""
    z = lambda x: 0.0 if x is None else x  # noqa: E731
    assert set(ours["per_label"]) == {k for k in ref if not k.endswith(" avg")}, (list(ours["per_label"]), list(ref))
    for name, row in ref.items():
        mine = ours[name.split()[0]] if name.endswith(" avg") else ours["per_label"][name]
        for k, rk in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert z(mine[k]) == float(row[rk]), (name, k, mine[k], row[rk])
        assert mine["support"] == int(row["support"]), name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokens", type=int, default=1_000_000, help="tokens per file")
    ap.add_argument("--runs", type=int, default=3, help="runs of each command, both sides (medians are shown)")
    ap.add_argument("--strict", action="store_true", help="also time strict mode (IOB2)")
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="write the files into this folder and keep them")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        script = Path(tmp) / "seqeval_report.py"
        script.write_text(SEQEVAL_SCRIPT, encoding="utf-8")
        gold, a, b = folder / "gold.conll", folder / "a.conll", folder / "b.conll"
        if not (gold.exists() and a.exists() and b.exists()):
            print(f"writing {args.tokens:,}-token files into {folder} ...", file=sys.stderr)
            make_files(folder, args.tokens)
        size = gold.stat().st_size / 2 ** 20
        rows = []
        modes = ["default"] + (["strict"] if args.strict else [])
        for mode in modes:
            extra = ["--mode", "strict", "--scheme", "IOB2"] if mode == "strict" else []
            ref = measure([PYTHON, script, mode, gold, a], runs=args.runs, label=f"seqeval script ({mode})")
            ours = measure(EVALUATOR + ["score", gold, a, "--json"] + extra, runs=args.runs,
                           label=f"evaluator score ({mode})")
            same_figures(json.loads(ours.stdout), json.loads(ref.stdout.splitlines()[0]))
            rows.append((f"`evaluator score GOLD PRED --json`{' --mode strict' if extra else ''}",
                         f"seqeval `classification_report` script{' (strict IOB2)' if extra else ''}", ref, ours))
        if not args.skip_compare:
            ref = measure([PYTHON, script, "default", gold, a, b], runs=args.runs, label="seqeval script (A and B)")
            for unit in ("document", "sentence"):
                ours = measure(EVALUATOR + ["compare", gold, a, b, "--unit", unit, "--json"], runs=args.runs,
                               label=f"evaluator compare (unit {unit})")
                res = json.loads(ours.stdout)
                ra, rb = (json.loads(line) for line in ref.stdout.splitlines())
                assert res["a"]["f1"] == ra["micro avg"]["f1-score"] and res["b"]["f1"] == rb["micro avg"]["f1-score"]
                rows.append((f"`evaluator compare GOLD A B --unit {unit} --json` (10,000 resamples, "
                             f"{res['units']:,} units)", "seqeval script scoring A and B (no paired test)", ref, ours))

    print(f"all figures identical to seqeval: yes ({args.tokens:,} tokens per file, {size:.0f} MiB)", file=sys.stderr)
    print()
    print(f"| command ({args.tokens:,} tokens per file) | reference | reference CPU s | reference peak MiB | "
          f"ours CPU s | ours peak MiB | speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for what, ref_name, ref, ours in rows:
        print(f"| {what} | {ref_name} | {ref.cpu:.2f} | {ref.peak_mib:.0f} | {ours.cpu:.2f} | {ours.peak_mib:.0f} "
              f"| {ref.cpu / ours.cpu:.1f}x |")
    print()
    print(f"Whole processes, median of {args.runs} runs on each side; {machine()}; "
          f"seqeval {_version('seqeval')}, numpy {np.__version__}.")


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()
