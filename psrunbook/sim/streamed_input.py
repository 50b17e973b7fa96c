"""Pipeline input that arrives while the pipeline already runs, as Windows streams it.

Windows starts a remote pipeline as soon as its CREATE_PIPELINE arrives: the server's
``ServerPowerShellDriver`` invokes the pipeline with an open ``PSDataCollection`` as its
input, adds every PIPELINE_INPUT object to it (``HandleInputReceived``) and completes it at
END_OF_PIPELINE_INPUT (``HandleInputEndReceived``); input for a pipeline created with
``NoInput`` is dropped (PowerShell/PowerShell, src/System.Management.Automation/engine/
remoting/server/ServerPowerShellDriver.cs). A command reading its input waits for the next
object or the end. So a ``begin`` block runs, and can fail, before the client has sent a
single object, and a script without a ``process`` block runs its ``end`` block at once,
its ``$input`` reading this collection as it fills (``DlrScriptCommandProcessor.Complete``:
"run with asynchronously updated $input enumerator").

The endpoint adds and completes under its shell's condition and wakes it; the pipeline's
worker thread reads. A stop asked by the client, or the shell's deletion, sets the
pipeline's stop event and wakes the same condition, so a reader never waits for input
that will not come.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

from psrunbook.sim.executor_protocol import PipelineStopped


class StreamedInput:
    """The input objects of one pipeline, in the order the client sent them."""

    def __init__(self, cond: threading.Condition, stop: threading.Event) -> None:
        self._cond = cond
        self._stop = stop
        self._items: deque[Any] = deque()
        self._complete = False

    def add(self, item: Any) -> None:
        """One PIPELINE_INPUT object; the caller holds the condition and wakes it."""
        if not self._complete:
            self._items.append(item)

    def complete(self) -> None:
        """END_OF_PIPELINE_INPUT: readers get what is left, then the end."""
        self._complete = True

    def __iter__(self) -> Iterator[Any]:
        """Each object as it arrives; raises :class:`PipelineStopped` if the run is stopped
        while it waits."""
        while True:
            with self._cond:
                while not self._items and not self._complete:
                    if self._stop.is_set():
                        raise PipelineStopped
                    self._cond.wait()
                if not self._items:
                    return
                item = self._items.popleft()
            yield item

    def remaining(self) -> list[Any]:
        """Every object not read yet, waiting for the end of the input."""
        return list(self)


class PendingInput:
    """``$input`` of an ``end`` block that reads streamed input: read when first used.

    Windows' ``$input`` there is an enumerator over the still-filling collection; the
    lab reads the rest of the input when the variable is first read (the
    :class:`~psrunbook.sim.ps.evaluator.Evaluator` swaps this for the list), so a
    script that never reads ``$input`` ends without waiting for it, as on Windows.
    UNVERIFIED difference: on Windows ``$input | ForEach-Object`` handles each object
    as it arrives; here the objects are all read first, so output can come later than
    Windows would send it, never in another order or number.
    """

    def __init__(self, source: StreamedInput) -> None:
        self._source = source
        self._read: list[Any] | None = None

    def read(self) -> list[Any]:
        if self._read is None:
            self._read = self._source.remaining()
        return self._read
