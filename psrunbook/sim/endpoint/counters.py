"""What one endpoint has served, counted for tests and benchmarks.

A benchmark or test takes a :class:`CounterSnapshot` before and after an operation and
subtracts: how many WSMan requests of each action, pipelines and shells it cost.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from types import MappingProxyType

import msgspec


class CounterSnapshot(msgspec.Struct):
    """The counters at one moment; subtract two snapshots to measure an operation.

    ``requests`` counts WSMan requests by action; an action never seen counts 0.
    """

    requests: MappingProxyType[str, int]
    pipelines_created: int
    shells_created: int
    shells_open: int

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


@dataclass
class EndpointCounters:
    """What one endpoint has served, for tests and benchmarks."""

    _lock: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _requests: Counter[str] = field(default_factory=Counter)
    _pipelines_created: int = 0
    _shells_created: int = 0
    _shells_open: int = 0
    _delayed_requests: int = 0
    _injected_latency_s: float = 0.0
    _receives_waiting: int = 0
    _idle_disconnects: int = 0

    def count_request(self, action: str) -> None:
        with self._lock:
            self._requests[action] += 1

    def pipeline_created(self) -> None:
        with self._lock:
            self._pipelines_created += 1
            self._lock.notify_all()

    def wait_for_pipelines(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` pipelines have been created here; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._pipelines_created >= count, timeout)

    def shell_opened(self) -> None:
        with self._lock:
            self._shells_created += 1
            self._shells_open += 1

    def shell_closed(self) -> None:
        with self._lock:
            self._shells_open -= 1
            self._lock.notify_all()

    def latency_injected(self, seconds: float) -> None:
        """One request is now held ``seconds`` by the endpoint's injected latency."""
        with self._lock:
            self._delayed_requests += 1
            self._injected_latency_s += seconds
            self._lock.notify_all()

    def wait_for_delayed(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` requests have been held by the latency; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._delayed_requests >= count, timeout)

    def receive_waiting(self, change: int) -> None:
        """A Receive starts (+1) or stops (-1) waiting for output on a PowerShell shell."""
        with self._lock:
            self._receives_waiting += change
            self._lock.notify_all()

    def wait_for_waiting_receives(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` Receives wait for output at once; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._receives_waiting >= count, timeout)

    def shell_disconnected_idle(self) -> None:
        """A shell idle for its IdleTimeOut was disconnected (not yet deleted)."""
        with self._lock:
            self._idle_disconnects += 1
            self._lock.notify_all()

    def wait_for_idle_disconnects(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` shells have been disconnected for idleness; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._idle_disconnects >= count, timeout)

    def wait_for_open_shells(self, count: int, timeout: float) -> bool:
        """Wait until at most ``count`` shells are open; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._shells_open <= count, timeout)

    @property
    def delayed_requests(self) -> int:
        """Requests held by the injected latency (``SimEndpoint.latency_s``)."""
        with self._lock:
            return self._delayed_requests

    @property
    def injected_latency_s(self) -> float:
        """Seconds of injected latency the endpoint has added, over all requests."""
        with self._lock:
            return self._injected_latency_s

    def snapshot(self) -> CounterSnapshot:
        with self._lock:
            return CounterSnapshot(
                requests=MappingProxyType(Counter(self._requests)),
                pipelines_created=self._pipelines_created,
                shells_created=self._shells_created,
                shells_open=self._shells_open,
            )

    @property
    def shells_open(self) -> int:
        with self._lock:
            return self._shells_open

    @property
    def pipelines_created(self) -> int:
        with self._lock:
            return self._pipelines_created

    def requests(self, action: str | None = None) -> int:
        """Requests served for one action, or for all actions."""
        with self._lock:
            if action is None:
                return sum(self._requests.values())
            return self._requests[action]
