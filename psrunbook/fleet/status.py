"""The fleet's side of ``runs``, ``runs show`` and ``submit --wait``: a run's state.

The journal knows how a run ended; only the fleet knows that an unfinished run is queued,
awaiting approval or running. These readers ask the fleet's database only when a fleet
may exist for the journal (a PostgreSQL journal, or ``fleet.sqlite3`` in the state
directory) and only about runs a fleet may know (the journal records which were
submitted), so ``runs`` on a machine without fleets, or ``resume`` of a run started by
``run``, loads no DBOS.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec
import msgspec.structs

from psrunbook.fleet.location import fleet_database_url, fleet_exists
from psrunbook.fleet.spec import FleetStatus

if TYPE_CHECKING:
    from psrunbook.journal_model import DecisionRecord, RunJournal, RunRecord

SHOWN_INSTEAD_OF_OUTCOME = frozenset(
    {"queued", "awaiting approval", "running", "rejected", "cancelled"}
)
"""Fleet states ``runs`` shows in the outcome column: the journal alone cannot tell them."""


Decided = Callable[[str], "DecisionRecord | None"]
"""The first decision the journal holds on a run (``approve``/``reject`` journal it when
they deliver it), or None."""


def fleet_statuses(
    state_dir: Path,
    journal_url: str | None,
    runs: Sequence[RunRecord],
    decided: Decided | None = None,
) -> Mapping[str, FleetStatus]:
    """Each fleet run's status; runs never submitted to a fleet are left out.

    Only runs a fleet may know are asked about: those the journal says were submitted,
    and those journaled before it kept that (unknown). When there is none (every run
    was started by ``run``), the fleet's database is not read and DBOS is not loaded.
    With ``decided``, a decision no worker has taken up yet counts (:func:`with_decisions`).
    """
    run_ids = [run.run_id for run in runs if run.maybe_in_fleet]
    if not run_ids or not fleet_exists(state_dir, journal_url):
        return {}
    # DBOS (and the SQLAlchemy under it) only for fleets; it names a database it cannot
    # read, with the fix (exit 2), rather than raise its own errors.
    from psrunbook.fleet.dbos_engine import DbosEngine, fleet_created  # noqa: PLC0415

    url = fleet_database_url(state_dir, journal_url)
    if not fleet_created(url):
        return {}
    engine = DbosEngine(url, doing="read")
    try:
        statuses = engine.status(run_ids)
    finally:
        engine.close()
    return statuses if decided is None else with_decisions(statuses, decided)


def with_decisions(statuses: Mapping[str, FleetStatus], decided: Decided) -> dict[str, FleetStatus]:
    """The statuses, where a run awaiting approval was decided already: ``rejected`` (with
    the reason), or ``queued`` once approved.

    The engine says "awaiting approval" until a worker takes the decision up, which may
    be much later (no worker running); the journal has had the decision since ``reject``
    or ``approve`` delivered it, and the run's gate takes the first decision it was sent.
    """
    found = dict(statuses)
    for run_id, status in statuses.items():
        if status.state != "awaiting approval":
            continue
        decision = decided(run_id)
        if decision is None:
            continue
        if decision.verdict == "rejected":
            found[run_id] = msgspec.structs.replace(
                status, state="rejected", reason=decision.reason or "rejected"
            )
        else:
            found[run_id] = msgspec.structs.replace(status, state="queued")
    return found


def first_decision(journal: RunJournal) -> Decided:
    """:data:`Decided` read from ``journal``."""

    def decided(run_id: str) -> DecisionRecord | None:
        decisions = journal.decisions(run_id)
        return decisions[0] if decisions else None

    return decided


def not_resumable(run_id: str, status: FleetStatus) -> str | None:
    """Why ``resume`` must leave a fleet run alone (None when it may continue it): the
    fleet still owns it, or it ended without running (rejected, cancelled)."""
    state = status.state
    worker = status.worker or "WORKER"
    if state == "queued":
        waiting = f" ({status.reason})" if status.reason else ""
        return (
            f"run {run_id} is queued in the fleet{waiting}: a `psrunbook worker` executes "
            f"it (start one if none runs), or `psrunbook cancel {run_id}` drops it; "
            "resume continues only a run that ended without succeeding"
        )
    if state == "awaiting approval":
        sha = status.review_sha256 or "HASH"
        return (
            f"run {run_id} is awaiting approval in the fleet: review it "
            f"(`psrunbook runs show {run_id}`), then `psrunbook approve {run_id} --sha256 "
            f"{sha}` lets a worker execute it, or `psrunbook reject {run_id}` ends it; "
            "resume never executes a run nobody approved"
        )
    if state == "running":
        return (
            f"run {run_id} is running in the fleet (worker {worker}): follow it with "
            f"`psrunbook runs show {run_id}`, or stop it with `psrunbook cancel {run_id}`; "
            f"if worker {worker} is gone for good, `psrunbook worker --recover-from {worker}` "
            "continues it"
        )
    if state == "rejected":
        why = f" ({status.reason})" if status.reason else ""
        return (
            f"run {run_id} was rejected{why}: it is over and there is nothing to resume; "
            "submit it again (`psrunbook submit`) for a new review"
        )
    if state == "cancelled":
        return (
            f"run {run_id} was cancelled in the fleet: it is over and there is nothing to "
            "resume; submit it again (`psrunbook submit`) to run it"
        )
    return None


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


# --------------------------------------------------------------------------- waiting

FINAL_WORDS = frozenset({"succeeded", "failed", "rejected", "cancelled"})
"""How a run ended, in the journal's words (the fleet's "finished" is "succeeded")."""
POLL_FIRST_S = 0.25
POLL_MAX_S = 2.0
"""``submit --wait`` asks again quickly after a change, then less and less often."""


class ProgressSource(Protocol):
    """What a wait reads: the fleet engine's status, and how far a running run is."""

    def status(self, run_ids: Sequence[str]) -> Mapping[str, FleetStatus]: ...

    def step_progress(self, run_id: str) -> tuple[int, int] | None: ...


class RunProgress(msgspec.Struct, frozen=True):
    """Where one run stands, as ``submit --wait`` shows it; equal when nothing changed."""

    run_id: str
    cluster: str
    state: str
    step: int | None = None
    steps: int | None = None
    review_sha256: str | None = None
    reason: str = ""

    @property
    def ended(self) -> bool:
        return self.state in FINAL_WORDS

    def line(self) -> str:
        """One plain line: ``RUN_ID CLUSTER STATE`` and what the state needs said."""
        text = f"{self.run_id} {self.cluster} {self.state}"
        if self.state == "running" and self.step is not None:
            text += f" step {self.step}/{self.steps}"
        if self.state == "awaiting approval" and self.review_sha256:
            text += (
                f" sha256 {self.review_sha256}: psrunbook approve {self.run_id} "
                f"--sha256 {self.review_sha256}"
            )
        if self.reason:
            text += f" ({self.reason})"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "cluster": self.cluster,
            "state": self.state,
            "step": self.step,
            "steps": self.steps,
            "review_sha256": self.review_sha256,
            "reason": self.reason or None,
        }


class DecidedProgress:
    """A :class:`ProgressSource` whose statuses count the journal's decisions
    (:func:`with_decisions`): a run rejected while no worker runs ends the wait."""

    def __init__(self, source: ProgressSource, decided: Decided) -> None:
        self._source = source
        self._decided = decided

    def status(self, run_ids: Sequence[str]) -> Mapping[str, FleetStatus]:
        return with_decisions(self._source.status(run_ids), self._decided)

    def step_progress(self, run_id: str) -> tuple[int, int] | None:
        return self._source.step_progress(run_id)


def progress(source: ProgressSource, clusters: Mapping[str, str]) -> dict[str, RunProgress]:
    """Where each run (run id -> cluster) stands now."""
    statuses = source.status(list(clusters))
    found = {}
    for run_id, cluster in clusters.items():
        status = statuses.get(run_id)
        if status is None:  # enqueued by this command: the engine always knows it
            found[run_id] = RunProgress(run_id, cluster, "queued")
            continue
        state = "succeeded" if status.state == "finished" else status.state
        at = source.step_progress(run_id) if state == "running" else None
        found[run_id] = RunProgress(
            run_id,
            cluster,
            state,
            step=None if at is None else at[0],
            steps=None if at is None else at[1],
            review_sha256=status.review_sha256,
            reason=status.reason,
        )
    return found


def wait_for_runs(
    source: ProgressSource,
    clusters: Mapping[str, str],
    *,
    timeout: float | None,
    changed: Callable[[RunProgress], None],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, RunProgress]:
    """Until every run has ended, or ``timeout`` seconds: calls ``changed`` with each
    run's new state as it is seen, returns the last seen.

    The engine is asked again soon after a change and then less often (at most every
    :data:`POLL_MAX_S`): no busy wait, and a quick answer while runs move.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    seen: dict[str, RunProgress] = {}
    pause = POLL_FIRST_S
    while True:
        now = progress(source, clusters)
        moved = [p for run_id, p in now.items() if seen.get(run_id) != p]
        for run in moved:
            changed(run)
        seen = now
        if all(p.ended for p in now.values()):
            return now
        pause = POLL_FIRST_S if moved else min(pause * 2, POLL_MAX_S)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return now
            pause = min(pause, left)
        sleep(pause)
