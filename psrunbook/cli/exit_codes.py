"""Turns engine errors into one clear line and an exit code, never a traceback.

Domain errors are caught only here, at the edge: 2 for bad input (the operator can fix
the command), 1 for a check, lint or step that failed.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from psrunbook.cli.display import shown
from psrunbook.errors import EngineError, UserError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CHANGES_PENDING = 2
"""``plan --detailed-exitcode``: the plan succeeded and found changes (Terraform's 2)."""
EXIT_INTERRUPTED = 130
"""128 + SIGINT: the run was stopped by Ctrl-C, SIGTERM or SIGHUP."""

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` to stderr and return the Exit to raise.

    The message may quote a node's own error text: its control characters are made
    visible (:func:`~psrunbook.cli.display.shown`), its line breaks kept. Every secret
    registered so far (a password in the ``--journal`` URL, an inventory password) is
    masked, as in the logs, in case a message quotes one.
    """
    from psrunbook.secrets import redact_text

    typer.echo(f"error: {shown(redact_text(message), lines=True)}", err=True)
    return typer.Exit(code)


def exits_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so engine errors end it with a message and the right exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except UserError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
        except EngineError as exc:
            raise fail(str(exc), EXIT_FAILED) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper
