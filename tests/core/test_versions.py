"""Content versions: every write bumps the version of exactly the collections and models it changes (the keys of
the app's caches), on SQLite and on PostgreSQL, whoever writes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from evaluator import db
from evaluator.gold import freeze
from evaluator.importer import import_file, move_examples
from evaluator.store import content_versions, get_collection
from evaluator.workspace import init_workspace

from .helpers import GOLD, TRAIN, ner_line, write_jsonl


LABELS = ["PER", "ORG", "LOC"]


@pytest.fixture
def ws(db_kind, tmp_path):
    return init_workspace(tmp_path / "ws", task="ner", labels=LABELS, db_url=db_kind(tmp_path / "ws"))


def changed(before: dict, after: dict) -> set[str]:
    return {k for k in set(before) | set(after) if before.get(k, 0) != after.get(k, 0)}


def test_writes_bump_exactly_what_they_change(ws, tmp_path):
    v0 = content_versions(ws)
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:test")
    gold = get_collection(ws, "gold:test")["id"]
    v1 = content_versions(ws)
    assert changed(v0, v1) == {f"collection:{gold}"}

    import_file(ws, write_jsonl(tmp_path / "r.jsonl", TRAIN), into="round:1")
    round1 = get_collection(ws, "round:1")["id"]
    v2 = content_versions(ws)
    assert changed(v1, v2) == {f"collection:{round1}"}  # the gold set's cached results stay valid

    freeze(ws, "test")
    v3 = content_versions(ws)
    assert changed(v2, v3) == {f"collection:{gold}"}

    # an annotation written by anyone (here: plain SQL) bumps the collection of its example
    with ws.engine.begin() as conn:
        ex = conn.execute(sa.select(db.examples.c.id).where(db.examples.c.collection_id == round1)).first()[0]
        conn.execute(db.annotations.insert().values(example_id=ex, answer="reject", annotator="x",
                                                    created_at=db.utcnow()))
    v4 = content_versions(ws)
    assert changed(v3, v4) == {f"collection:{round1}"}

    import_file(ws, write_jsonl(tmp_path / "p.jsonl", [ner_line("A pool text .")]), into="pool")
    pool = get_collection(ws, "pool")["id"]
    v5 = content_versions(ws)
    with ws.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.select(db.examples.c.id).where(db.examples.c.collection_id == pool))]
    move_examples(ws, ids, to="round:1")
    assert changed(v5, content_versions(ws)) == {f"collection:{pool}", f"collection:{round1}"}


def test_models_predictions_and_settings_have_their_own_versions(ws):
    v0 = content_versions(ws)
    with ws.engine.begin() as conn:
        mid = conn.execute(db.models.insert().values(name="m", kind="predictions", created_at=db.utcnow())
                           ).inserted_primary_key[0]
    v1 = content_versions(ws)
    assert changed(v0, v1) == {f"model:{mid}"}
    ws.add_labels(["MISC"])
    v2 = content_versions(ws)
    assert changed(v1, v2) == {"settings"}
    with ws.engine.begin() as conn:  # a stored evaluation belongs to its model; a curve to the curves
        for kind, model in (("evaluation", mid), ("curve", None)):
            conn.execute(db.results.insert().values(kind=kind, key=f"k-{kind}", model_id=model, settings={},
                                                    payload={}, checksum="x", version=1, created_at=db.utcnow()))
    v3 = content_versions(ws)
    assert changed(v2, v3) == {f"model:{mid}", "results:curve"}
    v2 = v3
    with ws.engine.begin() as conn:
        conn.execute(db.models.delete().where(db.models.c.id == mid))
    assert changed(v2, content_versions(ws)) == {f"model:{mid}"}


def test_ab_sessions_and_confidences_bump_their_versions(ws, tmp_path):
    """Migration 041: the A/B tables bump ``ab`` (the A/B page's caches) and a model's confidences bump the model."""
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", TRAIN), into="round:1")
    round1 = get_collection(ws, "round:1")["id"]
    with ws.engine.begin() as conn:
        mid = conn.execute(db.models.insert().values(name="m", kind="predictions", created_at=db.utcnow())
                           ).inserted_primary_key[0]
        ex = conn.execute(sa.select(db.examples.c.id).where(db.examples.c.collection_id == round1)).first()[0]
    v0 = content_versions(ws)
    with ws.engine.begin() as conn:
        sid = conn.execute(db.ab_sessions.insert().values(
            owner="t", task="ner", source="round:1", collection_id=round1, models=[], blind={}, settings={}, size=1,
            created_at=db.utcnow())).inserted_primary_key[0]
    v1 = content_versions(ws)
    assert changed(v0, v1) == {"ab"}
    with ws.engine.begin() as conn:
        item = conn.execute(db.ab_items.insert().values(session_id=sid, token="tok", position=0, example_id=ex,
                                                        needed=1, coin=1, state="new", claims=0)
                            ).inserted_primary_key[0]
        conn.execute(db.ab_judgments.insert().values(session_id=sid, item_id=item, annotator="x", choice="left",
                                                     served_at=db.utcnow()))
    v2 = content_versions(ws)
    assert changed(v1, v2) == {"ab"} and v2["ab"] > v1["ab"] + 1
    with ws.engine.begin() as conn:
        conn.execute(db.confidences.insert().values(model_id=mid, example_id=ex, artifact_hash="h",
                                                    least_confident=0.5, margin=0.5, entropy=0.5,
                                                    created_at=db.utcnow()))
    assert changed(v2, content_versions(ws)) == {f"model:{mid}"}
