"""Workspace comparisons: the CLI twin of the Evaluate page (compare-models, diff)."""
from __future__ import annotations

import click

from evaluator.cli import emit, json_option, main, workspace_options


def _gold_option(func):
    func = click.option("--version", type=int, default=None, help="Gold-set version (default: latest).")(func)
    return click.option("--gold", required=True, help="Gold set name, e.g. test.")(func)


@main.command("compare-models")
@click.argument("models", nargs=-1, required=True)
@_gold_option
@click.option("--mode", type=click.Choice(["default", "strict"]), default="default", show_default=True,
              help="seqeval mode (recorded; spans are explicit in a workspace).")
@click.option("--resamples", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Bootstrap resamples and randomization permutations.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Random seed.")
@workspace_options
@json_option
def compare_models_cmd(ws, models, gold, version, mode, resamples, seed, as_json):
    """Is model B really better than model A on a gold set? With more than two models, each is compared with
    the one before it (round k vs k-1) and the p-values are Holm-corrected.

    \b
    Examples:
      evaluator compare-models round-1-spacy-ner round-3-spacy-ner --gold test
      evaluator compare-models round-1-crf-ner round-2-crf-ner round-3-crf-ner --gold test --json
    """
    from evaluator.errors import ConfigError
    from evaluator.evaluation import compare_models, compare_to_previous
    if len(models) < 2:
        raise ConfigError("Name at least two models.", hint="see `evaluator models` for their names")
    if len(models) == 2:
        res = compare_models(ws, gold, models[0], models[1], version=version, mode=mode, resamples=resamples,
                             seed=seed)

        def human(r):
            key = {"micro_f1": "f1", "macro_f1": "macro_f1", "accuracy": "accuracy"}.get(r["metric"], "f1")
            lo, hi = r["ci95"]
            click.echo(f"gold:{r['gold']} v{r['gold_version']}  A = {r['model_a']}  B = {r['model_b']}  "
                       f"({r['resamples']:,} resamples, seed {r['seed']})")
            fmt = lambda x: "-" if x is None else f"{x:.4f}"
            click.echo(f"{r['metric']}: A {fmt(r['a'].get(key))}  B {fmt(r['b'].get(key))}  delta {r['delta']:+.4f}  "
                       f"95% CI [{lo:+.4f}, {hi:+.4f}]" if lo is not None else f"{r['metric']}: undefined")
            for sentence in r["sentences"]:
                click.echo(sentence)
        emit(res, as_json, human)
        return
    rows = compare_to_previous(ws, gold, list(models), version=version, mode=mode, resamples=resamples, seed=seed)

    def human_rows(rs):
        for r in rs:
            click.echo(("* " if r["significant"] else "  ") + r["sentence"])
    emit(rows, as_json, human_rows)


@main.command()
@click.argument("model_a")
@click.argument("model_b")
@_gold_option
@click.option("--label", default=None, help="Only differences involving this label.")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["gained", "lost", "changed", "new_error", "fixed_error"]),
              help="Only these kinds of difference (repeatable).")
@click.option("--limit", type=int, default=50, show_default=True, help="Examples to print (all with --json).")
@workspace_options
@json_option
def diff(ws, model_a, model_b, gold, version, label, kinds, limit, as_json):
    """Example-level diff between two models on a gold set: entities gained, lost and changed.

    \b
    Examples:
      evaluator diff round-1-spacy-ner round-3-spacy-ner --gold test --label DRUG
      evaluator diff round-1-crf-ner round-3-crf-ner --gold test --kind lost --json
    """
    from evaluator.evaluation import example_diff
    rows = example_diff(ws, gold, model_a, model_b, label=label, version=version)
    if kinds:
        rows = [r for r in rows if _kinds_of(r) & set(kinds)]

    def human(rs):
        only = []
        if kinds:
            only.append("kind " + ", ".join(kinds))
        if label:
            only.append(f"label {label}")
        click.echo(f"{len(rs)} gold example(s) differ between {model_a} (A) and {model_b} (B)"
                   + (f" ({'; '.join(only)})" if only else ""))
        for r in rs[:limit]:
            click.echo(f"- {r['text'][:100]!r}")
            for kind in ("gained", "lost", "changed", "new_error", "fixed_error"):
                if kinds and kind not in kinds:
                    continue
                items = r.get(kind)
                if items:
                    click.echo(f"    {kind:<11} {_show(items)}")
            if "kind" in r and isinstance(r["kind"], str):
                click.echo(f"    {r['kind']}: gold {r.get('gold')}, A {r.get('a')}, B {r.get('b')}")
        if len(rs) > limit:
            click.echo(f"... and {len(rs) - limit} more (raise --limit, or use --json for all)")
    emit(rows, as_json, human)


def _kinds_of(row: dict) -> set[str]:
    if isinstance(row.get("kind"), str):
        return {row["kind"]}
    return {k for k in ("gained", "lost", "changed", "new_error", "fixed_error") if row.get(k)}


def _show(items) -> str:
    out = []
    for it in items:
        if isinstance(it, dict) and "text" in it:
            out.append(f"{it['text']!r}/{it.get('label')}")
        elif isinstance(it, dict) and "a" in it and "b" in it:
            out.append(f"{_show([it['a']])} -> {_show([it['b']])}")
        else:
            out.append(str(it))
    return ", ".join(out)
