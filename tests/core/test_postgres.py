"""The same workflow on a real PostgreSQL server.

The server comes from the ``pg_url`` fixture (tests/conftest.py): $EVALUATOR_TEST_PG_URL when set, otherwise a
throw-away cluster started with the machine's PostgreSQL binaries; skips when there are none.
"""
from __future__ import annotations

import pytest

from evaluator.errors import FrozenError, LeakageError
from evaluator.gold import freeze, gold_records, verify
from evaluator.importer import import_file
from evaluator.store import status
from evaluator.workspace import init_workspace

from .helpers import GOLD, TRAIN, run_together, write_jsonl


def test_import_freeze_verify_and_guard_on_postgres(pg_url, tmp_path):
    pytest.importorskip("psycopg")
    ws = init_workspace(tmp_path / "ws", task="ner", db_url=pg_url)
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:test")
    info = freeze(ws, "test")
    assert verify(ws, "test")["content_hash"] == info["content_hash"]
    with pytest.raises(LeakageError):
        import_file(ws, write_jsonl(tmp_path / "leak.jsonl", GOLD[:1]), into="round:1")
    with pytest.raises(FrozenError):
        import_file(ws, write_jsonl(tmp_path / "more.jsonl", TRAIN[:1]), into="gold:test")
    r = import_file(ws, write_jsonl(tmp_path / "r.jsonl", TRAIN), into="round:1")
    assert r["examples"] == 3
    s = status(ws)
    assert s["rounds"][0]["examples"] == 3 and s["gold_sets"][0]["frozen"]
    row, recs = gold_records(ws, "test")
    assert len(recs) == 4 and row["gold_hash"] == info["content_hash"]
    # the same content hash as on SQLite: hashes do not depend on the backend
    ws_sqlite = init_workspace(tmp_path / "ws2", task="ner")
    import_file(ws_sqlite, tmp_path / "g.jsonl", into="gold:test")
    assert freeze(ws_sqlite, "test")["content_hash"] == info["content_hash"]


def test_concurrent_predictions_and_results_on_postgres(pg_url, tmp_path):
    """Two sessions scoring the same new model at once (insert-or-ignore on the natural key), on PostgreSQL."""
    import sqlalchemy as sa

    from evaluator import db
    from evaluator.demo import build_demo
    from evaluator.models import get_model, train_round
    from evaluator.predictions import predict
    from evaluator.scoring.evaluate import evaluate_models
    from evaluator.workspace import open_workspace

    import uuid
    name = f"c{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = pg_url.replace("/postgres?", f"/{name}?")
    build_demo(tmp_path / "pgdemo", db_url=url)
    ws = open_workspace(tmp_path / "pgdemo", db_url=url)
    train_round(ws, 1, trainer="crf-ner")
    def score():
        predict(ws, "round-1-crf-ner", "pool", batch_size=8)
        evaluate_models(ws, "demo-test", resamples=200)

    assert run_together(score, 4) == []
    m = get_model(ws, "round-1-crf-ner")
    with ws.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.select(db.predictions.c.example_id)
                                          .where(db.predictions.c.model_id == m["id"]))]
        n_results = conn.execute(sa.select(sa.func.count()).select_from(db.results)
                                 .where(db.results.c.kind == "evaluation")).scalar_one()
    assert len(ids) == len(set(ids)) == m["predictions"] > 150 and n_results == 1
