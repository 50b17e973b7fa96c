"""The ``psrunbook`` application: global options and command registration.

Only typer is imported at module level; every command imports what it needs when it
runs, so ``psrunbook --help`` never pays for pypsrp, lxml or tree-sitter.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from psrunbook.cli import fleet_cmds, new_cmd, ping_cmd, run_cmds, runbook_cmds
from psrunbook.cli.coercion import PsrunbookGroup
from psrunbook.cli.collector import collect_young_less_often
from psrunbook.cli.command_path import for_command_line
from psrunbook.cli.context import Settings
from psrunbook.cli.exit_codes import EXIT_USAGE, fail
from psrunbook.cli.sim_cmd import sim_app

app = typer.Typer(
    name="psrunbook",
    help="Reviewable, resumable PowerShell runbooks for Windows Failover Clusters.",
    # Option values that need no conversion skip typer's pydantic adapters (issue 16).
    cls=PsrunbookGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Completion costs nothing at start-up: typer handles it only when the shell asks.
    add_completion=True,
    # Plain click help: typer's rich formatter imports ~60 ms of rich and markdown
    # modules, which would be most of the start-up time of `psrunbook --help`.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


SILENT_COMMANDS = frozenset({"list", "show"})
"""Commands that only read runbooks and print: they write no log event, so without
``--log-file`` logging is not configured for them (issue 16: structlog's import was about
a third of ``psrunbook list``'s start-up)."""


def _print_version(value: bool) -> None:
    """``--version``: the installed distribution's version, then exit before any command."""
    if not value:
        return
    from psrunbook.version import VERSION

    typer.echo(f"psrunbook {VERSION}")
    raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    log_format: Annotated[
        Literal["auto", "console", "json"],
        typer.Option(help="Log rendering: console on a terminal, JSON lines otherwise."),
    ] = "auto",
    log_file: Annotated[
        Path | None, typer.Option(help="Also write every event as JSON lines to this file.")
    ] = None,
    log_syslog: Annotated[
        str | None,
        typer.Option(
            "--log-syslog",
            metavar="udp|tcp|tls://HOST[:PORT]",
            help="Also send every event (ECS JSON) as RFC 5424 syslog to this receiver.",
        ),
    ] = None,
    log_syslog_ca: Annotated[
        Path | None,
        typer.Option(
            "--log-syslog-ca",
            envvar="PSRUNBOOK_LOG_SYSLOG_CA",
            metavar="FILE",
            help="PEM CA bundle that verifies a tls:// syslog receiver (default: system CAs).",
        ),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More detail; repeat for more.")
    ] = 0,
    runbooks: Annotated[
        list[Path] | None,
        typer.Option("--runbooks", help="Also load runbooks from this folder (repeatable)."),
    ] = None,
    templates: Annotated[
        list[Path] | None,
        typer.Option("--templates", help="Also load templates from this folder (repeatable)."),
    ] = None,
    journal: Annotated[
        str | None,
        typer.Option(
            "--journal",
            envvar="PSRUNBOOK_JOURNAL",
            show_default=False,
            metavar="URL",
            help="Where runs are journaled: a postgresql:// URL shares the journal (and its "
            "holds) between machines. Default: the local file in the state directory.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            is_eager=True,
            callback=_print_version,
            help="Print the installed psrunbook version and exit.",
        ),
    ] = False,
) -> None:
    """Run, review, plan and resume failover-cluster procedures over PowerShell remoting."""
    ctx.obj = Settings(
        runbook_dirs=tuple(runbooks or ()),
        template_dirs=tuple(templates or ()),
        journal=journal or None,
    )
    if ctx.invoked_subcommand in SILENT_COMMANDS and log_file is None and log_syslog is None:
        return  # they log no event: structlog (and the rich modules it loads) stays unloaded
    from psrunbook.errors import UserError
    from psrunbook.journal_open import url_passwords
    from psrunbook.logging import configure_logging
    from psrunbook.secrets import register_secret

    for password in url_passwords(journal):  # redacted from here on, logs and messages alike
        register_secret(password)
    try:
        configure_logging(
            fmt=log_format,
            verbosity=verbose,
            log_file=log_file,
            syslog=log_syslog,
            syslog_ca=log_syslog_ca,
        )
    except UserError as exc:  # before any command runs: bad input, exit 2, no traceback
        raise fail(str(exc), EXIT_USAGE) from None


runbook_cmds.register(app)
run_cmds.register(app, sim_app)
ping_cmd.register(app)
new_cmd.register(app)
fleet_cmds.register(app)
app.add_typer(sim_app, name="sim")


def main() -> None:
    """Console-script entry point.

    When the command is done, every object left is frozen out of the garbage collector:
    the interpreter's teardown then no longer walks the whole heap (issue 16: 0.15 to
    0.2 s after a run, 10 % of ``run --sim``). Nothing is skipped: atexit handlers,
    buffered output and non-daemon threads are finished as usual.
    """
    # The console script (psrunbook.cli.entry) did this before importing this module;
    # a caller of main() in Python gets it here.
    collect_young_less_often()
    try:
        # Only the command that runs is turned into click commands (issue 16: ~30 ms).
        for_command_line(app, sys.argv[1:])()
    finally:
        gc.freeze()


def console_script() -> None:
    """The ``psrunbook`` command (and ``python -m psrunbook``): :func:`main`, then the
    process ends without the interpreter's teardown when nothing can be lost by it
    (:mod:`psrunbook.cli.quick_exit`). :func:`main` itself always returns or raises, so
    a caller in Python (a test probe) keeps its process."""
    try:
        main()
    except SystemExit as done:
        from psrunbook.cli.quick_exit import exit_without_teardown

        exit_without_teardown(done.code)
        raise
