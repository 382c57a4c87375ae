"""Model registry on the Prodigy drugs data: rounds 1..3, gold = drugs_eval.jsonl.

Round 3's spacy-ner model (400 examples) must beat round 1's (50 examples) on the frozen gold set.
"""
from __future__ import annotations

import json
import shutil

import pytest
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import AlreadyExistsError, ConfigError, IntegrityError, LeakageError, NotFoundError
from evaluator.formats import get_format
from evaluator.records import Record, input_hash
from evaluator.store import training_records
from evaluator.models import add_model, delete_model, get_model, list_models, load_model, rename_model, train_round
from evaluator.predictions import predict, stored_predictions
from evaluator.scoring.curves import learning_curve, stored_curves
from evaluator.scoring.evaluate import evaluate_models
from evaluator.training.base import training_hash
from evaluator.scoring.curves import FLAT, HELPS

from tests.training.helpers import CI_SPACY, FAST_CRF, drugs_workspace, micro_f1


@pytest.fixture(scope="module")
def ws(shared_data, tmp_path_factory):
    return drugs_workspace(tmp_path_factory.mktemp("drugs"), shared_data)


@pytest.fixture(scope="module")
def spacy_rounds(ws):
    """round-1-spacy-ner and round-3-spacy-ner (same schedule for both), and their progress calls."""
    seen: dict[int, list] = {1: [], 3: []}
    out = {k: train_round(ws, k, trainer="spacy-ner", config=CI_SPACY,
                            progress=lambda *a, _k=k: seen[_k].append(a)) for k in (1, 3)}
    return out, seen


def test_round_3_beats_round_1_on_the_gold_set(ws, spacy_rounds):
    models, _ = spacy_rounds
    res = {r["model"]: r for r in evaluate_models(ws, "drugs", models=["round-1-spacy-ner", "round-3-spacy-ner"])}
    f1_1 = res["round-1-spacy-ner"]["micro"]["f1"]
    f1_3 = res["round-3-spacy-ner"]["micro"]["f1"]
    assert f1_3 > f1_1, (f1_1, f1_3)
    for r in res.values():
        assert r["documents"] == 500 and r["micro"]["support"] == 362
        lo, hi = r["ci95"]["micro_f1"]
        assert lo <= r["micro"]["f1"] <= hi and r["resamples"] == 10_000


def test_evaluation_matches_an_independent_count_and_is_reused(ws, spacy_rounds):
    from evaluator.gold import gold_records

    _, gold = gold_records(ws, "drugs")
    first = evaluate_models(ws, "drugs", models="round-3-spacy-ner")[0]
    preds = stored_predictions(ws, "round-3-spacy-ner", gold)
    assert first["micro"]["f1"] == pytest.approx(micro_f1(gold, preds))
    again = evaluate_models(ws, "drugs", models="round-3-spacy-ner")[0]
    assert again["reused"] and again["micro"] == first["micro"]
    other = evaluate_models(ws, "drugs", models="round-3-spacy-ner", resamples=200)[0]
    assert not other["reused"] and other["settings"]["resamples"] == 200
    assert predict(ws, "round-3-spacy-ner", "gold:drugs")["computed"] == 0


def test_lineage_counts_hash_and_config_are_recorded(ws, spacy_rounds):
    models, seen = spacy_rounds
    m1, m3 = models[1], models[3]
    assert m1["name"] == "round-1-spacy-ner" and m1["lineage"]["parent"] is None
    assert m3["lineage"] == {"round": 3, "parent": "round-1-spacy-ner", "rounds": [1, 2, 3], "cumulative": True}
    recs = training_records(ws, round=3)
    assert m3["train_hash"] == training_hash(recs)
    assert m3["counts"] == {"examples": 400, "labels": {"DRUG": sum(len(r.spans) for r in recs)}}
    assert m3["versions"]["spacy"] and m3["seed"] == 0 and m3["seconds"] > 0
    art = ws.path / m3["artifact_path"]
    assert art.parent == ws.models_dir and not any(p.name.startswith(".tmp-") for p in ws.models_dir.iterdir())
    saved = json.loads((art / "config.json").read_text())
    assert saved == m3["config"]["trainer"]
    assert saved["spacy"]["training"]["patience"] == 200 and saved["dev_examples"] == 60  # 15% of 400 training records
    # progress(done, total, message): increasing steps up to the last one, with dev scores once evaluated
    training = [a for a in seen[3] if a[2].startswith("step ")]
    steps = [a[0] for a in training]
    assert steps == sorted(steps) and steps[-1] == m3["config"]["steps"]
    assert "dev score" in training[-1][2]
    assert seen[3][0][2].startswith("reading the accepted annotations") and seen[3][-1][2].startswith("saved model")
    listed = {m["name"]: m for m in list_models(ws)}
    assert listed["round-3-spacy-ner"]["lineage"]["parent"] == "round-1-spacy-ner"


def test_external_spacy_pipeline_scores_like_the_trained_model(ws, spacy_rounds):
    models, _ = spacy_rounds
    src = ws.path / models[1]["artifact_path"] / "model"
    add_model(ws, src, name="ext-spacy")
    res = {r["model"]: r for r in evaluate_models(ws, "drugs", models="ext-spacy,round-1-spacy-ner")}
    assert res["ext-spacy"]["micro"] == res["round-1-spacy-ner"]["micro"]
    assert get_model(ws, "ext-spacy")["kind"] == "spacy-dir"


@pytest.mark.parametrize("fmt", ["prodigy-jsonl", "conll"])
def test_external_predictions_file_is_matched_by_text_and_scored(ws, spacy_rounds, tmp_path, fmt):
    from evaluator.gold import gold_records

    _, gold = gold_records(ws, "drugs")
    preds = stored_predictions(ws, "round-3-spacy-ner", gold)
    recs = [Record(g.text, tokens=g.tokens, spans=p.spans) for g, p in zip(gold, preds)]
    path = tmp_path / ("preds.jsonl" if fmt == "prodigy-jsonl" else "preds.conll")
    get_format(fmt).write(list(reversed(recs)), path, task="ner")  # order does not matter
    add_model(ws, path, name=f"ext-{fmt}", format=fmt)
    r = evaluate_models(ws, "drugs", models=[f"ext-{fmt}"])[0]
    ref = evaluate_models(ws, "drugs", models=["round-3-spacy-ner"])[0]
    assert r["micro"] == ref["micro"]
    assert get_model(ws, f"ext-{fmt}")["config"]["format"] == fmt


def test_predictions_file_missing_examples_names_them(ws, tmp_path):
    from evaluator.gold import gold_records

    _, gold = gold_records(ws, "drugs")
    path = tmp_path / "partial.jsonl"
    get_format("prodigy-jsonl").write(gold[:-2], path, task="ner")
    add_model(ws, path, name="ext-partial")
    with pytest.raises(NotFoundError, match=r"no prediction for 2 of 500") as err:
        evaluate_models(ws, "drugs", models=["ext-partial"])
    assert repr(gold[-1].text[:50]) in str(err.value)


def test_tampered_artifact_is_refused(ws, tmp_path):
    m = train_round(ws, 1, trainer="crf-ner", name="crf-tamper")
    assert predict(ws, "crf-tamper", "round:1")["computed"] == 50
    model_file = ws.path / m["artifact_path"] / "model" / "model.crfsuite"
    data = model_file.read_bytes()
    model_file.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(IntegrityError, match="changed"):
        load_model(ws, "crf-tamper")
    with pytest.raises(IntegrityError):
        predict(ws, "crf-tamper", "round:2")
    model_file.write_bytes(data)
    assert predict(ws, "crf-tamper", "round:2")["computed"] == 100


def test_tampered_spacy_model_is_refused(ws, spacy_rounds):
    models, _ = spacy_rounds
    cfg = ws.path / models[1]["artifact_path"] / "model" / "config.cfg"
    text = cfg.read_text()
    cfg.write_text(text + "\n")
    try:
        with pytest.raises(IntegrityError):
            load_model(ws, "round-1-spacy-ner")
    finally:
        cfg.write_text(text)
    load_model(ws, "round-1-spacy-ner")


def test_leakage_guard_at_train_time(shared_data, tmp_path):
    ws = drugs_workspace(tmp_path, shared_data, rounds=((0, 30),))
    # a gold text slipped into round 1 behind the importer's back
    gold_text = "I take lexapro and xanax daily"
    with ws.engine.begin() as conn:
        gid = conn.execute(sa.select(db.collections.c.id).where(db.collections.c.kind == "gold")).scalar_one()
        rid = conn.execute(sa.select(db.collections.c.id).where(db.collections.c.kind == "round")).scalar_one()
        for cid, pos in ((gid, 9999), (rid, 9999)):
            ex = conn.execute(db.examples.insert().values(collection_id=cid, position=pos, text=gold_text,
                                                          input_hash=input_hash(gold_text), created_at=db.utcnow()))
            conn.execute(db.annotations.insert().values(example_id=ex.inserted_primary_key[0], answer="accept",
                                                        spans=[], created_at=db.utcnow()))
    with pytest.raises(LeakageError, match="lexapro"):
        train_round(ws, 1, trainer="crf-ner")
    assert list_models(ws) == []
    assert list(ws.models_dir.iterdir()) == []


def test_names_tasks_rename_and_delete(ws):
    with pytest.raises(ConfigError, match="textcat"):
        train_round(ws, 1, trainer="sklearn-textcat")
    m = train_round(ws, 2, trainer="crf-ner", cumulative=False)
    assert m["name"] == "round-2-only-crf-ner" and m["counts"]["examples"] == 100
    assert m["lineage"]["rounds"] == [2] and m["lineage"]["cumulative"] is False
    with pytest.raises(AlreadyExistsError):
        train_round(ws, 2, trainer="crf-ner", cumulative=False)
    with pytest.raises(ConfigError, match="name"):
        train_round(ws, 2, trainer="crf-ner", name="../escape")
    predict(ws, "round-2-only-crf-ner", "gold:drugs")
    rename_model(ws, "round-2-only-crf-ner", "crf-r2")
    art = ws.path / get_model(ws, "crf-r2")["artifact_path"]
    assert art.is_dir() and predict(ws, "crf-r2", "gold:drugs")["computed"] == 0
    out = delete_model(ws, "crf-r2")
    assert out["artifact_removed"] and not art.exists()
    with pytest.raises(NotFoundError, match="crf-r2"):
        get_model(ws, "crf-r2")
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.predictions)
                            .where(db.predictions.c.model_id == m["id"])).scalar_one() == 0


def test_learning_curve_on_nested_subsets(ws):
    calls = []
    res = learning_curve(ws, trainer="crf-ner", round=2, config=FAST_CRF,
                           progress=lambda d, t, what: calls.append((d, t)))
    assert [p["fraction"] for p in res["points"]] == [0.25, 0.5, 0.75, 1.0]
    assert [p["examples"] for p in res["points"]] == [38, 75, 113, 150]
    for p in res["points"]:
        assert len(p["f1"]) == 3 and p["min"] <= p["mean"] <= p["max"]
    assert res["verdict"] in (HELPS, FLAT) and res["reason"]
    cmp = res["comparison"]
    helps = cmp["low"] > 0 and cmp["gain"] > cmp["spread"]
    assert (res["verdict"] == HELPS) == helps
    assert calls[-1] == (12, 12)
    assert not any(p.name.startswith(".curve-") for p in ws.models_dir.iterdir())
    again = learning_curve(ws, trainer="crf-ner", round=2, config=FAST_CRF)
    assert again["reused"] and again["points"] == res["points"]
    assert stored_curves(ws, trainer="crf-ner")[0]["points"] == res["points"]


def test_predictions_file_with_misaligned_spans_is_registered_and_scored_like_score(ws, shared_data, tmp_path,
                                                                                    cli_runner):
    # an LLM's offsets are often off the token boundaries: they count as false positives, as `evaluator score`
    # counts them, instead of the file being refused with a hint about an option `model add` does not have
    src = shared_data / "prodigy-drugs" / "drugs_eval.jsonl"
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    cut = 0
    for row in rows:
        for s in row.get("spans") or []:
            if cut < 7 and s["end"] - s["start"] > 3:
                s["end"] -= 2  # ends inside the word
                cut += 1
    path = tmp_path / "llm.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    add_model(ws, path, name="ext-misaligned", format="prodigy-jsonl")
    r = evaluate_models(ws, "drugs", models=["ext-misaligned"], resamples=100)[0]
    ref = json.loads(cli_runner("score", src, path, "--json").output)
    assert r["misaligned"] == ref["misaligned"] == 7
    assert r["micro"] == ref["micro"] and r["micro"]["fp"] == 7


def test_predicting_a_target_the_file_does_not_cover_stores_nothing(ws, tmp_path):
    from evaluator.gold import gold_records

    _, gold = gold_records(ws, "drugs")
    path = tmp_path / "gold-only.jsonl"
    get_format("prodigy-jsonl").write(gold, path, task="ner")
    add_model(ws, path, name="ext-gold-only")
    with pytest.raises(NotFoundError, match=r"no prediction for 50 of 50 example\(s\) of round:1.*Nothing was stored"):
        predict(ws, "ext-gold-only", "round:1", batch_size=8)  # several batches: none may be stored
    with ws.engine.connect() as conn:
        mid = conn.execute(sa.select(db.models.c.id).where(db.models.c.name == "ext-gold-only")).scalar()
        assert conn.execute(sa.select(sa.func.count()).select_from(db.predictions)
                            .where(db.predictions.c.model_id == mid)).scalar() == 0


def test_adding_a_folder_that_is_not_a_spacy_pipeline_says_so(ws, tmp_path):
    folder = tmp_path / "registry-artifact"
    (folder / "model").mkdir(parents=True)
    (folder / "meta.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a spaCy pipeline.*config.cfg"):
        add_model(ws, folder, name="not-a-pipeline")
    assert "not-a-pipeline" not in {m["name"] for m in list_models(ws)}
