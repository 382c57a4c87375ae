"""Simulation: does uncertainty sampling reach a gold-set score with fewer labels than random sampling?

Run:  .venv/bin/python bench/bench_active.py  [--data bbc,drugs] [--seeds 0,1,2] [--batch 20] [--budget 200]
      [--method least-confident|margin|entropy]

The loop a user runs with the Label page, through the same library functions, with an oracle instead of a
person (the true labels of the data set) answering every item:

1. Start from the same 20 examples for both strategies (a seeded random draw from the pool; seed per run).
2. Train round k on rounds 1..k, score it on the frozen gold set (micro F1 = accuracy for text classification).
3. Ask ``next_items`` for the next batch into round k+1 -- ``random`` (seeded) or ``uncertainty`` (least
   confident first by the round-k model) -- and save the oracle's answers with ``save_answer``. Repeat until the
   budget of labeled examples is spent.

Data (../shared/data):

* **bbc**: BBC News, 2,225 articles in 5 classes; a seeded, stratified quarter is the gold set (554), the rest
  the pool (1,577 after leaving out repeated articles). Trainer ``sklearn-textcat``; uncertainty = the lowest top
  class probability.
* **drugs**: Prodigy drugs (DRUG spans); gold = ``drugs_eval.jsonl`` (500), pool = ``drugs_training.jsonl``
  (1,477). Trainer ``crf-ner``; uncertainty = the lowest probability of the predicted tag sequence (CRF).

Printed: mean gold score over the seeds at each number of labeled examples (with the words read so far: the
least confident texts tend to be the longer ones), and how many labels each strategy needed to reach the target
(default: the mean score random sampling has at the full budget); the ratio says how many labels uncertainty
sampling saves (or costs). Takes about 10-20 minutes on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = Path(os.environ.get("EVALUATOR_SHARED_DATA", REPO.parent / "shared" / "data"))
START = 20
STRATEGIES = ("random", "uncertainty")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ workspaces

def bbc_base(root: Path):
    """BBC News: gold = a seeded stratified quarter (textcat-jsonl), pool = the rest without labels."""
    from evaluator import gold
    from evaluator.formats import ReadOptions
    from evaluator.importer import import_file, read_file
    from evaluator.workspace import init_workspace

    _, recs = read_file(DATA / "bbc-news" / "bbc", format="folder", options=ReadOptions(encoding="utf-8,latin-1"))
    rng = random.Random(12345)
    by_label: dict[str, list] = {}
    for r in recs:
        by_label.setdefault(r.label, []).append(r)
    gold_recs, pool_recs = [], []
    for lab in sorted(by_label):
        items = sorted(by_label[lab], key=lambda r: r.text)
        rng.shuffle(items)
        k = len(items) // 4
        gold_recs += items[:k]
        pool_recs += items[k:]
    seen, oracle, unique_pool = set(), {}, []
    for r in pool_recs:  # BBC repeats a few articles: keep one copy, and none that is also gold
        if r.text in seen:
            continue
        seen.add(r.text)
        oracle[r.text] = {"label": r.label}
        unique_pool.append(r)
    gold_texts = {r.text for r in gold_recs}
    unique_pool = [r for r in unique_pool if r.text not in gold_texts]
    ws = init_workspace(root / "ws", task="textcat", labels=sorted(by_label))
    _jsonl(root / "gold.jsonl", [{"text": r.text, "label": r.label} for r in gold_recs])
    _jsonl(root / "pool.jsonl", [{"text": r.text} for r in unique_pool])
    import_file(ws, root / "gold.jsonl", into="gold:bbc", format="textcat-jsonl")
    gold.freeze(ws, "bbc")
    import_file(ws, root / "pool.jsonl", into="pool", format="textcat-jsonl", skip_gold_overlap=True)
    return ws, "bbc", "sklearn-textcat", oracle


def drugs_base(root: Path):
    """Prodigy drugs: gold = drugs_eval.jsonl; pool = drugs_training.jsonl without its spans."""
    from evaluator import gold
    from evaluator.importer import import_file
    from evaluator.workspace import init_workspace

    src = DATA / "prodigy-drugs"
    ws = init_workspace(root / "ws", task="ner", labels=["DRUG"])
    import_file(ws, src / "drugs_eval.jsonl", into="gold:drugs")
    gold.freeze(ws, "drugs")
    rows = [json.loads(line) for line in (src / "drugs_training.jsonl").read_text(encoding="utf-8").splitlines()]
    oracle = {r["text"]: {"spans": [[s["start"], s["end"], s["label"]] for s in r.get("spans", [])]} for r in rows}
    _jsonl(root / "pool.jsonl", [{"text": r["text"], "tokens": r["tokens"]} for r in rows])
    import_file(ws, root / "pool.jsonl", into="pool")
    return ws, "drugs", "crf-ner", oracle


def _jsonl(path: Path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


# ------------------------------------------------------------------------------------------------ the loop

def answer(ws, items, oracle, round_: int) -> None:
    from evaluator.labeling import write_answers

    rows = [{"example_id": it.example_id, "answer": "accept", "annotator": "oracle", **oracle[it.text]}
            for it in items]
    write_answers(ws, f"round:{round_}", rows)


def run(base: Path, gold_name: str, trainer: str, oracle: dict, *, strategy: str, seed: int, batch: int,
        budget: int, method: str) -> list[tuple[int, float, int]]:
    """One simulated labeling project; returns (labeled examples, gold score, words read) after each round."""
    from evaluator.gold import gold_records
    from evaluator.labeling import next_items
    from evaluator.models import load_model, train_round
    from evaluator.scoring.evaluate import counts_for
    from evaluator.workspace import open_workspace

    work = Path(tempfile.mkdtemp(prefix="active-", dir=base.parent))
    shutil.copytree(base, work / "ws")
    ws = open_workspace(work / "ws")
    _, gold_recs = gold_records(ws, gold_name)  # hash-checked once; each model is scored as evaluate_models does
    try:
        first = next_items(ws, target="round:1", strategy="random", seed=seed, n=START)
        answer(ws, first, oracle, 1)
        labeled, k, curve = START, 1, []
        words = _words(first)
        while True:
            model = train_round(ws, k, trainer=trainer, seed=seed)["name"]
            preds = load_model(ws, model).predict(gold_recs)
            score = counts_for(ws.task, gold_recs, preds, labels=ws.labels, lang=ws.lang).report()["micro"]["f1"]
            curve.append((labeled, score, words))
            log(f"  {strategy:<11} seed {seed}: {labeled:>4} labeled ({words} words) -> {score:.3f}")
            if labeled >= budget:
                return curve
            n = min(batch, budget - labeled)
            items = next_items(ws, target=f"round:{k + 1}", strategy=strategy, model=model, method=method,
                               seed=seed * 1000 + k, n=n)
            answer(ws, items, oracle, k + 1)
            labeled += len(items)
            words += _words(items)
            k += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _words(items) -> int:
    """Words (non-whitespace tokens) in the labeled texts: how much there was to read."""
    return sum(sum(1 for s, e in it.tokens if it.text[s:e].strip()) for it in items)


def needed(curve: list[tuple], target: float) -> int | None:
    """Labeled examples at the first round whose score reaches ``target`` (None: not within the budget)."""
    return next((c[0] for c in curve if c[1] >= target - 1e-12), None)


def report(name: str, curves: dict[str, list[list[tuple[int, float, int]]]], target: float | None) -> list[str]:
    counts = [c[0] for c in curves["random"][0]]
    mean = {st: [statistics.mean(c[i][1] for c in curves[st]) for i in range(len(counts))] for st in STRATEGIES}
    target = mean["random"][-1] if target is None else target
    words = {st: [statistics.mean(c[i][2] for c in curves[st]) for i in range(len(counts))] for st in STRATEGIES}
    out = [f"### {name}: mean gold score over {len(curves['random'])} seeds (mean words read so far)", "",
           "| labeled | " + " | ".join(STRATEGIES) + " |", "|---:|" + "---:|" * len(STRATEGIES)]
    for i, n in enumerate(counts):
        out.append(f"| {n} | " + " | ".join(f"{mean[st][i]:.3f} ({words[st][i]:,.0f})" for st in STRATEGIES) + " |")
    out += ["", f"Labels needed to reach {target:.3f} (random sampling's mean at {counts[-1]}), per seed:", ""]
    per = {st: [needed(c, target) for c in curves[st]] for st in STRATEGIES}
    for st in STRATEGIES:
        shown = ", ".join("-" if x is None else str(x) for x in per[st])
        out.append(f"- {st}: {shown}")
    # the mean curve's crossing (a seed that never reaches it counts as the budget)
    mean_needed = {st: needed(list(zip(counts, mean[st])), target) for st in STRATEGIES}
    read = {st: None if mean_needed[st] is None else words[st][counts.index(mean_needed[st])] for st in STRATEGIES}
    shown = ", ".join(f"{st} {mean_needed[st] or '-'} texts ({'-' if read[st] is None else f'{read[st]:,.0f}'} words)"
                      for st in STRATEGIES)
    if mean_needed["random"] and mean_needed["uncertainty"]:
        shown += (f"; ratio {mean_needed['uncertainty'] / mean_needed['random']:.2f} in texts, "
                  f"{read['uncertainty'] / read['random']:.2f} in words")
    out.append(f"- mean curves: {shown}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="bbc,drugs", help="bbc, drugs or both (comma-separated)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--budget", type=int, default=200)
    ap.add_argument("--target", type=float, default=None, help="score to reach (default: random's final mean)")
    ap.add_argument("--method", default="least-confident", choices=["least-confident", "margin", "entropy"],
                    help="uncertainty measure")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"real datasets not found at {DATA}")
    seeds = [int(s) for s in args.seeds.split(",")]
    lines = [f"bench_active.py: start {START}, batch {args.batch}, budget {args.budget}, seeds {seeds}, "
             f"uncertainty measure {args.method}", ""]
    started = time.perf_counter()
    for name in args.data.split(","):
        root = Path(tempfile.mkdtemp(prefix=f"bench-active-{name}-"))
        try:
            log(f"building the {name} workspace ...")
            ws, gold_name, trainer, oracle = (bbc_base if name == "bbc" else drugs_base)(root)
            curves: dict[str, list] = {st: [] for st in STRATEGIES}
            for seed in seeds:
                for st in STRATEGIES:
                    curves[st].append(run(ws.path, gold_name, trainer, oracle, strategy=st, seed=seed,
                                          batch=args.batch, budget=args.budget, method=args.method))
            lines += report(f"{name} ({trainer})", curves, args.target) + [""]
        finally:
            shutil.rmtree(root, ignore_errors=True)
    lines.append(f"{time.perf_counter() - started:.0f} s in total")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
