"""The PostgreSQL journal: safe with many writers at once, durable, and never shows a password."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from psrunbook.errors import JournalError
from psrunbook.holds import Holder
from psrunbook.journal_model import SCHEMA_VERSION
from psrunbook.journal_open import url_passwords
from psrunbook.journal_postgres import (
    MIGRATIONS,
    PostgresJournal,
    configure_session,
    display_url,
)
from psrunbook.secrets import redact_text
from tests.support.postgres_server import PostgresServer
from tests.unit.test_journal import attempt, finish, start

T = TypeVar("T")
SINCE = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def at_once(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``work(i)`` in ``count`` threads released together; results (or errors) by i."""
    barrier = threading.Barrier(count)
    results: list[T | BaseException] = [RuntimeError("not run")] * count

    def one(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - the caller asserts on it
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def database_of(url: str) -> str:
    name = conninfo_to_dict(url)["dbname"]
    assert isinstance(name, str)
    return name


# --------------------------------------------------------------------------- many writers


def test_many_processes_opening_a_new_journal_at_once_migrate_it_once(postgres_url: str) -> None:
    def open_close(_: int) -> int:
        with PostgresJournal.open(postgres_url):
            return 0

    assert at_once(8, open_close) == [0] * 8
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT version FROM psrunbook.schema_version").fetchall() == [
            (SCHEMA_VERSION,)
        ]


def test_of_many_machines_taking_one_cluster_exactly_one_wins(postgres_url: str) -> None:
    """Separate connections race for overlapping holds; the check-and-take is atomic."""
    PostgresJournal.open(postgres_url).close()

    def take(i: int) -> dict[str, Holder]:
        with PostgresJournal.open(postgres_url) as journal:
            holder = Holder(f"run{i}", f"host{i}", 100 + i, SINCE, f"token{i}")
            return journal.try_hold([f"run:run{i}", "cluster:sqlclu01"], holder)

    results = at_once(12, take)
    assert not [r for r in results if isinstance(r, BaseException)]
    winners = [i for i, r in enumerate(results) if r == {}]
    assert len(winners) == 1
    with PostgresJournal.open(postgres_url) as journal:
        held = journal.holders(["cluster:sqlclu01"])
        assert held["cluster:sqlclu01"].run_id == f"run{winners[0]}"
        losers = [i for i in range(12) if i != winners[0]]
        assert all(journal.holds_of(f"run{i}") == {} for i in losers)


def test_a_run_is_recorded_once_when_two_machines_start_it(postgres_url: str) -> None:
    PostgresJournal.open(postgres_url).close()

    def begin(_: int) -> str:
        with PostgresJournal.open(postgres_url) as journal:
            return start(journal, "20260101T000000Z-racing")

    results = at_once(6, begin)
    refused = [r for r in results if isinstance(r, JournalError)]
    assert len(refused) == 5
    assert all("already recorded" in str(r) for r in refused)


def test_an_attempt_is_finished_once_whoever_finishes_it(postgres_url: str) -> None:
    with PostgresJournal.open(postgres_url) as journal:
        attempt_id = attempt(journal, start(journal), 0, "n1")

    def end(_: int) -> None:
        with PostgresJournal.open(postgres_url) as journal:
            finish(journal, attempt_id)

    results = at_once(6, end)
    assert results.count(None) == 1
    assert all("already finished" in str(r) for r in results if r is not None)


def test_a_shared_journal_is_read_by_every_client(postgres_url: str) -> None:
    with PostgresJournal.open(postgres_url) as writer, PostgresJournal.open(postgres_url) as reader:
        run_id = start(writer)
        finish(writer, attempt(writer, run_id, 0, "n1"))
        assert reader.step_status(run_id) == {0: {"n1": "succeeded"}}


# --------------------------------------------------------------------------- schema


def test_a_newer_schema_is_refused(postgres_url: str) -> None:
    PostgresJournal.open(postgres_url).close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE psrunbook.schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    newer = rf"schema version {SCHEMA_VERSION + 1}, newer .* upgrade psrunbook"
    with pytest.raises(JournalError, match=newer):
        PostgresJournal.open(postgres_url)


def test_a_schema_holding_other_tables_is_not_taken_over(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE SCHEMA psrunbook")
        conn.execute("CREATE TABLE psrunbook.somebody_elses (x int)")
    with pytest.raises(JournalError, match=r"not a usable psrunbook journal.*somebody_elses"):
        PostgresJournal.open(postgres_url)


def test_the_journal_keeps_to_its_own_schema(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.runs (other_tool int)")
    with PostgresJournal.open(postgres_url) as journal:
        start(journal)
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM public.runs").fetchone() == (0,)


def test_an_older_journal_is_migrated_step_by_step(postgres_url: str) -> None:
    """A version 1 journal (no cluster column, no holds) becomes the current version."""
    with psycopg.connect(postgres_url, row_factory=psycopg.rows.dict_row) as conn:
        conn.execute("CREATE SCHEMA psrunbook")
        conn.execute("CREATE TABLE psrunbook.schema_version (version INTEGER NOT NULL)")
        MIGRATIONS[1](conn)
        conn.execute("INSERT INTO psrunbook.schema_version VALUES (1)")
        conn.execute(
            "INSERT INTO psrunbook.runs (run_id, runbook, runbook_version, mode,"
            " parameters_json, parameters_sha256, inventory_sha256, started_at)"
            " VALUES ('old', 'cluster-report', '1', 'run', '{}', 'p', 'i', now())"
        )
    with PostgresJournal.open(postgres_url) as journal:
        record = journal.run("old")
        assert (record.cluster, record.insecure) == (None, {})
        assert journal.holds_of("old") == {}


def test_a_version_7_journal_knows_its_succeeded_pipelines_ended(postgres_url: str) -> None:
    """Migration 8, as in the SQLite journal: a succeeded apply attempt saw its pipeline
    end; a failed one may have left it on the node."""
    with psycopg.connect(postgres_url, row_factory=psycopg.rows.dict_row) as conn:
        conn.execute("CREATE SCHEMA psrunbook")
        conn.execute("CREATE TABLE psrunbook.schema_version (version INTEGER NOT NULL)")
        for version in range(1, 8):
            MIGRATIONS[version](conn)
        conn.execute("INSERT INTO psrunbook.schema_version VALUES (7)")
        conn.execute(
            "INSERT INTO psrunbook.runs (run_id, runbook, runbook_version, mode,"
            " parameters_json, parameters_sha256, inventory_sha256, started_at, cluster)"
            " VALUES ('old', 'ssis-clustered', '1', 'run', '{}', 'p', 'i', now(), 'SQLCLU01')"
        )
        for node, status in (("n1", "succeeded"), ("n2", "failed")):
            conn.execute(
                "INSERT INTO psrunbook.attempts (run_id, step_index, step_name, node,"
                " script_sha256, check_only, status, started_at, client_session_id,"
                " pipeline_id) VALUES ('old', 0, 'a', %s, 's', false, %s, now(), 'C', 'P')",
                (node, status),
            )
    with PostgresJournal.open(postgres_url) as journal:
        assert ["seen", None] == [a.pipeline_end for a in journal.attempts("old")]
        assert ["n2"] == [a.node for a in journal.open_pipelines("sqlclu01", other_than="x")]


# --------------------------------------------------------------------------- durability


def test_commits_wait_for_the_wal_even_where_the_database_says_not_to(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    database = database_of(postgres_url)
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database}" SET synchronous_commit = off')
    with psycopg.connect(postgres_url, row_factory=psycopg.rows.dict_row) as conn:
        assert conn.execute("SHOW synchronous_commit").fetchone() == {"synchronous_commit": "off"}
        configure_session(conn)
        assert conn.execute("SHOW synchronous_commit").fetchone() == {"synchronous_commit": "on"}
        assert conn.execute("SHOW TimeZone").fetchone() == {"TimeZone": "UTC"}


def _drop_connections(postgres_server: PostgresServer, postgres_url: str) -> None:
    """What a server restart or failover does to the journal's idle connection."""
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = 'psrunbook'",
            (database_of(postgres_url),),
        )


def test_a_connection_dropped_between_writes_is_opened_again(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    with PostgresJournal.open(postgres_url) as journal:
        run_id = start(journal)
        _drop_connections(postgres_server, postgres_url)
        attempt_id = attempt(journal, run_id, 0, "n1")
        _drop_connections(postgres_server, postgres_url)
        assert journal.step_status(run_id) == {0: {"n1": "running"}}
        _drop_connections(postgres_server, postgres_url)
        assert journal.holders(["run:x"]) == {}
        finish(journal, attempt_id)
        assert journal.step_status(run_id) == {0: {"n1": "succeeded"}}


def test_a_connection_lost_inside_a_write_fails_that_write(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    """The attempt is not recorded and the caller is told: its script must not be sent."""
    with PostgresJournal.open(postgres_url) as journal:
        run_id = start(journal)
        with (
            pytest.raises(JournalError, match=r"cannot record .* in journal postgresql://"),
            journal._write("a test") as conn,  # the transaction every write runs in
        ):
            conn.execute("SELECT 1")
            _drop_connections(postgres_server, postgres_url)
            conn.execute("SELECT 1")
        assert journal.attempts(run_id) == []


# --------------------------------------------------------------------------- the URL


def test_the_password_in_the_url_is_never_shown(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    database = database_of(postgres_url)
    password = "pw-Xy7:@/?in-url"
    postgres_server.create_role(f"u_{database}", password, database)
    url = postgres_server.url(database, f"u_{database}", password)
    with PostgresJournal.open(url) as journal:
        assert journal.location == (
            f"postgresql://u_{database}@/{database}?host={postgres_server.socket_dir}"
        )
        with pytest.raises(JournalError) as caught:
            journal.run("nope")
    assert password not in str(caught.value)
    assert "***" in redact_text(f"leaked {password}")
    wrong = postgres_server.url(database, f"u_{database}", "wrong-Pw-123")
    with pytest.raises(JournalError, match="cannot connect to journal") as refused:
        PostgresJournal.open(wrong)
    assert "wrong-Pw-123" not in str(refused.value)
    assert "password authentication failed" in str(refused.value)


def test_the_password_can_come_from_pgpassfile(
    postgres_server: PostgresServer,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = database_of(postgres_url)
    role = f"p_{database}"
    postgres_server.create_role(role, "from-the-passfile", database)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:{database}:{role}:from-the-passfile\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    with PostgresJournal.open(postgres_server.url(database, role)) as journal:
        start(journal)
        assert len(journal.runs()) == 1


def test_an_unreachable_server_is_named_with_the_fix(tmp_path: Path) -> None:
    url = f"postgresql://ops:Secret-123@/journal?host={tmp_path}"
    with pytest.raises(JournalError) as caught:
        PostgresJournal.open(url)
    message = str(caught.value)
    assert message.startswith(f"cannot connect to journal postgresql://ops@/journal?host={tmp_path}")
    assert "Secret-123" not in message
    assert "--journal" in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ops:Secret-123@host:notaport/db",
        "postgresql://ops:Secret-123@host/db?sslmode=sometimes&x=1",
    ],
)
def test_a_malformed_url_is_bad_input_without_its_password(url: str) -> None:
    with pytest.raises(JournalError) as caught:
        PostgresJournal.open(url)
    assert "Secret-123" not in str(caught.value)
    assert "postgresql://ops:***@" in str(caught.value) or "cannot connect" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ops:pw@db.example:5433/runs", "postgresql://ops@db.example:5433/runs"),
        ("postgres://db.example/runs?password=pw", "postgresql://db.example/runs"),
        ("postgresql:///runs?host=/run/postgresql", "postgresql:///runs?host=/run/postgresql"),
    ],
)
def test_display_url_drops_the_password(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.mark.parametrize(
    ("url", "passwords"),
    [
        ("postgresql://ops:p%40ss@db/runs", ["p%40ss", "p@ss"]),
        ("postgresql://db/runs?password=qp&sslmode=require", ["qp"]),
        ("postgresql://ops:pw@db:notaport/runs", ["pw"]),
        ("postgresql://ops@db/runs", []),
        (None, []),
    ],
)
def test_the_cli_finds_every_password_a_url_carries(
    url: str | None, passwords: list[str]
) -> None:
    assert url_passwords(url) == passwords
