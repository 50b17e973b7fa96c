"""Where a fleet keeps its durable state: beside the journal it shares.

With the local journal (the default), the fleet's database is ``fleet.sqlite3`` in the
state directory: workers on this machine share it, and nothing needs a server. With a
PostgreSQL journal (``--journal postgresql://...``) DBOS keeps its tables in the same
database, in its own schema (``dbos``), so every worker and operator reaching the journal
reaches the fleet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

FLEET_FILE: Final = "fleet.sqlite3"


def fleet_database_url(state_dir: Path, journal_url: str | None = None) -> str:
    """The fleet database's URL for this journal."""
    if journal_url is not None and journal_url.startswith(("postgresql:", "postgres:")):
        return journal_url
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{(state_dir / FLEET_FILE).resolve()}"


def fleet_exists(state_dir: Path, journal_url: str | None = None) -> bool:
    """Whether a fleet may know runs of this journal (so ``runs`` asks it for their state)."""
    if journal_url is not None and journal_url.startswith(("postgresql:", "postgres:")):
        return True
    return (state_dir / FLEET_FILE).exists()
