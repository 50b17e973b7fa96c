"""The NTLM accounts every live simulated endpoint of this process accepts.

pyspnego's NTLM acceptor (``spnego.server``) looks accounts up in one flat file, named by
the ``NTLM_USER_FILE`` environment variable, with ``DOMAIN:USER:PASSWORD`` lines
(``spnego/_ntlm.py``, ``_get_credential_file`` and ``_get_credential``). An environment
variable is process-wide, so the endpoints of a process share one file holding the
union of their accounts: each endpoint registers its accounts while it serves and
removes them when it closes; the file (a private temporary file, mode 0600) is deleted,
and the variable restored, when the last registration ends.

Two live registrations that give one account different passwords would make the first
one win silently for both; that is refused instead.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

_ENV = "NTLM_USER_FILE"


class _Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: Counter[tuple[str, str, str]] = Counter()
        self._file: Path | None = None
        self._previous: str | None = None

    def register(self, users: Mapping[str, str]) -> tuple[tuple[str, str, str], ...]:
        """Accept ``users`` (``[DOMAIN\\]user`` -> password); returns the handle to release."""
        entries = tuple(_entry(name, password) for name, password in users.items())
        with self._lock:
            for domain, user, password in entries:
                clash = [
                    e
                    for e in self._accounts
                    if e[0].upper() == domain.upper()
                    and e[1].upper() == user.upper()
                    and e[2] != password
                ]
                if clash:
                    raise ValueError(
                        f"NTLM account {domain + chr(92) if domain else ''}{user} is already "
                        "served by another endpoint of this process with another password"
                    )
            self._accounts.update(entries)
            self._write()
        return entries

    def release(self, entries: tuple[tuple[str, str, str], ...]) -> None:
        with self._lock:
            self._accounts.subtract(entries)
            self._accounts = +self._accounts  # drop the ones no endpoint uses any more
            self._write()

    def _write(self) -> None:
        if not self._accounts:
            if self._file is not None:
                self._file.unlink(missing_ok=True)
                self._file = None
                if self._previous is None:
                    os.environ.pop(_ENV, None)
                else:
                    os.environ[_ENV] = self._previous
            return
        if self._file is None:
            self._previous = os.environ.get(_ENV)
            handle, name = tempfile.mkstemp(prefix="psrunbook-sim-ntlm-", suffix=".txt")
            os.close(handle)  # mkstemp made it 0600: readable by this user only
            self._file = Path(name)
            os.environ[_ENV] = name
        lines = "".join(f"{d}:{u}:{p}\n" for d, u, p in self._accounts)
        self._file.write_text(lines, encoding="utf-8")


def _entry(name: str, password: str) -> tuple[str, str, str]:
    domain, sep, user = name.partition("\\")
    if not sep:
        domain, user = "", name
    # The file's fields are split at every ':' (a line of three fields, or six for smbpasswd).
    if any(":" in part or "\n" in part for part in (domain, user, password)):
        raise ValueError(
            f"NTLM account {name!r}: the simulator cannot store a user name or password "
            "with ':' or a line break; choose another"
        )
    return domain, user, password


STORE = _Store()
"""The one store of this process (the environment variable is one per process)."""
