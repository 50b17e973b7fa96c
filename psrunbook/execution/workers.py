"""Node workers that outlive one attempt: the next attempt reuses an idle thread.

The runner gives every attempt a thread of its own, so the calling thread only waits and
sees an interrupt at once (``orchestrator.Runner._attempt_all``). Starting a thread per
attempt cost a ``Thread.start`` (which waits until the new thread runs) for every step on
every node: on a one-node run at no latency, a tenth of psrunbook's own work per step.
Here a finished worker goes back to an idle list before it hands its result over, so
the caller's next attempt finds it; a worker still busy (a node that never answers, left
behind after an interrupt) is simply not idle, and a new thread serves the next attempt.

Workers are daemon threads, as before: a node that never answers cannot keep the process
alive. :meth:`Workers.close` ends the idle ones; a busy one ends when its attempt does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Delivery = Callable[[], None]
"""What a task hands back to run once its thread is idle again (usually: post the result)."""

Task = Callable[[], Delivery]


class Workers:
    """A pool of daemon threads without a bound: one per attempt running at the same time."""

    def __init__(self, name: str = "node") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Task | None]] = []
        self._closed = False
        self._started = 0

    def submit(self, task: Task, *, label: str) -> None:
        """Run ``task`` on an idle worker (or a new one) named ``NAME-LABEL`` meanwhile."""
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
            if inbox is None:
                self._started += 1
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(
                target=self._serve, args=(inbox,), name=f"{self._name}-{label}", daemon=True
            ).start()
        inbox.put(_Named(task, f"{self._name}-{label}"))

    @property
    def started(self) -> int:
        """How many threads this pool has started (for tests: reuse is observable)."""
        with self._lock:
            return self._started

    def close(self) -> None:
        """End the idle workers; a busy one ends after its task. Later tasks get new ones."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._closed = True
        for inbox in idle:
            inbox.put(None)

    def _serve(self, inbox: queue.SimpleQueue[Task | None]) -> None:
        while True:
            task = inbox.get()
            if task is None:
                return
            deliver = task()
            with self._lock:
                keep = not self._closed
                if keep:
                    self._idle.append(inbox)
            deliver()
            if not keep:
                return


class _Named:
    """A task that names its thread after the node it works for (``py-spy dump`` shows it)."""

    def __init__(self, task: Task, name: str) -> None:
        self._task = task
        self._name = name

    def __call__(self) -> Delivery:
        threading.current_thread().name = self._name
        return self._task()
