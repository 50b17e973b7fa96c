"""The run journal: durable, truthful after a crash, clear when unusable, never holds a secret."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from psrunbook.errors import JournalError
from psrunbook.journal import (
    JOURNAL_FILE,
    MIGRATIONS,
    SCHEMA_VERSION,
    STATE_DIR_ENV,
    FinalAttemptStatus,
    Journal,
    default_state_dir,
    new_run_id,
)
from psrunbook.results import StepError
from psrunbook.runbook.model import StepResult
from psrunbook.secrets import register_secret

RESOURCE = StepResult.model_validate({"resource": "SSIS"})


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def journal(state_dir: Path) -> Iterator[Journal]:
    with Journal.open(state_dir) as j:
        yield j


@pytest.fixture
def secret() -> Iterator[str]:
    value = "Tr0ub4dor&3-unique-secret"
    # Left registered afterwards: clearing would also drop secrets other tests rely on.
    register_secret(value)
    yield value


def start(
    journal: Journal, run_id: str = "20260101T000000Z-aaaaaa", mode: str = "run", **extra: object
) -> str:
    values: dict[str, object] = {
        "run_id": run_id,
        "runbook": "ssis-clustered",
        "runbook_version": "1",
        "mode": mode,
        "parameters": {"group": "SQL Server (MSSQLSERVER)", "password": "***"},
        "parameters_sha256": "p" * 64,
        "inventory_sha256": "i" * 64,
        "bundle_sha256": None,
        "user": "CONTOSO\\ops",
    }
    values.update(extra)
    journal.start_run(**values)  # type: ignore[arg-type]
    return run_id


def attempt(
    journal: Journal, run_id: str, step: int, node: str, *, check_only: bool = False
) -> int:
    return journal.begin_attempt(
        run_id=run_id,
        step_index=step,
        step_name=f"step-{step}",
        node=node,
        script_sha256="s" * 64,
        check_only=check_only,
    )


def finish(
    journal: Journal,
    attempt_id: int,
    status: FinalAttemptStatus = "succeeded",
    *,
    changed: bool | None = True,
    result: StepResult | None = RESOURCE,
    errors: Sequence[StepError] = (),
) -> None:
    journal.finish_attempt(
        attempt_id,
        status=status,
        changed=changed,
        result=result,
        errors=errors,
        duration_ns=1_500_000,
    )


# --------------------------------------------------------------------------- opening


def test_open_creates_private_directory_and_file(state_dir: Path) -> None:
    """A new state directory is 0700 and the journal file 0600."""
    Journal.open(state_dir).close()
    assert 0o700 == stat.S_IMODE(state_dir.stat().st_mode)
    assert 0o600 == stat.S_IMODE((state_dir / JOURNAL_FILE).stat().st_mode)


def test_open_uses_wal_and_records_schema_version(state_dir: Path) -> None:
    """The journal runs in WAL mode and stores the current schema version."""
    Journal.open(state_dir).close()
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    try:
        assert "wal" == conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert [(SCHEMA_VERSION,)] == conn.execute("SELECT version FROM schema_version").fetchall()
    finally:
        conn.close()


def test_reopen_keeps_records(state_dir: Path) -> None:
    """A second open sees what the first one wrote."""
    with Journal.open(state_dir) as first:
        run_id = start(first)
    with Journal.open(state_dir) as second:
        assert "ssis-clustered" == second.run(run_id).runbook


def test_state_dir_under_a_regular_file_is_refused(tmp_path: Path) -> None:
    """A state directory that cannot be created names the path and the fix."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(JournalError) as info:
        Journal.open(blocker / "state")
    assert str(blocker / "state") in str(info.value)
    assert STATE_DIR_ENV in str(info.value)


def test_state_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """A state directory path that is a file is refused, not overwritten."""
    target = tmp_path / "state"
    target.write_text("not a directory")
    with pytest.raises(JournalError, match="not a directory"):
        Journal.open(target)
    assert "not a directory" == target.read_text()


_UNWRITABLE_WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from psrunbook.errors import JournalError
    from psrunbook.journal import Journal

    try:
        Journal.open(Path(sys.argv[1])).close()
    except JournalError as exc:
        print(exc)
    else:
        print("opened")
    """
)
_NOBODY = 65534


def test_unwritable_state_dir_is_refused() -> None:
    """A read-only state directory gives a clear error naming the file, not a traceback.

    Root ignores permission bits, so as root the check runs as the unprivileged user.
    """
    base = Path(tempfile.mkdtemp(prefix="psrunbook-ro-"))
    try:
        base.chmod(0o755)
        state_dir = base / "state"
        state_dir.mkdir(mode=0o700)
        as_root = os.geteuid() == 0
        if as_root:
            os.chown(state_dir, _NOBODY, _NOBODY)
        state_dir.chmod(0o500)
        user = _NOBODY if as_root else None
        try:
            done = subprocess.run(
                [sys.executable, "-c", _UNWRITABLE_WORKER, str(state_dir)],
                capture_output=True,
                text=True,
                check=False,
                cwd=base,
                user=user,
                group=user,
                extra_groups=[] if as_root else None,
            )
        except PermissionError:
            pytest.skip(
                "root bypasses permission bits and this interpreter is not runnable as nobody"
            )
        assert "" == done.stderr
        assert f"cannot write journal {state_dir / JOURNAL_FILE}" in done.stdout
        assert "make the state directory writable" in done.stdout
    finally:
        state_dir.chmod(0o700)
        shutil.rmtree(base)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_directory_where_files_cannot_be_created_is_refused() -> None:
    """An existing directory that refuses new files (even to root) gives a clear error."""
    with pytest.raises(JournalError) as info:
        Journal.open(Path("/proc/self"))
    assert f"cannot write journal /proc/self/{JOURNAL_FILE}" in str(info.value)
    assert STATE_DIR_ENV in str(info.value)


def test_file_that_is_not_sqlite_is_refused(state_dir: Path) -> None:
    """A journal file that is not SQLite is reported with the way out, and left alone."""
    state_dir.mkdir()
    path = state_dir / JOURNAL_FILE
    path.write_bytes(b"definitely not an SQLite database\n" * 20)
    with pytest.raises(JournalError) as info:
        Journal.open(state_dir)
    assert str(path) in str(info.value)
    assert "move it aside" in str(info.value)
    assert b"definitely not an SQLite database\n" * 20 == path.read_bytes()


def test_corrupted_journal_is_refused(state_dir: Path) -> None:
    """A journal with damaged pages is detected at open, not half-way through a run."""
    with Journal.open(state_dir) as j:
        for n in range(30):
            start(j, run_id=f"20260101T0000{n:02d}Z-aaaaaa", parameters={"pad": "x" * 500})
    path = state_dir / JOURNAL_FILE
    data = bytearray(path.read_bytes())
    data[2 * 4096 : 2 * 4096 + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="corrupted"):
        Journal.open(state_dir)


def test_other_sqlite_database_is_refused(state_dir: Path) -> None:
    """An SQLite file of another application is not taken over."""
    state_dir.mkdir()
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="not a usable psrunbook journal"):
        Journal.open(state_dir)


def test_newer_schema_version_is_refused(state_dir: Path) -> None:
    """A journal written by a newer psrunbook is refused with 'upgrade psrunbook'."""
    Journal.open(state_dir).close()
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(JournalError) as info:
        Journal.open(state_dir)
    assert f"schema version {SCHEMA_VERSION + 1}" in str(info.value)
    assert "upgrade psrunbook" in str(info.value)


# --------------------------------------------------------------------------- runs


def test_run_round_trip(journal: Journal) -> None:
    """A started run reads back with its parameters, hashes and user."""
    run_id = start(journal, bundle_sha256="b" * 64)
    record = journal.run(run_id)
    assert ("ssis-clustered", "1", "run") == (record.runbook, record.runbook_version, record.mode)
    assert {"group": "SQL Server (MSSQLSERVER)", "password": "***"} == record.parameters
    assert ("p" * 64, "i" * 64, "b" * 64) == (
        record.parameters_sha256,
        record.inventory_sha256,
        record.bundle_sha256,
    )
    assert "CONTOSO\\ops" == record.user
    assert (None, None, 0) == (record.outcome, record.finished_at, record.resumes)


def test_unknown_run_names_how_to_list_runs(journal: Journal) -> None:
    """Asking for a run that does not exist says how to see the recorded ones."""
    with pytest.raises(JournalError) as info:
        journal.run("20990101T000000Z-ffffff")
    assert "no run with id 20990101T000000Z-ffffff" in str(info.value)
    assert "psrunbook runs" in str(info.value)


def test_duplicate_run_id_is_refused(journal: Journal) -> None:
    """Starting a run twice under one id is refused and keeps the first record."""
    run_id = start(journal)
    with pytest.raises(JournalError, match="already recorded"):
        start(journal, runbook_version="2")
    assert "1" == journal.run(run_id).runbook_version


def test_runs_lists_newest_first_with_limit(journal: Journal) -> None:
    """runs() returns the most recent runs first, at most ``limit``."""
    for n in range(3):
        start(journal, run_id=f"2026010{n + 1}T000000Z-aaaaaa")
    assert ["20260103T000000Z-aaaaaa", "20260102T000000Z-aaaaaa"] == [
        r.run_id for r in journal.runs(limit=2)
    ]


def test_finish_run_and_resume(journal: Journal) -> None:
    """finish_run records the outcome; mark_resumed clears it and counts the resume."""
    run_id = start(journal)
    journal.finish_run(run_id, "failed")
    assert "failed" == journal.run(run_id).outcome
    journal.mark_resumed(run_id)
    record = journal.run(run_id)
    assert (None, None, 1) == (record.outcome, record.finished_at, record.resumes)
    journal.finish_run(run_id, "succeeded")
    assert "succeeded" == journal.run(run_id).outcome


def test_run_records_cluster_operator_and_accepted_insecure_settings(journal: Journal) -> None:
    """The cluster, the operator's login and every --insecure setting, resumes included."""
    run_id = start(
        journal,
        cluster="SQLCLUSTER1",
        os_user="alice",
        insecure={"SQLNODE1": "TLS certificate validation is off"},
    )
    journal.finish_run(run_id, "failed")
    journal.mark_resumed(run_id, insecure={"SQLNODE2": "Basic auth over plain HTTP"})

    record = journal.run(run_id)

    assert (
        "SQLCLUSTER1",
        "alice",
        {
            "SQLNODE1": "TLS certificate validation is off",
            "SQLNODE2": "Basic auth over plain HTTP",
        },
    ) == (record.cluster, record.os_user, record.insecure)
    assert {} == journal.run(start(journal, run_id="20260101T000000Z-bbbbbb")).insecure


def test_a_version_1_journal_is_migrated_and_keeps_its_runs(state_dir: Path) -> None:
    """Opening a schema 1 journal adds the new columns; its runs know no cluster or operator."""
    state_dir.mkdir(mode=0o700)
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT")
    MIGRATIONS[1](conn)
    conn.execute("INSERT INTO schema_version (version) VALUES (1)")
    conn.execute(
        "INSERT INTO runs (run_id, runbook, runbook_version, mode, parameters_json,"
        " parameters_sha256, inventory_sha256, started_at) VALUES"
        " ('20250101T000000Z-000001', 'ssis-clustered', '1', 'run', '{}', 'p', 'i',"
        " '2025-01-01T00:00:00.000000Z')"
    )
    conn.commit()
    conn.close()

    with Journal.open(state_dir) as journal:
        record = journal.run("20250101T000000Z-000001")
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    [(version,)] = conn.execute("SELECT version FROM schema_version").fetchall()
    conn.close()

    assert (None, None, {}, SCHEMA_VERSION) == (
        record.cluster,
        record.os_user,
        record.insecure,
        version,
    )
    assert 2 <= SCHEMA_VERSION


def test_attempts_journaled_before_version_7_have_no_pipeline(state_dir: Path) -> None:
    """A version 6 journal's attempts read back without a pipeline: a resume has nothing
    to look for on the node and re-checks them as before."""
    state_dir.mkdir(mode=0o700)
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT")
    for version in range(1, 7):
        MIGRATIONS[version](conn)
    conn.execute("INSERT INTO schema_version (version) VALUES (6)")
    conn.execute(
        "INSERT INTO runs (run_id, runbook, runbook_version, mode, parameters_json,"
        " parameters_sha256, inventory_sha256, started_at) VALUES"
        " ('20250101T000000Z-000001', 'ssis-clustered', '1', 'run', '{}', 'p', 'i',"
        " '2025-01-01T00:00:00.000000Z')"
    )
    conn.execute(
        "INSERT INTO attempts (run_id, step_index, step_name, node, script_sha256,"
        " check_only, status, started_at) VALUES ('20250101T000000Z-000001', 0, 'a',"
        " 'n1', 's', 0, 'running', '2025-01-01T00:00:01.000000Z')"
    )
    conn.commit()
    conn.close()

    with Journal.open(state_dir) as journal:
        [old] = journal.attempts("20250101T000000Z-000001")
    assert ("running", None) == (old.status, old.pipeline)


def test_a_version_7_journal_knows_its_succeeded_pipelines_ended(state_dir: Path) -> None:
    """Migration 8: a succeeded apply attempt received its pipeline's end; a failed or
    running one may have left its script on the node, so a later run asks once."""
    state_dir.mkdir(mode=0o700)
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT")
    for version in range(1, 8):
        MIGRATIONS[version](conn)
    conn.execute("INSERT INTO schema_version (version) VALUES (7)")
    conn.execute(
        "INSERT INTO runs (run_id, runbook, runbook_version, mode, parameters_json,"
        " parameters_sha256, inventory_sha256, started_at, cluster) VALUES"
        " ('20250101T000000Z-000001', 'ssis-clustered', '1', 'run', '{}', 'p', 'i',"
        " '2025-01-01T00:00:00.000000Z', 'SQLCLU01')"
    )
    for node, status in (("n1", "succeeded"), ("n2", "failed"), ("n3", "running")):
        conn.execute(
            "INSERT INTO attempts (run_id, step_index, step_name, node, script_sha256,"
            " check_only, status, started_at, client_session_id, pipeline_id) VALUES"
            " ('20250101T000000Z-000001', 0, 'a', ?, 's', 0, ?,"
            " '2025-01-01T00:00:01.000000Z', 'C', 'P')",
            (node, status),
        )
    conn.commit()
    conn.close()

    with Journal.open(state_dir) as journal:
        attempts = journal.attempts("20250101T000000Z-000001")
        left = journal.open_pipelines("SQLCLU01", other_than="another")
    assert ["seen", None, None] == [a.pipeline_end for a in attempts]
    assert ["n2", "n3"] == [a.node for a in left]


def test_new_run_id_is_sortable_timestamp_and_hex() -> None:
    """Run ids are a UTC timestamp then six hex digits, and differ each time."""
    first, second = new_run_id(), new_run_id()
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", first)
    assert first != second


def test_default_state_dir_honours_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PSRUNBOOK_STATE_DIR overrides the per-user state directory."""
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "custom"))
    assert tmp_path / "custom" == default_state_dir()


def test_default_state_dir_is_per_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the variable the platform's user state directory for psrunbook is used."""
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    assert "psrunbook" == default_state_dir().name


# --------------------------------------------------------------------------- attempts


def test_attempt_round_trip(journal: Journal) -> None:
    """A finished attempt reads back with status, changed, result, errors and timing."""
    run_id = start(journal)
    attempt_id = attempt(journal, run_id, 0, "SQLNODE1")
    error = StepError(message="boom", fully_qualified_error_id="X,Y", script_line=3)
    finish(journal, attempt_id, "failed", changed=False, result=None, errors=[error])
    [record] = journal.attempts(run_id)
    assert ("failed", False, None, (error.to_dict(),)) == (
        record.status,
        record.changed,
        record.result,
        record.errors,
    )
    assert (0, "step-0", "SQLNODE1", False, 1_500_000) == (
        record.step_index,
        record.step_name,
        record.node,
        record.check_only,
        record.duration_ns,
    )
    assert record.finished_at is not None


def test_attempt_for_unknown_run_is_refused(journal: Journal) -> None:
    """An attempt cannot be recorded for a run that was never started."""
    with pytest.raises(JournalError, match="no run with id"):
        attempt(journal, "20990101T000000Z-ffffff", 0, "SQLNODE1")


def test_attempt_cannot_finish_twice(journal: Journal) -> None:
    """A finished attempt is final: a second finish is refused and changes nothing."""
    run_id = start(journal)
    attempt_id = attempt(journal, run_id, 0, "SQLNODE1")
    finish(journal, attempt_id)
    with pytest.raises(JournalError, match="already finished"):
        finish(journal, attempt_id, "failed")
    assert "succeeded" == journal.attempts(run_id)[0].status


def test_an_attempt_ends_succeeded_or_failed_only(journal: Journal) -> None:
    """Only the two endings a run records are accepted; nothing ever skips an attempt."""
    run_id = start(journal)
    attempt_id = attempt(journal, run_id, 0, "N1")
    with pytest.raises(ValueError, match="succeeded or failed"):
        finish(journal, attempt_id, "skipped")
    assert "running" == journal.attempts(run_id)[0].status


def test_step_status_gives_latest_status_per_step_and_node(journal: Journal) -> None:
    """step_status reports the most recent apply attempt per step index and node."""
    run_id = start(journal)
    finish(journal, attempt(journal, run_id, 0, "N1"))
    finish(journal, attempt(journal, run_id, 0, "N2"))
    finish(journal, attempt(journal, run_id, 1, "N1"), "failed")
    finish(journal, attempt(journal, run_id, 1, "N1"))
    attempt(journal, run_id, 2, "N1")
    assert {
        0: {"N1": "succeeded", "N2": "succeeded"},
        1: {"N1": "succeeded"},
        2: {"N1": "running"},
    } == journal.step_status(run_id)


def test_check_attempts_never_mark_a_run_step_done(journal: Journal) -> None:
    """A check re-run by resume does not make an unfinished step look done."""
    run_id = start(journal)
    finish(journal, attempt(journal, run_id, 0, "N1"), "failed")
    finish(journal, attempt(journal, run_id, 0, "N1", check_only=True))
    assert {0: {"N1": "failed"}} == journal.step_status(run_id)


def test_plan_step_status_counts_checks(journal: Journal) -> None:
    """For a plan, whose attempts are all checks, the checks are the status."""
    run_id = start(journal, mode="plan")
    finish(journal, attempt(journal, run_id, 0, "N1", check_only=True))
    assert {0: {"N1": "succeeded"}} == journal.step_status(run_id)


def test_parallel_workers_record_every_attempt(journal: Journal) -> None:
    """Node workers in threads share one journal without losing a write."""
    run_id = start(journal)
    nodes = [f"NODE{n}" for n in range(16)]

    def work(node: str) -> None:
        for step in range(5):
            finish(journal, attempt(journal, run_id, step, node))

    threads = [threading.Thread(target=work, args=(node,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    status = journal.step_status(run_id)
    assert {step: dict.fromkeys(nodes, "succeeded") for step in range(5)} == status


# --------------------------------------------------------------------------- crash safety

_KILLED_WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from psrunbook.journal import Journal
    from psrunbook.runbook.model import StepResult

    j = Journal.open(Path(sys.argv[1]))
    j.start_run(run_id="20260101T000000Z-dead00", runbook="ssis-clustered",
                runbook_version="1", mode="run", parameters={}, parameters_sha256="p",
                inventory_sha256="i", bundle_sha256=None, user=None)
    done = j.begin_attempt(run_id="20260101T000000Z-dead00", step_index=0, step_name="a",
                           node="N1", script_sha256="s", check_only=False)
    j.finish_attempt(done, status="succeeded", changed=True, result=StepResult(ok=True),
                     errors=[], duration_ns=10)
    j.begin_attempt(run_id="20260101T000000Z-dead00", step_index=1, step_name="b",
                    node="N1", script_sha256="s", check_only=False)
    print("in-flight", flush=True)
    sys.stdin.read()  # the script would be running on the node now
    """
)


def test_sigkill_mid_attempt_leaves_truthful_record(state_dir: Path) -> None:
    """A process killed mid-attempt leaves that attempt running and all before it intact."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WORKER, str(state_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        assert b"in-flight\n" == proc.stdout.readline()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
        proc.stdout.close()
        assert proc.stdin is not None
        proc.stdin.close()
    assert -signal.SIGKILL == proc.returncode

    with Journal.open(state_dir) as journal:
        run_id = "20260101T000000Z-dead00"
        assert None is journal.run(run_id).outcome
        first, second = journal.attempts(run_id)
        assert ("succeeded", True, {"ok": True}) == (first.status, first.changed, first.result)
        assert ("running", None) == (second.status, second.finished_at)
        running = [a.attempt_id for a in journal.attempts(run_id) if a.status == "running"]
        assert [second.attempt_id] == running


_KILLED_AFTER_FINISH = _KILLED_WORKER.replace(
    'print("in-flight", flush=True)',
    'j.finish_attempt(2, status="succeeded", changed=False, result=None, errors=[], '
    'duration_ns=5)\nprint("in-flight", flush=True)',
)


def test_sigkill_right_after_an_attempt_ends_keeps_its_end(state_dir: Path) -> None:
    """The end of an attempt is committed without waiting for the disk, yet survives a kill."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_AFTER_FINISH, str(state_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        assert b"in-flight\n" == proc.stdout.readline()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
        proc.stdout.close()
        assert proc.stdin is not None
        proc.stdin.close()
    with Journal.open(state_dir) as journal:
        statuses = [a.status for a in journal.attempts("20260101T000000Z-dead00")]
    assert ["succeeded", "succeeded"] == statuses


def test_attempt_end_leaves_the_connection_synchronous(state_dir: Path) -> None:
    """After the unsynced end of an attempt, later writes are synced again (FULL = 2)."""
    with Journal.open(state_dir) as journal:
        run_id = start(journal)
        finish(journal, attempt(journal, run_id, 0, "N1"), "succeeded")
        assert [(2,)] == [tuple(r) for r in journal._read("PRAGMA synchronous")]


# --------------------------------------------------------------------------- secrets


def _stored_bytes(state_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(state_dir.iterdir()) if p.is_file())


def test_registered_secret_is_never_stored(state_dir: Path, secret: str) -> None:
    """A registered secret in parameters, results or errors never reaches the database files."""
    with Journal.open(state_dir) as journal:
        run_id = start(journal, parameters={"note": f"pw={secret}", secret: "as a key"})
        attempt_id = attempt(journal, run_id, 0, "N1")
        finish(
            journal,
            attempt_id,
            "failed",
            result=StepResult.model_validate({"connection": f"Server=x;Password={secret};"}),
            errors=[StepError(message=f"Login failed: '{secret}'", target=secret)],
        )
        while_open = _stored_bytes(state_dir)
        [record] = journal.attempts(run_id)
        assert {"connection": "Server=x;Password=***;"} == record.result
    after_close = _stored_bytes(state_dir)
    for blob in (while_open, after_close):
        assert secret.encode("utf-8") not in blob
        assert secret.encode("utf-16-le") not in blob
    assert b"Login failed" in after_close
