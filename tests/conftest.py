"""Shared fixtures: real data from ../shared/data, temporary workspaces, the CLI runner, PostgreSQL.

Team mode: with ``$EVALUATOR_TEST_DB=postgresql`` (``make test-postgres``) every workspace a test creates or opens
by folder gets its own fresh database on the PostgreSQL server (``$EVALUATOR_TEST_PG_URL``, else a throw-away
cluster), so the whole suite runs against PostgreSQL. Tests that start the app or the CLI as a separate process
still use SQLite there; tests marked ``sqlite_only`` are skipped.
"""
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


TEAM_DB = os.environ.get("EVALUATOR_TEST_DB", "").lower()


@pytest.fixture(scope="session")
def pg_url():
    """URL of a PostgreSQL server's ``postgres`` database: ``$EVALUATOR_TEST_PG_URL``, else a throw-away cluster
    (tests/pgcluster.py) started for this test session. Skips without PostgreSQL binaries (fails under
    ``CI=true``)."""
    pytest.importorskip("psycopg")
    if os.environ.get("EVALUATOR_TEST_PG_URL"):
        yield os.environ["EVALUATOR_TEST_PG_URL"]
        return
    from tests import pgcluster

    cluster = pgcluster.start()
    if cluster is None:
        msg = "no PostgreSQL server binaries (apt-get install postgresql) and no $EVALUATOR_TEST_PG_URL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " (required when CI=true)")
        pytest.skip(msg)
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def pg_database(pg_url):
    """Factory: pg_database() -> the URL of a fresh, empty database on the server of ``pg_url`` (one workspace
    each; workspaces in one database would share their tables), dropped after the test."""
    from tests import pgcluster

    made: list[str] = []

    def make() -> str:
        made.append(pgcluster.create_database(pg_url))
        return made[-1]

    yield make
    _dispose_engines(made)
    for url in made:
        pgcluster.drop_database(url)


def _dispose_engines(urls) -> None:
    from evaluator import workspace

    for url in urls:
        engine = workspace._ENGINES.pop(url, None)
        if engine is not None:
            engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request):
    """Run a test on SQLite and on PostgreSQL: yields a function ``url_for(folder) -> database URL or None``."""
    if request.param == "sqlite":
        yield lambda folder: None
        return
    make = request.getfixturevalue("pg_database")
    yield lambda folder: make()


@pytest.fixture(scope="session", autouse=True)
def _team_mode(request):
    """In team mode, a folder's workspace lives in its own PostgreSQL database for the whole session (see the
    module docstring); a folder that already holds a ``workspace.db`` (a copied fixture) keeps it."""
    if TEAM_DB != "postgresql" or os.environ.get("EVALUATOR_DB_URL"):
        yield
        return
    from evaluator import workspace
    from tests import pgcluster

    server = request.getfixturevalue("pg_url")
    by_folder: dict[str, str] = {}
    original = workspace._url_for

    def url_for(path, db_url):
        if db_url or (Path(path) / "workspace.db").exists():
            return original(path, db_url)
        key = str(Path(path).resolve())
        if key not in by_folder:
            by_folder[key] = pgcluster.create_database(server)
        return by_folder[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(workspace, "_url_for", url_for)
        yield
    _dispose_engines(by_folder.values())
    for url in by_folder.values():
        pgcluster.drop_database(url)


@pytest.fixture(autouse=True)
def _close_team_connections():
    """In team mode, close the pooled PostgreSQL connections after each test (engines reconnect when used
    again), so hundreds of workspaces stay below the server's connection limit."""
    yield
    if TEAM_DB == "postgresql":
        from evaluator import workspace

        for url, engine in list(workspace._ENGINES.items()):
            if url.startswith("postgresql"):
                engine.dispose()


def pytest_collection_modifyitems(config, items):
    """Team mode skips the tests marked ``sqlite_only``: they are about SQLite files, or run workspaces in
    worker processes, which open them by folder on SQLite (they run in the SQLite pass)."""
    if TEAM_DB != "postgresql":
        return
    skip = pytest.mark.skip(reason="about SQLite or worker processes; runs in the SQLite pass")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


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
