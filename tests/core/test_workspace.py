import sqlalchemy as sa
import pytest

from evaluator import db
from evaluator.errors import ConfigError
from evaluator.workspace import init_workspace, open_workspace


@pytest.mark.sqlite_only
def test_init_creates_sqlite_with_wal_and_foreign_keys(tmp_path):
    ws = init_workspace(tmp_path / "w", task="ner", labels=["PER", "ORG"])
    assert (tmp_path / "w" / "workspace.db").exists()
    with ws.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        names = {r[0] for r in conn.execute(sa.select(db.schema_migrations.c.name))}
    assert names == {name for name, _ in db.MIGRATIONS}
    assert ws.task == "ner" and ws.labels == ["ORG", "PER"]


def test_init_is_idempotent_and_refuses_task_change(tmp_path):
    init_workspace(tmp_path, task="textcat", labels=["a"])
    ws = init_workspace(tmp_path, task="textcat", labels=["b"])
    assert ws.labels == ["a", "b"]
    with pytest.raises(ConfigError, match="already holds a 'textcat' task"):
        init_workspace(tmp_path, task="ner")


def test_open_missing_workspace_says_how_to_create_it(tmp_path):
    with pytest.raises(ConfigError, match="evaluator init"):
        open_workspace(tmp_path / "nope")


def test_migrations_are_applied_once(tmp_path):
    ws = init_workspace(tmp_path, task="ner")
    assert db.migrate(ws.engine) == []


def test_a_database_from_a_newer_schema_is_refused(tmp_path):
    import sqlalchemy as sa

    from evaluator import db
    from evaluator.errors import ConfigError
    from evaluator.workspace import init_workspace, open_workspace

    ws = init_workspace(tmp_path / "ws", task="ner", labels=["PER"])
    with ws.engine.begin() as conn:
        conn.execute(db.schema_migrations.insert().values(name="999_from_the_future", applied_at="2099"))
    with pytest.raises(ConfigError, match="newer version of evaluator.*999_from_the_future"):
        open_workspace(tmp_path / "ws")


@pytest.mark.sqlite_only
def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path, cli_runner):
    from evaluator.errors import ConfigError
    from evaluator.workspace import open_workspace

    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "workspace.db").write_text("these are my notes, not a database")
    with pytest.raises(ConfigError, match="not a database"):
        open_workspace(tmp_path / "ws")
    r = cli_runner("status", "--workspace", tmp_path / "ws")
    assert r.exit_code == 2 and r.output.startswith("error: Cannot open the workspace database")
    assert len(r.output.strip().splitlines()) == 1


def test_init_refuses_a_language_spacy_does_not_know_and_creates_nothing(tmp_path):
    with pytest.raises(ConfigError, match="'zz'"):
        init_workspace(tmp_path / "ws", task="ner", lang="zz")
    assert not (tmp_path / "ws").exists()
