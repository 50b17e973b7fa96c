"""A successful ssis-clustered-undo ends the history the next undo reads, but not what it
gave back: with no ssis-clustered run since, the next undo gives back the same recorded
values (the earlier undo's own parameters), read from a real (SQLite) journal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from psrunbook.journal import Journal
from psrunbook.runbooks._ssis.recorded import undo_history
from tests.unit.runbooks.test_ssis_undo_service_history import (
    AUTOMATIC_RUNNING,
    MANUAL_STOPPED,
    Runs,
)

UNDO = "ssis-clustered-undo"
SHARED = {
    "config_file": "S:\\SSIS\\MsDtsSrvr.ini.xml",
    "file_existed": True,
    "document": "<DtsServiceConfiguration />",
    "created_folders": ["S:\\SSIS\\Packages"],
    "backup_files": ["S:\\SSIS\\MsDtsSrvr.ini.xml.bak"],
}


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


def _undo_parameters(clustered: str, **extra: Any) -> dict[str, Any]:
    """What a successful undo journaled: the values it restored and the run they came from."""
    return {
        "sql_version": "2019",
        "recorded_config_files": {"SQLNODE2": "D:\\SSIS\\MsDtsSrvr.ini.xml"},
        "recorded_service_states": {
            "SQLNODE1": {"start_type": "Automatic", "status": "Running"},
            "SQLNODE2": {"start_type": "Manual", "status": "Stopped"},
        },
        "recorded_shared_config": SHARED,
        "recorded_runs": [clustered],
        **extra,
    }


def test_a_second_undo_gives_back_what_the_first_restored(journal: Journal) -> None:
    """ssis-clustered, undo, undo: the second reads the first undo's recorded values."""
    runs = Runs(journal)
    clustered = runs.run({"SQLNODE2": MANUAL_STOPPED})
    runs.run({}, runbook=UNDO, parameters=_undo_parameters(clustered))

    found = undo_history(journal, "SQLCLU01", {"sql_version": "2019"})

    assert {
        "recorded_config_files": {"SQLNODE2": "D:\\SSIS\\MsDtsSrvr.ini.xml"},
        "recorded_service_states": {
            "SQLNODE1": {"start_type": "Automatic", "status": "Running"},
            "SQLNODE2": {"start_type": "Manual", "status": "Stopped"},
        },
        "recorded_shared_config": SHARED,
        "recorded_runs": [clustered],
    } == found


def test_a_third_undo_still_gives_them_back(journal: Journal) -> None:
    """The second undo journaled the carried values as its own parameters: they carry on."""
    runs = Runs(journal)
    clustered = runs.run({"SQLNODE2": MANUAL_STOPPED})
    runs.run({}, runbook=UNDO, parameters=_undo_parameters(clustered))
    second = undo_history(journal, "SQLCLU01", {"sql_version": "2019"})
    runs.run({}, runbook=UNDO, parameters={"sql_version": "2019", **second})

    assert second == undo_history(journal, "SQLCLU01", {"sql_version": "2019"})


def test_a_later_clustered_runs_record_wins_and_the_undo_fills_the_rest(
    journal: Journal,
) -> None:
    """A node a later ssis-clustered run recorded gets what that run found; the others
    keep what the undo restored, and both runs are named."""
    runs = Runs(journal)
    clustered = runs.run({"SQLNODE2": MANUAL_STOPPED})
    runs.run({}, runbook=UNDO, parameters=_undo_parameters(clustered))
    later = runs.run({"SQLNODE1": MANUAL_STOPPED})

    found = undo_history(journal, "SQLCLU01", {"sql_version": "2019"})

    assert {
        "SQLNODE1": {"start_type": "Manual", "status": "Stopped"},
        "SQLNODE2": {"start_type": "Manual", "status": "Stopped"},
    } == found["recorded_service_states"]
    assert sorted([clustered, later]) == found["recorded_runs"]


def test_an_undo_that_recorded_nothing_carries_nothing(journal: Journal) -> None:
    """An undo that fell back (nothing recorded) leaves the next one nothing to give back."""
    runs = Runs(journal)
    runs.run({"SQLNODE1": AUTOMATIC_RUNNING})
    runs.run({}, runbook=UNDO, parameters={"sql_version": "2019", "recorded_runs": []})

    assert {} == undo_history(journal, "SQLCLU01", {"sql_version": "2019"})


def test_an_undo_of_another_version_carries_nothing(journal: Journal) -> None:
    """The 2022 undo restored MsDtsServer160 and its key: nothing for a 2019 undo."""
    runs = Runs(journal)
    clustered = runs.run({"SQLNODE2": MANUAL_STOPPED})
    runs.run({}, runbook=UNDO, parameters=_undo_parameters(clustered, sql_version="2022"))

    assert {} == undo_history(journal, "SQLCLU01", {"sql_version": "2019"})


def test_pinned_runs_are_read_alone(journal: Journal) -> None:
    """recorded_runs given by the operator reads those runs, nothing carried besides."""
    runs = Runs(journal)
    clustered = runs.run({"SQLNODE2": MANUAL_STOPPED})
    runs.run({}, runbook=UNDO, parameters=_undo_parameters(clustered))

    found = undo_history(journal, "SQLCLU01", {"recorded_runs": [clustered]})

    assert {
        "recorded_service_states": {"SQLNODE2": {"start_type": "Manual", "status": "Stopped"}},
        "recorded_runs": [clustered],
    } == found


def test_only_the_last_successful_undo_counts(journal: Journal) -> None:
    """A failed undo after the successful one neither ends the history nor carries."""
    runs = Runs(journal)
    clustered = runs.run({"SQLNODE2": MANUAL_STOPPED})
    runs.run({}, runbook=UNDO, parameters=_undo_parameters(clustered))
    runs.run({}, runbook=UNDO, parameters={"sql_version": "2019"}, outcome="failed")

    found = undo_history(journal, "SQLCLU01", {"sql_version": "2019"})

    assert [clustered] == found["recorded_runs"]
    assert SHARED == found["recorded_shared_config"]
