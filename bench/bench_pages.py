"""Benchmark: the first visit of every page on a large workspace (server side, with Streamlit's AppTest).

Run:  .venv/bin/python bench/bench_pages.py  [--examples 100000] [--gold 2000] [--keep DIR] [--runs 3]

Workspace (built once, seeded, kept with ``--keep``): an NER workspace with ``--examples`` examples in total:
a frozen gold set of ``--gold`` examples, three annotation rounds and an unlabeled pool, and two models
registered from prediction files on the gold set (as ``evaluator model add`` does), evaluated and compared once
(the stored results a user has after the first evaluation).

Each page is opened as a user opens it: a new session (``AppTest`` of ``app.py`` started on that page) with every
Streamlit cache cleared; the time of that run (app.py's sidebar and the page) is its first visit. Python modules
are imported once before (every page shown once on a small demo workspace), as a running server has them. ``--runs`` repeats this and
the median is shown. Goal: every page under 2 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import ner_rows, perturbed, write_jsonl  # noqa: E402
from _proc import REPO, machine  # noqa: E402

sys.path.insert(0, str(REPO))
#: every page of app.py's menu, in its order
PAGES = ["pages/home.py", "pages/data.py", "pages/gold.py", "pages/label.py", "pages/train.py", "pages/evaluate.py",
         "pages/report.py", "pages/ab.py"]


def build(folder: Path, examples: int, gold: int) -> Path:
    from evaluator import gold as gold_sets
    from evaluator.importer import import_file
    from evaluator.workspace import init_workspace

    path = folder / "ws"
    if (path / "workspace.db").exists():
        return path
    ws = init_workspace(path, task="ner", labels=["PERSON", "ORG", "LOCATION", "PRODUCT"])
    rest = examples - gold
    sizes = {"round:1": rest * 2 // 10, "round:2": rest * 3 // 10, "round:3": rest * 3 // 10}
    sizes["pool"] = rest - sum(sizes.values())
    t0 = time.perf_counter()
    gold_rows = list(ner_rows(gold, seed=1, start=0))
    import_file(ws, write_jsonl(folder / "gold.jsonl", gold_rows), into="gold:test")
    gold_sets.freeze(ws, "test")
    start = gold
    for k, (target, n) in enumerate(sizes.items(), 2):
        rows = ner_rows(n, seed=k, start=start)
        if target == "pool":
            rows = ({"text": r["text"], "tokens": r["tokens"]} for r in rows)
        import_file(ws, write_jsonl(folder / f"{target.replace(':', '')}.jsonl", rows), into=target)
        start += n
    print(f"  imported {examples:,} examples in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    _models(ws, folder, gold_rows)
    return path


def _models(ws, folder: Path, gold_rows: list[dict]) -> None:
    from evaluator.models import add_model
    from evaluator.scoring.compare import compare_models
    from evaluator.scoring.evaluate import evaluate_models

    for name, rate, seed in (("model-a", 0.3, 11), ("model-b", 0.15, 12)):
        add_model(ws, write_jsonl(folder / f"{name}.jsonl", perturbed(gold_rows, rate=rate, seed=seed)), name=name,
                  format="prodigy-jsonl")
    t0 = time.perf_counter()
    evaluate_models(ws, "test")
    compare_models(ws, "test", "model-a", "model-b")
    print(f"  evaluated and compared the two models in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def _count_script_cpu() -> None:
    """Record the CPU seconds of each script run (the run happens in AppTest's script thread)."""
    from streamlit.runtime.scriptrunner import script_runner

    run = script_runner.ScriptRunner._run_script
    if getattr(run, "_timed", False):
        return

    def timed(self, rerun_data):
        t0 = time.thread_time()
        try:
            return run(self, rerun_data)
        finally:
            _CPU.append(time.thread_time() - t0)

    timed._timed = True
    script_runner.ScriptRunner._run_script = timed


_CPU: list[float] = []


def first_visit(ws_path: Path, page: str) -> tuple[float, float, list[str]]:
    """Wall and CPU seconds of the first run of ``page`` (app.py's sidebar included) in a new session with every
    cache empty; the page's errors."""
    import os

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["EVALUATOR_WORKSPACE"] = str(ws_path)
    from ui import cache

    cache.clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=600)
    # a server scans the installed packages for custom components once, at start; AppTest does it for every
    # new AppTest (about a second): share one scan, as a server does
    global _COMPONENTS
    if _COMPONENTS is not None:
        at._bidi_component_manager = _COMPONENTS
    at.switch_page(page)
    _count_script_cpu()
    _CPU.clear()
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    _COMPONENTS = at._bidi_component_manager
    problems = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
    return seconds, sum(_CPU), problems


_COMPONENTS = None


def warm_up(folder: Path) -> float:
    """Import what the pages import (a server does this once, at its first page view) on a tiny workspace."""
    from evaluator.demo import build_demo

    path = folder / "warm-up"
    if not (path / "workspace.db").exists():
        build_demo(path)
    t0 = time.perf_counter()
    for page in PAGES:
        first_visit(path, page)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=100_000)
    ap.add_argument("--gold", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="build the workspace in this folder and keep it")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))  # `import ui` as under `streamlit run app.py`
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"workspace with {args.examples:,} examples in {folder} ...", file=sys.stderr)
        ws_path = build(folder, args.examples, args.gold)
        warm = warm_up(folder)
        print(f"  warm-up (imports, demo workspace, every page once): {warm:.1f} s", file=sys.stderr)
        rows = []
        for page in PAGES:
            walls, cpus, problems = [], [], []
            for _ in range(args.runs):
                wall, cpu, problems = first_visit(ws_path, page)
                walls.append(wall)
                cpus.append(cpu)
            print(f"  {page}: wall {', '.join(f'{t:.2f}' for t in walls)} s, CPU {', '.join(f'{t:.2f}' for t in cpus)}"
                  f" s" + (f"; PROBLEMS: {problems}" if problems else ""), file=sys.stderr)
            rows.append((f"`{page}`", statistics.median(walls), statistics.median(cpus), problems))
    print()
    print(f"| page (first visit; {args.examples:,} examples, {args.gold:,} gold, 2 models) | wall s | CPU s | "
          f"under 2 s |")
    print("|---|---:|---:|---|")
    for page, wall, cpu, problems in rows:
        print(f"| {page} | {wall:.2f} | {cpu:.2f} | {'yes' if wall < 2 else '**no**'}"
              f"{' (errors!)' if problems else ''} |")
    print()
    print(f"Server side (AppTest), median of {args.runs} first visits with empty caches; CPU = the script thread's; "
          f"{machine()}, load average {os.getloadavg()[0]:.1f} at the end.")


if __name__ == "__main__":
    main()
