"""The one seam between psrunbook and a durable-execution engine.

Everything a fleet needs from the engine is here, in psrunbook's own words, so that
another engine (Temporal, say) could be adapted by writing one module beside
:mod:`psrunbook.fleet.dbos_engine`:

* from the operator's side (:class:`Engine`): start a run (queue it, behind an approval
  when asked), deliver a reviewer's decision, cancel a run, say where each run stands;
* from inside a run (:class:`Durable`): execute a step (checkpointed: once its result is
  recorded it is never executed again, and a step interrupted by a crash is executed
  again after recovery), wait for an approval, report an event;
* a worker (:class:`Worker`) that executes queued runs until told to stop.

What a run *does* is not the engine's business: :func:`psrunbook.fleet.body.run_body`
is the body every engine executes, and it reaches the nodes only through
:class:`~psrunbook.fleet.work.FleetWork`, that is through the run session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeVar

import msgspec

from psrunbook.fleet.spec import Decision, FleetStatus, RunSpec, RunState

T = TypeVar("T")
StopReason = Literal["cancelled", "superseded", "failed"]


class Durable(Protocol):
    """What the body of one run may ask of the engine while the run executes."""

    def step(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        """Execute ``fn(*args)`` as one checkpointed step and return its (JSON) result.

        At least once: a step whose result was recorded is replayed from the record; a
        step a crash interrupted runs again, so ``fn`` must be safe to repeat.
        """
        ...

    def wait_decision(self) -> Decision:
        """Wait, durably (a worker may restart meanwhile), for a reviewer's decision."""
        ...

    def report(self, state: RunState, **details: str) -> None:
        """Make the run's state (and details such as the hash to approve) visible."""
        ...

    def why_stopped(self, error: BaseException) -> StopReason:
        """What ``error``, raised out of a step or a wait, means for the run.

        ``cancelled``: an operator cancelled it; ``superseded``: another execution of the
        run (after a recovery) owns it now and this one must leave it alone; ``failed``:
        anything else.
        """
        ...


class Engine(Protocol):
    """The operator's side: queue runs, decide approvals, cancel, ask for status."""

    def start(self, spec: RunSpec) -> None:
        """Queue a run; with ``spec.require_approval`` it first waits for a decision."""
        ...

    def decide(self, run_id: str, decision: Decision) -> None:
        """Deliver a reviewer's decision to a run awaiting approval."""
        ...

    def cancel(self, run_id: str) -> None:
        """Stop a queued run, or a running one at its next step boundary."""
        ...

    def status(self, run_ids: Sequence[str]) -> Mapping[str, FleetStatus]:
        """Where each run stands; runs the engine never saw are left out."""
        ...

    def close(self) -> None: ...


class WorkerOptions(msgspec.Struct, frozen=True):
    """How one worker process behaves; see ``psrunbook worker --help``."""

    worker_id: str
    """Stable across restarts: a restarted worker recovers the runs it was executing."""
    concurrency: int = 4
    """Runs executed at once by each worker."""
    fleet_cap: int | None = None
    """Runs executed at once by all workers together (None: no cap beyond one per cluster)."""
    recover_from: tuple[str, ...] = ()
    """Other workers, known to be gone, whose runs this worker takes over at start."""
    takeover_after_s: float = 120.0
    """A worker silent this long is presumed gone and its runs are taken over (0: never)."""
    heartbeat_s: float = 5.0


class Worker(Protocol):
    """A running worker; :meth:`serve` returns once ``stop`` is set and runs are paused."""

    def serve(self, stop: threading.Event, serving: Callable[[], None] = ...) -> None:
        """Serve until ``stop``; ``serving`` is called once the worker has started (a
        worker refused at start, e.g. beside a live one of its id, never calls it)."""
        ...


RunBody = Callable[[Durable, RunSpec], str]
"""The body every engine executes for one run: returns the run's final state."""
