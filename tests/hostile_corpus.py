"""A corpus of hostile input files, generated at test time (nothing binary is committed).

``build(root)`` writes the files under ``root`` and returns one :class:`Case` per file: which workspace task it is
imported into, the options, whether it must be refused (``error``) or imported (``ok``), and where the error must
point (``line N`` / ``record N``) when the problem sits on a line. ``tests/core/test_hostile_corpus.py`` imports
every file through the CLI and checks: a clear error naming the file (and the line), exit code 2, never an
"internal error", and nothing written. Run ``python tests/hostile_corpus.py DIR`` to write the corpus for a
manual probe.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

TEXT = "Alice Smith visited Paris on Monday ."
PER = {"start": 0, "end": 11, "label": "PER"}
LOC = {"start": 20, "end": 25, "label": "LOC"}


@dataclass
class Case:
    name: str
    path: Path
    task: str  # workspace task: ner | textcat
    expect: str  # error | ok
    where: str | None = None  # "line 2" / "record 1": must appear in the message
    args: list[str] = field(default_factory=list)
    says: str | None = None  # a word the message must contain
    about_file: bool = True  # False: the error is about a command-line option and names the option, not the file


def _lines(path: Path, lines: list) -> Path:
    """Write JSONL: dicts are dumped, strings written as they are (for broken lines)."""
    path.write_text("".join((json.dumps(x) if not isinstance(x, str) else x) + "\n" for x in lines),
                    encoding="utf-8")
    return path


def _deep(n: int = 100_000) -> str:
    return '{"text": ' + "[" * n + "]" * n + "}"


# --------------------------------------------------------------------------------- JSONL-based NER formats

def _prodigy(text=TEXT, spans=(PER, LOC), **extra) -> dict:
    return {"text": text, "spans": list(spans), "answer": "accept", **extra}


def _doccano(text=TEXT, spans=((0, 11, "PER"), (20, 25, "LOC")), **extra) -> dict:
    return {"text": text, "label": [list(s) for s in spans], **extra}


def _jsonl_ner_cases(root: Path, fmt: str, make) -> list[Case]:
    """Hostile line 2 of a two-line file (line 1 is valid), for a JSONL format whose records have text + spans."""
    good = make()
    bad: dict[str, object] = {
        "malformed-json": '{"text": "Alice", "spans": [',
        "array-not-object": "[1, 2, 3]",
        "deep-json": _deep(),
        "lone-surrogate": '{"text": "Alice \\ud800 Smith", ' + ('"spans": []}' if fmt == "prodigy-jsonl" else '"label": []}'),
        "nul-in-text": make(text="Alice\u0000Smith visited Paris"),
        "text-is-number": {**make(), "text": 12345},
        "text-is-null": {**make(), "text": None},
        "no-text-key": {k: v for k, v in make().items() if k != "text"},
        "empty-text": make(text="", spans=()),
        "whitespace-text": make(text="   \t ", spans=()),
        "offsets-outside": make(spans=({"start": 0, "end": 500, "label": "PER"},) if fmt == "prodigy-jsonl"
                                else ((0, 500, "PER"),)),
        "reversed-span": make(spans=({"start": 11, "end": 0, "label": "PER"},) if fmt == "prodigy-jsonl"
                              else ((11, 0, "PER"),)),
        "bool-offsets": make(spans=({"start": False, "end": True, "label": "PER"},) if fmt == "prodigy-jsonl"
                             else ((False, True, "PER"),)),
        "string-offsets": make(spans=({"start": "0", "end": "11", "label": "PER"},) if fmt == "prodigy-jsonl"
                               else (("0", "11", "PER"),)),
        "huge-offsets": make(spans=({"start": 10 ** 30, "end": 10 ** 31, "label": "PER"},) if fmt == "prodigy-jsonl"
                             else ((10 ** 30, 10 ** 31, "PER"),)),
        "overlapping-spans": make(spans=({"start": 0, "end": 11, "label": "PER"}, {"start": 6, "end": 19, "label": "LOC"})
                                  if fmt == "prodigy-jsonl" else ((0, 11, "PER"), (6, 19, "LOC"))),
        "span-mid-token": make(spans=({"start": 2, "end": 9, "label": "PER"},) if fmt == "prodigy-jsonl"
                               else ((2, 9, "PER"),)),
        "label-with-newline": make(spans=({"start": 0, "end": 11, "label": "PER\nORG"},) if fmt == "prodigy-jsonl"
                                   else ((0, 11, "PER\nORG"),)),
        "unknown-label": make(spans=({"start": 0, "end": 11, "label": "WEAPON"},) if fmt == "prodigy-jsonl"
                              else ((0, 11, "WEAPON"),)),
        "empty-label": make(spans=({"start": 0, "end": 11, "label": ""},) if fmt == "prodigy-jsonl"
                            else ((0, 11, ""),)),
        "nul-in-label": make(spans=({"start": 0, "end": 11, "label": "P\u0000ER"},) if fmt == "prodigy-jsonl"
                             else ((0, 11, "P\u0000ER"),)),
        "unknown-answer": {**make(), "answer": "maybe"},
        "answer-is-list": {**make(), "answer": ["accept"]},
        "category-in-ner": ({"text": TEXT, "label": "sport", "answer": "accept"} if fmt == "prodigy-jsonl"
                            else {"text": TEXT, "label": ["sport"]}),
        "line-is-null": "null",
        "line-is-string": '"just a string"',
    }
    if fmt == "prodigy-jsonl":
        bad.update({
            "spans-not-list": {**make(), "spans": {"start": 0}},
            "span-not-object": {**make(), "spans": [[0, 11, "PER"]]},
            "tokens-not-list": {**make(), "tokens": "Alice Smith"},
            "token-bool-offsets": {**make(), "tokens": [{"text": "Alice", "start": False, "end": 5, "id": 0}]},
            "token-text-mismatch": {**make(), "tokens": [{"text": "Bob", "start": 0, "end": 5, "id": 0}]},
            "token-outside-text": {**make(spans=()), "tokens": [{"start": 0, "end": 900, "id": 0}]},
            "span-text-mismatch": make(spans=({"start": 0, "end": 11, "label": "PER", "text": "Bob"},)),
            "label-not-string": {"text": TEXT, "label": 7, "answer": "accept"},
            "several-accepted-options": {"text": TEXT, "options": [{"id": "a"}, {"id": "b"}], "accept": ["a", "b"]},
        })
    else:
        bad.update({
            "labels-not-list": {"text": TEXT, "label": {"start": 0}},
            "label-item-unreadable": {"text": TEXT, "label": [[0, 11]]},
            "spans-and-categories": {"text": TEXT, "label": [[0, 11, "PER"], "sport"]},
        })
    cases = []
    for name, line in bad.items():
        path = _lines(root / f"{fmt}-{name}.jsonl", [good, line])
        expect_where = None if name in ("unknown-label", "label-with-newline") else "line 2"
        says = {"deep-json": "nested", "lone-surrogate": "surrogate", "nul-in-text": "NUL",
                "category-in-ner": "task mismatch"}.get(name)
        if name in ("unknown-label", "label-with-newline"):
            says = "line 2"
        cases.append(Case(f"{fmt}:{name}", path, "ner", "error", expect_where, ["--format", fmt], says))
    return cases


# --------------------------------------------------------------------------------- other formats

def _conll_cases(root: Path) -> list[Case]:
    good = "Alice B-PER\nSmith I-PER\nvisited O\nParis B-LOC\n"
    bad = {
        "one-column": good + "\nlonely\n",
        "bad-tag": good + "\nAlice X-PER\n",
        "bad-tag-2": good + "\nAlice B_PER\n",
        "tag-not-in-scheme": good + "\nAlice S-PER\n",
        "inconsistent-columns": good + "\nAlice NNP B-PER\n",
        "nul-in-token": good + "\nAl\u0000ice B-PER\n",
        "lone-tag-prefix": good + "\nAlice B-\n",
        "mixed-iobes-bilou": "Alice S-PER\n\nBob U-PER\n",
        "unknown-label": good + "\nAlice B-WEAPON\n",
    }
    cases = []
    for name, content in bad.items():
        path = root / f"conll-{name}.conll"
        path.write_text(content, encoding="utf-8")
        where = {"mixed-iobes-bilou": None, "tag-not-in-scheme": "line 6", "unknown-label": "line 6"}.get(name, "line 6")
        args = ["--scheme", "IOB2"] if name == "tag-not-in-scheme" else []
        cases.append(Case(f"conll:{name}", path, "ner", "error", where, args))
    raw = root / "conll-invalid-utf8.conll"
    raw.write_bytes(good.encode() + b"\nAl\xe9x B-PER\n")
    cases.append(Case("conll:invalid-utf8", raw, "ner", "error", "line 6", [], "0xE9"))
    utf16 = root / "conll-utf16.conll"
    utf16.write_bytes(good.encode("utf-16"))
    cases.append(Case("conll:utf16-without-encoding", utf16, "ner", "error", None, [], "utf-8"))
    enc = root / "conll-unknown-encoding.conll"
    enc.write_text(good, encoding="utf-8")
    cases.append(Case("conll:unknown-encoding", enc, "ner", "error", None, ["--encoding", "klingon-8"], "klingon"))
    col = root / "conll-tag-column.conll"
    col.write_text(good, encoding="utf-8")
    cases.append(Case("conll:tag-column-out-of-range", col, "ner", "error", "line 1", ["--tag-column", "5"]))
    empty = root / "conll-empty.conll"
    empty.write_text("", encoding="utf-8")
    cases.append(Case("conll:empty", empty, "ner", "error", None, [], "no records"))
    blank = root / "conll-only-blank-lines.conll"
    blank.write_text("\n\n \t\n\n", encoding="utf-8")
    cases.append(Case("conll:only-blank-lines", blank, "ner", "error", None, [], "no records"))
    i_after_o = root / "conll-i-after-o-iob2.conll"
    i_after_o.write_text("Alice O\nSmith I-PER\n", encoding="utf-8")
    cases.append(Case("conll:i-after-o-under-iob2", i_after_o, "ner", "ok", None, ["--scheme", "IOB2"], "I- tag"))
    crlf = root / "conll-crlf.conll"
    crlf.write_bytes(good.replace("\n", "\r\n").encode())
    cases.append(Case("conll:crlf", crlf, "ner", "ok"))
    docstart = root / "conll-docstart-only.conll"
    docstart.write_text("-DOCSTART- -X- O O\n\n", encoding="utf-8")
    cases.append(Case("conll:docstart-only", docstart, "ner", "error", None, [], "no records"))
    for name, fmt in (("csv", "csv"), ("textcat-jsonl", "textcat-jsonl")):
        wrong = root / f"task-mismatch-{name}.{'csv' if fmt == 'csv' else 'jsonl'}"
        wrong.write_text("text,label\nhello,sport\n" if fmt == "csv" else json.dumps({"text": "hi", "label": "x"}) + "\n")
        cases.append(Case(f"task-mismatch:{name}-into-ner", wrong, "ner", "error", None, [], "Task mismatch"))
    wrong = root / "task-mismatch-conll.conll"
    wrong.write_text(good, encoding="utf-8")
    cases.append(Case("task-mismatch:conll-into-textcat", wrong, "textcat", "error", None, [], "Task mismatch"))
    return cases


def _tokjsonl_cases(root: Path) -> list[Case]:
    good = {"tokens": ["Alice", "Smith"], "tags": ["B-PER", "I-PER"]}
    bad = {
        "tags-missing": {"tokens": ["Alice"]},
        "length-mismatch": {"tokens": ["Alice", "Smith"], "tags": ["B-PER"]},
        "integer-tags": {"tokens": ["Alice"], "ner_tags": [1]},
        "empty-token": {"tokens": ["Alice", ""], "tags": ["B-PER", "O"]},
        "token-not-string": {"tokens": ["Alice", 5], "tags": ["B-PER", "O"]},
        "bad-tag": {"tokens": ["Alice"], "tags": ["Q-PER"]},
        "nul-token": {"tokens": ["Al\u0000ice"], "tags": ["B-PER"]},
        "no-tokens": {"tokens": [], "tags": []},
        "deep-json": _deep(),
        "malformed": '{"tokens": ["a"',
    }
    cases = []
    for name, line in bad.items():
        path = _lines(root / f"token-jsonl-{name}.jsonl", [good, line])
        cases.append(Case(f"token-jsonl:{name}", path, "ner", "error", "line 2", ["--format", "token-jsonl"]))
    return cases


def _labelstudio(result=None, **task) -> dict:
    if result is None:
        result = [{"type": "labels", "value": {"start": 0, "end": 11, "text": "Alice Smith", "labels": ["PER"]}}]
    return {"data": {"text": TEXT}, "annotations": [{"result": result, "was_cancelled": False}], **task}


def _labelstudio_cases(root: Path) -> list[Case]:
    region = lambda **v: {"type": "labels", "value": {"start": 0, "end": 11, "text": "Alice Smith", "labels": ["PER"], **v}}
    bad = {
        "result-is-object": _labelstudio(result={"type": "labels"}),
        "result-is-number": _labelstudio(result=5),
        "annotations-is-string": {"data": {"text": TEXT}, "annotations": "oops"},
        "annotations-is-number": {"data": {"text": TEXT}, "annotations": 5},
        "annotation-is-string": {"data": {"text": TEXT}, "annotations": ["oops"]},
        "result-item-is-string": _labelstudio(result=["oops"]),
        "result-value-missing": _labelstudio(result=[{"type": "labels"}]),
        "two-labels": _labelstudio(result=[region(labels=["PER", "LOC"])]),
        "no-labels": _labelstudio(result=[region(labels=[])]),
        "region-text-mismatch": _labelstudio(result=[region(text="Bob")]),
        "bool-start": _labelstudio(result=[region(start=False)]),
        "offsets-outside": _labelstudio(result=[region(end=900, text=None)]),
        "no-text": {"data": {"image": "x.png", "url": "y"}, "annotations": []},
        "lone-surrogate": None,
        "nul-in-text": {"data": {"text": "Alice\u0000"}, "annotations": []},
        "several-choices": _labelstudio(result=[{"type": "choices", "value": {"choices": ["a", "b"]}}]),
        "task-is-number": 5,
        "unknown-label": _labelstudio(result=[region(labels=["WEAPON"])]),
    }
    cases = []
    for name, task in bad.items():
        path = root / f"labelstudio-{name}.json"
        if name == "lone-surrogate":
            path.write_text('[' + json.dumps(_labelstudio()) + ', {"data": {"text": "A \\udc00 B"}, "annotations": []}]',
                            encoding="utf-8")
        else:
            path.write_text(json.dumps([_labelstudio(), task]), encoding="utf-8")
        where = None if name == "unknown-label" else "record 2"
        cases.append(Case(f"labelstudio:{name}", path, "ner", "error", where, ["--format", "labelstudio"],
                          "record 2" if name == "unknown-label" else None))
    for name, content in {"not-json": "[{", "number": "5", "string": '"tasks"', "deep": "[" * 100_000 + "]" * 100_000,
                          "empty": ""}.items():
        path = root / f"labelstudio-file-{name}.json"
        path.write_text(content, encoding="utf-8")
        cases.append(Case(f"labelstudio:file-{name}", path, "ner", "error", None, ["--format", "labelstudio"]))
    return cases


def _csv_cases(root: Path) -> list[Case]:
    bad = {
        "no-text-column": ("body,label\nhello,sport\n", "line 1", []),
        "no-label-column": ("text,category\nhello,sport\n", "line 1", []),
        "unbalanced-quote": ('text,label\n"hello,sport\nworld,business\n', "line 2", []),
        "too-many-fields": ("text,label\nhello,sport,extra\n", "line 2", []),
        "nul-in-text": ("text,label\nhel\u0000lo,sport\n", "line 2", []),
        "empty-text": ("text,label\n,sport\n", "line 2", []),
        "unmapped-label": ("text,label\nhello,7\n", "line 2", ["--label-map", "1=sport"]),
        "label-with-newline": ('text,label\nhello,"spo\nrt"\n', "line 2", []),
        "bad-label-map": ("text,label\nhello,1\n", None, ["--label-map", "1=sport,2"]),
        "text-column-position-without-header": ("hello,sport\n", None, ["--no-header", "--text-column", "x"]),
        "empty-file": ("", None, []),
        "only-header": ("text,label\n", None, []),
    }
    cases = []
    for name, (content, where, args) in bad.items():
        path = root / f"csv-{name}.csv"
        path.write_text(content, encoding="utf-8")
        cases.append(Case(f"csv:{name}", path, "textcat", "error", where, args,
                          about_file=name not in ("bad-label-map", "text-column-position-without-header")))
    raw = root / "csv-invalid-utf8.csv"
    raw.write_bytes(b"text,label\nhello \xff,sport\n")
    cases.append(Case("csv:invalid-utf8", raw, "textcat", "error", "line 2", [], "0xFF"))
    long = root / "csv-long-field.csv"
    long.write_text("text,label\n\"" + "word " * 40_000 + "\",sport\n", encoding="utf-8")
    cases.append(Case("csv:field-over-131072-characters", long, "textcat", "ok"))
    formula = root / "csv-formula-cells.csv"
    formula.write_text('text,label\n"=HYPERLINK(""http://x"")",sport\n', encoding="utf-8")
    cases.append(Case("csv:formula-cells", formula, "textcat", "ok"))
    return cases


def _textcat_jsonl_cases(root: Path) -> list[Case]:
    good = {"text": "The team won.", "label": "sport"}
    bad = {
        "text-missing": {"label": "sport"},
        "text-not-string": {"text": ["a"], "label": "sport"},
        "label-is-object": {"text": "x", "label": {"a": 1}},
        "two-labels": {"text": "x", "label": ["sport", "business"]},
        "nul-in-text": {"text": "x\u0000y", "label": "sport"},
        "nul-in-label": {"text": "xy", "label": "sp\u0000ort"},
        "unknown-answer": {"text": "xy", "label": "sport", "answer": "perhaps"},
        "deep-json": _deep(),
        "malformed": '{"text": ',
        "empty-text": {"text": "", "label": "sport"},
    }
    cases = []
    for name, line in bad.items():
        path = _lines(root / f"textcat-jsonl-{name}.jsonl", [good, line])
        cases.append(Case(f"textcat-jsonl:{name}", path, "textcat", "error", "line 2", ["--format", "textcat-jsonl"]))
    return cases


def _docbin_cases(root: Path) -> list[Case]:
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    cases = []

    def save(name: str, docs, *, store_user_data: bool = True) -> Path:
        db = DocBin(store_user_data=store_user_data)
        for d in docs:
            db.add(d)
        path = root / f"docbin-{name}.spacy"
        db.to_disk(path)
        return path

    good = nlp("The team won .")
    good.cats = {"sport": 1.0, "business": 0.0}
    bad_cats = nlp("Stocks fell .")
    bad_cats.cats = {"sport": "yes", "business": "no"}
    cases.append(Case("spacy-docbin:string-cats", save("string-cats", [good, bad_cats]), "textcat", "error", "record 2"))
    nan_cats = nlp("Stocks fell .")
    nan_cats.cats = {"sport": float("nan")}
    cases.append(Case("spacy-docbin:nan-cats", save("nan-cats", [good, nan_cats]), "textcat", "error", "record 2"))
    bytes_meta = nlp("Stocks fell .")
    bytes_meta.cats = {"business": 1.0}
    bytes_meta.user_data["meta"] = {"raw": b"\x00\x01binary"}
    cases.append(Case("spacy-docbin:user-data-bytes", save("user-data-bytes", [good, bytes_meta]), "textcat", "error",
                      "record 2", [], "JSON"))
    nul = nlp.make_doc("Stocks\u0000 fell")
    nul.cats = {"business": 1.0}
    cases.append(Case("spacy-docbin:nul-in-text", save("nul-in-text", [good, nul]), "textcat", "error", "record 2",
                      [], "NUL"))
    unknown = nlp("Stocks fell .")
    unknown.cats = {"weather": 1.0}
    cases.append(Case("spacy-docbin:unknown-label", save("unknown-label", [good, unknown]), "textcat", "error", None,
                      [], "record 2"))
    for name, data in {"garbage": os.urandom(0) + b"this is not a docbin", "empty": b"",
                       "zlib-garbage": __import__("zlib").compress(b"\x93\x01\x02")}.items():
        path = root / f"docbin-{name}.spacy"
        path.write_bytes(data)
        cases.append(Case(f"spacy-docbin:{name}", path, "textcat", "error", None, [], "DocBin"))
    snapped = nlp("Alice Smith visited Paris .")
    snapped.user_data["meta"] = {"_snapped": "abc"}
    cases.append(Case("spacy-docbin:meta-snapped-string", save("meta-snapped", [snapped]), "ner", "ok"))
    return cases


def _folder_cases(root: Path) -> list[Case]:
    cases = []
    outside = root / "outside-secret.txt"
    outside.write_text("root:x:0:0:secret\n", encoding="utf-8")

    def folder(name: str) -> Path:
        d = root / f"folder-{name}"
        (d / "sport").mkdir(parents=True)
        (d / "sport" / "1.txt").write_text("The team won.", encoding="utf-8")
        return d

    d = folder("symlink-out")
    (d / "sport" / "passwd.txt").symlink_to(outside)
    cases.append(Case("folder:symlink-file-out-of-folder", d, "textcat", "error", None, [], "outside the folder"))
    d = folder("symlink-dir-out")
    (root / "outside-class").mkdir()
    (root / "outside-class" / "2.txt").write_text("secret", encoding="utf-8")
    (d / "business").symlink_to(root / "outside-class")
    cases.append(Case("folder:symlink-class-out-of-folder", d, "textcat", "error", None, [], "outside the folder"))
    d = folder("nul")
    (d / "sport" / "2.txt").write_text("bad\u0000text", encoding="utf-8")
    cases.append(Case("folder:nul-in-text", d, "textcat", "error", None, [], "NUL"))
    d = folder("invalid-utf8")
    (d / "sport" / "2.txt").write_bytes(b"caf\xe9")
    cases.append(Case("folder:invalid-utf8", d, "textcat", "error", None, [], "0xE9"))
    d = folder("empty-file")
    (d / "sport" / "2.txt").write_text("  \n", encoding="utf-8")
    cases.append(Case("folder:empty-file", d, "textcat", "error", None, [], "empty"))
    d = root / "folder-no-classes"
    d.mkdir()
    (d / "README.md").write_text("nothing", encoding="utf-8")
    cases.append(Case("folder:no-class-folders", d, "textcat", "error", None, [], ".txt"))
    d = folder("dangling-link")
    (d / "sport" / "gone.txt").symlink_to(root / "does-not-exist.txt")
    (d / "sport" / "notes.pdf").write_bytes(b"%PDF")
    cases.append(Case("folder:dangling-link-and-pdf-are-reported", d, "textcat", "ok", None, [], "skipped"))
    d = folder("unknown-label")
    (d / "weather").mkdir()
    (d / "weather" / "1.txt").write_text("Rain.", encoding="utf-8")
    cases.append(Case("folder:unknown-label", d, "textcat", "error", None, [], "weather"))
    return cases


def build(root: Path) -> list[Case]:
    """Write the corpus under ``root``; return its cases."""
    root.mkdir(parents=True, exist_ok=True)
    cases = (_jsonl_ner_cases(root, "prodigy-jsonl", _prodigy) + _jsonl_ner_cases(root, "doccano-jsonl", _doccano)
             + _conll_cases(root) + _tokjsonl_cases(root) + _labelstudio_cases(root) + _csv_cases(root)
             + _textcat_jsonl_cases(root) + _docbin_cases(root) + _folder_cases(root))
    snapped = _lines(root / "prodigy-meta-snapped-string.jsonl", [_prodigy(meta={"_snapped": "abc"})])
    cases.append(Case("prodigy-jsonl:meta-snapped-string", snapped, "ner", "ok"))
    return cases


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    for case in build(out):
        print(f"{case.expect:<5} {case.task:<7} {case.name}")
