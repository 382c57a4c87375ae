"""Blind A/B sessions from the command line (for scripted or external judges): JSON in and out."""
from __future__ import annotations

import json
import sys

import click

from evaluator.cli import emit, json_option, main, progress_bar, workspace_options


@main.group("ab")
def ab_group():
    """Blind A/B preference sessions: start, next, judge, undo, results, list.

    Two or more models' outputs on the same text, names hidden and sides shuffled; a sequential test says when
    enough judgments are in.

    \b
    Examples:
      evaluator ab start --models round-1-crf-ner,round-3-crf-ner --on gold:test --json
      evaluator ab next 1 --annotator maria --json
      evaluator ab judge 1 3f9c2a7be41d0c55 --annotator maria --choice left
      evaluator ab results 1 --json
    """


_annotator = click.option("--annotator", required=True, help="Your name (answers are stored per annotator).")


def _annotator_command(name: str):
    """``ab NAME SESSION --annotator NAME [--workspace ...] [--json]``: the commands an annotator runs."""
    def wrap(func):
        for deco in (json_option, workspace_options, _annotator, click.argument("session", type=int),
                     ab_group.command(name)):
            func = deco(func)
        return func
    return wrap


@ab_group.command("start")
@click.option("--models", required=True,
              help="Comma-separated model names (two or more), or round:N for the newest model of round N.")
@click.option("--on", "source", required=True, help="Where the items come from: gold:NAME, pool or round:N.")
@click.option("--max", "max_items", type=click.IntRange(min=1), default=None,
              help="Judge at most this many items (identical outputs do not count). Default: every example.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the item order, sides and overlap.")
@click.option("--overlap", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="Share of items judged by several annotators (for agreement).")
@click.option("--judges", type=click.IntRange(min=2), default=2, show_default=True,
              help="Annotators per shared item.")
@click.option("--alpha", type=click.FloatRange(0, 0.2, min_open=True), default=0.05, show_default=True,
              help="Error rate of the sequential test that says when to stop.")
@click.option("--owner", default="", help="Who starts the session (default: $USER).")
@workspace_options
@json_option
def ab_start(ws, models, source, max_items, seed, overlap, judges, alpha, owner, as_json):
    """Start a blind A/B session; prints its id.

    \b
    Examples:
      evaluator ab start --models round-1-crf-ner,round-3-crf-ner --on gold:demo-test --json
      evaluator ab start --models round:1,round:3 --on pool --max 200 --seed 7
      evaluator ab start --models crf-r3,spacy-r3,llm --on pool --max 300 --overlap 0.25
    """
    import os

    from evaluator.ab import start_session
    with progress_bar("start", quiet=as_json) as progress:
        res = start_session(ws, models, source=source, max_items=max_items, seed=seed, overlap=overlap,
                            judges=judges, alpha=alpha, owner=owner or os.environ.get("USER", ""), progress=progress)
    emit(res, as_json, lambda r: click.echo(
        f"session {r['session_id']}: {len(r['models'])} models on {r['source']} ({r['items']} examples drawn"
        + (f", at most {max_items} judged" if max_items else "") + ")\n"
        f"next: evaluator ab next {r['session_id']} --annotator NAME"))


def _show_output(text: str, out: dict) -> str:
    if "label" in out:
        return f"category: {out['label']}"
    parts, pos = [], 0
    for s in out.get("spans", []):
        parts.append(text[pos:s["start"]] + f"[{text[s['start']:s['end']]} · {s['label']}]")
        pos = s["end"]
    return "".join(parts) + text[pos:]


@_annotator_command("next")
def ab_next(ws, session, annotator, as_json):
    """Serve your next item: {"item_id", "text", "left", "right"} or {"done": true}. Nothing in it names or
    identifies a model; an item served and not yet judged is served again.

    \b
    Examples:
      evaluator ab next 1 --annotator maria --json
      evaluator ab next 1 --annotator maria
    """
    from evaluator.ab import next_item
    item = next_item(ws, session, annotator)

    def human(it):
        if it["done"]:
            click.echo(f"done: nothing left for {annotator} in session {session} "
                       f"({it['progress']['judged_by_you']} judged)")
            return
        click.echo(f"item {it['item_id']}")
        click.echo(f"  left:  {_show_output(it['text'], it['left'])}")
        click.echo(f"  right: {_show_output(it['text'], it['right'])}")
        click.echo(f"judge: evaluator ab judge {session} {it['item_id']} --annotator {annotator} "
                   "--choice left|right|tie|neither")
    emit(item, as_json, human)


@ab_group.command("judge")
@click.argument("session", type=int)
@click.argument("item_id", required=False)
@_annotator
@click.option("--choice", type=click.Choice(["left", "right", "tie", "neither"]), default=None,
              help="Which side is better; neither = both wrong.")
@click.option("--comment", default=None, help="An optional comment on the item.")
@click.option("--stdin", "from_stdin", is_flag=True,
              help='Read judgments from stdin, one JSON object per line: {"item_id", "choice", "comment"}.')
@workspace_options
@json_option
def ab_judge(ws, session, item_id, annotator, choice, comment, from_stdin, as_json):
    """Store your judgment of an item (the same judgment twice is stored once).

    \b
    Examples:
      evaluator ab judge 1 3f9c2a7be41d0c55 --annotator maria --choice left
      evaluator ab judge 1 3f9c2a7be41d0c55 --annotator maria --choice neither --comment "both miss the ORG"
      my_judge.py | evaluator ab judge 1 --annotator llm-judge --stdin --json
    """
    from evaluator.ab import judge
    from evaluator.errors import ConfigError
    if from_stdin:
        for n, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                args = (str(row["item_id"]), str(row["choice"]))
            except (ValueError, KeyError, TypeError):
                raise ConfigError(f"stdin, line {n}: not a judgment.",
                                  hint='write one JSON object per line: {"item_id": "...", "choice": "left"}') from None
            emit(judge(ws, session, args[0], annotator, args[1], comment=row.get("comment")), True)
        return
    if not item_id or not choice:
        raise ConfigError("Name the item and your choice.",
                          hint="pass ITEM_ID and --choice left|right|tie|neither, or --stdin")
    res = judge(ws, session, item_id, annotator, choice, comment=comment)
    emit(res, as_json, lambda r: click.echo(
        f"{'stored' if r['stored'] else 'already stored'}: {r['choice']} ({r['judged_by_you']} judged by you)"))


@_annotator_command("undo")
def ab_undo(ws, session, annotator, as_json):
    """Take back your last judgment; that item is served to you again.

    \b
    Example:
      evaluator ab undo 1 --annotator maria
    """
    from evaluator.ab import undo
    res = undo(ws, session, annotator)
    emit(res, as_json, lambda r: click.echo(f"undone: item {r['undone']}" if r["undone"] else "nothing to undo"))


@ab_group.command("results")
@click.argument("session", type=int)
@click.option("--blind", is_flag=True, help="Call the systems by their letters, without model names.")
@click.option("--items", "with_items", is_flag=True, help="Add the judged items with both outputs and comments.")
@workspace_options
@json_option
def ab_results(ws, session, blind, with_items, as_json):
    """Statistics of a session: per pair wins, losses, ties, win rate with its 95% interval, sign-test p, the
    sequential test (decided, preferred model), position bias, agreement, and for 3+ models the ranking.

    \b
    Examples:
      evaluator ab results 1
      evaluator ab results 1 --json
      evaluator ab results 1 --blind --items --json
    """
    from evaluator.ab import results
    res = results(ws, session, reveal=not blind, items=with_items)

    def human(r):
        it = r["items"]
        click.echo(f"session {r['session_id']} on {r['source']}: {r['judgments']} judgments by "
                   f"{len(r['annotators'])} annotator(s); {it['judged']} items judged, {it['skipped_identical']} "
                   "skipped (identical outputs)")
        click.echo(r["verdict"])
        for p in r["pairs"]:
            wr = "–" if p["win_rate"] is None else f"{p['win_rate']:.2f} [{p['ci95'][0]:.2f}, {p['ci95'][1]:.2f}]"
            click.echo(f"  {p['a']} vs {p['b']}: {p['wins']}-{p['losses']}-{p['ties']} (win-loss-tie), "
                       f"win rate {wr}, sign test p = {p['p_sign']:.3g}, decided: "
                       + (f"yes, {p['preferred']}" if p["decided"] else "no"))
        pb = r["position_bias"]
        if pb["share_left"] is not None:
            click.echo(f"left side chosen in {pb['share_left']:.0%} of decisive judgments (p = {pb['p']:.3g})"
                       + (" — position bias" if pb["flagged"] else ""))
        if r["ranking"]:
            for s in r["ranking"]["systems"]:
                lo, hi = s["ci95"]
                click.echo(f"  #{s['rank']} {s['system']}: {s['score']:+.2f} [{lo:+.2f}, {hi:+.2f}]"
                           if s["score"] is not None else f"  {s['system']}: not judged yet")
    emit(res, as_json, human)


@ab_group.command("list")
@workspace_options
@json_option
def ab_list(ws, as_json):
    """List A/B sessions (without model names).

    \b
    Example:
      evaluator ab list --json
    """
    from evaluator.ab import sessions
    rows = sessions(ws)
    emit(rows, as_json, lambda rs: [click.echo(
        f"{r['session_id']}: {r['systems']} systems on {r['source']}, {r['judgments']} judgments "
        f"(owner {r['owner']}, {r['created_at']})") for r in rs] or click.echo("no sessions yet"))
