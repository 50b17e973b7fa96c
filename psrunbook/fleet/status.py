"""The fleet's side of ``runs`` and ``runs show``: a queued run's state, its hash to approve.

The journal knows how a run ended; only the fleet knows that an unfinished run is queued,
awaiting approval or running. These readers ask the fleet's database only when a fleet
may exist for the journal (a PostgreSQL journal, or ``fleet.sqlite3`` in the state
directory), so ``runs`` on a machine without fleets loads no DBOS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from psrunbook.fleet.location import fleet_database_url, fleet_exists
from psrunbook.fleet.spec import FleetStatus

SHOWN_INSTEAD_OF_OUTCOME = frozenset(
    {"queued", "awaiting approval", "running", "rejected", "cancelled"}
)
"""Fleet states ``runs`` shows in the outcome column: the journal alone cannot tell them."""


def fleet_statuses(
    state_dir: Path, journal_url: str | None, run_ids: Sequence[str]
) -> Mapping[str, FleetStatus]:
    """Each fleet run's status; runs never submitted to a fleet are left out."""
    if not run_ids or not fleet_exists(state_dir, journal_url):
        return {}
    from psrunbook.fleet.dbos_engine import DbosEngine  # noqa: PLC0415 (DBOS only for fleets)

    engine = DbosEngine(fleet_database_url(state_dir, journal_url))
    try:
        return engine.status(run_ids)
    finally:
        engine.close()


def shown_outcome(outcome: str | None, status: FleetStatus | None) -> str:
    """What ``runs`` shows for a run: the fleet's state where the journal cannot tell."""
    if status is not None and status.state in SHOWN_INSTEAD_OF_OUTCOME:
        return status.state
    return outcome or "unfinished"


def status_lines(run_id: str, status: FleetStatus) -> list[str]:
    """``runs show``'s lines about a fleet run: state, worker, hash to approve, why rejected.

    Who approved or rejected it, and when, comes from the journal (``runs show`` prints
    its decisions), not from here.
    """
    lines = [f"fleet: {status.state}" + (f" (worker {status.worker})" if status.worker else "")]
    if status.review_sha256:
        lines.append(f"review bundle sha256: {status.review_sha256}")
    if status.state == "awaiting approval" and status.review_sha256:
        lines.append(f"approve with: psrunbook approve {run_id} --sha256 {status.review_sha256}")
    if status.reason:
        lines.append(f"reason: {status.reason}")
    return lines
