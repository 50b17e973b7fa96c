"""Building only the command that runs changes nothing about that command.

:func:`psrunbook.cli.command_path.for_command_line` hands typer a copy of the application
holding one top-level command; every command built that way must equal the one the whole
application builds (its help, options and subcommands), and any command line it cannot
read plainly must get the whole application.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer._click import Context

from psrunbook.cli.app import app
from psrunbook.cli.command_path import (
    ROOT_FLAGS,
    ROOT_OPTIONS_WITH_VALUE,
    for_command_line,
    invoked_name,
    top_level_names,
)

NAMES = top_level_names(app)


def _described(command: Any, path: str) -> Iterator[tuple[str, str, list[Any]]]:
    """Each command under ``command``: its path, help text and options as click has them."""
    ctx = Context(command, info_name=path, help_option_names=["-h", "--help"])
    params = [(p.name, p.opts, p.secondary_opts, p.required, p.default) for p in command.params]
    yield path, command.get_help(ctx), params
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _described(sub, f"{path} {name}")


def test_every_top_level_command_is_known_by_name() -> None:
    root = typer.main.get_command(app)
    assert sorted(root.commands) == sorted(NAMES)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(NAMES))
def test_a_command_built_alone_is_the_one_the_application_builds(name: str) -> None:
    whole = typer.main.get_command(app)
    alone = typer.main.get_command(for_command_line(app, [name]))
    assert [name] == sorted(alone.commands)  # type: ignore[attr-defined]
    expected = list(_described(whole.commands[name], f"psrunbook {name}"))  # type: ignore[attr-defined]
    assert expected == list(_described(alone.commands[name], f"psrunbook {name}"))  # type: ignore[attr-defined]
    root_options = [p.opts for p in whole.params]
    assert root_options == [p.opts for p in alone.params]


def test_the_known_root_options_are_the_roots() -> None:
    """A root option missing here could have its value read as a command name."""
    root = typer.main.get_command(app)
    valued = {o for p in root.params if not _is_flag(p) for o in p.opts}
    flags = {o for p in root.params if _is_flag(p) for o in p.opts}
    assert valued == ROOT_OPTIONS_WITH_VALUE
    assert ROOT_FLAGS == flags - {"-h", "--help", "--install-completion", "--show-completion"}


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False) or getattr(param, "count", False))


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["run", "ssis-clustered", "--sim"], "run"),
        (["--log-file", "f.log", "-v", "-vv", "plan", "x"], "plan"),
        (["--log-format=json", "--journal", "postgresql://h/db", "runs", "show"], "runs"),
        (["--runbooks", "run", "list"], "list"),  # a value that is a command's name
        (["-V", "sim", "serve"], "sim"),
        ([], None),
        (["--help"], None),
        (["-h", "run"], None),
        (["--install-completion"], None),
        (["rnu"], None),  # misspelled: click suggests the right name from the whole list
        (["--unknown", "run"], None),
        (["--", "run"], None),
        (["-vh", "run"], None),
    ],
)
def test_the_command_a_line_runs(args: list[str], name: str | None) -> None:
    assert name == invoked_name(args, NAMES)


def test_shell_completion_gets_the_whole_application(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_PSRUNBOOK_COMPLETE", "complete_bash")
    assert for_command_line(app, ["run"]) is app


def test_a_misspelled_command_is_still_suggested() -> None:
    """Through the console entry point: the whole list of names is there to suggest from."""
    probe = "import sys; sys.argv[0] = 'psrunbook'; from psrunbook.cli.app import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", probe, "rnu"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 2 == done.returncode
    assert "No such command 'rnu'" in done.stderr
    assert "run" in done.stderr.split("No such command 'rnu'")[1]
