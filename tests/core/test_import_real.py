"""Imports of the real public datasets in ../shared/data through the workspace (counts from their SOURCE.md)."""
import pytest

from evaluator.errors import LeakageError
from evaluator.importer import import_file
from evaluator.store import load_records, status


def test_conll2003_testb_as_gold_and_train_with_the_331_shared_sentences(tmp_workspace, shared_data):
    ws = tmp_workspace("ner")
    conll = shared_data / "conll2003"
    r = import_file(ws, conll / "eng.testb", into="gold:conll")
    assert r["format"] == "conll" and r["examples"] == 3453
    assert r["spans_per_label"] == {"LOC": 1668, "MISC": 702, "ORG": 1661, "PER": 1617}
    assert r["duplicates_in_file"] == 269  # e.g. datelines such as "LONDON 1996-12-06", kept as examples
    with pytest.raises(LeakageError) as err:
        import_file(ws, conll / "eng.train", into="round:1")
    # 309 sentences are the same text; 22 more differ only in punctuation or its spacing ("Attendance : 15,000"
    # vs "Attendance : 15,000 .", "-- Prague Newsroom , 42-2-2423-0003" vs "-- Prague Newsroom 42-2-2423-0003")
    assert err.value.count == 331 and "Scorers :" in err.value.examples
    assert status(ws)["rounds"] == []
    r = import_file(ws, conll / "eng.train", into="round:1", skip_gold_overlap=True)
    assert r["skipped_gold_overlap"] == 331 and r["examples"] == 14041 - 331
    assert import_file(ws, conll / "eng.train", into="round:1", skip_gold_overlap=True)["already_imported"]


def test_wnut17_train_sentences(tmp_workspace, shared_data):
    ws = tmp_workspace("ner")
    r = import_file(ws, shared_data / "wnut17" / "wnut17train.conll", into="round:1")
    assert r["examples"] == 3394


def test_prodigy_fashion_eval_round_trip_through_the_workspace(tmp_workspace, shared_data, tmp_path):
    from evaluator.importer import export_records
    ws = tmp_workspace("ner")
    r = import_file(ws, shared_data / "prodigy-fashion-brands" / "fashion_brands_eval.jsonl", into="gold:fashion")
    assert r["examples"] == 500 and r["spans_per_label"] == {"FASHION_BRAND": 238}
    export_records(ws, "gold:fashion", format="prodigy-jsonl", out=tmp_path / "out.jsonl")
    ws2 = tmp_workspace("ner")
    import_file(ws2, tmp_path / "out.jsonl", into="gold:again")
    before = [(x.text, x.spans) for x in load_records(ws, "gold:fashion")]
    after = [(x.text, x.spans) for x in load_records(ws2, "gold:again")]
    assert before == after and sum(len(s) for _, s in after) == 238


def test_bbc_folder_latin1_byte_is_named_and_fallback_reads_all(tmp_workspace, shared_data):
    from evaluator.errors import EvaluatorError
    from evaluator.formats import ReadOptions
    ws = tmp_workspace("textcat")
    with pytest.raises(EvaluatorError) as err:
        import_file(ws, shared_data / "bbc-news" / "bbc", into="pool", format="folder")
    assert "199.txt" in str(err.value) and "257" in str(err.value)
    assert status(ws)["pool"] is None
    r = import_file(ws, shared_data / "bbc-news" / "bbc", into="round:1", format="folder",
                    options=ReadOptions(encoding="utf-8,latin-1"))
    assert r["examples"] == 2225
    assert r["labels"] == {"business": 510, "entertainment": 386, "politics": 417, "sport": 511, "tech": 401}
