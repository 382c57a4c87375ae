"""Schema step 010_ab_sessions: its explicit DDL creates what the table definitions in evaluator/db.py describe
(SQLite and PostgreSQL), and a workspace made by release 0.1.0 gets the A/B tables when it opens."""
from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa

from evaluator import ab, db
from evaluator.workspace import init_workspace, open_workspace

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspace-0.1.0"
TABLES = (db.ab_sessions, db.ab_items, db.ab_judgments)


def _same_schema(engine) -> None:
    insp = sa.inspect(engine)
    for table in TABLES:
        cols = {c["name"]: c for c in insp.get_columns(table.name)}
        assert set(cols) == {c.name for c in table.columns}, table.name
        assert insp.get_pk_constraint(table.name)["constrained_columns"] == ["id"]
        for c in table.columns:
            if not c.primary_key:  # (SQLite reports an INTEGER PRIMARY KEY as nullable)
                assert cols[c.name]["nullable"] == c.nullable, (table.name, c.name)
        fks = {(tuple(f["constrained_columns"]), f["referred_table"]) for f in insp.get_foreign_keys(table.name)}
        assert fks == {((fk.parent.name,), fk.column.table.name) for fk in table.foreign_keys}, table.name
        indexes = {i["name"]: tuple(i["column_names"]) for i in insp.get_indexes(table.name)}
        for ix in table.indexes:
            assert indexes.get(ix.name) == tuple(c.name for c in ix.columns), (table.name, ix.name)
        uniques = {(u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table.name)}
        assert uniques == {(u.name, tuple(c.name for c in u.columns)) for u in table.constraints
                           if isinstance(u, sa.UniqueConstraint)}, table.name


def test_the_step_creates_the_declared_tables_on_sqlite(tmp_path):
    ws = init_workspace(tmp_path / "ws", task="ner")
    _same_schema(ws.engine)


def test_the_step_creates_the_declared_tables_on_postgres(tmp_path, pg_database):
    ws = init_workspace(tmp_path / "ws", task="ner", db_url=pg_database())
    _same_schema(ws.engine)


def test_a_release_010_workspace_gets_ab_sessions(tmp_path):
    path = tmp_path / "ws"
    shutil.copytree(FIXTURE, path)
    ws = open_workspace(path)
    with ws.engine.connect() as conn:
        steps = {r[0] for r in conn.execute(sa.select(db.schema_migrations.c.name))}
    assert "010_ab_sessions" in steps
    _same_schema(ws.engine)
    sid = ab.start_session(ws, ["round-1-crf-ner", "round-2-crf-ner"], source="gold:demo-test")["session_id"]
    item = ab.next_item(ws, sid, "ann")
    assert ab.judge(ws, sid, item["item_id"], "ann", "left")["stored"]
    assert ab.results(ws, sid)["judgments"] == 1
