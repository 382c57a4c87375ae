"""Scoring and comparing files, no workspace needed: what ``evaluator score`` and ``evaluator compare`` print.

* :func:`score_files` — one prediction file against a gold file: the report dict (seqeval-exact NER, or text
  classification), optionally with nervaluate's partial-match view.
* :func:`compare_files` — two prediction files against one gold file: the paired comparison of B against A
  (bootstrap interval, bootstrap and randomization p-values, McNemar for text classification), the unit that was
  resampled (sentences or documents) and the verdict.
* :func:`conlleval_file` — a conlleval input file (``... GOLD PRED`` columns): conlleval's figures.

CoNLL files take a direct path: the tag columns are read block by block into id arrays
(:class:`~evaluator.formats.conll_stream.ConllTags`, a few bytes per token) and counted without building
records, with every file of a comparison read once and side by side. Files that path does not cover (other
formats, other encodings, files with problems to report) are read by their format's reader; the figures are the
same either way.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from evaluator.errors import ConfigError, InputFormatError
from evaluator.formats.base import ReadOptions
from evaluator.progress import Progress, check_cancel, report as report_progress

#: what the paired tests resample (as :data:`evaluator.scoring.evaluate.UNITS`): auto = documents when known
UNITS = ("auto", "document", "sentence")


def score_files(gold_path: str | Path, pred_path: str | Path, *, format: str | None = None, mode: str = "default",
                scheme: str | None = None, options: ReadOptions | None = None, partial: bool = False,
                progress: Progress | None = None, cancel: Any = None) -> dict[str, Any]:
    """The report of ``pred_path`` scored against ``gold_path`` (what ``evaluator score --json`` prints).

    ``format`` names the files' format (detected from each file when ``None``); ``mode``/``scheme`` as in
    :func:`evaluator.metrics.ner_counts` (strict mode without a scheme uses the scheme the CoNLL reader detects
    in the gold file); ``options`` are the readers' options; ``partial`` adds nervaluate's schemas under
    ``"partial"`` (NER). Raises :class:`~evaluator.errors.InputFormatError` naming the file and line when the
    files do not hold the same sentences or texts.
    """
    _check_mode(mode, scheme)
    [counts], _ = file_counts(gold_path, [pred_path], format=format, mode=mode, scheme=scheme, options=options,
                              progress=progress, cancel=cancel)
    rep = counts.report()
    if partial and rep["task"] == "ner":
        from evaluator.metrics.partial import partial_match_report

        rep["partial"] = partial_match_report(counts)
    return rep


def compare_files(gold_path: str | Path, pred_a: str | Path, pred_b: str | Path, *, format: str | None = None,
                  mode: str = "default", scheme: str | None = None, options: ReadOptions | None = None,
                  unit: str = "auto", resamples: int | None = None, seed: int | None = None,
                  metric: str | None = None, progress: Progress | None = None, cancel: Any = None
                  ) -> dict[str, Any]:
    """Is ``pred_b`` better than ``pred_a`` on ``gold_path``? (what ``evaluator compare --json`` prints)

    ``unit`` is what the paired bootstrap and the randomization test resample: ``"sentence"`` (each sentence
    or record) or ``"document"`` (CoNLL ``-DOCSTART-`` documents, whose sentences are not independent; a sentence
    outside any document is a unit of its own); ``"auto"`` is ``"document"`` when the gold file has documents,
    else ``"sentence"``. ``resamples`` and ``seed``
    default to :data:`evaluator.stats.DEFAULT_RESAMPLES` and :data:`evaluator.stats.DEFAULT_SEED`; ``metric`` is
    the headline figure (see :func:`evaluator.stats.compare_counts`).

    Returns the dict of :func:`~evaluator.stats.compare_counts` plus ``unit`` and ``verdict`` (see
    :func:`evaluator.report.verdict.verdict_of`).
    """
    from evaluator.report.verdict import verdict_of
    from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, compare_counts

    _check_mode(mode, scheme)
    if unit not in UNITS:
        raise ConfigError(f"Unknown resampling unit {unit!r}.", hint="use auto, document or sentence")
    (counts_a, counts_b), docs = file_counts(gold_path, [pred_a, pred_b], format=format, mode=mode, scheme=scheme,
                                             options=options, progress=progress, cancel=cancel)
    if metric == "accuracy" and counts_a.task != "textcat":
        raise ConfigError("--metric accuracy applies to text classification.", hint="use micro_f1 or macro_f1")
    if unit == "document" and docs is None:
        raise ConfigError(f"{gold_path} has no documents (no -DOCSTART- lines) to resample.",
                          hint="use --unit sentence, or mark the documents with -DOCSTART- lines")
    if unit == "auto":
        unit = "document" if docs is not None else "sentence"
    groups = None
    if unit == "document":
        # a sentence outside any document (before the first -DOCSTART-) is a unit of its own
        groups = np.where(docs >= 0, docs, -1 - np.arange(len(docs)))
    res = compare_counts(counts_a, counts_b, resamples=resamples or DEFAULT_RESAMPLES,
                         seed=DEFAULT_SEED if seed is None else seed, metric=metric, groups=groups, unit=unit)
    res["verdict"] = verdict_of(res)
    return res


def conlleval_file(path: str | Path) -> dict[str, Any]:
    """conlleval's figures of one conlleval input file (``None`` where undefined); see
    :func:`evaluator.metrics.conlleval.conlleval_report`."""
    from evaluator.metrics.conlleval import conlleval_report, read_conlleval_file

    return conlleval_report(read_conlleval_file(path))


# ------------------------------------------------------------------------------------------------- counting

def file_counts(gold_path: str | Path, pred_paths: Sequence[str | Path], *, format: str | None = None,
                mode: str = "default", scheme: str | None = None, options: ReadOptions | None = None,
                progress: Progress | None = None, cancel: Any = None) -> tuple[list[Any], np.ndarray | None]:
    """Counts of each prediction file against the gold file, and the document of each gold sentence (-1 for
    a sentence outside any document; ``None`` when the gold file has no documents).

    Returns (:class:`~evaluator.metrics.NerCounts` or :class:`~evaluator.metrics.TextcatCounts` per prediction
    file, documents).
    """
    from evaluator.formats import detect_format, get_format

    options = options or ReadOptions()
    paths = [Path(gold_path)] + [Path(p) for p in pred_paths]
    fmts = [get_format(format) if format else detect_format(p) for p in paths]
    if all(f.name == "conll" for f in fmts):
        from evaluator.formats.conll_stream import NotStreamable

        try:
            return _conll_counts(paths, mode=mode, scheme=scheme, options=options, progress=progress,
                                 cancel=cancel)
        except NotStreamable:
            pass  # the format's reader reads it, and reports its problems
    return _record_counts(paths, fmts, mode=mode, scheme=scheme, options=options, cancel=cancel)


def _check_mode(mode: str, scheme: str | None) -> None:
    if scheme and mode != "strict":
        raise ConfigError(f"--scheme {scheme} only applies to strict mode.",
                          hint="add --mode strict, or leave out --scheme for the default (conlleval) mode")


def _record_counts(paths: list[Path], fmts: list[Any], *, mode: str, scheme: str | None, options: ReadOptions,
                   cancel: Any) -> tuple[list[Any], np.ndarray | None]:
    """Counts through the formats' readers (records), for every format."""
    import dataclasses

    from evaluator.metrics import evaluate_records, pair_records

    gold = fmts[0].read(paths[0], options)
    # predicted spans off the token boundaries must reach the scorer (they count as false positives)
    pred_options = dataclasses.replace(options, keep_misaligned=True)
    out: list[Any] = []
    docs: np.ndarray | None = None
    for path, fmt in zip(paths[1:], fmts[1:]):
        check_cancel(cancel, "Scoring")
        g, p = pair_records(gold, fmt.read(path, pred_options), gold_name=str(paths[0]), pred_name=str(path))
        use = scheme
        if mode == "strict" and use is None and g and g[0].tags is not None and g[0].meta.get("scheme"):
            # the reader's detection knows IOB1 (CoNLL-2003), which seqeval's auto-detection takes for IOB2
            use = g[0].meta["scheme"]
        try:
            out.append(evaluate_records(g, p, mode=mode, scheme=use, lang=options.lang, gold_name=str(paths[0]),
                                        pred_name=str(path)))
        except InputFormatError as err:
            if str(paths[0]) in str(err) or str(path) in str(err):
                raise
            raise InputFormatError(f"{paths[0]} vs {path}: {err.message}", hint=err.hint) from None
        if any(r.meta.get("doc") is not None for r in g):  # documents by any name: numbered as they come
            ids: dict[str, int] = {}
            docs = np.array([-1 if r.meta.get("doc") is None else ids.setdefault(str(r.meta["doc"]), len(ids))
                             for r in g], dtype=np.int64)
    return out, docs


def _conll_counts(paths: list[Path], *, mode: str, scheme: str | None, options: ReadOptions,
                  progress: Progress | None, cancel: Any) -> tuple[list[Any], np.ndarray | None]:
    """Counts of CoNLL files read side by side in blocks (raises ``NotStreamable`` for the records path)."""
    from evaluator.formats.conll_stream import ConllTags, NotStreamable
    from evaluator.metrics import ner_counts_ids

    vocab = {"O": 0}
    files = [ConllTags(p, vocab=vocab, encoding=options.encoding, tag_column=options.tag_column) for p in paths]
    total = sum(p.stat().st_size for p in paths)
    checks = [_SameWords() for _ in paths[1:]]
    readers = [f.blocks() for f in files]
    live = list(range(len(files)))
    while live:
        check_cancel(cancel, "Scoring")
        for k in list(live):
            try:
                lengths, data = next(readers[k])
            except StopIteration:
                live.remove(k)
                continue
            for j, check in enumerate(checks):
                if k == 0:
                    check.feed(0, lengths, data)
                elif k == j + 1:
                    check.feed(1, lengths, data)
        for check in checks:
            check.compare()
        report_progress(progress, sum(f.bytes_read for f in files), total, "reading the files")
    gold = files[0]
    if not len(gold.lengths) or any(not len(f.lengths) for f in files[1:]):
        raise NotStreamable("an empty file")
    for f, check in zip(files[1:], checks):
        _raise_mismatch(gold, f, check.mismatch)
    use = scheme
    if mode == "strict" and use is None:
        use = gold.scheme()  # the reader's detection knows IOB1 (CoNLL-2003), seqeval's calls it IOB2
    tags = list(vocab)
    out = []
    for f in files[1:]:
        # only the tags these two files use: strict mode checks every tag of the vocabulary
        seen = np.bincount(gold.ids, minlength=len(tags)) + np.bincount(f.ids, minlength=len(tags))
        seen[0] = 1  # "O" stays id 0
        used = np.flatnonzero(seen)
        remap = np.zeros(len(tags), dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        out.append(ner_counts_ids([tags[i] for i in used.tolist()], remap[gold.ids], remap[f.ids], gold.lengths,
                                  mode=mode, scheme=use))
    return out, (gold.docs if gold.has_docs else None)


class _SameWords:
    """Compares the words of two files as their blocks arrive; keeps the first token where they differ."""

    def __init__(self) -> None:
        self.pending: list[list[tuple[np.ndarray, np.ndarray]]] = [[], []]
        self.offset = 0
        self.mismatch: int | None = None

    def feed(self, side: int, lengths: np.ndarray, data: np.ndarray) -> None:
        self.pending[side].append((lengths, data))

    def compare(self) -> None:
        (gl, gd), (pl, pd) = (_joined(side) for side in self.pending)
        n = min(len(gl), len(pl))
        if n and self.mismatch is None:
            a, b = gl[:n], pl[:n]
            differ = np.flatnonzero(a != b)
            k = int(differ[0]) if len(differ) else n
            ends = np.cumsum(a[:k])
            nbytes = int(ends[-1]) if k else 0
            bad = np.flatnonzero(gd[:nbytes] != pd[:nbytes])
            if len(bad):
                k = min(k, int(np.searchsorted(ends, bad[0], side="right")))
            if k < n:
                self.mismatch = self.offset + k
        self.pending = [[(gl[n:], gd[int(gl[:n].sum()):])], [(pl[n:], pd[int(pl[:n].sum()):])]]
        self.offset += n


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _raise_mismatch(gold: Any, pred: Any, word_mismatch: int | None) -> None:
    """The error the records path gives for the first sentence that differs between the two files, if any."""
    from evaluator.metrics.evaluate import check_same_tokens, sentence_count_error
    from evaluator.records import Record, text_from_tokens

    if len(gold.lengths) != len(pred.lengths):
        raise sentence_count_error(str(gold.path), len(gold.lengths), str(pred.path), len(pred.lengths))
    firsts = []
    differ = np.flatnonzero(gold.lengths != pred.lengths)
    if len(differ):
        firsts.append(int(differ[0]))
    if word_mismatch is not None:
        firsts.append(int(np.searchsorted(np.cumsum(gold.lengths), word_mismatch, side="right")))
    if not firsts:
        return
    d = min(firsts)
    recs = []
    for f in (gold, pred):
        words = f.sentence_words(d)
        text, tokens = text_from_tokens(words)
        recs.append(Record(text, tokens=tokens, line=int(f.first_lines[d]), tags=["O"] * int(f.lengths[d])))
    check_same_tokens(recs[0], recs[1], d + 1, str(gold.path), str(pred.path))
