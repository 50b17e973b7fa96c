"""Holds in a fleet: the engine's partition per cluster is the hold.

A local run holds its run and its cluster in the journal for as long as its process
lives (:mod:`psrunbook.holds`), and a hold left by a dead process on another host needs
an operator to break it. A fleet run outlives the process executing it: it is queued
before any worker has it, and continues on another worker after a crash. So the fleet
does not hold runs process by process; the durable engine's queue admits one changing
run per cluster at a time, fleet-wide, and keeps that cluster's place while a crashed
run waits for recovery. :class:`PartitionHolds` is the
:class:`~psrunbook.holds.HoldStore` a fleet passes to the run session for that reason:
it grants every hold and records none.
"""

from __future__ import annotations

from collections.abc import Sequence

from psrunbook.holds import Holder


class PartitionHolds:
    """A HoldStore that grants everything: the fleet's queue partition serialises runs."""

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
