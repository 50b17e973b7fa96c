"""WSMan message ids (random UUIDs) drawn from the OS's random source a batch at a time.

Every WSMan message carries a fresh ``uuid4`` as its MessageID: nine a node in a
three-step run. ``uuid.uuid4`` asks the kernel for 16 bytes each time (``getrandom``),
and CPython lets go of the interpreter lock around that call: with 64 node threads
waiting for the lock, each id was a hand-off to another thread and back, two context
switches for 16 bytes (issue 16). Here one ``os.urandom`` call serves
:data:`_BATCH` ids; the bytes are the same kind (the kernel's CSPRNG), and each id is
used once. A forked child never reuses its parent's unread bytes: the buffer is dropped
in the child.
"""

from __future__ import annotations

import os
import threading
import uuid

_BATCH = 256
"""Ids per ``os.urandom`` call (4 kB): a 64-node run uses about 600."""


class _RandomIds:
    """Version 4 UUIDs from buffered OS randomness; thread safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def next(self) -> uuid.UUID:
        while True:
            with self._lock:
                offset = self._offset
                if offset < len(self._buffer):
                    self._offset = offset + 16
                    chunk = self._buffer[offset : offset + 16]
                    break
            # Read outside the lock: the read lets go of the interpreter lock, and the
            # other threads must not queue behind it. Of several threads that found the
            # buffer empty at once, the first to come back puts its bytes in; the others'
            # are dropped unused.
            fresh = os.urandom(16 * _BATCH)
            with self._lock:
                if self._offset >= len(self._buffer):
                    self._buffer, self._offset = fresh, 0
        return uuid.UUID(bytes=chunk, version=4)

    def forget(self) -> None:
        """Drop the unread bytes (in a forked child, which must not repeat its parent's)."""
        self._buffer = b""
        self._offset = 0
        self._lock = threading.Lock()


_ids = _RandomIds()
os.register_at_fork(after_in_child=_ids.forget)


def new_message_id() -> str:
    """A MessageID as pypsrp writes one: an upper-case random UUID."""
    return str(_ids.next()).upper()
