"""Saved plans: ``plan -o FILE`` writes what a plan was made from, ``run --plan FILE`` runs it.

A saved plan is a versioned JSON document. It pins everything a run would depend on: the
runbook and its version, the public parameters (a secret is written as the mask, never
its value, and comes again from the environment), the inventory's sha256, every step's
script sha256 and values, the engine's probe scripts, the answers those probes gave
(which cluster answered, which node owned each group) and the changes the plan found.

``run --plan`` rebuilds the plan with the installed runbook from the saved parameters and
refuses, naming every difference, when anything pinned differs now: the same check a
review bundle gets (:func:`psrunbook.bundle.pinned_differences`), plus the inventory, the
parameters' hash, and the cluster state (the probes asked again must answer the same).

The document carries the sha256 of its own content, so an edited or truncated file is
refused. That is an integrity check, not an approval: anyone can write a consistent
file. Approval of exact scripts is a review bundle's job (``run --bundle
--expect-sha256``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from psrunbook.bundle import (
    PinnedStep,
    pinned_differences,
    public_arguments,
)
from psrunbook.canonical_json import canonical_json
from psrunbook.errors import StepFailed, TransportError, UserError
from psrunbook.execution.identity import read_identity, same_cluster
from psrunbook.execution.outcome import Status
from psrunbook.input_files import InputFileRefused, read_input_file
from psrunbook.journal_model import json_text, load_json
from psrunbook.message_text import quoted
from psrunbook.output_files import OutputRefused, check_output_file, write_output_file
from psrunbook.results import parse_output
from psrunbook.runbook.model import StepResult
from psrunbook.transport.base import ScriptCall
from psrunbook.version import VERSION

if TYPE_CHECKING:
    from psrunbook.execution.outcome import RunReport
    from psrunbook.execution.session import PreparedRun
    from psrunbook.runbook.planner import Plan, PlannedStep
    from psrunbook.transport.base import Transport

PLAN_FORMAT: Final = "psrunbook-plan/1"
PLAN_LIMIT: Final = 16 * 1024 * 1024
PROBE_TIMEOUT_S: Final = 60.0
_REPLAN = "make the plan again with `psrunbook plan RUNBOOK -o FILE` and review it"

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class PlanFileError(UserError):
    """The saved plan file is missing, unreadable, of another format or edited."""


class PlanChanged(UserError):
    """What the saved plan was made from differs now; the message names every difference."""


class _Part(BaseModel):
    """Strict JSON types, no unknown keys: a plan file is written by psrunbook only."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class SavedTarget(_Part):
    """Where the plan was made: ``run --plan`` uses it when no ``-i``/``--sim`` is given."""

    cluster: str
    nodes: list[str]
    inventory_sha256: Sha256
    inventory_path: str | None
    """The inventory file's absolute path; None for the simulated lab."""
    sim: bool


class SavedProbes(_Part):
    """The cluster state the plan saw: who answered, and who owned each group."""

    identity_sha256: Sha256
    cluster_name: str
    cluster_id: str
    owner_probe_sha256: Sha256 | None
    owners: dict[str, str]
    """Group -> the node that owned it (for every group a step targets the owner of)."""


class SavedStep(_Part):
    index: int
    name: str
    template: str
    script_sha256: Sha256
    owner_probe_sha256: Sha256 | None
    arguments: dict[str, Any]
    """Public values: a secret is the mask."""
    expected: dict[str, str]
    """Node -> what the plan found: ``would change``, ``unchanged`` or ``skipped``."""
    changes: dict[str, dict[str, Any]]
    """Node -> the reported ``Before``/``After``/``Actions`` of a change (secrets masked)."""


class SavedPlan(_Part):
    format: str
    psrunbook_version: str
    runbook: str
    runbook_version: str
    parameters: dict[str, Any]
    parameters_sha256: Sha256
    target: SavedTarget
    probes: SavedProbes
    steps: list[SavedStep]
    plan_run_id: str
    """The journaled plan run that found these changes (``runs show`` it)."""


class PlanFile(msgspec.Struct, frozen=True):
    """A saved plan as read from its file (the path names it in every refusal)."""

    path: Path
    saved: SavedPlan


class ProbeAnswers(msgspec.Struct, frozen=True):
    """What the engine's read-only probes say now."""

    cluster_name: str
    cluster_id: str
    owners: dict[str, str]


# --------------------------------------------------------------------------- probes


def read_probes(plan: Plan, transport: Transport) -> ProbeAnswers:
    """Ask the cluster who it is and who owns each group the plan's steps target."""
    identity = read_identity(plan, transport)
    owners: dict[str, str] = {}
    for planned in plan.steps:
        group = planned.step.group
        if planned.owner_probe is not None and group and group not in owners:
            owners[group] = _owner(plan, planned, transport)
    return ProbeAnswers(identity.name, identity.id, owners)


def _owner(plan: Plan, planned: PlannedStep, transport: Transport) -> str:
    """The group's owner node as the planned probe reports it, from the first node answering."""
    assert planned.owner_probe is not None
    errors: list[str] = []
    for node in plan.nodes:
        try:
            session = transport.open(node)
            try:
                raw = session.run(
                    ScriptCall(planned.owner_probe.text, planned.owner_arguments, PROBE_TIMEOUT_S)
                )
            finally:
                session.close()
        except TransportError as exc:
            errors.append(str(exc))
            continue
        parsed = parse_output(raw.output, raw.errors, raw.had_errors, StepResult)
        if parsed.failed or parsed.data is None:
            detail = "; ".join(e.message for e in parsed.errors) or "no result"
            raise StepFailed(
                f"finding the owner of group '{planned.step.group}' on {node}: {detail}"
            )
        return str(parsed.data.model_dump().get("OwnerNode", ""))
    raise TransportError(
        f"no node answered the owner query for '{planned.step.group}': {'; '.join(errors)}"
    )


# --------------------------------------------------------------------------- writing


def _masked(value: Any) -> Any:
    """A node's reported value with every registered secret masked, as the journal stores it."""
    return load_json(json_text(value))


def _saved_steps(plan: Plan, report: RunReport) -> list[SavedStep]:
    found = {outcome.planned.index: outcome for outcome in report.steps}
    steps = []
    for planned in plan.steps:
        expected: dict[str, str] = {}
        changes: dict[str, dict[str, Any]] = {}
        outcome = found.get(planned.index)
        for target in outcome.targets if outcome is not None else []:
            changed = target.status is Status.CHANGED
            expected[target.node] = "would change" if changed else target.status.value
            if changed and target.result is not None:
                changes[target.node] = _masked(
                    {k.value: v for k, v in target.result.reported_change().items()}
                )
        steps.append(
            SavedStep(
                index=planned.index,
                name=planned.step.name,
                template=planned.script.template_id,
                script_sha256=planned.script.sha256,
                owner_probe_sha256=planned.owner_probe.sha256 if planned.owner_probe else None,
                arguments=public_arguments(planned.arguments),
                expected=expected,
                changes=changes,
            )
        )
    return steps


def saved_plan(
    prepared: PreparedRun, report: RunReport, probes: ProbeAnswers, inventory: Path | None
) -> SavedPlan:
    """The document ``plan -o`` writes for a plan that succeeded (``inventory`` None: --sim)."""
    plan = prepared.plan
    owner = next((s.owner_probe for s in plan.steps if s.owner_probe is not None), None)
    if plan.identity_probe is None:
        raise StepFailed("the plan has no cluster identity probe: build it with build_plan")
    return SavedPlan(
        format=PLAN_FORMAT,
        psrunbook_version=VERSION,
        runbook=plan.runbook.name,
        runbook_version=plan.runbook.version,
        parameters=dict(prepared.parameters),
        parameters_sha256=prepared.parameters_sha256,
        target=SavedTarget(
            cluster=prepared.cluster or "",
            nodes=list(plan.nodes),
            inventory_sha256=prepared.inventory_sha256,
            inventory_path=None if inventory is None else str(inventory.resolve()),
            sim=inventory is None,
        ),
        probes=SavedProbes(
            identity_sha256=plan.identity_probe.sha256,
            cluster_name=probes.cluster_name,
            cluster_id=probes.cluster_id,
            owner_probe_sha256=owner.sha256 if owner is not None else None,
            owners=dict(probes.owners),
        ),
        steps=_saved_steps(plan, report),
        plan_run_id=report.run_id,
    )


def plan_text(saved: SavedPlan) -> str:
    """The file's exact text: the plan and the sha256 of its canonical JSON."""
    body = saved.model_dump(mode="json")
    digest = hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
    return canonical_json({"format": PLAN_FORMAT, "plan": body, "sha256": digest})


def check_output(path: Path) -> None:
    """``plan -o FILE``: refuse before anything is planned unless ``path`` can be written.

    Its folder must exist and be writable; the file must be new or a regular file (a
    directory, link, FIFO, socket or device is never replaced: :mod:`psrunbook.output_files`).
    """
    try:
        check_output_file(path)
    except OutputRefused as exc:
        raise PlanFileError(f"--output {path}: {exc.reason}; nothing was planned") from None


def write_plan(path: Path, saved: SavedPlan) -> None:
    """Write the plan file all at once (a temporary sibling renamed into place)."""
    text = plan_text(saved).encode("utf-8")
    try:
        write_output_file(path, text, mode=0o600)
    except OutputRefused as exc:
        raise PlanFileError(f"--output {path}: {exc.reason}") from None
    except OSError as exc:
        raise PlanFileError(
            f"--output {path}: cannot write the plan ({exc.strerror or exc}); "
            "choose a writable path"
        ) from None


# --------------------------------------------------------------------------- reading


def read_plan(path: Path) -> PlanFile:
    """The saved plan in ``path``, or refuse naming the file and the fix."""
    try:
        raw = read_input_file(path, limit=PLAN_LIMIT)
    except FileNotFoundError:
        raise PlanFileError(
            f"--plan {path}: no such file; give the file `psrunbook plan -o FILE` wrote"
        ) from None
    except InputFileRefused as exc:
        raise PlanFileError(f"--plan {path} {exc.reason}; give a saved plan file") from None
    except OSError as exc:
        raise PlanFileError(f"--plan {path}: cannot read it ({exc.strerror or exc})") from None
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise PlanFileError(f"--plan {path} is not JSON, so not a saved plan; {_REPLAN}") from None
    except ValueError:  # a number of more digits than Python converts (4300)
        raise PlanFileError(
            f"--plan {path} holds a number too long for a saved plan; {_REPLAN}"
        ) from None
    found = document.get("format") if isinstance(document, dict) else None
    if found != PLAN_FORMAT:
        raise PlanFileError(
            f"--plan {path}: format {found!r} is not {PLAN_FORMAT!r} (another psrunbook "
            f"version, or not a saved plan); {_REPLAN}"
        )
    body = document.get("plan")
    digest = hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
    if set(document) != {"format", "plan", "sha256"} or document.get("sha256") != digest:
        raise PlanFileError(
            f"--plan {path} was changed after it was saved (its sha256 does not match); "
            f"use the saved copy, or {_REPLAN}"
        )
    try:
        return PlanFile(path, SavedPlan.model_validate(body))
    except ValidationError as exc:
        fields = ", ".join(
            quoted(".".join(str(part) for part in error["loc"])) or "(top level)"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise PlanFileError(
            f"--plan {path}: not a valid saved plan ({fields}); {_REPLAN}"
        ) from None


# --------------------------------------------------------------------------- checking


def plan_differences(saved: SavedPlan, prepared: PreparedRun, where: Path) -> list[str]:
    """Everything the plan was made from that differs now, one line each; empty if none."""
    plan = prepared.plan
    found = []
    if saved.runbook_version != plan.runbook.version:
        found.append(
            f"runbook version: {plan.runbook.name} was {saved.runbook_version}, "
            f"installed is {plan.runbook.version}"
        )
    if saved.target.inventory_sha256 != prepared.inventory_sha256:
        found.append(
            "inventory: its content differs from the one planned against (sha256 "
            f"{saved.target.inventory_sha256[:12]}…, now {prepared.inventory_sha256[:12]}…)"
        )
    if saved.parameters_sha256 != prepared.parameters_sha256:
        keys = sorted(
            key
            for key in {*saved.parameters, *prepared.parameters}
            if saved.parameters.get(key) != prepared.parameters.get(key)
        )
        found.append(f"parameters: {', '.join(keys) or 'their hash'} differ")
    if (
        found
        and saved.target.inventory_sha256 != prepared.inventory_sha256
        and (saved.target.nodes != list(plan.nodes))
    ):
        return found  # other nodes build other steps: the per-step lines would only repeat it
    pinned = [
        PinnedStep(
            label=f"step {step.index:02d}-{step.name}",
            name=step.name,
            script_sha256=step.script_sha256,
            arguments=step.arguments,
            owner_probe=f"the group-owner probe of step {step.index:02d}-{step.name}",
            owner_probe_sha256=step.owner_probe_sha256,
        )
        for step in saved.steps
    ]
    identity = ("the cluster identity probe", saved.probes.identity_sha256)
    found.extend(
        f"script hash: {problem}"
        for problem in pinned_differences(plan, f"plan {where}", identity, pinned)
    )
    return found


def check_plan(saved: SavedPlan, prepared: PreparedRun, where: Path) -> None:
    """Refuse, naming every difference, unless the plan built now is the saved one."""
    found = plan_differences(saved, prepared, where)
    if found:
        listing = "\n".join(f"  {line}" for line in found)
        raise PlanChanged(f"--plan {where} no longer matches what would run:\n{listing}\n{_REPLAN}")


def check_state(saved: SavedPlan, answers: ProbeAnswers, where: Path) -> None:
    """Refuse unless the cluster's probes answer what they answered when the plan was made."""
    probes = saved.probes
    found = []
    if not same_cluster(probes.cluster_name, answers.cluster_name) or (
        probes.cluster_id.casefold() != answers.cluster_id.casefold()
    ):
        found.append(
            f"cluster: the plan saw {probes.cluster_name!r} (id {probes.cluster_id}), "
            f"now {answers.cluster_name!r} (id {answers.cluster_id}) answers"
        )
    for group, owner in sorted(probes.owners.items()):
        now = answers.owners.get(group, "(nobody)")
        if owner.casefold() != now.casefold():
            found.append(f"owner of group {group!r}: {owner} when planned, {now} now")
    if found:
        listing = "\n".join(f"  {line}" for line in found)
        raise PlanChanged(
            f"--plan {where}: the cluster changed since the plan was made:\n{listing}\n"
            f"nothing was run; {_REPLAN}"
        )
