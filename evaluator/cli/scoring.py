"""Scoring commands on plain files (no workspace needed): ``score`` and ``compare``."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import click

from evaluator.cli import emit, json_option, main
from evaluator.errors import ConfigError, InputFormatError
from evaluator.formats import ReadOptions, detect_format, get_format
from evaluator.records import Record

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
    from evaluator.formats import parse_label_map

    mapping = parse_label_map(label_map)
    return ReadOptions(encoding=encoding, text_column=text_column, label_column=label_column,
                       has_header=not no_header, label_map=mapping, lang=lang)


def _prediction_options(options: ReadOptions) -> ReadOptions:
    """Predicted spans off the token boundaries must reach the scorer (they count as false positives)."""
    import dataclasses

    if "keep_misaligned" in {f.name for f in dataclasses.fields(ReadOptions)}:
        return dataclasses.replace(options, keep_misaligned=True)
    return options


def _read(path: str, fmt: str | None, options: ReadOptions) -> list[Record]:
    f = get_format(fmt) if fmt else detect_format(Path(path))
    return f.read(Path(path), options)


def _check_mode(mode: str, scheme: str | None) -> None:
    if scheme and mode != "strict":
        raise ConfigError(f"--scheme {scheme} only applies to strict mode.",
                          hint="add --mode strict, or leave out --scheme for the default (conlleval) mode")


def _score_files(gold_path: str, pred_path: str, *, fmt: str | None, mode: str, scheme: str | None,
                 options: ReadOptions) -> Any:
    from evaluator.metrics import evaluate_records, pair_records

    gold = _read(gold_path, fmt, options)
    pred = _read(pred_path, fmt, _prediction_options(options))
    g, p = pair_records(gold, pred, gold_name=gold_path, pred_name=pred_path)
    if mode == "strict" and scheme is None and g and g[0].tags is not None and g[0].meta.get("scheme"):
        # the reader's detection knows IOB1 (CoNLL-2003), which seqeval's auto-detection takes for IOB2
        scheme = g[0].meta["scheme"]
    try:
        return evaluate_records(g, p, mode=mode, scheme=scheme, lang=options.lang,
                                gold_name=gold_path, pred_name=pred_path)
    except InputFormatError as err:
        if gold_path in str(err) or pred_path in str(err):
            raise
        raise InputFormatError(f"{gold_path} vs {pred_path}: {err.message}", hint=err.hint) from None


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
    if conlleval_file:
        if files:
            raise click.UsageError("--conlleval FILE takes no other file arguments.")
        from evaluator.metrics.conlleval import format_conlleval, read_conlleval_file

        res = read_conlleval_file(conlleval_file)
        if as_json:
            emit(_conlleval_json(res), True)
        else:
            click.echo(format_conlleval(res), nl=False)
        return
    if len(files) != 2:
        raise click.UsageError("give GOLD and PRED files (or --conlleval FILE).")
    _check_mode(mode, scheme)
    gold_path, pred_path = files
    counts = _score_files(gold_path, pred_path, fmt=fmt, mode=mode, scheme=scheme,
                          options=_options(encoding, text_column, label_column, no_header, label_map, lang))
    rep = counts.report()
    if partial and rep["task"] == "ner":
        from evaluator.metrics.partial import partial_match_report

        rep["partial"] = partial_match_report(counts)
    emit(rep, as_json, lambda r: _print_report(r, gold_path, pred_path))


def _conlleval_json(res: Any) -> dict[str, Any]:
    def prf(correct: int, found: int, guessed: int) -> dict[str, Any]:
        p = 100 * correct / guessed if guessed else 0.0
        r = 100 * correct / found if found else 0.0
        f = 2 * p * r / (p + r) if p + r > 0 else 0.0
        return {"precision": p, "recall": r, "fb1": f, "phrases": found, "found": guessed, "correct": correct}

    return {
        "tokens": res.tokens,
        "accuracy": 100 * res.correct_tags / res.tokens if res.tokens else None,
        **prf(res.correct_chunk, res.found_correct, res.found_guessed),
        "per_type": {t: prf(res.correct_chunk_by_type.get(t, 0), res.found_correct_by_type.get(t, 0),
                            res.found_guessed_by_type.get(t, 0)) for t in dict.fromkeys(res.types)},
    }


def _print_compare(res: dict[str, Any], files: Sequence[str]) -> None:
    gold, a, b = files
    click.echo(f"gold {gold} ({res['documents']} documents); A = {a}; B = {b}")
    click.echo(f"paired bootstrap and approximate randomization, {res['resamples']} resamples, seed {res['seed']}; "
               f"delta = B - A")
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
@json_option
def compare(gold, pred_a, pred_b, fmt, mode, scheme, encoding, text_column, label_column, no_header, label_map,
            lang, resamples, seed, metric, as_json):
    """Is PRED_B really better than PRED_A on GOLD? Paired bootstrap + randomization test (delta = B - A).

    \b
    Examples:
      evaluator compare gold.conll round1.conll round2.conll
      evaluator compare gold.jsonl a.jsonl b.jsonl --resamples 20000 --seed 7 --json
    """
    from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, compare_counts

    _check_mode(mode, scheme)
    options = _options(encoding, text_column, label_column, no_header, label_map, lang)
    counts_a = _score_files(gold, pred_a, fmt=fmt, mode=mode, scheme=scheme, options=options)
    counts_b = _score_files(gold, pred_b, fmt=fmt, mode=mode, scheme=scheme, options=options)
    if metric == "accuracy" and counts_a.task != "textcat":
        raise ConfigError("--metric accuracy applies to text classification.", hint="use micro_f1 or macro_f1")
    res = compare_counts(counts_a, counts_b, resamples=resamples or DEFAULT_RESAMPLES,
                         seed=DEFAULT_SEED if seed is None else seed, metric=metric)
    emit(res, as_json, lambda r: _print_compare(r, (gold, pred_a, pred_b)))
