"""The built-in runbooks as data, cached: what ``list`` and ``show`` print, without imports.

Importing the shipped runbooks costs more than the rest of ``psrunbook list`` (issue 16:
the SSIS result models, lxml, pydantic), yet what ``list`` and ``show`` print of them
changes only when psrunbook's own files do. So the first ``list`` or ``show`` imports
them, describes each one (``show``'s document, made by the CLI's ``describe``) and saves
that in the user's cache directory; later ones read it back.

The cache is keyed like Python's own bytecode cache: it records the size and
modification time of every file it was built from (each ``psrunbook`` module loaded
while building it, every file under ``psrunbook/runbooks``, pydantic's version) and the
Python version, and it is used only when all of them are unchanged and no file was added
under ``psrunbook/runbooks``. Otherwise the runbooks are imported as before and the cache
rewritten. Plug-ins are never cached: they are loaded and checked on every command.

A cache that cannot be read, parsed or written is ignored: the commands then work as if
there were none. ``PSRUNBOOK_CACHE_DIR`` moves it (:mod:`psrunbook.cache_dir`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psrunbook.cache_dir import cache_directory
from psrunbook.runbook.registry import builtin_runbooks

if TYPE_CHECKING:
    from psrunbook.runbook.model import Runbook

FORMAT = 1
"""Bumped when the file's layout changes: an older file is then rebuilt."""

PACKAGE = Path(__file__).resolve().parent.parent
RUNBOOKS = PACKAGE / "runbooks"
_VERSION_MODULES = ("pydantic.version", "pydantic_core._pydantic_core")
"""Outside psrunbook, what a description depends on: pydantic's field handling."""


@dataclass(frozen=True)  # a dataclass: list and show import this module, not msgspec
class IndexedRunbook:
    """A built-in runbook as ``list`` and ``show`` print it; its module is not imported."""

    name: str
    summary: str
    detail: dict[str, Any] | None
    """``show``'s document; None when describing it failed (``show`` then imports it and
    reports the error as before)."""
    origin: str = "builtin"


Describe = Callable[["Runbook"], dict[str, Any]]


def builtin_index(describe: Describe) -> tuple[IndexedRunbook, ...]:
    """The built-in runbooks from the cache; built (importing them) when it is stale."""
    path = cache_file()
    cached = _read(path)
    if cached is not None:
        return cached
    entries = tuple(
        IndexedRunbook(runbook.name, runbook.summary, _described(describe, runbook))
        for runbook in builtin_runbooks()
    )
    _write(path, entries)
    return entries


def cache_file() -> Path:
    """This installation's cache file: two installs (two virtualenvs) never share one."""
    # Two installs whose names collide would only rebuild each other's: the key holds the path.
    install = zlib.crc32(str(PACKAGE).encode("utf-8"))
    return cache_directory() / f"runbook-index-{install:08x}.json"


def _described(describe: Describe, runbook: Runbook) -> dict[str, Any] | None:
    try:
        return describe(runbook)
    except Exception:  # noqa: BLE001 (show imports the runbook and reports this error itself)
        return None


def _runbook_files() -> Iterator[Path]:
    for folder, subfolders, files in os.walk(RUNBOOKS):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            yield Path(folder, name)


def _sources() -> list[str]:
    """Every file a description may depend on, as loaded now (after building)."""
    files = {str(path) for path in _runbook_files()}
    for name, module in list(sys.modules.items()):
        if name == "psrunbook" or name.startswith("psrunbook.") or name in _VERSION_MODULES:
            origin = getattr(module, "__file__", None)
            if origin:
                files.add(str(origin))
    return sorted(files)


def _stamp(path: str) -> list[int] | None:
    try:
        status = Path(path).stat()
    except OSError:
        return None
    return [status.st_mtime_ns, status.st_size]


def _key() -> dict[str, Any]:
    return {"format": FORMAT, "python": sys.version, "package": str(PACKAGE)}


def _read(path: Path) -> tuple[IndexedRunbook, ...] | None:
    try:
        data = json.loads(path.read_bytes())
        if data["key"] != _key():
            return None
        if data["runbook_files"] != [str(p) for p in _runbook_files()]:
            return None  # a runbook added or removed
        if any(_stamp(source) != stamp for source, stamp in data["sources"]):
            return None
        return tuple(
            IndexedRunbook(entry["name"], entry["summary"], entry["detail"])
            for entry in data["runbooks"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: Path, entries: tuple[IndexedRunbook, ...]) -> None:
    data = {
        "key": _key(),
        "runbook_files": [str(p) for p in _runbook_files()],
        "sources": [[source, _stamp(source)] for source in _sources()],
        "runbooks": [{"name": e.name, "summary": e.summary, "detail": e.detail} for e in entries],
    }
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written aside, then renamed: a command reading it meanwhile sees old or new, whole.
        aside = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            aside.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            aside.replace(path)
        finally:
            aside.unlink(missing_ok=True)
