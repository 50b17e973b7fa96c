"""Client PSRP messages decoded once per distinct text, not once per node and pipeline.

A fan-out sends the same CreatePipeline (the step's script and its parameters, one
serialisation for every node) to every node, and every pool opens with the same
SessionCapability and InitRunspacePool. psrpcore turns each into a tree of PSObjects,
about a third of the simulator's CPU per node; the text is the same, so is the tree.

Only message types whose decoded object is read and never changed are kept (the pool
and its pipelines build their own objects from it: :meth:`PowerShell.FromPSObjectForRemoting`,
``from_psrp``), and never a message holding a SecureString: those decode with the
session key of the pool that received them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

MAX_MESSAGES = 128
"""Distinct message texts remembered: a run's steps and pool openings, many times over."""

MAX_MESSAGE_BYTES = 256 * 1024
"""A larger message is decoded every time: kept, it would hold memory for a rare repeat."""

_SECURE_STRING = b"<SS"


class DecodedMessages:
    """A bounded, thread-safe LRU of decoded messages keyed by (type, exact bytes)."""

    def __init__(
        self,
        cacheable: frozenset[int],
        *,
        size: int = MAX_MESSAGES,
        max_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self._cacheable = cacheable
        self._size = size
        self._max_bytes = max_bytes
        self._items: OrderedDict[tuple[int, bytes], Any] = OrderedDict()
        self._lock = threading.Lock()

    def cacheable(self, message_type: int, data: bytes | bytearray) -> bool:
        """Whether a message of this type and text may be shared by every pool receiving it."""
        return (
            message_type in self._cacheable
            and 0 < len(data) <= self._max_bytes
            and _SECURE_STRING not in data
        )

    def get(self, message_type: int, data: bytes | bytearray, decode: Callable[[], Any]) -> Any:
        """The decoded object for ``data``: remembered, or ``decode()`` now and remembered.

        The caller checks :meth:`cacheable` first; the object returned is shared, so its
        readers must not change it.
        """
        key = (message_type, bytes(data))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        decoded = decode()
        with self._lock:
            self._items[key] = decoded
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return decoded

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
