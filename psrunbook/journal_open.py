"""One way to open the run journal: the local SQLite file, or a shared PostgreSQL database.

``psrunbook --journal URL`` (or ``PSRUNBOOK_JOURNAL``) names where runs are journaled.
Unset, it is the file in the state directory, as always, with no server. A
``postgresql://`` URL makes the journal shared: runs, holds and ``resume`` then work
across every machine that points at it. The PostgreSQL driver is imported only when
such a URL is given, so the local journal costs nothing new.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from psrunbook.errors import JournalError
from psrunbook.journal import Journal, default_state_dir
from psrunbook.journal_model import RunJournal
from psrunbook.secrets import url_secrets

__all__ = ["JOURNAL_ENV", "open_journal", "url_passwords"]

JOURNAL_ENV: Final = "PSRUNBOOK_JOURNAL"
_SCHEMES: Final = ("postgresql://", "postgres://")
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")


def open_journal(location: str | None = None, *, state_dir: Path | None = None) -> RunJournal:
    """The journal at ``location`` (a PostgreSQL URL), else the file in ``state_dir``.

    Raises :class:`JournalError` (bad input, exit 2) for anything else, naming the forms
    accepted, and for a journal that cannot be opened, naming it without its password.
    """
    text = (location or "").strip()
    if not text:
        return Journal.open(state_dir or default_state_dir())
    if not text.lower().startswith(_SCHEMES):
        head = text.split("://", 1)[0]
        # Only a scheme is echoed: text before "://" that is not one may be a password.
        scheme = (
            f"{head}://"
            if "://" in text and _SCHEME.fullmatch(head)
            else "a URL of another kind"
            if "://" in text
            else "a path"
        )
        raise JournalError(
            f"--journal (or {JOURNAL_ENV}) takes a postgresql:// URL, not {scheme}; leave it "
            "unset for the local journal file, whose folder --state-dir chooses"
        )
    # psycopg loads only when a shared journal is asked for: the local one never pays for it.
    from psrunbook.journal_postgres import PostgresJournal  # noqa: PLC0415

    return PostgresJournal.open(text)


def url_passwords(location: str | None) -> list[str]:
    """The passwords a journal URL carries (``user:PASSWORD@``, ``?password=``, ``?sslpassword=``).

    The CLI registers them with the redactor as soon as it reads ``--journal``, before
    anything is logged, so a password given in the URL cannot reach a log line or a message.
    Each is given as written (percent-encoded) and as libpq reads it: either form may be echoed.
    """
    return url_secrets(location)
