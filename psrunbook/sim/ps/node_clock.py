"""The clock a lab node's scripts read (``Get-Date``, ``[datetime]::Now``, ``New-TimeSpan``).

On Windows ``Start-Sleep -Seconds 30`` moves the clock 30 seconds on. The lab may wait
only a fraction of that (``time_scale``, which tests and ``sim serve --time-scale``
shrink): a script measuring a wait by ``Get-Date``, or polling until a deadline
(``while ((Get-Date) -lt $deadline) { Start-Sleep 1 }``), would then see less time go by
than Windows shows, and a timeout that fires on Windows would never fire in the lab. So
the time a sleep does not really wait is added to the clock: the node reads the real
time plus every second skipped so far, and ``time_scale`` only makes the lab faster,
never kinder. One clock per executor, so every node of a lab (time-synchronised in a
domain) and every pipeline on it sees the same time, as it only moves forward. A lab's
executor uses its cluster's (:class:`ModelClock`), which dates the lab's files, service
starts and boots by the same clock and keeps its lead with the saved lab.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable


class NodeClock:
    """Real UTC time plus the sleeps the lab skipped."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()

    def skip(self, seconds: float) -> None:
        """A sleep waited ``seconds`` less than it asked for: the clock moves on by them."""
        if seconds > 0:
            with self._lock:
                self._skipped += seconds

    def now(self) -> datetime.datetime:
        """The node's time now, UTC (the lab's nodes run on UTC)."""
        with self._lock:
            skipped = self._skipped
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=skipped)


class ModelClock(NodeClock):
    """A clock whose lead over real time a model keeps (a lab's cluster, which also dates
    its files and service starts by it, and saves it with the lab)."""

    def __init__(
        self, now: Callable[[], datetime.datetime], skip: Callable[[float], None]
    ) -> None:
        super().__init__()
        self._now = now
        self._skip = skip

    def skip(self, seconds: float) -> None:
        self._skip(seconds)

    def now(self) -> datetime.datetime:
        return self._now()

