"""The ``evaluator`` command line: thin wrappers over the library functions the pages call too.

Every command accepts ``--workspace DIR`` and ``--db URL`` after its name (see :func:`workspace_options`), prints
one JSON document on stdout with ``--json``, and turns an :class:`~evaluator.errors.EvaluatorError` into one line
on stderr and exit code 2.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import traceback
from typing import Any, Callable, Iterator

import click

from evaluator.errors import EvaluatorError
from evaluator.progress import Progress


#: the "workspace PATH (why)" line of the running command, until it is printed (see :func:`workspace_options`)
_ANNOUNCE: list[str] = []


def announce_workspace() -> None:
    """Print the pending "workspace PATH (why)" line on stderr, once: before the command's first output."""
    while _ANNOUNCE:
        click.echo(_ANNOUNCE.pop(), err=True)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvaluatorError as err:
            # one line: the workspace, when not said yet, goes into it
            where = f" [{_ANNOUNCE.pop()}]" if _ANNOUNCE else ""
            click.echo(f"error: {err}{where}", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # `evaluator ... | head`: the reader left; stop quietly
            _silence_stdout()
            ctx.exit(141)
        except Exception as err:  # a bug: one line, the traceback only on request
            if os.environ.get("EVALUATOR_DEBUG"):
                traceback.print_exc()
            click.echo(f"internal error: {type(err).__name__}: {err} (set EVALUATOR_DEBUG=1 for the traceback; "
                       "please report it)", err=True)
            ctx.exit(1)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. the test runner's captured stdout)
        pass


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="nlp-evaluator", message="%(prog)s %(version)s")
def main() -> None:
    """Tell whether your newest NLP model iteration is actually better.

    Keep a frozen gold set, import data in the formats you have, train a model per annotation round, score every
    model on the gold set with seqeval-exact metrics and paired significance tests.

    \b
    Quick start:
      evaluator init --workspace ws --task ner --labels PER,ORG,LOC
      evaluator import gold.jsonl --into gold:test --workspace ws
      evaluator gold freeze test --workspace ws
      evaluator import round1.jsonl --into round:1 --workspace ws
      evaluator status --workspace ws
    """


WORKSPACE_HELP = ("Workspace folder (default: $EVALUATOR_WORKSPACE, else the nearest folder with a workspace.db "
                  "from the current folder upward).")


def workspace_options(func: Callable) -> Callable:
    """Add ``--workspace`` and ``--db`` and pass the opened workspace as ``ws``.

    The workspace is ``--workspace``, else ``$EVALUATOR_WORKSPACE``, else the nearest one from the current folder
    upward (:func:`evaluator.workspace.resolve_workspace`); without any, the command refuses. Unless ``--json``,
    one line on stderr says which workspace was used and why: before the command's first output (its result or
    its progress bar), or at its end; when the command fails first, the error's one line names it instead.
    """

    @click.option("--workspace", "workspace", type=click.Path(file_okay=False), default=None, help=WORKSPACE_HELP)
    @click.option("--db", "db_url", default=None,
                  help="SQLAlchemy database URL, e.g. postgresql://user@host/db (default: $EVALUATOR_DB_URL or "
                       "the workspace's SQLite file).")
    @functools.wraps(func)
    def wrapper(*args, workspace=None, db_url=None, **kwargs):
        from evaluator.workspace import open_workspace, resolve_workspace
        path, how = resolve_workspace(workspace)
        kwargs["ws"] = open_workspace(path, db_url=db_url)
        if kwargs["ws"].cleaned:  # leftovers of an interrupted training were removed: say so
            from evaluator.housekeeping import describe
            click.echo(f"note: {describe(kwargs['ws'].cleaned)}", err=True)
        _ANNOUNCE[:] = [] if kwargs.get("as_json") else [f"workspace {path.resolve()} ({how})"]
        result = func(*args, **kwargs)
        announce_workspace()
        return result

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")


def parse_gold(value: str, version: int | None = None) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@V`` (plus an optional ``--version V``) -> (name, version or None for the latest).

    >>> parse_gold("test@2"), parse_gold("test"), parse_gold("test", 3)
    (('test', 2), ('test', None), ('test', 3))
    """
    from evaluator.errors import ConfigError

    name, at, ver = (value or "").partition("@")
    if at and (not ver.isdigit() or int(ver) < 1):
        raise ConfigError(f"Bad gold-set version in {value!r}.", hint="write --gold NAME or --gold NAME@2")
    if at and version is not None and int(ver) != version:
        raise ConfigError(f"--gold {value} and --version {version} name different versions.",
                          hint="give the version once: --gold NAME@V")
    return name, int(ver) if at else version


def gold_option(*, required: bool = True) -> Callable[[Callable], Callable]:
    """``--gold NAME[@V]`` (with ``--version V`` as an alias for the version), passed on as ``gold=(name,
    version)``; the version is None for the latest. The one way every command names a gold-set version."""

    def decorate(func: Callable) -> Callable:
        @click.option("--gold", "gold", required=required, default=None, metavar="NAME[@V]",
                      help="Gold set, e.g. test or test@2 for version 2 (default version: the latest).")
        @click.option("--version", "gold_version", type=click.IntRange(min=1), default=None,
                      help="Gold-set version (same as --gold NAME@V).")
        @functools.wraps(func)
        def wrapper(*args, gold=None, gold_version=None, **kwargs):
            kwargs["gold"] = parse_gold(gold, gold_version) if gold else (None, gold_version)
            return func(*args, **kwargs)

        return wrapper

    return decorate


unit_option = click.option(
    "--unit", type=click.Choice(["auto", "document", "sentence"]), default="auto", show_default=True,
    help="What the bootstrap resamples: whole documents (CoNLL -DOCSTART-) or single sentences/examples; auto = "
         "documents when the gold set has them.")


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as JSON, or through ``human`` (default: indented JSON)."""
    announce_workspace()
    if as_json or human is None:
        click.echo(json.dumps(data, indent=None if as_json else 2, ensure_ascii=False, default=str))
    else:
        human(data)


@contextlib.contextmanager
def progress_bar(label: str, *, quiet: bool = False) -> Iterator[Progress | None]:
    """A receiver of :mod:`evaluator.progress` that draws a bar on stderr while the ``with`` block runs.

    Only when stderr is a terminal and not ``quiet`` (``--json``); otherwise it yields None and nothing extra is
    printed. The bar shows ``done/total`` and the latest message; an unknown total shows the message alone.
    """
    if quiet or not sys.stderr.isatty():
        yield None
        return
    announce_workspace()
    from tqdm import tqdm

    import shutil

    # a terminal that reports 0 columns (a fresh pseudo-terminal) gets 100
    width = shutil.get_terminal_size((100, 20)).columns or 100
    bar = tqdm(total=None, desc=label, file=sys.stderr, leave=False, ncols=width,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {postfix}")

    def receive(done: float, total: float | None, message: str = "") -> None:
        if total and bar.total != total:
            bar.total = total
        bar.n = done if total else 0
        bar.set_postfix_str(message[:60], refresh=False)
        bar.refresh()

    try:
        yield receive
    finally:
        bar.close()


# command modules register themselves on `main` (one import line per module)
from evaluator.cli import data as _data  # noqa: E402,F401
from evaluator.cli import demo as _demo  # noqa: E402,F401
from evaluator.cli import evaluation as _evaluation  # noqa: E402,F401
from evaluator.cli import scoring as _scoring  # noqa: E402,F401
from evaluator.cli import training as _training  # noqa: E402,F401
from evaluator.cli import abtest as _abtest  # noqa: E402,F401
from evaluator.cli import labeling as _labeling  # noqa: E402,F401
from evaluator.cli import reporting as _reporting  # noqa: E402,F401
