"""A ``psrunbook`` command run after every module it imports is already imported.

``python -m bench.ab`` runs this file with another install's interpreter, as
``bench/render_lint_probe.py``: it imports nothing of ``bench``. Given the modules a run
had loaded by its end (one name a line, in the order they were loaded:
``bench.ab.imported_modules``) and the console script's entry point
(``module:function``), it imports every module, freezes them out of the collector, then writes
``READY <monotonic seconds> <CPU seconds>`` to standard error and calls the entry point
with the rest of its arguments as the command line. The caller times the rest from
outside (teardown included): what the command does beyond loading code, the part of a
run that psrunbook's own design decides (issue 16's full-run goal compared whole runs,
whose imports are mostly the libraries psrunbook is built on).

``python bench/after_imports_probe.py MODULES ENTRY -- ARGUMENTS...``
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import time
from pathlib import Path


def main() -> None:
    modules, entry, separator, *arguments = sys.argv[1:]
    if separator != "--":
        raise SystemExit("usage: after_imports_probe.py MODULES ENTRY -- ARGUMENTS...")
    gc.disable()
    for name in Path(modules).read_text(encoding="utf-8").split():
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 (a module a run imports only on a path it did not take)
            continue
    # What was loaded is out of the collector's view from here, for either install: a
    # collection walking the loaded code belongs to loading it, not to the run (the
    # conservative choice: it spares the old code's run more than today's, which freezes
    # its start-up objects itself).
    gc.collect()
    gc.freeze()
    gc.enable()
    module, function = entry.split(":")
    command = getattr(importlib.import_module(module), function)
    os.write(2, f"READY {time.monotonic()} {time.process_time()}\n".encode())
    sys.argv = ["psrunbook", *arguments]
    sys.exit(command())


if __name__ == "__main__":
    main()
