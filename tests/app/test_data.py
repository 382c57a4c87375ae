"""AppTest: the Data page (upload + import, errors, preview, export)."""
from __future__ import annotations

import json

from evaluator.store import load_records, status
from tests.app.conftest import no_exception, texts

GOOD = [
    {"text": "Ada Lovelace joined Initech in Leeds.", "spans": [
        {"start": 0, "end": 12, "label": "PERSON"}, {"start": 20, "end": 27, "label": "ORG"},
        {"start": 31, "end": 36, "label": "LOCATION"}]},
    {"text": "The Widget 3000 sold out in Porto.", "spans": [
        {"start": 4, "end": 15, "label": "PRODUCT"}, {"start": 28, "end": 33, "label": "LOCATION"}]},
    {"text": "Nothing happened on Tuesday.", "spans": []},
]


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _upload(at, name: str, data: bytes) -> None:
    at.file_uploader[0].upload(name, data, "application/octet-stream")
    at.run()


def test_import_an_uploaded_file_into_a_new_round(app, demo_ws):
    at = app("pages/data.py")
    no_exception(at)
    before = status(demo_ws)
    next_round = max(r["round"] for r in before["rounds"]) + 1
    assert at.number_input(key="data.round").value == next_round
    _upload(at, "extra.jsonl", _jsonl(GOOD))
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    assert not at.error
    assert any(f"Imported {len(GOOD)} examples" in s and f"round:{next_round}" in s for s in texts(at, "success"))
    after = status(demo_ws)
    new = after["rounds"][-1]
    assert new["round"] == next_round and new["examples"] == len(GOOD)
    expected = {}
    for r in GOOD:
        for s in r["spans"]:
            expected[s["label"]] = expected.get(s["label"], 0) + 1
    assert new["per_label"] == dict(sorted(expected.items()))
    table = at.dataframe[0].value  # spans per label of the report
    assert dict(zip(table["label"], table["count"])) == expected


def test_same_upload_twice_is_reported_as_already_imported(app, demo_ws):
    at = app("pages/data.py")
    _upload(at, "extra.jsonl", _jsonl(GOOD))
    at.number_input(key="data.round").set_value(9)
    at.button(key="data.import").click()
    at.run()
    assert at.number_input(key="data.round").value == 10  # moved on to the next free round
    assert at.button(key="data.import").disabled  # and the uploader is empty: a second click adds nothing
    _upload(at, "extra.jsonl", _jsonl(GOOD))
    at.number_input(key="data.round").set_value(9)  # the same file into the same round again
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    assert any("already imported" in t for t in texts(at, "info"))
    assert [r["examples"] for r in status(demo_ws)["rounds"] if r["round"] == 9] == [len(GOOD)]


def test_malformed_upload_shows_the_line_and_writes_nothing(app, demo_ws):
    at = app("pages/data.py")
    before = status(demo_ws)
    bad = _jsonl(GOOD[:2]) + b'{"text": "broken json", \n' + _jsonl(GOOD[2:])
    _upload(at, "broken.jsonl", bad)
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    errors = texts(at, "error")
    assert errors and "line 3" in errors[0] and "broken.jsonl" in errors[0]
    assert "Traceback" not in " ".join(errors)
    assert status(demo_ws) == before


def test_several_problems_are_listed(app, demo_ws):
    at = app("pages/data.py")
    rows = [dict(GOOD[0]), {"text": "Short.", "spans": [{"start": 0, "end": 40, "label": "ORG"}]},
            {"text": "", "spans": []}]
    _upload(at, "problems.jsonl", _jsonl(rows))
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    [error] = texts(at, "error")
    assert "problem(s) found; nothing was imported" in error
    assert "line 2" in error and "line 3" in error


def test_gold_overlap_is_refused_then_skipped_with_the_option(app, demo_ws):
    gold = load_records(demo_ws, "gold:demo-test")
    rows = [{"text": gold[0].text, "spans": [s.__dict__ for s in gold[0].spans]}, GOOD[0]]
    at = app("pages/data.py")
    _upload(at, "leaky.jsonl", _jsonl(rows))
    at.button(key="data.import").click()
    at.run()
    assert any("leakage guard" in e for e in texts(at, "error"))
    at.checkbox(key="data.skip_overlap").check()
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    assert any("Left out 1 example" in w for w in texts(at, "warning"))
    assert status(demo_ws)["rounds"][-1]["examples"] == 1


def test_preview_shows_spans_inline(app, demo_ws):
    at = app("pages/data.py")
    at.selectbox(key="data.preview_target").set_value("gold:demo-test@1")
    at.run()
    no_exception(at)
    records = load_records(demo_ws, "gold:demo-test", answers=None)
    [table] = [d.value for d in at.dataframe if "text" in d.value.columns]
    assert len(table) == min(50, len(records))
    first = records[0]
    s = first.spans[0]
    assert f"[{first.text[s.start:s.end]} · {s.label}]" in table["text"][0]
    assert list(table["spans"]) == [len(r.spans) for r in records[:50]]


def test_preview_pages_through_a_dataset(app, demo_ws):
    """The preview reads one page (SQL OFFSET/LIMIT), numbered by position in the dataset."""
    at = app("pages/data.py")
    at.selectbox(key="data.preview_target").set_value("pool")
    at.number_input(key="data.preview_page").set_value(3)
    at.run()
    no_exception(at)
    records = load_records(demo_ws, "pool", answers=None)
    assert len(records) > 100  # the demo pool spans three pages
    table = next(d.value for d in at.dataframe if "#" in d.value.columns)  # the preview (the Rounds table is first)
    assert list(table["#"]) == list(range(101, min(150, len(records)) + 1))
    assert list(table["text"]) == [r.text for r in records[100:150]]  # the pool has no spans
    assert any(f"Examples 101–{min(150, len(records))} of {len(records)}" in c for c in texts(at, "caption"))
    at.number_input(key="data.preview_page").set_value(99)
    at.run()
    assert any("past the end" in c for c in texts(at, "caption"))


def test_export_offers_a_download(app, demo_ws):
    at = app("pages/data.py")
    at.selectbox(key="data.export_source").set_value("round:2")
    at.selectbox(key="data.export_format").set_value("conll")
    at.button(key="data.export").click()
    at.run()
    no_exception(at)
    n = len(load_records(demo_ws, "round:2"))
    [button] = at.download_button
    assert "round-2" in button.label and f"({n} examples)" in button.label


def test_csv_without_header_and_a_label_map_like_ag_news(app, tmp_path, monkeypatch):
    from evaluator.demo import build_demo
    from evaluator.workspace import open_workspace

    path = tmp_path / "news"
    build_demo(path, task="textcat")
    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(path))
    ws = open_workspace(path)
    rounds_before = len(status(ws)["rounds"])
    data = b'"1","Stocks fell","Markets slid on Monday."\n"3","Cup final","The home side won 2-0."\n'
    at = app("pages/data.py")
    _upload(at, "ag.csv", data)
    at.text_input(key="data.text_column").set_value("1,2")
    at.text_input(key="data.label_column").set_value("0")
    at.checkbox(key="data.no_header").check()
    at.text_input(key="data.label_map").set_value("1=business 3=sport")  # a missing comma
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    assert any("Bad label map item" in e for e in texts(at, "error"))
    assert len(status(ws)["rounds"]) == rounds_before
    at.text_input(key="data.label_map").set_value("1=business,3=sport")
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    assert not at.error
    assert status(ws)["rounds"][-1]["per_label"] == {"business": 1, "sport": 1}


HOSTILE_LABELS = ["![x](http://127.0.0.1:9/leak.png)", "http://evil.example/a", "www.evil.example", "a@evil.example"]


def _no_live_markdown(markdown: str) -> None:
    """No image, link or bare URL/e-mail that Markdown would turn into something the browser fetches or follows."""
    import re

    markdown = re.sub(r"(`+)(.+?)\1", "", markdown)  # code spans show their content literally
    assert "![" not in markdown and "](" not in markdown.replace("\\](", "")
    assert not re.search(r"https?\\?://|www\\?\.|@[\w.-]", markdown), markdown


def test_user_strings_are_shown_as_text(app, demo_ws):
    """Issue: the uploaded file's name and the "Labels added" caption were Markdown; a label ![x](http://...) made the
    browser fetch an outside URL, and bare URLs in label badges became links."""
    at = app("pages/data.py")
    rows = [{"text": "Ada Lovelace joined Initech in Leeds.",
             "spans": [{"start": 0, "end": 12, "label": lab}]} for lab in HOSTILE_LABELS]
    rows = [{**r, "text": f"{k} {r['text']}", "spans": [{**r["spans"][0], "start": 2 + len(str(k)) - 1,
                                                         "end": 14 + len(str(k)) - 1}]} for k, r in enumerate(rows)]
    _upload(at, "![y](http:__evil.example_f.png)`x`.jsonl", _jsonl(rows))
    at.checkbox(key="data.extend_labels").check()
    at.number_input(key="data.round").set_value(7)
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    shown = texts(at, "success") + texts(at, "caption") + texts(at, "info") + texts(at, "warning")
    assert any("Labels added" in c for c in shown)
    for markdown in shown:
        _no_live_markdown(markdown)
    assert any("``![y](http:__evil.example_f.png)`x`.jsonl``" in s for s in texts(at, "success"))  # a code span
    at.run()  # (the dataset list was read before the import)
    at.selectbox(key="data.preview_target").set_value("round:7")
    at.run()
    highlighted = [m for m in texts(at, "markdown") if "badge" in m]
    assert highlighted
    for markdown in highlighted:
        _no_live_markdown(markdown)


def test_csv_export_escapes_formula_cells(tmp_workspace, tmp_path):
    import csv

    from evaluator.importer import export_records, import_file

    ws = tmp_workspace("textcat", labels=["sport"])
    src = tmp_path / "in.csv"
    src.write_text('text,label\n"=HYPERLINK(""http://x"",""y"")",sport\n+1 goal,sport\n-- Leeds,sport\n'
                   '@SUM(A1),sport\nplain,sport\n', encoding="utf-8")
    import_file(ws, src, into="round:1")
    out = tmp_path / "out.csv"
    export_records(ws, "round:1", format="csv", out=out)
    with open(out, newline="", encoding="utf-8") as fh:
        cells = [row[0] for row in csv.reader(fh)][1:]
    assert cells == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1 goal", "'-- Leeds", "'@SUM(A1)", "plain"]
