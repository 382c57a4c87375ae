"""Every CLI command has help text with an example, and the README documents it."""
from pathlib import Path

import click
import pytest

from evaluator.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


COMMANDS = list(_commands(main))


def test_there_are_commands():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"init", "import", "export", "status", "gold freeze", "gold split", "gold leakage"} <= names


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example(path, cmd):
    assert cmd.help and len(cmd.help.strip()) > 20, f"{' '.join(path)} has no help text"
    assert "evaluator " + " ".join(path) in cmd.help, f"{' '.join(path)} help has no example"
    for p in cmd.params:
        if isinstance(p, click.Option):
            assert p.help, f"option {p.opts} of {' '.join(path)} has no help"


@pytest.mark.parametrize("path,cmd", [c for c in COMMANDS if not isinstance(c[1], click.Group)],
                         ids=[" ".join(p) for p, c in COMMANDS if not isinstance(c, click.Group)])
def test_every_command_is_in_the_readme(path, cmd):
    assert f"evaluator {' '.join(path)}" in README, f"README does not mention `evaluator {' '.join(path)}`"
