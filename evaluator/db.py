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
    # the leakage guard's second key: letters and digits of the normalized text (030_leakage_keys)
    sa.Column("loose_hash", sa.String(32), index=True),
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
    # added by 020_annotation_source: who made the answer (NULL = imported or made before labeling existed)
    sa.Column("source", sa.String(20)),  # manual | auto | review
    sa.Column("moved_from", sa.Integer),  # collection the answer moved the example out of (undo moves it back)
    sa.Column("confidence", sa.Float),  # the model's confidence behind an auto-accepted answer
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
    # sha256 over (artifact hash, input hash, payload): a row that does not match is recomputed
    sa.Column("checksum", sa.String(64)),
    sa.UniqueConstraint("model_id", "example_id", name="uq_prediction"),
)

# Every computed result (evaluations, comparisons, learning curves, ...): one row per (kind, key), where the key
# is a hash of everything the result was computed from (gold content hash, artifact hashes, settings, version).
results = sa.Table(
    "results", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE")),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE")),
    sa.Column("gold_hash", sa.String(64)),
    sa.Column("artifacts", JSONText),
    sa.Column("settings", JSONText, nullable=False),
    sa.Column("payload", JSONText, nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("kind", "key", name="uq_result"),
    sa.Index("ix_results_kind_model", "kind", "model_id"),
)

# which examples a trained model was trained on, so that a gold set made later (a split, an import, a move) that
# shares texts with them is flagged wherever the model's scores are shown
training_examples = sa.Table(
    "training_examples", metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_training_examples_example", "example_id"),
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

# added by 021_confidences: a model's confidence per example (active learning), cached per model artifact
confidences = sa.Table(
    "confidences", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False),
    sa.Column("artifact_hash", sa.String(64), nullable=False),
    # confidence under each uncertainty measure, in [0, 1], higher = surer (see evaluator.active)
    sa.Column("least_confident", sa.Float, nullable=False),
    sa.Column("margin", sa.Float, nullable=False),
    sa.Column("entropy", sa.Float, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("model_id", "example_id", name="uq_confidence"),
)

# A counter per collection, per model and for the settings, bumped by database triggers on every write to the
# rows they cover (see _m040_content_versions): caches key on them, so a write invalidates only what it changed.
content_versions = sa.Table(
    "content_versions", metadata,
    sa.Column("name", sa.String(100), primary_key=True),  # collection:ID | model:ID | results:KIND | settings
    sa.Column("version", sa.BigInteger, nullable=False),
)

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)


# ------------------------------------------------------------------------------------------------ migrations
# Each step is frozen once shipped: it spells out its own DDL (never the live tables above, which move on) and
# any data it moves. tests/core/test_migrations.py checks that a fresh database, a database migrated from the
# 0.1.0 fixture and the live table definitions agree.

def _m001_initial(conn: Connection) -> None:
    m = sa.MetaData()
    t = sa.Text
    sa.Table("settings", m, sa.Column("key", sa.String(100), primary_key=True), sa.Column("value", t, nullable=False))
    sa.Table("collections", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("kind", sa.String(10), nullable=False),
             sa.Column("name", sa.String(200), nullable=False),
             sa.Column("version", sa.Integer, nullable=False),
             sa.Column("frozen_at", sa.String(40)),
             sa.Column("content_hash", sa.String(64)),
             sa.Column("note", t),
             sa.Column("created_at", sa.String(40), nullable=False),
             sa.UniqueConstraint("kind", "name", "version", name="uq_collection"))
    sa.Table("imports", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"),
                       nullable=False),
             sa.Column("file_name", t, nullable=False),
             sa.Column("file_sha256", sa.String(64), nullable=False),
             sa.Column("format", sa.String(50), nullable=False),
             sa.Column("report", t),
             sa.Column("created_at", sa.String(40), nullable=False),
             sa.UniqueConstraint("collection_id", "file_sha256", name="uq_import_once"))
    sa.Table("examples", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"),
                       nullable=False, index=True),
             sa.Column("position", sa.Integer, nullable=False),
             sa.Column("text", t, nullable=False),
             sa.Column("input_hash", sa.String(32), nullable=False, index=True),
             sa.Column("tokens", t),
             sa.Column("meta", t),
             sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id", ondelete="SET NULL")),
             sa.Column("created_at", sa.String(40), nullable=False))
    sa.Table("annotations", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False,
                       index=True),
             sa.Column("answer", sa.String(10), nullable=False),
             sa.Column("spans", t),
             sa.Column("label", sa.String(200)),
             sa.Column("annotator", sa.String(100), nullable=False),
             sa.Column("created_at", sa.String(40), nullable=False))
    sa.Table("models", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(200), nullable=False, unique=True),
             sa.Column("kind", sa.String(20), nullable=False),
             sa.Column("trainer", sa.String(50)),
             sa.Column("round", sa.Integer),
             sa.Column("parent_id", sa.Integer, sa.ForeignKey("models.id", ondelete="SET NULL")),
             sa.Column("artifact_path", t),
             sa.Column("artifact_hash", sa.String(64)),
             sa.Column("config", t),
             sa.Column("train_hash", sa.String(64)),
             sa.Column("train_counts", t),
             sa.Column("versions", t),
             sa.Column("seed", sa.Integer),
             sa.Column("seconds", sa.Float),
             sa.Column("created_at", sa.String(40), nullable=False))
    sa.Table("predictions", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
             sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False),
             sa.Column("spans", t),
             sa.Column("label", sa.String(200)),
             sa.Column("scores", t),
             sa.UniqueConstraint("model_id", "example_id", name="uq_prediction"))
    sa.Table("evaluations", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
             sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"),
                       nullable=False),
             sa.Column("gold_hash", sa.String(64), nullable=False),
             sa.Column("settings_key", sa.String(64), nullable=False),
             sa.Column("settings", t, nullable=False),
             sa.Column("result", t, nullable=False),
             sa.Column("created_at", sa.String(40), nullable=False),
             sa.UniqueConstraint("model_id", "collection_id", "settings_key", name="uq_evaluation"))
    m.create_all(conn)


def _m002_results(conn: Connection) -> None:
    """One results table; curves move into it from ``settings``; stored evaluations are dropped (they are
    recomputed from the stored predictions on the next evaluation, never shown stale); predictions get a
    checksum, filled for the rows already there."""
    import hashlib

    m = sa.MetaData()
    t = sa.Text
    sa.Table("collections", m, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("models", m, sa.Column("id", sa.Integer, primary_key=True))
    res = sa.Table("results", m,
                   sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("kind", sa.String(40), nullable=False),
                   sa.Column("key", sa.String(64), nullable=False),
                   sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE")),
                   sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE")),
                   sa.Column("gold_hash", sa.String(64)),
                   sa.Column("artifacts", t),
                   sa.Column("settings", t, nullable=False),
                   sa.Column("payload", t, nullable=False),
                   sa.Column("checksum", sa.String(64), nullable=False),
                   sa.Column("version", sa.Integer, nullable=False),
                   sa.Column("created_at", sa.String(40), nullable=False),
                   sa.UniqueConstraint("kind", "key", name="uq_result"),
                   sa.Index("ix_results_kind_model", "kind", "model_id"))
    res.create(conn)

    def dumps(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # learning curves: settings rows "curve:<40 hex>" holding the curve with its plan; key = sha256(plan JSON)
    for key, value in conn.execute(sa.text("SELECT key, value FROM settings WHERE key LIKE 'curve:%'")).all():
        curve = json.loads(value)
        plan = curve.get("plan") or {}
        payload = dumps(curve)
        conn.execute(sa.text(
            "INSERT INTO results (kind, key, model_id, collection_id, gold_hash, artifacts, settings, payload, "
            "checksum, version, created_at) VALUES ('curve', :key, NULL, NULL, :gold_hash, NULL, :settings, "
            ":payload, :checksum, 1, :created_at)"),
            {"key": sha(json.dumps(plan, sort_keys=True)), "gold_hash": plan.get("gold_hash"),
             "settings": dumps(plan), "payload": payload, "checksum": sha(payload),
             "created_at": curve.get("created_at") or utcnow()})
        conn.execute(sa.text("DELETE FROM settings WHERE key = :key"), {"key": key})
    conn.execute(sa.text("DROP TABLE evaluations"))

    conn.execute(sa.text("ALTER TABLE predictions ADD COLUMN checksum VARCHAR(64)"))
    rows = conn.execute(sa.text(
        "SELECT p.id, m.artifact_hash, e.text, p.spans, p.label, p.scores FROM predictions p "
        "JOIN models m ON m.id = p.model_id JOIN examples e ON e.id = p.example_id")).all()
    for pid, artifact, text, spans, label, scores in rows:
        body = dumps({"spans": json.loads(spans) if spans else [], "label": label,
                      "scores": json.loads(scores) if scores else None})
        conn.execute(sa.text("UPDATE predictions SET checksum = :c WHERE id = :id"),
                     {"c": sha(f"{artifact or ''}\n{text}\n{body}"), "id": pid})


def _m003_training_examples(conn: Connection) -> None:
    """Which examples each trained model saw (filled for models trained from now on)."""
    m = sa.MetaData()
    sa.Table("models", m, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("examples", m, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("training_examples", m,
             sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
             sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), primary_key=True),
             sa.Index("ix_training_examples_example", "example_id")).create(conn)


def _m010_ab_sessions(conn: Connection) -> None:
    """The three A/B tables: sessions, their items (one per drawn example) and judgments (one per item and
    annotator)."""
    m = sa.MetaData()
    t, n = sa.Text, sa.Integer
    sa.Table("collections", m, sa.Column("id", n, primary_key=True))
    sa.Table("examples", m, sa.Column("id", n, primary_key=True))

    def fk(table: str) -> sa.ForeignKey:
        return sa.ForeignKey(f"{table}.id", ondelete="CASCADE")

    sessions = sa.Table(
        "ab_sessions", m, sa.Column("id", n, primary_key=True), sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("task", sa.String(10), nullable=False), sa.Column("source", sa.String(200), nullable=False),
        sa.Column("collection_id", n, fk("collections"), nullable=False), sa.Column("gold_hash", sa.String(64)),
        sa.Column("models", t, nullable=False), sa.Column("blind", t, nullable=False),
        sa.Column("settings", t, nullable=False), sa.Column("size", n, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False))
    items = sa.Table(
        "ab_items", m, sa.Column("id", n, primary_key=True), sa.Column("session_id", n, fk("ab_sessions"), nullable=False),
        sa.Column("token", sa.String(40), nullable=False), sa.Column("position", n, nullable=False),
        sa.Column("example_id", n, fk("examples"), nullable=False), sa.Column("needed", n, nullable=False),
        sa.Column("coin", n, nullable=False), sa.Column("state", sa.String(10), nullable=False),
        sa.Column("state_at", sa.String(60)), sa.Column("claims", n, nullable=False),
        *[sa.Column(f"{side}_model", n) for side in ("left", "right")],
        *[sa.Column(f"{side}_output", t) for side in ("left", "right")],
        *[sa.Column(f"{side}_f1", sa.Float) for side in ("left", "right")],
        sa.UniqueConstraint("token", name="uq_ab_item_token"),
        sa.Index("ix_ab_items_next", "session_id", "state", "position"))
    judgments = sa.Table(
        "ab_judgments", m, sa.Column("id", n, primary_key=True),
        sa.Column("session_id", n, fk("ab_sessions"), nullable=False),
        sa.Column("item_id", n, fk("ab_items"), nullable=False), sa.Column("annotator", sa.String(100), nullable=False),
        sa.Column("choice", sa.String(10)), sa.Column("comment", t), sa.Column("seq", n),
        sa.Column("served_at", sa.String(40), nullable=False), sa.Column("judged_at", sa.String(40)),
        sa.UniqueConstraint("item_id", "annotator", name="uq_ab_judgment"),
        sa.Index("ix_ab_judgments_annotator", "session_id", "annotator"))
    m.create_all(conn, tables=[sessions, items, judgments])


def _m020_annotation_source(conn: Connection) -> None:
    """annotations.source (manual | auto | review), .moved_from (collection id) and .confidence (float)."""
    for name, ddl in (("source", "VARCHAR(20)"), ("moved_from", "INTEGER"), ("confidence", "FLOAT")):
        conn.execute(sa.text(f"ALTER TABLE annotations ADD COLUMN {name} {ddl}"))


def _m021_confidences(conn: Connection) -> None:
    """The confidences table, defined here as it shipped (later changes are new steps)."""
    md = sa.MetaData()
    sa.Table("models", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("examples", md, sa.Column("id", sa.Integer, primary_key=True))
    table = sa.Table(
        "confidences", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
        sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False),
        sa.Column("artifact_hash", sa.String(64), nullable=False),
        sa.Column("least_confident", sa.Float, nullable=False),
        sa.Column("margin", sa.Float, nullable=False),
        sa.Column("entropy", sa.Float, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("model_id", "example_id", name="uq_confidence"),
    )
    table.create(conn)


def _m030_leakage_keys(conn: Connection) -> None:
    """Leakage guard keys that Unicode cannot fool: ``examples.loose_hash`` (letters and digits only) and both
    keys recomputed with NFKC, format characters dropped and confusables folded (:func:`records.guard_keys`)."""
    from evaluator.records import guard_keys

    conn.execute(sa.text("ALTER TABLE examples ADD COLUMN loose_hash VARCHAR(32)"))
    conn.execute(sa.text("CREATE INDEX ix_examples_loose_hash ON examples (loose_hash)"))
    last = 0
    while True:
        rows = conn.execute(sa.text("SELECT id, text FROM examples WHERE id > :last ORDER BY id LIMIT 5000"),
                            {"last": last}).all()
        if not rows:
            break
        conn.execute(sa.text("UPDATE examples SET input_hash = :h, loose_hash = :l WHERE id = :id"),
                     [{"id": i, "h": h, "l": l} for i, (h, l) in ((i, guard_keys(t)) for i, t in rows)])
        last = rows[-1][0]


def _m040_content_versions(conn: Connection) -> None:
    """The ``content_versions`` table and the triggers that bump it (SQLite: per row; PostgreSQL: per statement
    over its transition tables). Other databases get the table without triggers (nothing is cached there)."""
    # (table, key of one changed row in SQLite trigger SQL with {row} = NEW or OLD, the same as a query over the
    # changed rows r of a PostgreSQL transition table {rows})
    versioned = [
        ("collections", "'collection:' || {row}.id", "'collection:' || r.id FROM {rows} r"),
        ("examples", "'collection:' || {row}.collection_id", "'collection:' || r.collection_id FROM {rows} r"),
        ("annotations", "(SELECT 'collection:' || collection_id FROM examples WHERE id = {row}.example_id)",
         "'collection:' || e.collection_id FROM {rows} r JOIN examples e ON e.id = r.example_id"),
        ("models", "'model:' || {row}.id", "'model:' || r.id FROM {rows} r"),
        ("predictions", "'model:' || {row}.model_id", "'model:' || r.model_id FROM {rows} r"),
        ("results", "COALESCE('model:' || {row}.model_id, 'results:' || {row}.kind)",
         "COALESCE('model:' || r.model_id, 'results:' || r.kind) FROM {rows} r"),
        ("training_examples", "'model:' || {row}.model_id", "'model:' || r.model_id FROM {rows} r"),
        ("settings", "'settings'", "'settings' FROM {rows} r"),
    ]
    conn.exec_driver_sql("CREATE TABLE content_versions (name VARCHAR(100) NOT NULL PRIMARY KEY, "
                         "version BIGINT NOT NULL)")
    _version_triggers(conn, versioned)


def _version_triggers(conn: Connection, versioned: list[tuple[str, str, str]]) -> None:
    """Triggers that bump ``content_versions`` on every write to each (table, SQLite key, PostgreSQL key)."""
    upsert = ("INSERT INTO content_versions (name, version) SELECT k, 1 FROM ({keys}) AS changed WHERE k IS NOT "
              "NULL ON CONFLICT (name) DO UPDATE SET version = content_versions.version + 1")
    for table, row_key, rows_key in versioned:
        if conn.dialect.name == "sqlite":
            for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
                body = " ".join(upsert.format(keys=f"SELECT {row_key.format(row=r)} AS k") + ";" for r in rows)
                conn.exec_driver_sql(f"CREATE TRIGGER cv_{table}_{event.lower()} AFTER {event} ON {table} "
                                     f"BEGIN {body} END")
        elif conn.dialect.name == "postgresql":
            for event, refs in (("INSERT", {"NEW": "new_rows"}), ("UPDATE", {"OLD": "old_rows", "NEW": "new_rows"}),
                                ("DELETE", {"OLD": "old_rows"})):
                keys = " UNION ".join(f"SELECT {rows_key.format(rows=name)}" for name in refs.values())
                fn = f"cv_{table}_{event.lower()}"
                conn.exec_driver_sql(f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                     f"{upsert.format(keys=f'SELECT DISTINCT k FROM ({keys}) AS u(k)')}; "
                                     "RETURN NULL; END $$")
                referencing = " ".join(f"{kind} TABLE AS {name}" for kind, name in refs.items())
                conn.exec_driver_sql(f"CREATE TRIGGER {fn} AFTER {event} ON {table} REFERENCING {referencing} "
                                     f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()")


def _m041_more_content_versions(conn: Connection) -> None:
    """Content versions for what 040 missed: A/B sessions, items and judgments bump ``ab``; a model's cached
    confidences bump the model."""
    if conn.dialect.name not in ("sqlite", "postgresql"):
        return
    _version_triggers(conn, [
        ("ab_sessions", "'ab'", "'ab' FROM {rows} r"),
        ("ab_items", "'ab'", "'ab' FROM {rows} r"),
        ("ab_judgments", "'ab'", "'ab' FROM {rows} r"),
        ("confidences", "'model:' || {row}.model_id", "'model:' || r.model_id FROM {rows} r"),
    ])


#: Ordered, named migrations. Append only; never edit a step that has shipped.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_initial", _m001_initial),
    ("002_results", _m002_results),
    ("003_training_examples", _m003_training_examples),
    ("010_ab_sessions", _m010_ab_sessions),
    ("020_annotation_source", _m020_annotation_source),
    ("021_confidences", _m021_confidences),
    ("030_leakage_keys", _m030_leakage_keys),
    ("040_content_versions", _m040_content_versions),
    ("041_more_content_versions", _m041_more_content_versions),
]


def content_versions_of(conn: Connection) -> dict[str, int]:
    """Every content version: ``{"collection:ID": n, "model:ID": n, "results:KIND": n, "settings": n}`` (missing
    = 0)."""
    return {name: int(v) for name, v in conn.execute(sa.select(content_versions.c.name, content_versions.c.version))}


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


def _insert(conn: Connection, table: sa.Table):
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(conn.dialect.name)
    return insert(table)


def insert_ignore(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], *, keys: tuple[str, ...]) -> None:
    """Insert rows, skipping those whose ``keys`` (a unique constraint) exist already, also when another
    session inserts them at the same moment (``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL)."""
    if rows:
        conn.execute(_insert(conn, table).on_conflict_do_nothing(index_elements=list(keys)), rows)


def upsert(conn: Connection, table: sa.Table, values: dict[str, Any], *, keys: tuple[str, ...]) -> None:
    """Insert a row or, when its ``keys`` (a unique constraint) exist, replace its other columns."""
    stmt = _insert(conn, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={k: stmt.excluded[k] for k in values if k not in keys})
    conn.execute(stmt)


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    applied: list[str] = []
    with engine.connect() as conn:  # the usual case, up to date, reads without waiting for a writer
        if sa.inspect(conn).has_table("schema_migrations"):
            done = {r[0] for r in conn.execute(sa.select(schema_migrations.c.name))}
            if done == {name for name, _ in MIGRATIONS}:
                return applied
    with engine.begin() as conn:
        lock_for_writing(conn)  # two processes opening a new workspace at once: the second waits, then sees it
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
