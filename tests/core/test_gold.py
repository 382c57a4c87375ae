import pytest
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import IntegrityError, LeakageError
from evaluator.gold import freeze, gold_records, leakage_report, list_gold, new_version, split, verify
from evaluator.importer import import_file
from evaluator.store import load_records, training_records

from .helpers import GOLD, TRAIN, ner_line, write_jsonl


@pytest.fixture
def ws(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "gold.jsonl", GOLD), into="gold:test")
    return ws


def test_freeze_stores_hash_and_verify_detects_tampering(ws):
    info = freeze(ws, "test")
    assert len(info["content_hash"]) == 64 and info["examples"] == 4
    assert verify(ws, "test")["ok"] is True
    row, recs = gold_records(ws, "test")
    assert row["gold_hash"] == info["content_hash"] and len(recs) == 4
    # tamper below the library: change one annotation directly in the database
    with ws.engine.begin() as conn:
        ann_id = conn.execute(sa.select(db.annotations.c.id).limit(1)).scalar()
        conn.execute(db.annotations.update().where(db.annotations.c.id == ann_id).values(spans=[]))
    with pytest.raises(IntegrityError, match="changed after it was frozen"):
        verify(ws, "test")
    with pytest.raises(IntegrityError):
        gold_records(ws, "test")


def test_new_version_copies_and_is_open(ws):
    freeze(ws, "test")
    v2 = new_version(ws, "test", note="fix")
    assert v2["version"] == 2 and v2["examples"] == 4
    versions = list_gold(ws)
    assert [(g["version"], g["frozen"]) for g in versions] == [(1, True), (2, False)]
    _, recs1 = gold_records(ws, "test", version=1)
    _, recs2 = gold_records(ws, "test", version=2)
    assert [(r.text, r.spans) for r in recs1] == [(r.text, r.spans) for r in recs2]


def test_split_is_seeded_stratified_and_moves_examples(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner")
    rows = [ner_line(f"Person{i} works at Company{i} .", [(0, 0, "PER"), (3, 3, "ORG")] if i % 2 else [(3, 3, "ORG")])
            for i in range(40)]
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", rows), into="round:1")
    r = split(ws, source="round:1", fraction=0.25, seed=7, name="held")
    assert r["examples"] == 10 and r["per_stratum"] == {"ORG": 5, "PER": 5}
    assert len(load_records(ws, "round:1")) == 30
    gold_texts = {x.text for x in load_records(ws, "gold:held")}
    ws2 = tmp_workspace("ner")
    import_file(ws2, tmp_path / "r.jsonl", into="round:1")
    split(ws2, source="round:1", fraction=0.25, seed=7, name="held")
    assert {x.text for x in load_records(ws2, "gold:held")} == gold_texts
    # training data never contains gold texts after the split
    assert not gold_texts & {x.text for x in training_records(ws, round=1)}


def test_training_refuses_gold_texts(ws, tmp_path):
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", TRAIN), into="round:1")
    assert len(training_records(ws, round=1)) == 3
    # a gold text sneaks into the round below the library (e.g. written by an old version or by hand)
    with ws.engine.begin() as conn:
        cid = conn.execute(sa.select(db.collections.c.id).where(db.collections.c.kind == "round")).scalar()
        ex = conn.execute(sa.select(db.examples).where(db.examples.c.text == GOLD[0]["text"])).mappings().one()
        new_id = conn.execute(db.examples.insert().values(
            collection_id=cid, position=99, text=ex["text"].upper(), input_hash=ex["input_hash"], tokens=ex["tokens"],
            created_at="2026-01-01")).inserted_primary_key[0]
        conn.execute(db.annotations.insert().values(example_id=new_id, answer="accept", spans=[], annotator="x",
                                                    created_at="2026-01-01"))
    with pytest.raises(LeakageError, match="training data of round 1"):
        training_records(ws, round=1)


def test_leakage_report_finds_exact_and_near_duplicates(ws, tmp_path):
    near = GOLD[0]["text"].replace("Paris", "Pariss")
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", TRAIN + [ner_line(near, [])]), into="round:1")
    rep = leakage_report(ws, threshold=0.8)
    assert rep["exact_overlaps"] == 0 and rep["ok"]
    assert rep["near_duplicates"] == 1
    assert rep["near"][0]["gold_text"] == GOLD[0]["text"] and rep["near"][0]["similarity"] >= 0.8


def test_split_refuses_a_bad_gold_set_name(tmp_workspace, tmp_path):
    from evaluator.errors import ConfigError

    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", GOLD + TRAIN), into="round:1")
    with pytest.raises(ConfigError, match="Bad gold set name"):
        split(ws, source="round:1", fraction=0.5, seed=1, name="bad name")
    assert len(load_records(ws, "round:1")) == len(GOLD + TRAIN) and list_gold(ws) == []


@pytest.mark.parametrize("threshold", [5, 0, -0.5])
def test_leakage_threshold_outside_0_1_is_an_error(ws, threshold):
    from evaluator.errors import ConfigError

    with pytest.raises(ConfigError, match="threshold"):
        leakage_report(ws, threshold=threshold)


def test_training_on_a_round_without_accepted_annotations_says_so(tmp_workspace, tmp_path):
    from evaluator.errors import ConfigError

    ws = tmp_workspace("ner")
    import_file(ws, write_jsonl(tmp_path / "raw.jsonl", [{"text": "an unlabeled text"}, {"text": "another one"}]),
                into="round:1")
    with pytest.raises(ConfigError, match="round 1 has 2 example\\(s\\) but no accepted annotation"):
        training_records(ws, round=1)


def test_split_warns_about_models_trained_on_the_round(tmp_workspace, tmp_path):
    from evaluator.models import train_round

    ws = tmp_workspace("ner", labels=["PER", "ORG", "LOC"])
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", GOLD + TRAIN), into="round:1")
    train_round(ws, 1, trainer="crf-ner", config={"max_iterations": 5})
    r = split(ws, source="round:1", fraction=0.5, seed=1, name="held")
    assert r["trained_on_it"] == ["round-1-crf-ner"]
    assert "inflated" in r["warning"] and "round-1-crf-ner" in r["warning"]
    import_file(ws, write_jsonl(tmp_path / "r2.jsonl", [ner_line("Zed met Yan in Oslo .", [(0, 0, "PER")]),
                                                         ner_line("Xi saw Wu in Lima .", [(0, 0, "PER")])]),
                into="round:2")
    clean = split(ws, source="round:2", fraction=0.5, seed=1, name="held2")
    assert clean["trained_on_it"] == [] and "warning" not in clean


def _tamper(ws) -> None:
    with ws.engine.begin() as conn:
        ann_id = conn.execute(sa.select(db.annotations.c.id).limit(1)).scalar()
        conn.execute(db.annotations.update().where(db.annotations.c.id == ann_id).values(spans=[]))


def test_export_status_and_new_version_check_a_frozen_set(ws, tmp_path, cli_runner):
    from evaluator.importer import export_records
    from evaluator.store import status

    freeze(ws, "test")
    assert status(ws)["gold_sets"][0]["intact"] is True
    _tamper(ws)
    out = tmp_path / "test.conll"
    with pytest.raises(IntegrityError, match="refusing to export it"):
        export_records(ws, "gold:test", format="conll", out=out)
    assert not out.exists()
    s = status(ws)
    assert s["gold_sets"][0]["intact"] is False and "changed after it was frozen" in s["problems"][0]
    with pytest.raises(IntegrityError, match="new version"):
        new_version(ws, "test")
    # the CLI: export exits 2 and writes nothing; status prints the table and exits 2
    r = cli_runner("export", "--from", "gold:test", "--format", "conll", "--out", out, "--workspace", ws.path)
    assert r.exit_code == 2 and not out.exists()
    r = cli_runner("status", "--workspace", ws.path)
    assert r.exit_code == 2 and "CHANGED AFTER FREEZE" in r.output


def test_a_cleared_frozen_at_does_not_unfreeze(ws, tmp_path):
    from evaluator.errors import FrozenError

    info = freeze(ws, "test")
    with ws.engine.begin() as conn:  # clear frozen_at by SQL
        conn.execute(db.collections.update().where(db.collections.c.kind == "gold").values(frozen_at=None))
    v = verify(ws, "test")
    assert v["frozen"] is True and v["content_hash"] == info["content_hash"]
    assert list_gold(ws)[0]["frozen"] is True
    with pytest.raises(FrozenError):
        import_file(ws, write_jsonl(tmp_path / "more.jsonl", TRAIN[:1]), into="gold:test")
    _tamper(ws)
    with pytest.raises(IntegrityError):
        verify(ws, "test")
    with pytest.raises(IntegrityError):
        gold_records(ws, "test")
