"""The shared run journal in PostgreSQL: many processes on many machines, one truth.

Same records, schema versions and rules as the SQLite journal
(:mod:`psrunbook.journal_model` states them); what differs is how each rule is kept when
the writers are not processes sharing a file lock but clients of one server:

- Tables live in their own schema, ``psrunbook``, so the journal can share a database
  with other tools (a fleet's DBOS system tables, say) without either touching the other's.
- Migrations run inside a transaction holding an advisory lock, so a hundred workers
  starting at once migrate the schema exactly once; a database already at a newer version
  is refused, as in SQLite.
- Holds are taken under per-resource transaction advisory locks, in sorted order (no
  deadlock between two takers of overlapping sets): check and insert are atomic across
  machines, like SQLite's ``BEGIN IMMEDIATE``.
- Guards that SQLite keeps with a read then a write under its file lock are single
  statements or row locks here (``INSERT`` on the primary key, ``UPDATE ... WHERE status =
  'running'``, ``SELECT ... FOR UPDATE``).
- Durability: every write commits with ``synchronous_commit`` at least ``on`` (the WAL is
  flushed, to synchronous standbys too where the server has them) before the call
  returns, the equivalent of SQLite's ``synchronous = FULL``; the end of an attempt alone
  is committed with ``synchronous_commit = off``, the equivalent of ``NORMAL`` (a crash of
  the *server* may lose it; the attempt then stays ``running`` and is re-checked).

The connection URL may hold a password; it never reaches a message, a log or the
journal: :func:`display_url` is what is shown, and the password is registered with the
redactor. libpq's own sources (``PGPASSFILE``, ``~/.pgpass``, ``PGPASSWORD``, Kerberos)
are preferred, so that no password needs to be in the URL at all.
"""

from __future__ import annotations

import getpass
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, dict_row

from psrunbook.errors import JournalError
from psrunbook.holds import Holder, replaces
from psrunbook.journal_model import (
    SCHEMA_VERSION,
    AttemptRecord,
    DecisionRecord,
    FinalAttemptStatus,
    OwnPipelineEnd,
    RunMode,
    RunOutcome,
    RunRecord,
    Verdict,
    attempt_record,
    check_final_status,
    check_mode,
    check_outcome,
    check_own_pipeline_end,
    check_verdict,
    decision_record,
    holder_record,
    json_text,
    latest_statuses,
    merged_insecure,
    opt_text,
    resolve_run,
    run_record,
)
from psrunbook.secrets import MASK, mask_url, redact_text, register_secret, url_secrets

if TYPE_CHECKING:
    from datetime import datetime

    from psrunbook.results.step_error import StepError
    from psrunbook.runbook.model import StepResult
    from psrunbook.transport.base import PipelineRef, Settlement

__all__ = [
    "MIGRATIONS",
    "SCHEMA",
    "PostgresJournal",
    "display_url",
    "is_postgres_url",
    "sqlalchemy_url",
]

SCHEMA: Final = "psrunbook"
URL_SCHEMES: Final = ("postgresql://", "postgres://")
_JOURNAL_ENV: Final = "PSRUNBOOK_JOURNAL"
_FIX: Final = f"check --journal (or {_JOURNAL_ENV})"
_CONNECT_TIMEOUT_S: Final = 10
# First key of every advisory lock this journal takes ("psrb" in ASCII), so its locks
# never collide with another application's in the same database.
_LOCK_CLASS: Final = 0x70737262
_MIGRATION_LOCK: Final = 0


# --------------------------------------------------------------------------- the URL


def is_postgres_url(location: str) -> bool:
    return location.strip().lower().startswith(URL_SCHEMES)


def _parsed(url: str) -> dict[str, Any]:
    """libpq's reading of the URL; a malformed one is bad input naming the form to use."""
    try:
        return conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        detail = str(exc).strip()
        # Longest first, so a password that contains another is replaced whole.
        for secret in sorted(url_secrets(url), key=len, reverse=True):
            detail = detail.replace(secret, MASK)
        shown = mask_url(url)
        raise JournalError(
            f"journal URL {shown} is not a "
            f"PostgreSQL URL ({redact_text(detail)}); write it as "
            "postgresql://USER@HOST[:PORT]/DATABASE (a Unix socket: "
            f"postgresql://USER@/DATABASE?host=/run/postgresql); {_FIX}"
        ) from None


def display_url(url: str) -> str:
    """The URL as messages show it: user, host, port and database, never a password."""
    params = _parsed(url)
    user = params.get("user") or ""
    host = str(params.get("host") or "")
    port = params.get("port")
    database = params.get("dbname") or ""
    auth = f"{user}@" if user else ""
    if host.startswith("/"):
        return f"postgresql://{auth}/{database}?host={host}"
    return f"postgresql://{auth}{host}{f':{port}' if port else ''}/{database}"


def sqlalchemy_url(url: str) -> str:
    """The journal's URL rewritten for SQLAlchemy (the fleet's DBOS tables are reached
    through it), so that it reaches the very database libpq reaches from ``url``.

    SQLAlchemy parses a URL by its own rules, not libpq's: a percent-encoded socket
    directory as the host (``postgresql://u@%2Frun%2Fpostgresql/db``), the database given
    as ``?dbname=`` or left to libpq's default, several hosts: each of these opens the
    journal and then failed in the fleet. Rebuilt from libpq's own reading, every setting
    travels as a connection parameter psycopg hands back to libpq unchanged. The result
    may hold the URL's password: it is for the engine, never for a message.
    """
    import sqlalchemy  # noqa: PLC0415 (only the fleet needs it)

    params = {key: str(value) for key, value in _parsed(url.strip()).items()}
    user = params.pop("user", None)
    password = params.pop("password", None)
    database = params.pop("dbname", None) or _default_database(params, user)
    return sqlalchemy.URL.create(
        "postgresql", username=user, password=password, database=database, query=params
    ).render_as_string(hide_password=False)


def _default_database(params: Mapping[str, str], user: str | None) -> str:
    """The database libpq connects to when the URL names none (``PGDATABASE``, else the
    user's name); DBOS insists on a name. A service file may name it too, which only
    libpq reads: then the URL must say it."""
    if "service" in params or os.environ.get("PGSERVICE"):
        raise JournalError(
            "the fleet needs the journal URL to name its database: write it as "
            f"postgresql://USER@HOST[:PORT]/DATABASE (with service=, add the DATABASE); {_FIX}"
        )
    return os.environ.get("PGDATABASE") or user or os.environ.get("PGUSER") or getpass.getuser()


# --------------------------------------------------------------------------- schema


def _migrate_to_1(conn: psycopg.Connection[DictRow]) -> None:
    conn.execute(
        """
        CREATE TABLE psrunbook.runs (
            run_id            TEXT PRIMARY KEY,
            runbook           TEXT NOT NULL,
            runbook_version   TEXT NOT NULL,
            mode              TEXT NOT NULL CHECK (mode IN ('run', 'plan')),
            parameters_json   TEXT NOT NULL,
            parameters_sha256 TEXT NOT NULL,
            inventory_sha256  TEXT NOT NULL,
            bundle_sha256     TEXT,
            "user"            TEXT,
            started_at        TIMESTAMPTZ NOT NULL,
            finished_at       TIMESTAMPTZ,
            outcome           TEXT CHECK (outcome IN ('succeeded', 'failed', 'interrupted')),
            resumes           INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE psrunbook.attempts (
            attempt_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id        TEXT NOT NULL REFERENCES psrunbook.runs(run_id),
            step_index    INTEGER NOT NULL CHECK (step_index >= 0),
            step_name     TEXT NOT NULL,
            node          TEXT NOT NULL,
            script_sha256 TEXT NOT NULL,
            check_only    BOOLEAN NOT NULL,
            status        TEXT NOT NULL
                          CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
            changed       BOOLEAN,
            result_json   TEXT,
            errors_json   TEXT NOT NULL DEFAULT '[]',
            started_at    TIMESTAMPTZ NOT NULL,
            finished_at   TIMESTAMPTZ,
            duration_ns   BIGINT CHECK (duration_ns >= 0)
        )
        """
    )
    conn.execute(
        "CREATE INDEX attempts_by_run ON psrunbook.attempts (run_id, step_index, node, attempt_id)"
    )
    conn.execute("CREATE INDEX runs_by_start ON psrunbook.runs (started_at)")


def _migrate_to_2(conn: psycopg.Connection[DictRow]) -> None:
    """Who and where: the cluster, the operator's login, unsafe settings accepted."""
    conn.execute("ALTER TABLE psrunbook.runs ADD COLUMN cluster TEXT")
    conn.execute("ALTER TABLE psrunbook.runs ADD COLUMN os_user TEXT")
    conn.execute("ALTER TABLE psrunbook.runs ADD COLUMN insecure_json TEXT NOT NULL DEFAULT '{}'")


def _migrate_to_3(conn: psycopg.Connection[DictRow]) -> None:
    """Holds: one row per held resource; the primary key and advisory locks make it atomic."""
    conn.execute(
        """
        CREATE TABLE psrunbook.holds (
            resource TEXT PRIMARY KEY,
            run_id   TEXT NOT NULL,
            host     TEXT NOT NULL,
            pid      INTEGER NOT NULL,
            since    TIMESTAMPTZ NOT NULL,
            token    TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX holds_by_run ON psrunbook.holds (run_id)")


def _migrate_to_4(conn: psycopg.Connection[DictRow]) -> None:
    """The run's target (inventory file, or the simulated lab), for ``resume RUN_ID``."""
    conn.execute("ALTER TABLE psrunbook.runs ADD COLUMN inventory_path TEXT")
    conn.execute("ALTER TABLE psrunbook.runs ADD COLUMN sim BOOLEAN")


def _migrate_to_5(conn: psycopg.Connection[DictRow]) -> None:
    """The cluster's own id, as it answered the run's identity probe (a resume compares)."""
    conn.execute("ALTER TABLE psrunbook.runs ADD COLUMN cluster_id TEXT")


def _migrate_to_6(conn: psycopg.Connection[DictRow]) -> None:
    """Approvals: who approved or rejected a run, when, and the sha256 approved."""
    conn.execute(
        """
        CREATE TABLE psrunbook.decisions (
            decision_id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id        TEXT NOT NULL REFERENCES psrunbook.runs(run_id),
            verdict       TEXT NOT NULL CHECK (verdict IN ('approved', 'rejected')),
            decided_by    TEXT NOT NULL,
            decided_at    TIMESTAMPTZ NOT NULL,
            bundle_sha256 TEXT,
            reason        TEXT NOT NULL DEFAULT '',
            UNIQUE (run_id, verdict, decided_by, decided_at)
        )
        """
    )


def _migrate_to_7(conn: psycopg.Connection[DictRow]) -> None:
    """The pipeline each apply attempt sent (client SessionId and CommandId)."""
    conn.execute("ALTER TABLE psrunbook.attempts ADD COLUMN client_session_id TEXT")
    conn.execute("ALTER TABLE psrunbook.attempts ADD COLUMN pipeline_id TEXT")
    conn.execute(
        "CREATE INDEX attempts_running ON psrunbook.attempts (status) WHERE status = 'running'"
    )


def _migrate_to_8(conn: psycopg.Connection[DictRow]) -> None:
    """What is known of each pipeline's end on the node (SQLite's migration 8)."""
    conn.execute(
        "ALTER TABLE psrunbook.attempts ADD COLUMN pipeline_end TEXT CHECK (pipeline_end IN"
        " ('seen', 'unsent', 'absent', 'finished', 'stopped'))"
    )
    conn.execute("ALTER TABLE psrunbook.attempts ADD COLUMN pipeline_end_run TEXT")
    conn.execute(
        "UPDATE psrunbook.attempts SET pipeline_end = 'seen'"
        " WHERE status = 'succeeded' AND pipeline_id IS NOT NULL"
    )
    conn.execute("DROP INDEX IF EXISTS psrunbook.attempts_running")
    conn.execute(
        "CREATE INDEX attempts_pipeline_open ON psrunbook.attempts (attempt_id)"
        " WHERE pipeline_id IS NOT NULL AND pipeline_end IS NULL"
    )


def _migrate_to_9(conn: psycopg.Connection[DictRow]) -> None:
    """Whether ``submit`` queued the run in a fleet (SQLite's migration 9): NULL, unknown,
    in runs journaled before."""
    conn.execute("ALTER TABLE psrunbook.runs ADD COLUMN submitted BOOLEAN")


# MIGRATIONS[n] turns a version n-1 journal into version n. Append, never edit; the
# versions are the SQLite journal's (psrunbook.journal.MIGRATIONS), step for step.
MIGRATIONS: Final = {
    1: _migrate_to_1,
    2: _migrate_to_2,
    3: _migrate_to_3,
    4: _migrate_to_4,
    5: _migrate_to_5,
    6: _migrate_to_6,
    7: _migrate_to_7,
    8: _migrate_to_8,
    9: _migrate_to_9,
}
assert max(MIGRATIONS) == SCHEMA_VERSION, "journal_model.SCHEMA_VERSION names the last migration"


def _migrate(conn: psycopg.Connection[DictRow], location: str) -> None:
    """Bring the schema to SCHEMA_VERSION, once, whoever else is opening it right now."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, _MIGRATION_LOCK))
        # Created only when missing: even with IF NOT EXISTS, CREATE SCHEMA needs the
        # CREATE privilege on the database, which a role given only the schema lacks.
        if not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchall():
            conn.execute("CREATE SCHEMA IF NOT EXISTS psrunbook")
        tables = {
            row["tablename"]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (SCHEMA,)
            )
        }
        if "schema_version" in tables:
            row = conn.execute("SELECT MAX(version) AS v FROM psrunbook.schema_version").fetchone()
            version = int(row["v"] or 0) if row else 0
        elif tables:
            raise JournalError(
                f"journal {location} is not a usable psrunbook journal: its schema "
                f"{SCHEMA!r} holds other tables ({', '.join(sorted(tables))}); point "
                f"--journal at another database, or {_FIX}"
            )
        else:
            conn.execute("CREATE TABLE psrunbook.schema_version (version INTEGER NOT NULL)")
            version = 0
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"journal {location} has schema version {version}, newer than this psrunbook "
                f"understands ({SCHEMA_VERSION}); upgrade psrunbook on this machine, or {_FIX}"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[target](conn)
            conn.execute("DELETE FROM psrunbook.schema_version")
            conn.execute("INSERT INTO psrunbook.schema_version (version) VALUES (%s)", (target,))


def configure_session(conn: psycopg.Connection[DictRow]) -> None:
    """Times in UTC; commits durable: ``synchronous_commit`` raised to ``on`` if it is lower.

    A stronger setting the server or role was given (``remote_write``, ``remote_apply``)
    is kept; ``off`` and ``local`` would let a commit be acknowledged before it is where
    the server's replication promises it, so they are raised.
    """
    conn.execute("SET TIME ZONE 'UTC'")
    row = conn.execute("SELECT current_setting('synchronous_commit') AS s").fetchone()
    if row is None or row["s"] in {"off", "local"}:
        conn.execute("SET synchronous_commit = on")


# --------------------------------------------------------------------------- journal

T = TypeVar("T")


def _begin(conn: psycopg.Connection[DictRow]) -> psycopg.Connection[DictRow]:
    conn.execute("BEGIN")
    return conn


def _begin_without_waiting(conn: psycopg.Connection[DictRow]) -> psycopg.Connection[DictRow]:
    """A transaction whose commit does not wait for the WAL flush (one round trip)."""
    conn.execute("BEGIN; SET LOCAL synchronous_commit = off")
    return conn



class PostgresJournal:
    """An open journal in PostgreSQL (a :class:`~psrunbook.journal_model.RunJournal`).

    Thread-safe: one connection, one transaction at a time. A connection the server
    dropped while idle (a restart, a failover) is opened again by the next call; a write
    that meets a break fails with a JournalError, so a script is never sent without its
    attempt recorded.
    """

    def __init__(self, conninfo: str, location: str) -> None:
        self._conninfo = conninfo
        self._location = location
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[DictRow] | None = None

    @classmethod
    def open(cls, url: str) -> PostgresJournal:
        """Connect, migrate and return the journal at ``url`` (a ``postgresql://`` URL)."""
        params = _parsed(url)
        for secret in (str(params.get("password") or ""), *url_secrets(url)):
            register_secret(secret)  # an empty one is ignored
        journal = cls(url, display_url(url))
        with journal._lock:
            conn = journal._connection()
            try:
                _migrate(conn, journal.location)
            except psycopg.Error as exc:
                conn.close()
                raise journal._error("open", exc) from None
            except BaseException:
                conn.close()
                raise
        return journal

    @property
    def location(self) -> str:
        return self._location

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ----------------------------------------------------------------- plumbing

    def _connection(self) -> psycopg.Connection[DictRow]:
        """The open connection, connecting (again) if there is none or it broke."""
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        extra: dict[str, Any] = {}
        if "connect_timeout" not in _parsed(self._conninfo):
            extra["connect_timeout"] = _CONNECT_TIMEOUT_S
        try:
            conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                row_factory=dict_row,
                application_name="psrunbook",
                **extra,
            )
            configure_session(conn)
        except psycopg.Error as exc:
            raise JournalError(
                f"cannot connect to journal {self.location}: "
                f"{redact_text(str(exc).strip())}; check that the server is up and "
                "reachable from this machine and the credentials (PGPASSFILE, ~/.pgpass, "
                f"Kerberos), or {_FIX}"
            ) from None
        self._conn = conn
        return conn

    def _error(self, what: str, exc: psycopg.Error) -> JournalError:
        return JournalError(
            f"cannot {what} journal {self.location}: {redact_text(str(exc).strip())}"
        )

    def _again(self, action: Callable[[psycopg.Connection[DictRow]], T]) -> T:
        """``action`` on the connection, on a new one if the server dropped the old one idle.

        Only for what may run twice: a read, or the ``BEGIN`` of a write (nothing of the
        transaction was sent yet). A restart or failover between two steps then costs
        nothing; a connection lost *during* a write still fails that write.
        """
        conn = self._connection()
        try:
            return action(conn)
        except psycopg.OperationalError:
            if not conn.broken:
                raise
        return action(self._connection())

    @contextmanager
    def _write(self, what: str) -> Iterator[psycopg.Connection[DictRow]]:
        """One short transaction of several statements, committed durably at the end."""
        with self._lock:
            try:
                conn = self._again(_begin)
                try:
                    yield conn
                except BaseException:
                    if not conn.broken:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except psycopg.Error as exc:
                raise self._error(f"record {what} in", exc) from None

    def _statement(
        self, what: str, query: str, args: Sequence[Any], *, sync: bool = True
    ) -> list[DictRow]:
        """One statement in its own transaction; the rows it returns (``RETURNING``).

        The ``BEGIN`` goes alone, so a connection dropped while idle is found there and
        replaced (see :meth:`_again`); the statement and its ``COMMIT`` then go together
        in one round trip (a pipeline): two round trips a write, whatever the statement.
        """
        with self._lock:
            try:
                conn = self._again(_begin if sync else _begin_without_waiting)
                try:
                    with conn.pipeline():
                        cursor = conn.execute(query, args)
                        conn.execute("COMMIT")
                    return cursor.fetchall() if cursor.description else []
                except BaseException:
                    if not conn.broken and conn.info.transaction_status != TransactionStatus.IDLE:
                        conn.execute("ROLLBACK")
                    raise
            except psycopg.Error as exc:
                raise self._error(f"record {what} in", exc) from None

    def _read(self, query: str, args: Sequence[Any] = ()) -> list[DictRow]:
        with self._lock:
            try:
                return self._again(lambda conn: conn.execute(query, args).fetchall())
            except psycopg.Error as exc:
                raise self._error("read", exc) from None

    def _no_run_message(self, run_id: str) -> str:
        return (
            f"no run with id {run_id} in journal {self.location}; `psrunbook runs` lists the "
            f"recorded runs (with the same --journal or {_JOURNAL_ENV})"
        )

    # ----------------------------------------------------------------- writes

    def start_run(
        self,
        *,
        run_id: str,
        runbook: str,
        runbook_version: str,
        mode: RunMode,
        parameters: Mapping[str, Any],
        parameters_sha256: str,
        inventory_sha256: str,
        bundle_sha256: str | None,
        user: str | None,
        cluster: str | None = None,
        os_user: str | None = None,
        insecure: Mapping[str, str] | None = None,
        inventory_path: str | None = None,
        sim: bool | None = None,
        submitted: bool = False,
    ) -> None:
        """Record a new run before its first step; ``parameters`` must already be public."""
        check_mode(mode)
        inserted = self._statement(
            f"run {run_id}",
            "INSERT INTO psrunbook.runs (run_id, runbook, runbook_version, mode,"
            " parameters_json, parameters_sha256, inventory_sha256, bundle_sha256,"
            ' "user", started_at, cluster, os_user, insecure_json, inventory_path, sim,'
            " submitted) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp(), %s,"
            " %s, %s, %s, %s, %s)"
            " ON CONFLICT (run_id) DO NOTHING RETURNING run_id",
            (
                run_id,
                redact_text(runbook),
                redact_text(runbook_version),
                mode,
                json_text(dict(parameters)),
                parameters_sha256,
                inventory_sha256,
                bundle_sha256,
                opt_text(user),
                opt_text(cluster),
                opt_text(os_user),
                json_text(dict(insecure or {})),
                opt_text(inventory_path),
                sim,
                submitted,
            ),
        )
        if not inserted:
            raise JournalError(
                f"a run with id {run_id} is already recorded in {self.location}; "
                "use `psrunbook resume` to continue it"
            )

    def mark_resumed(self, run_id: str, *, insecure: Mapping[str, str] | None = None) -> None:
        """A resume continues ``run_id``: clear its outcome, count the resume, add settings."""
        with self._write(f"resume of run {run_id}") as conn:
            row = conn.execute(
                "SELECT * FROM psrunbook.runs WHERE run_id = %s FOR UPDATE", (run_id,)
            ).fetchone()
            if row is None:
                raise JournalError(self._no_run_message(run_id))
            accepted = merged_insecure(run_record(row, _FIX), insecure)
            conn.execute(
                "UPDATE psrunbook.runs SET outcome = NULL, finished_at = NULL,"
                " resumes = resumes + 1, insecure_json = %s WHERE run_id = %s",
                (json_text(accepted), run_id),
            )

    def record_cluster_id(self, run_id: str, cluster_id: str) -> None:
        """The id the cluster gave when the run first asked; a resume must find it again."""
        self._statement(
            f"the cluster id of run {run_id}",
            "UPDATE psrunbook.runs SET cluster_id = %s WHERE run_id = %s",
            (cluster_id, run_id),
        )

    def begin_attempt(
        self,
        *,
        run_id: str,
        step_index: int,
        step_name: str,
        node: str,
        script_sha256: str,
        check_only: bool,
        pipeline: PipelineRef | None = None,
    ) -> int:
        """Record, durably, that a script is about to run on a node; the attempt id."""
        rows = self._statement(
            f"attempt of step {step_name} on {node}",
            "INSERT INTO psrunbook.attempts (run_id, step_index, step_name, node,"
            " script_sha256, check_only, status, started_at, client_session_id, pipeline_id)"
            " SELECT %s, %s, %s, %s, %s, %s, 'running', clock_timestamp(), %s, %s"
            " WHERE EXISTS (SELECT 1 FROM psrunbook.runs WHERE run_id = %s)"
            " RETURNING attempt_id",
            (
                run_id,
                step_index,
                redact_text(step_name),
                redact_text(node),
                script_sha256,
                check_only,
                None if pipeline is None else pipeline.client_id,
                None if pipeline is None else pipeline.pipeline_id,
                run_id,
            ),
        )
        if not rows:
            raise JournalError(self._no_run_message(run_id))
        return int(rows[0]["attempt_id"])

    def finish_attempt(
        self,
        attempt_id: int,
        *,
        status: FinalAttemptStatus,
        changed: bool | None,
        result: StepResult | None,
        errors: Sequence[StepError],
        duration_ns: int,
        pipeline_end: OwnPipelineEnd | None = None,
    ) -> None:
        """Record how an attempt ended, only if it is still ``running`` (never twice)."""
        check_final_status(status)
        check_own_pipeline_end(pipeline_end)
        updated = self._statement(
            f"end of attempt {attempt_id}",
            "UPDATE psrunbook.attempts SET status = %s, changed = %s, result_json = %s,"
            " errors_json = %s, finished_at = clock_timestamp(), duration_ns = %s,"
            " pipeline_end = %s WHERE attempt_id = %s AND status = 'running'"
            " RETURNING attempt_id",
            (
                status,
                changed,
                None if result is None else json_text(result.reported()),
                json_text([e.to_dict() for e in errors]),
                max(0, int(duration_ns)),
                pipeline_end,
                attempt_id,
            ),
            sync=False,
        )
        if updated:
            return
        rows = self._read(
            "SELECT status FROM psrunbook.attempts WHERE attempt_id = %s", (attempt_id,)
        )
        if not rows:
            raise JournalError(f"no attempt with id {attempt_id} in journal {self.location}")
        raise JournalError(
            f"attempt {attempt_id} already finished as {rows[0]['status']} in {self.location}"
        )

    def finish_run(self, run_id: str, outcome: RunOutcome) -> None:
        """Record a run's end (again after each resume)."""
        check_outcome(outcome)
        finished = self._statement(
            f"end of run {run_id}",
            "UPDATE psrunbook.runs SET outcome = %s, finished_at = clock_timestamp()"
            " WHERE run_id = %s RETURNING run_id",
            (outcome, run_id),
        )
        if not finished:
            raise JournalError(self._no_run_message(run_id))

    def record_decision(
        self,
        run_id: str,
        *,
        verdict: Verdict,
        decided_by: str,
        decided_at: datetime,
        bundle_sha256: str | None,
        reason: str = "",
    ) -> None:
        """Record who approved or rejected a run, when, and the sha256 approved (once)."""
        check_verdict(verdict)
        known = self._statement(
            f"decision on run {run_id}",
            "INSERT INTO psrunbook.decisions (run_id, verdict, decided_by, decided_at,"
            " bundle_sha256, reason) SELECT run_id, %s, %s, %s, %s, %s FROM psrunbook.runs"
            " WHERE run_id = %s"
            " ON CONFLICT (run_id, verdict, decided_by, decided_at) DO NOTHING"
            " RETURNING run_id",
            (
                verdict,
                redact_text(decided_by),
                decided_at,
                bundle_sha256,
                redact_text(reason),
                run_id,
            ),
        )
        if not known:
            self.run(run_id)  # a missing run is an error; a repeated decision is not

    def record_first_decision(
        self,
        run_id: str,
        *,
        verdict: Verdict,
        decided_by: str,
        decided_at: datetime,
        bundle_sha256: str | None,
        reason: str = "",
    ) -> DecisionRecord:
        """Record a reviewer's decision only if the run has none yet; the one that stands.

        The run's row is locked first (``FOR NO KEY UPDATE``: two deciders exclude each
        other, while the run's own attempts, which only reference the row, go on), so
        the check and the insert are atomic across machines: a second reviewer's
        transaction waits for the first's commit, then reads its decision.
        """
        check_verdict(verdict)
        with self._write(f"decision on run {run_id}") as conn:
            # Each statement must see what committed before it (a server defaulting to
            # REPEATABLE READ would read the decisions as of before the lock was granted).
            conn.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            locked = conn.execute(
                "SELECT 1 FROM psrunbook.runs WHERE run_id = %s FOR NO KEY UPDATE", (run_id,)
            ).fetchone()
            if locked is None:
                raise JournalError(self._no_run_message(run_id))
            first = conn.execute(
                "SELECT * FROM psrunbook.decisions WHERE run_id = %s"
                " ORDER BY decided_at, decision_id LIMIT 1",
                (run_id,),
            ).fetchone()
            if first is None:
                first = conn.execute(
                    "INSERT INTO psrunbook.decisions (run_id, verdict, decided_by, decided_at,"
                    " bundle_sha256, reason) VALUES (%s, %s, %s, %s, %s, %s) RETURNING *",
                    (
                        run_id,
                        verdict,
                        redact_text(decided_by),
                        decided_at,
                        bundle_sha256,
                        redact_text(reason),
                    ),
                ).fetchone()
        assert first is not None  # found, or inserted and returned
        return decision_record(first, _FIX)

    # ----------------------------------------------------------------- holds

    def try_hold(self, resources: Sequence[str], holder: Holder) -> dict[str, Holder]:
        """Take every resource for ``holder`` in one transaction, or none (see HoldStore).

        Each resource's advisory lock is taken first, in sorted order, so two processes
        taking overlapping sets on different machines serialise instead of both seeing
        the resource free.
        """
        with self._write(f"hold of run {holder.run_id}") as conn:
            for resource in sorted(set(resources)):
                conn.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, resource)
                )
            found = self._holders(conn, resources)
            blocking = {r: h for r, h in found.items() if not replaces(holder, h)}
            if blocking:
                return blocking
            since = holder.since
            with conn.cursor() as cursor:
                cursor.executemany(
                    "DELETE FROM psrunbook.holds WHERE resource = %s AND token = %s",
                    [(resource, old.token) for resource, old in found.items()],
                )
                cursor.executemany(
                    "INSERT INTO psrunbook.holds (resource, run_id, host, pid, since, token)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    [
                        (resource, holder.run_id, holder.host, holder.pid, since, holder.token)
                        for resource in resources
                    ],
                )
        return {}

    def release_holds(self, resources: Sequence[str], token: str) -> None:
        self._statement(
            "release of holds",
            "DELETE FROM psrunbook.holds WHERE resource = ANY(%s) AND token = %s",
            (list(resources), token),
        )

    def break_hold(self, resource: str, token: str) -> bool:
        broken = self._statement(
            f"break of hold {resource}",
            "DELETE FROM psrunbook.holds WHERE resource = %s AND token = %s RETURNING resource",
            (resource, token),
        )
        return bool(broken)

    def holders(self, resources: Sequence[str]) -> dict[str, Holder]:
        with self._lock:
            try:
                return self._again(lambda conn: self._holders(conn, resources))
            except psycopg.Error as exc:
                raise self._error("read", exc) from None

    def holds_of(self, run_id: str) -> dict[str, Holder]:
        rows = self._read("SELECT * FROM psrunbook.holds WHERE run_id = %s", (run_id,))
        return {row["resource"]: holder_record(row, _FIX) for row in rows}

    @staticmethod
    def _holders(conn: psycopg.Connection[DictRow], resources: Sequence[str]) -> dict[str, Holder]:
        rows = conn.execute(
            "SELECT * FROM psrunbook.holds WHERE resource = ANY(%s)", (list(resources),)
        ).fetchall()
        return {row["resource"]: holder_record(row, _FIX) for row in rows}

    # ----------------------------------------------------------------- reads

    def runs(self, limit: int = 20) -> list[RunRecord]:
        rows = self._read(
            "SELECT * FROM psrunbook.runs ORDER BY started_at DESC, run_id DESC LIMIT %s",
            (max(0, limit),),
        )
        return [run_record(row, _FIX) for row in rows]

    def run(self, run_id: str) -> RunRecord:
        found = self._exact_run(run_id)
        if found is None:
            raise JournalError(self._no_run_message(run_id))
        return found

    def find_run(self, reference: str) -> RunRecord:
        """``last``, a run id, or a prefix naming exactly one run (see ``resolve_run``)."""
        return resolve_run(
            reference,
            location=self.location,
            no_run=self._no_run_message(reference),
            newest=lambda: self.runs(1),
            exact=self._exact_run,
            prefixed=self._runs_starting,
        )

    def _exact_run(self, run_id: str) -> RunRecord | None:
        rows = self._read("SELECT * FROM psrunbook.runs WHERE run_id = %s", (run_id,))
        return run_record(rows[0], _FIX) if rows else None

    def _runs_starting(self, prefix: str) -> list[RunRecord]:
        # starts_with, not LIKE: a run id may hold `_`, which LIKE would read as a wildcard.
        rows = self._read(
            "SELECT * FROM psrunbook.runs WHERE starts_with(run_id, %s)"
            " ORDER BY started_at DESC, run_id DESC LIMIT 11",
            (prefix,),
        )
        return [run_record(row, _FIX) for row in rows]

    def attempts(self, run_id: str) -> list[AttemptRecord]:
        self.run(run_id)
        rows = self._read(
            "SELECT * FROM psrunbook.attempts WHERE run_id = %s ORDER BY attempt_id", (run_id,)
        )
        return [attempt_record(row, _FIX) for row in rows]

    def record_pipeline_end(self, attempt_id: int, end: Settlement, *, by_run: str) -> None:
        self._statement(
            f"the pipeline end of attempt {attempt_id}",
            "UPDATE psrunbook.attempts SET pipeline_end = %s, pipeline_end_run = %s"
            " WHERE attempt_id = %s AND pipeline_end IS NULL",
            (end, by_run, attempt_id),
            sync=False,
        )

    def open_pipelines(self, cluster: str, *, other_than: str) -> list[AttemptRecord]:
        rows = self._read(
            "SELECT a.*, r.cluster AS run_cluster FROM psrunbook.attempts a"
            " JOIN psrunbook.runs r USING (run_id) WHERE a.pipeline_id IS NOT NULL"
            " AND a.pipeline_end IS NULL AND a.status IN ('running', 'failed')"
            " AND NOT a.check_only AND a.run_id != %s ORDER BY a.attempt_id",
            (other_than,),
        )
        wanted = cluster.casefold()
        return [
            attempt_record(row, _FIX)
            for row in rows
            if (row["run_cluster"] or "").casefold() == wanted
        ]

    def decisions(self, run_id: str) -> list[DecisionRecord]:
        self.run(run_id)
        rows = self._read(
            "SELECT * FROM psrunbook.decisions WHERE run_id = %s"
            " ORDER BY decided_at, decision_id",
            (run_id,),
        )
        return [decision_record(row, _FIX) for row in rows]

    def step_status(self, run_id: str) -> dict[int, dict[str, str]]:
        """As the SQLite journal: applied attempts count for a run, checks for a plan.

        One round trip (the run's mode joined in): a fleet worker asks before every step.
        """
        rows = self._read(
            "SELECT DISTINCT ON (a.step_index, a.node) a.step_index, a.node, a.status"
            " FROM psrunbook.attempts a JOIN psrunbook.runs r ON r.run_id = a.run_id"
            " WHERE a.run_id = %s AND a.check_only = (r.mode = 'plan')"
            " ORDER BY a.step_index, a.node, a.attempt_id DESC",
            (run_id,),
        )
        if not rows:
            self.run(run_id)  # no attempts yet, or no such run (refused)
        return latest_statuses(rows)
