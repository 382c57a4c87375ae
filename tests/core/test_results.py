"""One results store: results keyed by their inputs with a checksum; tampered rows and predictions are recomputed
and said so; concurrent predictions of the same model are safe; the leakage guard holds until a model is
registered and flags models whose training texts later entered a gold set."""
from __future__ import annotations


import pytest
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import IntegrityError, LeakageError
from evaluator.results import TAMPERED, find_results, get_result, put_result, result_key

from .helpers import run_together

GOLD = "demo-test"


@pytest.fixture
def demo(tmp_path):
    from evaluator.demo import build_demo
    from evaluator.workspace import open_workspace

    build_demo(tmp_path / "demo")
    return open_workspace(tmp_path / "demo")


@pytest.fixture
def trained(demo):
    from evaluator.models import train_round

    train_round(demo, 1, trainer="crf-ner")
    train_round(demo, 3, trainer="crf-ner")
    return demo


def _tamper(ws, kind: str, edit) -> None:
    r = db.results
    with ws.engine.begin() as conn:
        for rid, payload in conn.execute(sa.select(r.c.id, r.c.payload).where(r.c.kind == kind)).all():
            conn.execute(r.update().where(r.c.id == rid).values(payload=edit(payload)))


def test_put_get_and_a_changed_payload_is_refused(demo):
    key = result_key({"what": "test", "n": 1})
    put_result(demo, "test", key, {"x": 1.5, "y": [1, 2]}, settings={"n": 1})
    assert get_result(demo, "test", key).payload == {"x": 1.5, "y": [1, 2]}
    assert get_result(demo, "test", result_key({"what": "test", "n": 2})).payload is None
    put_result(demo, "test", key, {"x": 2.5}, settings={"n": 1})  # replaces, never duplicates
    assert [r["payload"] for r in find_results(demo, "test")] == [{"x": 2.5}]
    _tamper(demo, "test", lambda p: {**p, "x": 99})
    hit = get_result(demo, "test", key)
    assert hit.payload is None and hit.refused == TAMPERED
    assert find_results(demo, "test") == []


def test_a_forged_comparison_is_recomputed_and_said_so(trained):
    from evaluator.scoring.compare import compare_models

    first = compare_models(trained, GOLD, "round-1-crf-ner", "round-3-crf-ner", resamples=500)
    _tamper(trained, "comparison", lambda p: {**p, "delta": p["delta"] + 0.5, "ci95": [0.4, 0.6]})
    again = compare_models(trained, GOLD, "round-1-crf-ner", "round-3-crf-ner", resamples=500)
    assert not again["reused"] and again["note"] == TAMPERED
    assert again["delta"] == first["delta"] and again["ci95"] == first["ci95"]
    third = compare_models(trained, GOLD, "round-1-crf-ner", "round-3-crf-ner", resamples=500)
    assert third["reused"] and "note" not in third


def test_an_edited_evaluation_is_recomputed(trained):
    from evaluator.scoring.evaluate import evaluate_models

    first = {e["model"]: e for e in evaluate_models(trained, GOLD, resamples=300)}
    _tamper(trained, "evaluation", lambda p: {**p, "micro": {**p["micro"], "f1": 1.0}})
    again = {e["model"]: e for e in evaluate_models(trained, GOLD, resamples=300)}
    for name, e in again.items():
        assert not e["reused"] and e["note"] == TAMPERED
        assert e["micro"]["f1"] == first[name]["micro"]["f1"] < 1.0


def test_emptied_predictions_are_recomputed_and_refused_when_read_directly(trained):
    from evaluator.gold import gold_records
    from evaluator.models import get_model
    from evaluator.predictions import predict, stored_predictions

    _, recs = gold_records(trained, GOLD)
    target = f"gold:{GOLD}"
    predict(trained, "round-3-crf-ner", target)
    before = stored_predictions(trained, "round-3-crf-ner", recs)
    mid = get_model(trained, "round-3-crf-ner")["id"]
    with trained.engine.begin() as conn:
        conn.execute(db.predictions.update().where(db.predictions.c.model_id == mid).values(spans=[]))
    with pytest.raises(IntegrityError, match="checksum"):
        stored_predictions(trained, "round-3-crf-ner", recs)
    res = predict(trained, "round-3-crf-ner", target)
    assert res["recomputed"] == sum(bool(p.spans) for p in before) > 0
    assert stored_predictions(trained, "round-3-crf-ner", recs) == before


#: a separate Python process: open the workspace, wait for the start file, predict the pool, print the count
_PREDICT = """
import json, sys, time
from pathlib import Path
from evaluator.predictions import predict
from evaluator.workspace import open_workspace
ws = open_workspace(sys.argv[1])
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
print(json.dumps(predict(ws, "round-1-crf-ner", "pool")["computed"]))
"""


@pytest.mark.sqlite_only
def test_three_processes_predicting_the_same_model_at_once(trained, tmp_path):
    """Sessions scoring a new model at the same moment used to crash with a UNIQUE constraint error."""
    import json
    import subprocess
    import sys

    from evaluator.models import get_model

    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _PREDICT, str(trained.path), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    go.touch()  # all three start predicting together
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    computed = [json.loads(out) for out, _ in outs]
    from evaluator.store import status

    pool_size = status(trained)["pool"]["examples"]
    assert all(c in (0, pool_size) for c in computed) and max(computed) == pool_size
    assert get_model(trained, "round-1-crf-ner")["predictions"] == pool_size


def test_threads_predicting_the_same_model_at_once(trained):
    from evaluator.models import get_model
    from evaluator.predictions import predict

    assert run_together(lambda: predict(trained, "round-3-crf-ner", "pool", batch_size=8), 4) == []
    n = get_model(trained, "round-3-crf-ner")["predictions"]
    with trained.engine.connect() as conn:
        rows = conn.execute(sa.select(db.predictions.c.example_id)
                            .where(db.predictions.c.model_id == get_model(trained, "round-3-crf-ner")["id"])).all()
    assert len(rows) == len({r[0] for r in rows}) == n > 0


def test_a_gold_set_made_while_training_stops_the_registration(demo, monkeypatch):
    """`gold split` while a training run is in progress: the run passed the guard before the split; the model
    must not be registered (it trained on texts that are now gold)."""
    from evaluator import gold
    from evaluator.models import list_models, train_round
    from evaluator.training import base

    trainer = base.get_trainer("crf-ner")
    real = trainer.train

    def train_then_split(*args, **kwargs):
        res = real(*args, **kwargs)
        gold.split(demo, source="round:1", fraction=0.5, seed=1, name="late")  # meanwhile, in another session
        return res

    monkeypatch.setattr(trainer, "train", train_then_split)
    with pytest.raises(LeakageError, match="while the model trained"):
        train_round(demo, 1, trainer="crf-ner")
    assert list_models(demo) == []
    assert not [p for p in demo.models_dir.iterdir() if not p.name.startswith(".")]


def test_models_trained_on_texts_that_later_became_gold_are_flagged(trained):
    from evaluator import gold
    from evaluator.models import get_model
    from evaluator.scoring.compare import compare_models
    from evaluator.scoring.evaluate import evaluate_models

    assert get_model(trained, "round-3-crf-ner")["gold_overlap"] == {}
    info = gold.split(trained, source="round:2", fraction=0.5, seed=3, name="later")
    n = info["examples"]
    assert n > 0
    assert get_model(trained, "round-3-crf-ner")["gold_overlap"] == {"later": n}  # rounds 1..3 include round 2
    assert get_model(trained, "round-1-crf-ner")["gold_overlap"] == {}
    gold.freeze(trained, "later")
    evals = {e["model"]: e for e in evaluate_models(trained, "later", resamples=200)}
    assert evals["round-3-crf-ner"]["gold_overlap"] == n and evals["round-1-crf-ner"]["gold_overlap"] == 0
    res = compare_models(trained, "later", "round-1-crf-ner", "round-3-crf-ner", resamples=200)
    assert any(s.startswith("Warning: round-3-crf-ner was trained on") for s in res["sentences"])


def test_lineage_follows_rounds_and_the_candidate(demo):
    """The previous iteration is the same trainer and round mode on the highest earlier round, whatever the
    creation order; another trainer or a round-only model is another candidate."""
    from evaluator.models import list_models, previous_model, train_round

    train_round(demo, 3, trainer="crf-ner")
    train_round(demo, 1, trainer="crf-ner")
    train_round(demo, 2, trainer="crf-ner", cumulative=False)
    train_round(demo, 2, trainer="crf-ner", config={"max_iterations": 20}, name="r2-short")
    train_round(demo, 1, trainer="crf-ner", config={"max_iterations": 20}, name="r1-short")
    order = [m["name"] for m in list_models(demo)]
    assert order.index("round-1-crf-ner") < order.index("round-2-only-crf-ner") < order.index("round-3-crf-ner")
    assert previous_model(demo, "round-3-crf-ner") == "round-1-crf-ner"
    assert previous_model(demo, "round-1-crf-ner") is None
    assert previous_model(demo, "round-2-only-crf-ner") is None      # round-only: another candidate
    assert previous_model(demo, "r2-short") == "r1-short"            # same trainer *and* config
