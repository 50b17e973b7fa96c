"""Holds in a fleet: a fleet run holds its run and its cluster in the shared journal.

One changing run per cluster, fleet-wide, whoever starts it: the engine's queue admits
one changing run per cluster partition at a time among fleet runs, and the journal's
holds (:mod:`psrunbook.holds`) keep a fleet run and a ``psrunbook run`` (or ``resume``)
by hand out of each other's way. Both paths take the same hold, ``cluster:<name>``, in
the same journal:

* a run by hand on a cluster a fleet run holds is refused (exit 2), naming the fleet
  run, its worker and host, and how to proceed (:func:`psrunbook.holds.held_message`);
* a worker whose run finds its cluster held by a run by hand leaves the run queued
  (:meth:`FleetHolds.wait`, one bounded wait per durable step, so a cancel is seen
  between two) until the hold is given back.

A fleet run's hold belongs to the run, not to the worker process: it is kept while a
crashed worker's run waits to be continued (never broken as stale), taken over by the
worker that continues it (:meth:`FleetHolds.keep`), and given back when the run ends
(:meth:`FleetHolds.release`), by whichever worker, or by ``cancel`` for a run no worker
executes. A run that changes nothing holds only its run id, never its cluster.

:class:`PartitionHolds` is the store ``submit``'s run session uses: recording a run
for the fleet holds nothing (the worker holds when it executes it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from psrunbook.holds import (
    Holder,
    HoldStore,
    cluster_resource,
    fleet_holder,
    held_message,
    run_resource,
    try_take,
)
from psrunbook.logging import get_logger

if TYPE_CHECKING:
    from psrunbook.fleet.spec import RunSpec

HOLD_WAIT_S = 5.0
"""Longest wait for a held cluster inside one durable step: a cancel is seen after it."""
BACKOFF_S = (0.1, 0.2, 0.5, 1.0, 2.0)
"""Pauses between two tries to take a held cluster: quick at first, then every 2 s."""


class PartitionHolds:
    """A HoldStore that grants everything: ``submit`` records a run, it does not hold it."""

    def try_hold(self, resources: Sequence[str], holder: Holder) -> dict[str, Holder]:
        return {}

    def release_holds(self, resources: Sequence[str], token: str) -> None:
        return None

    def holders(self, resources: Sequence[str]) -> dict[str, Holder]:
        return {}

    def break_hold(self, resource: str, token: str) -> bool:
        return False

    def holds_of(self, run_id: str) -> dict[str, Holder]:
        return {}


def fleet_resources(spec: RunSpec) -> list[str]:
    """What a fleet run holds: its run, and its cluster when it changes it."""
    resources = [run_resource(spec.run_id)]
    if spec.changes:
        resources.append(cluster_resource(spec.cluster))
    return resources


def release_run(store: HoldStore, run_id: str) -> None:
    """Give back every fleet hold of ``run_id`` (its holds are the run's, whoever took them)."""
    for resource, holder in store.holds_of(run_id).items():
        if holder.worker is not None:
            store.break_hold(resource, holder.token)


class FleetHolds:
    """The journal holds of the runs one worker executes; thread-safe."""

    def __init__(self, store: HoldStore, worker_id: str) -> None:
        self.store = store
        self.worker_id = worker_id
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def _take(self, spec: RunSpec) -> dict[str, Holder]:
        holder = fleet_holder(spec.run_id, self.worker_id, datetime.now(UTC))
        blocking = try_take(self.store, fleet_resources(spec), holder)
        if not blocking:
            with self._lock:
                self._held.add(spec.run_id)
        return blocking

    def wait(self, spec: RunSpec, timeout: float = HOLD_WAIT_S) -> str | None:
        """Hold the run (and its cluster), waiting at most ``timeout``: None once held,
        else who holds it, for the run's state."""
        deadline = time.monotonic() + timeout
        for pause in _pauses():
            blocking = self._take(spec)
            if not blocking:
                return None
            if time.monotonic() + pause > deadline:
                return f"waiting: {held_message(blocking)}"
            time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def keep(self, spec: RunSpec, *, runbook: str) -> None:
        """Make sure this worker holds the run it is about to continue.

        A worker continuing a run another one left (a restart, a takeover) takes its
        hold over; one whose hold an operator broke waits until it can hold again.
        """
        with self._lock:
            if spec.run_id in self._held:
                return
        told = False
        for pause in _pauses():
            blocking = self._take(spec)
            if not blocking:
                return
            if not told:
                told = True
                get_logger("psrunbook.fleet").warning(
                    "run.waiting",
                    action="run.waiting",
                    run_id=spec.run_id,
                    cluster=spec.cluster,
                    runbook=runbook,
                    reason=held_message(blocking),
                )
            time.sleep(pause)

    def release(self, run_id: str) -> None:
        """The run ended: give its holds back."""
        self.forget(run_id)
        release_run(self.store, run_id)

    def forget(self, run_id: str) -> None:
        """This worker no longer executes the run (it may continue elsewhere, still held)."""
        with self._lock:
            self._held.discard(run_id)


def _pauses() -> Iterator[float]:
    yield from BACKOFF_S
    while True:
        yield BACKOFF_S[-1]
