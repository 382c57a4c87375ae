"""Fitness tests of the layout: the library never imports streamlit, pages stay thin, no import cycles."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIB = REPO / "evaluator"


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Modules imported by a file (``from x import y`` gives ``x`` and ``x.y``), optionally only at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _module(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def test_the_library_never_imports_streamlit():
    offenders = {_module(p) for p in LIB.rglob("*.py") if any(
        m == "streamlit" or m.startswith("streamlit.") for m in _imports(p))}
    assert offenders == set()


def test_pages_never_import_the_database_or_the_learning_libraries():
    banned = ("sqlalchemy", "spacy", "sklearn", "sklearn_crfsuite", "thinc")
    files = list((REPO / "pages").glob("*.py")) + [REPO / "app.py"]
    assert len(files) >= 6
    offenders = {p.name: sorted(m for m in _imports(p) if m.split(".")[0] in banned) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_cycles_at_module_level():
    """Module-level imports between evaluator modules form no cycle (a registry is filled by its package
    importing each plugin, not by plugins importing each other back)."""
    mods = {_module(p): p for p in LIB.rglob("*.py")}
    graph = {}
    for name, path in mods.items():
        deps = set()
        for m in _imports(path, top_level_only=True):
            # `from evaluator.x import y` may name a module (evaluator.x.y) or an object of evaluator.x
            target = m if m in mods else m.rsplit(".", 1)[0] if m.rsplit(".", 1)[0] in mods else None
            if target and target != name and not name.startswith(target + "."):  # a package's own __init__
                deps.add(target)
        graph[name] = deps
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep] if dep in stack else [node, dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_layout_a_newcomer_expects():
    """Trainers, models, predictions, scoring and results each in their own place."""
    for rel in ("models.py", "predictions.py", "results.py", "progress.py", "scoring/evaluate.py",
                "scoring/compare.py", "scoring/curves.py", "training/base.py", "metrics/diff.py"):
        assert (LIB / rel).is_file(), rel
    assert not (LIB / "training" / "registry.py").exists() and not (LIB / "evaluation.py").exists()
    training = {p.stem for p in (LIB / "training").glob("*.py")} - {"__init__", "base", "docs", "external"}
    assert training == {"crf", "sklearn_textcat", "spacy_trainers"}  # trainers alone under training/
