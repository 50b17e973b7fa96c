"""Where psrunbook keeps what it can rebuild: the user's cache directory.

Two caches live there, both safe to delete at any time: the built-in runbooks' index
(``list`` and ``show``, :mod:`psrunbook.runbook.index`) and the compiled templates
(:mod:`psrunbook.templates.bytecode_cache`). ``PSRUNBOOK_CACHE_DIR`` moves it (the tests
give each session its own).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CACHE_ENV = "PSRUNBOOK_CACHE_DIR"


def cache_directory() -> Path:
    """``PSRUNBOOK_CACHE_DIR``, else platformdirs' ``user_cache_dir("psrunbook")``."""
    return Path(os.environ.get(CACHE_ENV) or _user_cache_dir())


def _user_cache_dir() -> str:
    """platformdirs' ``user_cache_dir("psrunbook")``; on Linux (and other Unix) spelled out
    here, as platformdirs spells it (``$XDG_CACHE_HOME``, else ``~/.cache``): importing it
    and the modules it loads is 3 % of ``list`` (issue 16)."""
    if sys.platform in ("win32", "darwin"):
        from platformdirs import user_cache_dir  # noqa: PLC0415 (see the docstring)

        return user_cache_dir("psrunbook", appauthor=False)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not base.strip():
        base = os.path.expanduser("~/.cache")  # noqa: PTH111 (platformdirs' own spelling)
    return os.path.join(base, "psrunbook")  # noqa: PTH118 (as above)
