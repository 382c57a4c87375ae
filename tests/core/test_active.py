"""Active learning: uncertainty ranking against scikit-learn's own probabilities, CRF marginals against
sklearn_crfsuite, committees, models without confidence, and the per-model cache."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from scipy.stats import entropy as scipy_entropy

from evaluator import active, db, labeling
from evaluator.demo import build_demo
from evaluator.store import load_records, training_records
from evaluator.models import get_model, load_model, train_round
from evaluator.workspace import open_workspace

FAST_CRF = {"max_iterations": 30}


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    """The textcat demo (gold, three rounds, a pool of 150) with sklearn-textcat trained on round 1."""
    path = tmp_path_factory.mktemp("news") / "ws"
    build_demo(path, task="textcat")
    ws = open_workspace(path)
    train_round(ws, 1, trainer="sklearn-textcat")
    return ws


@pytest.fixture(scope="module")
def ner(tmp_path_factory):
    """The NER demo with two CRFs on round 1 (different regularisation: a committee)."""
    path = tmp_path_factory.mktemp("ner") / "ws"
    build_demo(path)
    ws = open_workspace(path)
    train_round(ws, 1, trainer="crf-ner", config=FAST_CRF)
    train_round(ws, 1, trainer="crf-ner", config={**FAST_CRF, "c1": 1.0}, name="round-1-crf-ner-c1")
    return ws


def _reference_probs(ws, texts):
    """Class probabilities from a scikit-learn pipeline fitted here, with the trainer's default settings."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from evaluator.training import get_trainer

    cfg = get_trainer("sklearn-textcat").default_config()
    tfidf = dict(cfg["tfidf"], ngram_range=tuple(cfg["tfidf"]["ngram_range"]))
    train = training_records(ws, round=1)
    pipe = make_pipeline(TfidfVectorizer(**tfidf), LogisticRegression(random_state=0, **cfg["logreg"]))
    pipe.fit([r.text for r in train], [r.label for r in train])
    return pipe.predict_proba(texts)


def test_uncertainty_ranking_puts_the_lowest_top_probability_first(news):
    pool = load_records(news, "pool", answers=None)
    probs = _reference_probs(news, [r.text for r in pool])
    top = dict(zip((r.id for r in pool), probs.max(axis=1)))
    items = labeling.next_items(news, target="round:4", strategy="uncertainty", model="round-1-sklearn-textcat",
                                method="least-confident", n=len(pool), suggest=True)
    assert [i.example_id for i in items] == sorted(top, key=lambda i: (top[i], i))
    assert [i.confidence for i in items] == pytest.approx([top[i.example_id] for i in items], abs=1e-9)
    assert items[0].confidence == pytest.approx(probs.max(axis=1).min(), abs=1e-9)
    first = items[0]
    assert first.suggestion == max(first.scores, key=first.scores.get)  # correct mode: the top class


def test_margin_and_entropy_against_numpy_and_scipy(news):
    pool = load_records(news, "pool", answers=None)
    probs = _reference_probs(news, [r.text for r in pool])
    ordered = np.sort(probs, axis=1)
    margin = dict(zip((r.id for r in pool), ordered[:, -1] - ordered[:, -2]))
    ent = dict(zip((r.id for r in pool), 1 - scipy_entropy(probs, axis=1) / np.log(probs.shape[1])))
    for method, ref in (("margin", margin), ("entropy", ent)):
        items = labeling.next_items(news, target="round:4", strategy="uncertainty", model="round-1-sklearn-textcat",
                                    method=method, n=len(pool))
        assert [i.confidence for i in items] == pytest.approx([ref[i.example_id] for i in items], abs=1e-9)
        assert [i.confidence for i in items] == sorted(i.confidence for i in items)


def test_confidences_are_cached_per_model_and_artifact(news):
    pool = [r.id for r in load_records(news, "pool", answers=None)]
    again = active.score_examples(news, "round-1-sklearn-textcat", pool)
    assert again["computed"] == 0 and again["reused"] == len(pool)
    model = get_model(news, "round-1-sklearn-textcat")
    with news.engine.begin() as conn:  # as if the model's artifact had changed: its rows no longer count
        conn.execute(db.confidences.update().where(db.confidences.c.example_id == pool[0])
                     .values(artifact_hash="0" * 64))
    seen = []
    res = active.score_examples(news, "round-1-sklearn-textcat", pool, batch_size=1,
                                progress=lambda done, total, msg: seen.append((done, total)))
    assert res["computed"] == 1 and seen[-1] == (1, 1)
    with news.engine.connect() as conn:
        hashes = {r[0] for r in conn.execute(sa.select(db.confidences.c.artifact_hash)
                                             .where(db.confidences.c.model_id == model["id"]))}
    assert hashes == {model["artifact_hash"]}


def test_crf_marginals_equal_sklearn_crfsuite(ner):
    import sklearn_crfsuite
    import spacy

    from evaluator.training.crf import doc_features
    from evaluator.training.docs import record_to_doc

    model = get_model(ner, "round-1-crf-ner")
    predictor = load_model(ner, "round-1-crf-ner")
    pool = load_records(ner, "pool", answers=None)[:40]
    ours = predictor.predict_marginals(pool)
    crf = sklearn_crfsuite.CRF(model_filename=str(ner.path / model["artifact_path"] / "model" / "model.crfsuite"))
    nlp = spacy.blank("en")
    X = [doc_features(record_to_doc(r, nlp), window=2) for r in pool]
    ref = crf.predict_marginals(X)
    for (pred, seq_p, marg), ref_marg, x in zip(ours, ref, X):
        expected = np.array([[tok[t] for t in predictor.tags] for tok in ref_marg])
        assert marg == pytest.approx(expected, abs=1e-12)
        # P(best sequence) <= the marginal of each token's predicted tag (written out independently)
        tags = crf.predict_single(x)
        assert seq_p <= min(tok[t] for tok, t in zip(ref_marg, tags)) + 1e-12
        assert 0 < seq_p <= 1
    conf = active.token_confidences(ours[0][2], ours[0][1])
    top2 = np.sort(ours[0][2], axis=1)[:, -2:]
    assert conf["margin"] == pytest.approx(float(np.min(top2[:, 1] - top2[:, 0])))


def test_ner_uncertainty_from_the_crf_least_confident_first(ner):
    items = labeling.next_items(ner, target="round:4", strategy="uncertainty", model="round-1-crf-ner", n=150,
                                suggest=True)
    conf = [i.confidence for i in items]
    assert conf == sorted(conf) and len(set(conf)) > 10
    predictor = load_model(ner, "round-1-crf-ner")
    first = [r for r in load_records(ner, "pool", answers=None) if r.id == items[0].example_id]
    [(pred, seq_p, _)] = predictor.predict_marginals(first)
    assert items[0].confidence == pytest.approx(seq_p) and items[0].suggestion == pred.spans


def test_committee_ranks_by_disagreement(ner):
    members = ["round-1-crf-ner", "round-1-crf-ner-c1"]
    items = labeling.next_items(ner, target="round:4", strategy="uncertainty", committee=members, n=150)
    preds = [active.predictions_for(ner, m, [i.example_id for i in items]) for m in members]
    for it in items:
        a, b = set(preds[0][it.example_id].spans), set(preds[1][it.example_id].spans)
        expected = 1.0 if not a and not b else 2 * len(a & b) / (len(a) + len(b))
        assert it.confidence == pytest.approx(expected)
    assert [i.confidence for i in items] == sorted(i.confidence for i in items)
    assert items[0].confidence < 1.0  # the two CRFs disagree somewhere


def test_spacy_ner_gives_no_confidence_and_says_what_works(ner):
    from tests.training.helpers import TINY_SPACY
    train_round(ner, 1, trainer="spacy-ner", config=TINY_SPACY)
    assert active.confidence_source(ner, "round-1-spacy-ner") is None
    assert active.confidence_source(ner, "round-1-crf-ner") == "marginals"
    with pytest.raises(active.NoConfidence) as err:
        labeling.next_items(ner, target="round:4", strategy="uncertainty", model="round-1-spacy-ner")
    assert "greedily" in err.value.message and "crf-ner" in err.value.hint and "disagreement" in err.value.hint
    # but its predictions pre-fill items (correct mode), with no confidence shown
    [item] = labeling.next_items(ner, target="round:4", model="round-1-spacy-ner", suggest=True, n=1)
    assert item.confidence is None and isinstance(item.suggestion, list)


def test_pure_measures_on_known_probabilities():
    c = active.prob_confidences([[1.0, 0.0], [0.5, 0.5], [2.0, 2.0]])
    assert c["least_confident"].tolist() == [1.0, 0.5, 0.5]
    assert c["margin"].tolist() == [1.0, 0.0, 0.0]
    assert c["entropy"].tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert active.rank([5, 3, 4], [0.2, 0.2, 0.1]) == [4, 3, 5]
    empty = active.token_confidences(np.zeros((0, 3)), 1.0)
    assert empty == {"least_confident": 1.0, "margin": 1.0, "entropy": 1.0}
    with pytest.raises(ValueError):
        active.committee_confidence([], task="ner")
    assert Path(active.__file__).read_text().count("import streamlit") == 0


def test_a_shown_item_keeps_its_place_and_confidence(ner):
    """The page re-reads the example on screen on every rerun: the same confidence and place as in the stream."""
    members = ("round-1-crf-ner", "round-1-crf-ner-c1")
    rec = labeling.recipe(ner, target="round:4", annotator="ann", strategy="uncertainty", committee=members)
    [first] = rec.stream(1)
    again = rec.item(first.example_id)
    assert (again.confidence, again.where) == (first.confidence, "pool")
    rec.save(first.example_id, "ignore")
    assert rec.item(first.example_id).where == "target"
