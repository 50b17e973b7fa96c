"""Both journals, SQLite and PostgreSQL, keep the same records and the same rules.

Every test here runs against the local SQLite file and against a real PostgreSQL server
(``postgres_url``: a fresh database on the tests' own server), through the one factory.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from psrunbook.errors import JournalError
from psrunbook.holds import Holder, take_hold, this_host
from psrunbook.journal import Journal
from psrunbook.journal_model import SCHEMA_VERSION, FinalAttemptStatus, RunJournal
from psrunbook.journal_open import open_journal
from psrunbook.journal_postgres import PostgresJournal
from psrunbook.results import StepError
from psrunbook.runbook.model import StepResult
from psrunbook.secrets import register_secret
from psrunbook.transport.base import PipelineRef
from tests.unit.test_journal import attempt, finish, start

NOW_RUN = "20260101T000000Z-aaaaaa"


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str | None, Path]:
    """Where a journal lives: (None, state dir) for SQLite, (URL, state dir) for PostgreSQL."""
    if request.param == "sqlite":
        return None, tmp_path / "state"
    return request.getfixturevalue("postgres_url"), tmp_path / "state"


@pytest.fixture
def journal(location: tuple[str | None, Path]) -> Iterator[RunJournal]:
    url, state_dir = location
    with open_journal(url, state_dir=state_dir) as j:
        yield j


def test_the_factory_opens_the_file_by_default_and_postgres_for_a_url(
    location: tuple[str | None, Path],
) -> None:
    url, state_dir = location
    with open_journal(url, state_dir=state_dir) as journal:
        expected = Journal if url is None else PostgresJournal
        assert isinstance(journal, expected)


@pytest.mark.parametrize("location", ["mysql://db/x", "/var/lib/journal.sqlite3", "sqlite:///j"])
def test_the_factory_refuses_anything_but_a_postgresql_url(location: str) -> None:
    with pytest.raises(JournalError, match=r"takes a postgresql:// URL.*--state-dir"):
        open_journal(location)


def test_a_run_and_its_attempts_read_back_the_same(journal: RunJournal) -> None:
    run_id = start(journal, cluster="SQLCLU01", os_user="alice", insecure={"n1": "http"})
    first = attempt(journal, run_id, 0, "n1")
    finish(journal, first, changed=True)
    second = attempt(journal, run_id, 0, "n2")
    finish(journal, second, "failed", changed=None, result=None)
    journal.finish_run(run_id, "failed")

    record = journal.run(run_id)
    assert (record.runbook, record.mode, record.outcome, record.resumes) == (
        "ssis-clustered", "run", "failed", 0
    )
    assert (record.cluster, record.os_user) == ("SQLCLU01", "alice")
    assert record.insecure == {"n1": "http"}
    assert record.user == "CONTOSO\\ops"
    assert record.parameters == {"group": "SQL Server (MSSQLSERVER)", "password": "***"}
    assert record.finished_at is not None and record.finished_at >= record.started_at
    assert record.started_at.utcoffset() is not None
    attempts = journal.attempts(run_id)
    assert [(a.node, a.status, a.changed, a.check_only) for a in attempts] == [
        ("n1", "succeeded", True, False),
        ("n2", "failed", None, False),
    ]
    assert attempts[0].result == {"resource": "SSIS"}
    assert attempts[0].duration_ns == 1_500_000
    assert attempts[0].attempt_id < attempts[1].attempt_id
    assert [r.run_id for r in journal.runs()] == [run_id]


def test_an_attempt_keeps_the_pipeline_it_sent(journal: RunJournal) -> None:
    """The client session and the pipeline id, journaled with the start, read back; an
    attempt begun without one (a check) has none."""
    run_id = start(journal)
    sent = PipelineRef(client_id="C1D2E3F4-0000-4000-8000-000000000001", pipeline_id="P-1")
    journal.begin_attempt(
        run_id=run_id,
        step_index=3,
        step_name="bring-online",
        node="n1",
        script_sha256="s" * 64,
        check_only=False,
        pipeline=sent,
    )
    attempt(journal, run_id, 3, "n2", check_only=True)
    assert [sent, None] == [a.pipeline for a in journal.attempts(run_id)]


def _begin(journal: RunJournal, run_id: str, node: str, pipeline: PipelineRef | None) -> int:
    return journal.begin_attempt(
        run_id=run_id,
        step_index=1,
        step_name="bring-online",
        node=node,
        script_sha256="s" * 64,
        check_only=False,
        pipeline=pipeline,
    )


def _end(journal: RunJournal, attempt_id: int, status: FinalAttemptStatus, end: Any) -> None:
    journal.finish_attempt(
        attempt_id, status=status, changed=None, result=None,
        errors=[StepError(message="x")] if status == "failed" else [], duration_ns=1,
        pipeline_end=end,
    )  # fmt: skip


def test_open_pipelines_are_other_runs_applies_whose_end_nobody_saw(
    journal: RunJournal,
) -> None:
    """What earlier runs may have left on a cluster's nodes: apply attempts of other runs
    on that cluster (its name in any case) that journaled a pipeline and never learnt
    its end: still running (a crash), or failed without it (a lost connection, an
    interrupt). One whose process saw the end, or never sent it, is not asked about."""
    crashed = start(journal, cluster="SQLCLU01")
    elsewhere = start(journal, run_id="20260101T000001Z-bbbbbb", cluster="OTHER")
    this = start(journal, run_id="20260101T000002Z-cccccc", cluster="SQLCLU01")
    sent = PipelineRef(client_id="CLIENT", pipeline_id="P-1")

    left = _begin(journal, crashed, "n1", sent)
    cut_off = _begin(journal, crashed, "n2", sent)
    _end(journal, cut_off, "failed", None)
    _end(journal, _begin(journal, crashed, "n3", sent), "failed", "seen")  # its script's error
    _end(journal, _begin(journal, crashed, "n4", sent), "succeeded", "seen")
    _end(journal, _begin(journal, crashed, "n5", sent), "failed", "unsent")
    _begin(journal, crashed, "n6", None)  # nothing to look for
    _begin(journal, elsewhere, "n1", sent)
    _begin(journal, this, "n1", sent)
    found = journal.open_pipelines("sqlclu01", other_than=this)
    assert [left, cut_off] == [a.attempt_id for a in found]
    assert all(a.may_be_left_running for a in found)


def test_a_settled_pipeline_is_recorded_once_and_not_asked_about_again(
    journal: RunJournal,
) -> None:
    crashed = start(journal, cluster="SQLCLU01")
    later = start(journal, run_id="20260101T000001Z-bbbbbb", cluster="SQLCLU01")
    sent = PipelineRef(client_id="CLIENT", pipeline_id="P-1")
    cut_off = _begin(journal, crashed, "n1", sent)
    _end(journal, cut_off, "failed", None)

    journal.record_pipeline_end(cut_off, "finished", by_run=later)
    journal.record_pipeline_end(cut_off, "absent", by_run="20260101T000002Z-cccccc")  # kept

    [record] = journal.attempts(crashed)
    assert ("finished", later, False) == (
        record.pipeline_end, record.pipeline_end_run, record.may_be_left_running
    )
    assert [] == journal.open_pipelines("SQLCLU01", other_than=later)
    assert ("failed", "x") == (record.status, record.errors[0]["message"])  # its end kept


def test_an_attempt_journals_what_its_process_knows_of_its_pipeline_end(
    journal: RunJournal,
) -> None:
    run_id = start(journal)
    sent = PipelineRef(client_id="CLIENT", pipeline_id="P-1")
    ends = [None, "seen", "unsent"]
    for node, end in zip(("n1", "n2", "n3"), ends, strict=True):
        _end(journal, _begin(journal, run_id, node, sent), "failed", end)
    assert ends == [a.pipeline_end for a in journal.attempts(run_id)]
    assert [True, False, False] == [a.may_be_left_running for a in journal.attempts(run_id)]
    with pytest.raises(ValueError, match="own pipeline end"):
        _end(journal, _begin(journal, run_id, "n4", sent), "failed", "finished")


def test_step_status_counts_applied_attempts_for_a_run_and_checks_for_a_plan(
    journal: RunJournal,
) -> None:
    run_id = start(journal)
    finish(journal, attempt(journal, run_id, 0, "n1"), "failed")
    finish(journal, attempt(journal, run_id, 0, "n1"))
    finish(journal, attempt(journal, run_id, 1, "n1", check_only=True))
    attempt(journal, run_id, 1, "n2")  # still running: a crash
    assert journal.step_status(run_id) == {0: {"n1": "succeeded"}, 1: {"n2": "running"}}

    plan_id = start(journal, "20260101T000001Z-bbbbbb", mode="plan")
    finish(journal, attempt(journal, plan_id, 0, "n1", check_only=True))
    attempt(journal, plan_id, 1, "n1")
    assert journal.step_status(plan_id) == {0: {"n1": "succeeded"}}


def test_what_the_journal_refuses(journal: RunJournal) -> None:
    run_id = start(journal)
    with pytest.raises(JournalError, match="already recorded"):
        start(journal, run_id)
    done = attempt(journal, run_id, 0, "n1")
    finish(journal, done)
    with pytest.raises(JournalError, match="already finished as succeeded"):
        finish(journal, done)
    with pytest.raises(JournalError, match="no attempt with id 999999"):
        finish(journal, 999999)
    with pytest.raises(JournalError, match="no run with id nope"):
        attempt(journal, "nope", 0, "n1")
    with pytest.raises(JournalError, match="no run with id nope"):
        journal.finish_run("nope", "failed")
    with pytest.raises(JournalError, match="no run with id nope"):
        journal.mark_resumed("nope")
    with pytest.raises(ValueError, match="outcome"):
        journal.finish_run(run_id, "maybe")  # type: ignore[arg-type]


def test_find_run_by_last_id_or_unique_prefix(journal: RunJournal) -> None:
    with pytest.raises(JournalError, match=r"no runs in journal .* yet"):
        journal.find_run("last")
    start(journal, "20260101T000000Z-aaaaaa")
    start(journal, "20260101T000000Z-aabbbb")
    start(journal, "2026_underscore")
    assert journal.find_run("last").run_id == "2026_underscore"
    assert journal.find_run("20260101T000000Z-aab").run_id == "20260101T000000Z-aabbbb"
    with pytest.raises(JournalError, match="ambiguous: it matches 20260101T000000Z-aa"):
        journal.find_run("20260101T000000Z-aa")
    # `_` is a character, never a wildcard.
    with pytest.raises(JournalError, match="no run with id 2026_0"):
        journal.find_run("2026_0")
    with pytest.raises(JournalError, match="no run with id"):
        journal.find_run("")


def test_a_resume_counts_and_keeps_every_unsafe_setting(journal: RunJournal) -> None:
    run_id = start(journal, insecure={"n1": "http"})
    journal.finish_run(run_id, "failed")
    journal.mark_resumed(run_id, insecure={"n2": "no certificate check"})
    record = journal.run(run_id)
    assert (record.outcome, record.finished_at, record.resumes) == (None, None, 1)
    assert record.insecure == {"n1": "http", "n2": "no certificate check"}


def test_holds_are_all_or_nothing_and_released_only_by_their_token(journal: RunJournal) -> None:
    since = journal_time()
    mine = Holder("a", this_host(), 1, since, "token-a")
    assert journal.try_hold(["run:a", "cluster:c"], mine) == {}
    blocking = journal.try_hold(["run:b", "cluster:c"], Holder("b", "h", 2, since, "token-b"))
    assert blocking == {"cluster:c": mine}
    assert journal.holders(["run:b"]) == {}
    journal.release_holds(["run:a", "cluster:c"], "someone else's")
    assert set(journal.holds_of("a")) == {"run:a", "cluster:c"}
    assert journal.break_hold("run:a", "token-a")
    assert not journal.break_hold("run:a", "token-a")
    journal.release_holds(["cluster:c"], "token-a")
    assert journal.holds_of("a") == {}
    hold = take_hold(journal, ["run:b", "cluster:c"], run_id="b", now=since)
    hold.release()
    assert journal.holders(["run:b", "cluster:c"]) == {}


def test_a_registered_secret_never_reaches_the_journal(
    location: tuple[str | None, Path], journal: RunJournal
) -> None:
    secret = "Zq9-backend-secret-value"
    register_secret(secret)
    run_id = start(journal, parameters={"note": f"pw={secret}"}, user=f"u {secret}")
    attempt_id = journal.begin_attempt(
        run_id=run_id,
        step_index=0,
        step_name=f"step {secret}",
        node="n1",
        script_sha256="s" * 64,
        check_only=False,
    )
    result = StepResult.model_validate({"resource": secret})
    finish(journal, attempt_id, result=result)
    assert secret not in json.dumps([str(a) for a in journal.attempts(run_id)])
    assert secret not in everything_stored(location)


def journal_time() -> datetime:
    return datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def everything_stored(location: tuple[str | None, Path]) -> str:
    """Every byte the journal stored, as text (the file, or a dump of every table)."""
    url, state_dir = location
    if url is None:
        return b"".join(p.read_bytes() for p in state_dir.iterdir()).decode("latin-1")
    with psycopg.connect(url) as conn:
        rows = [
            str(row)
            for table in ("runs", "attempts", "holds", "schema_version")
            for row in conn.execute(f"SELECT * FROM psrunbook.{table}")
        ]
    return "\n".join(rows)


def test_the_schema_version_is_the_same_on_both(location: tuple[str | None, Path]) -> None:
    url, state_dir = location
    open_journal(url, state_dir=state_dir).close()
    if url is None:
        conn = sqlite3.connect(state_dir / "journal.sqlite3")
        version = conn.execute("SELECT version FROM schema_version").fetchall()
        conn.close()
    else:
        with psycopg.connect(url) as pg:
            version = pg.execute("SELECT version FROM psrunbook.schema_version").fetchall()
    assert version == [(SCHEMA_VERSION,)]
