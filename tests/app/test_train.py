"""AppTest: the Train page (background training with progress/log/cancel, models table, rename/delete, curves)."""
from __future__ import annotations

import threading

from evaluator import jobs
from evaluator.store import status
from evaluator.models import get_model, list_models, train_round
from evaluator.scoring.curves import stored_curves
from tests.app.conftest import no_exception, texts

WAIT = 120  # seconds; an upper bound for a hung job, never a timing assertion


def _meta(ws) -> dict:
    return {"workspace": str(ws.path.resolve()), "db": ws.url}


def _wait_all(ws) -> None:
    for j in jobs.list_jobs(meta=_meta(ws)):
        j.wait(WAIT)


def _train_in_page(at, ws, *, round: int, trainer: str = "crf-ner"):
    at.selectbox(key="train.trainer").set_value(trainer)
    at.selectbox(key="train.round").set_value(round)
    at.run()
    at.button(key="train.start").click()
    at.run()
    no_exception(at)
    _wait_all(ws)
    at.run()
    no_exception(at)


def test_train_a_round_in_the_background(app, demo_ws):
    at = app("pages/train.py")
    no_exception(at)
    assert any("No models yet" in t for t in texts(at, "info"))
    assert at.selectbox(key="train.trainer").options == ["crf-ner", "spacy-ner"]  # the NER trainers only
    _train_in_page(at, demo_ws, round=1)
    [job] = jobs.list_jobs(meta=_meta(demo_ws))
    assert job.state == "done", job.error
    model = get_model(demo_ws, "round-1-crf-ner")
    success = " ".join(texts(at, "success"))
    assert "round-1-crf-ner" in success and model["train_hash"][:12] in success
    table = at.dataframe[0].value
    [row] = table.to_dict("records")
    accepted_round1 = [r for r in status(demo_ws)["rounds"] if r["round"] == 1][0]["accepted"]
    assert row["model"] == "round-1-crf-ner" and row["trainer"] == "crf-ner" and row["round"] == 1
    assert row["examples"] == accepted_round1 and row["train hash"] == model["train_hash"][:12]
    assert row["training"] == "cumulative" and row["parent"] == ""

    # round 3 alone ("this round only") gets its own default name; it is another candidate than the cumulative
    # round-1 model (different training data definition), so that is not its parent
    at.radio(key="train.cumulative").set_value(False)
    _train_in_page(at, demo_ws, round=3)
    only = get_model(demo_ws, "round-3-only-crf-ner")
    assert only["lineage"]["cumulative"] is False and only["lineage"]["rounds"] == [3]
    rows = {r["model"]: r for r in at.dataframe[0].value.to_dict("records")}
    assert rows["round-3-only-crf-ner"]["parent"] == ""
    assert rows["round-3-only-crf-ner"]["training"] == "this round only"


def test_live_progress_log_and_cancel(app, demo_ws):
    """A running job of this workspace shows its progress, message and log, and Cancel stops it."""
    reported = threading.Event()

    def slow(*, progress, cancel):
        progress(40, 100, "step 40/100 · loss 1.234")
        reported.set()
        cancel.wait(WAIT)
        from evaluator.training import TrainingCancelled
        raise TrainingCancelled("Training was cancelled; nothing was kept.")

    job = jobs.start_job("train", slow, title="Training slow-model", meta=_meta(demo_ws))
    assert reported.wait(WAIT)
    at = app("pages/train.py")
    no_exception(at)
    [bar] = [p for p in at.get("progress")]
    assert bar.proto.value == 40 and "step 40/100" in bar.proto.text
    assert any("step 40/100" in str(c.value) for c in at.code)
    assert at.button(key="train.start").disabled  # one job at a time per workspace
    at.button(key=f"train.cancel.{job.id}").click()
    at.run()
    job.wait(WAIT)
    at.run()
    no_exception(at)
    assert job.state == "cancelled"
    assert any("cancelled" in w and "nothing was kept" in w for w in texts(at, "warning"))
    assert not at.button(key="train.start").disabled
    at.button(key=f"train.dismiss.{job.id}").click()
    at.run()
    assert jobs.get_job(job.id) is None and not texts(at, "warning")


def test_failures_are_shown_without_traceback(app, demo_ws):
    at = app("pages/train.py")
    at.selectbox(key="train.trainer").set_value("crf-ner")
    at.text_area(key="train.config").set_value("{not json")
    at.run()
    at.button(key="train.start").click()
    at.run()
    no_exception(at)
    assert any("not valid JSON" in e for e in texts(at, "error"))
    assert jobs.list_jobs(meta=_meta(demo_ws)) == []

    at.text_area(key="train.config").set_value("")
    at.text_input(key="train.name").set_value("bad name!")
    at.run()
    at.button(key="train.start").click()
    at.run()
    _wait_all(demo_ws)
    at.run()
    no_exception(at)
    errors = " ".join(texts(at, "error"))
    assert "failed" in errors and "Bad model name" in errors and "**Fix:**" in errors and "Traceback" not in errors
    assert list_models(demo_ws) == []


def test_a_trained_round_suggests_a_free_name_and_a_typed_taken_name_is_refused(app, demo_ws):
    """Issue 7, item 13: no yellow "exists already" on every visit once the latest round is trained."""
    train_round(demo_ws, 1, trainer="crf-ner")
    at = app("pages/train.py")
    at.selectbox(key="train.trainer").set_value("crf-ner")
    at.selectbox(key="train.round").set_value(1)
    at.run()
    assert not at.warning and not at.button(key="train.start").disabled
    assert any("Will be saved as `round-1-crf-ner-2` (`round-1-crf-ner` exists already)" in c
               for c in texts(at, "caption"))
    at.button(key="train.start").click()
    at.run()
    _wait_all(demo_ws)
    assert [m["name"] for m in list_models(demo_ws)] == ["round-1-crf-ner", "round-1-crf-ner-2"]
    at = app("pages/train.py")
    at.selectbox(key="train.trainer").set_value("crf-ner")
    at.selectbox(key="train.round").set_value(1)
    at.text_input(key="train.name").set_value("round-1-crf-ner")  # typed: refused, with a free name offered
    at.run()
    assert at.button(key="train.start").disabled
    assert any("`round-1-crf-ner` exists already" in w and "`round-1-crf-ner-3`" in w
               for w in texts(at, "warning"))


def test_rename_and_delete(app, demo_ws):
    train_round(demo_ws, 1, trainer="crf-ner")
    at = app("pages/train.py")
    at.selectbox(key="train.trainer").set_value("crf-ner")
    at.selectbox(key="train.round").set_value(1)
    at.run()

    at.text_input(key="train.new_name").set_value("baseline")
    at.run()
    at.button(key="train.rename").click()
    at.run()
    no_exception(at)
    assert [m["name"] for m in list_models(demo_ws)] == ["baseline"]
    assert list(at.dataframe[0].value["model"]) == ["baseline"]
    assert any("Will be saved as `round-1-crf-ner`." in c for c in texts(at, "caption"))  # free again

    at.text_input(key="train.new_name").set_value("bad name!")
    at.run()
    at.button(key="train.rename").click()
    at.run()
    assert any("Bad model name" in e for e in texts(at, "error"))

    assert at.button(key="train.delete").disabled  # until confirmed
    at.checkbox(key="train.delete_sure").check()
    at.run()
    at.button(key="train.delete").click()
    at.run()
    no_exception(at)
    assert list_models(demo_ws) == [] and any("No models yet" in t for t in texts(at, "info"))


def test_scores_appear_in_the_models_table_first_and_hashes_last(app, demo_ws):
    from evaluator.scoring.evaluate import evaluate_models

    train_round(demo_ws, 1, trainer="crf-ner")
    [ev] = evaluate_models(demo_ws, "demo-test", resamples=100)
    at = app("pages/train.py")
    no_exception(at)
    table = at.dataframe[0].value
    [row] = table.to_dict("records")
    column = f"F1 demo-test v{ev['gold_version']}"
    assert row[column] == ev["micro"]["f1"]
    assert list(table.columns)[:2] == ["model", column] and list(table.columns)[-1] == "train hash"


def test_an_old_finished_job_is_reported_to_the_session_that_ran_it_only(app, demo_ws):
    """Issue 7, item 13: old success banners do not greet every later visitor until someone dismisses them."""
    at = app("pages/train.py")
    _train_in_page(at, demo_ws, round=1)
    assert any("Trained **round-1-crf-ner**" in s for s in texts(at, "success"))
    soon = app("pages/train.py")  # another session, right after: it may see what just finished
    assert any("Trained **round-1-crf-ner**" in s for s in texts(soon, "success"))
    [job] = jobs.list_jobs(meta=_meta(demo_ws))
    job.finished -= 3600  # an hour later
    later = app("pages/train.py")
    no_exception(later)
    assert not any("Trained" in s for s in texts(later, "success"))
    assert list(later.dataframe[0].value["model"]) == ["round-1-crf-ner"]  # the model itself is there
    at.run()
    assert any("Trained **round-1-crf-ner**" in s for s in texts(at, "success"))  # until dismissed, for its session


def test_learning_curve_runs_in_the_background_and_is_drawn(app, demo_ws):
    at = app("pages/train.py")
    assert any("No learning curve" in c for c in texts(at, "caption"))
    at.selectbox(key="train.curve_trainer").set_value("crf-ner")
    at.multiselect(key="train.curve_fractions").set_value([0.5, 0.75, 1.0])
    at.run()
    assert any("9 training runs" in c for c in texts(at, "caption"))
    at.button(key="train.curve_start").click()
    at.run()
    _wait_all(demo_ws)
    at.run()
    no_exception(at)
    [curve] = stored_curves(demo_ws, trainer="crf-ner")
    assert [p["fraction"] for p in curve["points"]] == [0.5, 0.75, 1.0] and curve["plan"]["seeds"] == [0, 1, 2]
    verdict = "More data still helps" if curve["verdict"] == "more data still helps" else "The curve has flattened"
    assert any(verdict in t for t in texts(at, "success") + texts(at, "info"))
    assert any("Learning curve of **crf-ner** ready" in s for s in texts(at, "success"))
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert '"examples"' in spec and '"mean"' in spec and '"min"' in spec and '"max"' in spec


def test_render_helpers_for_the_page():
    import pytest

    from evaluator.errors import ConfigError
    from ui import render

    assert render.parse_config("  ") is None
    assert render.parse_config('{"training.max_steps": 5}') == {"training.max_steps": 5}
    with pytest.raises(ConfigError, match="not valid JSON"):
        render.parse_config("{x")
    with pytest.raises(ConfigError, match="JSON object"):
        render.parse_config("[1, 2]")
    assert render.default_model_name(2, "crf-ner") == "round-2-crf-ner"
    assert render.default_model_name(2, "crf-ner", cumulative=False) == "round-2-only-crf-ner"
    models = [{"name": "m1", "kind": "trained", "trainer": "crf-ner", "round": 1, "counts": {"examples": 9},
               "lineage": {"parent": None, "cumulative": True}, "train_hash": "abcdef0123456789", "seed": 0,
               "seconds": 1.5, "created_at": "2026-01-01T10:00:00+00:00"},
              {"name": "ext", "kind": "predictions", "trainer": None, "round": None, "counts": None,
               "lineage": {"parent": None}, "train_hash": None, "seed": None, "seconds": None, "created_at": None}]
    scores = [{"model": "m1", "gold": "test", "version": 2, "f1": 0.5, "current": True},
              {"model": "ext", "gold": "test", "version": 1, "f1": 0.7, "current": False}]
    rows = render.model_rows(models, scores)
    assert rows[0]["train hash"] == "abcdef012345" and rows[0]["F1 test v2"] == 0.5 and rows[0]["examples"] == 9
    assert rows[1]["trainer"] == "external (predictions)" and rows[1]["F1 test v2"] is None
    assert "F1 test v1" not in rows[1]  # a stale evaluation (the gold set changed since) is not shown


def test_several_runs_from_the_page(app, demo_ws):
    """Runs = 2 trains one model per seed (the candidate's runs); CRF is found deterministic and trained once."""
    at = app("pages/train.py")
    at.number_input(key="train.runs").set_value(2)
    _train_in_page(at, demo_ws, round=2)
    [job] = jobs.list_jobs(meta=_meta(demo_ws))
    assert job.state == "done", job.error
    assert job.result["deterministic"] and [m["name"] for m in job.result["runs"]] == ["round-2-crf-ner"]
    assert [m["name"] for m in list_models(demo_ws)] == ["round-2-crf-ner"]
    assert any("deterministic" in t for t in texts(at, "success"))
