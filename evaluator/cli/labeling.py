"""Labeling commands: next (a batch to label elsewhere), auto-accept, round-progress, agreement.

Thin wrappers over :mod:`evaluator.labeling` (the Label page calls the same functions). Answers labeled
elsewhere come back through ``evaluator import FILE --into round:N``, which also takes their texts out of the pool.
"""
from __future__ import annotations

import click

from evaluator.cli import emit, json_option, main, progress_bar, workspace_options
from evaluator.errors import ConfigError


def _target(round_: int | None, gold: str | None) -> str:
    if (round_ is None) == (gold is None):
        raise ConfigError("Say where the labels go: --round N or --gold NAME (one of them).",
                          hint="e.g. --round 4, or --gold test for a gold set (drawn at random)")
    return f"round:{round_}" if round_ is not None else f"gold:{gold}"


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3f}"


where_options = [
    click.option("--round", "round_", type=int, default=None, help="Label into round N (a training round)."),
    click.option("--gold", default=None, help="Label into gold set NAME (its latest, open version; random order)."),
]


def _where(func):
    for opt in reversed(where_options):
        func = opt(func)
    return func


@main.command("next")
@_where
@click.option("--strategy", type=click.Choice(["in-order", "random", "uncertainty"]), default="in-order",
              show_default=True, help="Order: as imported, seeded random, or least confident first (--model).")
@click.option("--method", type=click.Choice(["least-confident", "margin", "entropy"]), default="least-confident",
              show_default=True, help="Uncertainty measure for --strategy uncertainty.")
@click.option("--model", default=None, help="Model whose confidence ranks the items and whose predictions are "
                                            "the suggestions (rounds only).")
@click.option("--committee", default="", help="Rank by the disagreement of these models instead (comma-separated, "
                                              "two or more, e.g. seed runs of a spaCy NER model).")
@click.option("--n", "n", type=int, default=10, show_default=True, help="How many items.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random order.")
@click.option("--annotator", default=None, help="Leave out what this annotator answered (with --overlap).")
@click.option("--overlap", is_flag=True, help="Also offer examples of the target that others answered in the app "
                                              "(for inter-annotator agreement).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the batch as Prodigy JSONL tasks (tokens, suggested spans or category, "
                   "meta.example_id) to label in another tool.")
@workspace_options
@json_option
def next_(ws, round_, gold, strategy, method, model, committee, n, seed, annotator, overlap, out, as_json):
    """The next examples to label: in order, at random, or least confident first by a model.

    Gold sets are always drawn at random (with --seed) and never by a model. Label the batch anywhere and
    import the answers with `evaluator import FILE --into round:N`: their texts leave the pool.

    \b
    Examples:
      evaluator next --round 4 --strategy uncertainty --model round-3-crf-ner --n 20 --json
      evaluator next --round 4 --strategy uncertainty --committee round-3-spacy-ner,round-3-spacy-ner-s1
      evaluator next --gold test --strategy random --seed 7 --n 50 --out gold-batch.jsonl
      evaluator import answers.jsonl --into round:4          # the answers, e.g. from Prodigy's db-out
    """
    from evaluator.labeling import next_items

    target = _target(round_, gold)
    members = [m.strip() for m in committee.split(",") if m.strip()]
    with progress_bar("scoring the pool", quiet=as_json) as bar:
        items = next_items(ws, target=target, annotator=annotator, strategy=strategy, method=method, model=model,
                           committee=members, n=n, seed=seed, overlap=overlap,
                           suggest=bool(model or members) and target.startswith("round:"), progress=bar)
    data = {"target": target, "strategy": strategy, "method": method if strategy == "uncertainty" else None,
            "model": model, "committee": members, "seed": seed, "items": [it.to_json() for it in items]}
    if out:
        data["out"] = _write_batch(ws, items, out, suggested_by=(model or (members[0] if members else None)))

    def human(d):
        for it in d["items"]:
            click.echo(f"{it['example_id']:>7}  {_fmt(it['confidence']):>6}  {it['text'][:90]}")
        if not d["items"]:
            click.echo(f"nothing left to label into {d['target']}")
        if d.get("out"):
            click.echo(f"wrote {len(d['items'])} task(s) to {d['out']}", err=True)

    emit(data, as_json, human)


def _write_batch(ws, items, out: str, *, suggested_by: str | None) -> str:
    """The batch as Prodigy JSONL tasks. Suggestions carry ``meta.suggested_by``: importing the batch file itself
    (instead of the answers) then adds the texts unlabeled, never the model's guesses as answers."""
    from evaluator.formats import get_format
    from evaluator.records import Record, Token

    recs = []
    for it in items:
        meta = {"example_id": it.example_id, "confidence": it.confidence}
        if it.suggestion:
            meta["suggested_by"] = suggested_by
        recs.append(Record(it.text, tokens=[Token(s, e) for s, e in it.tokens],
                           spans=list(it.suggestion) if isinstance(it.suggestion, list) else [],
                           label=it.suggestion if isinstance(it.suggestion, str) else None, answer="unlabeled",
                           meta=meta))
    get_format("prodigy-jsonl").write(recs, out, task=ws.task, lang=ws.lang)
    return str(out)


@main.command("auto-accept")
@click.option("--round", "round_", type=int, required=True, help="The training round the answers go into.")
@click.option("--model", default=None, help="Model whose predictions are accepted (default: the round's setting).")
@click.option("--threshold", type=float, default=None,
              help="Accept predictions with confidence at or above this (0-1; default: the round's setting).")
@click.option("--method", type=click.Choice(["least-confident", "margin", "entropy"]), default="least-confident",
              show_default=True, help="Confidence measure compared with the threshold.")
@workspace_options
@json_option
def auto_accept_cmd(ws, round_, model, threshold, method, as_json):
    """Accept confident predictions into a training round without review (never into a gold set).

    They are stored as auto-accepted (annotator model:NAME, with their confidence), counted apart in
    round-progress, and can be left out of training (Label page, round settings).

    \b
    Example:
      evaluator auto-accept --round 4 --model round-3-crf-ner --threshold 0.95 --json
    """
    from evaluator.labeling import auto_accept

    with progress_bar("scoring the pool", quiet=as_json) as bar:
        res = auto_accept(ws, round=round_, model=model, threshold=threshold, method=method, progress=bar)
    emit(res, as_json, lambda d: click.echo(
        f"auto-accepted {d['accepted']} of {d['pool']} pool example(s) into round:{d['round']} "
        f"({d['model']}, {d['method']} >= {d['threshold']})"))


@main.command("round-progress")
@click.option("--round", "round_", type=int, required=True, help="The round.")
@workspace_options
@json_option
def round_progress_cmd(ws, round_, as_json):
    """Where a round stands: answers, auto-accepted, per label, per annotator and answers per hour.

    \b
    Example:
      evaluator round-progress --round 4 --json
    """
    from evaluator.labeling import round_progress

    def human(d):
        a = d["answers"]
        click.echo(f"round {d['round']}: {d['examples']} example(s): {a['accept']} accepted "
                   f"({d['auto_accepted']} automatically), {a['reject']} rejected, {a['ignore']} ignored, "
                   f"{d['unlabeled']} unlabeled; {d['pool_left']} left in the pool")
        for lab, k in d["per_label"].items():
            click.echo(f"  {lab:<20} {k:>6}" + (f"  (+{d['per_label_auto'][lab]} auto)"
                                               if d["per_label_auto"].get(lab) else ""))
        for p in d["per_annotator"]:
            rate = "-" if p["per_hour"] is None else f"{p['per_hour']:.0f}/h"
            click.echo(f"  {p['annotator']:<20} {p['answers']:>6} answers  {rate}")

    emit(round_progress(ws, round_), as_json, human)


@main.command("agreement")
@_where
@workspace_options
@json_option
def agreement_cmd(ws, round_, gold, as_json):
    """Inter-annotator agreement on examples answered by several people: Cohen's kappa (and Krippendorff's alpha)
    or span F1.

    Settle the disagreements it lists on the Label page (Agreement tab).

    \b
    Examples:
      evaluator agreement --round 4
      evaluator agreement --gold test --json
    """
    from evaluator.labeling import agreement

    res = agreement(ws, _target(round_, gold))
    for d in res["disagreements"]:
        d["answers"] = [{**x, "spans": [s.as_list() for s in x["spans"]]} for x in d["answers"]]
        d.pop("tokens", None)

    def human(d):
        what = "kappa" if d["task"] == "textcat" else "f1"
        click.echo(f"{d['target']}: {d['items']} example(s) answered by more than one person; "
                   f"{'Cohen kappa' if what == 'kappa' else 'span F1'} {_fmt(d[what])}; "
                   + (f"Krippendorff alpha {_fmt(d['alpha'])}; " if what == "kappa" else "") +
                   f"{len(d['disagreements'])} disagreement(s) to settle")
        for p in d["pairs"]:
            click.echo(f"  {p['a']} vs {p['b']}: {p['items']} items, identical {p['observed']:.0%}, "
                       f"{what} {_fmt(p[what])}")

    emit(res, as_json, human)
