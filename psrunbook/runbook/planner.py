"""Resolves a runbook, its parameters and an inventory into rendered, linted steps.

This is the last point where nothing has touched a node: everything a review, an
export or a run needs (exact text, hash, values, candidate nodes) is fixed here, so
the three can never disagree about what will run. That includes the engine's own
read-only probes (which node owns a group, which cluster answers): every script that
runs on a node is rendered, linted, hashed and exported here, never at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from pydantic import BaseModel

from psrunbook.errors import LintError, ParameterError, TemplateError
from psrunbook.runbook.model import Advisory, Runbook, Step, Target
from psrunbook.templates import RenderedScript, TemplateLibrary

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory


OWNER_PROBE = "cluster/get_group_owner.ps1.j2"
"""Read only: which node owns a group now (``-Group``); run before a group-owner step."""
IDENTITY_PROBE = "cluster/get_cluster_identity.ps1.j2"
"""Read only: the answering cluster's name and id (``Get-Cluster``)."""


class PlannedStep(msgspec.Struct, frozen=True):
    """A step with its rendered script; which node runs it is decided at run time."""

    index: int
    step: Step
    script: RenderedScript
    owner_probe: RenderedScript | None = None
    """For a step on a group's owner: the probe that finds the owner (``-Group`` only)."""

    @property
    def owner_arguments(self) -> dict[str, Any]:
        """The owner probe's values: the step's group."""
        return {"Group": self.step.group or ""}

    @property
    def slug(self) -> str:
        return f"{self.index:02d}-{self.step.name}"

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.step.arguments)


class Plan(msgspec.Struct, frozen=True):
    """Everything fixed before anything runs."""

    runbook: Runbook
    params: BaseModel
    nodes: tuple[str, ...]
    steps: tuple[PlannedStep, ...]
    advisories: tuple[Advisory, ...]
    identity_probe: RenderedScript | None = None
    """Reads the answering cluster's name and id; a bundle run checks it before any step."""


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
    # Values travel as parameters, so one rendering serves every group-owner step.
    owner_probe = (
        library.render(OWNER_PROBE, {"Group": ""})
        if any(step.target is Target.GROUP_OWNER for step in steps)
        else None
    )
    try:
        planned = tuple(
            PlannedStep(
                index=index,
                step=step,
                script=library.render(step.template, step.arguments, step.structure),
                owner_probe=owner_probe if step.target is Target.GROUP_OWNER else None,
            )
            for index, step in enumerate(steps, start=1)
        )
    except TemplateError as exc:
        # A plug-in's missing or broken template: name the runbook's file as well.
        raise TemplateError(f"runbook {runbook.name} ({runbook.origin}): {exc}") from exc
    plan = Plan(
        runbook=runbook,
        params=params,
        nodes=tuple(inventory.node_names),
        steps=planned,
        advisories=tuple(runbook.advisories_for(params)),
        identity_probe=library.render(IDENTITY_PROBE, {}),
    )
    if lint:
        _lint(plan, library)
    return plan


def plan_scripts(plan: Plan) -> list[RenderedScript]:
    """Every script the plan may run on a node: the steps' and the engine's probes."""
    scripts = [plan.identity_probe] if plan.identity_probe is not None else []
    for step in plan.steps:
        scripts.append(step.script)
        if step.owner_probe is not None and step.owner_probe not in scripts:
            scripts.append(step.owner_probe)
    return scripts


def _lint(plan: Plan, library: TemplateLibrary) -> None:
    from psrunbook.lint import in_templates, lint_script  # noqa: PLC0415 (tree-sitter is loaded only when scripts are built)

    findings = [
        finding
        for script in plan_scripts(plan)
        for finding in in_templates(
            lint_script(script.text, source=script.template_id, step=True),
            script.text,
            script.template_id,
            library.source,
        )
        if finding.severity == "error"
    ]
    if findings:
        listing = "\n".join(f"  {f}" for f in findings)
        message = f"{len(findings)} lint finding(s) in rendered scripts:\n{listing}"
        raise LintError(message, tuple(findings))
