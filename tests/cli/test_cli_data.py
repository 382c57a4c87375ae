import json
import subprocess
import sys

from tests.core.helpers import GOLD, TRAIN, write_jsonl


def test_init_import_freeze_status_through_the_cli(cli_runner, tmp_path):
    ws = tmp_path / "ws"
    r = cli_runner("init", "--workspace", ws, "--task", "ner", "--labels", "PER,ORG,LOC", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["labels"] == ["LOC", "ORG", "PER"]
    g = write_jsonl(tmp_path / "g.jsonl", GOLD)
    r = cli_runner("import", g, "--into", "gold:test", "--workspace", ws, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["examples"] == 4 and rep["spans_per_label"]["PER"] == 2
    assert cli_runner("gold", "freeze", "test", "--workspace", ws).exit_code == 0
    r = cli_runner("import", write_jsonl(tmp_path / "r.jsonl", TRAIN), "--into", "round:1", "--workspace", ws)
    assert r.exit_code == 0 and "imported 3 examples" in r.output
    s = json.loads(cli_runner("status", "--workspace", ws, "--json").output)
    assert s["rounds"][0]["examples"] == 3
    assert s["gold_sets"][0]["frozen"] is True and s["gold_sets"][0]["examples"] == 4
    r = cli_runner("gold", "verify", "test", "--workspace", ws)
    assert r.exit_code == 0 and "hash OK" in r.output


def test_user_errors_exit_2_with_one_line(cli_runner, tmp_path):
    ws = tmp_path / "ws"
    cli_runner("init", "--workspace", ws, "--task", "ner")
    cli_runner("import", write_jsonl(tmp_path / "g.jsonl", GOLD), "--into", "gold:test", "--workspace", ws)
    r = cli_runner("import", write_jsonl(tmp_path / "leak.jsonl", GOLD[:1]), "--into", "round:1", "--workspace", ws)
    assert r.exit_code == 2 and r.stdout == "" and "Traceback" not in r.output
    # one line on stderr: the error, naming the workspace it happened in
    [line] = r.stderr.splitlines()
    assert line.startswith("error: 1 example(s)") and line.endswith(f"[workspace {ws.resolve()} (--workspace)]")
    r = cli_runner("status", "--workspace", tmp_path / "missing")
    assert r.exit_code == 2 and "evaluator init" in r.output
    r = cli_runner("export", "--from", "gold:nope", "--format", "conll", "--out", tmp_path / "x", "--workspace", ws)
    assert r.exit_code == 2 and "No gold:nope" in r.output


def test_export_and_gold_split_commands(cli_runner, tmp_path):
    ws = tmp_path / "ws"
    cli_runner("init", "--workspace", ws, "--task", "ner")
    cli_runner("import", write_jsonl(tmp_path / "r.jsonl", TRAIN + GOLD), "--into", "round:1", "--workspace", ws)
    r = cli_runner("gold", "split", "--from", "round:1", "--fraction", "0.5", "--seed", "1", "--name", "held",
                   "--workspace", ws, "--json")
    assert r.exit_code == 0, r.output
    moved = json.loads(r.output)["examples"]
    out = tmp_path / "held.conll"
    r = cli_runner("export", "--from", "gold:held", "--format", "conll", "--out", out, "--workspace", ws)
    assert r.exit_code == 0
    assert out.read_text().count("\n\n") >= moved - 1
    r = cli_runner("gold", "leakage", "--workspace", ws, "--json")
    assert json.loads(r.output)["exact_overlaps"] == 0


def test_python_dash_m_entry_point(tmp_path):
    out = subprocess.run([sys.executable, "-m", "evaluator", "--help"], capture_output=True, text=True, check=True)
    assert "frozen gold set" in out.stdout


def test_status_lists_labels_in_words_not_python_dicts(cli_runner, tmp_path):
    ws = tmp_path / "ws"
    cli_runner("init", "--workspace", ws, "--task", "ner")
    cli_runner("import", write_jsonl(tmp_path / "r.jsonl", TRAIN), "--into", "round:1", "--workspace", ws)
    out = cli_runner("status", "--workspace", ws).output
    line = next(x for x in out.splitlines() if x.startswith("round 1:"))
    assert "{" not in line and "'" not in line
    assert line.endswith("(LOC 3, ORG 2, PER 3)")
