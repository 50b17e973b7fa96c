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
    from rich.table import Table

    from psrunbook.cli.live_progress import RunProgressDisplay
    from psrunbook.execution.outcome import RunReport, TargetOutcome
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
    """Each step's result on each node: one column per node, or, when that is wider than
    the console (dozens of nodes), one column per group of nodes that ended alike.

    Squeezed into the console, a column per node of a 64-node run was a grid of empty
    cells; grouped, a converged run is one column ("64 nodes") and a node that failed
    stands alone, named, beside the nodes that did not. Every group of more than one
    node is listed under the table, so each node stays findable.
    """
    from rich.cells import cell_len
    from rich.measure import Measurement

    title = f"run {report.run_id}" + (" (check mode)" if report.check_only else "")
    slugs = [planned.slug for planned in plan.steps]
    results = _node_results(report, plan)
    # The node names side by side (one line each: shown() keeps no newline) are narrower
    # than a column per node: when they are already wider than the console, the table
    # is not built and measured to find that out (the measure of a 64-node table was
    # most of the summary's cost, issue 16).
    if sum(cell_len(shown(node)) for node in plan.nodes) <= console.width:
        table = _result_table(title, slugs, [(node, results[node]) for node in plan.nodes])
        unbounded = console.options.update(max_width=_UNBOUNDED)  # natural width, unclamped
        if Measurement.get(console, unbounded, table).maximum <= console.width:
            console.print(table)
            return
    groups: dict[tuple[str, ...], list[str]] = {}
    for node in plan.nodes:
        groups.setdefault(results[node], []).append(node)
    columns: list[tuple[str, tuple[str, ...]]] = []
    members: list[tuple[str, list[str]]] = []
    for outcome, nodes in groups.items():
        if len(nodes) == 1:
            columns.append((nodes[0], outcome))
            continue
        label = f"{len(nodes)} nodes ({_group_letter(len(members))})"
        columns.append((label, outcome))
        members.append((label, nodes))
    console.print(_result_table(title, slugs, columns))
    for label, nodes in members:
        console.print(cell(f"{label}: {', '.join(nodes)}"))


_UNBOUNDED = 1_000_000


def _node_results(report: RunReport, plan: Plan) -> dict[str, tuple[str, ...]]:
    """What each step did on each node, as the summary words it, by node."""
    from psrunbook.execution.outcome import Status

    by_index = {s.planned.index: s for s in report.steps}
    results: dict[str, list[str]] = {node: [] for node in plan.nodes}
    for planned in plan.steps:
        outcome = by_index.get(planned.index)
        targets: dict[str, TargetOutcome] = {}
        for each in outcome.targets if outcome else ():
            targets.setdefault(each.node, each)  # a node's first target, as before
        for node in plan.nodes:
            target = targets.get(node)
            if target is None:
                results[node].append("-" if outcome else "not run")
            elif report.check_only and target.status is Status.CHANGED:
                results[node].append("would change")
            else:
                results[node].append(target.status.value)
    return {node: tuple(texts) for node, texts in results.items()}


def _result_table(
    title: str, slugs: Sequence[str], columns: Sequence[tuple[str, Sequence[str]]]
) -> Table:
    """A table of one row per step and one column per (header, that column's results)."""
    from rich.table import Table

    table = Table(title=cell(title))
    table.add_column("step")
    for header, _ in columns:
        table.add_column(cell(header))
    for row, slug in enumerate(slugs):
        table.add_row(cell(slug), *(cell(results[row]) for _, results in columns))
    return table


def _group_letter(index: int) -> str:
    """a, b, ... z, aa, ab, ...: a short name for the index-th group of nodes."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


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
