"""Trainers on real data: learning happens, runs are reproducible, progress and cancel work."""
from __future__ import annotations

import csv
import threading

import pytest

from evaluator.errors import ConfigError, IntegrityError
from evaluator.records import Record
from evaluator.training import TrainingCancelled, get_trainer
from evaluator.training.spacy_trainers import split_dev

from .helpers import AG_LABELS, SMALL_SPACY, TINY_SPACY, read_records


@pytest.fixture(scope="module")
def drugs(shared_data):
    src = shared_data / "prodigy-drugs"
    return read_records(src / "drugs_training.jsonl", limit=400), read_records(src / "drugs_eval.jsonl", limit=150)


@pytest.fixture(scope="module")
def ag(shared_data):
    rows = list(csv.reader((shared_data / "ag-news" / "test.csv").open(encoding="utf-8")))
    recs = [Record(f"{r[1]} {r[2]}", label=AG_LABELS[r[0]]) for r in rows]
    return recs[1000:1800], recs[:600]


def _accuracy(gold, preds) -> float:
    return sum(g.label == p.label for g, p in zip(gold, preds)) / len(gold)


def test_split_dev_is_seeded_disjoint_and_from_the_given_records():
    train, dev = split_dev(100, fraction=0.15, seed=3)
    assert len(dev) == 15 and not set(train) & set(dev) and sorted(train + dev) == list(range(100))
    assert (train, dev) == split_dev(100, fraction=0.15, seed=3)
    assert dev != split_dev(100, fraction=0.15, seed=4)[1]
    assert split_dev(3, fraction=0.15, seed=0) == ([0, 1, 2], [0, 1, 2])


@pytest.mark.parametrize("trainer", ["crf-ner", "spacy-ner"])
def test_ner_same_seed_same_predictions(trainer, drugs, tmp_path):
    train, gold = drugs
    tr = get_trainer(trainer)
    cfg = SMALL_SPACY if trainer == "spacy-ner" else {"max_iterations": 30}
    preds, results = [], []
    for k in range(2):
        res = tr.train(train[:120], labels=["DRUG"], seed=5, config=cfg, out_dir=tmp_path / f"m{k}")
        results.append(res)
        preds.append(tr.load(tmp_path / f"m{k}", expected_hash=res.artifact_hash).predict(gold))
    assert [p.spans for p in preds[0]] == [p.spans for p in preds[1]]
    assert sum(len(p.spans) for p in preds[0]) > 0
    assert results[0].train_hash == results[1].train_hash
    assert results[0].counts == {"examples": 120, "labels": {"DRUG": sum(len(r.spans) for r in train[:120])}}


def test_spacy_ner_from_a_base_pipeline(drugs, tmp_path):
    train, gold = drugs
    tr = get_trainer("spacy-ner")
    base = tr.train(train[:80], labels=["DRUG"], seed=0, config=TINY_SPACY, out_dir=tmp_path / "base")
    res = tr.train(train[80:200], labels=["DRUG"], seed=0, out_dir=tmp_path / "tuned",
                   config={**TINY_SPACY, "base_model": str(tmp_path / "base" / "model")})
    assert res.config["base_model"] == str(tmp_path / "base" / "model")
    assert res.config["spacy"]["components"]["ner"]["source"] == str(tmp_path / "base" / "model")
    preds = tr.load(tmp_path / "tuned", expected_hash=res.artifact_hash).predict(gold[:20])
    assert len(preds) == 20
    assert base.artifact_hash != res.artifact_hash


def test_bad_spacy_override_is_a_config_error(drugs, tmp_path):
    with pytest.raises(ConfigError, match="training.max_stepz"):
        get_trainer("spacy-ner").train(drugs[0][:20], labels=["DRUG"], out_dir=tmp_path / "m",
                                       config={"training.max_stepz": 3})


@pytest.mark.parametrize("trainer", ["spacy-ner", "crf-ner"])
def test_cancel_stops_training_and_leaves_nothing(trainer, drugs, tmp_path):
    cancel = threading.Event()

    def progress(step, total, message):
        if step >= 3:
            cancel.set()

    out = tmp_path / "m"
    with pytest.raises(TrainingCancelled):
        get_trainer(trainer).train(drugs[0][:60], labels=["DRUG"], out_dir=out, progress=progress, cancel=cancel)
    assert not out.exists()


@pytest.mark.parametrize("trainer", ["sklearn-textcat", "spacy-textcat"])
def test_textcat_same_seed_same_predictions_and_probabilities(trainer, ag, tmp_path):
    pool, gold = ag
    tr = get_trainer(trainer)
    runs = []
    for k in range(2):
        res = tr.train(pool[:60], labels=list(AG_LABELS.values()), seed=0, out_dir=tmp_path / f"m{k}")
        runs.append(tr.load(tmp_path / f"m{k}", expected_hash=res.artifact_hash).predict(gold[:200]))
    assert [p.label for p in runs[0]] == [p.label for p in runs[1]]
    assert [p.scores for p in runs[0]] == [p.scores for p in runs[1]]
    for p in runs[0]:
        assert set(p.scores) == set(AG_LABELS.values()) and abs(sum(p.scores.values()) - 1) < 1e-4
        assert p.label == max(p.scores, key=p.scores.get)
    assert _accuracy(gold[:200], runs[0]) > 0.25  # better than chance with 4 classes


def test_pickled_models_need_the_registry_hash(ag, tmp_path):
    pool, _ = ag
    tr = get_trainer("sklearn-textcat")
    res = tr.train(pool[:60], labels=list(AG_LABELS.values()), out_dir=tmp_path / "m")
    with pytest.raises(IntegrityError):
        tr.load(tmp_path / "m")
    (tmp_path / "m" / "model" / "model.pkl").write_bytes(b"not what the registry wrote")
    with pytest.raises(IntegrityError, match="changed"):
        tr.load(tmp_path / "m", expected_hash=res.artifact_hash)


def test_sklearn_textcat_needs_two_classes(tmp_path):
    with pytest.raises(ConfigError, match="two classes"):
        get_trainer("sklearn-textcat").train([Record("a", label="X"), Record("b", label="X")], labels=["X", "Y"],
                                             out_dir=tmp_path / "m")


def test_export_writes_the_spacy_project_train_would_use(drugs, tmp_path):
    import spacy
    from spacy.tokens import DocBin
    from spacy.util import load_config

    train, _ = drugs
    out = get_trainer("spacy-ner").export(train[:100], labels=["DRUG"], seed=4, out_dir=tmp_path / "p",
                                          config={"training.max_steps": 123})
    cfg = load_config(out["config"])
    assert cfg["training"]["max_steps"] == 123 and cfg["training"]["seed"] == 4
    assert "evaluator" not in (tmp_path / "p" / "config.cfg").read_text()
    nlp = spacy.blank("en")
    n_train = len(list(DocBin().from_disk(out["train"]).get_docs(nlp.vocab)))
    dev = list(DocBin().from_disk(out["dev"]).get_docs(nlp.vocab))
    assert (n_train, len(dev)) == (85, 15)
    _, dev_idx = split_dev(100, fraction=0.15, seed=4)
    assert [d.text for d in dev] == [train[i].text for i in dev_idx]
    assert out["command"][:4] == ["python", "-m", "spacy", "train"]


@pytest.mark.parametrize("override", [{"C": 2.0}, {"nope": 1}, {"training.max_steps": 100}, {"logreg": 3}])
def test_sklearn_textcat_refuses_unknown_config_keys(override, tmp_path):
    # {"C": 2.0} used to be stored with the model and silently ignored (the setting is logreg.C)
    recs = [Record("stocks fell", label="business"), Record("the cup final", label="sport")] * 3
    with pytest.raises(ConfigError, match="sklearn-textcat config") as err:
        get_trainer("sklearn-textcat").train(recs, labels=["business", "sport"], config=override,
                                             out_dir=tmp_path / "m")
    assert "logreg.C" in str(err.value)
    ok = get_trainer("sklearn-textcat").train(recs, labels=["business", "sport"], config={"logreg.C": 2.0},
                                              out_dir=tmp_path / "ok")
    assert ok.config["logreg"]["C"] == 2.0
