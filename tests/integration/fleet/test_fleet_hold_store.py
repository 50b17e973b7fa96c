"""A fleet run's hold in both journals: the run's, taken over by the worker continuing
it, never by another run or process, never stale, given back whoever took it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from psrunbook.errors import RunHeld
from psrunbook.fleet.partition_holds import release_run
from psrunbook.holds import Holder, fleet_holder, is_stale, take_hold, this_host
from psrunbook.journal_model import RunJournal
from psrunbook.journal_open import open_journal

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
RESOURCES = ["run:r1", "cluster:c"]


@pytest.fixture(params=["sqlite", "postgres"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunJournal]:
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    with open_journal(url, state_dir=tmp_path / "state") as opened:
        yield opened


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_a_worker_continuing_a_run_takes_its_hold_over_and_no_one_else_does(
    journal: RunJournal,
) -> None:
    dead = Holder("r1", this_host(), _dead_pid(), NOW, fleet_holder("r1", "w1", NOW).token)
    assert {} == journal.try_hold(RESOURCES, dead)
    assert not is_stale(dead), "a dead worker's run still holds its cluster"
    with pytest.raises(RunHeld, match=r"fleet run r1 on worker w1 \(pid .*psrunbook cancel r1"):
        take_hold(journal, ["run:other", "cluster:c"], run_id="other", now=NOW)
    assert ["cluster:c"] == list(journal.try_hold(["cluster:c"], fleet_holder("r2", "w2", NOW)))
    successor = fleet_holder("r1", "w2", NOW)
    assert {} == journal.try_hold(RESOURCES, successor)
    assert {"w2"} == {h.worker for h in journal.holds_of("r1").values()}
    journal.release_holds(RESOURCES, dead.token)  # the old worker, back, lets go: no effect
    assert {"w2"} == {h.worker for h in journal.holds_of("r1").values()}
    release_run(journal, "r1")
    assert {} == journal.holds_of("r1")
    take_hold(journal, ["run:other", "cluster:c"], run_id="other", now=NOW).release()
