"""Shared fixtures: real data from ../shared/data, temporary workspaces, the CLI runner."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EVALUATOR_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data. Skips when it is missing, except under CI=true, where it fails."""
    if not SHARED_DATA.is_dir():
        msg = f"real datasets not found at {SHARED_DATA}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " (required when CI=true)")
        pytest.skip(msg)
    return SHARED_DATA


@pytest.fixture
def tmp_workspace(tmp_path):
    """Factory: tmp_workspace(task="ner", labels=[...]) -> a fresh SQLite workspace under tmp_path."""
    from evaluator.workspace import init_workspace
    counter = {"n": 0}

    def make(task: str = "ner", labels=(), lang: str = "en"):
        counter["n"] += 1
        return init_workspace(tmp_path / f"ws{counter['n']}", task=task, labels=list(labels), lang=lang)

    return make


@pytest.fixture
def cli_runner():
    """Invoke the CLI in-process: cli_runner("status", "--workspace", ws) -> click Result."""
    from click.testing import CliRunner
    from evaluator.cli import main

    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run
