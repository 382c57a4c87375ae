"""Labeling recipes: saving answers (spans on tokens, the leakage guard, frozen gold), undo, gold-set rules,
auto-accept, round progress, agreement and review, and answers labeled elsewhere coming back through import."""
from __future__ import annotations

import json
import random

import pytest
import sqlalchemy as sa
from sklearn.metrics import cohen_kappa_score

from evaluator import db, gold, labeling
from evaluator.errors import ConfigError, FrozenError, LeakageError
from evaluator.importer import import_file
from evaluator.records import Span
from evaluator.store import load_records, round_settings, set_round_settings, training_records
from tests.core.helpers import GOLD, TRAIN, write_jsonl

POOL = ["Zoe Brand visited Oslo on Friday .", "Initrode hired Max Power in Lyon .", "The weather was mild .",
        "Ann Lee founded Umbrella in Kyoto .", "Tom Hardy left Acme for Vandelay in Rome ."]


@pytest.fixture
def ws(tmp_workspace, tmp_path):
    """NER workspace: frozen gold:test, round:1 from a file, a pool of five sentences (tokens from spaCy)."""
    w = tmp_workspace("ner", labels=["PER", "ORG", "LOC"])
    import_file(w, write_jsonl(tmp_path / "gold.jsonl", GOLD), into="gold:test")
    gold.freeze(w, "test")
    import_file(w, write_jsonl(tmp_path / "r1.jsonl", TRAIN), into="round:1")
    import_file(w, write_jsonl(tmp_path / "pool.jsonl", [{"text": t} for t in POOL]), into="pool")
    return w


def _pool(ws):
    return load_records(ws, "pool", answers=None)


def _item(ws, text_start: str):
    [item] = [i for i in labeling.next_items(ws, target="round:2", n=50) if i.text.startswith(text_start)]
    return item


def _annotations(ws, example_id):
    a = db.annotations
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(a).where(a.c.example_id == example_id).order_by(a.c.id)).mappings().all()


def test_in_order_stream_and_saving_moves_the_example_into_the_round(ws):
    items = labeling.next_items(ws, target="round:2", n=3)
    assert [i.text for i in items] == POOL[:3] and all(i.where == "pool" for i in items)
    item = items[0]
    # "Zoe Brand" = tokens 0..1, "Oslo" = token 3; offsets come from the tokens
    spans = labeling.add_span(item.tokens, [], 0, 1, "PER")
    spans = labeling.add_span(item.tokens, spans, 3, 3, "LOC")
    res = labeling.save_answer(ws, item.example_id, target="round:2", answer="accept", annotator="ann", spans=spans)
    assert res["target"] == "round:2" and res["source"] == "manual"
    [rec] = load_records(ws, "round:2")
    assert rec.text == POOL[0] and rec.spans == [Span(0, 9, "PER"), Span(18, 22, "LOC")]
    assert [rec.text[s.start:s.end] for s in rec.spans] == ["Zoe Brand", "Oslo"]
    assert POOL[0] not in [r.text for r in _pool(ws)]
    [ann] = _annotations(ws, item.example_id)
    assert ann["annotator"] == "ann" and ann["source"] == "manual" and ann["moved_from"] is not None
    assert labeling.next_items(ws, target="round:2", n=1)[0].text == POOL[1]


@pytest.mark.parametrize("spans,match", [
    ([Span(0, 2, "PER")], "token boundaries"),             # "Zo": tokens are "Zoe" (0-3) and "Brand" (4-9)
    ([Span(1, 9, "PER")], "token boundaries"),
    ([Span(0, 9, "PER"), Span(4, 9, "ORG")], "overlap"),
    ([Span(0, 9, "DRUG")], "Unknown label"),
])
def test_bad_spans_are_refused_and_nothing_is_written(ws, spans, match):
    item = _item(ws, "Zoe")
    with pytest.raises(ConfigError, match=match):
        labeling.save_answer(ws, item.example_id, target="round:2", answer="accept", annotator="ann", spans=spans)
    assert len(_pool(ws)) == len(POOL) and _annotations(ws, item.example_id) == []


def test_an_answer_without_annotator_is_refused(ws):
    item = _item(ws, "Zoe")
    for name in ("", "   ", None):
        with pytest.raises(ConfigError, match="annotator name"):
            labeling.save_answer(ws, item.example_id, target="round:2", answer="ignore", annotator=name)
    assert _annotations(ws, item.example_id) == []


def test_undo_removes_the_answer_and_puts_the_example_back_in_the_pool(ws):
    first, second = labeling.next_items(ws, target="round:2", n=2)
    labeling.save_answer(ws, first.example_id, target="round:2", answer="accept", annotator="ann")
    labeling.save_answer(ws, second.example_id, target="round:2", answer="reject", annotator="ann")
    labeling.save_answer(ws, labeling.next_items(ws, target="round:2", n=1)[0].example_id, target="round:2",
                         answer="ignore", annotator="bob")
    undone = labeling.undo_answer(ws, target="round:2", annotator="ann")  # ann's latest, not bob's
    assert undone == {"example_id": second.example_id, "answer": "reject", "target": "round:2", "moved_back": True}
    assert second.text in [r.text for r in _pool(ws)] and _annotations(ws, second.example_id) == []
    assert labeling.undo_answer(ws, target="round:2", annotator="ann")["example_id"] == first.example_id
    assert labeling.undo_answer(ws, target="round:2", annotator="ann") is None
    assert len(load_records(ws, "round:2", answers=None)) == 1  # bob's answer stays


def test_a_pool_text_that_is_also_gold_is_never_offered_nor_saved_into_a_round(ws, tmp_path):
    # a gold set imported after the pool can share a text with it (the pool import could not know)
    import_file(ws, write_jsonl(tmp_path / "g2.jsonl", [{"text": POOL[2], "spans": [], "answer": "accept"}]),
                into="gold:later")
    [leak] = [r for r in _pool(ws) if r.text == POOL[2]]
    offered = [i.example_id for i in labeling.next_items(ws, target="round:2", n=50)]
    assert leak.id not in offered and len(offered) == len(POOL) - 1
    with pytest.raises(LeakageError):
        labeling.save_answer(ws, leak.id, target="round:2", answer="accept", annotator="ann")
    assert leak.id in [r.id for r in _pool(ws)]


def test_a_frozen_gold_set_takes_no_answers(ws):
    item = _item(ws, "Zoe")
    with pytest.raises(FrozenError):
        labeling.next_items(ws, target="gold:test", strategy="random")
    with pytest.raises(FrozenError):
        labeling.save_answer(ws, item.example_id, target="gold:test", answer="accept", annotator="ann")
    assert _annotations(ws, item.example_id) == []


def test_a_training_text_never_enters_a_gold_set(ws):
    item = _item(ws, "Zoe")
    labeling.save_answer(ws, item.example_id, target="round:2", answer="accept", annotator="ann")
    with pytest.raises(ConfigError, match="neither in the pool"):
        labeling.save_answer(ws, item.example_id, target="gold:fresh", answer="accept", annotator="ann")


def test_gold_sets_are_drawn_at_random_never_by_a_model(ws):
    with pytest.raises(ConfigError, match="random"):
        labeling.next_items(ws, target="gold:fresh", strategy="uncertainty", model="any")
    with pytest.raises(ConfigError, match="random"):
        labeling.recipe(ws, target="gold:fresh", strategy="in-order")
    with pytest.raises(ConfigError, match="without a model"):
        labeling.next_items(ws, target="gold:fresh", strategy="random", model="any", suggest=True)
    a = [i.example_id for i in labeling.next_items(ws, target="gold:fresh", strategy="random", seed=3, n=10)]
    b = [i.example_id for i in labeling.next_items(ws, target="gold:fresh", strategy="random", seed=3, n=10)]
    c = [i.example_id for i in labeling.next_items(ws, target="gold:fresh", strategy="random", seed=4, n=10)]
    assert a == b and sorted(a) == sorted(c) and len(a) == len(POOL)
    # the draw is a seeded hash of the example id, nothing else (written out here independently)
    import hashlib
    expected = sorted((r.id for r in _pool(ws)), key=lambda i: hashlib.sha256(f"3:{i}".encode()).hexdigest())
    assert a == expected
    # labeling one example does not reshuffle the rest
    labeling.save_answer(ws, a[0], target="gold:fresh", answer="accept", annotator="ann")
    assert [i.example_id for i in labeling.next_items(ws, target="gold:fresh", strategy="random", seed=3)] == a[1:]
    rec = labeling.recipe(ws, target="gold:fresh", strategy="random", seed=3, annotator="ann")
    assert rec.view["blind"] and not rec.view["suggestions"]


def test_gold_order_ignores_stored_model_confidences(ws):
    """Even with a model's confidences stored for every pool example, the gold draw is the same."""
    from evaluator.models import train_round
    before = [i.example_id for i in labeling.next_items(ws, target="gold:fresh", strategy="random", seed=1, n=10)]
    model = train_round(ws, 1, trainer="crf-ner", config={"max_iterations": 20})["name"]
    ranked = [i.example_id for i in labeling.next_items(ws, target="round:2", strategy="uncertainty",
                                                        model=model, n=10)]
    after = [i.example_id for i in labeling.next_items(ws, target="gold:fresh", strategy="random", seed=1, n=10)]
    assert after == before and sorted(ranked) == sorted(before)
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.confidences)).scalar_one() == len(POOL)


def test_auto_accepted_answers_never_enter_a_gold_set(ws, tmp_path):
    item = _item(ws, "Zoe")
    with pytest.raises(ConfigError, match="never enter a gold set"):
        labeling.write_answers(ws, "gold:fresh", [{"example_id": item.example_id, "answer": "accept",
                                                   "annotator": "model:x", "source": "auto"}])
    assert _annotations(ws, item.example_id) == []
    # auto-accepted answers in a round stay there when a gold set is split off it
    pool = _pool(ws)
    labeling.write_answers(ws, "round:3", [{"example_id": r.id, "answer": "accept", "annotator": "model:x",
                                            "source": "auto", "confidence": 0.99} for r in pool[:3]])
    labeling.write_answers(ws, "round:3", [{"example_id": r.id, "answer": "accept", "annotator": "ann"}
                                           for r in pool[3:]])
    auto_texts = {r.text for r in pool[:3]}
    res = gold.split(ws, source="round:3", fraction=0.5, seed=0, name="from-round")
    gold_texts = {r.text for r in load_records(ws, "gold:from-round")}
    assert res["auto_accepted_kept"] == 3 and len(gold_texts) == 1 and not gold_texts & auto_texts
    assert auto_texts <= {r.text for r in load_records(ws, "round:3")}


def test_auto_accept_threshold_marks_counts_and_training_option(ws):
    from evaluator.active import stored_confidences
    from evaluator.models import train_round
    model = train_round(ws, 1, trainer="crf-ner", config={"max_iterations": 30})["name"]
    conf = {i.example_id: i.confidence for i in labeling.next_items(ws, target="round:2", strategy="uncertainty",
                                                                    model=model, n=50)}
    threshold = sorted(conf.values())[len(conf) // 2]  # about half the pool
    res = labeling.auto_accept(ws, round=2, model=model, threshold=threshold)
    sure = {i for i, c in conf.items() if c >= threshold}
    assert res["accepted"] == len(sure) > 0 and res["pool"] == len(POOL)
    stored = stored_confidences(ws, model, list(sure))
    for i in sure:
        [ann] = _annotations(ws, i)
        assert ann["source"] == "auto" and ann["annotator"] == f"model:{model}" and ann["answer"] == "accept"
        assert ann["confidence"] == pytest.approx(stored[i]["least_confident"]) and ann["confidence"] >= threshold
    assert round_settings(ws, 2)["auto_accept"] == threshold
    prog = labeling.round_progress(ws, 2)
    assert prog["auto_accepted"] == len(sure) and prog["manual_answers"] == 0 and prog["pool_left"] == len(POOL) - len(sure)
    # training uses them by default and marks them; the round setting or the option leaves them out
    recs = training_records(ws, round=2)
    assert sum(bool(r.meta.get("_auto")) for r in recs) == len(sure)
    assert len(training_records(ws, round=2, auto_accepted=False)) == len(recs) - len(sure)
    set_round_settings(ws, 2, train_on_auto=False)
    assert len(training_records(ws, round=2)) == len(recs) - len(sure)
    set_round_settings(ws, 2, train_on_auto=True)
    assert train_round(ws, 2, trainer="crf-ner", config={"max_iterations": 5})["config"]["auto_accepted"] == len(sure)
    with pytest.raises(ConfigError, match="threshold"):
        set_round_settings(ws, 2, auto_accept=1.5)


def test_round_progress_counts_labels_annotators_and_rate(ws):
    a, b, c = labeling.next_items(ws, target="round:2", n=3)
    labeling.save_answer(ws, a.example_id, target="round:2", answer="accept", annotator="ann",
                         spans=labeling.add_span(a.tokens, [], 0, 1, "PER"))
    labeling.save_answer(ws, b.example_id, target="round:2", answer="accept", annotator="bob",
                         spans=labeling.add_span(b.tokens, labeling.add_span(b.tokens, [], 0, 0, "ORG"), 2, 3, "PER"))
    labeling.save_answer(ws, c.example_id, target="round:2", answer="reject", annotator="bob")
    prog = labeling.round_progress(ws, 2)
    assert prog["examples"] == 3 and prog["answers"] == {"accept": 2, "reject": 1, "ignore": 0}
    assert prog["per_label"] == {"ORG": 1, "PER": 2} and prog["auto_accepted"] == 0
    per = {p["annotator"]: p for p in prog["per_annotator"]}
    assert (per["ann"]["answers"], per["bob"]["answers"], per["bob"]["reject"]) == (1, 2, 1)
    assert per["ann"]["per_hour"] is None  # one answer: no rate
    assert prog["pool_left"] == len(POOL) - 3


def test_answers_per_hour_counts_long_pauses_as_breaks():
    t = ["2025-01-01T10:00:00+00:00", "2025-01-01T10:00:20+00:00", "2025-01-01T10:00:40+00:00",
         "2025-01-01T15:00:00+00:00"]
    # three gaps: 20 s, 20 s and a 5-hour pause counted as BREAK_SECONDS
    assert labeling.answers_per_hour(t) == pytest.approx(3 * 3600 / (40 + labeling.BREAK_SECONDS))
    assert labeling.answers_per_hour(t[:1]) is None
    assert labeling.answers_per_hour([t[0], t[0]]) is None


def test_agreement_kappa_disagreements_and_review(tmp_workspace, tmp_path):
    ws = tmp_workspace("textcat", labels=["a", "b", "c"])
    rng = random.Random(5)
    texts = [f"text number {i} about something" for i in range(30)]
    import_file(ws, write_jsonl(tmp_path / "p.jsonl", [{"text": t} for t in texts]), into="pool",
                format="textcat-jsonl")
    ann, bob = [], []
    for it in labeling.next_items(ws, target="round:1", n=30):
        x = rng.choice("abc")
        y = x if rng.random() < 0.7 else rng.choice("abc")
        labeling.save_answer(ws, it.example_id, target="round:1", answer="accept", annotator="ann", label=x)
        ann.append(x)
    # bob labels the same examples: with overlap he is offered exactly what ann answered, blind
    items = labeling.next_items(ws, target="round:1", annotator="bob", overlap=True, n=50)
    assert len(items) == 30 and all(i.where == "target" and i.suggestion is None for i in items)
    assert labeling.next_items(ws, target="round:1", annotator="ann", overlap=True, n=50) == []
    for it, x in zip(items, ann):
        y = x if rng.random() < 0.7 else rng.choice("abc")
        labeling.save_answer(ws, it.example_id, target="round:1", answer="accept", annotator="bob", label=y)
        bob.append(y)
    res = labeling.agreement(ws, "round:1")
    assert res["items"] == 30 and res["annotators"] == ["ann", "bob"]
    assert res["kappa"] == pytest.approx(cohen_kappa_score(ann, bob))
    import krippendorff
    codes = {c: i for i, c in enumerate(sorted(set(ann) | set(bob)))}
    ref_alpha = krippendorff.alpha(reliability_data=[[codes[x] for x in ann], [codes[y] for y in bob]],
                                   level_of_measurement="nominal")
    assert res["alpha"] == pytest.approx(ref_alpha)
    differ = [i for i, (x, y) in enumerate(zip(ann, bob)) if x != y]
    assert len(res["disagreements"]) == len(differ) > 0
    d = res["disagreements"][0]
    assert {x["annotator"]: x["label"] for x in d["answers"]}.keys() == {"ann", "bob"}
    # the review settles it into one answer, which training uses
    pick = [x for x in d["answers"] if x["annotator"] == "ann"][0]
    labeling.settle(ws, d["example_id"], target="round:1", annotator="rev", answer="accept", label=pick["label"])
    after = labeling.agreement(ws, "round:1")
    assert len(after["disagreements"]) == len(differ) - 1 and after["settled"] == 1
    assert after["kappa"] == res["kappa"]  # the review is not a third annotator
    [rec] = [r for r in load_records(ws, "round:1") if r.id == d["example_id"]]
    assert rec.label == pick["label"]
    assert labeling.next_items(ws, target="round:1", annotator="cy", overlap=True, n=50)[0].example_id != d["example_id"]


def test_ner_agreement_is_span_f1_over_items_both_accepted(ws):
    a, b = labeling.next_items(ws, target="round:2", n=2)
    labeling.save_answer(ws, a.example_id, target="round:2", answer="accept", annotator="ann",
                         spans=labeling.add_span(a.tokens, [], 0, 1, "PER"))
    labeling.save_answer(ws, a.example_id, target="round:2", answer="accept", annotator="bob",
                         spans=labeling.add_span(a.tokens, [], 0, 0, "PER"))
    labeling.save_answer(ws, b.example_id, target="round:2", answer="accept", annotator="ann",
                         spans=labeling.add_span(b.tokens, [], 0, 0, "ORG"))
    labeling.save_answer(ws, b.example_id, target="round:2", answer="accept", annotator="bob",
                         spans=labeling.add_span(b.tokens, [], 0, 0, "ORG"))
    res = labeling.agreement(ws, "round:2")
    [pair] = res["pairs"]
    assert (pair["tp"], pair["fp"], pair["fn"]) == (1, 1, 1) and res["f1"] == pytest.approx(0.5)
    assert [d["example_id"] for d in res["disagreements"]] == [a.example_id]


def test_answers_labeled_elsewhere_come_back_through_import(ws, tmp_path, cli_runner):
    """`evaluator next --out` -> Prodigy answers -> `evaluator import --into round:N`: the pool shrinks."""
    out = tmp_path / "batch.jsonl"
    r = cli_runner("next", "--round", 2, "--n", 2, "--out", out, "--workspace", ws.path, "--json")
    assert r.exit_code == 0, r.output
    batch = [json.loads(line) for line in out.read_text().splitlines()]
    ids = [it["example_id"] for it in json.loads(r.stdout)["items"]]
    assert [t["meta"]["example_id"] for t in batch] == ids
    answers = []
    for task in batch:  # what Prodigy's db-out writes after an annotator accepted the first token as PER
        tok = task["tokens"][0]
        answers.append({**task, "spans": [{"start": tok["start"], "end": tok["end"], "token_start": 0,
                                           "token_end": 0, "label": "PER"}], "answer": "accept"})
    back = write_jsonl(tmp_path / "answers.jsonl", answers)
    r = cli_runner("import", back, "--into", "round:2", "--workspace", ws.path, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["left_pool"] == 2
    assert len(_pool(ws)) == len(POOL) - 2
    assert sorted(r.text for r in load_records(ws, "round:2")) == sorted(t["text"] for t in batch)
    assert not {t["text"] for t in batch} & {i.text for i in labeling.next_items(ws, target="round:2", n=50)}


def test_the_doctests_of_the_labeling_modules_pass():
    import doctest

    from evaluator import active
    from evaluator.stats import agreement
    for module in (labeling, active, agreement):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
