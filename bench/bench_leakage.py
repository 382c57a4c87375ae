"""Leakage report at scale: `evaluator gold leakage` as a process on 10k gold x 25k/50k/100k round texts.

Prints, per size, the wall time, CPU time and peak memory of the command (median of --runs runs), the
time per 1,000 round texts (linear growth keeps it flat), and the near-duplicates found. The reference is the
previous all-pairs search (character 3-gram count vectors, gold x others sparse product, as `leakage_report` did
before MinHash), run in this process on a size it can handle; both run on the same texts there, and the script
checks that our similarities equal the reference's and prints the share of its pairs we find.

    .venv/bin/python bench/bench_leakage.py                 # 10k gold x 25k, 50k, 100k
    .venv/bin/python bench/bench_leakage.py --sizes 100000 --runs 3
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evaluator import db  # noqa: E402
from evaluator.records import guard_keys, normalize_text  # noqa: E402
from evaluator.workspace import init_workspace  # noqa: E402

THRESHOLD = 0.9


def corpus(n_gold: int, n_round: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """News-like sentences from a Zipf vocabulary; 1% of the round are gold sentences with 0-2 words changed."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(20_000)]
    weights = [1 / (k + 1) for k in range(len(vocab))]

    def sentence() -> str:
        words = rng.choices(vocab, weights, k=rng.randint(8, 30))
        words[0] = words[0].capitalize()
        return " ".join(words) + " ."

    gold = [sentence() for _ in range(n_gold)]
    other = [sentence() for _ in range(n_round)]
    for k in range(0, n_round, 100):
        words = gold[rng.randrange(n_gold)].split()
        for _ in range(rng.randint(1, 2)):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        other[k] = " ".join(words)
    return gold, other


def build_workspace(path: Path, gold: list[str], other: list[str]) -> None:
    ws = init_workspace(path, task="textcat", labels=["x"])
    with ws.engine.begin() as conn:
        ids = {}
        for kind, name in (("gold", "test"), ("round", "1")):
            ids[kind] = conn.execute(db.collections.insert().values(kind=kind, name=name, version=1,
                                                                    created_at=db.utcnow())).inserted_primary_key[0]
        for kind, texts in (("gold", gold), ("round", other)):
            rows = []
            for i, t in enumerate(texts):
                h, loose = guard_keys(t)
                rows.append({"collection_id": ids[kind], "position": i, "text": t, "input_hash": h, "loose_hash": loose,
                             "created_at": "2024-01-01T00:00:00+00:00"})
            conn.execute(db.examples.insert(), rows)


#: a small launcher: forked from this (large) process, it starts the command and reports the command's own
#: resource use (a child forked straight from here would count this process's memory as its peak)
_LAUNCH = ("import json, resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
           "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(json.dumps({'maxrss': u.ru_maxrss, 'cpu': u.ru_utime + u.ru_stime}), file=sys.stderr); "
           "sys.exit(r.returncode)")


def run_once(path: Path) -> dict:
    """`evaluator gold leakage --json` as a process: wall and CPU seconds, peak RSS (MiB) and its report."""
    cmd = [sys.executable, "-m", "evaluator", "gold", "leakage", "--threshold", str(THRESHOLD), "--json",
           "--workspace", str(path)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-c", _LAUNCH, *cmd], stdout=out, stderr=err, cwd=REPO)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        lines = err.read().decode().strip().splitlines()
        if code != 0:
            raise SystemExit(f"evaluator gold leakage failed: {lines[-5:]}")
        usage = json.loads(lines[-1])
        report = json.loads(out.read())
    return {"wall": wall, "cpu": usage["cpu"], "peak": usage["maxrss"] / 1024, "report": report}


def reference_all_pairs(gold: list[str], other: list[str], threshold: float) -> dict[tuple[int, int], float]:
    """The previous search: binary character 3-gram vectors, gold x others in blocks of 2,000 gold rows."""
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(analyzer="char", ngram_range=(3, 3), binary=True, lowercase=False,
                          preprocessor=normalize_text, dtype=np.int32)
    vec.fit(gold + other)
    G, O = vec.transform(gold), vec.transform(other)
    gs, os_ = np.asarray(G.sum(axis=1)).ravel(), np.asarray(O.sum(axis=1)).ravel()
    out = {}
    for k in range(0, G.shape[0], 2000):
        inter = (G[k:k + 2000] @ O.T).tocoo()
        union = gs[k + inter.row] + os_[inter.col] - inter.data
        jac = inter.data / np.maximum(union, 1)
        for i, j, s in zip(inter.row[jac >= threshold], inter.col[jac >= threshold], jac[jac >= threshold]):
            out[(k + int(i), int(j))] = float(s)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=int, default=10_000)
    ap.add_argument("--sizes", default="25000,50000,100000", help="round sizes")
    ap.add_argument("--runs", type=int, default=1, help="runs per size (median)")
    ap.add_argument("--reference", default="2000,20000", help="gold,round size for the all-pairs reference")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    from evaluator.neardup import near_duplicates

    # the reference and ours on the same texts, in this process
    rg, ro = (int(x) for x in args.reference.split(","))
    gold, other = corpus(rg, ro)
    t = time.process_time()
    ref = reference_all_pairs(gold, other, THRESHOLD)
    ref_cpu = time.process_time() - t
    t = time.process_time()
    ours = {(p.left, p.right): p.similarity for p in near_duplicates(gold, other, threshold=THRESHOLD, exact_pairs=0)}
    our_cpu = time.process_time() - t
    assert all(abs(ours[k] - ref[k]) < 1e-12 for k in ours.keys() & ref.keys()), "similarities differ"
    assert ours.keys() <= ref.keys(), "a pair the reference does not have"
    print(f"reference (all pairs, in process) {rg:,} gold x {ro:,} round: {ref_cpu:.2f} s CPU, {len(ref)} pairs; "
          f"ours (MinHash LSH): {our_cpu:.2f} s CPU, found {len(ours)}/{len(ref)} "
          f"({100 * len(ours) / max(len(ref), 1):.1f}%), same similarities; speed-up {ref_cpu / our_cpu:.1f}x")
    print()
    print(f"| gold | round | wall s | CPU s | peak MiB | CPU s per 1k round texts | exact | near-duplicates |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-leakage-") as tmp:
        gold, other_all = corpus(args.gold, max(sizes))
        for n in sizes:
            path = Path(tmp) / f"ws-{n}"
            build_workspace(path, gold, other_all[:n])
            runs = [run_once(path) for _ in range(args.runs)]
            wall = statistics.median(r["wall"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            peak = max(r["peak"] for r in runs)
            rep = runs[0]["report"]
            print(f"| {args.gold:,} | {n:,} | {wall:.1f} | {cpu:.1f} | {peak:,.0f} | {1000 * cpu / n:.3f} | "
                  f"{rep['exact_overlaps']} | {rep['near_duplicates']} |", flush=True)
    print()
    print(f"threshold {THRESHOLD}; search: {json.dumps(rep['search'])}; machine: {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
