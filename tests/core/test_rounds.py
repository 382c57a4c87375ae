"""Rounds: split one file into rounds of given sizes, move an import or a round, delete a round, the next free
round (issue 7, items 5 and 14)."""
from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import ConfigError, LeakageError, NotFoundError
from evaluator.importer import delete_round, import_file, move_data
from evaluator.store import list_imports, load_records, next_round, status

from .helpers import GOLD, TRAIN, ner_line, write_jsonl

ROWS = [ner_line(f"Person{k} works for Company{k} in Town{k} .", [(0, 0, "PER"), (3, 3, "ORG"), (5, 5, "LOC")])
        for k in range(20)]


def _texts(ws, target) -> list[str]:
    return [r.text for r in load_records(ws, target, answers=None)]


def _count(ws, table) -> int:
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def test_sizes_fill_consecutive_rounds_in_file_order(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    f = write_jsonl(tmp_path / "all.jsonl", ROWS)
    r = import_file(ws, f, into="round:2", sizes="3,5,7")
    texts = [row["text"] for row in ROWS]
    assert (_texts(ws, "round:2"), _texts(ws, "round:3"), _texts(ws, "round:4")) == \
        (texts[:3], texts[3:8], texts[8:15])
    assert [x["target"] for x in r["rounds"]] == ["round:2", "round:3", "round:4"]
    assert [x["examples"] for x in r["rounds"]] == [3, 5, 7] and r["examples"] == 15 and r["left_out"] == 5
    assert import_file(ws, f, into="round:2", sizes="3,5,7")["already_imported"] is True
    assert next_round(ws) == 5


def test_shuffled_sizes_follow_the_seed_and_keep_file_order_inside_a_round(tmp_workspace, tmp_path):
    f = write_jsonl(tmp_path / "all.jsonl", ROWS)
    texts = [row["text"] for row in ROWS]
    order = list(range(20))
    random.Random(7).shuffle(order)
    expected = [[texts[i] for i in sorted(order[:4])], [texts[i] for i in sorted(order[4:10])]]
    ws = tmp_workspace("ner")
    import_file(ws, f, into="round:1", sizes=[4, 6], shuffle=True, seed=7)
    assert [_texts(ws, "round:1"), _texts(ws, "round:2")] == expected
    other = tmp_workspace("ner")
    import_file(other, f, into="round:1", sizes=[4, 6], shuffle=True, seed=8)
    assert _texts(other, "round:1") != expected[0]


def test_sizes_are_all_or_nothing(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "gold.jsonl", GOLD), into="gold:test")
    before = _count(ws, db.examples), _count(ws, db.imports)
    f = write_jsonl(tmp_path / "all.jsonl", ROWS)
    with pytest.raises(ConfigError, match="fewer than the round sizes"):
        import_file(ws, f, into="round:1", sizes=[10, 11])
    with pytest.raises(ConfigError, match="only split a file into annotation rounds"):
        import_file(ws, f, into="pool", sizes=[10])
    with pytest.raises(ConfigError, match="Bad round sizes"):
        import_file(ws, f, into="round:1", sizes="10,x")
    leaky = write_jsonl(tmp_path / "leaky.jsonl", ROWS[:5] + GOLD[:1])
    with pytest.raises(LeakageError):
        import_file(ws, leaky, into="round:1", sizes=[2, 2])
    assert (_count(ws, db.examples), _count(ws, db.imports)) == before
    assert status(ws)["rounds"] == []


def test_move_a_whole_import_then_a_round(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    one = write_jsonl(tmp_path / "one.jsonl", ROWS[:4])
    two = write_jsonl(tmp_path / "two.jsonl", ROWS[4:10])
    import_file(ws, one, into="round:1")
    import_file(ws, two, into="round:1")  # the mistake: round 2's file went into round 1
    [_, second] = list_imports(ws, target="round:1")
    assert (second["file"], second["examples"]) == ("two.jsonl", 6)
    r = move_data(ws, f"import:{second['id']}", to="round:2")
    assert r["moved"] == 6
    assert _texts(ws, "round:1") == [x["text"] for x in ROWS[:4]]
    assert _texts(ws, "round:2") == [x["text"] for x in ROWS[4:10]]
    assert [x["target"] for x in list_imports(ws)] == ["round:1", "round:2"]
    assert import_file(ws, two, into="round:2")["already_imported"] is True  # the import moved with its rows
    assert load_records(ws, "round:2")[0].spans  # annotations came along
    # a whole round onto another: appended after its examples, the emptied round is gone
    move_data(ws, "round:2", to="round:1")
    assert _texts(ws, "round:1") == [x["text"] for x in ROWS[:10]]
    assert [x["round"] for x in status(ws)["rounds"]] == [1]


def test_moves_respect_gold_sets_models_and_the_leakage_guard(tmp_workspace, tmp_path):
    from evaluator.models import train_round

    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "gold.jsonl", GOLD), into="gold:test")
    import_file(ws, write_jsonl(tmp_path / "r1.jsonl", TRAIN), into="round:1")
    import_file(ws, write_jsonl(tmp_path / "r2.jsonl", ROWS[:5]), into="round:2")
    with pytest.raises(ConfigError, match="gold-set examples are not moved"):
        move_data(ws, "gold:test", to="round:3")
    with pytest.raises(ConfigError, match="cannot be moved into a gold set"):
        move_data(ws, "round:2", to="gold:test")
    with pytest.raises(NotFoundError):
        move_data(ws, "import:999", to="round:3")
    with pytest.raises(ConfigError, match="in round:2 already"):
        move_data(ws, "round:2", to="round:2")
    # a gold text that reached the pool through a back door stays out of the rounds
    with ws.engine.begin() as conn:
        pool = conn.execute(db.collections.insert().values(kind="pool", name="pool", version=1,
                                                           created_at=db.utcnow())).inserted_primary_key[0]
        gold_text = GOLD[0]["text"]
        from evaluator.records import input_hash
        conn.execute(db.examples.insert().values(collection_id=pool, position=0, text=gold_text,
                                                 input_hash=input_hash(gold_text), created_at=db.utcnow()))
    with pytest.raises(LeakageError):
        move_data(ws, "pool", to="round:3")
    train_round(ws, 1, trainer="crf-ner", config={"max_iterations": 5})
    with pytest.raises(ConfigError, match="round-1-crf-ner") as err:
        move_data(ws, "round:2", to="round:1")  # would change what round-1-crf-ner was trained on
    assert "delete those models first" in err.value.hint
    assert _texts(ws, "round:2") == [x["text"] for x in ROWS[:5]]


def test_delete_a_round_no_model_used(tmp_workspace, tmp_path):
    from evaluator.models import delete_model, train_round
    from evaluator.predictions import predict

    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "r1.jsonl", TRAIN), into="round:1")
    import_file(ws, write_jsonl(tmp_path / "r2.jsonl", ROWS[:5]), into="round:2")
    train_round(ws, 2, trainer="crf-ner", config={"max_iterations": 5})  # rounds 1..2
    with pytest.raises(ConfigError, match="round-2-crf-ner"):
        delete_round(ws, 2)
    predict(ws, "round-2-crf-ner", "round:2")
    delete_model(ws, "round-2-crf-ner")
    train_round(ws, 1, trainer="crf-ner", config={"max_iterations": 5})  # round 1 only: round 2 is free
    assert delete_round(ws, 2) == {"round": 2, "examples": 5}
    assert [x["round"] for x in status(ws)["rounds"]] == [1]
    assert _count(ws, db.examples) == 3 and _count(ws, db.imports) == 1
    with pytest.raises(NotFoundError):
        delete_round(ws, 2)
    assert next_round(ws) == 2


def test_unlabeled_texts_in_a_round_are_reported_at_import(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    rows = TRAIN + [{"text": "No annotation at all here ."}, {"text": "Nor here ."}]
    r = import_file(ws, write_jsonl(tmp_path / "r.jsonl", rows), into="round:1")
    assert r["unlabeled"] == 2 and "2 of 5 example(s) have no annotation" in r["warnings"][0]
    assert "pool" in r["warnings"][0]
    pool = import_file(ws, write_jsonl(tmp_path / "p.jsonl", rows[3:]), into="pool")
    assert "warnings" not in pool  # unlabeled is what the pool is for


def test_gold_import_of_round_texts_says_where_they_are(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", TRAIN), into="round:1")
    with pytest.raises(LeakageError) as err:
        import_file(ws, write_jsonl(tmp_path / "g.jsonl", TRAIN[:1] + GOLD), into="gold:test")
    msg = err.value.message
    assert "1 example(s) in g.jsonl are in training rounds" in msg and "are in a gold set" not in msg
