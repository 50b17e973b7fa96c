"""The body of a fleet run, the same whatever durable engine executes it.

Two bodies: :func:`gate_body` waits for a reviewer's decision on a run submitted with
``--require-approval``; :func:`run_body` executes a run step by step. Each runbook step
is one durable step, so a run cancelled while a step executes stops when that step ends
(the engine refuses to start the next one), and a run whose worker died continues, on
recovery, with the step that was interrupted: re-checked first, never blindly re-applied
(:meth:`~psrunbook.fleet.work.FleetWork.execute_step`).
"""

from __future__ import annotations

import threading
from typing import Literal

from msgspec.structs import replace

from psrunbook.fleet.engine import Durable
from psrunbook.fleet.spec import RunSpec, RunState
from psrunbook.fleet.work import FleetWork, ended_elsewhere

GateOutcome = Literal["approved", "rejected", "ended"]


class Pause:
    """Lets a worker stop between two steps: runs then wait, unfinished, for recovery."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self._busy = 0
        self._idle = threading.Condition()

    def step(self) -> _Busy:
        return _Busy(self)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no step executes (or ``timeout``); True when none does."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


class _Busy:
    def __init__(self, pause: Pause) -> None:
        self._pause = pause

    def __enter__(self) -> None:
        pause = self._pause
        with pause._idle:
            if pause.requested.is_set():
                # Stopping: this run waits here, unfinished, until the process exits.
                pause._idle.wait_for(lambda: False)
            pause._busy += 1

    def __exit__(self, *exc: object) -> None:
        pause = self._pause
        with pause._idle:
            pause._busy -= 1
            pause._idle.notify_all()


def gate_body(durable: Durable, spec: RunSpec, work: FleetWork) -> tuple[GateOutcome, str | None]:
    """Wait for approval of exactly what the run would execute, or for its rejection.

    Returns the outcome and, when approved, the approved manifest sha256.
    """
    try:
        durable.report("awaiting approval", review_sha256=spec.review_sha256 or "")
        decision = durable.wait_decision()
        durable.step("decision", work.log_decision, spec, decision)
        if _ended(durable, spec, work) is not None:
            return "ended", None
        problem = (
            durable.step("check approval", work.check_hash, spec, decision.sha256)
            if decision.verdict == "approve"
            else decision.reason or "rejected"
        )
        if problem is not None:
            if decision.verdict == "approve":
                durable.step("refuse", work.refuse, spec, problem)
            else:
                durable.step("finish", work.finish, spec, "failed")
            durable.report("rejected", reason=problem, decided_by=decision.by)
            return "rejected", None
        work.release(spec.run_id)
        durable.report(
            "queued",
            review_sha256=decision.sha256 or "",
            approved_by=decision.by,
            approved_at=decision.at,
        )
        return "approved", decision.sha256
    except BaseException as exc:
        _stopped(durable, spec, work, exc)
        raise


def approved(spec: RunSpec, sha256: str) -> RunSpec:
    """The spec of an approved run: the worker executes that hash or nothing."""
    return replace(spec, approved_sha256=sha256)


def run_body(durable: Durable, spec: RunSpec, work: FleetWork, pause: Pause) -> str:
    """Execute the run one durable step per runbook step; returns its final state."""
    # Each execution (the first, a recovery) starts from the journal: what this process
    # kept of an earlier execution of the run (one superseded by a takeover) is stale.
    work.release(spec.run_id)
    try:
        durable.report("running")
        if spec.approved_sha256 is not None:
            ended = _ended(durable, spec, work)  # before it is planned again for the check
            if ended is not None:
                return ended
            problem = durable.step("check approval", work.check_hash, spec, spec.approved_sha256)
            if problem is not None:
                durable.step("refuse", work.refuse, spec, problem)
                durable.report("rejected", reason=problem)
                return "rejected"
        held_by = durable.step("hold", work.hold, spec)
        while held_by is not None:  # a run by hand changes the cluster: stay queued
            durable.report("queued", reason=held_by)
            held_by = durable.step("hold", work.hold, spec)
            if held_by is None:
                durable.report("running")
        # Held: nobody else executes the run now. Ended meanwhile (a resume by hand that
        # held it while this worker waited)? Then it stays as it ended.
        ended = _ended(durable, spec, work)
        if ended is not None:
            return ended
        # Not a durable step: every worker taking the run up holds it.
        work.holds.keep(spec, runbook=work.runbook_of(spec))
        failed = False
        for index in durable.step("plan", work.step_indices, spec):
            with pause.step():
                summary = durable.step(f"step {index}", work.execute_step, spec, index)
            if summary["failed"]:
                failed = True
                break
        durable.step("finish", work.finish, spec, "failed" if failed else "succeeded")
        durable.report("failed" if failed else "finished")
        return "failed" if failed else "finished"
    except BaseException as exc:
        _stopped(durable, spec, work, exc)
        raise


def _ended(durable: Durable, spec: RunSpec, work: FleetWork) -> str | None:
    """The state of a run the journal says ended outside the fleet, left as it ended
    (nothing executed, its outcome kept); None for a run still to execute."""
    outcome = durable.step("ended", work.ended, spec)
    if outcome is None:
        return None
    durable.step("leave ended", work.leave_ended, spec, outcome)
    state: RunState = "finished" if outcome == "succeeded" else "failed"
    durable.report(state, reason=ended_elsewhere(outcome))
    return state


def _stopped(durable: Durable, spec: RunSpec, work: FleetWork, exc: BaseException) -> None:
    """A cancelled run is journaled as interrupted, a failed one as failed; a run another
    execution now owns (it was recovered elsewhere) is only let go of."""
    reason = durable.why_stopped(exc)
    if reason == "cancelled":
        work.log_cancelled(spec)
        work.finish(spec, "interrupted")
    elif reason == "failed":
        work.finish(spec, "failed")
    else:
        work.release(spec.run_id)
