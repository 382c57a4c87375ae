"""Schema migrations: a fresh database, one migrated from release 0.1.0 and the live table definitions agree, and a
workspace made by 0.1.0 opens with its models, predictions and stored results (migrated or recomputed, never
stale)."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from evaluator import db

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspace-0.1.0"
GOLD = "demo-test"


def schema(engine) -> dict:
    """Tables with their columns, primary key, foreign keys, unique constraints and indexes, as the database
    reports them."""
    insp = sa.inspect(engine)
    out = {}
    for t in sorted(insp.get_table_names()):
        out[t] = {
            "columns": [(c["name"], str(c["type"]), bool(c["nullable"])) for c in insp.get_columns(t)],
            "pk": sorted(insp.get_pk_constraint(t)["constrained_columns"]),
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]),
                           (f.get("options") or {}).get("ondelete")) for f in insp.get_foreign_keys(t)),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(t)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)),
        }
    return out


@pytest.fixture
def old_ws(tmp_path) -> Path:
    path = tmp_path / "ws"
    shutil.copytree(FIXTURE, path)
    return path


def test_fresh_migrated_and_live_schemas_agree(old_ws, tmp_path):
    fresh = db.make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert [name for name, _ in db.MIGRATIONS] == db.migrate(fresh)
    migrated = db.make_engine(f"sqlite:///{old_ws / 'workspace.db'}")
    assert db.migrate(migrated) == [name for name, _ in db.MIGRATIONS][1:]  # 0.1.0 had 001_initial only
    live = db.make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    db.metadata.create_all(live)
    s_fresh, s_migrated, s_live = schema(fresh), schema(migrated), schema(live)
    assert s_fresh == s_migrated
    assert s_fresh == s_live
    assert "results" in s_fresh and "evaluations" not in s_fresh
    assert db.migrate(migrated) == []  # nothing left to do


def test_migration_001_is_frozen_ddl_not_the_live_tables():
    import inspect

    src = inspect.getsource(db._m001_initial)
    assert "metadata.create_all" not in src and "m.create_all(conn)" in src
    for step_name, step in db.MIGRATIONS:
        assert "metadata." not in inspect.getsource(step), step_name


def test_a_workspace_of_release_0_1_0_opens_with_everything(old_ws, monkeypatch):
    with sqlite3.connect(old_ws / "workspace.db") as raw:
        n_pred = raw.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
        old_evals = {name: json.loads(res) for name, res in raw.execute(
            "SELECT m.name, e.result FROM evaluations e JOIN models m ON m.id = e.model_id")}
        [old_curve] = [json.loads(v) for (v,) in raw.execute("SELECT value FROM settings WHERE key LIKE 'curve:%'")]
    [old_cmp] = [json.loads(p.read_text()) for p in (old_ws / "reports" / "comparisons").glob("*.json")]
    assert n_pred > 0 and len(old_evals) == 2

    from evaluator.models import list_models
    from evaluator.predictions import predict
    from evaluator.scoring.compare import compare_models
    from evaluator.scoring.curves import learning_curve, stored_curves
    from evaluator.scoring.evaluate import evaluate_models
    from evaluator.workspace import open_workspace

    ws = open_workspace(old_ws)
    models = {m["name"]: m for m in list_models(ws)}
    assert list(models) == ["round-1-crf-ner", "round-2-crf-ner"]
    assert models["round-2-crf-ner"]["lineage"]["parent"] == "round-1-crf-ner"
    assert sum(m["predictions"] for m in models.values()) == n_pred
    # the stored predictions kept their values and pass the checksums the migration gave them
    for name in models:
        again = predict(ws, name, f"gold:{GOLD}")
        assert again["computed"] == 0 and again["recomputed"] == 0

    # the curve moved into the results table and is found again for the same plan, without training
    [curve] = stored_curves(ws)
    assert curve["points"] == old_curve["points"] and curve["verdict"] == old_curve["verdict"]
    from evaluator.training import base

    def no_training(*a, **k):
        raise AssertionError("the migrated curve should have been reused")

    monkeypatch.setattr(base.get_trainer("crf-ner"), "train", no_training)
    reused = learning_curve(ws, trainer="crf-ner", round=2, gold=GOLD)
    assert reused["reused"] and reused["points"] == old_curve["points"]
    monkeypatch.undo()

    # evaluations were dropped, so they are recomputed (from the stored predictions): the same numbers
    evals = {e["model"]: e for e in evaluate_models(ws, GOLD)}
    for name, old in old_evals.items():
        assert not evals[name]["reused"]
        assert evals[name]["micro"] == old["micro"] and evals[name]["ci95"] == old["ci95"]
    # the old comparison file is not read; the comparison is computed again, with the same numbers
    res = compare_models(ws, GOLD, "round-1-crf-ner", "round-2-crf-ner")
    assert not res["reused"] and res["delta"] == old_cmp["delta"] and res["ci95"] == old_cmp["ci95"]
