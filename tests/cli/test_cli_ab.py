"""`evaluator ab start|next|judge|undo|results|list`: JSON in and out, the library's answers, one-line errors."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evaluator import ab
from evaluator.cli import main
from tests.core.test_ab import build


@pytest.fixture
def ws(tmp_path):
    return build(tmp_path, gold=60)[0]


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def test_start_next_judge_results_in_json(ws):
    w = ("--workspace", ws.path)
    out = run("ab", "start", "--models", "good,bad", "--on", "gold:g", "--max", "10", "--seed", "4", *w, "--json")
    assert out.exit_code == 0, out.output
    started = json.loads(out.output)
    sid = started["session_id"]
    assert started["models"] == ["good", "bad"] and started["settings"]["max_items"] == 10
    item = json.loads(run("ab", "next", sid, "--annotator", "maria", *w, "--json").output)
    assert {"item_id", "text", "left", "right"} <= set(item) and item["done"] is False
    assert set(item["left"]) == {"label"} and "good" not in json.dumps(item) and "bad" not in json.dumps(item)
    first = json.loads(run("ab", "judge", sid, item["item_id"], "--annotator", "maria", "--choice", "left", *w,
                           "--json").output)
    again = json.loads(run("ab", "judge", sid, item["item_id"], "--annotator", "maria", "--choice", "left", *w,
                           "--json").output)
    assert first["stored"] and not again["stored"]
    conflict = run("ab", "judge", sid, item["item_id"], "--annotator", "maria", "--choice", "right", *w)
    assert conflict.exit_code == 2 and "already judged" in conflict.output and "Traceback" not in conflict.output
    # a scripted judge: next items in, one JSON judgment per line on stdin
    lines = []
    for _ in range(3):
        nxt = json.loads(run("ab", "next", sid, "--annotator", "llm", *w, "--json").output)
        lines.append(json.dumps({"item_id": nxt["item_id"], "choice": "tie"}))
        run("ab", "judge", sid, nxt["item_id"], "--annotator", "llm", "--choice", "tie", *w)
        run("ab", "undo", sid, "--annotator", "llm", *w)
    piped = run("ab", "judge", sid, "--annotator", "llm", "--stdin", *w, "--json", input="\n".join(lines[-1:]) + "\n")
    assert piped.exit_code == 0 and json.loads(piped.output.splitlines()[0])["stored"]
    res = json.loads(run("ab", "results", sid, *w, "--json").output)
    ref = ab.results(ws, sid, reveal=True)
    pair = res["pairs"][0]
    assert {pair["a"], pair["b"]} == {"good", "bad"}
    for key in ("wins", "losses", "ties", "win_rate", "ci95", "p_sign", "decided", "preferred"):
        assert pair[key] == ref["pairs"][0][key]
    assert {"position_bias", "agreement", "ranking", "verdict"} <= set(res) and res["judgments"] == 2
    blind = json.loads(run("ab", "results", sid, "--blind", "--items", *w, "--json").output)
    assert "good" not in {blind["pairs"][0]["a"], blind["pairs"][0]["b"]} and len(blind["judged_items"]) == 2
    listed = json.loads(run("ab", "list", *w, "--json").output)
    assert listed[0]["session_id"] == sid and listed[0]["judgments"] == 2 and "models" not in listed[0]
    human = run("ab", "results", sid, *w)
    assert "Keep going" in human.output and ("good vs bad" in human.output or "bad vs good" in human.output)


def test_errors_are_one_line_with_exit_2(ws):
    w = ("--workspace", ws.path)
    for args in (("ab", "next", 99, "--annotator", "x"), ("ab", "start", "--models", "good", "--on", "gold:g"),
                 ("ab", "start", "--models", "good,nope", "--on", "gold:g"),
                 ("ab", "judge", 1, "--annotator", "x"),
                 ("ab", "judge", 1, "--annotator", "x", "--stdin")):
        out = run(*args, *w, input="not json\n")
        assert out.exit_code == 2, (args, out.output)
        assert out.output.startswith("error: ") and "Traceback" not in out.output
