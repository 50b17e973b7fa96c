"""Compiled templates kept between commands, as Python keeps compiled modules.

Jinja turns each template into Python source and compiles it, about 0.5 ms a template:
a first ``run ssis-clustered`` loads 24 templates (includes too), 12 ms of its 0.5 s,
every time, although the templates change only with psrunbook. Jinja's own
:class:`~jinja2.FileSystemBytecodeCache` keeps the compiled code in files keyed by the
template's name and path and checked against a hash of its source, so an edited
template (a site's ``--templates`` folder included) is compiled again. What the source
hash cannot see is how the environment compiles it (``trim_blocks`` and the other
options, Jinja's and Python's versions): those name the folder, so a change to any of
them starts a new one.

A cache is never needed: one that cannot be read (missing, cut short, from another
version) is a miss and one that cannot be written (a full or read-only disk) is
skipped; either way the template is compiled as before.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.bccache import Bucket

from psrunbook.cache_dir import cache_directory

FORMAT = 1
"""Part of the folder's name: bumped when psrunbook changes how a template compiles
other than through an option (its environment class), so no older code is loaded."""


class TemplateBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache in psrunbook's cache directory, never failing a render."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self._root = cache_directory() / f"templates-{compile_key(options)}"
        super().__init__(str(self._root), "%s.jinja")

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 (an entry or folder that cannot be read: a miss)
            bucket.reset()  # compiled anew, and the entry written again

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            return  # a full or read-only disk: this template is compiled again next time


def compile_key(options: Mapping[str, Any]) -> str:
    """What decides the code Jinja compiles a template's source to, as a short digest."""
    described = repr(
        (
            FORMAT,
            jinja2.__version__,
            sys.version,
            sorted((name, repr(value)) for name, value in options.items() if name != "loader"),
        )
    )
    return hashlib.sha256(described.encode("utf-8")).hexdigest()[:16]
