"""The same round, seed, config and data give the same model from the app and from the CLI (issue 7, item 3).

The app trains in a background job while the web server's other threads keep drawing from the process-wide
random states (uvicorn's websocket keep-alive ping calls ``random.getrandbits``); spaCy's training loop draws
from the same states (batch shuffling, dropout). The job therefore trains in a process of its own.
"""
from __future__ import annotations

import json
import random
import threading

import numpy as np
import pytest

from evaluator import jobs
from evaluator.models import train_round
from evaluator.training import get_trainer

from .helpers import TINY_SPACY

WAIT = 300  # seconds; an upper bound for a hung job, never a timing assertion


@pytest.fixture
def demo(tmp_path):
    from evaluator.demo import build_demo
    from evaluator.workspace import open_workspace

    build_demo(tmp_path / "demo")
    return open_workspace(tmp_path / "demo")


class _Noise:
    """Draw from ``random`` and ``numpy.random`` in another thread, as the app server's threads do."""

    def __enter__(self):
        self.stop = threading.Event()

        def run():
            while not self.stop.is_set():
                random.getrandbits(32)
                np.random.random()
                self.stop.wait(0.002)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def test_train_page_job_and_cli_give_the_same_artifact(demo, cli_runner):
    config = json.dumps(TINY_SPACY)
    out = cli_runner("train", "--round", "1", "--trainer", "spacy-ner", "--seed", "3", "--config", config,
                     "--name", "from-cli", "--workspace", demo.path, "--json")
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout)

    with _Noise():  # the server's threads keep drawing while the job trains (as the Train page starts it)
        job = jobs.start_job("train", jobs.in_own_process(train_round), demo, 1, trainer="spacy-ner", seed=3,
                             cumulative=True, config=json.loads(config), name="from-app",
                             meta={"test": "both-doors"})
        job.wait(WAIT)
    assert job.state == "done", job.error
    app = job.result
    assert app["train_hash"] == cli["train_hash"]
    assert app["artifact_hash"] == cli["artifact_hash"]


@pytest.mark.parametrize("trainer,config", [("spacy-ner", TINY_SPACY), ("crf-ner", {"max_iterations": 20})])
def test_artifact_hash_depends_on_the_inputs_only(trainer, config, demo, tmp_path):
    """No temporary path or wall-clock time goes into the artifact: two runs, two folders, one hash."""
    from evaluator.store import training_records

    records = training_records(demo, round=1)
    tr = get_trainer(trainer)
    a = tr.train(records, labels=demo.labels, seed=1, config=config, out_dir=tmp_path / "a")
    b = tr.train(records, labels=demo.labels, seed=1, config=config, out_dir=tmp_path / "elsewhere" / "b")
    assert a.artifact_hash == b.artifact_hash
    assert str(tmp_path) not in "".join(p.read_text(errors="ignore") for p in (tmp_path / "a").rglob("*.json"))
    c = tr.train(records, labels=demo.labels, seed=2, config=config, out_dir=tmp_path / "c")
    assert c.artifact_hash != a.artifact_hash  # the hash does see the seed


def test_a_job_in_its_own_process_reports_errors_like_one_in_a_thread(demo):
    from evaluator.errors import NotFoundError

    with pytest.raises(NotFoundError) as err:
        jobs.in_own_process(train_round)(demo, 9, progress=None, cancel=None)
    assert "No round 9" in err.value.message and err.value.code == "not_found" and err.value.hint
    job = jobs.start_job("train", jobs.in_own_process(train_round), demo, 9, meta={"test": "both-doors-error"})
    job.wait(WAIT)
    assert job.state == "failed" and job.error_code == "not_found" and "No round 9" in job.error


def test_the_worker_process_never_runs_the_servers_main_script(demo, tmp_path, monkeypatch):
    """Streamlit installs the page script as ``__main__``; a worker that re-ran it would start the app again."""
    import sys
    import types

    marker = tmp_path / "main-ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    seen = []
    res = jobs.in_own_process(train_round)(demo, 1, trainer="crf-ner", config={"max_iterations": 5},
                                           progress=lambda *a: seen.append(a), cancel=None)
    assert res["name"] == "round-1-crf-ner" and seen and not marker.exists()
