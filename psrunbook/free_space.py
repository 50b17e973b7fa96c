"""Room in the state directory before a run starts: refuse a run that would run out of it.

A run writes to its state directory as it goes: the journal (SQLite in write-ahead mode,
whose log grows up to about 4 MiB before it is folded back), the embedded lab's
``sim/lab.json`` (written whole after every pipeline) and often the ``--log-file``. A
run that finds the disk full part way stops with a step's effect unknown on a node and
must be resumed once there is room. Most of those stops are avoidable: a run that would
start with almost no room left is refused before it journals or touches anything, with
the directory named, what is free, what is needed and how to change it.

The threshold is :data:`DEFAULT_MIN_FREE_MB` MiB of free space (and
:data:`MIN_FREE_FILES` free inodes, since a file system out of inodes refuses a new file
with the same ENOSPC), changed with ``PSRUNBOOK_MIN_FREE_MB`` (``0`` turns the check
off). The check is the first line of defence only: the journal, the log file and the
lab still handle a disk that fills during a run (see docs/reliability.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from psrunbook.errors import JournalError, ParameterError

MIN_FREE_ENV: Final = "PSRUNBOOK_MIN_FREE_MB"
DEFAULT_MIN_FREE_MB: Final = 64
"""A run of the shipped runbooks writes well under 1 MiB; the margin covers the journal's
write-ahead log at its largest, a long --log-file and every other process on the disk."""
MIN_FREE_FILES: Final = 64
_MAX_MIN_FREE_MB: Final = 1 << 20


def min_free_bytes() -> int:
    """The documented threshold, or the operator's ``PSRUNBOOK_MIN_FREE_MB``; 0 is off."""
    text = os.environ.get(MIN_FREE_ENV, "").strip()
    if not text:
        return DEFAULT_MIN_FREE_MB << 20
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = -1
    if not 0 <= megabytes <= _MAX_MIN_FREE_MB:
        raise ParameterError(
            f"{MIN_FREE_ENV} is {text!r}: give a whole number of MiB from 0 (no check) to "
            f"{_MAX_MIN_FREE_MB}, or unset it for the default of {DEFAULT_MIN_FREE_MB}"
        )
    return megabytes << 20


def ensure_room_for_run(state_dir: Path) -> None:
    """Refuse (exit 2) when the file system holding ``state_dir`` is nearly full.

    The directory may not exist yet (the journal creates it): its nearest existing parent
    is on the file system it will be created on.
    """
    needed = min_free_bytes()
    if needed == 0:
        return
    existing = _nearest_existing(state_dir)
    try:
        fs = os.statvfs(existing)
    except OSError:
        return  # the journal reports an unusable state directory with its own message
    free = fs.f_bavail * fs.f_frsize
    # f_files is 0 on file systems without an inode limit (btrfs, some network shares).
    files_free = fs.f_favail if fs.f_files else None
    short = []
    if free < needed:
        short.append(f"{_mib(free)} free, a run needs at least {_mib(needed)}")
    if files_free is not None and files_free < MIN_FREE_FILES:
        short.append(f"room for {files_free} more files, a run needs {MIN_FREE_FILES}")
    if not short:
        return
    raise JournalError(
        f"state directory {state_dir} is nearly full ({'; '.join(short)}); nothing was run. "
        "A run that fills the disk part way stops with a step's effect unknown. Free space "
        f"in {existing}, or choose another directory with --state-dir or "
        f"PSRUNBOOK_STATE_DIR, or set {MIN_FREE_ENV} to the MiB a run may count on "
        "(0 turns this check off)"
    )


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"
