"""The shared path of ``run``, ``plan`` and ``resume``: inputs, checks, runner, report.

Everything that can be refused is refused before the first script runs: unknown
runbook, bad parameters, lint findings, a tampered bundle, an unsafe connection, a
resume whose inputs changed. Only then is the journal written and a node touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psrunbook.cli import run_view
from psrunbook.cli.context import Settings
from psrunbook.cli.errors import EXIT_FAILED, fail
from psrunbook.errors import JournalError, ParameterError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console

    from psrunbook.inventory import Inventory
    from psrunbook.journal import Journal, RunRecord
    from psrunbook.runbook.model import Runbook
    from psrunbook.runbook.planner import Plan
    from psrunbook.runner.outcome import RunReport
    from psrunbook.sim.lab.embedded import EmbeddedLab
    from psrunbook.templates import TemplateLibrary


@dataclass
class ExecutionRequest:
    """What the operator asked for, as parsed by the command."""

    runbook: str | None
    inventory: Path | None
    sim: bool
    assignments: list[str] = field(default_factory=list)
    params_file: Path | None = None
    check_only: bool = False
    yes: bool = False
    parallel: int = 8
    step_timeout_s: float = 600.0
    retries: int = 2
    insecure: bool = False
    state_dir: Path | None = None
    bundle: Path | None = None
    resume: str | None = None


@dataclass(frozen=True)
class Prepared:
    """Everything fixed before the run starts: the plan and what it runs against."""

    plan: Plan
    inventory: Inventory
    lab: EmbeddedLab | None
    bundle_sha256: str | None
    journaled: RunRecord | None


def _sha256_json(value: Any) -> str:
    from psrunbook.bundle import canonical_json  # noqa: PLC0415 (lazy)

    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _target(
    request: ExecutionRequest, state_dir: Path, sql_version: str | None
) -> Iterator[tuple[Inventory, EmbeddedLab | None]]:
    if request.sim and request.inventory is not None:
        raise ParameterError("give either --inventory or --sim, not both")
    if request.sim:
        from psrunbook.sim.lab.embedded import EmbeddedLab  # noqa: PLC0415 (simulator only)

        with EmbeddedLab(state_dir, sql_version=sql_version) as lab:
            yield lab.inventory, lab
        return
    if request.inventory is None:
        raise ParameterError(
            "no target: give --inventory FILE for a real cluster, or --sim for the simulated lab"
        )
    from psrunbook.inventory import load_inventory  # noqa: PLC0415 (lazy)

    yield load_inventory(request.inventory), None


def _parameters(
    runbook: Runbook,
    assignments: list[str],
    params_file: Path | None,
    lab: EmbeddedLab | None,
    journaled: dict[str, Any] | None,
) -> BaseModel:
    """Validate parameters: lab answers < journaled values < file < -p (< secrets from env)."""
    from psrunbook.runbook.parameters import (  # noqa: PLC0415 (lazy)
        load_params_file,
        secret_fields,
        validate_parameters,
    )
    from psrunbook.secrets import MASK  # noqa: PLC0415 (lazy)

    defaults: dict[str, Any] = {}
    if lab is not None:
        defaults.update(lab.parameter_defaults(set(runbook.parameters.model_fields)))
    if journaled is not None:
        secrets = set(secret_fields(runbook.parameters))
        defaults.update({k: v for k, v in journaled.items() if not (k in secrets and v == MASK)})
    return validate_parameters(
        runbook.parameters,
        defaults=defaults,
        file_values=load_params_file(params_file) if params_file else None,
        assignments=assignments,
        source=f"parameters for {runbook.name}",
    )


def _bundle_plan(settings: Settings, directory: Path, inventory: Inventory) -> tuple[Plan, str]:
    """The plan of an approved bundle, proven identical to it, and the manifest's hash."""
    from psrunbook.bundle import plan_from_bundle, verify_bundle  # noqa: PLC0415 (lazy)

    bundle = verify_bundle(directory)
    runbook = settings.registry().get(bundle.manifest["runbook"]["name"])
    params = _parameters(runbook, [], None, None, dict(bundle.manifest["parameters"]))
    plan = plan_from_bundle(bundle, runbook, params, inventory, settings.library())
    return plan, bundle.manifest_sha256


def execute(settings: Settings, request: ExecutionRequest) -> None:
    """Plan, confirm, run and report; raises typer.Exit with the run's exit code."""
    from psrunbook.journal import Journal, default_state_dir  # noqa: PLC0415 (lazy)

    state_dir = request.state_dir or default_state_dir()
    console = run_view.console()
    with Journal.open(state_dir) as journal:
        journaled = journal.run(request.resume) if request.resume else None
        runbook_name = journaled.runbook if journaled else request.runbook
        if journaled is not None and request.runbook and request.runbook != journaled.runbook:
            raise JournalError(
                f"run {request.resume} ran {journaled.runbook}, not {request.runbook}"
            )
        if journaled is not None and journaled.bundle_sha256 and request.bundle is None:
            raise JournalError(
                f"run {request.resume} ran an approved bundle: resume it with --bundle DIR"
            )
        if request.bundle is None and runbook_name is not None:
            settings.registry().get(runbook_name)  # an unknown name fails before any set-up
        sql_version = _requested_version(request)
        with _target(request, state_dir, sql_version) as (inventory, lab):
            if request.bundle is not None:
                plan, bundle_sha = _bundle_plan(settings, request.bundle, inventory)
            else:
                if runbook_name is None:
                    raise ParameterError(
                        "name a runbook (see `psrunbook list`) or give --bundle DIR"
                    )
                plan, bundle_sha = (
                    _fresh_plan(settings, runbook_name, request, inventory, lab, journaled),
                    None,
                )
            prepared = Prepared(plan, inventory, lab, bundle_sha, journaled)
            _run(settings.library(), console, journal, prepared, request)


def _requested_version(request: ExecutionRequest) -> str | None:
    for item in request.assignments:
        key, _, value = item.partition("=")
        if key.strip() == "sql_version":
            return value
    return None


def _fresh_plan(
    settings: Settings,
    runbook_name: str,
    request: ExecutionRequest,
    inventory: Inventory,
    lab: EmbeddedLab | None,
    journaled: RunRecord | None,
) -> Plan:
    from psrunbook.runbook.planner import build_plan  # noqa: PLC0415 (lazy)

    runbook = settings.registry().get(runbook_name)
    params = _parameters(
        runbook,
        request.assignments,
        request.params_file,
        lab,
        journaled.parameters if journaled else None,
    )
    return build_plan(runbook, params, inventory, settings.library())


def _run(
    library: TemplateLibrary,
    console: Console,
    journal: Journal,
    prepared: Prepared,
    request: ExecutionRequest,
) -> None:
    from psrunbook.journal import new_run_id  # noqa: PLC0415 (lazy)
    from psrunbook.runbook.parameters import public_parameters  # noqa: PLC0415 (lazy)
    from psrunbook.runner.orchestrator import Runner, RunOptions  # noqa: PLC0415 (lazy)
    from psrunbook.transport.psrp import PsrpTransport  # noqa: PLC0415 (lazy)

    plan, inventory, lab, bundle_sha, journaled = (
        prepared.plan,
        prepared.inventory,
        prepared.lab,
        prepared.bundle_sha256,
        prepared.journaled,
    )
    public = public_parameters(plan.params)
    params_sha = _sha256_json(public)
    if journaled is not None:
        _check_resumable(journaled, plan, params_sha, inventory.sha256, bundle_sha)
    transport = PsrpTransport(
        inventory,
        insecure=request.insecure,
        password=lab.password if lab is not None else None,
    )
    for warning in transport.warnings:
        console.print(f"[yellow]warning[/yellow]: {warning}")
    # Confirmation protects real clusters; the embedded simulated lab is a sandbox.
    run_view.confirm(console, plan, ask=not (request.yes or request.check_only or request.sim))
    options = RunOptions(
        check_only=request.check_only,
        parallel=request.parallel,
        step_timeout_s=request.step_timeout_s,
        retries=request.retries,
        bundle_sha256=bundle_sha,
    )
    runner = Runner(plan, transport, journal, library, options, progress=run_view.progress(console))
    if journaled is None:
        run_id = new_run_id()
        journal.start_run(
            run_id=run_id,
            runbook=plan.runbook.name,
            runbook_version=plan.runbook.version,
            mode="plan" if request.check_only else "run",
            parameters=public,
            parameters_sha256=params_sha,
            inventory_sha256=inventory.sha256,
            bundle_sha256=bundle_sha,
            user=inventory.connection.username,
        )
        done = None
    else:
        run_id = journaled.run_id
        journal.mark_resumed(run_id)
        done = _done_steps(journal, run_id)
    console.print(f"run {run_id}")
    report = runner.run(run_id, done=done, recheck_first=journaled is not None)
    journal.finish_run(run_id, report.outcome)
    run_view.summary(console, report, plan)
    if plan.runbook.present is not None and not report.failed:
        run_view.present(console, plan, report)
    if request.check_only:
        run_view.plan_details(console, report)
    if report.failed:
        raise fail(_failure_message(report, request), EXIT_FAILED)
    changed = sum(1 for s in report.steps for t in s.targets if t.status.value == "changed")
    verb = "would change" if request.check_only else "changed"
    console.print(
        f"{report.outcome}: {changed} step/node pair(s) {verb}"
        + ("" if changed else " (nothing to do)")
    )


def _done_steps(journal: Journal, run_id: str) -> dict[int, frozenset[str]]:
    done: dict[int, set[str]] = {}
    for attempt in journal.attempts(run_id):
        if attempt.status == "succeeded" and not attempt.check_only:
            done.setdefault(attempt.step_index, set()).add(attempt.node)
    return {index: frozenset(nodes) for index, nodes in done.items()}


def _check_resumable(
    journaled: RunRecord, plan: Plan, params_sha: str, inventory_sha: str, bundle_sha: str | None
) -> None:
    changed = []
    if journaled.mode != "run":
        changed.append(f"it was a {journaled.mode}, not a run")
    if journaled.runbook_version != plan.runbook.version:
        changed.append(f"runbook version {journaled.runbook_version} -> {plan.runbook.version}")
    if journaled.parameters_sha256 != params_sha:
        changed.append("parameters differ")
    if journaled.inventory_sha256 != inventory_sha:
        changed.append("inventory differs (or the simulated lab was reset)")
    if (journaled.bundle_sha256 or None) != bundle_sha:
        changed.append("approved bundle differs")
    if changed:
        raise JournalError(
            f"run {journaled.run_id} cannot be resumed: {'; '.join(changed)}; "
            "start a new run instead"
        )
    if journaled.outcome == "succeeded":
        raise JournalError(f"run {journaled.run_id} already succeeded; nothing to resume")


def _resume_command(run_id: str, request: ExecutionRequest) -> str:
    """The command that continues a run: resume needs the same target and bundle again."""
    parts = ["psrunbook", "resume", run_id]
    parts += ["--sim"] if request.sim else ["-i", str(request.inventory)]
    if request.bundle is not None:
        parts += ["--bundle", str(request.bundle)]
    if request.state_dir is not None:
        parts += ["--state-dir", str(request.state_dir)]
    return shlex.join(parts)


def _failure_message(report: RunReport, request: ExecutionRequest) -> str:
    # A plan is not resumable (resume refuses it): after a fix, it is simply run again.
    next_step = (
        "plan again" if report.check_only else f"`{_resume_command(report.run_id, request)}`"
    )
    if report.interrupted:
        return f"run {report.run_id} interrupted; continue with {next_step}"
    first = report.first_failure()
    if first is None:
        return f"run {report.run_id} failed"
    step, target = first
    return (
        f"step {step.planned.slug} failed on {target.node}: {target.message}; "
        f"fix the cause, then {next_step}"
    )
