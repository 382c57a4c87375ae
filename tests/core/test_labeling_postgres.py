"""Labeling on a real PostgreSQL server: stream, save (moving out of the pool), undo, confidences, agreement."""
from __future__ import annotations

import pytest

from evaluator import labeling
from evaluator.importer import import_file
from evaluator.store import load_records
from evaluator.workspace import init_workspace

from .helpers import GOLD, TRAIN, write_jsonl


def test_labeling_round_trip_on_postgres(pg_database, tmp_path):
    pytest.importorskip("psycopg")
    from evaluator.models import train_round

    ws = init_workspace(tmp_path / "ws", task="ner", labels=["PER", "ORG", "LOC"], db_url=pg_database())
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", TRAIN), into="round:1")
    import_file(ws, write_jsonl(tmp_path / "p.jsonl", [{"text": g["text"]} for g in GOLD]), into="pool")
    model = train_round(ws, 1, trainer="crf-ner", config={"max_iterations": 10})["name"]
    items = labeling.next_items(ws, target="round:2", strategy="uncertainty", model=model, n=10, suggest=True)
    assert len(items) == len(GOLD) and [i.confidence for i in items] == sorted(i.confidence for i in items)
    first = items[0]
    labeling.save_answer(ws, first.example_id, target="round:2", answer="accept", annotator="ann",
                         spans=labeling.add_span(first.tokens, [], 0, 0, "PER"))
    labeling.save_answer(ws, first.example_id, target="round:2", answer="accept", annotator="bob",
                         spans=labeling.add_span(first.tokens, [], 0, 0, "ORG"))
    assert labeling.agreement(ws, "round:2")["f1"] == 0.0
    prog = labeling.round_progress(ws, 2)
    assert prog["examples"] == 1 and prog["pool_left"] == len(GOLD) - 1
    assert labeling.undo_answer(ws, target="round:2", annotator="bob")["moved_back"] is False
    assert labeling.undo_answer(ws, target="round:2", annotator="ann")["moved_back"] is True
    assert len(load_records(ws, "pool", answers=None)) == len(GOLD)
    res = labeling.auto_accept(ws, round=2, model=model, threshold=min(i.confidence for i in items))
    assert res["accepted"] == len(GOLD) and labeling.round_progress(ws, 2)["auto_accepted"] == len(GOLD)
