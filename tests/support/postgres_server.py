"""A real, throw-away PostgreSQL server for the tests: started by the tests, never faked.

The shared journal (and the fleet built on it) must be tested against the server it will
meet in production, so no SQLite stands in. This module finds the distribution's server
binaries (Debian's ``postgresql`` package, which ``.ci/run`` installs), creates a cluster
in a fresh temporary directory and starts it with:

- no TCP port at all: ``listen_addresses=''``, a Unix socket in the temporary directory,
  so parallel test processes never compete for a port and nothing listens on the network;
- settings for speed that are only acceptable for a disposable server (``fsync=off``,
  ``synchronous_commit=off``, ``full_page_writes=off``);
- ``trust`` for the superuser on the socket and ``scram-sha-256`` for every other role,
  so tests can prove that a password is needed, and where it comes from.

PostgreSQL refuses to run as root (CI runs as root), so when this process is root the
server runs as the unprivileged ``postgres`` system account the Debian package creates
(the data directory is handed to it); otherwise it runs as the current user.

A missing server is an error naming the package to install, never a skip: a machine that
cannot run these tests must say so.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

__all__ = [
    "INSTALL_HINT",
    "PostgresServer",
    "PostgresUnavailable",
    "find_bindir",
    "running_server",
]

SERVER_ACCOUNT = "postgres"
"""The system account the server runs as when the tests run as root (Debian creates it)."""
SUPERUSER = "postgres"
BINDIR_ENV = "PSRUNBOOK_PG_BINDIR"
INSTALL_HINT = (
    "the tests that need PostgreSQL start a real server and could not: install the "
    "distribution's server (Debian/Ubuntu: `apt-get install -y --no-install-recommends "
    "postgresql`, which .ci/run does), or point "
    f"{BINDIR_ENV} at the directory holding initdb and pg_ctl"
)
_START_TIMEOUT_S = 60
_FAST_BUT_UNSAFE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
"""For the tests only: a crash of this server may lose or corrupt data, which is fine for a
database that lives as long as a test session. ``running_server(durable=True)`` (the
benchmarks) keeps PostgreSQL's defaults, so its commits cost what production's do."""
_SERVER_SETTINGS = {
    "listen_addresses": "''",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "max_wal_size": "256MB",
    "log_min_messages": "warning",
}


class PostgresUnavailable(RuntimeError):
    """The server could not be found or started; the message says what to install."""


def server_bindirs() -> list[Path]:
    """Where to look for the server: the env override alone if set, else Debian's
    versions (newest first), then PATH."""
    override = os.environ.get(BINDIR_ENV, "").strip()
    if override:
        return [Path(override)]
    candidates: list[Path] = []
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: -int(p.name))]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return candidates


def find_bindir(candidates: Sequence[Path] | None = None) -> Path:
    """The first directory holding both ``initdb`` and ``pg_ctl``."""
    candidates = server_bindirs() if candidates is None else candidates
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    looked = ", ".join(map(str, candidates)) or "no directory"
    raise PostgresUnavailable(f"no initdb/pg_ctl found (looked in {looked}); {INSTALL_HINT}")


def _as_server_account() -> tuple[Callable[[], None] | None, int, int]:
    """How to run a server command: as ``postgres`` when we are root, else as ourselves."""
    if os.geteuid() != 0:
        return None, os.getuid(), os.getgid()
    try:
        account = pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root and there is no {SERVER_ACCOUNT!r} system account to run the "
            f"server as (PostgreSQL refuses to run as root); {INSTALL_HINT}"
        ) from None
    uid, gid = account.pw_uid, account.pw_gid

    def drop() -> None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)

    return drop, uid, gid


@dataclass(frozen=True)
class PostgresServer:
    """A started server: its socket directory and how to reach it."""

    socket_dir: Path
    data_dir: Path

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str = "") -> str:
        """A libpq URL over the Unix socket (``host=`` names the socket directory)."""
        auth = quote(user, safe="")
        if password:
            auth += ":" + quote(password, safe="")
        host = quote(str(self.socket_dir), safe="")
        return f"postgresql://{auth}@/{quote(database, safe='')}?host={host}"

    @property
    def admin_url(self) -> str:
        return self.url()

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its name."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def create_role(self, name: str, password: str, database: str) -> None:
        """A login role with a password that owns ``database`` (scram-sha-256 applies)."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(name), sql.Literal(password)
                )
            )
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(database), sql.Identifier(name)
                )
            )


def _run(argv: list[str], drop: Callable[[], None] | None, what: str) -> None:
    done = subprocess.run(
        argv,
        preexec_fn=drop,
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
    )
    if done.returncode != 0:
        raise PostgresUnavailable(
            f"{what} failed (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
        )


@contextlib.contextmanager
def running_server(*, durable: bool = False) -> Iterator[PostgresServer]:
    """Create, start, yield, then stop a server and delete every file it wrote.

    ``durable`` keeps fsync and synchronous commits on (for measuring, not for tests).
    """
    bindir = find_bindir()
    drop, uid, gid = _as_server_account()
    # Not under pytest's tmp_path: that is private to root, and the server account must
    # reach it. A short path also keeps the socket path under the 107-byte limit.
    root = Path(tempfile.mkdtemp(prefix="psrb-pg-"))
    data_dir, socket_dir = root / "data", root / "sock"
    socket_dir.mkdir(mode=0o700)
    for path in (root, socket_dir):
        os.chown(path, uid, gid)
    log = root / "server.log"
    started = False
    try:
        _run(
            [
                str(bindir / "initdb"),
                "--pgdata",
                str(data_dir),
                "--username",
                SUPERUSER,
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--auth-local",
                "trust",
                "--auth-host",
                "reject",
                "--no-sync",
            ],
            drop,
            "initdb",
        )
        _write_hba(data_dir / "pg_hba.conf")
        settings = _SERVER_SETTINGS if durable else {**_SERVER_SETTINGS, **_FAST_BUT_UNSAFE}
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        options += f" -c unix_socket_directories='{socket_dir}'"
        _run(
            [
                str(bindir / "pg_ctl"),
                "--pgdata",
                str(data_dir),
                "--log",
                str(log),
                "--options",
                options,
                "--wait",
                "--timeout",
                str(_START_TIMEOUT_S),
                "start",
            ],
            drop,
            "pg_ctl start",
        )
        started = True
        yield PostgresServer(socket_dir=socket_dir, data_dir=data_dir)
    except PostgresUnavailable as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise PostgresUnavailable(f"{exc}\nserver log:\n{tail}" if tail else str(exc)) from None
    finally:
        if started:
            with contextlib.suppress(PostgresUnavailable):
                _run(
                    [str(bindir / "pg_ctl"), "--pgdata", str(data_dir), "--mode", "immediate",
                     "--wait", "stop"],
                    drop,
                    "pg_ctl stop",
                )
        shutil.rmtree(root, ignore_errors=True)


def _write_hba(path: Path) -> None:
    """Superuser by trust on the socket (the tests' admin); everyone else by password."""
    path.write_text(
        f"local all {SUPERUSER} trust\nlocal all all scram-sha-256\n", encoding="utf-8"
    )
