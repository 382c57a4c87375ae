"""Trainer registry, training-data hash, artifact hash and config helpers."""
from __future__ import annotations

import hashlib
import json

import pytest

from evaluator.errors import ConfigError, IntegrityError
from evaluator.records import Record, Span
from evaluator.training import base
from evaluator.training.base import (
    artifact_hash, get_trainer, list_trainers, merge_config, resolve_labels, training_hash, verify_artifact,
)


def test_registry_lists_every_trainer_by_name_and_task():
    names = {t.name: t.task for t in list_trainers()}
    assert names == {"spacy-ner": "ner", "spacy-textcat": "textcat", "sklearn-textcat": "textcat",
                     "crf-ner": "ner"}
    assert [t.name for t in list_trainers(task="textcat")] == ["sklearn-textcat", "spacy-textcat"]
    assert get_trainer("crf-ner").task == "ner"


def test_unknown_trainer_names_the_known_ones():
    with pytest.raises(ConfigError, match="spacy-ner"):
        get_trainer("bert-ner")


def test_register_trainer_adds_a_new_name():
    class Dummy:
        name, task, description = "dummy-textcat-test", "textcat", "test only"

    try:
        base.register_trainer(Dummy())
        assert get_trainer("dummy-textcat-test").description == "test only"
    finally:
        base._TRAINERS.pop("dummy-textcat-test", None)


def test_training_hash_is_sha256_of_canonical_rows():
    recs = [Record("b a", spans=[Span(2, 3, "Y"), Span(0, 1, "X")]), Record("c", label="POS")]
    expected = hashlib.sha256(json.dumps(
        [["b a", [[0, 1, "X"], [2, 3, "Y"]], None], ["c", [], "POS"]],
        ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
    assert training_hash(recs) == expected
    # span order inside a record does not matter; record order and annotations do
    same = [Record("b a", spans=[Span(0, 1, "X"), Span(2, 3, "Y")]), Record("c", label="POS")]
    assert training_hash(same) == expected
    assert training_hash(list(reversed(recs))) != expected
    assert training_hash([recs[0], Record("c", label="NEG")]) != expected


def test_artifact_hash_covers_names_and_bytes(tmp_path):
    d = tmp_path / "m"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_bytes(b"one")
    (d / "sub" / "b.bin").write_bytes(b"two")
    h = artifact_hash(d)
    assert h == artifact_hash(d)
    (d / "sub" / "b.bin").write_bytes(b"twO")
    assert artifact_hash(d) != h
    (d / "sub" / "b.bin").write_bytes(b"two")
    (d / "sub" / "b.bin").rename(d / "sub" / "c.bin")
    assert artifact_hash(d) != h


def test_verify_artifact_requires_a_hash_for_pickles(tmp_path):
    (tmp_path / "x").write_text("x")
    verify_artifact(tmp_path, None)  # optional for non-pickles
    with pytest.raises(IntegrityError, match="registry"):
        verify_artifact(tmp_path, None, required=True)
    with pytest.raises(IntegrityError, match="changed"):
        verify_artifact(tmp_path, "0" * 64)
    verify_artifact(tmp_path, artifact_hash(tmp_path), required=True)


def test_merge_config_dotted_and_nested():
    cfg = merge_config({"a": {"b": 1, "c": 2}, "d": 3}, {"a.b": 10, "a": {"c": 20}, "e": 5})
    assert cfg == {"a": {"b": 10, "c": 20}, "d": 3, "e": 5}


def test_resolve_labels():
    recs = [Record("x y", spans=[Span(0, 1, "A")]), Record("z", spans=[Span(0, 1, "B")])]
    assert resolve_labels(recs, None, task="ner") == ["A", "B"]
    assert resolve_labels(recs, ["A", "B", "C"], task="ner") == ["A", "B", "C"]
    with pytest.raises(ConfigError, match="'B'"):
        resolve_labels(recs, ["A"], task="ner")
    with pytest.raises(ConfigError, match="no labels"):
        resolve_labels([Record("x")], None, task="textcat")
