"""Worker liveness, which DBOS without its commercial Conductor does not track.

Every worker writes ``(worker_id, host, pid, last_seen)`` into the table
``psrunbook_fleet_workers`` of the fleet's database every few seconds, and looks for
workers silent for longer than the takeover timeout: their unfinished runs are taken
over through DBOS's recovery, which re-queues them atomically (however many live
workers ask at once, each run continues on one of them). The timeout must be much longer
than the heartbeat: a worker that is only slow (a long GC pause, a frozen VM) and then
resumes would otherwise execute a step alongside its successor. The step would be
re-checked before being applied, but both would talk to the cluster.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from types import TracebackType
from typing import Protocol

import sqlalchemy as sa

from psrunbook.fleet.engine import WorkerOptions
from psrunbook.logging import get_logger

TABLE = "psrunbook_fleet_workers"

_metadata = sa.MetaData()
_workers = sa.Table(
    TABLE,
    _metadata,
    sa.Column("worker_id", sa.Text, primary_key=True),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("last_seen_ms", sa.BigInteger, nullable=False),
)


_SCHEMA_LOCK = (0x7073666C, 0)
"""PostgreSQL advisory lock ("psfl" in ASCII, then 0) held while the table is created."""


def create_table(engine: sa.Engine) -> None:
    """The workers' table, created once however many workers start at the same moment.

    ``create_all(checkfirst=True)`` looks, then creates: two workers starting together
    both saw no table and the second ``CREATE TABLE`` failed (PostgreSQL's DuplicateTable,
    or a unique violation in ``pg_type``), ending that worker with a traceback. On
    PostgreSQL the look and the creation happen under a transaction advisory lock, so
    the second worker waits and then finds the table; elsewhere (SQLite) a creation that
    failed because the table appeared meanwhile is checked again and accepted.
    """
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:kind, :key)"),
                    {"kind": _SCHEMA_LOCK[0], "key": _SCHEMA_LOCK[1]},
                )
            _metadata.create_all(conn, checkfirst=True)
    except sa.exc.DBAPIError:
        with engine.connect() as conn:
            if sa.inspect(conn).has_table(TABLE):
                return
        raise


class TakeOver(Protocol):
    def __call__(self, worker_id: str, *, reason: str) -> int: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


def _engine_url(url: str) -> str:
    """SQLAlchemy's spelling of the URL: psycopg 3 for PostgreSQL, as DBOS uses."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


class Heartbeats:
    """Beats for this worker and takes over silent ones, on a thread, while entered."""

    def __init__(self, url: str, options: WorkerOptions, take_over: TakeOver) -> None:
        self._engine = sa.create_engine(_engine_url(url), pool_size=1, max_overflow=0)
        self._options = options
        self._take_over = take_over
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fleet-heartbeat", daemon=True)
        self._log = get_logger("psrunbook.fleet")
        create_table(self._engine)

    def __enter__(self) -> Heartbeats:
        self.beat()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self._options.heartbeat_s * 2)
        self._engine.dispose()

    def beat(self) -> None:
        """Say this worker is alive (an upsert, portable across SQLite and PostgreSQL)."""
        row = {
            "worker_id": self._options.worker_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "last_seen_ms": _now_ms(),
        }
        with self._engine.begin() as conn:
            updated = conn.execute(
                _workers.update().where(_workers.c.worker_id == row["worker_id"]).values(**row)
            ).rowcount
            if not updated:
                conn.execute(_workers.insert().values(**row))

    def silent(self) -> list[str]:
        """Other workers not heard from within the takeover timeout."""
        limit = _now_ms() - int(self._options.takeover_after_s * 1000)
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(_workers.c.worker_id)
                .where(_workers.c.last_seen_ms < limit)
                .where(_workers.c.worker_id != self._options.worker_id)
            ).fetchall()
        return [row[0] for row in rows]

    def _loop(self) -> None:
        while not self._stop.wait(self._options.heartbeat_s):
            try:
                self.beat()
                if self._options.takeover_after_s > 0:
                    for worker_id in self.silent():
                        self._take_over(
                            worker_id,
                            reason=f"silent for more than {self._options.takeover_after_s:g} s",
                        )
            except Exception as exc:  # noqa: BLE001 (a database outage must not end the worker)
                self._log.warning(
                    "worker.heartbeat_failed", action="worker.heartbeat_failed", reason=str(exc)
                )
