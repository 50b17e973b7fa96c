"""Shell completion of runbook names and run ids (typer calls these only when the shell asks).

A completer must never fail or print: a missing journal or a broken plug-in simply
completes nothing, so pressing Tab cannot put an error on the operator's command line.
"""

from __future__ import annotations

from pathlib import Path

import typer

from psrunbook.cli.context import open_run_journal, settings


def runbook_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Runbook names (built-in, plug-ins, --runbooks folders) starting with ``incomplete``."""
    try:
        names = [r.name for r in settings(ctx).registry().runbooks]
    except Exception:  # noqa: BLE001  # completion offers nothing rather than an error
        return []
    return [name for name in names if name.startswith(incomplete)]


def run_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """``last`` and the recent run ids of the journal (``--journal``/``--state-dir`` if typed)."""
    state_dir = ctx.params.get("state_dir")
    try:
        with open_run_journal(ctx, state_dir if isinstance(state_dir, Path) else None) as j:
            ids = [record.run_id for record in j.runs(200)]
    except Exception:  # noqa: BLE001  # completion offers nothing rather than an error
        ids = []
    return [value for value in ("last", *ids) if value.startswith(incomplete)]
