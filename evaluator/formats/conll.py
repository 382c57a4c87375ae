"""CoNLL column files (``conll``): one token per line, the tag in the last column, blank lines between sentences.

Reads CoNLL-2003 (``token POS chunk NER``, IOB1, ``-DOCSTART-`` document lines) and WNUT-17 (``token<TAB>tag``,
IOB2, whitespace-only separator lines) as they are. Schemes IOB1, IOB2, IOBES and BILOU are detected
(``ReadOptions.scheme="auto"``) or given. Each sentence becomes a :class:`Record` whose text is the tokens joined
by single spaces; ``tags`` keeps the raw tag column for exact (seqeval-style) scoring and ``meta["scheme"]`` the
scheme used; ``meta["doc"]`` is the document index when the file has ``-DOCSTART-`` lines.
Writes IOB2 by default (``write(..., scheme="IOBES")`` for others): ``token tag`` per line.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from evaluator.errors import ConfigError, InputFormatError
from evaluator.formats._common import Problems, read_text, token_tuples
from evaluator.formats.base import ReadOptions, register
from evaluator.records import Record, Span, Token, text_from_tokens

SCHEMES = ("IOB1", "IOB2", "IOBES", "BILOU")
#: entity prefixes each scheme allows
PREFIXES = {"IOB1": frozenset("BI"), "IOB2": frozenset("BI"), "IOBES": frozenset("BIES"),
            "BILOU": frozenset("BILU")}
_ALL_PREFIXES = frozenset("BIESLU")
DOCSTART = "-DOCSTART-"


def normalize_scheme(scheme: str) -> str:
    """Upper-case scheme name; ``BIO`` is IOB2, ``BIOES`` is IOBES, ``BILUO`` is BILOU. ``auto`` passes."""
    s = scheme.strip().upper().replace("-", "")
    s = {"BIO": "IOB2", "IOB": "IOB2", "BIOES": "IOBES", "BILUO": "BILOU", "AUTO": "auto"}.get(s, s)
    if s != "auto" and s not in SCHEMES:
        raise ConfigError(f"Unknown tagging scheme {scheme!r}.", hint="use auto, IOB1, IOB2, IOBES or BILOU")
    return s


def split_tag(tag: str) -> tuple[str, str] | None:
    """``("B", "PER")`` for ``B-PER``, ``("O", "")`` for ``O``; ``None`` when the tag is malformed."""
    if tag == "O":
        return "O", ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in _ALL_PREFIXES:
        return tag[0], tag[2:]
    return None


def detect_scheme(sentences: Iterable[Sequence[str]]) -> str:
    """Guess the scheme of tag sequences.

    ``S-``/``E-`` means IOBES, ``U-``/``L-`` means BILOU; an ``I-X`` that starts an entity (after ``O``, at the
    start of a sentence or after another type) means IOB1; anything else is IOB2.

    >>> detect_scheme([["I-PER", "O", "I-LOC", "B-LOC"]])
    'IOB1'
    >>> detect_scheme([["B-PER", "I-PER", "O"]])
    'IOB2'
    """
    sentences = [list(t) for t in sentences]
    seen = {p[0] for t in {t for tags in sentences for t in tags} if (p := split_tag(t)) is not None}
    if seen & {"S", "E"}:
        return "IOBES"
    if seen & {"U", "L"}:
        return "BILOU"
    iob1 = False
    for tags in sentences:
        prev_type = None
        for tag in tags:
            if tag == "O":
                prev_type = None
                continue
            prefix, typ = tag[0], tag[2:]
            if prefix == "I" and typ != prev_type:
                iob1 = True
                break
            prev_type = typ
        if iob1:
            break
    return "IOB1" if iob1 else "IOB2"


def tags_to_spans(tokens: Sequence[Token], tags: Sequence[str]) -> list[Span]:
    """Character spans from tags in any of the four schemes (lenient, like conlleval).

    ``B``/``S``/``U`` start an entity, ``I``/``E``/``L`` continue one of the same type (or start one),
    ``S``/``U``/``E``/``L`` end it.
    """
    spans: list[Span] = []
    start = label = None
    end = 0
    for tok, tag in zip(tokens, tags):
        if tag == "O":
            prefix, typ = "O", ""
        else:
            prefix, typ = tag[0], tag[2:]
        if prefix == "O" or prefix in "BSU" or typ != label:
            if label is not None:
                spans.append(Span(start, end, label))
                label = None
            if prefix != "O":
                start, label = tok.start, typ
        end = tok.end
        if prefix in "SUEL" and label is not None:
            spans.append(Span(start, end, label))
            label = None
    if label is not None:
        spans.append(Span(start, end, label))
    return spans


def spans_to_tags(tokens: Sequence[Token], spans: Iterable[Span], *, scheme: str = "IOB2") -> list[str]:
    """Token tags for spans on token boundaries in ``scheme``; ``ValueError`` names a misaligned span."""
    scheme = normalize_scheme(scheme)
    if scheme == "auto":
        scheme = "IOB2"
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    tags = ["O"] * len(tokens)
    prev_end, prev_label = -2, None
    for s in sorted(spans):
        i, j = starts.get(s.start), ends.get(s.end)
        if i is None or j is None or j < i:
            raise ValueError(f"span {s.start}-{s.end} {s.label} is not on token boundaries")
        if scheme == "IOB1":
            first = "B" if (prev_end == i - 1 and prev_label == s.label) else "I"
            tags[i:j + 1] = [f"{first}-{s.label}"] + [f"I-{s.label}"] * (j - i)
        elif scheme == "IOB2":
            tags[i:j + 1] = [f"B-{s.label}"] + [f"I-{s.label}"] * (j - i)
        else:
            single, last = ("S", "E") if scheme == "IOBES" else ("U", "L")
            if i == j:
                tags[i] = f"{single}-{s.label}"
            else:
                tags[i:j + 1] = [f"B-{s.label}"] + [f"I-{s.label}"] * (j - i - 1) + [f"{last}-{s.label}"]
        prev_end, prev_label = j, s.label
    return tags


def word_tags(rec: Record, n: int, path: Path | str, *, scheme: str, lang: str) -> list[tuple[str, str]]:
    """(word, tag) pairs of record ``n`` for the token-tag writers; whitespace-only tokens are left out.

    A span off the token boundaries is an error naming the record (tags cannot express it).
    """
    tokens = token_tuples(rec, lang)
    try:
        tags = spans_to_tags(tokens, rec.spans, scheme=scheme)
    except ValueError as err:
        raise InputFormatError(f"record {n}: {err}", path=str(path),
                               hint="snap the spans to token boundaries before writing") from None
    return [(rec.text[t.start:t.end], tag) for t, tag in zip(tokens, tags) if rec.text[t.start:t.end].strip()]


def check_tags(tags: Sequence[str], scheme: str, lines: Sequence[int | None], problems: Problems,
               *, what: str = "tag") -> None:
    """Record malformed tags and tags the scheme does not allow."""
    allowed = _ALL_PREFIXES if scheme == "auto" else PREFIXES[scheme]
    bad: dict[str, tuple[str, str]] = {}
    for tag in set(tags):  # a file has few distinct tags: check those, then find their lines
        parts = split_tag(tag)
        if parts is None:
            bad[tag] = (f"invalid {what} {tag!r}",
                        "tags are O or PREFIX-TYPE with PREFIX one of B, I, E, S, L, U (e.g. B-PER)")
        elif parts[0] != "O" and parts[0] not in allowed:
            bad[tag] = (f"{what} {tag!r} is not allowed in the {scheme} scheme",
                        "pass the right --scheme (IOB1, IOB2, IOBES, BILOU) or auto")
    if bad:
        for tag, line in zip(tags, lines):
            if tag in bad:
                problems.add(bad[tag][0], line, hint=bad[tag][1])


def note_iob2_i_starts(sentences: Iterable[tuple[Sequence[str], Sequence[int | None]]], notes: list[str]) -> int:
    """Under an explicit IOB2 scheme, count ``I-X`` tags that start an entity (after ``O``, at a sentence start or
    after another type): IOB2 forbids them, and they are read as the start of an entity (as conlleval and seqeval's
    default mode do). Adds a note naming the first lines; returns the count."""
    count, first = 0, []
    for tags, lines in sentences:
        prev = "O"
        for tag, line in zip(tags, lines):
            if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
                count += 1
                if len(first) < 3 and line is not None:
                    first.append(str(line))
            prev = tag
    if count:
        at = f" (line {', '.join(first)}{', ...' if count > len(first) else ''})" if first else ""
        notes.append(f"{count} I- tag(s) start an entity{at}, which the IOB2 scheme does not allow; they were read "
                     "as the start of an entity, as conlleval and seqeval's default mode read them (pass --scheme "
                     "IOB1 if the file is IOB1)")
    return count


def _split_columns(line: str) -> list[str]:
    if "\t" in line:
        cols = [c.strip() for c in line.split("\t")]
        while cols and not cols[-1]:
            cols.pop()
        return cols
    return line.split()


class ConllFormat:
    name = "conll"
    #: the format cannot tell an unlabeled text from one without annotations, so exports leave them out
    keeps_unlabeled = False
    task = "ner"
    extensions = (".conll", ".iob", ".bio", ".txt", ".tsv")
    description = "CoNLL columns: token first, tag last (IOB1/IOB2/IOBES/BILOU), blank line between sentences"

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        options = options or ReadOptions()
        scheme = normalize_scheme(options.scheme)
        text, _ = read_text(path, options.encoding)
        problems = Problems(path)
        # sentences as (words, tags, line numbers, doc index)
        sentences: list[tuple[list[str], list[str], list[int], int | None]] = []
        words: list[str] = []
        tags: list[str] = []
        lines: list[int] = []
        doc: int | None = None
        col = options.tag_column
        # every token line has as many columns as the others (as conlleval requires): a line with one more or
        # one less column is a token with a space in it, a lost tag, or two files pasted together
        widths: list[tuple[int, int, str]] = []  # (columns, line number, line)

        def flush() -> None:
            nonlocal words, tags, lines
            if words:
                sentences.append((words, tags, lines, doc))
                words, tags, lines = [], [], []

        for no, raw in enumerate(text.split("\n"), 1):
            if not raw.strip():
                flush()
                continue
            cols = _split_columns(raw.rstrip("\r"))
            if cols[0] == DOCSTART:
                flush()
                doc = 0 if doc is None else doc + 1
                continue
            if len(cols) < 2:
                problems.add(f"line has one column ({raw.strip()!r}); expected a token and a tag", no,
                             hint="separate token and tag with a tab or a space; blank lines separate sentences")
                continue
            widths.append((len(cols), no, raw.strip()))
            try:
                tag = cols[col]
            except IndexError:
                problems.add(f"no column {col} (the line has {len(cols)})", no, hint="check --tag-column")
                continue
            if col in (0, -len(cols)):
                problems.add("the tag column is the token column", no, hint="check --tag-column")
                continue
            if not cols[0]:
                problems.add("empty token before the tag", no, hint="remove the line or give the token")
                continue
            words.append(cols[0])
            tags.append(tag)
            lines.append(no)
        flush()
        if widths:
            usual = Counter(w for w, _, _ in widths).most_common(1)[0][0]
            first = next(n for w, n, _ in widths if w == usual)
            for w, n, line in widths:
                if w != usual:
                    problems.add(f"line has {w} columns but the other token lines have {usual} (e.g. line {first}): "
                                 f"{line[:60]!r}", n,
                                 hint="give every token line the same columns (token first, tag last); a token "
                                      "with a space inside needs tab-separated columns")

        all_tags = [t for s in sentences for t in s[1]]
        all_lines = [n for s in sentences for n in s[2]]
        check_tags(all_tags, scheme, all_lines, problems)
        if scheme == "auto":
            used = {p[0] for t in set(all_tags) if (p := split_tag(t)) is not None}
            if used & {"S", "E"} and used & {"U", "L"}:
                problems.add("the file mixes IOBES (S-/E-) and BILOU (U-/L-) tags", None,
                             hint="pass --scheme to say which one it uses")
        problems.raise_if_any()
        if scheme == "auto":
            scheme = detect_scheme(s[1] for s in sentences)
        elif scheme == "IOB2":
            note_iob2_i_starts(((tags, lines) for _, tags, lines, _ in sentences), options.notes)

        records: list[Record] = []
        for words, tags, lines, doc in sentences:
            sent_text, tokens = text_from_tokens(words)
            meta: dict = {"scheme": scheme}
            if doc is not None:
                meta["doc"] = doc
            records.append(Record(sent_text, tokens=tokens, spans=tags_to_spans(tokens, tags), meta=meta,
                                  line=lines[0], tags=list(tags)))
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "ner", scheme: str = "IOB2",
              lang: str = "en") -> None:
        """Write ``token tag`` lines; whitespace-only tokens are left out (CoNLL cannot hold them)."""
        out: list[str] = []
        last_doc = None
        for n, rec in enumerate(records, 1):
            doc = rec.meta.get("doc")
            if doc is not None and doc != last_doc:
                out.append(f"{DOCSTART} O\n\n")
                last_doc = doc
            lines = []
            for word, tag in word_tags(rec, n, path, scheme=scheme, lang=lang):
                # a token with a space inside needs a tab separator
                lines.append(f"{word}\t{tag}\n" if any(c.isspace() for c in word) else f"{word} {tag}\n")
            if lines:
                out.extend(lines)
                out.append("\n")
        Path(path).write_text("".join(out), encoding="utf-8")


register(ConllFormat())
