"""Attempts begun by many threads at once are each recorded once, whatever the grouping.

The journal writes attempts that start together in one synced commit (issue 16), and the
ends of attempts that finish together in one commit; which attempts share a commit
depends on timing, so these tests assert only what must hold for every grouping: each
thread gets its own attempt, recorded as it asked, and an attempt (or an end) that cannot
be recorded fails alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook.errors import JournalError
from psrunbook.journal import Journal, _Finishing, _Queued

THREADS = 16


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        opened.start_run(
            run_id="r1",
            runbook="greeting",
            runbook_version="1",
            mode="run",
            parameters={},
            parameters_sha256="p",
            inventory_sha256="i",
            bundle_sha256=None,
            user=None,
        )
        yield opened


def _begin_together(journal: Journal, runs: list[str]) -> list[int | JournalError]:
    """Begin one attempt per entry of ``runs`` (its run id), all threads released at once."""
    start = threading.Barrier(len(runs), timeout=60)
    answers: list[int | JournalError] = [JournalError("not answered")] * len(runs)

    def begin(index: int) -> None:
        start.wait()
        try:
            answers[index] = journal.begin_attempt(
                run_id=runs[index],
                step_index=0,
                step_name="greet",
                node=f"NODE{index}",
                script_sha256="h",
                check_only=False,
            )
        except JournalError as exc:
            answers[index] = exc

    threads = [threading.Thread(target=begin, args=(i,)) for i in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_every_thread_gets_its_own_recorded_attempt(journal: Journal) -> None:
    answers = _begin_together(journal, ["r1"] * THREADS)
    assert all(isinstance(a, int) for a in answers)
    assert THREADS == len(set(answers))
    recorded = {a.attempt_id: a for a in journal.attempts("r1")}
    for index, attempt_id in enumerate(answers):
        assert isinstance(attempt_id, int)
        assert (f"NODE{index}", "running") == (
            recorded[attempt_id].node,
            recorded[attempt_id].status,
        )


def test_an_attempt_that_cannot_be_recorded_fails_alone(journal: Journal) -> None:
    """An attempt of an unknown run is refused with its own message; the others are kept."""
    runs = ["r1"] * THREADS
    runs[5] = "no-such-run"
    answers = _begin_together(journal, runs)
    refused = answers[5]
    assert isinstance(refused, JournalError)
    assert "no-such-run" in str(refused)
    kept = [a for i, a in enumerate(answers) if i != 5]
    assert all(isinstance(a, int) for a in kept)
    assert THREADS - 1 == len(journal.attempts("r1"))


def _finish_together(journal: Journal, attempt_ids: list[int]) -> list[JournalError | None]:
    """End each attempt of ``attempt_ids`` as succeeded, all threads released at once."""
    start = threading.Barrier(len(attempt_ids), timeout=60)
    answers: list[JournalError | None] = [JournalError("not answered")] * len(attempt_ids)

    def finish(index: int) -> None:
        start.wait()
        try:
            journal.finish_attempt(
                attempt_ids[index],
                status="succeeded",
                changed=index % 2 == 0,
                result=None,
                errors=(),
                duration_ns=index,
            )
            answers[index] = None
        except JournalError as exc:
            answers[index] = exc

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(len(attempt_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_attempts_ended_together_are_each_recorded_as_asked(journal: Journal) -> None:
    begun = _begin_together(journal, ["r1"] * THREADS)
    ids = [a for a in begun if isinstance(a, int)]
    assert [None] * THREADS == _finish_together(journal, ids)
    recorded = {a.attempt_id: a for a in journal.attempts("r1")}
    for index, attempt_id in enumerate(ids):
        assert ("succeeded", index % 2 == 0, index) == (
            recorded[attempt_id].status,
            recorded[attempt_id].changed,
            recorded[attempt_id].duration_ns,
        )


def test_an_end_that_cannot_be_recorded_fails_alone_in_its_commit(journal: Journal) -> None:
    """In one commit of several ends, an attempt ended already and an unknown attempt are
    each refused with their own message; the other ends are recorded."""
    begun = _begin_together(journal, ["r1"] * 3)
    first, second, third = (a for a in begun if isinstance(a, int))
    journal.finish_attempt(
        second, status="failed", changed=None, result=None, errors=(), duration_ns=1
    )
    group: list[_Queued] = [
        _Finishing(
            what=f"end of attempt {attempt_id}",
            attempt_id=attempt_id,
            row=("succeeded", 0, None, "[]", "2026-12-03T00:00:00Z", 5, None, attempt_id),
            journal=journal.path,
        )
        for attempt_id in (first, second, 999_999, third)
    ]
    journal._grouped(group, sync=False)
    assert [None, None] == [group[0].error, group[3].error]
    assert f"attempt {second} already finished as failed" in str(group[1].error)
    assert "no attempt with id 999999" in str(group[2].error)
    statuses = {a.attempt_id: a.status for a in journal.attempts("r1")}
    assert {first: "succeeded", second: "failed", third: "succeeded"} == statuses
