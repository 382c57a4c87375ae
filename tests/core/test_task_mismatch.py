"""Text-classification data into an NER workspace (and the reverse) is refused, naming the task mismatch; nothing
is written (the issue: each row became an accepted NER example with no entities)."""
from __future__ import annotations

import json

import pytest

from evaluator.errors import ConfigError, EvaluatorError
from evaluator.importer import import_file
from evaluator.store import status


def _files(tmp_path):
    csv = tmp_path / "cats.csv"
    csv.write_text("text,label\nStocks rose today.,business\nThe team won.,sport\n", encoding="utf-8")
    jsonl = tmp_path / "cats.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t, "label": l}) + "\n"
                             for t, l in [("Stocks rose today.", "business"), ("The team won.", "sport")]))
    folder = tmp_path / "cats"
    for cls, text in [("business", "Stocks rose today."), ("sport", "The team won.")]:
        (folder / cls).mkdir(parents=True)
        (folder / cls / "1.txt").write_text(text, encoding="utf-8")
    prodigy = tmp_path / "prodigy.jsonl"
    prodigy.write_text("".join(json.dumps({"text": t, "label": l, "answer": "accept"}) + "\n"
                               for t, l in [("Stocks rose today.", "business"), ("The team won.", "sport")]))
    return {"csv": csv, "textcat-jsonl": jsonl, "folder": folder, "prodigy": prodigy}


@pytest.mark.parametrize("kind", ["csv", "textcat-jsonl", "folder", "prodigy"])
@pytest.mark.parametrize("explicit", [False, True])
def test_text_categories_into_an_ner_workspace_are_refused(tmp_workspace, tmp_path, kind, explicit):
    ws = tmp_workspace("ner", labels=["PER"])
    path = _files(tmp_path)[kind]
    fmt = {"csv": "csv", "textcat-jsonl": "textcat-jsonl", "folder": "folder", "prodigy": "prodigy-jsonl"}[kind]
    with pytest.raises(EvaluatorError) as err:
        import_file(ws, path, into="round:1", format=fmt if explicit else None)
    message = str(err.value).lower()
    assert "task mismatch" in message and "ner" in message
    if kind == "prodigy":
        assert "line 1" in message and "line 2" in message  # every record is named
    else:
        assert isinstance(err.value, ConfigError) and str(path) in str(err.value)
    assert status(ws)["examples"] == 0


def test_ner_data_into_a_textcat_workspace_is_refused(tmp_workspace, tmp_path):
    ws = tmp_workspace("textcat", labels=["sport"])
    conll = tmp_path / "x.conll"
    conll.write_text("Peter B-PER\nruns O\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Task mismatch"):
        import_file(ws, conll, into="round:1")
    assert status(ws)["examples"] == 0


def test_ner_records_without_entities_are_still_fine(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner", labels=["PER"])
    f = tmp_path / "plain.jsonl"
    f.write_text(json.dumps({"text": "Nothing to see here.", "spans": [], "answer": "accept"}) + "\n")
    assert import_file(ws, f, into="round:1")["examples"] == 1
