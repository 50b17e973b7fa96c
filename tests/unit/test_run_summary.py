"""The table a run ends with: a column per node while it fits the console, else a column
per group of nodes that ended alike, every grouped node listed under it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from rich.console import Console

from psrunbook.cli import run_view
from psrunbook.cli.run_view import summary
from psrunbook.execution.outcome import RunReport, Status, StepOutcome, TargetOutcome
from psrunbook.results.step_error import StepError
from psrunbook.runbook.model import Step, Target
from psrunbook.runbook.planner import Plan, PlannedStep
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.templates.script import RenderedScript

STEPS = ("preflight", "write-config", "service-running")


def _plan(nodes: list[str]) -> Plan:
    runbook = RunbookRegistry.discover().get("ssis-standalone")
    script = RenderedScript(template_id="t.ps1.j2", text="", sha256="0" * 64, parameters=())
    steps = tuple(
        PlannedStep(i, Step(name, name, "t.ps1.j2", Target.EVERY_NODE), script)
        for i, name in enumerate(STEPS, start=1)
    )
    return Plan(runbook, runbook.parameters.model_construct(), tuple(nodes), steps, ())


def _report(plan: Plan, failed: str | None) -> RunReport:
    """Every node unchanged, except ``failed``, which fails step 2 (step 3 then runs on none)."""
    outcomes = []
    for planned in plan.steps[:2]:
        targets = []
        for node in plan.nodes:
            if node == failed and planned.index == 2:
                error = StepError(message="the script reported a failure")
                targets.append(TargetOutcome(node, Status.FAILED, errors=(error,)))
            else:
                targets.append(TargetOutcome(node, Status.UNCHANGED))
        outcomes.append(StepOutcome(planned, targets))
    return RunReport("r1", check_only=False, steps=outcomes)


def _shown(plan: Plan, report: RunReport, width: int) -> list[str]:
    out = StringIO()
    summary(Console(file=out, width=width, highlight=False), report, plan)
    return out.getvalue().splitlines()


def test_a_few_nodes_get_a_column_each() -> None:
    plan = _plan(["NODE1", "NODE2", "NODE3"])
    lines = _shown(plan, _report(plan, "NODE2"), 120)
    header = next(line for line in lines if "step" in line)
    assert ["step", "NODE1", "NODE2", "NODE3"] == header.replace("┃", " ").split()
    [failed_row] = [line for line in lines if "02-write-config" in line]
    assert ["02-write-config", "unchanged", "failed", "unchanged"] == failed_row.replace(
        "│", " "
    ).split()
    [not_run] = [line for line in lines if "03-service-running" in line]
    assert ["03-service-running", "not", "run", "not", "run", "not", "run"] == not_run.replace(
        "│", " "
    ).split()


def test_dozens_of_nodes_are_grouped_by_how_they_ended_and_each_is_named() -> None:
    """64 node columns squeezed into 120 were a grid of empty cells: grouped, the nodes
    that ended alike share a column, the failed node stands alone, named."""
    nodes = [f"NODE{i}" for i in range(1, 65)]
    plan = _plan(nodes)
    lines = _shown(plan, _report(plan, "NODE7"), 120)
    assert all(len(line) <= 120 for line in lines), lines
    header = next(line for line in lines if "step" in line)
    assert ["step", "63 nodes (a)", "NODE7"] == [c.strip() for c in header.strip("┃").split("┃")]
    [failed_row] = [line for line in lines if "02-write-config" in line]
    assert ["02-write-config", "unchanged", "failed"] == failed_row.replace("│", " ").split()
    assert f"63 nodes (a): {', '.join(n for n in nodes if n != 'NODE7')}" == _listed(lines)


def test_a_converged_fleet_is_one_column() -> None:
    nodes = [f"SQLNODE{i:02d}" for i in range(1, 41)]
    plan = _plan(nodes)
    lines = _shown(plan, _report(plan, None), 100)
    header = next(line for line in lines if "step" in line)
    assert ["step", "40 nodes (a)"] == [c.strip() for c in header.strip("┃").split("┃")]
    assert f"40 nodes (a): {', '.join(nodes)}" == _listed(lines)


def _listed(lines: list[str]) -> str:
    """The lines under the table (the console wraps them), as one line."""
    bottom = max(i for i, line in enumerate(lines) if line.startswith("└"))
    return " ".join(" ".join(lines[bottom + 1 :]).split())


def test_a_table_the_node_names_alone_overflow_is_never_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """64 names side by side are wider than the console: only the grouped table is built
    (building and measuring the per-node one was most of the summary's cost)."""
    built: list[list[str]] = []
    real = run_view._result_table

    def recorded(title: str, slugs: Any, columns: Any) -> Any:
        built.append([header for header, _ in columns])
        return real(title, slugs, columns)

    monkeypatch.setattr(run_view, "_result_table", recorded)
    nodes = [f"NODE{i}" for i in range(1, 65)]
    plan = _plan(nodes)
    lines = _shown(plan, _report(plan, None), 120)
    assert [["64 nodes (a)"]] == built
    assert f"64 nodes (a): {', '.join(nodes)}" == _listed(lines)


def test_names_that_fit_side_by_side_in_a_table_that_does_not_are_grouped() -> None:
    """The names' width is only a lower bound: the table's own (padding, borders) decides."""
    nodes = [f"NODE{i}" for i in range(1, 11)]  # 51 characters of names, about 90 of table
    plan = _plan(nodes)
    lines = _shown(plan, _report(plan, None), 60)
    header = next(line for line in lines if "step" in line)
    assert ["step", "10 nodes (a)"] == [c.strip() for c in header.strip("┃").split("┃")]
