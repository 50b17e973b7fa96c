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

The store behind the holds is a small interface (:class:`HoldStore`): every journal
implements it (:class:`psrunbook.journal_model.RunJournal`), the local SQLite file and the
shared PostgreSQL database, where a hold is seen by every machine using that journal.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from psrunbook.errors import RunHeld
from psrunbook.logging import get_logger


@dataclass(frozen=True)
class Holder:
    """Who holds: the run, the host and process, since when, and a token only it knows."""

    run_id: str
    host: str
    pid: int
    since: datetime
    token: str

    def describe(self) -> str:
        since = self.since.isoformat(timespec="seconds").replace("+00:00", "Z")
        return f"pid {self.pid} on host {self.host} since {since} (run {self.run_id})"


class HoldStore(Protocol):
    """Where holds live. Every method is atomic on its own."""

    def try_hold(self, resources: Sequence[str], holder: Holder) -> dict[str, Holder]:
        """Take every resource for ``holder``, or none: returns the holders in the way."""
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
    """Provably dead: on this host, and no process has its pid any more."""
    return holder.host == this_host() and not process_exists(holder.pid)


@dataclass(frozen=True)
class RunHold:
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
    for _ in range(3):
        blocking = store.try_hold(resources, holder)
        if not blocking:
            return RunHold(store, tuple(resources), holder)
        live = {r: h for r, h in blocking.items() if not is_stale(h)}
        if live:
            raise RunHeld(_held_message(live))
        for resource, stale in blocking.items():
            if store.break_hold(resource, stale.token):
                get_logger("psrunbook.run").warning(
                    "hold.broken",
                    action="hold.broken",
                    run_id=run_id,
                    resource=resource,
                    reason=f"stale: held by {stale.describe()}, which no longer runs",
                )
    raise RunHeld(_held_message(store.holders(resources)))


def _held_message(blocking: dict[str, Holder]) -> str:
    resource, holder = sorted(blocking.items())[0]
    kind, _, name = resource.partition(":")
    what = f"run {name}" if kind == "run" else f"cluster {name}"
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
