"""evaluator.jobs: background jobs with progress, a bounded log, cancel, and user-readable failures."""
from __future__ import annotations

import threading
import uuid

import pytest

from evaluator import jobs
from evaluator.errors import ConfigError
from evaluator.training.base import TrainingCancelled, check_cancel

WAIT = 60  # seconds; a generous upper bound for a hung thread, never a timing assertion


def _meta() -> dict:
    return {"test": uuid.uuid4().hex}  # isolates this test's jobs in the process-wide registry


def test_progress_log_and_result():
    gate, reported = threading.Event(), threading.Event()

    def work(x, *, scale, progress, cancel):
        progress(5, 10, "half way")
        reported.set()
        gate.wait(WAIT)
        progress(6, None, "almost")  # an unknown total keeps the fraction
        return x * scale

    meta = _meta()
    job = jobs.start_job("demo", work, 21, scale=2, title="Doubling", meta=meta)
    assert reported.wait(WAIT)
    assert job.running and job.state == "running" and job.finished is None
    assert job.progress == 0.5 and job.message == "half way"
    assert any(line.endswith("half way") for line in job.lines)
    assert jobs.get_job(job.id) is job and jobs.list_jobs(meta=meta) == [job]
    gate.set()
    assert jobs.wait_job(job.id, WAIT) is job
    snap = job.snapshot()
    assert snap["state"] == "done" and snap["result"] == 42 and snap["progress"] == 1.0
    assert snap["error"] is None and snap["title"] == "Doubling" and snap["finished"] >= snap["started"]
    assert [line.split("  ", 1)[1] for line in snap["log"]][:3] == ["started: Doubling", "half way", "almost"]
    assert jobs.cancel_job(job.id) is False  # nothing to cancel any more


def test_progress_is_clamped_and_the_log_throttled():
    seen = []

    def work(*, progress, cancel):
        me = progress.__self__  # the job whose receiver this is
        progress(20, 10, "over")
        seen.append(me.progress)
        progress(-1, 10, "under")
        seen.append(me.progress)
        for step in range(1, 1001):
            progress(step, 1000, f"step {step}/1000")
        return None

    job = jobs.start_job("demo", work, meta=_meta())
    job.wait(WAIT)
    assert seen == [1.0, 0.0]
    assert job.state == "done" and job.message == "step 1000/1000"
    steps = [line for line in job.lines if " step " in line]
    # one line per 5% of the work (and the last step), not 1,000
    assert 15 <= len(steps) <= 1 / jobs.LOG_EVERY + 2 and steps[-1].endswith("step 1000/1000")


def test_log_is_bounded_and_keeps_the_newest_lines():
    def work(*, progress, cancel):
        for i in range(jobs.LOG_LINES * 3):
            progress(i, None, f"line {i}")  # no total: every message is a line

    job = jobs.start_job("demo", work, meta=_meta())
    job.wait(WAIT)
    lines = job.lines
    assert len(lines) == jobs.LOG_LINES
    assert lines[-1].endswith("finished after " + lines[-1].split("finished after ")[1])
    assert lines[-2].endswith(f"line {jobs.LOG_LINES * 3 - 1}")


def test_cancel_stops_a_job_that_checks_the_event():
    started = threading.Event()

    def work(*, progress, cancel):
        started.set()
        while True:
            check_cancel(cancel)  # what every trainer does between steps
            cancel.wait(0.01)

    job = jobs.start_job("train", work, meta=_meta())
    assert started.wait(WAIT)
    assert jobs.cancel_job(job.id) is True
    job.wait(WAIT)
    assert job.state == "cancelled" and job.error_code == "cancelled" and job.result is None
    assert "cancel requested" in " ".join(job.lines)


def test_user_error_fails_with_message_and_hint_not_a_traceback():
    def work(*, progress, cancel):
        raise ConfigError("Unknown trainer 'nope'.", hint="use one of: crf-ner")

    job = jobs.start_job("train", work, meta=_meta())
    job.wait(WAIT)
    assert job.state == "failed" and job.error_code == "config"
    assert job.error == "Unknown trainer 'nope'." and job.hint == "use one of: crf-ner"
    assert "Traceback" not in " ".join(job.lines)


def test_a_bug_fails_with_one_line(caplog):
    def work(*, progress, cancel):
        raise RuntimeError("kaput\nsecond line")

    job = jobs.start_job("train", work, meta=_meta())
    job.wait(WAIT)
    assert job.state == "failed" and job.error_code == "bug"
    assert "RuntimeError: kaput" in job.error and "bug" in job.error and "second line" not in job.error
    assert "Traceback" not in job.error


def test_list_filters_newest_first_and_forget():
    meta = _meta()
    a = jobs.start_job("train", lambda *, progress, cancel: 1, meta=meta)
    a.wait(WAIT)
    b = jobs.start_job("curve", lambda *, progress, cancel: 2, meta=meta)
    b.wait(WAIT)
    assert jobs.list_jobs(meta=meta) == [b, a]
    assert jobs.list_jobs(meta=meta, kind="train") == [a]
    assert jobs.list_jobs(meta=meta, state="running") == []
    assert jobs.list_jobs(meta={**meta, "other": 1}) == []
    assert jobs.forget_job(a.id) and jobs.get_job(a.id) is None
    assert jobs.list_jobs(meta=meta) == [b]
    assert jobs.forget_job("no-such-job") is False


def test_registry_forgets_the_oldest_finished_jobs(monkeypatch):
    monkeypatch.setattr(jobs, "MAX_JOBS", 3)
    meta = _meta()
    made = []
    for i in range(6):
        j = jobs.start_job("demo", lambda *, progress, cancel, _i=i: _i, meta=meta)
        j.wait(WAIT)
        made.append(j)
    assert len(jobs._JOBS) <= 3
    assert jobs.get_job(made[-1].id) is made[-1] and jobs.get_job(made[0].id) is None


# ------------------------------------------------------------------------------------ the training bodies

@pytest.fixture
def demo(tmp_path):
    from evaluator.demo import build_demo
    from evaluator.workspace import open_workspace

    build_demo(tmp_path / "demo")
    return open_workspace(tmp_path / "demo")


def test_train_job_registers_a_model_and_keeps_the_log_short(demo):
    from evaluator.models import get_model, train_round

    job = jobs.start_job("train", train_round, demo, 1, trainer="crf-ner", meta=_meta())
    job.wait(WAIT)
    assert job.state == "done", job.error
    model = get_model(demo, job.result["name"])
    assert model["trainer"] == "crf-ner" and model["round"] == 1
    assert job.progress == 1.0 and f"saved model {model['name']}" in job.message
    steps = [line for line in job.lines if " step " in line]
    iterations = model["config"]["steps"]
    assert steps and len(steps) <= 25 < iterations  # about every 5% of the iterations, not every one
    assert steps[-1].split("  ", 1)[1].startswith(f"step {iterations}/") or iterations < 25


def test_cancelled_training_keeps_nothing(demo):
    from evaluator.models import list_models, train_round

    gate = threading.Event()

    def gated(*args, progress, cancel, **kwargs):
        gate.wait(WAIT)
        return train_round(*args, progress=progress, cancel=cancel, **kwargs)

    job = jobs.start_job("train", gated, demo, 3, trainer="crf-ner", meta=_meta())
    assert jobs.cancel_job(job.id)
    gate.set()
    job.wait(WAIT)
    assert job.state == "cancelled" and job.error_code == "cancelled"
    assert list_models(demo) == []
    assert not [p for p in demo.models_dir.iterdir() if p.name.startswith(".tmp-")]


def test_train_round_raises_training_cancelled_directly(demo):
    from evaluator.models import train_round

    ev = threading.Event()
    ev.set()
    with pytest.raises(TrainingCancelled):
        train_round(demo, 1, trainer="crf-ner", progress=lambda *a: None, cancel=ev)


def test_curve_and_predict_jobs(demo):
    from evaluator.models import train_round
    from evaluator.predictions import predict
    from evaluator.scoring.curves import learning_curve, stored_curves

    meta = _meta()
    curve = jobs.start_job("curve", learning_curve, demo, trainer="crf-ner", fractions=[0.75, 1.0], seeds=[0, 1, 2],
                           config={"max_iterations": 30}, meta=meta)
    curve.wait(WAIT * 2)
    assert curve.state == "done", curve.error
    [stored] = stored_curves(demo, trainer="crf-ner")
    assert curve.result["verdict"] == stored["verdict"] and [p["fraction"] for p in stored["points"]] == [0.75, 1.0]
    assert sum("run " in line for line in curve.lines) == 6

    train_round(demo, 1, trainer="crf-ner")
    pred = jobs.start_job("predict", predict, demo, "round-1-crf-ner", "pool", meta=meta)
    pred.wait(WAIT)
    assert pred.state == "done", pred.error
    again = jobs.start_job("predict", predict, demo, "round-1-crf-ner", "pool", meta=meta)
    again.wait(WAIT)
    assert pred.result["computed"] == pred.result["examples"] > 0
    assert again.result["computed"] == 0 and again.result["reused"] == pred.result["examples"]


def test_cancelling_a_running_spacy_training(demo):
    """Cancel lands inside spaCy's training loop (its before_update hook): no model, no leftover folder."""
    import time

    from evaluator.models import list_models, train_round

    job = jobs.start_job("train", train_round, demo, 3, trainer="spacy-ner", meta=_meta())
    deadline = time.monotonic() + WAIT
    while job.running and not job.message.startswith("step ") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert job.running, job.error  # 1500 steps by default: it cannot have finished yet
    assert jobs.cancel_job(job.id)
    job.wait(WAIT)
    assert job.state == "cancelled" and job.error == "Training was cancelled; nothing was kept."
    assert list_models(demo) == [] and list(demo.models_dir.iterdir()) == []
