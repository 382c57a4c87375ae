import json

import pytest
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import ConfigError, EvaluatorError, FrozenError, LeakageError
from evaluator.gold import freeze
from evaluator.importer import export_records, import_file, move_examples
from evaluator.store import load_records, status

from .helpers import GOLD, TRAIN, ner_line, write_jsonl


def count_rows(ws, table):
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def test_import_reports_counts_and_second_import_adds_nothing(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    f = write_jsonl(tmp_path / "gold.jsonl", GOLD)
    r = import_file(ws, f, into="gold:test")
    assert r["examples"] == 4 and r["annotations"] == 4
    assert r["spans_per_label"] == {"LOC": 2, "ORG": 2, "PER": 2}
    assert r["labels_added"] == ["LOC", "ORG", "PER"]
    again = import_file(ws, f, into="gold:test")
    assert again["already_imported"] is True and again["examples"] == 0
    assert count_rows(ws, db.examples) == 4


def test_repeated_texts_are_kept_and_reported(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    rows = TRAIN + [TRAIN[0], TRAIN[0]]
    r = import_file(ws, write_jsonl(tmp_path / "r.jsonl", rows), into="round:1")
    assert r["examples"] == 5
    assert r["duplicates_in_file"] == 2 and r["duplicate_texts"] == 1
    assert len(load_records(ws, "round:1")) == 5


def test_gold_texts_are_refused_in_a_round_and_nothing_is_written(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "gold.jsonl", GOLD), into="gold:test")
    before = count_rows(ws, db.examples), count_rows(ws, db.annotations), count_rows(ws, db.imports)
    # the gold set's own texts, differently cased and spaced, mixed with new ones
    leaked = [dict(GOLD[1], text=GOLD[1]["text"])] + TRAIN
    with pytest.raises(LeakageError) as err:
        import_file(ws, write_jsonl(tmp_path / "round.jsonl", leaked), into="round:1")
    assert err.value.count == 1 and "Bob visited Berlin" in str(err.value)
    assert "--skip-gold-overlap" in str(err.value)
    after = count_rows(ws, db.examples), count_rows(ws, db.annotations), count_rows(ws, db.imports)
    assert after == before
    r = import_file(ws, tmp_path / "round.jsonl", into="round:1", skip_gold_overlap=True)
    assert r["skipped_gold_overlap"] == 1 and r["examples"] == 3


def test_gold_import_refuses_texts_already_in_training(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", TRAIN), into="round:1")
    with pytest.raises(LeakageError):
        import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD + [TRAIN[2]]), into="gold:test")
    assert status(ws)["gold_sets"] == []


def test_frozen_gold_refuses_writes(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "gold.jsonl", GOLD[:2]), into="gold:test")
    freeze(ws, "test")
    assert import_file(ws, tmp_path / "gold.jsonl", into="gold:test")["already_imported"]
    with pytest.raises(FrozenError, match="new-version"):
        import_file(ws, write_jsonl(tmp_path / "more.jsonl", GOLD[2:]), into="gold:test")


def test_unknown_labels_need_extend_labels(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner", labels=["PER"])
    f = write_jsonl(tmp_path / "g.jsonl", GOLD)
    with pytest.raises(ConfigError, match="--extend-labels"):
        import_file(ws, f, into="gold:test")
    assert count_rows(ws, db.examples) == 0
    import_file(ws, f, into="gold:test", extend_labels=True)
    assert ws.labels == ["LOC", "ORG", "PER"]


def test_malformed_file_names_the_line_and_writes_nothing(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    good = [json.dumps(r) for r in TRAIN[:2]]
    bad_span = ner_line("Short text .", [])
    bad_span["spans"] = [{"start": 6, "end": 40, "label": "ORG"}]
    lines = [good[0], good[1], "{not json", json.dumps(bad_span)]
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(EvaluatorError) as err:
        import_file(ws, f, into="round:1")
    msg = str(err.value)
    assert "line 3" in msg and "line 4" in msg
    assert count_rows(ws, db.examples) == 0 and count_rows(ws, db.collections) == 0


def test_rejected_answers_are_kept_but_not_training_data(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    rows = [TRAIN[0], dict(TRAIN[1], answer="reject"), dict(TRAIN[2], answer="ignore")]
    r = import_file(ws, write_jsonl(tmp_path / "r.jsonl", rows), into="round:1")
    assert r["answers"] == {"accept": 1, "reject": 1, "ignore": 1}
    assert len(load_records(ws, "round:1")) == 1
    assert len(load_records(ws, "round:1", answers=None)) == 3


def test_export_round_trip_gives_identical_spans(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:test")
    out = tmp_path / "out.jsonl"
    export_records(ws, "gold:test", format="prodigy-jsonl", out=out)
    ws2 = tmp_workspace("ner")
    import_file(ws2, out, into="gold:copy")
    a = [(r.text, sorted(r.spans)) for r in load_records(ws, "gold:test")]
    b = [(r.text, sorted(r.spans)) for r in load_records(ws2, "gold:copy")]
    assert a == b


def test_moving_a_gold_text_into_a_round_is_refused(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "pool.jsonl", [{"text": GOLD[0]["text"]}, {"text": "A fresh text ."}]),
                into="pool")
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:test", skip_gold_overlap=True)
    pool = load_records(ws, "pool", answers=None)
    with pytest.raises(LeakageError):
        move_examples(ws, [r.id for r in pool], to="round:1")
    assert len(load_records(ws, "pool", answers=None)) == 2
    fresh = [r.id for r in pool if r.text.startswith("A fresh")]
    assert move_examples(ws, fresh, to="round:1") == 1
