"""Attempts begun by many threads at once are each recorded once, whatever the grouping.

The journal writes attempts that start together in one synced commit (issue 16); which
attempts share a commit depends on timing, so these tests assert only what must hold for
every grouping: each thread gets its own attempt, recorded as it asked, and an attempt
that cannot be recorded fails alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook.errors import JournalError
from psrunbook.journal import Journal

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
