"""Reading the small files an operator names (inventory, parameters, bundle manifest) safely.

These files are read whole into memory and parsed, so a wrong path must not be able to
exhaust memory (``-i /dev/zero``), hang the command (a FIFO nobody writes to) or follow
a symbolic link out of a reviewed bundle. The file type is checked with ``os.stat``
before the file is opened, the open itself never blocks (``O_NONBLOCK``) and re-checks
the opened file, and at most ``limit + 1`` bytes are read. Each caller turns
:class:`InputFileRefused` into its own error that names the option and the fix.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Final

__all__ = ["MAX_INPUT_BYTES", "InputFileRefused", "read_input_file"]

MAX_INPUT_BYTES: Final = 1024 * 1024
"""Inventories and parameter files are a few kilobytes; 1 MiB leaves ample room."""

_KINDS: Final = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class InputFileRefused(Exception):
    """The file is not a regular file of an acceptable size; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words (``a FIFO (named pipe)``)."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _check(mode: int, size: int, limit: int) -> None:
    if not stat.S_ISREG(mode):
        raise InputFileRefused(f"is {file_kind(mode)}, not a regular file")
    if size > limit:
        raise InputFileRefused(f"is {size} bytes, more than the {limit} bytes allowed")


def read_input_file(path: Path, *, limit: int = MAX_INPUT_BYTES, follow: bool = True) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    Raises :class:`InputFileRefused` for anything else (and, with ``follow=False``, for a
    symbolic link), and ``OSError`` (``FileNotFoundError``, ``IsADirectoryError``,
    ``PermissionError``...) as the operating system reports it.
    """
    info = path.stat() if follow else path.lstat()
    if stat.S_ISDIR(info.st_mode):  # callers already explain a directory in their words
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    _check(info.st_mode, info.st_size, limit)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        opened = os.fstat(handle.fileno())  # the file may have been swapped since stat
        _check(opened.st_mode, opened.st_size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputFileRefused(f"is more than the {limit} bytes allowed")
    return data
