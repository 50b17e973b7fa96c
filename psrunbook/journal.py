"""The run journal: an SQLite record of every run and every step attempt on every node.

It exists for two readers. ``resume`` needs the truth about what already happened, even
after a crash: every write is its own transaction, committed before the call returns,
and an attempt is recorded as ``running`` *before* its script is sent, so a process
killed mid-step leaves an attempt that says "unknown, re-probe" rather than nothing or
"done". Auditors need who ran what with which script hash and what changed.

Layout (``docs/journal.md`` has the full schema)::

    <state dir>/journal.sqlite3     WAL mode, synced commits, owner-only permissions
        schema_version(version)
        runs(run_id, runbook, runbook_version, mode, parameters_json, ...hashes, user,
             started_at, finished_at, outcome, resumes, cluster, os_user, insecure_json,
             inventory_path, sim, cluster_id, submitted)
        holds(resource, run_id, host, pid, since, token)   who works on a run or cluster
        decisions(decision_id, run_id, verdict, decided_by, decided_at, bundle_sha256, reason)
        attempts(attempt_id, run_id, step_index, step_name, node, script_sha256,
                 check_only, status, changed, result_json, errors_json,
                 started_at, finished_at, duration_ns)

Secrets: parameters arrive already masked, and every text written additionally passes
through the log redactor (:func:`psrunbook.secrets.redact_text`), so a value registered as
secret can never reach the database file.
"""

from __future__ import annotations

import functools
import os
import resource as _resource
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from platformdirs import user_state_dir

from psrunbook.errors import JournalError
from psrunbook.holds import Holder, replaces
from psrunbook.journal_model import (
    SCHEMA_VERSION,
    AttemptRecord,
    AttemptStatus,
    DecisionRecord,
    FinalAttemptStatus,
    OwnPipelineEnd,
    RunJournal,
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
    iso_text,
    json_text,
    latest_statuses,
    merged_insecure,
    new_run_id,
    now_utc,
    opt_text,
    resolve_run,
    run_record,
)
from psrunbook.secrets import redact_text

if TYPE_CHECKING:
    from datetime import datetime

    from psrunbook.results.step_error import StepError
    from psrunbook.runbook.model import StepResult
    from psrunbook.transport.base import PipelineRef, Settlement

__all__ = [
    "JOURNAL_FILE",
    "SCHEMA_VERSION",
    "STATE_DIR_ENV",
    "AttemptRecord",
    "AttemptStatus",
    "FinalAttemptStatus",
    "Journal",
    "RunJournal",
    "RunMode",
    "RunOutcome",
    "RunRecord",
    "default_state_dir",
    "new_run_id",
]

JOURNAL_FILE: Final = "journal.sqlite3"
STATE_DIR_ENV: Final = "PSRUNBOOK_STATE_DIR"
APP_NAME: Final = "psrunbook"

_BUSY_TIMEOUT_MS: Final = 10_000
_FIX_STATE_DIR: Final = f"choose another directory with --state-dir or {STATE_DIR_ENV}"
# SQLite's answers to a write the file system refused. SQLite maps ENOSPC to SQLITE_FULL
# but every other failed write (EFBIG past a file size limit, EDQUOT on some systems, a
# shared-memory file it could not grow) to an I/O error; these say "could not write", never
# that the database is damaged, so they must not be reported as a corrupted journal.
_WRITE_REFUSED: Final = frozenset(
    {
        "SQLITE_FULL",
        "SQLITE_IOERR_WRITE",
        "SQLITE_IOERR_SHMSIZE",
        "SQLITE_IOERR_TRUNCATE",
        "SQLITE_IOERR_FSYNC",
        "SQLITE_IOERR_DIR_FSYNC",
    }
)
_AGAIN: Final = f"run the command again, or {_FIX_STATE_DIR}"
# Less free space than this, after a write failed, is a full file system.
_NEARLY_FULL_BYTES: Final = 1 << 20
_SQLITE_MAX_INT: Final = (1 << 63) - 1
"""The largest integer SQLite binds; a larger LIMIT would not even reach it (OverflowError)."""


# --------------------------------------------------------------------------- helpers


def default_state_dir() -> Path:
    """Where journals live: ``$PSRUNBOOK_STATE_DIR`` if set, else the per-user state dir."""
    override = os.environ.get(STATE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(user_state_dir(APP_NAME, appauthor=False))


# --------------------------------------------------------------------------- schema


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE runs (
            run_id            TEXT PRIMARY KEY,
            runbook           TEXT NOT NULL,
            runbook_version   TEXT NOT NULL,
            mode              TEXT NOT NULL CHECK (mode IN ('run', 'plan')),
            parameters_json   TEXT NOT NULL,
            parameters_sha256 TEXT NOT NULL,
            inventory_sha256  TEXT NOT NULL,
            bundle_sha256     TEXT,
            user              TEXT,
            started_at        TEXT NOT NULL,
            finished_at       TEXT,
            outcome           TEXT CHECK (outcome IN ('succeeded', 'failed', 'interrupted')),
            resumes           INTEGER NOT NULL DEFAULT 0
        ) STRICT
        """
    )
    conn.execute(
        """
        CREATE TABLE attempts (
            attempt_id    INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id        TEXT NOT NULL REFERENCES runs(run_id),
            step_index    INTEGER NOT NULL CHECK (step_index >= 0),
            step_name     TEXT NOT NULL,
            node          TEXT NOT NULL,
            script_sha256 TEXT NOT NULL,
            check_only    INTEGER NOT NULL CHECK (check_only IN (0, 1)),
            status        TEXT NOT NULL
                          CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
            changed       INTEGER CHECK (changed IN (0, 1)),
            result_json   TEXT,
            errors_json   TEXT NOT NULL DEFAULT '[]',
            started_at    TEXT NOT NULL,
            finished_at   TEXT,
            duration_ns   INTEGER CHECK (duration_ns >= 0)
        ) STRICT
        """
    )
    conn.execute("CREATE INDEX attempts_by_run ON attempts (run_id, step_index, node, attempt_id)")
    conn.execute("CREATE INDEX runs_by_start ON runs (started_at)")


def _migrate_to_2(conn: sqlite3.Connection) -> None:
    """Who and where, for auditors and the SIEM's journal view.

    The cluster the run targeted, the operator's login on the control node, and every
    unsafe connection setting accepted with ``--insecure`` (a JSON object, node ->
    reason; ``{}`` when none). Runs journaled before know none of them.
    """
    conn.execute("ALTER TABLE runs ADD COLUMN cluster TEXT")
    conn.execute("ALTER TABLE runs ADD COLUMN os_user TEXT")
    conn.execute("ALTER TABLE runs ADD COLUMN insecure_json TEXT NOT NULL DEFAULT '{}'")


def _migrate_to_3(conn: sqlite3.Connection) -> None:
    """Holds: which process works on a run or a cluster (see psrunbook.holds).

    One row per held resource (``run:<id>``, ``cluster:<name>``); the primary key makes
    taking a hold an atomic insert, and a process gives back only rows with its token.
    """
    conn.execute(
        """
        CREATE TABLE holds (
            resource TEXT PRIMARY KEY,
            run_id   TEXT NOT NULL,
            host     TEXT NOT NULL,
            pid      INTEGER NOT NULL,
            since    TEXT NOT NULL,
            token    TEXT NOT NULL
        ) STRICT
        """
    )


def _migrate_to_4(conn: sqlite3.Connection) -> None:
    """The run's target, so ``resume RUN_ID`` needs no ``-i``/``--sim``.

    ``inventory_path``: the inventory file's absolute path (NULL for the simulated lab);
    ``sim``: 1 for the embedded simulated lab, 0 for an inventory. Both NULL in runs
    journaled before: their resume still names the target.
    """
    conn.execute("ALTER TABLE runs ADD COLUMN inventory_path TEXT")
    conn.execute("ALTER TABLE runs ADD COLUMN sim INTEGER CHECK (sim IN (0, 1))")


def _migrate_to_5(conn: sqlite3.Connection) -> None:
    """The cluster's own id, as it answered the run's identity probe (a resume compares)."""
    conn.execute("ALTER TABLE runs ADD COLUMN cluster_id TEXT")


def _migrate_to_6(conn: sqlite3.Connection) -> None:
    """Approvals: who approved or rejected a run, when, and the sha256 approved.

    One row per decision; the UNIQUE key makes recording the same decision twice (by
    the operator's command and by the worker) a no-op.
    """
    conn.execute(
        """
        CREATE TABLE decisions (
            decision_id   INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id        TEXT NOT NULL REFERENCES runs(run_id),
            verdict       TEXT NOT NULL CHECK (verdict IN ('approved', 'rejected')),
            decided_by    TEXT NOT NULL,
            decided_at    TEXT NOT NULL,
            bundle_sha256 TEXT,
            reason        TEXT NOT NULL DEFAULT '',
            UNIQUE (run_id, verdict, decided_by, decided_at)
        ) STRICT
        """
    )


def _migrate_to_7(conn: sqlite3.Connection) -> None:
    """The pipeline each apply attempt sent: the client's WSMan SessionId and the
    pipeline's CommandId, so a resume can find what a crash left running on the node
    (:mod:`psrunbook.transport.left_pipelines`)."""
    conn.execute("ALTER TABLE attempts ADD COLUMN client_session_id TEXT")
    conn.execute("ALTER TABLE attempts ADD COLUMN pipeline_id TEXT")
    # Every run that changes a cluster asks for the attempts still running (another run's
    # may be left on its nodes): few rows, found without reading every attempt.
    conn.execute("CREATE INDEX attempts_running ON attempts (status) WHERE status = 'running'")


def _migrate_to_8(conn: sqlite3.Connection) -> None:
    """What is known of each pipeline's end on the node, so that a later run waits for a
    script a lost connection or an interrupt left running as it does for a crash's, and
    asks each node about it once (:attr:`AttemptRecord.pipeline_end`)."""
    conn.execute(
        "ALTER TABLE attempts ADD COLUMN pipeline_end TEXT CHECK (pipeline_end IN"
        " ('seen', 'unsent', 'absent', 'finished', 'stopped'))"
    )
    conn.execute("ALTER TABLE attempts ADD COLUMN pipeline_end_run TEXT")
    # A succeeded attempt received its pipeline's end; a failed one may not have.
    conn.execute(
        "UPDATE attempts SET pipeline_end = 'seen'"
        " WHERE status = 'succeeded' AND pipeline_id IS NOT NULL"
    )
    conn.execute("DROP INDEX IF EXISTS attempts_running")
    # Every run that changes a cluster asks for the pipelines whose end nobody saw: few
    # rows, found without reading every attempt.
    conn.execute(
        "CREATE INDEX attempts_pipeline_open ON attempts (attempt_id)"
        " WHERE pipeline_id IS NOT NULL AND pipeline_end IS NULL"
    )


def _migrate_to_9(conn: sqlite3.Connection) -> None:
    """Whether ``submit`` queued the run in a fleet: 1 for a submitted run, 0 for one
    ``run`` started, NULL (unknown) in runs journaled before. ``resume`` and ``runs`` ask
    the fleet's database (loading DBOS) only about runs that are not 0."""
    conn.execute("ALTER TABLE runs ADD COLUMN submitted INTEGER CHECK (submitted IN (0, 1))")


# MIGRATIONS[n] turns a version n-1 journal into version n. Append, never edit.
MIGRATIONS: Final[dict[int, Callable[[sqlite3.Connection], None]]] = {
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


# --------------------------------------------------------------------------- journal


@dataclass(kw_only=True)
class _Queued(ABC):
    """A write waiting for the group commit that records it (:meth:`Journal._grouped`)."""

    what: str
    """What the write records, for its error message."""
    error: JournalError | None = None
    done: bool = False
    several: ClassVar[str] = "{} writes"
    """What a group of them records, for the group's error message."""

    @abstractmethod
    def write(self, conn: sqlite3.Connection) -> None:
        """Record this in ``conn``'s transaction; JournalError when it cannot be."""

    @abstractmethod
    def forget(self) -> None:
        """Drop what a rolled-back write left here (it is written again alone)."""


@dataclass(kw_only=True)
class _Starting(_Queued):
    """One attempt waiting for the group commit that records its start."""

    several: ClassVar[str] = "{} attempts"
    run_id: str
    row: tuple[Any, ...]
    no_run: str
    """The error message when the run is not in the journal."""
    attempt_id: int | None = None

    def write(self, conn: sqlite3.Connection) -> None:
        if not conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (self.run_id,)).fetchone():
            raise JournalError(self.no_run)
        self.attempt_id = conn.execute(
            "INSERT INTO attempts (run_id, step_index, step_name, node, script_sha256,"
            " check_only, status, started_at, client_session_id, pipeline_id)"
            " VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
            self.row,
        ).lastrowid

    def forget(self) -> None:
        self.attempt_id = None


@dataclass(kw_only=True)
class _Finishing(_Queued):
    """One attempt's end waiting for the group commit that records it."""

    several: ClassVar[str] = "the ends of {} attempts"
    attempt_id: int
    row: tuple[Any, ...]
    """The UPDATE's values: status, changed, result, errors, end time, duration, pipeline
    end, id."""
    journal: Path

    def write(self, conn: sqlite3.Connection) -> None:
        updated = conn.execute(
            "UPDATE attempts SET status = ?, changed = ?, result_json = ?, errors_json = ?,"
            " finished_at = ?, duration_ns = ?, pipeline_end = ?"
            " WHERE attempt_id = ? AND status = 'running'",
            self.row,
        ).rowcount
        if updated:
            return
        row = conn.execute(
            "SELECT status FROM attempts WHERE attempt_id = ?", (self.attempt_id,)
        ).fetchone()
        if row is None:
            raise JournalError(f"no attempt with id {self.attempt_id} in journal {self.journal}")
        raise JournalError(
            f"attempt {self.attempt_id} already finished as {row['status']} in {self.journal}"
        )

    def forget(self) -> None:
        """Nothing: an UPDATE leaves nothing here to drop."""


class _GroupCommit:
    """Writes queued while one commit is under way, recorded together by the next.

    Threads that write at once (the nodes of a step) queue; the first to get the commit
    lock records everything queued by then in one transaction, and the others find
    theirs done. One commit (and, when synced, one ``fsync``) for many nodes instead of
    one each, serialised (issue 16).
    """

    def __init__(self, record: Callable[[list[_Queued]], None]) -> None:
        self._record = record
        self._queued: list[_Queued] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()

    def submit(self, item: _Queued) -> None:
        """Record ``item`` (with whatever else is queued by then); raise its own error."""
        with self._queue_lock:
            self._queued.append(item)
        with self._commit_lock:
            if not item.done:
                with self._queue_lock:
                    group, self._queued = self._queued, []
                self._record(group)
        if item.error is not None:
            raise item.error


class Journal:
    """An open SQLite journal (a :class:`RunJournal`). Thread-safe: parallel node workers
    share one instance.

    Use :meth:`open`; close with :meth:`close` or a ``with`` block.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._starts = _GroupCommit(functools.partial(self._grouped, sync=True))
        """Attempts' starts, each on disk before its script is sent (:meth:`begin_attempt`)."""
        self._ends = _GroupCommit(functools.partial(self._grouped, sync=False))
        """Attempts' ends, on disk with the next synced commit (:meth:`finish_attempt`)."""
        self.path = path
        self._current_run: str | None = None
        """The run this process records (started or resumed), named in a disk-full error."""

    # ----------------------------------------------------------------- opening

    @classmethod
    def open(cls, state_dir: Path) -> Journal:
        """Open (creating if needed) ``<state_dir>/journal.sqlite3``.

        Raises :class:`JournalError` naming the path and the fix when the directory
        cannot be created or written, the file is not an SQLite journal or is corrupted,
        or it was written by a newer psrunbook.
        """
        state_dir = Path(state_dir)
        _ensure_state_dir(state_dir)
        path = state_dir / JOURNAL_FILE
        _ensure_private_file(path)
        try:
            conn = sqlite3.connect(
                path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {path}: {exc}; {_FIX_STATE_DIR}") from exc
        conn.row_factory = sqlite3.Row
        try:
            # Read what the file is before anything is written to it (write-ahead logging
            # changes its header): a file that is refused is left exactly as it was.
            _identify(conn, path)
            _check_integrity(conn, path)
            _configure(conn, path)
            _migrate(conn, path)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        """Close the connection; SQLite checkpoints the WAL into the main file."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def location(self) -> str:
        """The journal file, as messages name it."""
        return str(self.path)

    # ----------------------------------------------------------------- plumbing

    @contextmanager
    def _write(self, what: str, *, sync: bool = True) -> Iterator[sqlite3.Connection]:
        """One short write transaction, committed when the block ends.

        With ``sync`` the commit is on disk before the call returns. Without it, the
        commit survives a crash of this process (WAL: it is in the operating system's
        hands) and reaches the disk with the next synced commit; only a power loss in
        between can lose it. Only the end of an attempt is written that way: losing it
        leaves the attempt "running", which resume treats as unknown and re-checks,
        while the start of an attempt must be on disk before its script runs.
        """
        with self._lock:
            try:
                if not sync:
                    self._conn.execute("PRAGMA synchronous = NORMAL")
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield self._conn
                    except BaseException:
                        self._conn.execute("ROLLBACK")
                        raise
                    self._conn.execute("COMMIT")
                finally:
                    if not sync:
                        self._conn.execute("PRAGMA synchronous = FULL")
            except sqlite3.Error as exc:
                full = _state_dir_full(self.path, f"recording {what}", exc, self._then())
                if full is not None:
                    raise full from exc
                raise JournalError(f"cannot record {what} in journal {self.path}: {exc}") from exc

    def _then(self) -> str:
        """What to do once there is room again: finish the run in progress, if any."""
        if self._current_run is None:
            return _AGAIN
        return (
            f"`psrunbook resume {self._current_run}` (steps whose end was not recorded "
            "are checked again, not applied twice)"
        )

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, args))
            except sqlite3.Error as exc:
                raise JournalError(f"cannot read journal {self.path}: {exc}") from exc

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
        """Record a new run before its first step; ``parameters`` must already be public.

        ``insecure`` maps each node to the unsafe setting accepted with ``--insecure``;
        ``inventory_path`` and ``sim`` are the target ``resume`` takes again.
        """
        check_mode(mode)
        self._current_run = run_id
        with self._write(f"run {run_id}") as conn:
            if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                raise JournalError(
                    f"a run with id {run_id} is already recorded in {self.path}; "
                    "use `psrunbook resume` to continue it"
                )
            conn.execute(
                "INSERT INTO runs (run_id, runbook, runbook_version, mode, parameters_json,"
                " parameters_sha256, inventory_sha256, bundle_sha256, user, started_at,"
                " cluster, os_user, insecure_json, inventory_path, sim, submitted)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    iso_text(now_utc()),
                    opt_text(cluster),
                    opt_text(os_user),
                    json_text(dict(insecure or {})),
                    opt_text(inventory_path),
                    None if sim is None else int(sim),
                    int(submitted),
                ),
            )

    def mark_resumed(self, run_id: str, *, insecure: Mapping[str, str] | None = None) -> None:
        """A resume continues ``run_id``: clear its outcome and count the resume.

        Unsafe settings the resume accepted (``insecure``) are added to the run's: an
        auditor sees every one the run ever used, not only the last.
        """
        record = self.run(run_id)
        accepted = merged_insecure(record, insecure)
        self._current_run = run_id
        with self._write(f"resume of run {run_id}") as conn:
            conn.execute(
                "UPDATE runs SET outcome = NULL, finished_at = NULL, resumes = resumes + 1,"
                " insecure_json = ? WHERE run_id = ?",
                (json_text(accepted), run_id),
            )

    def record_cluster_id(self, run_id: str, cluster_id: str) -> None:
        """The id the cluster gave when the run first asked; a resume must find it again."""
        with self._write(f"the cluster id of run {run_id}") as conn:
            conn.execute("UPDATE runs SET cluster_id = ? WHERE run_id = ?", (cluster_id, run_id))

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
        """Record that a script is about to run on a node (in ``pipeline``, when given: a
        resume finds it there if the process dies); returns the attempt id.

        Call it before sending the script: if the process dies afterwards, the attempt
        stays ``running`` and resume knows the outcome is unknown.

        The record is on disk when this returns. Attempts begun by several threads at
        once share one synced commit (a group commit): while one thread commits, the
        others queue, and the next commit writes every queued attempt (issue 16: one
        ``fsync`` per node, serialised, was most of a 64-node step on a busy disk).
        """
        starting = _Starting(
            what=f"attempt of step {step_name} on {node}",
            run_id=run_id,
            row=(
                run_id,
                step_index,
                redact_text(step_name),
                redact_text(node),
                script_sha256,
                int(check_only),
                iso_text(now_utc()),
                None if pipeline is None else pipeline.client_id,
                None if pipeline is None else pipeline.pipeline_id,
            ),
            no_run=self._no_run_message(run_id),
        )
        self._starts.submit(starting)
        assert starting.attempt_id is not None  # set by every successful INSERT
        return starting.attempt_id

    def _grouped(self, group: list[_Queued], *, sync: bool) -> None:
        """Record ``group`` in one commit; if that fails, each alone, for its own error."""
        try:
            if len(group) > 1:
                with self._write(group[0].several.format(len(group)), sync=sync) as conn:
                    for item in group:
                        item.write(conn)
                return
        except JournalError:
            for item in group:
                item.forget()
        finally:
            for item in group:
                item.done = True
        for item in group:
            try:
                with self._write(item.what, sync=sync) as conn:
                    item.write(conn)
            except JournalError as exc:
                item.error = exc
                item.forget()

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
        """Record how an attempt ended, and what its process knows of its pipeline's end
        on the node. Finishing an attempt twice is refused.

        The typed result and errors are turned into JSON here, at the journal's own
        boundary: the result under the keys the script wrote, each error as
        ``StepError.to_dict()``.
        """
        check_final_status(status)
        check_own_pipeline_end(pipeline_end)
        self._ends.submit(
            _Finishing(
                what=f"end of attempt {attempt_id}",
                attempt_id=attempt_id,
                row=(
                    status,
                    None if changed is None else int(changed),
                    None if result is None else json_text(result.reported()),
                    json_text([e.to_dict() for e in errors]),
                    iso_text(now_utc()),
                    max(0, int(duration_ns)),
                    pipeline_end,
                    attempt_id,
                ),
                journal=self.path,
            )
        )

    def finish_run(self, run_id: str, outcome: RunOutcome) -> None:
        """Record a run's end (again after each resume)."""
        check_outcome(outcome)
        with self._write(f"end of run {run_id}") as conn:
            cursor = conn.execute(
                "UPDATE runs SET outcome = ?, finished_at = ? WHERE run_id = ?",
                (outcome, iso_text(now_utc()), run_id),
            )
            if cursor.rowcount == 0:
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
        with self._write(f"decision on run {run_id}") as conn:
            if not conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                raise JournalError(self._no_run_message(run_id))
            conn.execute(
                "INSERT OR IGNORE INTO decisions (run_id, verdict, decided_by, decided_at,"
                " bundle_sha256, reason) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    verdict,
                    redact_text(decided_by),
                    iso_text(decided_at),
                    bundle_sha256,
                    redact_text(reason),
                ),
            )

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

        The read and the insert share one ``BEGIN IMMEDIATE`` transaction: a second
        process deciding at the same moment waits for it, then finds this decision.
        """
        check_verdict(verdict)
        with self._write(f"decision on run {run_id}") as conn:
            if not conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                raise JournalError(self._no_run_message(run_id))
            first = self._first_decision(conn, run_id)
            if first is not None:
                return first
            conn.execute(
                "INSERT INTO decisions (run_id, verdict, decided_by, decided_at,"
                " bundle_sha256, reason) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    verdict,
                    redact_text(decided_by),
                    iso_text(decided_at),
                    bundle_sha256,
                    redact_text(reason),
                ),
            )
            recorded = self._first_decision(conn, run_id)
        assert recorded is not None  # inserted in this very transaction
        return recorded

    @staticmethod
    def _first_decision(conn: sqlite3.Connection, run_id: str) -> DecisionRecord | None:
        row = conn.execute(
            "SELECT * FROM decisions WHERE run_id = ? ORDER BY decided_at, decision_id LIMIT 1",
            (run_id,),
        ).fetchone()
        return None if row is None else decision_record(row, _FIX_STATE_DIR)

    # ----------------------------------------------------------------- holds

    def try_hold(self, resources: Sequence[str], holder: Holder) -> dict[str, Holder]:
        """Take every resource for ``holder`` in one transaction, or none (see HoldStore)."""
        with self._write(f"hold of run {holder.run_id}") as conn:
            found = self._holders(conn, resources)
            blocking = {r: h for r, h in found.items() if not replaces(holder, h)}
            if blocking:
                return blocking
            conn.executemany(
                "DELETE FROM holds WHERE resource = ? AND token = ?",
                [(resource, old.token) for resource, old in found.items()],
            )
            conn.executemany(
                "INSERT INTO holds (resource, run_id, host, pid, since, token)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        resource,
                        holder.run_id,
                        holder.host,
                        holder.pid,
                        iso_text(holder.since),
                        holder.token,
                    )
                    for resource in resources
                ],
            )
        return {}

    def release_holds(self, resources: Sequence[str], token: str) -> None:
        with self._write("release of holds") as conn:
            conn.executemany(
                "DELETE FROM holds WHERE resource = ? AND token = ?",
                [(resource, token) for resource in resources],
            )

    def break_hold(self, resource: str, token: str) -> bool:
        with self._write(f"break of hold {resource}") as conn:
            cursor = conn.execute(
                "DELETE FROM holds WHERE resource = ? AND token = ?", (resource, token)
            )
            return cursor.rowcount > 0

    def holders(self, resources: Sequence[str]) -> dict[str, Holder]:
        with self._lock:
            try:
                return self._holders(self._conn, resources)
            except sqlite3.Error as exc:
                raise JournalError(f"cannot read journal {self.path}: {exc}") from exc

    def holds_of(self, run_id: str) -> dict[str, Holder]:
        rows = self._read("SELECT * FROM holds WHERE run_id = ?", (run_id,))
        return {row["resource"]: holder_record(row, _FIX_STATE_DIR) for row in rows}

    @staticmethod
    def _holders(conn: sqlite3.Connection, resources: Sequence[str]) -> dict[str, Holder]:
        found = {}
        for resource in resources:
            row = conn.execute("SELECT * FROM holds WHERE resource = ?", (resource,)).fetchone()
            if row is not None:
                found[resource] = holder_record(row, _FIX_STATE_DIR)
        return found

    # ----------------------------------------------------------------- reads

    def _no_run_message(self, run_id: str) -> str:
        return (
            f"no run with id {run_id} in journal {self.path}; `psrunbook runs` lists the "
            f"recorded runs (with the same --state-dir or {STATE_DIR_ENV})"
        )

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The most recent runs, newest first."""
        rows = self._read(
            "SELECT * FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?",
            (min(max(0, limit), _SQLITE_MAX_INT),),
        )
        return [run_record(row, _FIX_STATE_DIR) for row in rows]

    def run(self, run_id: str) -> RunRecord:
        """One run; :class:`JournalError` if there is none with that id."""
        found = self._exact_run(run_id)
        if found is None:
            raise JournalError(self._no_run_message(run_id))
        return found

    def find_run(self, reference: str) -> RunRecord:
        """``last``, a run id, or a prefix naming exactly one run (see ``resolve_run``)."""
        return resolve_run(
            reference,
            location=str(self.path),
            no_run=self._no_run_message(reference),
            newest=lambda: self.runs(1),
            exact=self._exact_run,
            prefixed=self._runs_starting,
        )

    def _exact_run(self, run_id: str) -> RunRecord | None:
        rows = self._read("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        return run_record(rows[0], _FIX_STATE_DIR) if rows else None

    def _runs_starting(self, prefix: str) -> list[RunRecord]:
        # substr, not LIKE: a run id may hold `_`, which LIKE would read as a wildcard.
        rows = self._read(
            "SELECT * FROM runs WHERE substr(run_id, 1, length(?)) = ?"
            " ORDER BY started_at DESC, run_id DESC LIMIT 11",
            (prefix, prefix),
        )
        return [run_record(row, _FIX_STATE_DIR) for row in rows]

    def attempts(self, run_id: str) -> list[AttemptRecord]:
        """Every attempt of a run in the order they began."""
        self.run(run_id)
        rows = self._read("SELECT * FROM attempts WHERE run_id = ? ORDER BY attempt_id", (run_id,))
        return [attempt_record(row, _FIX_STATE_DIR) for row in rows]

    def record_pipeline_end(self, attempt_id: int, end: Settlement, *, by_run: str) -> None:
        # Not synced, like an attempt's end: lost, the next run asks the node again.
        with self._write(f"the pipeline end of attempt {attempt_id}", sync=False) as conn:
            conn.execute(
                "UPDATE attempts SET pipeline_end = ?, pipeline_end_run = ?"
                " WHERE attempt_id = ? AND pipeline_end IS NULL",
                (end, by_run, attempt_id),
            )

    def open_pipelines(self, cluster: str, *, other_than: str) -> list[AttemptRecord]:
        rows = self._read(
            "SELECT a.*, r.cluster AS run_cluster FROM attempts a JOIN runs r USING (run_id)"
            " WHERE a.pipeline_id IS NOT NULL AND a.pipeline_end IS NULL"
            " AND a.status IN ('running', 'failed') AND a.check_only = 0"
            " AND a.run_id != ? ORDER BY a.attempt_id",
            (other_than,),
        )
        wanted = cluster.casefold()
        return [
            attempt_record(row, _FIX_STATE_DIR)
            for row in rows
            if (row["run_cluster"] or "").casefold() == wanted
        ]

    def decisions(self, run_id: str) -> list[DecisionRecord]:
        """Every decision on a run, in the order they were taken."""
        self.run(run_id)
        rows = self._read(
            "SELECT * FROM decisions WHERE run_id = ? ORDER BY decided_at, decision_id", (run_id,)
        )
        return [decision_record(row, _FIX_STATE_DIR) for row in rows]

    def step_status(self, run_id: str) -> dict[int, dict[str, str]]:
        """Latest status per step index and node, from the attempts that count for the run.

        For a ``run`` only attempts that applied (``check_only`` false) count: a check
        re-run by ``resume`` must never make a step look done. For a ``plan`` only checks
        count. ``running`` means the outcome is unknown (a crash). Which statuses make a
        step done is the run session's rule (:mod:`psrunbook.execution.session`).
        """
        record = self.run(run_id)
        check_only = int(record.mode == "plan")
        rows = self._read(
            "SELECT step_index, node, status FROM attempts a WHERE run_id = ? AND check_only = ?"
            " AND attempt_id = (SELECT MAX(attempt_id) FROM attempts b WHERE b.run_id = a.run_id"
            " AND b.step_index = a.step_index AND b.node = a.node AND b.check_only = a.check_only)"
            " ORDER BY step_index, node",
            (run_id, check_only),
        )
        return latest_statuses(rows)


# --------------------------------------------------------------------------- opening helpers


def _ensure_state_dir(state_dir: Path) -> None:
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise JournalError(
            f"state directory {state_dir} exists but is not a directory; {_FIX_STATE_DIR}"
        ) from exc
    except OSError as exc:
        raise JournalError(
            f"cannot create state directory {state_dir}: {exc.strerror or exc}; {_FIX_STATE_DIR}"
        ) from exc
    if not state_dir.is_dir():
        raise JournalError(f"state directory {state_dir} is not a directory; {_FIX_STATE_DIR}")


def _ensure_private_file(path: Path) -> None:
    """Create the journal owner-only before SQLite does (its -wal/-shm copy the mode)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except IsADirectoryError as exc:
        raise JournalError(f"journal {path} is a directory, not a file; {_FIX_STATE_DIR}") from exc
    except OSError as exc:
        raise JournalError(
            f"cannot write journal {path}: {exc.strerror or exc}; make the state directory "
            f"writable or {_FIX_STATE_DIR}"
        ) from exc
    os.close(fd)


def _not_a_journal(path: Path, detail: object) -> JournalError:
    return JournalError(
        f"journal {path} is not a usable psrunbook journal (not an SQLite database, or "
        f"corrupted: {detail}); move it aside (e.g. rename it to {JOURNAL_FILE}.broken) to "
        f"start a new journal, or {_FIX_STATE_DIR}"
    )


def _space_problem(path: Path, exc: sqlite3.Error) -> str | None:
    """Why a write to the journal failed for lack of room, or None if it was not that.

    SQLite does not pass the system's errno on, so the cause is established from what
    can be observed: SQLite's own "disk full", the free space of the file system holding
    the journal, and this process's file size limit (``ulimit -f``, RLIMIT_FSIZE: writes
    past it fail with EFBIG, which is treated like a full disk).
    """
    name = getattr(exc, "sqlite_errorname", "")
    if name not in _WRITE_REFUSED:
        return None
    causes = []
    try:
        fs = os.statvfs(path.parent)
    except OSError:
        fs = None
    if fs is not None and fs.f_bavail * fs.f_frsize < _NEARLY_FULL_BYTES:
        causes.append(
            f"the file system holding it is full ({fs.f_bavail * fs.f_frsize} bytes free)"
        )
    limit = _resource.getrlimit(_resource.RLIMIT_FSIZE)[0]
    if limit != _resource.RLIM_INFINITY:
        causes.append(f"no file may grow past this process's file size limit of {limit} bytes")
    if not causes and name == "SQLITE_FULL":
        causes.append("the disk is full")
    if not causes:
        return None
    return " and ".join(causes)


def _state_dir_full(path: Path, what: str, exc: sqlite3.Error, then: str) -> JournalError | None:
    """The error for a journal write refused for lack of room, or None if it was not that.

    It names the state directory and the fix, says that what was recorded before stays
    valid (a failed SQLite transaction is rolled back, the database is intact), and
    never calls the journal corrupted: the operator must free space, not discard it.
    """
    problem = _space_problem(path, exc)
    if problem is None:
        return None
    return JournalError(
        f"state directory {path.parent} is full: journal {path} cannot be written ({what}: "
        f"{exc}; {problem}); what the journal recorded before stays valid. Free space "
        f"in {path.parent} (or raise the limit), then {then}"
    )


def _identify(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not a psrunbook journal of a version this one reads, reading
    only: an empty file or an empty database becomes one, nothing else is changed."""
    try:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        version = 0
        if "schema_version" in tables:
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = int(row[0] or 0)
    except sqlite3.DatabaseError as exc:
        if "readonly" in str(exc) or "unable to open" in str(exc):  # WAL reads write -shm
            raise JournalError(
                f"cannot write journal {path}: {exc}; make the state directory writable or "
                f"{_FIX_STATE_DIR}"
            ) from exc
        raise _not_a_journal(path, exc) from exc
    except (TypeError, ValueError) as exc:  # a schema_version that is not a number
        raise _not_a_journal(path, f"its schema version is not a number ({exc})") from exc
    if "schema_version" not in tables and tables - {"sqlite_sequence"}:
        raise _not_a_journal(path, f"it holds other tables: {', '.join(sorted(tables))}")
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"journal {path} has schema version {version}, newer than this psrunbook "
            f"understands ({SCHEMA_VERSION}); upgrade psrunbook, or {_FIX_STATE_DIR}"
        )


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        full = _state_dir_full(path, "opening it", exc, _AGAIN)
        if full is not None:
            raise full from exc
        if "readonly" in str(exc) or "unable to open" in str(exc):
            raise JournalError(
                f"cannot write journal {path}: {exc}; make the state directory writable or "
                f"{_FIX_STATE_DIR}"
            ) from exc
        raise _not_a_journal(path, exc) from exc
    if str(mode).lower() != "wal":
        raise JournalError(
            f"journal {path} cannot use write-ahead logging (mode {mode!r}); the state "
            f"directory must be on a local file system; {_FIX_STATE_DIR}"
        )


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        full = _state_dir_full(path, "opening it", exc, _AGAIN)
        if full is not None:
            raise full from exc
        raise _not_a_journal(path, exc) from exc
    if problems != ["ok"]:
        raise _not_a_journal(path, "; ".join(str(p) for p in problems[:3]))


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "schema_version" in tables:
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = int(row[0] or 0)
        elif tables - {"sqlite_sequence"}:
            conn.execute("ROLLBACK")
            raise _not_a_journal(path, f"it holds other tables: {', '.join(sorted(tables))}")
        else:
            conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT")
            version = 0
        if version > SCHEMA_VERSION:
            conn.execute("ROLLBACK")
            raise JournalError(
                f"journal {path} has schema version {version}, newer than this psrunbook "
                f"understands ({SCHEMA_VERSION}); upgrade psrunbook, or {_FIX_STATE_DIR}"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[target](conn)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        full = _state_dir_full(path, "opening it", exc, _AGAIN)
        if full is not None:
            raise full from exc
        if "readonly" in str(exc):
            raise JournalError(
                f"cannot write journal {path}: {exc}; make it writable or {_FIX_STATE_DIR}"
            ) from exc
        raise _not_a_journal(path, exc) from exc
