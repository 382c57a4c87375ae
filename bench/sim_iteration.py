"""Simulations behind the iteration verdict (README: "How the iteration verdict is decided").

Run:  .venv/bin/python bench/sim_iteration.py [--part textcat,spacy,clustered] [--quick]

1. **textcat honesty** (``sklearn-textcat`` with the SAGA solver stopped after 3 epochs, so that its seeded
   shuffling changes the model; AG News: 1,000 training texts, 2,000 gold texts, disjoint). One round trained
   with ``--textcat-runs`` seeds; the runs are split at random into two disjoint groups of 3 many times and each
   split compared with :func:`evaluator.stats.iteration.compare_runs`: there is no true difference, so every
   ``improved``/``regressed`` is a false verdict (target <= 5%). The plain two-level percentile bootstrap
   (without the few-run calibration) is reported next to it on the same splits.
2. **spacy** (``spacy-ner`` with a short schedule: 300 steps; Prodigy drugs, gold = drugs_eval.jsonl): round A =
   the first 50 training examples (6 seeds), round B = the first 400 (5 seeds). A real difference: every
   combination of 3 runs of A and 3 runs of B (200) is compared, target ``improved`` >= 80%. Honesty on real
   seed noise: the 10 splits of A's 6 runs into 3 vs 3.
3. **clustered** (CoNLL-2003 eng.testb, 231 documents, 3,453 sentences): two simulated systems with the *same*
   error process: for each (document, mention string) both systems independently miss or mistype every mention
   of that string with probability 0.25 (errors shared within a document, as real taggers' are), plus 5%
   independent mention errors. No true difference, so every ``b_better``/``a_better`` verdict of
   :func:`evaluator.stats.compare_counts` is false; sentence-level vs document-level resampling (``groups=``).
   The per-label line is counted under the old rule (any label's 95% interval excludes 0) and the new one
   (Holm-adjusted p < 0.05 and the simultaneous interval excludes 0).

Rates come with a 95% Wilson interval. Needs ../shared/data. Prints its figures; about 20 minutes of CPU on 2 cores
(``--quick``: a few minutes, fewer runs and pairs).
"""
from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

DATA = Path(os.environ.get("EVALUATOR_SHARED_DATA", REPO.parent / "shared" / "data"))
AG_CLASSES = ["World", "Sports", "Business", "Sci/Tech"]
SAGA = {"logreg": {"solver": "saga", "max_iter": 3, "tol": 1e-9}}
FAST_SPACY = {"spacy": {"training.max_steps": 300, "training.eval_frequency": 50, "training.patience": 300}}


def rate(k: int, n: int) -> str:
    from evaluator.stats import wilson_interval

    lo, hi = wilson_interval(k, n)
    return f"{100 * k / n:.1f}% ({k}/{n}; 95% CI {100 * lo:.1f}-{100 * hi:.1f}%)"


def train_and_score(trainer_name: str, train, gold, *, labels, config, seed: int):
    """Counts of one freshly trained run on the gold records (no workspace)."""
    from evaluator.metrics import evaluate_records
    from evaluator.records import Record
    from evaluator.training import get_trainer

    trainer = get_trainer(trainer_name)
    with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = trainer.train(train, labels=labels, config=config, seed=seed, out_dir=Path(d) / "model")
        preds = trainer.load(Path(d) / "model", expected_hash=res.artifact_hash).predict(gold)
    pred_recs = [Record(g.text, spans=list(p.spans), label=p.label) for g, p in zip(gold, preds)]
    task = "textcat" if trainer.task == "textcat" else "ner"
    return evaluate_records(gold, pred_recs, task=task, labels=labels if task == "textcat" else None)


def plain_two_level(runs_a, runs_b, *, resamples: int, seed: int) -> bool:
    """The uncalibrated two-level percentile bootstrap: does it call a difference? (for comparison only)"""
    from evaluator.stats import iteration as it
    from evaluator.stats.paired import _ner_metrics, count_matrix

    mats = [count_matrix(r)[0] for r in list(runs_a) + list(runs_b)]
    first = runs_a[0]
    metrics = _ner_metrics(len(first.labels), "seqeval" if first.task == "ner" else "sklearn",
                           count_matrix(first)[1])
    boot = it.two_level_bootstrap(np.concatenate(mats, axis=1), len(runs_a), len(runs_b), metrics, "micro_f1",
                                  resamples, seed)
    d = boot["mean_b"] - boot["mean_a"]
    lo, hi = np.percentile(d, [2.5, 97.5])
    f = lambda rs: np.mean([r.report()["micro"]["f1"] for r in rs])  # noqa: E731
    obs = f(runs_b) - f(runs_a)
    p = (1 + np.sum(np.abs(d - obs) >= abs(obs) - 1e-12)) / (1 + len(d))
    return bool(p < 0.05 and (lo > 0 or hi < 0))


def split_honesty(runs, *, splits: int, resamples: int, rng, exhaustive: bool = False) -> dict:
    from evaluator.stats.iteration import compare_runs

    n = len(runs)
    if exhaustive:
        combos = [c for c in itertools.combinations(range(n), 3) if 0 in c]
        pairs = [(list(c), [i for i in range(n) if i not in c]) for c in combos]
    else:
        pairs = []
        for _ in range(splits):
            p = rng.permutation(n)[:6]
            pairs.append((list(p[:3]), list(p[3:])))
    false = plain = 0
    for k, (ia, ib) in enumerate(pairs):
        ra, rb = [runs[i] for i in ia], [runs[i] for i in ib]
        res = compare_runs(ra, rb, resamples=resamples, seed=k)
        false += res["verdict"] in ("improved", "regressed")
        plain += plain_two_level(ra, rb, resamples=resamples, seed=k)
    return {"splits": len(pairs), "false": false, "plain": plain}


def part_textcat(args) -> list[str]:
    from evaluator.records import Record

    rows = list(csv.reader(open(DATA / "ag-news" / "test.csv", encoding="utf-8")))
    recs = [Record(f"{t}. {d}", label=AG_CLASSES[int(c) - 1]) for c, t, d in rows]
    perm = np.random.default_rng(0).permutation(len(recs))
    train, gold = [recs[i] for i in perm[:1000]], [recs[i] for i in perm[4000:6000]]
    t0 = time.perf_counter()
    runs = []
    for s in range(args.textcat_runs):
        runs.append(train_and_score("sklearn-textcat", train, gold, labels=AG_CLASSES, config=SAGA, seed=s))
    secs = time.perf_counter() - t0
    f1 = [r.report()["micro"]["f1"] for r in runs]
    res = split_honesty(runs, splits=args.splits, resamples=args.resamples, rng=np.random.default_rng(1))
    return [
        f"textcat honesty: sklearn-textcat (SAGA, 3 epochs), AG News, 1,000 train / 2,000 gold; "
        f"{len(runs)} runs of one round in {secs:.0f}s, micro F1 {100 * np.mean(f1):.1f} +- {100 * np.std(f1, ddof=1):.2f} "
        f"(sd over seeds), range {100 * min(f1):.1f}-{100 * max(f1):.1f}",
        f"  3 vs 3 runs of the same round, {res['splits']} random splits: improved/regressed in "
        f"{rate(res['false'], res['splits'])}",
        f"  the uncalibrated two-level percentile bootstrap on the same splits: {rate(res['plain'], res['splits'])}",
    ]


def part_spacy(args) -> list[str]:
    from evaluator.formats import detect_format
    from evaluator.stats.iteration import compare_runs

    src = DATA / "prodigy-drugs"
    fmt = detect_format(src / "drugs_training.jsonl")
    train = fmt.read(src / "drugs_training.jsonl", None)
    gold = [g for g in fmt.read(src / "drugs_eval.jsonl", None) if g.answer == "accept"]
    t0 = time.perf_counter()
    small = [train_and_score("spacy-ner", train[:50], gold, labels=["DRUG"], config=FAST_SPACY, seed=s)
             for s in range(args.spacy_small)]
    large = [train_and_score("spacy-ner", train[:400], gold, labels=["DRUG"], config=FAST_SPACY, seed=s)
             for s in range(args.spacy_large)]
    secs = time.perf_counter() - t0
    f = lambda rs: [round(100 * r.report()["micro"]["f1"], 1) for r in rs]  # noqa: E731
    improved = total = 0
    settle = []
    for k, (ia, ib) in enumerate(itertools.product(itertools.combinations(range(len(small)), 3),
                                                   itertools.combinations(range(len(large)), 3))):
        res = compare_runs([small[i] for i in ia], [large[i] for i in ib], resamples=args.resamples, seed=k)
        improved += res["verdict"] == "improved"
        total += 1
    hon = split_honesty(small, splits=0, resamples=args.resamples, rng=None, exhaustive=True)
    return [
        f"spacy: spacy-ner, 300 steps, Prodigy drugs (gold 500); {len(small) + len(large)} trainings in {secs:.0f}s",
        f"  F1 x 100 of 50-example runs {f(small)}, of 400-example runs {f(large)}",
        f"  50 vs 400 examples, every combination of 3 runs each ({total}): improved in {rate(improved, total)}",
        f"  same round (50 examples), the {hon['splits']} splits of its runs into 3 vs 3: improved/regressed in "
        f"{rate(hon['false'], hon['splits'])} (uncalibrated bootstrap: {rate(hon['plain'], hon['splits'])})",
    ]


# --------------------------------------------------------------------------------------------- clustered

def read_conll_docs(path: Path) -> tuple[list[list[str]], list[list[str]], np.ndarray]:
    """Tokens, tags and the document index of every sentence of a CoNLL-2003 file."""
    tokens, tags, docs, cur_w, cur_t, doc = [], [], [], [], [], -1
    for line in path.read_text(encoding="utf-8").split("\n") + [""]:
        cols = line.split()
        if not cols:
            if cur_w:
                tokens.append(cur_w)
                tags.append(cur_t)
                docs.append(max(doc, 0))
                cur_w, cur_t = [], []
        elif cols[0] == "-DOCSTART-":
            doc += 1
        else:
            cur_w.append(cols[0])
            cur_t.append(cols[-1])
    return tokens, tags, np.array(docs)


def clusters_of(tokens, tags, docs):
    """Mentions (sentence, start, end, type) grouped by (document, mention string)."""
    from metrics.perturb import entities

    groups: dict[tuple[int, str], list[tuple[int, int, int, str]]] = {}
    for s, (ws, ts) in enumerate(zip(tokens, tags)):
        for typ, a, b in entities(ts):
            groups.setdefault((int(docs[s]), " ".join(ws[a:b])), []).append((s, a, b, typ))
    return list(groups.values())


def simulate_system(tags, clusters, rng, *, p_cluster: float = 0.25, p_mention: float = 0.05):
    """A system's tags: whole clusters missed or mistyped together, plus independent mention errors."""
    types = ("PER", "LOC", "ORG", "MISC")
    out = [list(t) for t in tags]

    def err(s, a, b, typ, kind):
        for i in range(a, b):
            if kind == 0:
                out[s][i] = "O"
            else:
                other = types[(types.index(typ) + kind) % 4]
                out[s][i] = out[s][i][:2] + other

    for cl in clusters:
        if rng.random() < p_cluster:
            kind = int(rng.integers(0, 4))  # 0: missed, 1-3: another type
            for m in cl:
                err(*m, kind)
        for m in cl:
            if rng.random() < p_mention:
                err(*m, int(rng.integers(0, 4)))
    return out


def part_clustered(args) -> list[str]:
    from evaluator.metrics import ner_counts
    from evaluator.report.verdict import label_differs, verdict_of
    from evaluator.stats import compare_counts

    tokens, tags, docs = read_conll_docs(DATA / "conll2003" / "eng.testb")
    clusters = clusters_of(tokens, tags, docs)
    mentions = sum(len(c) for c in clusters)
    shared = sum(len(c) for c in clusters if len(c) > 1)
    rng = np.random.default_rng(2025)
    counts = {"sentence": [0, 0, 0], "document": [0, 0, 0]}  # verdict, old per-label rule, Holm per-label rule
    spread = {"sentence": [], "document": []}
    deltas = []
    t0 = time.perf_counter()
    for k in range(args.pairs):
        a = ner_counts(tags, simulate_system(tags, clusters, rng))
        b = ner_counts(tags, simulate_system(tags, clusters, rng))
        for unit, groups in (("sentence", None), ("document", docs)):
            res = compare_counts(a, b, resamples=args.resamples, seed=k, groups=groups)
            c = counts[unit]
            c[0] += verdict_of(res) in ("a_better", "b_better")
            c[1] += any(v["ci95"][0] is not None and (v["ci95"][0] > 0 or v["ci95"][1] < 0)
                        for v in res["per_label"].values() if v["delta"] is not None)
            c[2] += any(label_differs(v) for v in res["per_label"].values())
            spread[unit].append(res["ci95"][1] - res["ci95"][0])
        deltas.append(res["delta"])
    secs = time.perf_counter() - t0
    true_sd = float(np.std(deltas, ddof=1))
    n = args.pairs
    lines = [f"clustered errors: eng.testb, {len(docs)} sentences in {int(docs.max()) + 1} documents; "
             f"{shared / mentions:.0%} of {mentions} gold mentions share a document and string with another; "
             f"{n} pairs of systems with the same error process ({secs:.0f}s)",
             f"  spread of the true difference over pairs: sd {100 * true_sd:.2f} F1 points (a 95% interval "
             f"should be about {100 * 3.92 * true_sd:.1f} points wide)"]
    for unit in ("sentence", "document"):
        c = counts[unit]
        lines.append(f"  {unit}-level resampling: a difference called in {rate(c[0], n)}; mean interval width "
                     f"{100 * np.mean(spread[unit]):.1f} points ({np.mean(spread[unit]) / (3.92 * true_sd):.2f}x); "
                     f"per-label line names a label: old rule {rate(c[1], n)}, Holm {rate(c[2], n)}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", default="textcat,spacy,clustered")
    ap.add_argument("--quick", action="store_true", help="fewer runs, splits and pairs (a smoke run)")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--textcat-runs", type=int, default=40)
    ap.add_argument("--splits", type=int, default=400)
    ap.add_argument("--spacy-small", type=int, default=6)
    ap.add_argument("--spacy-large", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=300)
    args = ap.parse_args()
    if args.quick:
        args.textcat_runs, args.splits, args.pairs, args.resamples = 8, 40, 20, 500
        args.spacy_small, args.spacy_large = 4, 3
    parts = {"textcat": part_textcat, "spacy": part_spacy, "clustered": part_clustered}
    for name in args.part.split(","):
        for line in parts[name](args):
            print(line, flush=True)


if __name__ == "__main__":
    main()
