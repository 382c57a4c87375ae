"""NER scoring identical to seqeval, computed once per document and kept as count arrays.

Two modes, as in seqeval:

* ``"default"`` — conlleval-compatible and lenient (``O I-PER`` starts an entity, a type change splits one);
  the same chunking as ``seqeval.metrics.classification_report(y_true, y_pred)``.
* ``"strict"`` — entities must follow a tagging scheme (``IOB2``, ``IOBES``, ``BILOU``, also ``IOB1``, ``IOE1``,
  ``IOE2`` exactly as seqeval handles them); the same as ``classification_report(..., mode="strict",
  scheme=...)``. Without a scheme it is detected from the gold tags as seqeval does.

Entities are extracted once, vectorized over the whole corpus with seqeval's own chunk rules evaluated on the
(few) distinct tag pairs. The result, :class:`NerCounts`, holds a ``[documents, labels, 3]`` array of
TP/FP/FN per document; :func:`ner_report` and the paired tests in :mod:`evaluator.stats` only do arithmetic
on it.

>>> counts = ner_counts([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
>>> ner_report(counts)["micro"]["f1"]
1.0
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Sequence

import numpy as np

from evaluator.errors import ConfigError, InputFormatError
from evaluator.metrics.aggregate import FN, FP, TP, opt, summarize

MODES = ("default", "strict")
#: documents are counted in batches of about this many tokens (bounds the working memory)
BATCH_TOKENS = 1 << 20
SCHEMES = ("IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU")
_SCHEME_ALIASES = {"BIO": "IOB2", "IOB": "IOB2", "BIOES": "IOBES", "BILUO": "BILOU"}


def normalize_mode(mode: str | None) -> str:
    m = (mode or "default").strip().lower()
    if m in ("conlleval", "lenient", "none"):
        m = "default"
    if m not in MODES:
        raise ConfigError(f"Unknown scoring mode {mode!r}.", hint="use default (conlleval-compatible) or strict")
    return m


def normalize_scheme(scheme: str | None) -> str | None:
    """Canonical scheme name (``BIO`` -> ``IOB2``, ``BIOES`` -> ``IOBES``), ``None`` for auto."""
    if scheme is None:
        return None
    s = scheme.strip().upper().replace("-", "")
    if s in ("", "AUTO"):
        return None
    s = _SCHEME_ALIASES.get(s, s)
    if s not in SCHEMES:
        raise ConfigError(f"Unknown tagging scheme {scheme!r}.", hint="use IOB2, IOBES or BILOU (or IOB1, IOE1, IOE2)")
    return s


def _mode_and_scheme(mode: str | None, scheme: str | None) -> tuple[str, str | None]:
    mode, scheme = normalize_mode(mode), normalize_scheme(scheme)
    if mode == "default" and scheme is not None:
        raise ConfigError(f"A scheme ({scheme}) only applies to strict mode.",
                          hint="pass mode strict with the scheme, or no scheme for the default (conlleval) mode")
    return mode, scheme


@dataclass
class NerCounts:
    """Per-document entity counts of one system against one gold set.

    ``counts[d, k]`` holds ``(tp, fp, fn)`` of label ``labels[k]`` in document ``d``. Entity lists are token
    offsets inside each document, end exclusive: ``gold_entities`` rows ``(doc, label, start, end)``,
    ``pred_entities`` rows ``(doc, label, start, end, matched, aligned)`` (``matched``: a true positive;
    ``aligned``: 3 when the span sits on gold token boundaries, else bit 1 = its start does, bit 2 = its end
    does; a misaligned span keeps the tokens it overlaps as ``start``/``end``).
    """

    labels: list[str]
    counts: np.ndarray
    tokens: np.ndarray
    correct: np.ndarray
    misaligned: np.ndarray
    mode: str
    scheme: str | None
    gold_entities: np.ndarray = field(repr=False)
    pred_entities: np.ndarray = field(repr=False)
    task: str = "ner"

    @property
    def documents(self) -> int:
        return int(self.counts.shape[0])

    def report(self, *, doc_index: Sequence[int] | np.ndarray | None = None) -> dict[str, Any]:
        return ner_report(self, doc_index=doc_index)

    def with_labels(self, labels: Sequence[str]) -> "NerCounts":
        """The same counts on a larger label list (missing labels get zero counts), for pairing two systems."""
        return _with_labels(self, labels)


def _with_labels(c: Any, labels: Sequence[str]) -> Any:
    import dataclasses

    labels = list(labels)
    missing = set(c.labels) - set(labels)
    if missing:
        raise ValueError(f"labels {sorted(missing)} would be dropped")
    pos = {lab: i for i, lab in enumerate(labels)}
    remap = np.array([pos[lab] for lab in c.labels], dtype=np.int64)
    counts = np.zeros((c.counts.shape[0], len(labels), 3), dtype=c.counts.dtype)
    counts[:, remap] = c.counts
    changes: dict[str, Any] = {"labels": labels, "counts": counts}
    for name in ("gold_entities", "pred_entities"):
        ents = getattr(c, name, None)
        if ents is not None and len(ents):
            ents = ents.copy()
            ents[:, 1] = remap[ents[:, 1]]
            changes[name] = ents
    return dataclasses.replace(c, **changes)


# ----------------------------------------------------------------------------------------------- encoding

def _encode(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]
            ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Tag vocabulary (``"O"`` first), flat gold/pred tag ids and document lengths; checks the shapes."""
    if len(gold) != len(pred):
        raise InputFormatError(f"{len(gold)} gold sentences but {len(pred)} predicted ones",
                               hint="score predictions made on the same sentences, in the same order")
    n_docs = len(gold)
    lengths = np.fromiter(map(len, gold), dtype=np.int64, count=n_docs)
    plengths = np.fromiter(map(len, pred), dtype=np.int64, count=n_docs)
    if not np.array_equal(lengths, plengths):
        d = int(np.nonzero(lengths != plengths)[0][0])
        raise InputFormatError(f"sentence {d + 1} has {lengths[d]} gold tags but {plengths[d]} predicted tags",
                               hint="score predictions made on the same tokens, in the same order")
    flat_g = list(chain.from_iterable(gold))
    flat_p = list(chain.from_iterable(pred))
    vocab: dict[str, int] = {"O": 0}
    for t in set(flat_g).union(flat_p):
        if t not in vocab:
            if not isinstance(t, str):
                raise InputFormatError(f"tag {t!r} is not a string")
            vocab[t] = len(vocab)
    get = vocab.__getitem__
    g = np.fromiter(map(get, flat_g), dtype=np.int64, count=len(flat_g))
    p = np.fromiter(map(get, flat_p), dtype=np.int64, count=len(flat_p))
    return list(vocab), g, p, lengths


def _where(ids: np.ndarray, bad: int, lengths: np.ndarray) -> str:
    """'sentence N, token K' of the first occurrence of tag id ``bad`` in a flat id array."""
    k = int(np.nonzero(ids == bad)[0][0])
    ends = np.cumsum(lengths)
    d = int(np.searchsorted(ends, k, side="right"))
    return f"sentence {d + 1}, token {k - (ends[d] - lengths[d]) + 1}"


# ------------------------------------------------------------------------------------- default (conlleval)

def _default_parts(tag: str) -> tuple[str, str]:
    # seqeval.metrics.sequence_labeling.get_entities, suffix=False
    return tag[0], tag[1:].split("-", maxsplit=1)[-1] or "_"


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    # seqeval.metrics.sequence_labeling.end_of_chunk (itself conlleval's endOfChunk)
    return (prev_tag in ("E", "S")
            or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
            or (prev_tag != "O" and prev_tag != "." and prev_type != type_))


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    # seqeval.metrics.sequence_labeling.start_of_chunk (itself conlleval's startOfChunk)
    return (tag in ("B", "S")
            or (prev_tag in ("E", "S") and tag in ("E", "I"))
            or (prev_tag == "O" and tag in ("E", "I"))
            or (tag != "O" and tag != "." and prev_type != type_))


def _default_tables(vocab: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``end[prev, cur]``, ``start[prev, cur]`` over the vocabulary plus the initial state (last index)."""
    states = [_default_parts(t) for t in vocab] + [("O", "")]  # seqeval starts with prev_tag O, prev_type ''
    n = len(states)
    end = np.zeros((n, n), dtype=bool)
    start = np.zeros((n, n), dtype=bool)
    for i, (pt, pty) in enumerate(states):
        for j, (ct, cty) in enumerate(states[:-1]):
            end[i, j] = _end_of_chunk(pt, ct, pty, cty)
            start[i, j] = _start_of_chunk(pt, ct, pty, cty)
    return end, start, [ty for _, ty in states]


def _default_entities(seq: np.ndarray, end_t: np.ndarray, start_t: np.ndarray, init: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chunks of a flat state sequence, exactly as seqeval's ``get_entities``: (begin, end_exclusive, state of
    the last token)."""
    prev = np.empty_like(seq)
    prev[0] = init
    prev[1:] = seq[:-1]
    ends = np.nonzero(end_t[prev, seq])[0]
    idx = np.arange(len(seq))
    is_start = start_t[prev, seq]
    if init == 0 and len(ends) and not is_start[:ends[0]].any():
        # a chunk that never started (only malformed tags such as "X" can do this) takes its beginning from
        # the last start before it, which lies in an earlier batch: count the corpus in one piece
        raise _Unbatchable
    last_start = np.maximum.accumulate(np.where(is_start, idx, 0))
    begins = last_start[ends - 1] if len(ends) else ends
    return begins, ends, prev[ends]


class _Unbatchable(Exception):
    """The corpus cannot be counted in batches of documents (see :func:`_default_entities`)."""


def _count_default(tables: tuple[np.ndarray, np.ndarray, list[str]], g: np.ndarray, p: np.ndarray,
                   lengths: np.ndarray, *, first_batch: bool = True):
    end_t, start_t, types = tables
    # seqeval starts the corpus in its initial state; a later batch starts after the "O" that ends a sentence
    init = len(types) - 1 if first_batch else 0
    n_docs = len(lengths)
    doc_of_tok = np.repeat(np.arange(n_docs), lengths)
    # seqeval flattens the sentences with an "O" after each, then appends one more "O"
    total = int(lengths.sum()) + n_docs + 1
    pos = np.arange(len(g)) + doc_of_tok
    first = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]) if n_docs else np.zeros(0, dtype=np.int64)
    out = []
    for ids in (g, p):
        seq = np.zeros(total, dtype=np.int64)  # vocab id 0 is "O"
        seq[pos] = ids
        begins, ends, last = _default_entities(seq, end_t, start_t, init)
        out.append((begins, ends, [types[s] for s in last.tolist()]))
    return out, first, total


# ------------------------------------------------------------------------------------------------- strict

def _scheme_class(name: str):
    from seqeval import scheme as sch

    return getattr(sch, name)


def _auto_scheme(vocab: list[str], g: np.ndarray) -> str:
    from seqeval.scheme import auto_detect

    used = [vocab[i] for i in np.unique(g).tolist()] if len(g) else []
    try:
        return auto_detect([used]).__name__
    except ValueError as err:
        raise ConfigError(f"Cannot detect the tagging scheme of the gold tags ({err}).",
                          hint="pass --scheme IOB2, IOBES or BILOU") from None


def _strict_tables(vocab: list[str], g: np.ndarray, p: np.ndarray, lengths: np.ndarray, scheme: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """seqeval's strict rules on every pair of tags: ``start[prev, cur]``, ``inside``, ``end`` and the tag
    (entity type) of each id. A tag the scheme does not allow is an error naming its first sentence and token."""
    cls = _scheme_class(scheme)
    toks = []
    for k, t in enumerate(vocab):
        try:
            tok = cls(t)
            tok.is_valid()
        except (KeyError, IndexError, ValueError):
            where = _where(g, k, lengths) if np.any(g == k) else "predictions, " + _where(p, k, lengths)
            raise InputFormatError(
                f"tag {t!r} ({where}) is not valid in the {scheme} scheme",
                hint=f"use --mode default, or the scheme the tags follow (--scheme IOB2, IOBES, BILOU)") from None
        toks.append(tok)
    n = len(toks)
    start_t = np.zeros((n, n), dtype=bool)
    inside_t = np.zeros((n, n), dtype=bool)
    end_t = np.zeros((n, n), dtype=bool)
    for i, a in enumerate(toks):
        for j, b in enumerate(toks):
            start_t[i, j] = b.is_start(a)
            inside_t[i, j] = b.is_inside(a)
            end_t[i, j] = b.is_end(a)
    return start_t, inside_t, end_t, [tok.tag for tok in toks]


def _count_strict(tables: tuple[np.ndarray, np.ndarray, np.ndarray, list[str]], g: np.ndarray, p: np.ndarray,
                  lengths: np.ndarray, *, first_batch: bool = True):
    start_t, inside_t, end_t, tag_of = tables
    n_docs = len(lengths)
    doc_of_tok = np.repeat(np.arange(n_docs), lengths)
    # one "O" before everything and after each sentence: seqeval's outside token on both sides
    total = 1 + int(lengths.sum()) + n_docs
    pos = 1 + np.arange(len(g)) + doc_of_tok
    first = 1 + (np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]) if n_docs else np.zeros(0, dtype=np.int64))
    idx = np.arange(total)
    out = []
    for ids in (g, p):
        seq = np.zeros(total, dtype=np.int64)
        seq[pos] = ids
        prev, cur = seq[:-1], seq[1:]
        is_start = np.zeros(total, dtype=bool)
        is_start[1:] = start_t[prev, cur]
        inside = np.zeros(total, dtype=bool)
        inside[1:] = inside_t[prev, cur]
        # next position after i that is not inside a chunk (the trailing "O" never is)
        nonin = np.where(inside, total, idx)
        nxt = np.minimum.accumulate(nonin[::-1])[::-1]
        starts = np.nonzero(is_start)[0]
        stops = nxt[np.minimum(starts + 1, total - 1)]
        if len(starts) > 1 and np.any(starts[1:] < stops[:-1]):
            # a start inside a previous chunk is skipped by seqeval's scan (only IOB1 can do this)
            keep = np.zeros(len(starts), dtype=bool)
            pos_ = 0
            for k, (s, e) in enumerate(zip(starts.tolist(), stops.tolist())):
                if s >= pos_:
                    keep[k] = True
                    pos_ = e
            starts, stops = starts[keep], stops[keep]
        ok = end_t[seq[stops - 1], seq[stops]]
        starts, stops = starts[ok], stops[ok]
        out.append((starts, stops, [tag_of[s] for s in seq[starts].tolist()]))
    return out, first, total


# ---------------------------------------------------------------------------------------------- counting

def _assemble(ents, first: np.ndarray, total: int, n_docs: int, mode: str, scheme: str | None,
              g: np.ndarray, p: np.ndarray, lengths: np.ndarray) -> NerCounts:
    (gb, ge, gt), (pb, pe, pt) = ents
    labels = sorted(set(gt) | set(pt))
    lab_id = {lab: i for i, lab in enumerate(labels)}
    n_lab = len(labels)
    gl = np.fromiter(map(lab_id.__getitem__, gt), dtype=np.int64, count=len(gt))
    pl = np.fromiter(map(lab_id.__getitem__, pt), dtype=np.int64, count=len(pt))
    width = max(n_lab, 1)
    gkey = (gb * (total + 1) + ge) * width + gl
    pkey = (pb * (total + 1) + pe) * width + pl
    matched = np.isin(pkey, gkey, assume_unique=True)

    def doc_of(begins: np.ndarray) -> np.ndarray:
        if n_docs == 0:
            return begins
        return np.maximum(np.searchsorted(first, begins, side="right") - 1, 0)

    gd, pd_ = doc_of(gb), doc_of(pb)
    size = n_docs * n_lab
    counts = np.zeros((n_docs, n_lab, 3), dtype=np.int64)
    if size:
        tp = np.bincount(pd_[matched] * n_lab + pl[matched], minlength=size)
        pred = np.bincount(pd_ * n_lab + pl, minlength=size)
        true = np.bincount(gd * n_lab + gl, minlength=size)
        counts[..., TP] = tp.reshape(n_docs, n_lab)
        counts[..., FP] = (pred - tp).reshape(n_docs, n_lab)
        counts[..., FN] = (true - tp).reshape(n_docs, n_lab)
    doc_of_tok = np.repeat(np.arange(n_docs), lengths)
    correct = np.bincount(doc_of_tok[g == p], minlength=n_docs).astype(np.int64)
    # entity rows as int32 (documents and token offsets fit): they are the largest part of the result
    gold_entities = np.stack([gd, gl, gb - first[gd] if n_docs else gb, ge - first[gd] if n_docs else ge],
                             axis=1).astype(np.int32) if len(gb) else np.zeros((0, 4), dtype=np.int32)
    ones = np.full(len(pb), 3, dtype=np.int64)
    pred_entities = np.stack([pd_, pl, pb - first[pd_] if n_docs else pb, pe - first[pd_] if n_docs else pe,
                              matched.astype(np.int64), ones], axis=1).astype(np.int32) \
        if len(pb) else np.zeros((0, 6), dtype=np.int32)
    return NerCounts(labels=labels, counts=counts, tokens=lengths.astype(np.int64), correct=correct,
                     misaligned=np.zeros(n_docs, dtype=np.int64), mode=mode, scheme=scheme,
                     gold_entities=gold_entities, pred_entities=pred_entities)


def ner_counts(gold_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]], *,
               mode: str = "default", scheme: str | None = None) -> NerCounts:
    """Per-document TP/FP/FN counts of token-tag sequences, identical to seqeval.

    ``gold_tags[d]`` and ``pred_tags[d]`` are the tags of document (sentence) ``d``; they must have the same
    length. ``mode="default"`` is conlleval-compatible; ``mode="strict"`` uses ``scheme`` (``IOB2``, ``IOBES``,
    ``BILOU``, ``IOB1``, ``IOE1``, ``IOE2``; ``None`` detects it from the gold tags as seqeval does).

    Raises :class:`InputFormatError` for mismatched lengths or tags the scheme does not allow, and
    :class:`ConfigError` for an unknown mode or scheme.

    >>> c = ner_counts([["B-PER", "O"], ["B-LOC"]], [["B-PER", "O"], ["O"]])
    >>> c.labels, c.counts.sum(axis=0).tolist()
    (['LOC', 'PER'], [[0, 0, 1], [1, 0, 0]])
    """
    mode, scheme = _mode_and_scheme(mode, scheme)
    vocab, g, p, lengths = _encode(gold_tags, pred_tags)
    return ner_counts_ids(vocab, g, p, lengths, mode=mode, scheme=scheme)


def ner_counts_ids(vocab: Sequence[str], gold_ids: np.ndarray, pred_ids: np.ndarray, lengths: np.ndarray, *,
                   mode: str = "default", scheme: str | None = None) -> NerCounts:
    """:func:`ner_counts` on tags already encoded as ids: the direct path of file readers that never build lists.

    ``vocab[k]`` is the tag of id ``k`` and ``vocab[0]`` must be ``"O"``; ``gold_ids``/``pred_ids`` are the
    flat tag ids of all documents one after the other, ``lengths[d]`` the number of tokens of document ``d``.

    >>> c = ner_counts_ids(["O", "B-PER", "B-LOC"], np.array([1, 0, 2]), np.array([1, 0, 0]), np.array([2, 1]))
    >>> c.labels, c.counts.sum(axis=0).tolist()
    (['LOC', 'PER'], [[0, 0, 1], [1, 0, 0]])
    """
    mode, scheme = _mode_and_scheme(mode, scheme)
    vocab = list(vocab)
    if not vocab or vocab[0] != "O":
        raise ValueError("vocab[0] must be 'O'")
    g = np.asarray(gold_ids)
    p = np.asarray(pred_ids)
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(g) != len(p) or len(g) != int(lengths.sum()):
        raise ValueError(f"{len(g)} gold ids, {len(p)} predicted ids and {int(lengths.sum())} tokens in lengths")
    if mode == "default":
        if any(t == "" for t in vocab):
            raise InputFormatError("an empty tag was found", hint="every token needs a tag such as O or B-PER")
        tables, count = _default_tables(vocab), _count_default
    else:
        if scheme is None:
            scheme = _auto_scheme(vocab, g)
        tables, count = _strict_tables(vocab, g, p, lengths, scheme), _count_strict
    # documents in batches of about BATCH_TOKENS tokens: working memory stays bounded however long the corpus
    ends = np.cumsum(lengths)
    cuts = np.searchsorted(ends, np.arange(BATCH_TOKENS, int(ends[-1]) if len(ends) else 0, BATCH_TOKENS),
                           side="right")
    bounds = sorted({0, len(lengths)} | {int(c) for c in cuts if 0 < c < len(lengths)})
    try:
        return _count_batches(bounds, ends, tables, count, g, p, lengths, mode, scheme)
    except _Unbatchable:
        return _count_batches([0, len(lengths)], ends, tables, count, g, p, lengths, mode, scheme)


def _count_batches(bounds: list[int], ends: np.ndarray, tables: Any, count: Any, g: np.ndarray,
                   p: np.ndarray, lengths: np.ndarray, mode: str, scheme: str | None) -> NerCounts:
    parts = []
    for d0, d1 in zip(bounds[:-1], bounds[1:]):
        t0 = int(ends[d0 - 1]) if d0 else 0
        t1 = int(ends[d1 - 1]) if d1 else 0
        gb, pb, lb = g[t0:t1], p[t0:t1], lengths[d0:d1]
        ents, first, total = count(tables, gb, pb, lb, first_batch=d0 == 0)
        parts.append(_assemble(ents, first, total, len(lb), mode, scheme, gb, pb, lb))
    return parts[0] if len(parts) == 1 else _concatenate(parts)


def _concatenate(parts: list[NerCounts]) -> NerCounts:
    """One :class:`NerCounts` from the counts of consecutive batches of documents (the parts are emptied)."""
    labels = sorted(set().union(*(c.labels for c in parts)))
    for k, c in enumerate(parts):
        if c.labels != labels:
            parts[k] = c.with_labels(labels)
    offsets = np.cumsum([0] + [c.documents for c in parts[:-1]]).tolist()

    def joined(name: str) -> np.ndarray:
        arrays = [getattr(c, name) for c in parts]
        for c in parts:  # one field at a time: the parts' copy is dropped as soon as it is joined
            setattr(c, name, None)
        if name.endswith("_entities"):
            for arr, off in zip(arrays, offsets):
                arr[:, 0] += off
        return np.concatenate(arrays)

    fields = {name: joined(name) for name in ("counts", "tokens", "correct", "misaligned", "gold_entities",
                                              "pred_entities")}
    return NerCounts(labels=labels, mode=parts[0].mode, scheme=parts[0].scheme, **fields)


def ner_report(counts: NerCounts, *, doc_index: Sequence[int] | np.ndarray | None = None) -> dict[str, Any]:
    """The full report of :class:`NerCounts` as plain data.

    ``doc_index`` restricts (or resamples) the documents. Keys: ``task``, ``mode``, ``scheme``, ``documents``,
    ``tokens``, ``token_accuracy``, ``micro``, ``macro``, ``weighted`` (each ``precision``, ``recall``, ``f1``,
    ``tp``, ``fp``, ``fn``, ``support``), ``per_label`` (label -> ``precision``, ``recall``, ``f1``,
    ``support``, ``tp``, ``fp``, ``fn``) and ``misaligned``. Undefined figures are ``None``.
    """
    c = counts.counts
    tokens, correct, misaligned = counts.tokens, counts.correct, counts.misaligned
    if doc_index is not None:
        idx = np.asarray(doc_index, dtype=np.int64)
        c, tokens, correct, misaligned = c[idx], tokens[idx], correct[idx], misaligned[idx]
    summed = c.sum(axis=0)
    n_tok = int(tokens.sum())
    out: dict[str, Any] = {
        "task": "ner",
        "mode": counts.mode,
        "scheme": counts.scheme,
        "documents": int(c.shape[0]),
        "tokens": n_tok,
        "token_accuracy": opt(int(correct.sum()) / n_tok) if n_tok else None,
    }
    out.update(summarize(summed, counts.labels, formula="seqeval"))
    out["misaligned"] = int(misaligned.sum())
    return out


def entities_of(counts: NerCounts, doc: int) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """Gold and predicted entities of one document as ``(label, start, end)`` token offsets (end exclusive)."""
    g = counts.gold_entities[counts.gold_entities[:, 0] == doc]
    p = counts.pred_entities[counts.pred_entities[:, 0] == doc]
    return ([(counts.labels[r[1]], int(r[2]), int(r[3])) for r in g],
            [(counts.labels[r[1]], int(r[2]), int(r[3])) for r in p])
