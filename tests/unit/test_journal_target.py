"""The journal records each run's target (schema 4), on SQLite and PostgreSQL alike,
so ``resume RUN_ID`` needs no ``-i``/``--sim``; runs journaled before know none."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from psrunbook.journal import JOURNAL_FILE, MIGRATIONS
from psrunbook.journal_model import RunJournal
from psrunbook.journal_open import open_journal
from psrunbook.journal_postgres import MIGRATIONS as PG_MIGRATIONS
from tests.unit.test_journal import start
from tests.unit.test_journal_backends import journal, location

__all__ = ["journal", "location"]  # the backends' fixtures: SQLite and PostgreSQL


@pytest.mark.parametrize(("path", "sim"), [("/srv/ops/inventory.toml", False), (None, True)])
def test_the_target_is_journaled(journal: RunJournal, path: str | None, sim: bool) -> None:
    run_id = start(journal, inventory_path=path, sim=sim)
    record = journal.run(run_id)
    assert (path, sim) == (record.inventory_path, record.sim)


def _insert_old_run(
    conn: sqlite3.Connection | psycopg.Connection[psycopg.rows.DictRow], prefix: str, mark: str
) -> None:
    conn.execute(
        f"INSERT INTO {prefix}runs (run_id, runbook, runbook_version, mode, parameters_json,"
        f" parameters_sha256, inventory_sha256, started_at) VALUES ({mark}, 'ssis-clustered',"
        f" '1', 'run', '{{}}', 'p', 'i', '2025-01-01T00:00:00.000000Z')",
        ("20250101T000000Z-000003",),
    )


def test_a_version_3_sqlite_journal_gains_the_target_columns(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT")
    for version in (1, 2, 3):
        MIGRATIONS[version](conn)
    conn.execute("INSERT INTO schema_version (version) VALUES (3)")
    _insert_old_run(conn, "", "?")
    conn.commit()
    conn.close()
    with open_journal(None, state_dir=state_dir) as journal:
        record = journal.run("20250101T000000Z-000003")
        assert (None, None) == (record.inventory_path, record.sim)
        start(journal, inventory_path="/srv/inv.toml", sim=False)
        assert "/srv/inv.toml" == journal.run("20260101T000000Z-aaaaaa").inventory_path


def test_a_version_3_postgres_journal_gains_the_target_columns(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, row_factory=psycopg.rows.dict_row) as conn:
        conn.execute("CREATE SCHEMA psrunbook")
        conn.execute("CREATE TABLE psrunbook.schema_version (version INTEGER NOT NULL)")
        for version in (1, 2, 3):
            PG_MIGRATIONS[version](conn)
        conn.execute("INSERT INTO psrunbook.schema_version VALUES (3)")
        _insert_old_run(conn, "psrunbook.", "%s")
    with open_journal(postgres_url) as journal:
        record = journal.run("20250101T000000Z-000003")
        assert (None, None) == (record.inventory_path, record.sim)
        start(journal, sim=True)
        assert journal.run("20260101T000000Z-aaaaaa").sim is True
