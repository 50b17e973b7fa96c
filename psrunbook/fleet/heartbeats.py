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
from collections.abc import Iterable
from types import TracebackType
from typing import Protocol

import sqlalchemy as sa

from psrunbook.errors import ParameterError
from psrunbook.fleet.engine import WorkerOptions
from psrunbook.holds import Holder
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
_CLAIM_LOCK = (0x7073666C, 1)
"""PostgreSQL advisory lock held while a starting worker checks and claims its id."""
ALIVE_WITHIN_S = 15.0
"""A worker heard from this recently may still be serving: three of the longest
heartbeat interval (5 s)."""


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


def _may_be_serving(host: str, pid: int, silent_s: float) -> bool:
    """Whether the worker last heard from as ``pid`` on ``host`` may still be serving."""
    if silent_s >= ALIVE_WITHIN_S:
        return False
    if host != socket.gethostname():
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a process of another user has that pid
    return True


def executing(url: str, holders: Iterable[Holder]) -> list[Holder]:
    """The fleet holds among ``holders`` whose worker process may still be executing the
    run: the worker of the hold's id last beat from the hold's very host and pid, within
    :data:`ALIVE_WITHIN_S` (and, on this host, that process exists).

    ``cancel`` asks before it gives back the holds of a run it read as queued: a worker
    may have taken the run in between, and its step is then running on the cluster until
    it sees the cancel (when it gives them back itself). A hold of a worker that has
    restarted since (another pid) or gone silent is a crashed run's, which nobody else
    will give back.
    """
    fleet = [h for h in holders if h.worker is not None]
    if not fleet:
        return []
    engine = sa.create_engine(engine_url(url), pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(TABLE):
                return []
            rows = conn.execute(
                sa.select(_workers).where(_workers.c.worker_id.in_({h.worker for h in fleet}))
            ).fetchall()
    finally:
        engine.dispose()
    now = _now_ms()
    beats = {row.worker_id: row for row in rows}
    found = []
    for holder in fleet:
        beat = beats.get(holder.worker)
        if beat is None or (beat.host, beat.pid) != (holder.host, holder.pid):
            continue
        if _may_be_serving(beat.host, beat.pid, max(0.0, (now - beat.last_seen_ms) / 1000)):
            found.append(holder)
    return found


class TakeOver(Protocol):
    def __call__(self, worker_id: str, *, reason: str) -> int: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


def engine_url(url: str) -> str:
    """SQLAlchemy's spelling of the URL: psycopg 3 for PostgreSQL, as DBOS uses."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


class Heartbeats:
    """Beats for this worker and takes over silent ones, on a thread, while entered."""

    def __init__(self, url: str, options: WorkerOptions, take_over: TakeOver) -> None:
        self._engine = sa.create_engine(engine_url(url), pool_size=1, max_overflow=0)
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

    def claim(self) -> None:
        """Refuse to start beside a live worker of the same id; else say this one is alive.

        A worker continues, at start-up, the unfinished runs of its id: started while
        another process serves under that id (a second ``psrunbook worker`` on one machine
        without ``--id``: both default to the host name), it would take over runs whose
        steps are executing, and both processes would talk to those clusters. A worker of
        the same id that is gone (its process ended on this host, or silent for
        :data:`ALIVE_WITHIN_S` elsewhere) is what a restart continues, and is no obstacle.
        """
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:kind, :key)"),
                    {"kind": _CLAIM_LOCK[0], "key": _CLAIM_LOCK[1]},
                )
            found = conn.execute(
                sa.select(_workers.c.host, _workers.c.pid, _workers.c.last_seen_ms).where(
                    _workers.c.worker_id == self._options.worker_id
                )
            ).first()
            if found is not None:
                silent_s = max(0.0, (_now_ms() - found.last_seen_ms) / 1000)
                if _may_be_serving(found.host, found.pid, silent_s):
                    raise ParameterError(
                        f"worker {self._options.worker_id} is already serving: pid "
                        f"{found.pid} on host {found.host}, heard from {silent_s:.0f} s ago; "
                        "give this worker its own --id (two workers of one id would both "
                        "continue its runs), or stop that one first"
                    )
            self._beat(conn)

    def beat(self) -> None:
        """Say this worker is alive (an upsert, portable across SQLite and PostgreSQL)."""
        with self._engine.begin() as conn:
            self._beat(conn)

    def _beat(self, conn: sa.Connection) -> None:
        row = {
            "worker_id": self._options.worker_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "last_seen_ms": _now_ms(),
        }
        updated = conn.execute(
            _workers.update().where(_workers.c.worker_id == row["worker_id"]).values(**row)
        ).rowcount
        if not updated:
            conn.execute(_workers.insert().values(**row))

    def close(self) -> None:
        """Let go of the database (a worker that stops before it served)."""
        self._engine.dispose()

    @property
    def takeover_after_s(self) -> float:
        """How long another worker must be silent to be taken for gone: the takeover
        timeout, but never less than :data:`ALIVE_WITHIN_S`. Workers beat every 0.2 to 5 s
        (each by its own timeout), so a short timeout would otherwise find a live worker
        with a slower beat silent between two beats, and take its runs in flight over
        again and again."""
        return max(self._options.takeover_after_s, ALIVE_WITHIN_S)

    def silent(self) -> list[str]:
        """Other workers not heard from within the takeover timeout."""
        limit = _now_ms() - int(self.takeover_after_s * 1000)
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
                            reason=f"silent for more than {self.takeover_after_s:g} s",
                        )
            except Exception as exc:  # noqa: BLE001 (a database outage must not end the worker)
                self._log.warning(
                    "worker.heartbeat_failed", action="worker.heartbeat_failed", reason=str(exc)
                )
