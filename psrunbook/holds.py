"""Holds: a run, and the cluster it changes, are worked on by one process at a time.

Two processes resuming the same run would each apply every remaining step; two runs on
one cluster would interleave their changes. So before a run (or a resume, or a plan)
touches a node, its session takes a *hold* on the run and on the cluster, atomically
(all or none), and gives it back when the run ends. A second process is refused with
the holder named: host, process id and since when.

A process that dies (SIGKILL, a reboot) cannot give its hold back. A hold is *stale*
when its holder is on this host and its process no longer exists: that is checked, not
guessed, and such a hold is broken by the next process that needs it (logged as
``hold.broken``). A holder on another host cannot be checked from here;
``psrunbook runs unhold RUN_ID --holder-gone`` breaks it once the operator has made
sure that process is gone.

A fleet run (``psrunbook submit``) takes the same holds in the same journal, so a run by
hand and a fleet worker keep out of each other's way. Its hold belongs to the *run*, not
to the worker process: its token starts with :data:`FLEET_TOKEN` and names the worker, it
is never stale by pid (a worker that died leaves its run to be continued, still holding
its cluster), and the worker that continues the run takes the hold over
(:func:`replaces`). A run that changes nothing holds no cluster.

The store behind the holds is a small interface (:class:`HoldStore`): every journal
implements it (:class:`psrunbook.journal_model.RunJournal`), the local SQLite file and the
shared PostgreSQL database, where a hold is seen by every machine using that journal.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import msgspec

from psrunbook.errors import RunHeld
from psrunbook.logging import get_logger


class Holder(msgspec.Struct, frozen=True):
    """Who holds: the run, the host and process, since when, and a token only it knows."""

    run_id: str
    host: str
    pid: int
    since: datetime
    token: str

    @property
    def worker(self) -> str | None:
        """The fleet worker holding for a fleet run (None: a process's own hold)."""
        if not self.token.startswith(FLEET_TOKEN):
            return None
        return self.token.removeprefix(FLEET_TOKEN).rpartition(":")[0]

    def describe(self) -> str:
        since = self.since.isoformat(timespec="seconds").replace("+00:00", "Z")
        if self.worker is not None:
            return (
                f"fleet run {self.run_id} on worker {self.worker} "
                f"(pid {self.pid} on host {self.host}) since {since}"
            )
        return f"pid {self.pid} on host {self.host} since {since} (run {self.run_id})"


FLEET_TOKEN = "fleet:"  # noqa: S105 (a prefix, not a secret)
"""Prefix of a fleet run's hold token: ``fleet:<worker id>:<random>``."""


def fleet_holder(run_id: str, worker_id: str, now: datetime) -> Holder:
    """A hold for fleet run ``run_id``, taken by this worker process."""
    token = f"{FLEET_TOKEN}{worker_id}:{secrets.token_hex(16)}"
    return Holder(run_id=run_id, host=this_host(), pid=os.getpid(), since=now, token=token)


def replaces(new: Holder, old: Holder) -> bool:
    """True when ``new`` takes ``old``'s place rather than being refused by it: both hold
    for the same fleet run (a worker continuing a run another worker left)."""
    return new.run_id == old.run_id and new.worker is not None and old.worker is not None


class HoldStore(Protocol):
    """Where holds live. Every method is atomic on its own."""

    def try_hold(self, resources: Sequence[str], holder: Holder) -> dict[str, Holder]:
        """Take every resource for ``holder``, or none: returns the holders in the way.

        A hold that ``holder`` :func:`replaces` is not in the way: it is taken over.
        """
        ...

    def release_holds(self, resources: Sequence[str], token: str) -> None:
        """Give back the resources held with ``token`` (others' holds are left alone)."""
        ...

    def holders(self, resources: Sequence[str]) -> dict[str, Holder]:
        """The current holder of each resource that is held."""
        ...

    def break_hold(self, resource: str, token: str) -> bool:
        """Remove the hold on ``resource`` if it is still the one with ``token``."""
        ...

    def holds_of(self, run_id: str) -> dict[str, Holder]:
        """Every hold taken for ``run_id``, by resource."""
        ...


def run_resource(run_id: str) -> str:
    return f"run:{run_id}"


def cluster_resource(cluster: str) -> str:
    """Cluster names are NetBIOS/DNS names: compared without case."""
    return f"cluster:{cluster.casefold()}"


def this_host() -> str:
    return socket.gethostname()


def process_exists(pid: int) -> bool:
    """True when a process with ``pid`` exists on this host (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(holder: Holder) -> bool:
    """Provably dead: on this host, and no process has its pid any more.

    A fleet run's hold is never stale: the run outlives the worker, and holds its cluster
    until a worker continues it or it is cancelled."""
    if holder.worker is not None:
        return False
    return holder.host == this_host() and not process_exists(holder.pid)


class RunHold(msgspec.Struct, frozen=True):
    """A hold this process took; give it back with :meth:`release`."""

    store: HoldStore
    resources: tuple[str, ...]
    holder: Holder

    def release(self) -> None:
        self.store.release_holds(self.resources, self.holder.token)


def take_hold(store: HoldStore, resources: Sequence[str], *, run_id: str, now: datetime) -> RunHold:
    """Hold every resource for this process, breaking only holds proven stale, or refuse."""
    holder = Holder(
        run_id=run_id, host=this_host(), pid=os.getpid(), since=now, token=secrets.token_hex(16)
    )
    live = try_take(store, resources, holder)
    if live:
        raise RunHeld(held_message(live))
    return RunHold(store, tuple(resources), holder)


def try_take(store: HoldStore, resources: Sequence[str], holder: Holder) -> dict[str, Holder]:
    """Hold every resource for ``holder``, breaking holds proven stale (logged as
    ``hold.broken``); returns the live holders in the way ({} once held)."""
    for _ in range(3):
        blocking = store.try_hold(resources, holder)
        if not blocking:
            return {}
        live = {r: h for r, h in blocking.items() if not is_stale(h)}
        if live:
            return live
        for resource, stale in blocking.items():
            if store.break_hold(resource, stale.token):
                get_logger("psrunbook.run").warning(
                    "hold.broken",
                    action="hold.broken",
                    run_id=holder.run_id,
                    resource=resource,
                    reason=f"stale: held by {stale.describe()}, which no longer runs",
                )
    return store.try_hold(resources, holder)  # stale holds keep coming back: name them


def held_message(blocking: dict[str, Holder]) -> str:
    """Who holds what, and what the operator can do about it."""
    resource, holder = sorted(blocking.items())[0]
    kind, _, name = resource.partition(":")
    what = f"run {name}" if kind == "run" else f"cluster {name}"
    if holder.worker is not None:
        return (
            f"{what} is held by a fleet worker: {holder.describe()}; wait for that run to "
            f"end (`psrunbook runs show {holder.run_id}`), or stop it at its next step "
            f"with `psrunbook cancel {holder.run_id}`, then try again"
        )
    return (
        f"{what} is held by another psrunbook process: {holder.describe()}; wait for it to "
        f"finish. If that process is gone (killed, or its host is down), `psrunbook runs "
        f"unhold {holder.run_id}` breaks the hold once it has checked that pid {holder.pid} "
        f"no longer runs on {holder.host} (on another host, check yourself and add "
        "--holder-gone)"
    )


def break_run_holds(store: HoldStore, run_id: str, *, holder_gone: bool) -> list[str]:
    """Break the holds of ``run_id``'s process after checking it is gone; returns what was broken.

    On this host the process is checked; on another host only ``holder_gone`` (the
    operator's word) allows it. A live holder is never broken.
    """
    mine = store.holds_of(run_id)
    broken = []
    for resource, holder in sorted(mine.items()):
        if holder.host == this_host():
            if process_exists(holder.pid):
                raise RunHeld(
                    f"{resource} is held by {holder.describe()}, which is still running; "
                    "stop that process (Ctrl-C records what finished) instead of breaking its hold"
                )
        elif not holder_gone:
            raise RunHeld(
                f"{resource} is held by {holder.describe()}, on another host: psrunbook cannot "
                f"check that process from here. Make sure it is gone, then add --holder-gone"
            )
        if store.break_hold(resource, holder.token):
            broken.append(resource)
    return broken
