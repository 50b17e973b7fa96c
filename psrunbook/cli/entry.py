"""The ``psrunbook`` console script: the collector tuned before the CLI is imported.

Importing :mod:`psrunbook.cli.app` (typer, click, every command module) allocates objects
that live on; under CPython's default threshold of 700 the collector swept them about 26
times while they were imported (about 6 ms of every command, ``--help`` included). So the
script's entry point is here: it imports only :mod:`psrunbook.cli.collector`, raises the
threshold, and then imports the application and runs it. Before that it keeps pydantic's
plugins off unless the operator asked for them (:mod:`psrunbook.cli.pydantic_plugins`).
"""

from __future__ import annotations

from psrunbook.cli.collector import collect_young_less_often
from psrunbook.cli.pydantic_plugins import keep_plugins_off_unless_asked


def console_script() -> None:
    """``psrunbook`` and ``python -m psrunbook``: :func:`psrunbook.cli.app.console_script`."""
    keep_plugins_off_unless_asked()
    collect_young_less_often()
    from psrunbook.cli.app import console_script as run  # after the threshold is raised

    run()
