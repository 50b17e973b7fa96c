"""``System.Diagnostics.Stopwatch``: ``$sw = [Diagnostics.Stopwatch]::StartNew(); ...;
$sw.Elapsed.TotalSeconds``, the way scripts time a wait.

As .NET Framework 4.8 has it: ``StartNew()``, ``new()`` and ``New-Object`` (stopped),
``Start``, ``Stop``, ``Reset``, ``Restart``; ``Elapsed`` (a TimeSpan),
``ElapsedMilliseconds`` (Int64) and ``IsRunning`` are read when asked. The time is the
node's clock (:mod:`psrunbook.sim.ps.node_clock`), so a ``Start-Sleep`` the lab did not
really wait still counts, as on Windows. ``ElapsedTicks``, ``Frequency`` and
``IsHighResolution`` depend on the machine's timer (Stopwatch ticks, not TimeSpan
ticks) and are refused by name.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from psrunbook.sim.date_wire import ticks_of
from psrunbook.sim.objects import PartialObject, PSHashtable, PSInt64, PSObject
from psrunbook.sim.ps.timespan_values import timespan_value
from psrunbook.sim.ps.values import NOTHING, AutomationNull

STOPWATCH = "System.Diagnostics.Stopwatch"
_UNMODELLED = frozenset(("elapsedticks", "gethashcode"))


def is_stopwatch_type(name: str) -> bool:
    """Whether ``name`` names System.Diagnostics.Stopwatch (``System.`` optional)."""
    return "".join(name.split()).casefold().removeprefix("system.") == "diagnostics.stopwatch"


def new_stopwatch(now: Callable[[], datetime.datetime], *, running: bool) -> PSObject:
    """A Stopwatch reading ``now`` (the node's clock), started when ``running``."""
    elapsed = 0
    started: int | None = ticks_of(now()) if running else None

    def total() -> int:
        return elapsed + (ticks_of(now()) - started if started is not None else 0)

    def start() -> AutomationNull:
        nonlocal started
        if started is None:
            started = ticks_of(now())
        return NOTHING

    def stop() -> AutomationNull:
        nonlocal elapsed, started
        if started is not None:
            elapsed, started = total(), None
        return NOTHING

    def reset() -> AutomationNull:
        nonlocal elapsed, started
        elapsed, started = 0, None
        return NOTHING

    def restart() -> AutomationNull:
        nonlocal elapsed, started
        elapsed, started = 0, ticks_of(now())
        return NOTHING

    return PartialObject(
        (STOPWATCH, "System.Object"),
        PSHashtable(),
        to_string=STOPWATCH,
        methods={
            "get_Elapsed": lambda: timespan_value(total()),
            "get_ElapsedMilliseconds": lambda: PSInt64(total() // 10_000),
            "get_IsRunning": lambda: started is not None,
            "Start": start,
            "Stop": stop,
            "Reset": reset,
            "Restart": restart,
        },
        shown_as="[Diagnostics.Stopwatch]",
        unmodelled=_UNMODELLED,
    )
