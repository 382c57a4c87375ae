"""Benchmark: training rounds on the Prodigy drugs data, and our training overhead against bare ``spacy train``.

Run:  .venv/bin/python bench/bench_training.py  [--repeat N] [--skip-rounds] [--skip-overhead]

1. **Rounds** (the README table). Workspace: gold = ``drugs_eval.jsonl`` (500 examples, frozen); rounds = the
   first 50, next 100 and next 250 examples of ``drugs_training.jsonl`` (cumulative: 50, 150, 400). Each round is
   trained with the default settings of ``spacy-ner`` and ``crf-ner`` (seed 0) through the model registry and
   scored on the gold set: micro F1 with its 95% bootstrap interval (10,000 resamples), training seconds.
2. **Overhead**. Round 3 (400 examples) trained by ``evaluator train --round 3`` (a subprocess: start-up, reading
   the workspace, training, saving, hashing, registering) against ``python -m spacy train`` (a subprocess) on the
   *same* config and ``.spacy`` files, exported with :meth:`SpacyTrainer.export`. Runs alternate, N of each;
   the ratio of the medians is printed (target <= 1.2x). Both runs must reach the same best dev score (same
   config, same seed, same data), which is checked and printed.

Needs ../shared/data (the real datasets). Takes several minutes on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

DATA = Path(os.environ.get("EVALUATOR_SHARED_DATA", REPO.parent / "shared" / "data"))
CHUNKS = ((0, 50), (50, 150), (150, 400))


def build_workspace(root: Path):
    from evaluator import gold
    from evaluator.importer import import_file
    from evaluator.workspace import init_workspace

    src = DATA / "prodigy-drugs"
    ws = init_workspace(root / "ws", task="ner", labels=["DRUG"])
    import_file(ws, src / "drugs_eval.jsonl", into="gold:drugs")
    gold.freeze(ws, "drugs")
    lines = (src / "drugs_training.jsonl").read_text(encoding="utf-8").splitlines()
    for k, (a, b) in enumerate(CHUNKS, 1):
        path = root / f"round{k}.jsonl"
        path.write_text("\n".join(lines[a:b]) + "\n", encoding="utf-8")
        import_file(ws, path, into=f"round:{k}")
    return ws


def rounds_table(ws) -> list[str]:
    from evaluator.training import registry as R

    rows = []
    for trainer in ("spacy-ner", "crf-ner"):
        for k in (1, 2, 3):
            m = R.train_round(ws, k, trainer=trainer)
            ev = R.evaluate_models(ws, "drugs", models=[m["name"]])[0]
            lo, hi = ev["ci95"]["micro_f1"]
            rows.append((k, m["counts"]["examples"], trainer, ev["micro"]["precision"], ev["micro"]["recall"],
                         ev["micro"]["f1"], lo, hi, m["seconds"], m["config"].get("steps")))
            print(f"  trained {m['name']}: F1 {ev['micro']['f1']:.3f} in {m['seconds']:.1f}s", file=sys.stderr)
    out = ["| round | examples | trainer | precision | recall | F1 (95% CI) | train seconds | steps |",
           "|---:|---:|---|---:|---:|---|---:|---:|"]
    for k, n, tr, p, r, f, lo, hi, sec, steps in rows:
        out.append(f"| {k} | {n} | {tr} | {p:.3f} | {r:.3f} | {f:.3f} ({lo:.3f}-{hi:.3f}) | {sec:.1f} | {steps} |")
    return out


def _run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return secs


def overhead_table(ws, root: Path, repeat: int) -> list[str]:
    from evaluator.store import training_records
    from evaluator.training import get_trainer, registry as R

    tr = get_trainer("spacy-ner")
    records = training_records(ws, round=3)
    exported = tr.export(records, labels=ws.labels, lang=ws.lang, seed=0, out_dir=root / "bare")
    ours, bare = [], []
    our_scores, bare_scores = set(), set()
    for i in range(repeat):
        out = root / "bare" / f"output{i}"
        bare.append(_run([sys.executable, "-m", "spacy", "train", exported["config"], "--output", str(out)]))
        meta = json.loads((out / "model-best" / "meta.json").read_text())
        bare_scores.add(round(meta["performance"]["ents_f"], 6))
        shutil.rmtree(out, ignore_errors=True)
        name = f"bench-r3-{i}"
        ours.append(_run([sys.executable, "-m", "evaluator", "train", "--round", "3", "--trainer", "spacy-ner",
                          "--name", name, "--workspace", str(ws.path), "--json"]))
        our_scores.add(round(R.get_model(ws, name)["config"]["dev_score"], 6))
        R.delete_model(ws, name)
        print(f"  run {i + 1}/{repeat}: spacy train {bare[-1]:.1f}s, evaluator train {ours[-1]:.1f}s",
              file=sys.stderr)
    mo, mb = statistics.median(ours), statistics.median(bare)
    same = "yes" if our_scores == bare_scores and len(our_scores) == 1 else f"no ({our_scores} vs {bare_scores})"
    return [
        "| round 3 (400 examples), same config and data | median seconds | runs |",
        "|---|---:|---|",
        f"| `python -m spacy train` | {mb:.1f} | {', '.join(f'{x:.1f}' for x in bare)} |",
        f"| `evaluator train --round 3` | {mo:.1f} | {', '.join(f'{x:.1f}' for x in ours)} |",
        f"| **ratio** (target <= 1.2x) | **{mo / mb:.2f}x** | same best dev score: {same} |",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command in the overhead comparison")
    ap.add_argument("--skip-rounds", action="store_true")
    ap.add_argument("--skip-overhead", action="store_true")
    args = ap.parse_args()
    if not (DATA / "prodigy-drugs").is_dir():
        raise SystemExit(f"real data not found at {DATA}")
    import platform

    import spacy

    print(f"# bench_training: spaCy {spacy.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU(s)\n")
    root = Path(tempfile.mkdtemp(prefix="bench-training-"))
    try:
        ws = build_workspace(root)
        if not args.skip_rounds:
            print("## Rounds on the Prodigy drugs data (gold: drugs_eval.jsonl, 500 examples, 362 DRUG spans)\n")
            print("\n".join(rounds_table(ws)) + "\n", flush=True)
        if not args.skip_overhead:
            print("## Our training vs bare `spacy train`\n")
            print("\n".join(overhead_table(ws, root, args.repeat)) + "\n", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
