"""Shared fixtures: real data from ../shared/data, temporary workspaces, the CLI runner."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL URL: $EVALUATOR_TEST_PG_URL, or a throw-away cluster started with the machine's PostgreSQL
    binaries (Debian's postgresql package) on a Unix socket; skips when there are none."""
    pytest.importorskip("psycopg")
    if os.environ.get("EVALUATOR_TEST_PG_URL"):
        yield os.environ["EVALUATOR_TEST_PG_URL"]
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql) and no $EVALUATOR_TEST_PG_URL")
    bindir = Path(bins[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="evalpg-"))
    data = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        os.chmod(root, 0o755)
    port = _free_port()
    subprocess.run(run_as + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run(run_as + [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                             f"-p {port} -k {root} -c listen_addresses=''", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={root}&port={port}"
    finally:
        subprocess.run(run_as + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_database(pg_url):
    """Factory: pg_database() -> the URL of a new, empty database on the PostgreSQL server of ``pg_url`` (one
    workspace each; workspaces in one database would share their tables)."""
    import uuid

    import sqlalchemy as sa

    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    made: dict[str, str] = {}

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        url = sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        made[name] = url
        return url

    yield make
    from evaluator.workspace import _ENGINES
    with admin.connect() as conn:
        for name, url in made.items():
            if url in _ENGINES:  # this process's pooled connections to it
                _ENGINES.pop(url).dispose()
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def demo_with_models(path: Path, *, rounds=(1, 3), trainer: str = "crf-ner"):
    """The NER demo workspace at ``path`` with a model per round in ``rounds`` (CRF: about a second each)."""
    from evaluator.demo import build_demo
    from evaluator.models import train_round
    from evaluator.workspace import open_workspace

    build_demo(path)
    ws = open_workspace(path)
    for k in rounds:
        train_round(ws, k, trainer=trainer)
    return ws
