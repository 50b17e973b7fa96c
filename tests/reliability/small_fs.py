"""A real, small file system for the full-disk tests: a tmpfs mounted by the test itself.

A full disk is ENOSPC from the file system, which a file size limit (EFBIG) does not
produce, and SQLite, the log file and the lab each see it differently. So these tests
mount a tmpfs of a few MiB (and, for an inode-exhausted disk, a few hundred files) and
fill it for real. Mounting needs root or CAP_SYS_ADMIN: CI runs as root on a fresh
Debian 12 machine. Where mounting is not permitted the test FAILS saying so, never skips:
a skipped full-disk test would look like a passing one.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_CHUNK = 1 << 16


@contextmanager
def small_filesystem(mount_point: Path, *, size: str, inodes: int | None = None) -> Iterator[Path]:
    """A tmpfs of ``size`` (``8m``) at ``mount_point``, unmounted afterwards."""
    mount_point.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0700" + (f",nr_inodes={inodes}" if inodes else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.fail(
            f"cannot mount a {size} tmpfs at {mount_point} ({mounted.stderr.strip()}): the "
            "full-disk tests need a real small file system; run the suite as root (as CI "
            "does) or with CAP_SYS_ADMIN",
            pytrace=False,
        )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True)


def fill_bytes(directory: Path) -> Path:
    """Write one file until the file system refuses with ENOSPC; returns the filler."""
    filler = directory / "filler.bin"
    block = b"\0" * _CHUNK
    with filler.open("wb", buffering=0) as handle:
        for size in (_CHUNK, 1):
            while True:
                try:
                    handle.write(block[:size])
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    return filler


def fill_files(directory: Path, *, leave: int) -> list[Path]:
    """Create empty files until no inode is left, then give ``leave`` of them back."""
    fillers = directory / "fillers"
    fillers.mkdir()
    made: list[Path] = []
    while True:
        path = fillers / str(len(made))
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            break
        made.append(path)
    for path in made[len(made) - leave :]:
        path.unlink()
    return made[: len(made) - leave]
