"""Workspace comparisons: the CLI twin of the Evaluate page (compare-models, diff)."""
from __future__ import annotations

import click

from evaluator.cli import emit, gold_option, json_option, main, progress_bar, unit_option, workspace_options


@main.command("compare-models")
@click.argument("models", nargs=-1, required=True)
@gold_option()
@click.option("--mode", type=click.Choice(["default", "strict"]), default="default", show_default=True,
              help="seqeval mode (recorded; spans are explicit in a workspace).")
@click.option("--resamples", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Bootstrap resamples and randomization permutations.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Random seed.")
@unit_option
@workspace_options
@json_option
def compare_models_cmd(ws, models, gold, mode, resamples, seed, unit, as_json):
    """Is model B really better than model A on a gold set? With more than two models, each is compared with
    the one before it (round k vs k-1) and the p-values are Holm-corrected.

    \b
    Examples:
      evaluator compare-models round-1-spacy-ner round-3-spacy-ner --gold test
      evaluator compare-models round-1-spacy-ner round-3-spacy-ner --gold test@1 --unit sentence
      evaluator compare-models round-1-crf-ner round-2-crf-ner round-3-crf-ner --gold test --json
    """
    from evaluator.errors import ConfigError
    from evaluator.scoring.compare import compare_models, compare_to_previous
    gold, version = gold
    if len(models) < 2:
        raise ConfigError("Name at least two models.", hint="see `evaluator models` for their names")
    if len(models) == 2:
        res = compare_models(ws, gold, models[0], models[1], version=version, mode=mode, resamples=resamples,
                             seed=seed, unit=unit)

        def human(r):
            key = {"micro_f1": "f1", "macro_f1": "macro_f1", "accuracy": "accuracy"}.get(r["metric"], "f1")
            lo, hi = r["ci95"]
            click.echo(f"gold:{r['gold']} v{r['gold_version']}  A = {r['model_a']}  B = {r['model_b']}  "
                       f"({r['resamples']:,} resamples of {r.get('unit', 'sentence')}s, seed {r['seed']})")
            fmt = lambda x: "-" if x is None else f"{x:.4f}"
            click.echo(f"{r['metric']}: A {fmt(r['a'].get(key))}  B {fmt(r['b'].get(key))}  delta {r['delta']:+.4f}  "
                       f"95% CI [{lo:+.4f}, {hi:+.4f}]" if lo is not None else f"{r['metric']}: undefined")
            for sentence in r["sentences"]:
                click.echo(sentence)
        emit(res, as_json, human)
        return
    rows = compare_to_previous(ws, gold, list(models), version=version, mode=mode, resamples=resamples, seed=seed,
                               unit=unit)

    def human_rows(rs):
        for r in rs:
            click.echo(("* " if r["significant"] else "  ") + r["sentence"])
    emit(rows, as_json, human_rows)


@main.command()
@click.argument("model_a")
@click.argument("model_b")
@gold_option()
@click.option("--label", default=None, help="Only differences involving this label.")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["gained", "lost", "changed", "new_error", "fixed_error"]),
              help="Only these kinds of difference (repeatable).")
@click.option("--limit", type=int, default=50, show_default=True, help="Examples to print (all with --json).")
@workspace_options
@json_option
def diff(ws, model_a, model_b, gold, label, kinds, limit, as_json):
    """Example-level diff between two models on a gold set: entities gained, lost and changed.

    \b
    Examples:
      evaluator diff round-1-spacy-ner round-3-spacy-ner --gold test --label DRUG
      evaluator diff round-1-crf-ner round-3-crf-ner --gold test --kind lost --json
    """
    from evaluator.metrics.diff import show as _show
    from evaluator.scoring.compare import example_diff
    gold, version = gold
    rows = example_diff(ws, gold, model_a, model_b, label=label, version=version)
    if kinds:
        rows = [r for r in rows if r["kind"] in kinds]

    def human(rs):
        only = []
        if kinds:
            only.append("kind " + ", ".join(kinds))
        if label:
            only.append(f"label {label}")
        docs = list(dict.fromkeys(r["document"] for r in rs))
        click.echo(f"{len(rs)} change(s) in {len(docs)} gold example(s) between {model_a} (A) and {model_b} (B)"
                   + (f" ({'; '.join(only)})" if only else ""))
        for doc in docs[:limit]:
            mine = [r for r in rs if r["document"] == doc]
            click.echo(f"- #{doc + 1} {mine[0]['text'][:100]!r}")
            for r in mine:
                click.echo(f"    {r['kind']:<11} A {_show(r['a'])}  ->  B {_show(r['b'])}"
                           + (f"  (gold {_show(r['gold'])})" if r["kind"] not in ("gained", "lost") else "")
                           + (f"  [{r['change']}]" if r.get("change") else ""))
        if len(docs) > limit:
            click.echo(f"... and {len(docs) - limit} more example(s) (raise --limit, or use --json for every row)")
    emit(rows, as_json, human)


@main.command("compare-rounds")
@gold_option()
@click.option("--trainer", default=None, help="Trainer whose candidates are compared (default by task).")
@click.option("--rounds", "rounds_", default=None, metavar="1,2,3",
              help="Rounds to compare in order, k against k-1 (default: every round with runs).")
@click.option("--config", "config", default=None,
              help="The trainer config overrides the runs were trained with (JSON), if any.")
@click.option("--only-round", is_flag=True, help="Compare candidates trained on one round each (--only-round).")
@click.option("--mode", type=click.Choice(["default", "strict"]), default="default", show_default=True,
              help="seqeval mode (recorded; spans are explicit in a workspace).")
@click.option("--resamples", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Two-level bootstrap resamples (runs and gold documents).")
@click.option("--seed", type=int, default=12345, show_default=True, help="Random seed.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True,
              help="Significance level of the verdicts (Holm-corrected across the steps).")
@unit_option
@workspace_options
@json_option
def compare_rounds_cmd(ws, gold, trainer, rounds_, config, only_round, mode, resamples, seed, alpha, unit, as_json):
    """Did each round make the model better, beyond the luck of the seed? Compares each round's candidate with the
    previous round's over all their runs (train them with `evaluator train --round N --seeds 3`).

    \b
    Examples:
      evaluator compare-rounds --gold test --trainer spacy-ner
      evaluator compare-rounds --gold test@2 --trainer spacy-ner --rounds 1,3 --json
    """
    from evaluator.cli.training import _config, _ints
    from evaluator.scoring.iterations import compare_rounds

    name, version = gold
    with progress_bar("compare-rounds", quiet=as_json) as progress:
        res = compare_rounds(ws, name, trainer=trainer, rounds=_ints(rounds_) if rounds_ else None,
                             config=_config(config), cumulative=not only_round, version=version, mode=mode,
                             resamples=resamples, seed=seed, unit=unit, alpha=alpha, progress=progress)

    def human(r):
        click.echo(f"{r['trainer']} on gold:{r['gold']} v{r['gold_version']}: "
                   + ", ".join(f"round {k} ({len(v)} run{'s' if len(v) != 1 else ''})"
                               for k, v in r["candidates"].items()))
        for s in r["steps"]:
            click.echo(f"\nround {s['round_b']} vs round {s['round_a']}: {s['verdict'].upper()}")
            for sentence in s["sentences"]:
                click.echo(f"  {sentence}")

    emit(res, as_json, human)
