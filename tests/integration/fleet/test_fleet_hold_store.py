"""A fleet run's hold in both journals: the run's, taken over by the worker continuing
it, never by another run or process, never stale, given back whoever took it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from psrunbook.errors import RunHeld
from psrunbook.fleet.partition_holds import release_run
from psrunbook.fleet.spec import RunSpec
from psrunbook.fleet.work import FleetWork
from psrunbook.holds import Holder, fleet_holder, is_stale, take_hold, this_host
from psrunbook.journal_model import RunJournal
from psrunbook.journal_open import open_journal
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.templates import TemplateLibrary

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


class _OutcomeWitness:
    """The journal, noting as each outcome is recorded what the run still holds then."""

    def __init__(self, journal: RunJournal) -> None:
        self.journal = journal
        self.held_at_outcome: list[dict[str, Holder]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.journal, name)

    def finish_run(self, run_id: str, outcome: str) -> None:
        self.held_at_outcome.append(self.journal.holds_of(run_id))
        self.journal.finish_run(run_id, outcome)  # type: ignore[arg-type]


def test_a_fleet_run_gives_its_holds_back_before_its_outcome_is_journaled(
    journal: RunJournal,
) -> None:
    """Whoever reads a fleet run's outcome may change its cluster by hand at once: when
    the outcome is journaled, the run holds nothing any more."""
    journal.start_run(
        run_id="r1", runbook="cluster-report", runbook_version="1", mode="run",
        parameters={}, parameters_sha256="0" * 64, inventory_sha256="0" * 64,
        bundle_sha256=None, user=None, cluster="c",
    )  # fmt: skip
    witness = _OutcomeWitness(journal)
    work = FleetWork(
        cast(RunJournal, witness), RunbookRegistry.discover(), TemplateLibrary(), worker_id="w1"
    )
    spec = RunSpec(
        run_id="r1", cluster="c", inventory_name="c.toml", inventory_text="",
        inventory_sha256="0" * 64, changes=True,
    )  # fmt: skip
    assert work.hold(spec) is None
    assert {"run:r1", "cluster:c"} == set(journal.holds_of("r1"))
    work.finish(spec, "succeeded")
    assert [{}] == witness.held_at_outcome
    assert "succeeded" == journal.run("r1").outcome
