"""Which workspace a command uses: --workspace, else $EVALUATOR_WORKSPACE, else the nearest one from the current
folder upward, else a refusal; the choice is said on stderr (issue 7, item 7)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluator.workspace import init_workspace


@pytest.fixture
def two(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALUATOR_WORKSPACE", raising=False)
    a = init_workspace(tmp_path / "a", task="ner", labels=["A"])
    b = init_workspace(tmp_path / "b", task="ner", labels=["B"])
    (tmp_path / "a" / "runs" / "deep").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    return a, b, tmp_path


def _labels(r) -> list[str]:
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["labels"]


def test_explicit_then_environment_then_nearest_upward(cli_runner, two, monkeypatch):
    a, b, root = two
    monkeypatch.chdir(root / "a" / "runs" / "deep")
    assert _labels(cli_runner("status", "--json")) == ["A"]  # found upward, like git
    r = cli_runner("status")
    assert r.exit_code == 0
    assert r.stderr.splitlines() == [f"workspace {a.path.resolve()} (the nearest workspace above "
                                     f"{root / 'a' / 'runs' / 'deep'})"]
    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(b.path))
    assert _labels(cli_runner("status", "--json")) == ["B"]  # the environment beats the current folder
    assert cli_runner("status").stderr.splitlines() == [f"workspace {b.path.resolve()} ($EVALUATOR_WORKSPACE)"]
    assert _labels(cli_runner("status", "--workspace", a.path, "--json")) == ["A"]  # --workspace beats both
    assert cli_runner("status", "--json", "--workspace", a.path).stderr == ""  # nothing extra with --json


def test_no_workspace_anywhere_is_refused_not_defaulted(cli_runner, two, monkeypatch):
    _, _, root = two
    monkeypatch.chdir(root / "elsewhere")
    r = cli_runner("train", "--round", "3")
    assert r.exit_code == 2 and r.stdout == ""
    [line] = r.stderr.splitlines()
    assert line.startswith(f"error: No workspace in {root / 'elsewhere'} or above it")
    assert "--workspace DIR" in line and "EVALUATOR_WORKSPACE" in line and "evaluator init" in line
    r = cli_runner("init", "--task", "ner")
    assert r.exit_code == 2 and "No workspace folder given" in r.stderr
    assert not (root / "elsewhere" / "workspace.db").exists()
    monkeypatch.chdir(root / "a")
    assert cli_runner("init", "--workspace", ".", "--task", "ner", "--json").exit_code == 0  # "." = here


@pytest.mark.parametrize("bad", ["file", "under-file", "unwritable", "cannot-exist"])
def test_a_workspace_path_that_cannot_be_a_folder_is_a_plain_error(cli_runner, tmp_path, bad):
    """Item 4: a file, a path under a file, an unwritable place: a message with the fix, never an OSError."""
    import os

    from evaluator.errors import ConfigError
    from evaluator.workspace import init_workspace as init

    (tmp_path / "file").write_text("x")
    (tmp_path / "read-only").mkdir(mode=0o500)
    unwritable = Path("/sys/evaluator-ws") if os.geteuid() == 0 else tmp_path / "read-only" / "ws"  # root: /sys
    path = {"file": tmp_path / "file", "under-file": tmp_path / "file" / "ws", "unwritable": unwritable,
            "cannot-exist": Path("/proc/evaluator-ws")}[bad]
    with pytest.raises(ConfigError) as err:
        init(path, task="ner")
    assert str(path if bad != "under-file" else tmp_path / "file") in err.value.message and err.value.hint
    r = cli_runner("init", "--workspace", path, "--task", "ner")
    assert r.exit_code == 2 and r.stdout == "" and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1 or "Usage:" in r.stderr  # click refuses a file itself
