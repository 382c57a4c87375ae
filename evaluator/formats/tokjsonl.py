"""Token/tag JSONL (``token-jsonl``): ``{"tokens": ["EU", "rejects", ...], "tags": ["B-ORG", "O", ...]}``.

What hosted token-classification trainers expect. The text is the tokens joined by single spaces; ``tags`` keeps
the raw tags; the scheme is detected (``ReadOptions.scheme="auto"``) or given, and stored in ``meta["scheme"]``.
Other keys go to ``meta``. Writes IOB2 by default (``write(..., scheme=...)``); whitespace-only tokens are left
out.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from evaluator.formats._common import Problems, iter_jsonl
from evaluator.formats.base import ReadOptions, register
from evaluator.formats.conll import check_tags, detect_scheme, normalize_scheme, note_iob2_i_starts, split_tag, \
    tags_to_spans, word_tags
from evaluator.records import Record, text_from_tokens


class TokenJsonlFormat:
    name = "token-jsonl"
    #: the format cannot tell an unlabeled text from one without annotations, so exports leave them out
    keeps_unlabeled = False
    task = "ner"
    extensions = (".jsonl",)
    description = 'Token JSONL {"tokens": [...], "tags": [...]} (IOB2), as hosted trainers expect'

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        options = options or ReadOptions()
        scheme = normalize_scheme(options.scheme)
        problems = Problems(path)
        rows: list[tuple[int, list[str], list[str], dict]] = []
        for no, obj in iter_jsonl(path, options.encoding, problems):
            words, tags = obj.get("tokens"), obj.get("tags", obj.get("ner_tags"))
            if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
                problems.add("'tokens' must be a list of non-empty strings", no)
                continue
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                problems.add("'tags' must be a list of tag strings such as \"B-PER\"", no,
                             hint="integer ner_tags need their label names; write the tag strings")
                continue
            if len(words) != len(tags):
                problems.add(f"{len(words)} tokens but {len(tags)} tags", no,
                             hint="give exactly one tag per token")
                continue
            if not words:
                problems.add("empty text (no tokens)", no, hint="remove the record")
                continue
            before = len(problems)
            check_tags(tags, scheme, [no] * len(tags), problems)
            if len(problems) > before + 3:  # one line per bad tag is enough for the first few
                del problems[before + 3:]
            meta = {k: v for k, v in obj.items() if k not in ("tokens", "tags", "ner_tags")}
            rows.append((no, words, tags, meta))
        if scheme == "auto":
            used = {p[0] for t in {t for _, _, tags, _ in rows for t in tags} if (p := split_tag(t)) is not None}
            if used & {"S", "E"} and used & {"U", "L"}:
                problems.add("the file mixes IOBES (S-/E-) and BILOU (U-/L-) tags", None,
                             hint="pass --scheme to say which one it uses")
        problems.raise_if_any()
        if scheme == "auto":
            scheme = detect_scheme(tags for _, _, tags, _ in rows)
        elif scheme == "IOB2":
            note_iob2_i_starts(((tags, [no] * len(tags)) for no, _, tags, _ in rows), options.notes)
        records = []
        for no, words, tags, meta in rows:
            text, tokens = text_from_tokens(words)
            meta["scheme"] = scheme
            records.append(Record(text, tokens=tokens, spans=tags_to_spans(tokens, tags), meta=meta, line=no,
                                  tags=list(tags)))
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "ner", scheme: str = "IOB2",
              lang: str = "en") -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for n, rec in enumerate(records, 1):
                keep = word_tags(rec, n, path, scheme=scheme, lang=lang)
                obj = {"tokens": [w for w, _ in keep], "tags": [t for _, t in keep]}
                fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


register(TokenJsonlFormat())
