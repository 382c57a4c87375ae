"""spaCy DocBin (``spacy-docbin``): the binary ``.spacy`` files ``spacy train`` reads.

Read with ``spacy.blank(ReadOptions.lang).vocab``: tokens come from the ``Doc``, spans from ``doc.ents``, the
category from ``doc.cats`` (the highest-scoring one). Written DocBins keep the tokens, ``doc.ents`` (NER) or
one-hot ``doc.cats`` over all labels seen (textcat), and store ``meta``/``answer`` in ``doc.user_data``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from evaluator import limits
from evaluator.errors import InputFormatError
from evaluator.formats._common import Problems, public_meta, validate_records
from evaluator.formats.base import ReadOptions, register
from evaluator.records import Record, Span
from evaluator.tokenize import nlp_for, tokens_from_doc


def doc_from_record(nlp: Any, rec: Record) -> Any:
    """A ``Doc`` whose text is exactly ``rec.text`` and whose tokens include ``rec.tokens``.

    Gaps between tokens other than one space become whitespace tokens, as spaCy itself makes them.
    """
    from spacy.tokens import Doc

    if rec.tokens is None:
        return nlp.make_doc(rec.text)
    text = rec.text
    words: list[str] = []
    spaces: list[bool] = []
    pos = 0

    def gap(upto: int) -> None:
        piece = text[pos:upto]
        if not piece:
            return
        if words and piece[0] == " " and not spaces[-1]:
            spaces[-1] = True
            piece = piece[1:]
        if piece:
            words.append(piece)
            spaces.append(False)

    for tok in rec.tokens:
        gap(tok.start)
        words.append(text[tok.start:tok.end])
        spaces.append(False)
        pos = tok.end
    gap(len(text))
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    assert doc.text == text
    return doc


def _check_unzipped_size(data: bytes, path: Path) -> None:
    """Refuse a DocBin that would expand past the decompressed-size limit, before it is expanded (a 1 MB
    zlib bomb expands to gigabytes); the check decompresses in bounded pieces and keeps none of them."""
    import zlib

    limit = limits.UNZIP.bytes()
    inflate = zlib.decompressobj()
    total = 0
    piece = data
    while True:
        out = inflate.decompress(piece, 1 << 20)
        total += len(out)
        if total > limit:
            raise limits.UNZIP.error("the decompressed DocBin", None, path=path)
        piece = inflate.unconsumed_tail
        if inflate.eof or (not out and not piece):
            return


class DocBinFormat:
    name = "spacy-docbin"
    task = "both"
    extensions = (".spacy",)
    description = "spaCy DocBin (.spacy): doc.ents for NER, doc.cats for textcat"

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        from spacy.tokens import DocBin

        options = options or ReadOptions()
        try:
            limits.check_file(path)
            data = Path(path).read_bytes()
            _check_unzipped_size(data, path)
            db = DocBin().from_bytes(data)
            docs = list(db.get_docs(nlp_for(options.lang).vocab))
        except OSError as err:
            raise InputFormatError(f"cannot read the file ({err})", path=str(path)) from None
        except InputFormatError:
            raise
        except Exception as err:  # noqa: BLE001 - msgpack/zlib errors for files that are not DocBins
            raise InputFormatError(f"not a spaCy DocBin ({type(err).__name__}: {err})", path=str(path),
                                   hint="create it with spacy.tokens.DocBin(...).to_disk(path)") from None
        problems = Problems(path, unit="record")
        records: list[Record] = []
        for n, doc in enumerate(docs, 1):
            user = doc.user_data if isinstance(doc.user_data, dict) else {}
            meta = dict(user.get("meta") or {}) if isinstance(user.get("meta"), dict) else {}
            bad = {k: v for k, v in (doc.cats or {}).items()
                   if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v}
            if bad:
                problems.add(f"doc.cats must map categories to scores (numbers), got {bad!r:.60}", n,
                             hint="set doc.cats = {'sport': 1.0, 'business': 0.0}")
                continue
            # the highest category; none when every score is 0 (an unlabeled text, or no category applies)
            label = max(doc.cats, key=doc.cats.get) if doc.cats and max(doc.cats.values()) > 0 else None
            answer = user.get("answer", "accept")
            records.append(Record(doc.text, tokens=tokens_from_doc(doc),
                                  spans=[Span(e.start_char, e.end_char, e.label_) for e in doc.ents],
                                  label=label, answer=answer if isinstance(answer, str) else "accept",
                                  meta=meta, line=n))
        validate_records(records, problems, lang=options.lang)
        problems.raise_if_any()
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "ner", lang: str = "en") -> None:
        from spacy.tokens import DocBin

        records = list(records)
        nlp = nlp_for(lang)
        labels = sorted({r.label for r in records if r.label is not None})
        db = DocBin(store_user_data=True)
        for n, rec in enumerate(records, 1):
            doc = doc_from_record(nlp, rec)
            if task == "textcat":
                if rec.label is not None:
                    doc.cats = {lab: float(lab == rec.label) for lab in labels}
            else:
                ents = []
                for s in sorted(rec.spans):
                    ent = doc.char_span(s.start, s.end, label=s.label)
                    if ent is None:
                        raise InputFormatError(f"record {n}: span {s.start}-{s.end} {s.label} is not on token "
                                               f"boundaries", path=str(path),
                                               hint="snap the spans to token boundaries before writing")
                    ents.append(ent)
                doc.ents = ents
                if rec.label is not None:
                    doc.cats = {lab: float(lab == rec.label) for lab in labels}
            doc.user_data["meta"] = public_meta(rec.meta)
            if rec.answer != "accept":
                doc.user_data["answer"] = rec.answer
            db.add(doc)
        db.to_disk(path)


register(DocBinFormat())
