"""The JSON documents that ``--json`` prints: one per command, on stdout, nothing else there.

Each document names its ``kind`` and ``schema_version``, so a script reading it can
refuse a shape it does not know instead of misreading it; the shapes are documented in
docs/execution.md ("Machine-readable output") and checked against the JSON Schemas in
tests/schemas/. Builders take the engine's records and return plain JSON values; only
:func:`emit` writes, so a command either prints a whole document or none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydantic.fields import FieldInfo

    from psrunbook.execution.outcome import RunReport, TargetOutcome
    from psrunbook.journal import AttemptRecord, RunRecord
    from psrunbook.journal_model import DecisionRecord
    from psrunbook.runbook.model import Advisory, ReportTable, Runbook, Step
    from psrunbook.runbook.planner import Plan
    from psrunbook.runbook.registry import Listed

SCHEMA_VERSION = 1
"""Bumped when a field is removed or changes meaning; adding a field keeps it."""

Document = dict[str, Any]


def emit(document: Document) -> None:
    """Write ``document`` to stdout as one JSON value (UTF-8, real characters, indented)."""
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _document(kind: str, **fields: Any) -> Document:
    return {"kind": kind, "schema_version": SCHEMA_VERSION, **fields}


def jsonable(value: Any) -> Any:
    """A parameter default or example as JSON: what a params file would hold."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=str)


def _time(moment: datetime | None) -> str | None:
    """A time as the documents write it: ISO 8601 with its offset and always six digits of
    microseconds (``isoformat()`` leaves them out at a whole second: two formats)."""
    return None if moment is None else moment.isoformat(timespec="microseconds")


# --------------------------------------------------------------------------- runbooks


def runbook_list(runbooks: Sequence[Listed]) -> Document:
    return _document(
        "runbook-list",
        runbooks=[{"name": r.name, "summary": r.summary, "origin": r.origin} for r in runbooks],
    )


def parameter(name: str, info: FieldInfo, type_name: str) -> dict[str, Any]:
    required = info.is_required()
    entry: dict[str, Any] = {"name": name, "type": type_name, "required": required}
    if not required:
        entry["default"] = jsonable(info.get_default(call_default_factory=True))
    entry["description"] = info.description or ""
    entry["examples"] = [jsonable(example) for example in info.examples or ()]
    return entry


def advisory(item: Advisory) -> dict[str, str]:
    return {"code": item.code, "severity": item.severity.value, "message": item.message}


def runbook_detail(
    definition: Runbook,
    parameters: list[dict[str, Any]],
    advisories: list[Advisory],
    steps: list[Step] | None,
) -> Document:
    """``show``: ``steps`` is None when the runbook's examples are not a valid parameter set."""
    return _document(
        "runbook",
        name=definition.name,
        summary=definition.summary,
        description=definition.description or "",
        origin=definition.origin,
        parameters=parameters,
        advisories=[advisory(a) for a in advisories],
        steps=None
        if steps is None
        else [
            {
                "index": index,
                "name": step.name,
                "title": step.title,
                "target": step.target.value,
                "group": step.group,
                "changes": step.changes,
                "serial": step.serial,
                "waits_for_all_nodes": step.waits_for_all_nodes,
            }
            for index, step in enumerate(steps, start=1)
        ],
    )


# --------------------------------------------------------------------------- runs


def _target(outcome: TargetOutcome) -> dict[str, Any]:
    from psrunbook.execution.outcome import Status

    return {
        "node": outcome.node,
        "status": outcome.status.value,
        "changed": outcome.status is Status.CHANGED,
        "attempts": outcome.attempts,
        "duration_s": outcome.duration_ns / 1e9,
        "result": None if outcome.result is None else outcome.result.reported(),
        "errors": [error.to_dict() for error in outcome.errors],
    }


def _table(table: ReportTable) -> dict[str, Any]:
    return {
        "title": table.title,
        "columns": list(table.columns),
        "rows": [list(row) for row in table.rows],
    }


def run_report(report: RunReport, plan: Plan, tables: list[ReportTable]) -> Document:
    """``run``, ``plan`` and ``resume``: every step and node as it ended, and the report tables.

    A step that never ran (a failure stopped the run first) is listed with no targets,
    so the document always names every step of the plan.
    """
    by_index = {s.planned.index: s for s in report.steps}
    steps = []
    for planned in plan.steps:
        outcome = by_index.get(planned.index)
        steps.append(
            {
                "index": planned.index,
                "name": planned.step.name,
                "title": planned.step.title,
                "ran": outcome is not None,
                "targets": [] if outcome is None else [_target(t) for t in outcome.targets],
            }
        )
    return _document(
        "run-report",
        run_id=report.run_id,
        runbook=plan.runbook.name,
        mode="plan" if report.check_only else "run",
        outcome=report.outcome,
        changed=report.changed_count,
        nodes=list(plan.nodes),
        steps=steps,
        report=[_table(t) for t in tables],
    )


def run_record(record: RunRecord, fleet_state: str | None = None) -> dict[str, Any]:
    """A journaled run; ``fleet_state`` is its state in a fleet (None: not a fleet run)."""
    return {
        "run_id": record.run_id,
        "runbook": record.runbook,
        "runbook_version": record.runbook_version,
        "mode": record.mode,
        "outcome": record.outcome,
        "started_at": _time(record.started_at),
        "finished_at": _time(record.finished_at),
        "resumes": record.resumes,
        "cluster": record.cluster,
        "operator": record.os_user,
        "remote_user": record.user,
        "parameters": record.parameters,
        "parameters_sha256": record.parameters_sha256,
        "inventory_sha256": record.inventory_sha256,
        "bundle_sha256": record.bundle_sha256,
        "insecure": record.insecure,
        "fleet_state": fleet_state,
    }


def run_list(records: list[RunRecord], fleet_states: Mapping[str, str] | None = None) -> Document:
    """``runs``: with each fleet run's state (queued, awaiting approval, ...), as the table."""
    states = fleet_states or {}
    return _document("run-list", runs=[run_record(r, states.get(r.run_id)) for r in records])


def attempt(record: AttemptRecord) -> dict[str, Any]:
    return {
        "step_index": record.step_index,
        "step": record.step_name,
        "node": record.node,
        "mode": "check" if record.check_only else "apply",
        "status": record.status,
        "changed": record.changed,
        "started_at": _time(record.started_at),
        "finished_at": _time(record.finished_at),
        "duration_s": None if record.duration_ns is None else record.duration_ns / 1e9,
        "script_sha256": record.script_sha256,
        "result": record.result,
        "errors": list(record.errors),
        "pipeline": None
        if record.pipeline is None
        else {
            "id": record.pipeline.pipeline_id,
            "end": record.pipeline_end,
            "settled_by_run": record.pipeline_end_run,
            "may_be_running": record.may_be_left_running,
        },
    }


def decision(record: DecisionRecord) -> dict[str, Any]:
    return {
        "verdict": record.verdict,
        "decided_by": record.decided_by,
        "decided_at": _time(record.decided_at),
        "bundle_sha256": record.bundle_sha256,
        "reason": record.reason,
    }


def run_detail(
    record: RunRecord,
    attempts: list[AttemptRecord],
    decisions: Sequence[DecisionRecord] = (),
    fleet_state: str | None = None,
) -> Document:
    """``runs show``: the run, every attempt, and every approval or rejection of it."""
    return _document(
        "run",
        run=run_record(record, fleet_state),
        attempts=[attempt(a) for a in attempts],
        decisions=[decision(d) for d in decisions],
    )
