"""Workspace and data commands: init, import, export, gold, status, formats."""
from __future__ import annotations

from pathlib import Path

import click

from evaluator.cli import announce_workspace, emit, json_option, main, progress_bar, workspace_options
from evaluator.errors import ConfigError
from evaluator.formats import ReadOptions, parse_label_map


@main.command()
@click.option("--workspace", type=click.Path(file_okay=False), default=None,
              help="Workspace folder to create (default: $EVALUATOR_WORKSPACE; use . for the current folder).")
@click.option("--db", "db_url", default=None, help="SQLAlchemy URL instead of the workspace's SQLite file.")
@click.option("--task", type=click.Choice(["ner", "textcat"]), required=True, help="What the models do.")
@click.option("--labels", default="", help="Comma-separated label set, e.g. PER,ORG,LOC (can grow on import).")
@click.option("--lang", default="en", show_default=True, help="Language code for spaCy's tokenizer.")
@json_option
def init(workspace, db_url, task, labels, lang, as_json):
    """Create a workspace (idempotent).

    \b
    Example:
      evaluator init --workspace ws --task ner --labels PER,ORG,LOC
    """
    from evaluator.workspace import init_workspace, resolve_workspace
    path, _how = resolve_workspace(workspace, search=False)
    ws = init_workspace(path, task=task, labels=[x.strip() for x in labels.split(",") if x.strip()],
                        lang=lang, db_url=db_url)
    emit({"workspace": str(ws.path), "task": ws.task, "labels": ws.labels, "lang": ws.lang}, as_json,
         lambda d: click.echo(f"workspace {d['workspace']}: task {d['task']}, labels {', '.join(d['labels']) or '(none yet)'}"))


def _read_options(encoding, scheme, text_column, label_column, no_header, label_map, snap, lang,
                  tag_column=-1) -> ReadOptions:
    mapping = parse_label_map(label_map)
    return ReadOptions(encoding=encoding, scheme=scheme, text_column=text_column, label_column=label_column,
                       has_header=not no_header, label_map=mapping, snap_spans=snap, lang=lang,
                       tag_column=tag_column)


def read_options(func):
    """Options shared by commands that read files."""
    for opt in reversed([
        click.option("--format", "fmt", default=None, help="Format name (see `evaluator formats`); detected when omitted."),
        click.option("--encoding", default="utf-8", show_default=True,
                     help="Text encoding; 'utf-8,latin-1' tries UTF-8 then Latin-1 per file."),
        click.option("--scheme", default="auto", show_default=True,
                     type=click.Choice(["auto", "IOB1", "IOB2", "IOBES", "BILOU"], case_sensitive=False),
                     help="CoNLL tagging scheme."),
        click.option("--tag-column", type=int, default=-1, show_default=True,
                     help="CoNLL column holding the tag (0-based; -1 = last)."),
        click.option("--text-column", default="text", show_default=True,
                     help="CSV/JSONL text column (or positions like 1,2 without a header)."),
        click.option("--label-column", default="label", show_default=True, help="CSV/JSONL label column."),
        click.option("--no-header", is_flag=True, help="CSV has no header row; columns are positions."),
        click.option("--label-map", default="", help="Rename raw labels, e.g. 1=World,2=Sports."),
        click.option("--snap-spans", is_flag=True,
                     help="Move span offsets that are not on token boundaries to the nearest boundaries (counted)."),
    ]):
        func = opt(func)
    return func


@main.command("import")
@click.argument("file", type=click.Path(exists=True))
@click.option("--into", required=True, help="Target: gold:NAME, round:N or pool.")
@read_options
@click.option("--extend-labels", is_flag=True, help="Add labels that are not yet in the workspace label set.")
@click.option("--skip-gold-overlap", is_flag=True,
              help="Leave out (and report) examples whose text is in a gold set (or, for a gold import, in a round).")
@click.option("--annotator", default="import", show_default=True, help="Annotator name stored with the annotations.")
@click.option("--sizes", default=None,
              help="Split the file into consecutive rounds of these sizes, starting at --into round:N, e.g. "
                   "50,100,250 (the rest is not imported).")
@click.option("--shuffle", is_flag=True, help="With --sizes: fill the rounds in a seeded random order, not file order.")
@click.option("--seed", type=int, default=0, show_default=True, help="With --shuffle: the seed of the order.")
@workspace_options
@json_option
def import_(ws, file, into, fmt, encoding, scheme, tag_column, text_column, label_column, no_header, label_map, snap_spans,
            extend_labels, skip_gold_overlap, annotator, sizes, shuffle, seed, as_json):
    """Import FILE into a gold set, a round or the pool (all-or-nothing).

    \b
    Examples:
      evaluator import eval.jsonl --into gold:test
      evaluator import eng.train --into round:1 --skip-gold-overlap
      evaluator import bbc/ --into pool --encoding utf-8,latin-1
      evaluator import training.jsonl --into round:1 --sizes 50,100,250 --shuffle --seed 7
    """
    from evaluator.importer import import_file
    from evaluator.store import next_round
    if (shuffle or seed) and not sizes:
        raise ConfigError("--shuffle and --seed only apply with --sizes.",
                          hint="add --sizes, e.g. --sizes 50,100,250, or leave them out")
    opts = _read_options(encoding, scheme, text_column, label_column, no_header, label_map, snap_spans, ws.lang,
                         tag_column)
    with progress_bar("import", quiet=as_json) as progress:
        report = import_file(ws, file, into=into, format=fmt, options=opts, skip_gold_overlap=skip_gold_overlap,
                             extend_labels=extend_labels, annotator=annotator, sizes=sizes, shuffle=shuffle,
                             seed=seed, progress=progress)
    if report["target"].startswith("round:"):
        report["next_round"] = next_round(ws)

    def human(r):
        if r.get("already_imported"):
            click.echo(r["message"])
            return
        into = ", ".join(p["target"] for p in r["rounds"]) if r.get("rounds") else r["target"]
        click.echo(f"imported {r['examples']} examples ({r['annotations']} accepted) from {r['file']} "
                   f"[{r['format']}] into {into}")
        for part in r.get("rounds") or []:
            click.echo(f"  {part['target']:<10} {part['examples']} examples ({part['annotations']} accepted)")
        if r.get("left_out"):
            click.echo(f"  not imported: the last {r['left_out']} example(s) beyond the round sizes")
        per = r.get("spans_per_label") or r.get("labels") or {}
        for k, v in per.items():
            click.echo(f"  {k:<20} {v}")
        if r.get("duplicates_in_file"):
            click.echo(f"  note: {r['duplicates_in_file']} repeated text(s) kept as separate examples")
        if r.get("skipped_gold_overlap"):
            click.echo(f"  left out {r['skipped_gold_overlap']} example(s): {r.get('skipped_because', 'leakage guard')}")
        if r.get("snapped"):
            click.echo(f"  snapped {r['snapped']} span(s) to token boundaries")
        for note in r.get("notes", []):
            click.echo(f"  note: {note}")
        for x in r.get("near_duplicate_examples", []):
            other = x.get("gold_text", x.get("round_text", ""))
            click.echo(f"  near-duplicate {x['similarity']:.2f}, line {x['line']}: {x['text'][:50]!r} ~ {other[:50]!r}")
        for w in r.get("warnings") or []:
            click.echo(f"warning: {w}", err=True)
        if r.get("next_round"):
            click.echo(f"next free round: round:{r['next_round']}")
    emit(report, as_json, human)
    if report.get("warning"):
        click.echo(f"warning: {report['warning']}", err=True)


@main.command()
@click.option("--from", "source", required=True, help="Source: gold:NAME[@V], round:N or pool.")
@click.option("--format", "fmt", required=True, help="Format name (see `evaluator formats`).")
@click.option("--out", required=True, type=click.Path(), help="Output file (or folder for the folder format).")
@workspace_options
@json_option
def export(ws, source, fmt, out, as_json):
    """Export a gold set, round or the pool to a file.

    \b
    Example:
      evaluator export --from gold:test --format conll --out test.conll
    """
    from evaluator.importer import export_records
    r = export_records(ws, source, format=fmt, out=out)

    def human(d):
        click.echo(f"wrote {d['examples']} examples from {d['source']} to {d['out']} [{d['format']}]")
        if d.get("left_out"):
            what = ", ".join(f"{n} {answer}" for answer, n in d["left_out"].items())
            click.echo(f"  left out {what} example(s) that {d['format']} cannot hold (prodigy-jsonl keeps every answer)")
    emit(r, as_json, human)


@main.command()
@json_option
def formats(as_json):
    """List the file formats and what they hold.

    \b
    Example:
      evaluator formats
    """
    from evaluator.formats import list_formats
    rows = [{"name": f.name, "task": f.task, "extensions": list(f.extensions), "description": f.description}
            for f in list_formats()]
    emit(rows, as_json, lambda rs: [click.echo(f"{r['name']:<16} {r['task']:<8} {r['description']}") for r in rs])


@main.command()
@workspace_options
@json_option
def status(ws, as_json):
    """Task, labels, and example counts per round, pool and gold set.

    \b
    Example:
      evaluator status --json
    """
    from evaluator.store import status as _status
    s = _status(ws)

    def human(d):
        click.echo(f"workspace {d['workspace']} ({d['task']}), labels: {', '.join(d['labels']) or '-'}")
        click.echo(f"examples: {d['examples']}")
        if d["pool"]:
            click.echo(f"pool: {d['pool']['examples']} examples")
        def per(counts: dict) -> str:
            return ", ".join(f"{k} {v}" for k, v in counts.items()) or "no annotations"

        for r in d["rounds"]:
            click.echo(f"round {r['round']}: {r['examples']} examples, {r['accepted']} accepted ({per(r['per_label'])})")
        for g in d["gold_sets"]:
            state = f"frozen {g['content_hash'][:12]}" if g["frozen"] else "open"
            if g.get("intact") is False:
                state += ", CHANGED AFTER FREEZE"
            click.echo(f"gold {g['name']} v{g['version']} ({state}): {g['examples']} examples ({per(g['per_label'])})")
    emit(s, as_json, human)
    if s.get("problems"):  # a frozen gold set whose content hash no longer matches
        for problem in s["problems"]:
            click.echo(f"error: {problem}", err=True)
        click.get_current_context().exit(2)


@main.group()
def gold():
    """Gold sets: list, freeze, split, verify, new-version, leakage.

    \b
    Examples:
      evaluator gold list
      evaluator gold split --from round:1 --fraction 0.2 --seed 13 --name test
      evaluator gold freeze test
      evaluator gold verify test
      evaluator gold leakage
    """


@gold.command("list")
@workspace_options
@json_option
def gold_list(ws, as_json):
    """List gold sets and their versions.

    \b
    Example:
      evaluator gold list --json
    """
    from evaluator.gold import list_gold
    rows = list_gold(ws)

    def human(rs):
        if not rs:
            click.echo("no gold sets yet: evaluator import FILE --into gold:NAME")
        for r in rs:
            state = f"frozen {r['content_hash'][:12]} at {r['frozen_at']}" if r["frozen"] else "open (not frozen)"
            click.echo(f"{r['name']} v{r['version']}: {r['examples']} examples, {state}")
    emit(rows, as_json, human)


@gold.command("freeze")
@click.argument("name")
@click.option("--version", type=int, default=None, help="Version to freeze (default: latest).")
@workspace_options
@json_option
def gold_freeze(ws, name, version, as_json):
    """Freeze a gold set version: store its content hash; later writes fail.

    \b
    Example:
      evaluator gold freeze test
    """
    from evaluator.gold import freeze
    r = freeze(ws, name, version=version)
    emit(r, as_json, lambda d: click.echo(
        f"gold {d['name']} v{d['version']} {'was already' if d['already_frozen'] else 'is now'} frozen: {d['content_hash']}"))


@gold.command("verify")
@click.argument("name")
@click.option("--version", type=int, default=None, help="Version to verify (default: latest).")
@workspace_options
@json_option
def gold_verify(ws, name, version, as_json):
    """Recompute a gold set's content hash and compare it with the frozen one (exit 2 on mismatch).

    \b
    Example:
      evaluator gold verify test
    """
    from evaluator.gold import verify
    r = verify(ws, name, version=version)
    emit(r, as_json, lambda d: click.echo(
        f"gold {d['name']} v{d['version']}: " + ("hash OK " + d["content_hash"] if d["frozen"] else "not frozen")))


@gold.command("new-version")
@click.argument("name")
@click.option("--note", default=None, help="What changes in this version.")
@workspace_options
@json_option
def gold_new_version(ws, name, note, as_json):
    """Copy the latest version of a gold set into a new, open version for edits.

    \b
    Example:
      evaluator gold new-version test --note "fix ORG boundaries"
    """
    from evaluator.gold import new_version
    r = new_version(ws, name, note=note)
    emit(r, as_json, lambda d: click.echo(f"gold {d['name']} v{d['version']} created ({d['examples']} examples), open for edits"))


@gold.command("split")
@click.option("--from", "source", required=True, help="Source round, e.g. round:1.")
@click.option("--fraction", type=float, required=True, help="Fraction of accepted examples to move, e.g. 0.2.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--name", required=True, help="Name of the new gold set.")
@workspace_options
@json_option
def gold_split(ws, source, fraction, seed, name, as_json):
    """Move a seeded, label-stratified fraction of a round into a new gold set.

    \b
    Example:
      evaluator gold split --from round:1 --fraction 0.2 --seed 13 --name test
    """
    from evaluator.gold import split
    r = split(ws, source=source, fraction=fraction, seed=seed, name=name)
    emit(r, as_json, lambda d: click.echo(f"gold {d['name']}: moved {d['examples']} examples from {d['from']} (seed {d['seed']})"))
    if r.get("warning"):
        click.echo(f"warning: {r['warning']}", err=True)


@gold.command("leakage")
@click.option("--threshold", type=float, default=0.9, show_default=True, help="Near-duplicate Jaccard threshold.")
@workspace_options
@json_option
def gold_leakage(ws, threshold, as_json):
    """Report gold texts found in training rounds or the pool, and near-duplicates.

    \b
    Example:
      evaluator gold leakage --threshold 0.9
    """
    from evaluator.gold import leakage_report
    with progress_bar("leakage", quiet=as_json) as progress:
        r = leakage_report(ws, threshold=threshold, progress=progress)

    def human(d):
        click.echo(d["message"])
        for x in d["exact"][:20]:
            click.echo(f"  exact  {x['gold']} ~ {x['other']}: {x['text'][:70]!r}")
        click.echo(f"near-duplicates (char {d['ngram']}-gram Jaccard >= {d['threshold']}): {d['near_duplicates']} "
                   f"({d['gold_examples']:,} gold x {d['other_examples']:,} other texts, {d['search']['method']})")
        for x in d["near"][:20]:
            click.echo(f"  {x['similarity']:.2f} {x['gold']} ~ {x['other']}: {x['gold_text'][:60]!r}")
    emit(r, as_json, human)


@main.group("round")
def round_():
    """Annotation rounds: list them with their imports, move an import or a round, delete a round.

    \b
    Examples:
      evaluator round list
      evaluator round move import:2 --to round:2
      evaluator round move round:3 --to round:2
      evaluator round delete 3 --yes
    """


@round_.command("list")
@workspace_options
@json_option
def round_list(ws, as_json):
    """The rounds, the pool and the imports in each (the ids `round move import:ID` takes), and the next free round.

    \b
    Example:
      evaluator round list --json
    """
    from evaluator.store import list_imports, next_round, status as _status

    s = _status(ws)
    imports = list_imports(ws)
    data = {"rounds": [{"round": r["round"], "examples": r["examples"], "accepted": r["accepted"],
                        "imports": [i for i in imports if i["target"] == f"round:{r['round']}"]} for r in s["rounds"]],
            "pool": {"examples": s["pool"]["examples"], "imports": [i for i in imports if i["target"] == "pool"]}
            if s["pool"] else None,
            "next_round": next_round(ws)}

    def human(d):
        for r in d["rounds"]:
            click.echo(f"round {r['round']}: {r['examples']} examples, {r['accepted']} accepted")
            for i in r["imports"]:
                click.echo(f"  import:{i['id']:<5} {i['file']} [{i['format']}] {i['examples']} examples, {i['created_at']}")
        if d["pool"]:
            click.echo(f"pool: {d['pool']['examples']} examples")
            for i in d["pool"]["imports"]:
                click.echo(f"  import:{i['id']:<5} {i['file']} [{i['format']}] {i['examples']} examples")
        click.echo(f"next free round: round:{d['next_round']}")
    emit(data, as_json, human)


@round_.command("move")
@click.argument("source")
@click.option("--to", "to", required=True, help="Where to: round:N or pool.")
@workspace_options
@json_option
def round_move(ws, source, to, as_json):
    """Move SOURCE (round:N, pool, or import:ID from `evaluator round list`) into another round or the pool.

    Annotations and order are kept; gold sets, the leakage guard and rounds a trained model used are respected.

    \b
    Examples:
      evaluator round move import:2 --to round:2
      evaluator round move round:3 --to round:2
    """
    from evaluator.importer import move_data

    r = move_data(ws, source, to=to)
    emit(r, as_json, lambda d: click.echo(f"moved {d['moved']} examples of {d['source']} to {d['to']}"))


@round_.command("delete")
@click.argument("number", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@workspace_options
@json_option
def round_delete(ws, number, yes, as_json):
    """Delete round NUMBER with its examples and annotations (refused when a trained model used it).

    \b
    Example:
      evaluator round delete 3 --yes
    """
    from evaluator.importer import delete_round

    if not yes and not as_json:
        announce_workspace()  # say which workspace before asking
        click.confirm(f"Delete round {number} and its examples?", abort=True, err=True)
    r = delete_round(ws, number)
    emit(r, as_json, lambda d: click.echo(f"deleted round {d['round']} ({d['examples']} examples)"))
