"""Benchmark of the scoring *kernel*: our counts and paired bootstrap against seqeval, in one process.

Run:  .venv/bin/python bench/bench_metrics.py  [--strict] [--repeat N]

This measures the in-memory kernel (tag lists already in memory, no file reading, no process start-up); what a
user waits for is the command, measured by ``bench/bench_scoring.py``. Every timing is the median of ``--repeat``
runs, the same number on both sides; peak memory (traced allocations, Python and numpy) comes from one more,
untimed run of each.

1. 1M tokens (50,000 sentences x 20 tokens, valid IOB2 gold, 15% of prediction tokens corrupted, seeded):
   seqeval ``classification_report`` vs our full report (entity extraction, per-document counts, every figure),
   and our 10,000-resample paired bootstrap. Every count and figure is checked equal before timing is shown.
2. CoNLL-2003 ``eng.testb`` (from ../shared/data) with two perturbed prediction sets: two seqeval reports (one
   per system) vs our comparison (both systems scored + 10,000-resample paired bootstrap, with and without the
   randomization test).

Prints a Markdown table of the median wall times, the peak memory and the ratios. Targets: full report >= 10x faster than
seqeval; the bootstrap on testb no slower than two seqeval reports.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evaluator.metrics import ner_counts, ner_report  # noqa: E402
from evaluator.stats import compare_counts  # noqa: E402

TYPES = ("PER", "LOC", "ORG", "MISC")


def make_gold(n_sents: int, length: int, rng: np.random.Generator) -> list[list[str]]:
    """Valid IOB2: entities of 1-3 tokens start with B-, continue with I- of the same type."""
    tags = []
    for _ in range(n_sents):
        s: list[str] = []
        while len(s) < length:
            if rng.random() < 0.18:
                t = TYPES[int(rng.integers(len(TYPES)))]
                n = int(rng.integers(1, 4))
                s.extend([f"B-{t}"] + [f"I-{t}"] * (n - 1))
            else:
                s.append("O")
        s = s[:length]
        tags.append(s)
    return tags


def corrupt(gold: list[list[str]], rate: float, rng: np.random.Generator) -> list[list[str]]:
    """Replace ``rate`` of the tokens by a random tag (B-/I- of any type or O): boundary errors, type swaps,
    invalid I- starts, deletions and insertions all arise."""
    vocab = ["O"] + [f"{p}-{t}" for t in TYPES for p in "BI"]
    flat = np.array([t for s in gold for t in s], dtype=object)
    hit = rng.random(len(flat)) < rate
    flat[hit] = np.array(vocab, dtype=object)[rng.integers(0, len(vocab), size=int(hit.sum()))]
    out, k = [], 0
    for s in gold:
        out.append(flat[k:k + len(s)].tolist())
        k += len(s)
    return out


def median_of(fn, repeat: int) -> tuple[float, object]:
    """Median wall seconds of ``repeat`` runs of ``fn`` and its last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def peak_mib(fn) -> float:
    """Peak traced memory (Python objects and numpy arrays) of one run of ``fn``, in MiB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()


def check_equal(ours: dict, ref: dict) -> None:
    """Every figure of seqeval's dict report equals ours (undefined = seqeval's 0)."""
    z = lambda x: 0.0 if x is None else x  # noqa: E731
    for name, row in ref.items():
        if name.endswith(" avg"):
            mine = ours[name.split()[0]]
        else:
            mine = ours["per_label"][name]
        for k, rk in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert z(mine[k]) == float(row[rk]), (name, k, mine[k], row[rk])
        assert mine["support"] == int(row["support"]), name
    assert set(ours["per_label"]) == {k for k in ref if not k.endswith(" avg")}


def seqeval_report(gold, pred, strict=False):
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if strict:
            return classification_report(gold, pred, output_dict=True, mode="strict", scheme=IOB2)
        return classification_report(gold, pred, output_dict=True)


def read_conll_tags(path: Path) -> list[list[str]]:
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of every timing, both sides (the median is shown)")
    ap.add_argument("--strict", action="store_true", help="also time strict mode (IOB2) on 1M tokens")
    ap.add_argument("--resamples", type=int, default=10_000)
    args = ap.parse_args()
    import seqeval.metrics  # noqa: F401  (import cost outside the timings)

    rows: list[tuple[str, str, float, float, str, float, float]] = []
    peaks: dict[str, float] = {}

    def peak(name: str, fn) -> float:
        """Peak memory of one untimed run (measured once per function)."""
        if name not in peaks:
            peaks[name] = peak_mib(fn)
        return peaks[name]

    def row(what: str, ref_name: str, t_ref: float, ref_fn, ours_name: str, t_o: float, ours_fn) -> None:
        rows.append((what, ref_name, t_ref, peak(ref_name + what.split(":")[0], ref_fn), ours_name, t_o,
                     peak(ours_name + what, ours_fn)))

    rng = np.random.default_rng(20240601)
    gold = make_gold(50_000, 20, rng)
    pred_a = corrupt(gold, 0.15, rng)
    pred_b = corrupt(gold, 0.12, rng)
    n_tok = sum(map(len, gold))
    print(f"synthetic: {len(gold)} sentences, {n_tok} tokens; 15% of prediction tokens corrupted", file=sys.stderr)

    seq_default = lambda: seqeval_report(gold, pred_a)  # noqa: E731
    t_seq, ref = median_of(seq_default, args.repeat)
    t_ours, ours = median_of(lambda: ner_report(ner_counts(gold, pred_a)), args.repeat)
    check_equal(ours, ref)
    row("1M tokens: full report (default mode)", "seqeval classification_report", t_seq, seq_default,
        "ner_counts + ner_report", t_ours, lambda: ner_report(ner_counts(gold, pred_a)))
    if args.strict:
        seq_strict = lambda: seqeval_report(gold, pred_a, strict=True)  # noqa: E731
        ours_strict = lambda: ner_report(ner_counts(gold, pred_a, mode="strict", scheme="IOB2"))  # noqa: E731
        t_seq_s, ref_s = median_of(seq_strict, args.repeat)
        t_ours_s, ours_s = median_of(ours_strict, args.repeat)
        check_equal(ours_s, ref_s)
        row("1M tokens (strict): full report (strict IOB2)", "seqeval classification_report", t_seq_s, seq_strict,
            "ner_counts + ner_report", t_ours_s, ours_strict)
    ca, cb = ner_counts(gold, pred_a), ner_counts(gold, pred_b)
    boot = lambda: compare_counts(ca, cb, resamples=args.resamples, randomization=False)  # noqa: E731
    both = lambda: compare_counts(ca, cb, resamples=args.resamples)  # noqa: E731
    t_boot, res = median_of(boot, args.repeat)
    row(f"1M tokens: {args.resamples:,}-resample paired bootstrap", "seqeval classification_report", t_seq,
        seq_default, "compare_counts (bootstrap only)", t_boot, boot)
    t_both, _ = median_of(both, args.repeat)
    row("1M tokens: bootstrap + randomization", "seqeval classification_report", t_seq, seq_default,
        "compare_counts", t_both, both)

    shared = Path(os.environ.get("EVALUATOR_SHARED_DATA", REPO.parent / "shared" / "data"))
    testb = shared / "conll2003" / "eng.testb"
    if testb.is_file():
        g = read_conll_tags(testb)
        a, b = corrupt(g, 0.15, rng), corrupt(g, 0.10, rng)
        two = lambda: (seqeval_report(g, a), seqeval_report(g, b))  # noqa: E731
        t_two, (ra, rb) = median_of(two, args.repeat)

        def ours_compare(randomization: bool):
            x, y = ner_counts(g, a), ner_counts(g, b)
            return compare_counts(x, y, resamples=args.resamples, randomization=randomization), x, y

        t_cmp, (res, x, y) = median_of(lambda: ours_compare(False), args.repeat)
        check_equal(ner_report(x), ra)
        check_equal(ner_report(y), rb)
        row(f"eng.testb ({sum(map(len, g))} tokens): {args.resamples:,}-resample paired bootstrap",
            "2 x seqeval classification_report", t_two, two, "score both + bootstrap", t_cmp,
            lambda: ours_compare(False))
        t_cmp2, _ = median_of(lambda: ours_compare(True), args.repeat)
        row("eng.testb: bootstrap + randomization", "2 x seqeval classification_report", t_two, two,
            "score both + bootstrap + randomization", t_cmp2, lambda: ours_compare(True))
        print(f"testb: delta micro F1 {res['delta']:+.4f}, 95% interval "
              f"[{res['ci95'][0]:+.4f}, {res['ci95'][1]:+.4f}], p_bootstrap {res['p_bootstrap']:.4g}",
              file=sys.stderr)
    else:
        print(f"(skipping eng.testb: {testb} not found)", file=sys.stderr)

    print("all figures identical to seqeval: yes", file=sys.stderr)
    print()
    print("| kernel workload (in memory, one process) | reference | reference s | reference peak MiB | ours | our s | "
          "our peak MiB | speed-up |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    for what, ref_name, t_ref, p_ref, ours_name, t_o, p_o in rows:
        print(f"| {what} | {ref_name} | {t_ref:.2f} | {p_ref:.0f} | {ours_name} | {t_o:.2f} | {p_o:.0f} | "
              f"{t_ref / t_o:.1f}x |")
    print()
    print(f"numpy {np.__version__}, {os.cpu_count()} CPU(s); wall seconds, median of {args.repeat} runs on each "
          "side; peak = traced allocations of one more run (the 1M-token rows share seqeval's input lists).")

if __name__ == "__main__":
    main()
