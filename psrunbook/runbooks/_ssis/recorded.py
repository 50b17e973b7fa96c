"""What ``ssis-clustered`` found on each node before it changed ServiceConfigFile, read
back from the run journal for ``ssis-clustered-undo``.

Step ``config-registry`` reports ``Before.ConfigFile``: the value the node had when the
script ran. The value to restore is the one the *first* change found: a second
``ssis-clustered`` run (another shared folder, say) finds the first run's shared path,
which is not what the node had. So the runs are read back to the last successful undo on
the same cluster (whatever came before it was already taken back), and for each node the
oldest attempt that changed the value counts: an applied (not check-only), succeeded
attempt whose result says it changed, for the same registry key (the same SQL Server
version). A node no attempt changed has nothing recorded, and the undo falls back to its
``config_file`` parameter there, as it says in the plan.

A ``Before.ConfigFile`` of null (the node had no value at all) counts as nothing recorded:
SQL Server setup always writes the value, and restoring the installed file is the safer
reading of a node that never had one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from psrunbook.runbooks._ssis.versions import ssis_version

if TYPE_CHECKING:
    from psrunbook.journal_model import AttemptRecord, RunRecord
    from psrunbook.runbook.history import RunHistory

CLUSTERED = "ssis-clustered"
UNDO = "ssis-clustered-undo"
REGISTRY_STEP = "config-registry"
HISTORY_LIMIT = 10_000
"""Runs read back at most (newest first): far more than any cluster's SSIS history."""


def undo_history(
    history: RunHistory, cluster: str | None, given: Mapping[str, Any]
) -> dict[str, Any]:
    """``recorded_config_files`` (node -> value) and ``recorded_runs`` for the undo.

    ``recorded_runs`` given by the operator pins the runs to read; otherwise they are the
    ``ssis-clustered`` runs on ``cluster`` since its last successful undo. Nothing
    recorded gives no defaults, so the parameters' own (empty) ones stand.
    """
    pinned = given.get("recorded_runs")
    if pinned:
        wanted = {str(run_id) for run_id in pinned}
        runs = [r for r in history.runs(HISTORY_LIMIT) if r.run_id in wanted]
    else:
        runs = _since_last_undo(history.runs(HISTORY_LIMIT), cluster)
    key = _registry_key(given.get("sql_version"))
    first: dict[str, str | None] = {}
    used: list[str] = []
    for run in sorted(runs, key=lambda r: (r.started_at, r.run_id)):
        found = recorded_values(history.attempts(run.run_id), key)
        fresh = {node: value for node, value in found.items() if node not in first}
        first.update(fresh)
        if any(value is not None for value in fresh.values()):
            used.append(run.run_id)
    values = {node: value for node, value in first.items() if value is not None}
    if not values:
        return {}
    return {"recorded_config_files": values, "recorded_runs": used}


def _since_last_undo(runs: Iterable[RunRecord], cluster: str | None) -> list[RunRecord]:
    """``ssis-clustered`` runs (not plans) on ``cluster``, newest first, back to the last
    undo that succeeded there."""
    found: list[RunRecord] = []
    for run in runs:  # newest first
        if run.cluster != cluster or run.mode != "run":
            continue
        if run.runbook == UNDO and run.outcome == "succeeded":
            break
        if run.runbook == CLUSTERED:
            found.append(run)
    return found


def _registry_key(sql_version: object) -> str | None:
    """The ServiceConfigFile key of the version given; None when unknown (any key counts)."""
    if sql_version is None:
        return None
    try:
        return ssis_version(str(sql_version)).registry_path
    except ValueError:
        return None


def recorded_values(attempts: Iterable[AttemptRecord], key: str | None) -> dict[str, str | None]:
    """Node -> ``Before.ConfigFile`` of the first attempt that changed it on that node
    (None: that attempt found no value, so nothing usable is recorded for the node)."""
    values: dict[str, str | None] = {}
    for attempt in attempts:  # in the order they began
        if not _changed_registry(attempt) or attempt.node in values:
            continue
        result = attempt.result or {}
        if key is not None and str(result.get("Key", "")).casefold() != key.casefold():
            continue
        before = result.get("Before")
        value = before.get("ConfigFile") if isinstance(before, dict) else None
        values[attempt.node] = value if isinstance(value, str) and value else None
    return values


def _changed_registry(attempt: AttemptRecord) -> bool:
    return (
        attempt.step_name == REGISTRY_STEP
        and not attempt.check_only
        and attempt.status == "succeeded"
        and attempt.changed is True
    )
