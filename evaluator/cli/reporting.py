"""Reports and the release gate: the CLI twin of the Report page (report, gate)."""
from __future__ import annotations

import sys

import click

from evaluator.cli import emit, gold_option, json_option, main, progress_bar, unit_option, workspace_options

_OPTIONS = [
    click.option("--mode", type=click.Choice(["default", "strict"]), default="default", show_default=True,
                 help="seqeval mode (recorded; spans are explicit in a workspace)."),
    click.option("--resamples", type=click.IntRange(min=1), default=10_000, show_default=True,
                 help="Bootstrap resamples (runs and gold documents)."),
    click.option("--seed", type=int, default=12345, show_default=True, help="Random seed of the resampling."),
    click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
                 show_default=True, help="Significance level of the verdicts (Holm-corrected)."),
    unit_option, workspace_options,
]


def statistics_options(func):
    """--mode, --resamples, --seed, --alpha, --unit and the workspace options."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


@main.command("report")
@gold_option(required=False)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="The HTML report to write: one self-contained file (charts inline, no network request).")
@click.option("--markdown", "markdown_dir", type=click.Path(file_okay=False), default=None,
              help="Also write report.md with the charts as PNG files beside it into this folder.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Also write every number and setting as JSON to this file ('-' prints it on stdout).")
@click.option("--trainer", default=None, help="Only the iterations of this trainer (default: every trainer).")
@statistics_options
def report_cmd(ws, gold, out, markdown_dir, json_path, trainer, mode, resamples, seed, alpha, unit):
    """Which iteration actually improved? Each round's candidate against the previous round and the best one so
    far (over all runs, Holm-corrected), per label and by bucket, with A/B sessions beside it, as one HTML file.

    \b
    Examples:
      evaluator report --gold test --out report.html
      evaluator report --gold test@2 --out report.html --markdown report-md --json report.json
      evaluator report --out report.html --json - | jq '.table[] | {iteration, verdict}'
    """
    from evaluator.report.engine import build_report
    from evaluator.report.export import to_json, write_html, write_json, write_markdown

    name, version = gold
    with progress_bar("report", quiet=json_path == "-") as progress:
        rep = build_report(ws, name, version=version, trainer=trainer, mode=mode, resamples=resamples, seed=seed,
                           unit=unit, alpha=alpha, progress=progress)
    from evaluator.report.charts import report_charts

    charts = report_charts(rep)
    written = [str(write_html(rep, out, charts=charts))]
    if markdown_dir:
        written.append(str(write_markdown(rep, markdown_dir, charts=charts)))
    if json_path == "-":
        click.echo(to_json(rep))
        return
    if json_path:
        written.append(str(write_json(rep, json_path)))
    for sentence in rep["headline"]:
        click.echo(sentence)
    click.echo("wrote " + ", ".join(written) + (" (stored report reused)" if rep.get("reused") else ""))


@main.command("gate")
@gold_option()
@click.option("--baseline", required=True, help="The model in production (A).")
@click.option("--candidate", required=True, help="The model that would replace it (B).")
@click.option("--min-delta", "min_delta", type=float, default=None,
              help="Require an improvement of at least this much F1 (0.01 = one point) with its 95% interval "
                   "above 0; without it the gate only fails a significantly worse candidate.")
@statistics_options
@json_option
def gate_cmd(ws, gold, baseline, candidate, min_delta, mode, resamples, seed, alpha, unit, as_json):
    """Release gate for a CI pipeline: exit 0 when the candidate is not significantly worse than the baseline on
    the gold set (with --min-delta: improved by at least that much, its interval above 0), exit 1 otherwise, with
    a one-line reason. Runs of candidates with 2+ runs each are compared over all runs; otherwise the two models.

    \b
    Examples:
      evaluator gate --gold test --baseline round-2-spacy-ner --candidate round-3-spacy-ner
      evaluator gate --gold test --baseline prod --candidate round-3-crf-ner --min-delta 0.01 --json
      evaluator gate --gold test --baseline prod --candidate new && deploy.sh
    """
    from evaluator.report.engine import gate

    name, version = gold
    res = gate(ws, name, baseline, candidate, version=version, min_delta=min_delta, mode=mode, resamples=resamples,
               seed=seed, unit=unit, alpha=alpha)
    emit(res, as_json, lambda r: click.echo(r["reason"]))
    sys.stdout.flush()
    if not res["passed"]:
        raise click.exceptions.Exit(1)
