"""`evaluator import --sizes`, `evaluator round list|move|delete` (issue 7, item 5)."""
from __future__ import annotations

import json

from tests.core.helpers import ner_line, write_jsonl

ROWS = [ner_line(f"Person{k} works for Company{k} .", [(0, 0, "PER"), (3, 3, "ORG")]) for k in range(12)]


def _ok(r):
    assert r.exit_code == 0, r.output
    return r


def test_one_export_into_three_rounds_then_fix_a_mistake(cli_runner, tmp_path):
    ws = tmp_path / "ws"
    _ok(cli_runner("init", "--workspace", ws, "--task", "ner"))
    f = write_jsonl(tmp_path / "export.jsonl", ROWS)
    r = _ok(cli_runner("import", f, "--into", "round:1", "--sizes", "2,3,4", "--workspace", ws))
    assert "round:1    2 examples" in r.stdout and "round:3    4 examples" in r.stdout
    assert "not imported: the last 3 example(s)" in r.stdout
    assert r.stdout.splitlines()[-1] == "next free round: round:4"
    listing = json.loads(_ok(cli_runner("round", "list", "--workspace", ws, "--json")).stdout)
    assert [(x["round"], x["examples"]) for x in listing["rounds"]] == [(1, 2), (2, 3), (3, 4)]
    assert listing["next_round"] == 4

    # the mistake: the next file went into round 1 too; move that import to round 4
    extra = write_jsonl(tmp_path / "more.jsonl", [ner_line("Zed joined Umbrella .", [(0, 0, "PER"), (2, 2, "ORG")])])
    _ok(cli_runner("import", extra, "--into", "round:1", "--workspace", ws))
    listing = json.loads(_ok(cli_runner("round", "list", "--workspace", ws, "--json")).stdout)
    [wrong] = [i for i in listing["rounds"][0]["imports"] if i["file"] == "more.jsonl"]
    r = _ok(cli_runner("round", "move", f"import:{wrong['id']}", "--to", "round:4", "--workspace", ws))
    assert r.stdout.strip() == f"moved 1 examples of import {wrong['id']} (more.jsonl) to round:4"
    status = json.loads(_ok(cli_runner("status", "--workspace", ws, "--json")).stdout)
    assert [(x["round"], x["examples"]) for x in status["rounds"]] == [(1, 2), (2, 3), (3, 4), (4, 1)]

    r = _ok(cli_runner("round", "delete", "4", "--yes", "--workspace", ws))
    assert r.stdout.strip() == "deleted round 4 (1 examples)"
    r = cli_runner("round", "delete", "4", "--yes", "--workspace", ws)
    [line] = r.stderr.splitlines()  # one line, naming the workspace
    assert r.exit_code == 2 and line.startswith("error: No round:4") and f"[workspace {ws.resolve()}" in line


def test_sizes_shuffle_and_refusals(cli_runner, tmp_path):
    ws = tmp_path / "ws"
    _ok(cli_runner("init", "--workspace", ws, "--task", "ner"))
    f = write_jsonl(tmp_path / "export.jsonl", ROWS)
    r = cli_runner("import", f, "--into", "round:1", "--sizes", "10,10", "--workspace", ws)
    assert r.exit_code == 2 and "fewer than the round sizes" in r.stderr
    r = cli_runner("import", f, "--into", "round:1", "--shuffle", "--workspace", ws)
    assert r.exit_code == 2 and "only apply with --sizes" in r.stderr
    a = json.loads(_ok(cli_runner("import", f, "--into", "round:1", "--sizes", "4,4", "--shuffle", "--seed", "3",
                                  "--workspace", ws, "--json")).stdout)
    assert a["shuffle"] is True and a["seed"] == 3 and [x["examples"] for x in a["rounds"]] == [4, 4]
    r = cli_runner("round", "move", "round:1", "--to", "gold:test", "--workspace", ws)
    assert r.exit_code == 2 and "cannot be moved into a gold set" in r.stderr
