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


def test_export_refuses_a_format_of_the_other_task_and_writes_nothing(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:test")
    for fmt, out in (("csv", tmp_path / "g.csv"), ("textcat-jsonl", tmp_path / "g.tc.jsonl"),
                     ("folder", tmp_path / "g-folder")):
        with pytest.raises(ConfigError, match="NER") as err:
            export_records(ws, "gold:test", format=fmt, out=out)
        assert "conll" in str(err.value)  # the fix names formats that fit
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.jsonl", "ws1"]


def test_a_failed_folder_export_leaves_nothing_behind(tmp_workspace, tmp_path):
    ws = tmp_workspace("textcat")
    rows = [{"text": "Stocks fell .", "label": "Business"}, {"text": "A new chip .", "label": "Sci/Tech"}]
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", rows), into="gold:ag", format="textcat-jsonl")
    out = tmp_path / "ag-folder"
    with pytest.raises(EvaluatorError, match="Sci/Tech"):  # AG News' label cannot be a folder name
        export_records(ws, "gold:ag", format="folder", out=out)
    assert not out.exists() and not list(tmp_path.glob(".ag-folder*"))


def test_export_keeps_unlabeled_pool_texts_where_the_format_can_mark_them(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "p.jsonl", [{"text": "Nobody labeled this ."}, GOLD[0]]), into="pool")
    rep = export_records(ws, "pool", format="labelstudio", out=tmp_path / "pool.json")
    tasks = json.loads((tmp_path / "pool.json").read_text())
    assert rep["examples"] == 2 and rep["left_out"] == {}
    assert [bool(t.get("annotations")) for t in tasks] == [False, True]
    # CoNLL cannot tell "unlabeled" from "no entities": the text is left out and counted, not exported as all-O
    rep = export_records(ws, "pool", format="conll", out=tmp_path / "pool.conll")
    assert rep["examples"] == 1 and rep["left_out"] == {"unlabeled": 1}
    assert "Nobody" not in (tmp_path / "pool.conll").read_text()


def test_export_refuses_a_non_empty_folder(tmp_workspace, tmp_path):
    ws = tmp_workspace("textcat")
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", [{"text": "a b", "label": "x"}]), into="gold:g",
                format="textcat-jsonl")
    out = tmp_path / "taken"
    (out / "x").mkdir(parents=True)
    (out / "x" / "001.txt").write_text("someone else's file")
    with pytest.raises(ConfigError, match="not empty"):
        export_records(ws, "gold:g", format="folder", out=out)
    assert (out / "x" / "001.txt").read_text() == "someone else's file"
    fresh = tmp_path / "fresh"
    assert export_records(ws, "gold:g", format="folder", out=fresh)["examples"] == 1
    assert (fresh / "x" / "001.txt").read_text().strip() == "a b"


@pytest.mark.parametrize("name", ["te st", "../x", "a/b", "x:y", "_hidden", ""])
def test_gold_set_names_with_odd_characters_are_refused_and_nothing_is_written(tmp_workspace, tmp_path, name):
    ws = tmp_workspace("ner")
    with pytest.raises(ConfigError):
        import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into=f"gold:{name}")
    assert count_rows(ws, db.examples) == 0 and count_rows(ws, db.collections) == 0


def test_unicode_gold_names_are_fine(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    assert import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:prüfung-2")["examples"] == 4


def test_importing_into_a_gold_version_that_does_not_exist_is_refused(tmp_workspace, tmp_path):
    # `gold:x@2` used to create version 2 of a gold set that had no version 1
    ws = tmp_workspace("ner")
    with pytest.raises(EvaluatorError, match="No version 2 of gold:x"):
        import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:x@2")
    assert count_rows(ws, db.collections) == 0
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:x")
    with pytest.raises(EvaluatorError, match="No version 2 of gold:x"):
        import_file(ws, write_jsonl(tmp_path / "t.jsonl", TRAIN), into="gold:x@2")


def test_two_imports_at_once_take_turns(tmp_workspace, tmp_path, monkeypatch):
    # Both used to pass their checks before either wrote: the second then died on a UNIQUE constraint (or, for a
    # gold set and a round imported together, both passed the leakage guard).
    import threading
    import time

    import evaluator.importer as importer

    real = importer.collection_row

    def slow_collection_row(conn, target):  # widen the check-then-write window
        row = real(conn, target)
        time.sleep(0.3)
        return row

    monkeypatch.setattr(importer, "collection_row", slow_collection_row)
    ws = tmp_workspace("ner")
    same = write_jsonl(tmp_path / "r.jsonl", TRAIN)
    gold = write_jsonl(tmp_path / "g.jsonl", GOLD)
    leak = write_jsonl(tmp_path / "leak.jsonl", GOLD[:2])
    results: dict[str, object] = {}

    def run(key, path, into):
        try:
            results[key] = import_file(ws, path, into=into)
        except EvaluatorError as err:
            results[key] = err

    threads = [threading.Thread(target=run, args=a) for a in
               (("a", same, "round:1"), ("b", same, "round:1"), ("gold", gold, "gold:test"), ("leak", leak, "round:2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["already_imported"] for r in (results["a"], results["b"])) == [False, True]
    assert isinstance(results["gold"], dict) != isinstance(results["leak"], dict)  # one of them is refused
    assert len(load_records(ws, "round:1")) == len(TRAIN)
    texts_in_rounds = {r.text for k in (1, 2) for r in (load_records(ws, f"round:{k}") if k == 1 or
                                                          isinstance(results["leak"], dict) else [])}
    gold_texts = {r.text for r in load_records(ws, "gold:test")} if isinstance(results["gold"], dict) else set()
    assert not texts_in_rounds & gold_texts


def test_skipped_gold_overlap_says_why(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "g.jsonl", GOLD), into="gold:test")
    rep = import_file(ws, write_jsonl(tmp_path / "r.jsonl", GOLD[:1] + TRAIN), into="round:1", skip_gold_overlap=True)
    assert rep["skipped_gold_overlap"] == 1 and rep["skipped_because"] == "their text is already in a gold set"
    rep = import_file(ws, write_jsonl(tmp_path / "g2.jsonl", TRAIN[:1] + [ner_line("A brand new gold text .")]),
                      into="gold:more", skip_gold_overlap=True)
    assert rep["skipped_because"] == "their text is already in training rounds" and rep["examples"] == 1


def test_skipping_every_example_imports_nothing_and_says_so(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "gold.jsonl", GOLD), into="gold:test")
    with pytest.raises(LeakageError, match="every example"):
        import_file(ws, write_jsonl(tmp_path / "same.jsonl", GOLD), into="round:1", skip_gold_overlap=True)
    assert count_rows(ws, db.imports) == 1 and status(ws)["rounds"] == []


def test_every_task_problem_is_counted(tmp_workspace, tmp_path):
    from evaluator.errors import ValidationError
    ws = tmp_workspace("textcat")
    f = tmp_path / "nolabel.jsonl"
    f.write_text("".join(json.dumps({"text": f"text {i}", "label": "", "answer": "accept"}) + "\n" for i in range(60)))
    with pytest.raises(EvaluatorError) as err:
        import_file(ws, f, into="round:1", format="textcat-jsonl")
    if isinstance(err.value, ValidationError):
        assert len(err.value.problems) == 60
