"""Benchmark: blind A/B sessions on a large pool, and the statistics' figures from simulated annotators.

Run:  .venv/bin/python bench/bench_ab.py  [--pool 100000] [--judgments 300] [--skip-reference]

1. **Serving.** The NER demo workspace with CRF models of rounds 1 and 3 and a pool of ``--pool`` unlabeled
   sentences (the demo pool's sentences with numbers varied, all distinct). A session is started on the pool and
   one annotator judges ``--judgments`` items: the server-side time of every ``next_item`` call (which includes
   preparing items in batches of 32: predicting just those examples with both models, comparing, storing sides)
   and of every ``judge`` call is measured in this process, twice: as the CLI serves (a batch is prepared in the
   call that needs it) and as the app serves (``prefetch=True``: the next batch is prepared in a background
   thread while the annotator reads, ``--think`` seconds). Goal: next item < 150 ms.
   *Reference*, in the same process: what serving the first item would cost if the session predicted its whole
   source first (the registry's ``predict`` over the pool for both models, as before ``example_ids``); the ratio
   to our first item is printed.
2. **Statistics.** Simulated sessions (:func:`evaluator.stats.preference.simulate_sessions`): judgments until the
   always-valid sequential test decides at a true win rate of 0.78 (median and 90th percentile over 2,000
   sessions), and the false "decided" rate for two identical systems when looking after every judgment (2,000
   sessions of 500 judgments), against a fixed-sample sign test looked at after every judgment.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def pool_file(path: Path, n: int) -> Path:
    """``n`` distinct sentences made from the demo pool by varying numbers and appending a serial."""
    base = [json.loads(line)["text"] for line in (REPO / "data" / "demo" / "ner_pool.jsonl").read_text().splitlines()]
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            text = re.sub(r"\d+", lambda m: str(int(m.group()) + i % 97), base[i % len(base)])
            f.write(json.dumps({"text": f"{text} Item {i}."}) + "\n")
    return path


def ms(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[int(0.95 * (len(xs) - 1))]
    return f"median {1000 * statistics.median(xs):.1f} ms, p95 {1000 * p95:.1f} ms, max {1000 * xs[-1]:.1f} ms"


def serving(pool: int, judgments: int, reference: bool, think: float) -> None:
    from evaluator import ab
    from evaluator.demo import build_demo
    from evaluator.importer import import_file
    from evaluator.models import train_round
    from evaluator.predictions import predict
    from evaluator.workspace import open_workspace

    root = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    build_demo(root / "ws")
    ws = open_workspace(root / "ws")
    for k in (1, 3):
        train_round(ws, k, trainer="crf-ner")
    t = time.perf_counter()
    import_file(ws, pool_file(root / "pool.jsonl", pool - 150), into="pool")
    print(f"pool: {pool:,} examples (import {time.perf_counter() - t:.1f} s); models round-1-crf-ner, round-3-crf-ner")

    firsts = []
    for prefetch in (False, True):
        t = time.perf_counter()
        sid = ab.start_session(ws, ["round-1-crf-ner", "round-3-crf-ner"], source="pool",
                               seed=int(prefetch))["session_id"]
        started = time.perf_counter() - t
        nexts, judges = [], []
        for k in range(judgments):
            t = time.perf_counter()
            item = ab.next_item(ws, sid, "bench", prefetch=prefetch)
            nexts.append(time.perf_counter() - t)
            if prefetch:
                time.sleep(think)  # the annotator reads the item; the next batch is prepared meanwhile
            t = time.perf_counter()
            ab.judge(ws, sid, item["item_id"], "bench", ("left", "right", "tie")[k % 3])
            judges.append(time.perf_counter() - t)
        firsts.append(nexts[0])
        res = ab.results(ws, sid)
        how = (f"app (prefetch in the background, {1000 * think:.0f} ms to read each item)" if prefetch
               else "CLI (each batch prepared in the call that needs it)")
        print(f"{how}: start_session {started:.2f} s; next_item over {judgments} judgments: {ms(nexts)}; first item "
              f"{1000 * nexts[0]:.0f} ms; judge: {ms(judges)}; {res['items']['skipped_identical']} items skipped "
              "as identical so far")
        p95 = sorted(nexts)[int(0.95 * (len(nexts) - 1))]
        print(f"  goal next item < 150 ms (median and p95): {'met' if max(statistics.median(nexts), p95) < 0.15 else 'MISSED'}")
    first = firsts[0]
    t = time.perf_counter()
    ab.results(ws, sid)
    print(f"results (2 systems, {judgments} judgments): {1000 * (time.perf_counter() - t):.0f} ms")
    if reference:
        t = time.perf_counter()
        for name in ("round-1-crf-ner", "round-3-crf-ner"):
            predict(ws, name, "pool")
        ref = time.perf_counter() - t
        print(f"reference: predict the whole pool with both models before the first item: {ref:.1f} s "
              f"-> {ref / first:.0f}x our first item")


def statistics_figures() -> None:
    from evaluator.stats import preference as pref

    r = pref.simulate_sessions(0.78, sessions=2000, max_judgments=100, seed=1)
    print(f"win rate 0.78, no ties: decided within 100 judgments in {r['decided']:.1%} of 2,000 sessions; "
          f"median {r['median_judgments']:.0f} judgments, 90th percentile {r['p90_judgments']:.0f}")
    r = pref.simulate_sessions(0.78, sessions=2000, max_judgments=100, tie_rate=0.2, seed=1)
    print(f"win rate 0.78, 20% ties: decided in {r['decided']:.1%}; median {r['median_judgments']:.0f} judgments, "
          f"90th percentile {r['p90_judgments']:.0f}")
    r = pref.simulate_sessions(0.5, sessions=2000, max_judgments=500, seed=2)
    naive = pref.naive_peeking_false_rate(sessions=2000, max_judgments=500, seed=2)
    print(f"identical systems, a look after every judgment (2,000 sessions of 500): sequential test decided in "
          f"{r['decided']:.1%} (alpha 5%); a fixed-sample sign test at p < 0.05 would have in {naive:.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pool", type=int, default=100_000, help="pool size (examples)")
    ap.add_argument("--judgments", type=int, default=300, help="judgments to time")
    ap.add_argument("--think", type=float, default=0.2, help="seconds an annotator reads an item (app mode)")
    ap.add_argument("--skip-reference", action="store_true", help="do not predict the whole pool afterwards")
    ap.add_argument("--skip-serving", action="store_true", help="only the simulation figures")
    args = ap.parse_args()
    if not args.skip_serving:
        serving(args.pool, args.judgments, not args.skip_reference, args.think)
    statistics_figures()


if __name__ == "__main__":
    main()
