"""How runs look on the console: confirmation, live progress, summary and reports.

Kept apart from :mod:`psrunbook.cli.run_cmds` so the run path reads as the
sequence of checks and actions it is, and presentation can change without touching it.
Every value printed here goes through :mod:`psrunbook.cli.display` (control characters
made visible, never read as markup): names and results come back from nodes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from psrunbook.cli.display import cell, shown
from psrunbook.cli.exit_codes import EXIT_FAILED
from psrunbook.errors import ParameterError

if TYPE_CHECKING:
    from rich.console import Console

    from psrunbook.cli.live_progress import RunProgressDisplay
    from psrunbook.execution.outcome import RunReport
    from psrunbook.runbook.model import ReportTable
    from psrunbook.runbook.planner import Plan


def console(*, stderr: bool = False) -> Console:
    """The console for people: stdout, or stderr when stdout carries a JSON document."""
    from psrunbook.cli.pipe_safe_console import PipeSafeConsole

    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal (a pipe, a CI log) tables get room instead of 80 columns.
    width = None if stream.isatty() else 200
    return PipeSafeConsole(highlight=False, soft_wrap=True, width=width, stderr=stderr)


def summary(console: Console, report: RunReport, plan: Plan) -> None:
    from rich.table import Table

    from psrunbook.execution.outcome import Status

    table = Table(
        title=cell(f"run {report.run_id}" + (" (check mode)" if report.check_only else ""))
    )
    table.add_column("step")
    for node in plan.nodes:
        table.add_column(cell(node))
    by_index = {s.planned.index: s for s in report.steps}
    for planned in plan.steps:
        outcome = by_index.get(planned.index)
        cells = []
        for node in plan.nodes:
            target = next((t for t in outcome.targets if t.node == node), None) if outcome else None
            if target is None:
                cells.append("-" if outcome else "not run")
                continue
            text = target.status.value
            if report.check_only and target.status is Status.CHANGED:
                text = "would change"
            cells.append(text)
        table.add_row(cell(planned.slug), *map(cell, cells))
    console.print(table)


def present(console: Console, tables: Sequence[ReportTable]) -> None:
    """The runbook's own console tables, from the results of every step and node."""
    from rich.table import Column, Table

    for table_data in tables:
        columns = [Column(header=cell(name)) for name in table_data.columns]
        table = Table(*columns, title=cell(table_data.title))
        for row in table_data.rows:
            table.add_row(*map(cell, row))
        console.print(table)


def progress(console: Console, *, check_only: bool, steps: int) -> RunProgressDisplay:
    """The live display of a run (see :mod:`psrunbook.cli.live_progress`)."""
    from psrunbook.cli.live_progress import RunProgressDisplay

    return RunProgressDisplay(console, check_only=check_only, steps=steps)


def parameters(console: Console, plan: Plan) -> None:
    """The values the run uses, spelled as a params file spells them, secrets masked."""
    from psrunbook.cli.plan_view import spelled
    from psrunbook.runbook.parameters import public_parameters

    values = public_parameters(plan.params)
    if not values:
        return
    console.print("  parameters:", markup=False)
    for key, value in values.items():
        console.print(shown(f"    {key} = {spelled(value)}"), markup=False)


def confirm(console: Console, plan: Plan, *, ask: bool) -> None:
    from rich.markup import escape

    console.print(
        f"[bold]{escape(shown(plan.runbook.name))}[/bold]: "
        + escape(shown(f"{len(plan.steps)} steps on {', '.join(plan.nodes)}"))
    )
    for advisory in plan.advisories:
        console.print(
            shown(f"  [{advisory.severity.value}] {advisory.code}: {advisory.message}"),
            markup=False,
        )
    for planned in plan.steps:
        console.print(shown(f"  {planned.slug}: {planned.step.title}"), markup=False)
    parameters(console, plan)
    if not ask:
        return
    if not sys.stdin.isatty():
        raise ParameterError("not on a terminal: pass --yes to run without confirmation")
    from psrunbook.cli.terminal_prompt import ask_yes_no

    # On the terminal, so `run ... | tee change.log` shows the question instead of looking
    # hung; the plan above is flushed first, so the log holds what was approved.
    console.file.flush()
    if not ask_yes_no("Run these steps now?"):
        raise typer.Exit(EXIT_FAILED)
