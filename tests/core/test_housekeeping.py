"""Leftovers of killed training runs are removed when the workspace next opens, and the user is told; nothing is
removed while a training runs (in this process or another)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import sqlalchemy as sa

from evaluator import db
from evaluator.housekeeping import clean_interrupted, training_guard
from evaluator.workspace import open_workspace


def _artifact(folder, size: int = 1000):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "meta.json").write_text("{}")
    (folder / "model.bin").write_bytes(b"x" * size)
    return folder


def _register(ws, name: str, folder) -> None:
    with ws.engine.begin() as conn:
        conn.execute(db.models.insert().values(name=name, kind="trained", artifact_path=f"models/{folder.name}",
                                               created_at=db.utcnow()))


def test_leftovers_are_removed_on_open_and_reported(tmp_workspace, cli_runner):
    ws = tmp_workspace("ner")
    models = ws.models_dir
    tmp = _artifact(models / ".tmp-k1ll3d", 13_000)  # killed mid-training
    curve = _artifact(models / ".curve-x")  # killed during a learning curve
    orphan = _artifact(models / "round-3-crf-ner")  # killed after the rename, before the model row
    kept = _artifact(models / "round-1-crf-ner")
    _register(ws, "round-1-crf-ner", kept)
    user_notes = models / "notes"  # not an artifact: left alone
    user_notes.mkdir()
    again = open_workspace(ws.path, db_url=ws.url)
    assert sorted(c["path"] for c in again.cleaned) == ["models/.curve-x", "models/.tmp-k1ll3d",
                                                        "models/round-3-crf-ner"]
    assert {c["kind"] for c in again.cleaned} == {"temporary folder", "unregistered model"}
    assert not tmp.exists() and not curve.exists() and not orphan.exists()
    assert kept.exists() and user_notes.exists()
    assert open_workspace(ws.path, db_url=ws.url).cleaned == []  # nothing left to do
    _artifact(models / ".tmp-again")
    r = cli_runner("status", "--workspace", ws.path)
    assert r.exit_code == 0 and "note: Removed 1 leftover of interrupted training" in r.output


def test_nothing_is_removed_while_a_training_holds_the_guard(tmp_workspace):
    ws = tmp_workspace("ner")
    tmp = _artifact(ws.models_dir / ".tmp-running")
    with training_guard(ws):
        assert clean_interrupted(ws) == [] and open_workspace(ws.path, db_url=ws.url).cleaned == []
        assert tmp.exists()
    assert [c["path"] for c in clean_interrupted(ws)] == ["models/.tmp-running"]


def test_a_killed_training_process_leaves_nothing_behind_at_the_next_start(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import json, time
        from pathlib import Path
        from evaluator.housekeeping import training_guard
        from evaluator.workspace import Workspace
        ws = Workspace(path=Path({str(ws.path)!r}), url="", engine=None)
        with training_guard(ws):
            tmp = ws.path / "models" / ".tmp-training"
            tmp.mkdir(parents=True)
            (tmp / "config.json").write_text("{{}}")
            Path({str(ready)!r}).write_text("go")
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 60
        while not ready.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), "the training process did not start"
        assert open_workspace(ws.path, db_url=ws.url).cleaned == []  # it is running: not a leftover
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    cleaned = open_workspace(ws.path, db_url=ws.url).cleaned
    assert [c["path"] for c in cleaned] == ["models/.tmp-training"]
    assert not (ws.path / "models" / ".tmp-training").exists()
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.models)).scalar() == 0
    assert json.loads(json.dumps(cleaned))  # plain data, as the CLI prints it
