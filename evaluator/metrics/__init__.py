"""Pure scoring: entities extracted once per document, per-document count arrays, every figure from them.

Entry points (plain data in, dataclass / dict out):

* :func:`evaluate_records` — gold and predicted :class:`~evaluator.records.Record` lists (paired by position)
  to :class:`NerCounts` or :class:`TextcatCounts`; ``.report()`` gives the figures.
* :func:`pair_records` — pair two record lists by position (CoNLL) or by text (JSONL, CSV).
* :func:`ner_counts` / :func:`ner_report` — token tags, seqeval-exact (default and strict modes);
  :func:`ner_counts_ids` the same on tag ids (the file readers' direct path).
* :func:`ner_counts_from_spans` — character spans mapped onto the gold tokens; misaligned spans are FPs.
* :func:`textcat_counts` / :func:`textcat_report` — accuracy, per-class and averaged P/R/F1, confusion matrix.
* :func:`partial_match_report` — nervaluate's strict / exact / partial / type schemas.
* :func:`conlleval` / :func:`format_conlleval` — a port of ``conlleval.pl`` with byte-identical output;
  :func:`conlleval_report` its figures as data (``None`` where undefined).
* :func:`example_diff` — one flat row per entity (or label) gained, lost, changed, newly or no longer wrong
  between two systems.
"""
from evaluator.metrics.aggregate import micro_macro_f1, prf, summarize
from evaluator.metrics.conlleval import (ConllevalResult, conlleval, conlleval_report, format_conlleval,
                                        read_conlleval_file)
from evaluator.metrics.diff import example_diff
from evaluator.metrics.evaluate import detect_task, evaluate_records, pair_records, report
from evaluator.metrics.ner import MODES, SCHEMES, NerCounts, entities_of, ner_counts, ner_counts_ids, ner_report
from evaluator.metrics.partial import partial_match_report
from evaluator.metrics.spans import ner_counts_from_spans
from evaluator.metrics.textcat import TextcatCounts, confusion_matrix, textcat_counts, textcat_report

__all__ = [
    "MODES", "SCHEMES", "ConllevalResult", "NerCounts", "TextcatCounts", "confusion_matrix", "conlleval",
    "conlleval_report", "detect_task", "entities_of", "evaluate_records", "example_diff", "format_conlleval",
    "micro_macro_f1", "ner_counts", "ner_counts_from_spans", "ner_counts_ids", "ner_report", "pair_records",
    "partial_match_report", "prf", "read_conlleval_file", "report", "summarize", "textcat_counts", "textcat_report",
]
