"""The ui/ helpers: rendering (pure), error display, and the rules pages follow."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from evaluator.records import Record, Span

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ui import render  # noqa: E402


def test_escape_md_neutralises_markdown_latex_and_directives():
    raw = "Costs $5 and $10 *now* [link](x) :red[alert] a_b"
    out = render.escape_md(raw)
    for ch in "$*[]:_":
        assert f"\\{ch}" in out
    assert out.replace("\\", "") == raw


def test_spans_inline_and_markdown():
    rec = Record("Ada met Bob in Rome.", spans=[Span(0, 3, "PER"), Span(8, 11, "PER"), Span(15, 19, "LOC")])
    assert render.spans_inline(rec) == "[Ada · PER] met [Bob · PER] in [Rome · LOC]."
    md = render.spans_markdown(rec, render.label_colors(["PER", "LOC"]))
    assert ":green-background[Ada] :green-badge[PER]" in md and ":blue-background[Rome] :blue-badge[LOC]" in md


def test_next_steps_follow_the_workspace_state():
    empty = {"gold_sets": [], "rounds": [], "labels": []}
    hints = " ".join(render.next_steps(empty))
    assert "No gold set yet" in hints and "No annotation rounds yet" in hints and "no labels" in hints
    open_gold = {"gold_sets": [{"frozen": False}], "rounds": [{"round": 1}], "labels": ["A"]}
    assert "still open" in render.next_steps(open_gold)[0]
    ready = {"gold_sets": [{"frozen": True}], "rounds": [{"round": 1}], "labels": ["A"]}
    assert any("Train" in h for h in render.next_steps(ready, pages={"Train"}))
    assert not any("Train" in h for h in render.next_steps(ready))
    with_pool = {**ready, "pool": {"examples": 150, "unlabeled": 150}}
    assert any("150 pool text(s)" in h and "**Label**" in h for h in render.next_steps(with_pool, pages={"Label"}))
    assert not any("Label" in h for h in render.next_steps(with_pool))
    assert render.order_text({"strategy": "random", "seed": 3}) == "random (seed 3)"
    assert render.order_text({"strategy": "uncertainty", "method": "margin", "model": "m",
                              "suggestions": "m"}) == "least confident first (margin, m), pre-filled by m"


def test_targets_and_round_rows():
    status = {"gold_sets": [{"name": "t", "version": 2}], "pool": {"examples": 3},
              "rounds": [{"round": 1, "examples": 4, "accepted": 3, "per_label": {"A": 2}},
                         {"round": 2, "examples": 5, "accepted": 5, "per_label": {"A": 1, "B": 4}}]}
    assert render.targets(status) == ["gold:t@2", "round:1", "round:2", "pool"]
    assert [r["cumulative"] for r in render.round_rows(status)] == [3, 8]
    assert render.round_label_counts(status)[-1] == {"round": "round 2", "label": "B", "count": 4}


def _script():
    import ui
    from evaluator.errors import InputFormatError, ValidationError

    def bug():
        raise RuntimeError("kaput")

    def invalid():
        raise ValidationError([InputFormatError("bad span", path="f.jsonl", line=2, hint="fix it"),
                               InputFormatError("empty text", path="f.jsonl", line=5)])

    def user_error():
        raise InputFormatError("costs $5", path="/x/f.jsonl", line=1, hint="drop the dollar")

    assert ui.call(bug) is None
    assert ui.call(invalid) is None
    assert ui.call(user_error) is None
    assert ui.call(lambda: 41 + 1) == 42


def test_call_shows_errors_without_traceback(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.syspath_prepend(str(REPO))
    at = AppTest.from_function(_script)
    at.run()
    assert not at.exception
    bug, invalid, user = [e.value for e in at.error]
    assert "RuntimeError" in bug and "kaput" in bug and "Traceback" not in bug
    assert "2 problem(s) found" in invalid and "f.jsonl, line 2" in invalid and "line 5" in invalid
    assert "costs \\$5" in user and "**Fix:** drop the dollar" in user


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("page", sorted((REPO / "pages").glob("*.py")), ids=lambda p: p.name)
def test_pages_are_thin(page):
    """Pages call evaluator functions; no SQL, spaCy or scikit-learn code in pages/."""
    assert not _imports(page) & {"sqlalchemy", "sqlite3", "spacy", "sklearn", "psycopg", "psycopg2"}


def test_app_registers_existing_pages_with_emoji_icons():
    tree = ast.parse((REPO / "app.py").read_text())
    [pages] = [ast.literal_eval(n.value) for n in ast.walk(tree)
               if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "PAGES"]
    assert pages[0][0] == "pages/home.py"
    for file, title, icon in pages:
        assert not icon.startswith(":material") and not icon.isascii(), (file, icon)
    registered = {f for f, _, _ in pages}
    assert {"pages/home.py", "pages/data.py", "pages/gold.py"} <= registered
    # every page file is registered (a page nobody can navigate to is a bug)
    assert {f"pages/{p.name}" for p in (REPO / "pages").glob("*.py")} <= registered


def test_error_hints_name_the_app_options_not_cli_flags():
    from evaluator.errors import InputFormatError, ValidationError
    from ui.errors import error_markdown

    problems = [InputFormatError("span 19-37 ORG is not on token boundaries", path="r.jsonl", line=1,
                                 hint="fix the offsets, or pass --snap-spans to move them to the enclosing token boundaries"),
                InputFormatError("byte 0xE9 at offset 14 is not valid utf-8", path="w.csv",
                                 hint="pass --encoding latin-1 (or cp1252), --encoding utf-8,latin-1 to fall back "
                                      "per file, or --encoding utf-8-replace to replace bad bytes")]
    text = error_markdown(ValidationError(problems))
    assert "--" not in text
    assert "tick “Snap span offsets to token boundaries” under Options" in text
    assert "set “Encoding” under Options to latin-1 (or cp1252), to utf-8,latin-1" in text
    one = error_markdown(InputFormatError("no label column 'label'", path="x.csv", line=1,
                                          hint="pass --label-column with one of them"))
    assert "set “CSV/JSONL label column” under Options to one of them" in one


def test_delta_chart_of_identical_systems_has_a_readable_axis():
    rows = [{"name": "micro F1", "delta": 0.0, "low": 0.0, "high": 0.0, "clear": "interval includes 0"}]
    spec = render.delta_chart(rows).to_dict()
    x = spec["layer"][0]["encoding"]["x"]
    lo, hi = x["scale"]["domain"]
    assert lo <= -1 and hi >= 1 and x["axis"]["format"] == "~g"
    wide = [{"name": "micro F1", "delta": 21.8, "low": 13.8, "high": 30.0, "clear": "interval excludes 0"}]
    lo, hi = render.delta_chart(wide).to_dict()["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert lo <= 0 < 30 <= hi  # the zero line and the whole interval are in view


def test_round_chart_colours_labels_like_their_badges():
    status = {"task": "ner", "labels": ["PERSON", "ORG", "LOCATION"],
              "rounds": [{"round": 1, "per_label": {"ORG": 3, "PERSON": 2}}]}
    scale = render.round_chart(status).to_dict()["encoding"]["color"]["scale"]
    badges = render.label_colors(status["labels"])
    assert dict(zip(scale["domain"], scale["range"])) == {lab: render.HEX[c] for lab, c in badges.items()}
