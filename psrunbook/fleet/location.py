"""Where a fleet keeps its durable state: beside the journal it shares.

With the local journal (the default), the fleet's database is ``fleet.sqlite3`` in the
state directory: workers on this machine share it, and nothing needs a server. With a
PostgreSQL journal (``--journal postgresql://...``) DBOS keeps its tables in the same
database, in its own schema (``dbos``), so every worker and operator reaching the journal
reaches the fleet.

The journal's URL is recognised here exactly as :func:`psrunbook.journal_open.open_journal`
recognises it (surrounding blanks ignored, the scheme in any case): were the two to
disagree, a run would be journaled in PostgreSQL and queued in a local file no other
machine's worker ever reads.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from psrunbook.errors import JournalError

FLEET_FILE: Final = "fleet.sqlite3"
_SCHEMES: Final = ("postgresql://", "postgres://")


def shared_journal(journal_url: str | None) -> str | None:
    """The PostgreSQL URL of a shared journal, as the journal reads it; None for the
    local journal file."""
    text = (journal_url or "").strip()
    return text if text.lower().startswith(_SCHEMES) else None


def fleet_database_url(state_dir: Path, journal_url: str | None = None) -> str:
    """The fleet database's URL for this journal (for SQLAlchemy, which DBOS reads it with).

    The local fleet file is created owner-only, as the journal file is: it holds every
    queued run's inventory and every decision.
    """
    shared = shared_journal(journal_url)
    if shared is not None:
        from psrunbook.journal_postgres import sqlalchemy_url  # noqa: PLC0415 (psycopg)

        return sqlalchemy_url(shared)
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = state_dir / FLEET_FILE
    _ensure_private_file(path)
    return f"sqlite:///{path.resolve()}"


def _ensure_private_file(path: Path) -> None:
    """Create the fleet file with mode 0600 before SQLite does (its -wal and -shm copy the
    mode); refuse anything at that path that is not a regular file (never opened: a FIFO
    would block)."""
    try:
        found = path.stat()
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise JournalError(
            f"fleet database {path}: {exc.strerror or exc}; check the state directory "
            "(--state-dir) and its permissions"
        ) from None
    if found is not None:
        if not stat.S_ISREG(found.st_mode):
            raise JournalError(
                f"fleet database {path} is not a regular file; move it aside, or choose "
                "another state directory with --state-dir"
            )
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it meanwhile, the same way
    except OSError as exc:
        raise JournalError(
            f"cannot create fleet database {path}: {exc.strerror or exc}; make the state "
            "directory writable, or choose another with --state-dir"
        ) from None
    os.close(fd)


def fleet_exists(state_dir: Path, journal_url: str | None = None) -> bool:
    """Whether a fleet may know runs of this journal (so ``runs`` asks it for their state)."""
    if shared_journal(journal_url) is not None:
        return True
    return (state_dir / FLEET_FILE).exists()
