"""What ssis-clustered-undo reads back from a real (SQLite) journal about the SSIS service:
the start type and status step service-manual found on each node, the first time it ran
there since the last successful undo, whether or not it changed anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from psrunbook import StepResult
from psrunbook.journal import Journal
from psrunbook.runbooks._ssis.recorded import undo_history

AUTOMATIC_RUNNING = {"StartType": "Automatic", "Status": "Running"}
MANUAL_STOPPED = {"StartType": "Manual", "Status": "Stopped"}
MANUAL_RUNNING = {"StartType": "Manual", "Status": "Running"}


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


class Runs:
    """Writes runs the way the engine does, with ids that sort in the order written."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.count = 0

    def run(
        self,
        services: dict[str, dict[str, str]],
        *,
        runbook: str = "ssis-clustered",
        parameters: dict[str, Any] | None = None,
        changed: bool = True,
        check_only: bool = False,
        status: str = "succeeded",
        outcome: str = "succeeded",
    ) -> str:
        self.count += 1
        run_id = f"20260101T0000{self.count:02d}Z-bbbbbb"
        self.journal.start_run(
            run_id=run_id,
            runbook=runbook,
            runbook_version="1",
            mode="run",
            parameters=parameters or {},
            parameters_sha256="p" * 64,
            inventory_sha256="i" * 64,
            bundle_sha256=None,
            user="CONTOSO\\ops",
            cluster="SQLCLU01",
        )
        for node, before in services.items():
            attempt = self.journal.begin_attempt(
                run_id=run_id,
                step_index=8,
                step_name="service-manual",
                node=node,
                script_sha256="s" * 64,
                check_only=check_only,
            )
            self.journal.finish_attempt(
                attempt,
                status=status,  # type: ignore[arg-type]
                changed=changed,
                result=StepResult.model_validate(
                    {"Before": before, "After": {"StartType": "Manual", "Status": "Stopped"}}
                ),
                errors=[],
                duration_ns=1,
            )
        self.journal.finish_run(run_id, outcome)  # type: ignore[arg-type]
        return run_id


def test_a_node_left_unchanged_is_recorded_as_it_was(journal: Journal) -> None:
    """NODE2 was already Manual and stopped, so service-manual changed nothing there: that
    is still the state to give back."""
    runs = Runs(journal)
    run = runs.run({"SQLNODE1": AUTOMATIC_RUNNING})
    unchanged = runs.run({"SQLNODE2": MANUAL_STOPPED}, changed=False)
    found = undo_history(journal, "SQLCLU01", {"sql_version": "2019"})
    assert {
        "recorded_service_states": {
            "SQLNODE1": {"start_type": "Automatic", "status": "Running"},
            "SQLNODE2": {"start_type": "Manual", "status": "Stopped"},
        },
        "recorded_runs": [run, unchanged],
    } == found


def test_the_first_attempt_on_a_node_decides(journal: Journal) -> None:
    """A second ssis-clustered run finds the service the cluster runs (Manual, running)."""
    runs = Runs(journal)
    first = runs.run({"SQLNODE1": AUTOMATIC_RUNNING})
    runs.run({"SQLNODE1": MANUAL_RUNNING})
    found = undo_history(journal, "SQLCLU01", {})
    assert {"SQLNODE1": {"start_type": "Automatic", "status": "Running"}} == found[
        "recorded_service_states"
    ]
    assert [first] == found["recorded_runs"]


def test_runs_before_the_last_successful_undo_are_already_taken_back(journal: Journal) -> None:
    runs = Runs(journal)
    runs.run({"SQLNODE1": MANUAL_STOPPED})
    runs.run({}, runbook="ssis-clustered-undo")
    latest = runs.run({"SQLNODE1": AUTOMATIC_RUNNING})
    found = undo_history(journal, "SQLCLU01", {})
    assert {
        "recorded_service_states": {"SQLNODE1": {"start_type": "Automatic", "status": "Running"}},
        "recorded_runs": [latest],
    } == found


@pytest.mark.parametrize(
    "kwargs",
    [
        {"check_only": True},
        {"status": "failed"},
        {"parameters": {"sql_version": "2022"}},
    ],
)
def test_what_is_not_a_recorded_state_gives_nothing(
    journal: Journal, kwargs: dict[str, Any]
) -> None:
    """Check-only and failed attempts, and a run for another SQL Server version's service."""
    Runs(journal).run({"SQLNODE1": MANUAL_STOPPED}, **kwargs)
    assert {} == undo_history(journal, "SQLCLU01", {"sql_version": "2019"})


@pytest.mark.parametrize(
    "before",
    [
        {"StartType": "Automatic", "Status": "Paused"},
        {"StartType": "Boot", "Status": "Running"},
        {"StartType": "Manual"},
        {},
    ],
)
def test_a_state_the_undo_cannot_give_back_is_not_recorded(
    journal: Journal, before: dict[str, str]
) -> None:
    """... and a later run's Before (what ssis-clustered left) does not stand in for it."""
    runs = Runs(journal)
    runs.run({"SQLNODE1": before})
    runs.run({"SQLNODE1": MANUAL_STOPPED})
    assert {} == undo_history(journal, "SQLCLU01", {})
