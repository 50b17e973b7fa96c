"""Only the command that runs is built: typer builds every command before it parses a word.

``typer`` turns the whole application into click commands (every option of every
command: its type, default, help) before it reads the command line: about 35 ms of CPU
for psrunbook's forty-odd commands, when one of them runs (issue 16). So when the command
line names a top-level command plainly (after root options this module knows), the
application handed to typer is a copy that holds that command (or group) alone, with the
same root options and callback: what is built for it, its parsing, help text and errors
are the same code on the same definitions. Anything else, and everything that lists or
completes commands (``--help`` at the root, no command, an unknown or misspelled name,
shell completion), gets the whole application, as before.

``tests/unit/test_cli_command_path.py`` checks that :data:`ROOT_OPTIONS_WITH_VALUE` and
:data:`ROOT_FLAGS` are exactly the root's options, so a new root option cannot make a
value be read as a command name.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Final

import typer
from typer.main import get_command_name

ROOT_OPTIONS_WITH_VALUE: Final = frozenset(
    {
        "--log-format",
        "--log-file",
        "--log-syslog",
        "--log-syslog-ca",
        "--runbooks",
        "--templates",
        "--journal",
    }
)
"""The root options that take a value (the next word, or ``--name=value``)."""

ROOT_FLAGS: Final = frozenset({"--verbose", "-v", "--version", "-V"})
"""The root's flags that neither print the command list nor need it. ``-h``/``--help``
and the completion options are left out on purpose: they get the whole application."""


def top_level_names(app: typer.Typer) -> dict[str, int | None]:
    """Each top-level command's name: its index in ``registered_commands``, or None for a
    group (whose name is its own). Empty when a group is nameless (its commands join the
    root's, so no name is known without building it)."""
    names: dict[str, int | None] = {}
    for index, info in enumerate(app.registered_commands):
        if info.name:  # as typer names a command: its name, else its function's
            names[info.name] = index
        elif info.callback is not None:
            names[get_command_name(info.callback.__name__)] = index
        else:
            return {}
    for group in app.registered_groups:
        if not isinstance(group.name, str):
            return {}
        names[group.name] = None
    return names


def invoked_name(args: Sequence[str], names: set[str] | dict[str, int | None]) -> str | None:
    """The top-level command ``args`` runs, when the root options before it are all known
    and it is one of ``names``; else None (the whole application decides)."""
    position = 0
    while position < len(args):
        word = args[position]
        if word in ROOT_OPTIONS_WITH_VALUE:
            position += 2
            continue
        if word.startswith("--") and word.partition("=")[0] in ROOT_OPTIONS_WITH_VALUE:
            position += 1
            continue
        if word in ROOT_FLAGS or (len(word) > 1 and word.strip("v") == "-"):  # -vv
            position += 1
            continue
        return word if word in names else None
    return None


def _completing() -> bool:
    """Whether a shell asked for completions (click's ``_PROG_COMPLETE`` variable)."""
    return any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ)


def for_command_line(app: typer.Typer, args: Sequence[str]) -> typer.Typer:
    """``app``, or a copy holding only the top-level command that ``args`` runs."""
    names = top_level_names(app)
    name = None if _completing() else invoked_name(args, names)
    if name is None:
        return app
    index = names[name]
    only = copy.copy(app)
    if index is None:
        only.registered_commands = []
        only.registered_groups = [g for g in app.registered_groups if g.name == name]
    else:
        only.registered_commands = [app.registered_commands[index]]
        only.registered_groups = []
    return only
