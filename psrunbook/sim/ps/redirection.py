"""Redirections (about_Redirection, 5.1): where a command's streams go instead.

``n>&1`` merges stream n (2 error, 3 warning, 4 verbose, 5 debug, 6 information, ``*``
all of them) into the command's output as the record objects themselves, so
``$r = cmd 2>&1`` holds ErrorRecords and a client receives them in the output stream;
``n>$null`` discards stream n; ``n> file`` / ``n>> file`` write it to a file as text
(the evaluator does the writing with the node's own file cmdlets). Windows PowerShell
5.1 merges only into the success stream (``n>&1``); any other merge is refused.

tree-sitter reads ``2>$null`` (no space) as a bare word; :func:`glued` recognises it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from psrunbook.sim.executor_protocol import InformationRecordValue, StreamRecord
from psrunbook.sim.objects import ErrorRecordData, ProgressData
from psrunbook.sim.ps import records

GLUED = re.compile(r"^([1-6*]?)(>>?)(.+)$", re.DOTALL)
"""``2>$null``, ``>$null``, ``3>>log.txt`` as one bare word."""

MERGE = re.compile(r"^([2-6*])>&1$")
STREAMS = ("1", "2", "3", "4", "5", "6")


class Redirection(msgspec.Struct, frozen=True):
    """One redirection of a command: ``stream`` to ``target`` (output, null or file)."""

    stream: str
    target: str
    """``output`` (merged into stream 1), ``null`` or ``file``."""
    path: Any = None
    append: bool = False


def glued(text: str) -> tuple[str, bool, str] | None:
    """``(stream, append, rest)`` for a bare word that is a redirection, else None."""
    match = GLUED.match(text)
    if match is None:
        return None
    return match.group(1) or "1", match.group(2) == ">>", match.group(3)


def streams_of(stream: str) -> tuple[str, ...]:
    return STREAMS if stream == "*" else (stream,)


Write = Callable[[Any], None]


class Routes:
    """Where each stream of one redirected command goes; None keeps it on its stream."""

    def __init__(self, output: Write, routes: dict[str, Write | None]) -> None:
        self.output = output
        self._routes = routes

    def of(self, stream: str) -> Write | None:
        return self._routes.get(stream)


class _Sink:
    """The evaluator's Sink seen through one command's redirections."""

    def __init__(self, inner: Any, routes: Routes) -> None:
        self._inner = inner
        self._routes = routes

    def error(self, record: ErrorRecordData) -> None:
        route = self._routes.of("2")
        if route is None:
            self._inner.error(record)
        else:
            route(records.error_record_object(record))

    def warning(self, message: str) -> None:
        self._send("3", StreamRecord("Warning", message), lambda: self._inner.warning(message))

    def verbose(self, message: str) -> None:
        self._send("4", StreamRecord("Verbose", message), lambda: self._inner.verbose(message))

    def debug(self, message: str) -> None:
        self._send("5", StreamRecord("Debug", message), lambda: self._inner.debug(message))

    def information(self, value: Any) -> None:
        self._send("6", InformationRecordValue(value), lambda: self._inner.information(value))

    def progress(self, record: ProgressData) -> None:
        self._inner.progress(record)  # not redirectable

    def _send(self, stream: str, record: Any, keep: Callable[[], None]) -> None:
        route = self._routes.of(stream)
        if route is None:
            keep()
        else:
            route(record)


def redirected_sink(inner: Any, routes: Routes) -> Any:
    """``inner`` (a Sink) with the streams ``routes`` claims sent there instead."""
    return _Sink(inner, routes)


def drop(_: Any) -> None:
    """The ``$null`` target."""
