"""SQLAlchemy engine, schema and ordered, named migrations.

SQLite (WAL, foreign keys on) is the embedded default; any SQLAlchemy URL (PostgreSQL for teams) works.
The schema is defined once as SQLAlchemy Core tables; :data:`MIGRATIONS` is an ordered list of named steps, and
``schema_migrations`` records which ran. Add a step to the end of the list to change the schema; never edit one
that has shipped.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()


def utcnow() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class JSONText(sa.types.TypeDecorator):
    """JSON stored as text with sorted keys, identical on SQLite and PostgreSQL (hashes stay stable)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(value)


settings = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", JSONText, nullable=False),
)

# A collection is the pool, one annotation round, or one version of a gold set.
collections = sa.Table(
    "collections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # pool | round | gold
    sa.Column("name", sa.String(200), nullable=False),  # "pool", "3" for round 3, gold-set name
    sa.Column("version", sa.Integer, nullable=False, default=1),  # gold version; round number; 1 for pool
    sa.Column("frozen_at", sa.String(40)),
    sa.Column("content_hash", sa.String(64)),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("kind", "name", "version", name="uq_collection"),
)

examples = sa.Table(
    "examples", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("input_hash", sa.String(32), nullable=False, index=True),
    sa.Column("tokens", JSONText),  # [[start, end], ...]
    sa.Column("meta", JSONText),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id", ondelete="SET NULL")),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
)

annotations = sa.Table(
    "annotations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("answer", sa.String(10), nullable=False),  # accept | reject | ignore
    sa.Column("spans", JSONText),  # [[start, end, label], ...] for NER
    sa.Column("label", sa.String(200)),  # category for textcat
    sa.Column("annotator", sa.String(100), nullable=False, default="import"),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
)

imports = sa.Table(
    "imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("format", sa.String(50), nullable=False),
    sa.Column("report", JSONText),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("collection_id", "file_sha256", name="uq_import_once"),
)

models = sa.Table(
    "models", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),  # trained | spacy-dir | predictions
    sa.Column("trainer", sa.String(50)),
    sa.Column("round", sa.Integer),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("models.id", ondelete="SET NULL")),
    sa.Column("artifact_path", sa.Text),
    sa.Column("artifact_hash", sa.String(64)),
    sa.Column("config", JSONText),
    sa.Column("train_hash", sa.String(64)),
    sa.Column("train_counts", JSONText),
    sa.Column("versions", JSONText),
    sa.Column("seed", sa.Integer),
    sa.Column("seconds", sa.Float),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
)

predictions = sa.Table(
    "predictions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False),
    sa.Column("spans", JSONText),
    sa.Column("label", sa.String(200)),
    sa.Column("scores", JSONText),  # category probabilities, for active learning
    sa.UniqueConstraint("model_id", "example_id", name="uq_prediction"),
)

evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    sa.Column("gold_hash", sa.String(64), nullable=False),
    sa.Column("settings_key", sa.String(64), nullable=False),
    sa.Column("settings", JSONText, nullable=False),
    sa.Column("result", JSONText, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("model_id", "collection_id", "settings_key", name="uq_evaluation"),
)

# Blind A/B preference sessions (evaluator/ab.py). A session draws the examples of one target in a seeded order
# (ab_items, one row per example, prepared in small batches: predicted, compared, sides assigned); ab_judgments
# holds one row per (item, annotator): written when the item is served (choice NULL: waiting for an answer) and
# filled by the judgment.
ab_sessions = sa.Table(
    "ab_sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner", sa.String(100), nullable=False),
    sa.Column("task", sa.String(10), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),  # pool | round:N | gold:NAME@V
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    sa.Column("gold_hash", sa.String(64)),
    sa.Column("models", JSONText, nullable=False),  # [{"name", "id", "artifact_hash"}, ...] in the order given
    sa.Column("blind", JSONText, nullable=False),  # letter per model (random, not seeded), shown until revealed
    sa.Column("settings", JSONText, nullable=False),  # seed, overlap, judges, max_items, alpha, ...
    sa.Column("size", sa.Integer, nullable=False),  # examples drawn
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
)

ab_items = sa.Table(
    "ab_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("ab_sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("token", sa.String(40), nullable=False),  # the opaque item id given out
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False),
    sa.Column("needed", sa.Integer, nullable=False),  # annotators wanted: 1, or more for shared items
    sa.Column("coin", sa.Integer, nullable=False),  # 1: the pair's first system goes left
    sa.Column("state", sa.String(10), nullable=False),  # new | busy | ready | partial | full | skipped
    sa.Column("state_at", sa.String(60)),
    sa.Column("claims", sa.Integer, nullable=False, default=0),
    sa.Column("left_model", sa.Integer),  # index into the session's models
    sa.Column("right_model", sa.Integer),
    sa.Column("left_output", JSONText),
    sa.Column("right_output", JSONText),
    sa.Column("left_f1", sa.Float),  # per-document F1 against gold (gold sources only)
    sa.Column("right_f1", sa.Float),
    sa.UniqueConstraint("token", name="uq_ab_item_token"),
    sa.Index("ix_ab_items_next", "session_id", "state", "position"),
)

ab_judgments = sa.Table(
    "ab_judgments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("ab_sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("ab_items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("annotator", sa.String(100), nullable=False),
    sa.Column("choice", sa.String(10)),  # left | right | tie | neither; NULL while waiting
    sa.Column("comment", sa.Text),
    sa.Column("seq", sa.Integer),  # order of judgments within the session
    sa.Column("served_at", sa.String(40), nullable=False),
    sa.Column("judged_at", sa.String(40)),
    sa.UniqueConstraint("item_id", "annotator", name="uq_ab_judgment"),
    sa.Index("ix_ab_judgments_annotator", "session_id", "annotator"),
)

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)


def _m001_initial(conn: Connection) -> None:
    metadata.create_all(
        conn,
        tables=[settings, collections, imports, examples, annotations, models, predictions, evaluations],
    )


def _m010_ab_sessions(conn: Connection) -> None:
    """The three A/B tables, as explicit DDL (SQLite and PostgreSQL)."""
    serial = "SERIAL PRIMARY KEY" if conn.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    for ddl in (
        f"""CREATE TABLE ab_sessions (
            id {serial},
            owner VARCHAR(100) NOT NULL,
            task VARCHAR(10) NOT NULL,
            source VARCHAR(200) NOT NULL,
            collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            gold_hash VARCHAR(64),
            models TEXT NOT NULL,
            blind TEXT NOT NULL,
            settings TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_at VARCHAR(40) NOT NULL)""",
        f"""CREATE TABLE ab_items (
            id {serial},
            session_id INTEGER NOT NULL REFERENCES ab_sessions (id) ON DELETE CASCADE,
            token VARCHAR(40) NOT NULL,
            position INTEGER NOT NULL,
            example_id INTEGER NOT NULL REFERENCES examples (id) ON DELETE CASCADE,
            needed INTEGER NOT NULL,
            coin INTEGER NOT NULL,
            state VARCHAR(10) NOT NULL,
            state_at VARCHAR(60),
            claims INTEGER NOT NULL,
            left_model INTEGER,
            right_model INTEGER,
            left_output TEXT,
            right_output TEXT,
            left_f1 FLOAT,
            right_f1 FLOAT,
            CONSTRAINT uq_ab_item_token UNIQUE (token))""",
        "CREATE INDEX ix_ab_items_next ON ab_items (session_id, state, position)",
        f"""CREATE TABLE ab_judgments (
            id {serial},
            session_id INTEGER NOT NULL REFERENCES ab_sessions (id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES ab_items (id) ON DELETE CASCADE,
            annotator VARCHAR(100) NOT NULL,
            choice VARCHAR(10),
            comment TEXT,
            seq INTEGER,
            served_at VARCHAR(40) NOT NULL,
            judged_at VARCHAR(40),
            CONSTRAINT uq_ab_judgment UNIQUE (item_id, annotator))""",
        "CREATE INDEX ix_ab_judgments_annotator ON ab_judgments (session_id, annotator)",
    ):
        conn.exec_driver_sql(ddl)


#: Ordered, named migrations. Append only.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_initial", _m001_initial),
    ("010_ab_sessions", _m010_ab_sessions),
]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Engine for a database URL; SQLite gets WAL and foreign keys."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    return engine


def lock_for_writing(conn: Connection) -> None:
    """Make writers that check and then write (imports with the leakage guard, splits, moves) take turns.

    Call it first in the transaction. SQLite: ``BEGIN IMMEDIATE`` takes the write lock now (a second writer
    waits up to the busy timeout) so the checks read what the previous writer committed; PostgreSQL: a
    transaction-scoped advisory lock.
    """
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if not getattr(raw, "in_transaction", True):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7226150)"))


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    applied: list[str] = []
    with engine.begin() as conn:
        schema_migrations.create(conn, checkfirst=True)
        done = {r[0] for r in conn.execute(sa.select(schema_migrations.c.name))}
        unknown = sorted(done - {name for name, _ in MIGRATIONS})
        if unknown:
            from evaluator.errors import ConfigError
            raise ConfigError(
                f"This database was written by a newer version of evaluator (schema step(s) {', '.join(unknown)} "
                f"are unknown to this version); opening it could damage it.",
                hint="upgrade evaluator (pip install -U nlp-evaluator, or git pull and make install), "
                     "or use another workspace")
        for name, step in MIGRATIONS:
            if name in done:
                continue
            step(conn)
            conn.execute(schema_migrations.insert().values(name=name, applied_at=utcnow()))
            applied.append(name)
    return applied
