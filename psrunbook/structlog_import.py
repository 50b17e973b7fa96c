"""structlog, loaded without the rich modules it would load for features psrunbook skips.

``import structlog`` imports every submodule, and two of them import rich when it is
installed: ``structlog.dev`` (rich's traceback, syntax and pretty printers, for its
default exception formatter) and ``structlog.tracebacks`` (rich's pretty printer, for
local variables). psrunbook uses neither: console tracebacks are rendered by
``psrunbook.logging`` itself (with rich, imported when an exception is shown) and JSON
tracebacks never carry local variables. On a ``run`` those imports were about 35 ms
(issue 16). So, when rich is not loaded yet, structlog is imported while ``import rich``
fails (``sys.modules["rich"] = None``, Python's documented way to make an import fail);
structlog then takes its plain-text paths, which psrunbook never reaches.

Only while this process has a single thread: another thread importing rich in that
moment would fail. With several threads, or rich or structlog already loaded, structlog
is imported as usual.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType


def _import_structlog() -> ModuleType:
    """``structlog``, imported without rich when that is safe (see the module)."""
    if "structlog" in sys.modules or "rich" in sys.modules or threading.active_count() > 1:
        import structlog  # noqa: PLC0415

        return structlog
    sys.modules["rich"] = None  # type: ignore[assignment]  # makes `import rich` fail
    try:
        import structlog  # noqa: PLC0415

        return structlog
    finally:
        if sys.modules.get("rich", ...) is None:
            del sys.modules["rich"]


_import_structlog()
