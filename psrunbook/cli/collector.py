"""The garbage collector held off while a run starts, and its survivors frozen after.

Before a run's first step, psrunbook imports the engine, the runbooks, Jinja and (with
``--sim``) the simulator, builds the plan and opens the lab: a few hundred thousand
objects that almost all live until the process ends. The collector's youngest generation
swept them whenever 50,000 had piled up (:data:`YOUNG_GC_THRESHOLD`), and the first sweeps
during the steps walked them once more: three sweeps of 15 to 30 ms in ``run --sim``,
one of them during the steps once start-up is frozen (issue 16).

:func:`collector_held_off` turns the collector off for that start-up; when the steps are
about to start, ``resume()`` moves every object alive then into the permanent generation
(:func:`gc.freeze`, one list splice) and turns the collector back on, so the steps' own
garbage is collected as before and start-up objects are never walked again. The cost is
that a reference cycle made garbage during start-up stays until the command ends. When the
block ends, the frozen objects are given back to the oldest generation
(:func:`gc.unfreeze`), so a caller in Python (a test, an embedding program) keeps
collecting them; the console script freezes everything again as it finishes anyway.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

YOUNG_GC_THRESHOLD = 50_000
"""Net allocations between collections of the youngest generation (CPython's default: 700)."""


def collect_young_less_often() -> None:
    """Collect the youngest generation every :data:`YOUNG_GC_THRESHOLD` net allocations.

    A command's start-up (imports, the plan, the embedded lab) allocates objects that all
    live on, and the default of 700 swept them over and over (issue 16: about 10 % of the
    CPU of ``run --sim``, for about 2 MiB more at its peak). Cycles are still collected;
    the older generations keep their thresholds.
    """
    gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])


@contextmanager
def collector_held_off() -> Iterator[Callable[[], None]]:
    """Hold the collector off until the returned ``resume()`` is called or the block ends.

    Nothing changes when the collector was already off (the caller's choice stands), and
    nothing is frozen when something else froze objects before (their owner unfreezes).
    """
    was_enabled = gc.isenabled()
    may_freeze = gc.get_freeze_count() == 0
    froze = False
    resumed = False

    def resume() -> None:
        nonlocal froze, resumed
        if resumed:
            return
        resumed = True
        if not was_enabled:
            return
        if may_freeze:
            gc.freeze()
            froze = True
        gc.enable()

    gc.disable()
    try:
        yield resume
    finally:
        if froze:
            gc.unfreeze()
        if was_enabled:
            gc.enable()
