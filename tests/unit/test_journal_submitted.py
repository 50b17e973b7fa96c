"""The journal records whether ``submit`` queued a run in a fleet (schema 9), on SQLite
and PostgreSQL alike: ``resume`` and ``runs`` ask the fleet (loading DBOS) only about
runs a fleet may know. Runs journaled before know nothing of it: unknown, still asked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from psrunbook.journal import JOURNAL_FILE, MIGRATIONS
from psrunbook.journal_model import RunJournal
from psrunbook.journal_open import open_journal
from psrunbook.journal_postgres import MIGRATIONS as PG_MIGRATIONS
from tests.unit.test_journal import start
from tests.unit.test_journal_backends import journal, location

__all__ = ["journal", "location"]  # the backends' fixtures: SQLite and PostgreSQL

OLD_RUN = "20250101T000000Z-000008"


def test_a_run_is_journaled_submitted_or_not_in_its_own_write(journal: RunJournal) -> None:
    """``submit`` records the run submitted in the same insert as the run: no crash in
    between can leave a submitted run that reads as one ``run`` started."""
    by_hand = start(journal)
    record = journal.run(by_hand)
    assert (False, False) == (record.submitted, record.maybe_in_fleet)
    submitted = start(journal, run_id="20260101T000001Z-bbbbbb", submitted=True)
    record = journal.run(submitted)
    assert (True, True) == (record.submitted, record.maybe_in_fleet)
    assert {by_hand: False, submitted: True} == {r.run_id: r.submitted for r in journal.runs()}


def _insert_old_run(
    conn: sqlite3.Connection | psycopg.Connection[psycopg.rows.DictRow], prefix: str, mark: str
) -> None:
    conn.execute(
        f"INSERT INTO {prefix}runs (run_id, runbook, runbook_version, mode, parameters_json,"
        f" parameters_sha256, inventory_sha256, started_at) VALUES ({mark}, 'cluster-report',"
        f" '1', 'run', '{{}}', 'p', 'i', '2025-01-01T00:00:00.000000Z')",
        (OLD_RUN,),
    )


def test_a_version_8_sqlite_journal_reads_its_runs_as_unknown(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT")
    for version in range(1, 9):
        MIGRATIONS[version](conn)
    conn.execute("INSERT INTO schema_version (version) VALUES (8)")
    _insert_old_run(conn, "", "?")
    conn.commit()
    conn.close()
    with open_journal(None, state_dir=state_dir) as journal:
        old = journal.run(OLD_RUN)
        assert (None, True) == (old.submitted, old.maybe_in_fleet)
        assert journal.run(start(journal)).submitted is False


def test_a_version_8_postgres_journal_reads_its_runs_as_unknown(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, row_factory=psycopg.rows.dict_row) as conn:
        conn.execute("CREATE SCHEMA psrunbook")
        conn.execute("CREATE TABLE psrunbook.schema_version (version INTEGER NOT NULL)")
        for version in range(1, 9):
            PG_MIGRATIONS[version](conn)
        conn.execute("INSERT INTO psrunbook.schema_version VALUES (8)")
        _insert_old_run(conn, "psrunbook.", "%s")
    with open_journal(postgres_url) as journal:
        old = journal.run(OLD_RUN)
        assert (None, True) == (old.submitted, old.maybe_in_fleet)
        assert journal.run(start(journal)).submitted is False
