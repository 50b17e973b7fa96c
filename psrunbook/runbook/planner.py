"""Resolves a runbook, its parameters and an inventory into rendered, linted steps.

This is the last point where nothing has touched a node: everything a review, an
export or a run needs (exact text, hash, values, candidate nodes) is fixed here, so
the three can never disagree about what will run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from psrunbook.errors import LintError, ParameterError
from psrunbook.runbook.model import Advisory, Runbook, Step
from psrunbook.templates import RenderedScript, TemplateLibrary

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory


@dataclass(frozen=True)
class PlannedStep:
    """A step with its rendered script; which node runs it is decided at run time."""

    index: int
    step: Step
    script: RenderedScript

    @property
    def slug(self) -> str:
        return f"{self.index:02d}-{self.step.name}"

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.step.arguments)


@dataclass(frozen=True)
class Plan:
    """Everything fixed before anything runs."""

    runbook: Runbook
    params: BaseModel
    nodes: tuple[str, ...]
    steps: tuple[PlannedStep, ...]
    advisories: tuple[Advisory, ...]


def build_plan(
    runbook: Runbook,
    params: BaseModel,
    inventory: Inventory,
    library: TemplateLibrary,
    *,
    lint: bool = True,
) -> Plan:
    """Render and lint every step; refuse the whole plan if any script is unsafe."""
    try:
        steps = runbook.steps(params, inventory)
    except ValueError as exc:
        raise ParameterError(f"runbook {runbook.name}: {exc}") from exc
    planned = tuple(
        PlannedStep(
            index=index,
            step=step,
            script=library.render(step.template, step.arguments, step.structure),
        )
        for index, step in enumerate(steps, start=1)
    )
    if lint:
        _lint(planned)
    return Plan(
        runbook=runbook,
        params=params,
        nodes=tuple(inventory.node_names),
        steps=planned,
        advisories=tuple(runbook.advisories_for(params)),
    )


def _lint(planned: tuple[PlannedStep, ...]) -> None:
    from psrunbook.lint import lint_script  # noqa: PLC0415 (tree-sitter is loaded only when scripts are built)

    findings = [
        finding
        for step in planned
        for finding in lint_script(step.script.text, source=step.script.template_id)
        if finding.severity == "error"
    ]
    if findings:
        listing = "\n".join(f"  {f}" for f in findings)
        message = f"{len(findings)} lint finding(s) in rendered scripts:\n{listing}"
        raise LintError(message, tuple(findings))
