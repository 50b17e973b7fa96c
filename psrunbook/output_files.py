"""Writing the files an operator names with ``-o``/``--output`` safely.

``plan -o FILE``, ``runs report -o FILE`` and ``sim serve --inventory-out FILE`` write one
file the operator named. The target is checked before the command does anything else
(:func:`check_output_file`), so a path that cannot be written is refused before a plan
runs, a journal row is written or a port is opened, and checked again when it is written
(:func:`write_output_file`):

- its folder must exist, be a directory and be writable (nothing is created for it);
- the target must be absent, or a regular file that is writable: a directory, a symbolic
  link, a FIFO, a socket or a device is never written through, nor replaced by a file
  (``-o /dev/null`` or a link to a reviewed file is refused, not overwritten).

The file is written to a temporary sibling and renamed into place, so nobody ever reads
half of it, and a failed write leaves the target as it was. A replaced file keeps its
permission bits. Each caller turns :class:`OutputRefused` into its own error that names
the option; the reason says what is wrong and the fix.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from psrunbook.input_files import file_kind

__all__ = ["OutputRefused", "check_output_file", "write_output_file"]


class OutputRefused(Exception):
    """The path cannot be written as a file; ``reason`` says why and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_folder(folder: Path) -> None:
    try:
        info = folder.stat()
    except FileNotFoundError:
        raise OutputRefused(
            f"its folder {folder} does not exist; create it first, or give a path in an "
            "existing folder"
        ) from None
    except NotADirectoryError:
        raise OutputRefused(f"its folder {folder} is not a directory; give another path") from None
    except OSError as exc:
        raise OutputRefused(
            f"its folder {folder} cannot be used ({exc.strerror or exc}); give another path"
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        kind = file_kind(info.st_mode)
        raise OutputRefused(f"its folder {folder} is {kind}, not a directory; give another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputRefused(
            f"its folder {folder} is not writable; make it writable or give another path"
        )


def _existing_mode(path: Path) -> int | None:
    """The permission bits of the regular file at ``path``; None when there is none."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputRefused(f"cannot be used ({exc.strerror or exc}); give another path") from None
    if stat.S_ISLNK(info.st_mode):
        raise OutputRefused(
            "is a symbolic link; psrunbook never writes through a link nor replaces one: "
            "give the path of a new file, or of the regular file itself"
        )
    if stat.S_ISDIR(info.st_mode):
        raise OutputRefused("is a directory; give a file path (a new file, or one to replace)")
    if not stat.S_ISREG(info.st_mode):
        raise OutputRefused(
            f"is {file_kind(info.st_mode)}, not a regular file; psrunbook writes only a new "
            "file or replaces a regular one: give another path"
        )
    if not os.access(path, os.W_OK):
        raise OutputRefused("is read-only; make it writable or give another path")
    return stat.S_IMODE(info.st_mode)


def check_output_file(path: Path) -> None:
    """Refuse (:class:`OutputRefused`) unless ``path`` can be written as a regular file."""
    _check_folder(path.parent)
    _existing_mode(path)


def write_output_file(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Write ``data`` to ``path`` all at once: a temporary sibling renamed into place.

    A new file is created with ``mode`` (less the umask); a replaced one keeps its own.
    Raises :class:`OutputRefused` for a path :func:`check_output_file` refuses and
    ``OSError`` when the write itself fails (a full disk); the target is then unchanged.
    """
    _check_folder(path.parent)
    existing = _existing_mode(path)
    # A short name of its own: the target's name may already be as long as a name can be.
    temporary = path.parent / f".psrunbook-{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            if existing is not None:
                os.fchmod(out.fileno(), existing)
        _existing_mode(path)  # not swapped for a link or a device meanwhile
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
