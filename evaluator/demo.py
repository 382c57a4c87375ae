"""The demo workspaces: data written for this project (``data/demo/``) loaded into a workspace, idempotently.

``build_demo(path)`` makes an NER workspace (PERSON, ORG, LOCATION, PRODUCT) with a frozen gold set
``gold:demo-test`` (80 sentences), three annotation rounds (20, 50 and 80 sentences: 20/70/150 cumulative) and a
pool of 150 unlabeled sentences. ``build_demo(path, task="textcat")`` makes a news-category workspace
(business, politics, sport, tech) with a 100-text gold set, rounds of 20/50/80 and a pool of 150 unlabeled texts.

Calling it again adds nothing: rounds and the pool are de-duplicated by file hash by the importer, and the gold
set is imported only when it does not exist yet.

>>> build_demo(tmp_path / "ws")["added"]        # doctest: +SKIP
380
>>> build_demo(tmp_path / "ws")["added"]        # doctest: +SKIP
0
"""
from __future__ import annotations

from pathlib import Path

from evaluator.errors import ConfigError
from evaluator.progress import Progress, report as report_progress
from evaluator.workspace import REPO_ROOT, default_workspace_path

DEMO_DIR = REPO_ROOT / "data" / "demo"
GOLD_NAME = "demo-test"

#: what each demo workspace holds: label set, gold file, round files (round 1, 2, 3) and an optional pool
DEMOS: dict[str, dict] = {
    "ner": {
        "labels": ["LOCATION", "ORG", "PERSON", "PRODUCT"],
        "format": "prodigy-jsonl",
        "gold": "ner_gold.jsonl",
        "rounds": ["ner_round1.jsonl", "ner_round2.jsonl", "ner_round3.jsonl"],
        "pool": "ner_pool.jsonl",
    },
    "textcat": {
        "labels": ["business", "politics", "sport", "tech"],
        "format": "csv",
        "gold": "news_gold.csv",
        "rounds": ["news_round1.csv", "news_round2.csv", "news_round3.csv"],
        "pool": "news_pool.csv",
    },
}


def default_demo_path(task: str = "ner") -> Path:
    """Where ``evaluator demo`` builds a workspace when no ``--workspace`` is given.

    NER: the default workspace; textcat: a sibling folder ``<default>-news``.
    """
    base = default_workspace_path()
    return base if task == "ner" else base.with_name(base.name + "-news")


def demo_files(task: str = "ner", *, data_dir: str | Path | None = None) -> dict:
    """Paths of the demo files of ``task`` (``gold``, ``rounds``, ``pool``), checking that they exist."""
    if task not in DEMOS:
        raise ConfigError(f"No demo for task {task!r}.", hint=f"use one of: {', '.join(DEMOS)}")
    spec = DEMOS[task]
    root = Path(data_dir) if data_dir else DEMO_DIR
    files = {"gold": root / spec["gold"], "rounds": [root / f for f in spec["rounds"]],
             "pool": root / spec["pool"] if spec["pool"] else None}
    missing = [p for p in [files["gold"], *files["rounds"], files["pool"]] if p is not None and not p.exists()]
    if missing:
        raise ConfigError(f"Demo data missing: {', '.join(str(p) for p in missing)}.",
                          hint="run from a checkout of the repository (data/demo/), or regenerate it with "
                               "`python data/demo/make_demo.py`")
    return files


def build_demo(path: str | Path | None = None, *, task: str = "ner", db_url: str | None = None,
               data_dir: str | Path | None = None,
               progress: Progress | None = None) -> dict:
    """Create (or complete) the demo workspace at ``path``; returns what was imported.

    The result has ``workspace``, ``task``, ``gold`` (the gold set name), ``steps`` (one entry per file:
    ``file``, ``target``, ``examples`` added, ``skipped`` with the reason) and ``added`` (examples added in total;
    0 when the workspace was complete already).
    """
    from evaluator.gold import freeze, list_gold
    from evaluator.importer import import_file
    from evaluator.workspace import init_workspace

    files = demo_files(task, data_dir=data_dir)
    spec = DEMOS[task]
    path = Path(path) if path else default_demo_path(task)
    ws = init_workspace(path, task=task, labels=spec["labels"], db_url=db_url)
    plan: list[tuple[Path, str]] = [(files["gold"], f"gold:{GOLD_NAME}")]
    plan += [(f, f"round:{k}") for k, f in enumerate(files["rounds"], 1)]
    if files["pool"] is not None:
        plan.append((files["pool"], "pool"))

    steps: list[dict] = []
    gold_exists = any(g["name"] == GOLD_NAME for g in list_gold(ws))
    for i, (file, target) in enumerate(plan):
        report_progress(progress, i, len(plan), f"importing {file.name} into {target}")
        if target.startswith("gold:") and gold_exists:
            steps.append({"file": file.name, "target": target, "examples": 0,
                          "skipped": f"{target} exists already"})
            continue
        report = import_file(ws, file, into=target, format=spec["format"])
        step = {"file": file.name, "target": target, "examples": report.get("examples", 0)}
        if report.get("already_imported"):
            step["skipped"] = "already imported"
        steps.append(step)
    frozen = freeze(ws, GOLD_NAME)  # no-op when frozen already; returns the hash either way
    report_progress(progress, len(plan), len(plan), "demo workspace ready")
    return {"workspace": str(ws.path), "task": task, "labels": ws.labels, "gold": GOLD_NAME,
            "gold_hash": frozen["content_hash"], "steps": steps, "added": sum(s["examples"] for s in steps)}
