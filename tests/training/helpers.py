"""Builders for training tests: real-data workspaces (Prodigy drugs, AG News) split into rounds and a gold set.

Round files are slices of the shared data written to the test's temporary folder (never into the repository).
"""
from __future__ import annotations

from pathlib import Path

from evaluator.formats import ReadOptions

#: cumulative rounds of the drugs data: the first 50, 150 and 400 examples (disjoint chunks)
DRUGS_CHUNKS = ((0, 50), (50, 150), (150, 400))
#: AG News test.csv: the first 600 rows are gold, then rounds of 50, 150 and 550 rows (cumulative 50/200/750)
AG_GOLD = 600
AG_CHUNKS = ((600, 650), (650, 800), (800, 1350))
AG_LABELS = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}
#: spaCy settings for tests that only need *a* model (reproducibility, registry mechanics), not a good one
TINY_SPACY = {"training.max_steps": 60, "training.eval_frequency": 20, "training.patience": 60}
#: the drugs round-1-vs-round-3 check: the same (shorter than default) schedule for both rounds, to fit CI
CI_SPACY = {"training.max_epochs": 15, "training.patience": 200}
#: a cheaper CRF for tests that train many (learning curves)
FAST_CRF = {"max_iterations": 50}
#: enough steps for a model that finds some entities (for tests that compare predictions)
SMALL_SPACY = {"training.max_steps": 200, "training.eval_frequency": 50, "training.patience": 200}


def ag_options() -> ReadOptions:
    return ReadOptions(has_header=False, text_column="1,2", label_column="0", label_map=dict(AG_LABELS))


def write_slice(lines: list[str], a: int, b: int, path: Path) -> Path:
    path.write_text("\n".join(lines[a:b]) + "\n", encoding="utf-8")
    return path


def drugs_workspace(root: Path, shared_data: Path, *, rounds=DRUGS_CHUNKS, freeze: bool = True):
    """NER workspace: gold ``drugs`` = drugs_eval.jsonl (frozen), rounds from drugs_training.jsonl."""
    from evaluator import gold
    from evaluator.importer import import_file
    from evaluator.workspace import init_workspace

    src = shared_data / "prodigy-drugs"
    ws = init_workspace(root / "ws", task="ner", labels=["DRUG"])
    import_file(ws, src / "drugs_eval.jsonl", into="gold:drugs")
    if freeze:
        gold.freeze(ws, "drugs")
    lines = (src / "drugs_training.jsonl").read_text(encoding="utf-8").splitlines()
    for k, (a, b) in enumerate(rounds, 1):
        import_file(ws, write_slice(lines, a, b, root / f"round{k}.jsonl"), into=f"round:{k}")
    return ws


def ag_workspace(root: Path, shared_data: Path):
    """Text-classification workspace from AG News test.csv: gold ``news`` + three rounds."""
    from evaluator import gold
    from evaluator.importer import import_file
    from evaluator.workspace import init_workspace

    lines = (shared_data / "ag-news" / "test.csv").read_text(encoding="utf-8").splitlines()
    ws = init_workspace(root / "ws", task="textcat", labels=list(AG_LABELS.values()))
    import_file(ws, write_slice(lines, 0, AG_GOLD, root / "gold.csv"), into="gold:news", options=ag_options())
    gold.freeze(ws, "news")
    for k, (a, b) in enumerate(AG_CHUNKS, 1):
        import_file(ws, write_slice(lines, a, b, root / f"round{k}.csv"), into=f"round:{k}", options=ag_options())
    return ws


def read_records(path: Path, *, fmt: str | None = None, options: ReadOptions | None = None, limit: int | None = None):
    from evaluator.importer import read_file

    _, recs = read_file(path, format=fmt, options=options)
    return recs[:limit] if limit else recs


def micro_f1(gold, preds) -> float:
    """Exact-match span F1, written out independently of the metrics engine."""
    tp = fp = fn = 0
    for g, p in zip(gold, preds):
        G, P = set(g.spans), set(p.spans)
        tp += len(G & P)
        fp += len(P - G)
        fn += len(G - P)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def demo_with_models(path: Path, *, trainer: str = "crf-ner", rounds=(1, 2, 3)) -> Path:
    """The NER demo workspace at ``path`` with one ``trainer`` model per round (crf-ner: about a second), never
    evaluated."""
    from evaluator.demo import build_demo
    from evaluator.models import train_round
    from evaluator.workspace import open_workspace

    build_demo(path)
    ws = open_workspace(path)
    for k in rounds:
        train_round(ws, k, trainer=trainer)
    return path
