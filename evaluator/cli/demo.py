"""``evaluator demo``: build the demo workspace from data/demo (what ``make run`` calls)."""
from __future__ import annotations

import click

from evaluator.cli import emit, json_option, main, progress_bar


@main.command()
@click.option("--workspace", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: $EVALUATOR_WORKSPACE or data/workspace; for --task textcat the "
                   "sibling folder data/workspace-news).")
@click.option("--db", "db_url", default=None, help="SQLAlchemy URL instead of the workspace's SQLite file.")
@click.option("--task", type=click.Choice(["ner", "textcat"]), default="ner", show_default=True,
              help="ner: PERSON/ORG/LOCATION/PRODUCT sentences; textcat: news categories.")
@json_option
def demo(workspace, db_url, task, as_json):
    """Build the demo workspace: a frozen gold set, three annotation rounds and a pool (idempotent).

    Running it again adds nothing.

    \b
    Examples:
      evaluator demo --workspace data/workspace
      evaluator demo --workspace data/news --task textcat --json
    """
    from evaluator.demo import build_demo
    with progress_bar("demo", quiet=as_json) as progress:
        result = build_demo(workspace, task=task, db_url=db_url, progress=progress)

    def human(r):
        for s in r["steps"]:
            what = s.get("skipped") or f"{s['examples']} examples"
            click.echo(f"  {s['file']:<20} -> {s['target']:<16} {what}")
        state = "ready" if r["added"] else "complete already; nothing added"
        click.echo(f"demo workspace {r['workspace']} ({r['task']}) {state}; "
                   f"gold:{r['gold']} frozen {r['gold_hash'][:12]}")
    emit(result, as_json, human)
