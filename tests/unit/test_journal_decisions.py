"""The journal keeps approvals (schema 5), on SQLite and PostgreSQL alike: who approved
or rejected a run, when, and the sha256 approved, for auditors reading the journal alone."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from psrunbook.errors import JournalError
from psrunbook.journal import JOURNAL_FILE, MIGRATIONS
from psrunbook.journal_model import RunJournal
from psrunbook.journal_open import open_journal
from psrunbook.journal_postgres import MIGRATIONS as PG_MIGRATIONS
from psrunbook.secrets import register_secret
from tests.unit.test_journal import start
from tests.unit.test_journal_backends import journal, location

__all__ = ["journal", "location"]  # the backends' fixtures: SQLite and PostgreSQL

SHA = "ab" * 32
AT = datetime(2026, 12, 2, 10, 20, 3, tzinfo=UTC)


def test_a_decision_is_journaled_once_with_who_when_and_the_hash(journal: RunJournal) -> None:
    run_id = start(journal)
    for _ in range(2):  # the operator's command and the worker both record it
        journal.record_decision(
            run_id, verdict="approved", decided_by="alice", decided_at=AT, bundle_sha256=SHA
        )
    later = AT.replace(minute=30)
    journal.record_decision(
        run_id,
        verdict="rejected",
        decided_by="worker w1",
        decided_at=later,
        bundle_sha256=None,
        reason="the worker would run another bundle",
    )
    decisions = journal.decisions(run_id)
    assert [
        ("approved", "alice", AT, SHA, ""),
        ("rejected", "worker w1", later, None, "the worker would run another bundle"),
    ] == [(d.verdict, d.decided_by, d.decided_at, d.bundle_sha256, d.reason) for d in decisions]


def test_a_decision_on_no_run_or_with_no_verdict_is_refused(journal: RunJournal) -> None:
    with pytest.raises(JournalError, match="no run with id nope"):
        journal.record_decision(
            "nope", verdict="approved", decided_by="alice", decided_at=AT, bundle_sha256=SHA
        )
    run_id = start(journal)
    with pytest.raises(ValueError, match="approved or rejected"):
        journal.record_decision(
            run_id,
            verdict="maybe",  # type: ignore[arg-type]
            decided_by="alice",
            decided_at=AT,
            bundle_sha256=None,
        )
    assert [] == journal.decisions(run_id)


def test_a_secret_in_a_reason_never_reaches_the_journal(journal: RunJournal) -> None:
    register_secret("hunter2-decision")
    run_id = start(journal)
    journal.record_decision(
        run_id,
        verdict="rejected",
        decided_by="alice",
        decided_at=AT,
        bundle_sha256=None,
        reason="password hunter2-decision is wrong",
    )
    assert "hunter2-decision" not in journal.decisions(run_id)[0].reason


def test_a_version_4_sqlite_journal_gains_decisions(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    conn = sqlite3.connect(state_dir / JOURNAL_FILE)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT")
    for version in (1, 2, 3, 4):
        MIGRATIONS[version](conn)
    conn.execute("INSERT INTO schema_version (version) VALUES (4)")
    conn.commit()
    conn.close()
    with open_journal(None, state_dir=state_dir) as journal:
        run_id = start(journal)
        assert [] == journal.decisions(run_id)
        journal.record_decision(
            run_id, verdict="approved", decided_by="bob", decided_at=AT, bundle_sha256=SHA
        )
        assert ["bob"] == [d.decided_by for d in journal.decisions(run_id)]


def test_a_version_4_postgres_journal_gains_decisions(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, row_factory=psycopg.rows.dict_row) as conn:
        conn.execute("CREATE SCHEMA psrunbook")
        conn.execute("CREATE TABLE psrunbook.schema_version (version INTEGER NOT NULL)")
        for version in (1, 2, 3, 4):
            PG_MIGRATIONS[version](conn)
        conn.execute("INSERT INTO psrunbook.schema_version VALUES (4)")
    with open_journal(postgres_url) as journal:
        run_id = start(journal)
        journal.record_decision(
            run_id, verdict="approved", decided_by="bob", decided_at=AT, bundle_sha256=SHA
        )
        assert [(AT, SHA)] == [(d.decided_at, d.bundle_sha256) for d in journal.decisions(run_id)]
