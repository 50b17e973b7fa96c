"""The journal arbitrates between reviewers (schema 9), on SQLite and PostgreSQL alike.

Two reviewers who both read a run "awaiting approval" and then decided were both
journaled (and both told they succeeded), while the run's gate acted only on the first
message it received. :meth:`record_first_decision` records a reviewer's decision only if
the run has none yet, atomically against every other connection, and answers with the
decision that stands; the worker's own journaling (:meth:`record_decision`) is unchanged.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from psrunbook.errors import JournalError
from psrunbook.journal_model import DecisionRecord, RunJournal
from psrunbook.journal_open import open_journal
from tests.unit.test_journal import start
from tests.unit.test_journal_backends import journal, location

__all__ = ["journal", "location"]  # the backends' fixtures: SQLite and PostgreSQL

SHA = "ab" * 32
AT = datetime(2026, 12, 2, 10, 20, 3, tzinfo=UTC)
LATER = AT.replace(second=4)
ROUNDS = 4
"""Runs raced in the threaded test: each round is a fresh run decided at once by two."""


def _approve(journal: RunJournal, run_id: str, by: str, at: datetime = AT) -> DecisionRecord:
    return journal.record_first_decision(
        run_id, verdict="approved", decided_by=by, decided_at=at, bundle_sha256=SHA
    )


def _reject(journal: RunJournal, run_id: str, by: str, at: datetime = LATER) -> DecisionRecord:
    return journal.record_first_decision(
        run_id,
        verdict="rejected",
        decided_by=by,
        decided_at=at,
        bundle_sha256=None,
        reason="not in this window",
    )


def test_the_second_reviewer_after_the_first_ones_status_read_is_refused(
    location: tuple[str | None, Path],
) -> None:
    """Two connections (two reviewers' commands): both read no decision, then alice
    records hers and bob's, decided on the same stale read, finds alice's standing."""
    url, state_dir = location
    with (
        open_journal(url, state_dir=state_dir) as alices,
        open_journal(url, state_dir=state_dir) as bobs,
    ):
        run_id = start(alices)
        assert ([], []) == (alices.decisions(run_id), bobs.decisions(run_id))

        first = _approve(alices, run_id, "alice")
        second = _reject(bobs, run_id, "bob")

        assert ("approved", "alice", AT, SHA) == (
            first.verdict,
            first.decided_by,
            first.decided_at,
            first.bundle_sha256,
        )
        assert first == second
        assert not second.repeats("rejected", "bob", None)
        assert [first] == alices.decisions(run_id) == bobs.decisions(run_id)


def _race(alices: RunJournal, bobs: RunJournal, run_id: str) -> dict[str, DecisionRecord]:
    """Alice approves and Bob rejects ``run_id`` at once, each on its own connection and
    thread, both after reading no decision; what each was told stands."""
    barrier = threading.Barrier(2)
    answers: dict[str, DecisionRecord] = {}
    errors: list[BaseException] = []

    def decide(who: str, journal: RunJournal) -> None:
        try:
            assert [] == journal.decisions(run_id)  # both read "awaiting approval"
            barrier.wait()
            if who == "alice":
                answers[who] = _approve(journal, run_id, who)
            else:
                answers[who] = _reject(journal, run_id, who)
        except BaseException as exc:  # noqa: BLE001 (reported by the test's thread)
            errors.append(exc)

    threads = [
        threading.Thread(target=decide, args=("alice", alices)),
        threading.Thread(target=decide, args=("bob", bobs)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [] == errors
    return answers


def test_two_reviewers_deciding_at_the_same_moment_leave_one_decision(
    location: tuple[str | None, Path],
) -> None:
    """Two threads on two connections pass a barrier after their status read and decide
    at once: exactly one decision is journaled, and both are told it is the one."""
    url, state_dir = location
    with (
        open_journal(url, state_dir=state_dir) as alices,
        open_journal(url, state_dir=state_dir) as bobs,
    ):
        for round_ in range(ROUNDS):
            run_id = start(alices, run_id=f"20260101T000000Z-race{round_:02d}")
            answers = _race(alices, bobs, run_id)
            [standing] = alices.decisions(run_id)
            assert answers["alice"] == answers["bob"] == standing
            assert standing.decided_by in ("alice", "bob")


def test_the_same_decision_again_stands_as_first_recorded(journal: RunJournal) -> None:
    """The same reviewer's same verdict for the same hash, later (a command run again
    after dying before it sent the decision): the first record stands, unchanged."""
    run_id = start(journal)
    first = _approve(journal, run_id, "alice")
    again = _approve(journal, run_id, "alice", at=LATER)
    assert first == again
    assert again.repeats("approved", "alice", SHA)
    assert not again.repeats("approved", "alice", "cd" * 32)
    assert [first] == journal.decisions(run_id)


def test_the_workers_own_journaling_after_a_decision_still_records(journal: RunJournal) -> None:
    """The worker journals the decision it received (a no-op, the same row) and, refusing
    an approved hash, its refusal after the approval: both as before."""
    run_id = start(journal)
    first = _approve(journal, run_id, "alice")
    journal.record_decision(
        run_id, verdict="approved", decided_by="alice", decided_at=AT, bundle_sha256=SHA
    )
    journal.record_decision(
        run_id,
        verdict="rejected",
        decided_by="psrunbook worker w1",
        decided_at=LATER,
        bundle_sha256=None,
        reason="another bundle",
    )
    assert [("approved", "alice"), ("rejected", "psrunbook worker w1")] == [
        (d.verdict, d.decided_by) for d in journal.decisions(run_id)
    ]
    assert first == _reject(journal, run_id, "bob")  # the first decision still stands


def test_a_first_decision_on_no_run_or_with_no_verdict_is_refused(journal: RunJournal) -> None:
    with pytest.raises(JournalError, match="no run with id nope"):
        _approve(journal, "nope", "alice")
    run_id = start(journal)
    with pytest.raises(ValueError, match="approved or rejected"):
        journal.record_first_decision(
            run_id,
            verdict="maybe",  # type: ignore[arg-type]
            decided_by="alice",
            decided_at=AT,
            bundle_sha256=None,
        )
    assert [] == journal.decisions(run_id)
