"""Scoring commands on plain files (no workspace needed): ``score`` and ``compare``."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import click

from evaluator.cli import emit, json_option, main, progress_bar, unit_option
from evaluator.formats.base import ReadOptions, parse_label_map

_SCHEMES = ["IOB2", "IOBES", "BILOU", "IOB1", "IOE1", "IOE2"]


def scoring_options(func):
    """Options shared by ``score`` and ``compare``."""
    for opt in reversed([
        click.option("--format", "fmt", default=None,
                     help="Format of the files (see `evaluator formats`); detected from each file when omitted."),
        click.option("--mode", type=click.Choice(["default", "strict"]), default="default", show_default=True,
                     help="NER: default = conlleval-compatible (seqeval's default); strict = the --scheme rules."),
        click.option("--scheme", type=click.Choice(_SCHEMES, case_sensitive=False), default=None,
                     help="NER strict mode: tagging scheme (default: the scheme detected in the gold file)."),
        click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the files."),
        click.option("--text-column", default="text", show_default=True, help="CSV/JSONL text column."),
        click.option("--label-column", default="label", show_default=True, help="CSV/JSONL label column."),
        click.option("--no-header", is_flag=True, help="CSV has no header row; columns are positions."),
        click.option("--label-map", default="", help="Rename raw labels, e.g. 1=World,2=Sports."),
        click.option("--lang", default="en", show_default=True,
                     help="Language of spaCy's tokenizer for files without tokens."),
    ]):
        func = opt(func)
    return func


def _options(encoding: str, text_column: str, label_column: str, no_header: bool, label_map: str,
             lang: str) -> ReadOptions:
    mapping = parse_label_map(label_map)
    return ReadOptions(encoding=encoding, text_column=text_column, label_column=label_column,
                       has_header=not no_header, label_map=mapping, lang=lang)


def _f(x: Any, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _signed(x: Any, digits: int = 4) -> str:
    return "-" if x is None else f"{x:+.{digits}f}"


def _print_report(rep: dict[str, Any], gold: str, pred: str) -> None:
    if rep["task"] == "ner":
        head = (f"{gold} vs {pred}: NER, mode {rep['mode']}" + (f", scheme {rep['scheme']}" if rep["scheme"] else "")
                + f"; {rep['documents']} documents, {rep['tokens']} tokens, token accuracy "
                  f"{_f(rep['token_accuracy'])}")
    else:
        head = f"{gold} vs {pred}: text classification; {rep['documents']} documents, accuracy {_f(rep['accuracy'])}"
    click.echo(head)
    rows = [(lab, v) for lab, v in rep["per_label"].items()]
    width = max([len("weighted avg")] + [len(lab) for lab, _ in rows])
    cols = f"{'':<{width}}  {'precision':>9}  {'recall':>9}  {'f1':>9}  {'support':>8}  {'tp':>7}  {'fp':>7}  {'fn':>7}"
    click.echo("")
    click.echo(cols)
    for name, v in rows + [("", None), ("micro avg", rep["micro"]), ("macro avg", rep["macro"]),
                           ("weighted avg", rep["weighted"])]:
        if v is None:
            click.echo("")
            continue
        click.echo(f"{name:>{width}}  {_f(v['precision']):>9}  {_f(v['recall']):>9}  {_f(v['f1']):>9}  "
                   f"{v['support']:>8}  {v['tp']:>7}  {v['fp']:>7}  {v['fn']:>7}")
    if rep["task"] == "ner":
        click.echo("")
        click.echo(f"misaligned predicted spans (counted as false positives): {rep['misaligned']}")
    else:
        labels = rep["confusion"]["labels"]
        w = max([len(x) for x in labels] + [6])
        click.echo("")
        click.echo("confusion matrix (rows gold, columns predicted):")
        click.echo(" " * (w + 2) + "  ".join(f"{x:>{w}}" for x in labels))
        for lab, row in zip(labels, rep["confusion"]["matrix"]):
            click.echo(f"{lab:>{w}}  " + "  ".join(f"{n:>{w}}" for n in row))
    if "partial" in rep:
        click.echo("")
        click.echo("partial-match view (nervaluate schemas):")
        click.echo(f"{'schema':>8}  {'correct':>7}  {'incorr.':>7}  {'partial':>7}  {'missed':>7}  {'spurious':>8}  "
                   f"{'precision':>9}  {'recall':>9}  {'f1':>9}")
        for sc, v in rep["partial"]["overall"].items():
            click.echo(f"{sc:>8}  {v['correct']:>7}  {v['incorrect']:>7}  {v['partial']:>7}  {v['missed']:>7}  "
                       f"{v['spurious']:>8}  {_f(v['precision']):>9}  {_f(v['recall']):>9}  {_f(v['f1']):>9}")
    if "  -  " in "".join(f" {_f(v.get(k))} " for v in rep["per_label"].values() for k in ("precision", "recall")):
        click.echo("(- = undefined: no predicted or no gold entities of that label)")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True), metavar="GOLD PRED")
@click.option("--conlleval", "conlleval_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Score one conlleval input file (columns ... GOLD PRED) and print conlleval.pl's report.")
@scoring_options
@click.option("--partial", is_flag=True, help="NER: add nervaluate's strict/exact/partial/type view.")
@json_option
def score(files, conlleval_file, fmt, mode, scheme, encoding, text_column, label_column, no_header, label_map,
          lang, partial, as_json):
    """Score predictions GOLD PRED against gold (seqeval-exact NER, or text classification).

    GOLD and PRED hold the same documents: CoNLL files the same sentences in the same order, JSONL/CSV files
    the same texts (matched by text). A mismatch is an error naming the file and sentence.

    \b
    Examples:
      evaluator score gold.conll pred.conll
      evaluator score gold.conll pred.conll --mode strict --scheme IOB2 --json
      evaluator score gold.jsonl predictions.jsonl
      evaluator score --conlleval output.txt        # same text as conlleval.pl < output.txt
    """
    from evaluator.scoring.files import conlleval_file as conlleval_figures, score_files

    if conlleval_file:
        if files:
            raise click.UsageError("--conlleval FILE takes no other file arguments.")
        if as_json:
            emit(conlleval_figures(conlleval_file), True)
        else:
            from evaluator.metrics.conlleval import format_conlleval, read_conlleval_file

            click.echo(format_conlleval(read_conlleval_file(conlleval_file)), nl=False)
        return
    if len(files) != 2:
        raise click.UsageError("give GOLD and PRED files (or --conlleval FILE).")
    gold_path, pred_path = files
    with progress_bar("score", quiet=as_json) as progress:
        rep = score_files(gold_path, pred_path, format=fmt, mode=mode, scheme=scheme, partial=partial,
                          options=_options(encoding, text_column, label_column, no_header, label_map, lang),
                          progress=progress)
    emit(rep, as_json, lambda r: _print_report(r, gold_path, pred_path))


def _print_compare(res: dict[str, Any], files: Sequence[str]) -> None:
    gold, a, b = files
    click.echo(f"gold {gold} ({res['documents']} sentences or records); A = {a}; B = {b}")
    click.echo(f"paired bootstrap and approximate randomization over {res['units']} {res['unit']}s, "
               f"{res['resamples']} resamples, seed {res['seed']}; delta = B - A")
    names = {"micro_f1": "micro F1", "macro_f1": "macro F1", "accuracy": "accuracy"}
    click.echo("")
    click.echo(f"{'':<10}  {'A':>7}  {'B':>7}  {'delta':>8}  {'95% interval':>20}  {'p boot':>7}  {'p rand':>7}")
    for key, m in res["metrics"].items():
        ci = m["ci95"]
        ci_s = "-" if ci[0] is None else f"[{ci[0]:+.4f}, {ci[1]:+.4f}]"
        mark = " *" if key == res["metric"] else ""
        click.echo(f"{names[key]:<10}  {_f(m['a']):>7}  {_f(m['b']):>7}  {_signed(m['delta']):>8}  {ci_s:>20}  "
                   f"{_f(m['p_bootstrap']):>7}  {_f(m['p_randomization']):>7}{mark}")
    if "p_mcnemar" in res:
        click.echo(f"McNemar exact test on accuracy: p = {_f(res['p_mcnemar'])} "
                   f"({res['mcnemar']['a_only']} documents right only for A, {res['mcnemar']['b_only']} only for B)")
    click.echo("")
    click.echo("per label F1:")
    width = max([len(x) for x in res["per_label"]] + [5])
    for lab, v in res["per_label"].items():
        ci = v["ci95"]
        ci_s = "-" if ci[0] is None else f"[{ci[0]:+.4f}, {ci[1]:+.4f}]"
        click.echo(f"  {lab:<{width}}  {_f(v['a']):>7}  {_f(v['b']):>7}  {_signed(v['delta']):>8}  {ci_s:>20}")
    click.echo("")
    from evaluator.report.verdict import describe
    for sentence in describe(res):
        click.echo(sentence)


@main.command()
@click.argument("gold", type=click.Path(exists=True))
@click.argument("pred_a", type=click.Path(exists=True))
@click.argument("pred_b", type=click.Path(exists=True))
@scoring_options
@click.option("--resamples", type=click.IntRange(min=1), default=None,
              help="Bootstrap resamples and randomization permutations [default: 10000].")
@click.option("--seed", type=int, default=None, help="Random seed [default: 12345].")
@click.option("--metric", type=click.Choice(["micro_f1", "macro_f1", "accuracy"]), default=None,
              help="Headline metric (default: micro_f1 for NER, macro_f1 for text classification).")
@unit_option
@json_option
def compare(gold, pred_a, pred_b, fmt, mode, scheme, encoding, text_column, label_column, no_header, label_map,
            lang, resamples, seed, metric, unit, as_json):
    """Is PRED_B really better than PRED_A on GOLD? Paired bootstrap + randomization test (delta = B - A).

    \b
    Examples:
      evaluator compare gold.conll round1.conll round2.conll
      evaluator compare gold.conll round1.conll round2.conll --unit sentence
      evaluator compare gold.jsonl a.jsonl b.jsonl --resamples 20000 --seed 7 --json
    """
    from evaluator.scoring.files import compare_files

    with progress_bar("compare", quiet=as_json) as progress:
        res = compare_files(gold, pred_a, pred_b, format=fmt, mode=mode, scheme=scheme, unit=unit,
                            options=_options(encoding, text_column, label_column, no_header, label_map, lang),
                            resamples=resamples, seed=seed, metric=metric, progress=progress)
    emit(res, as_json, lambda r: _print_compare(r, (gold, pred_a, pred_b)))
