"""``ssis-clustered-undo`` returns the lab to its state before ``ssis-clustered`` (issue 12).

Compared on the lab itself, not on the run's output: services, registry, resources,
checkpoints and the shared disk. Only history differs (process ids, write moments, the
change log), which ``lab_state`` and the comparison leave out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.cluster_model import FsEntry
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    for key in ("change_log", "changes", "faults"):
        state.pop(key)
    return state


def test_undo_returns_the_lab_to_its_state_before_the_run(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=3))
    before = _comparable(psrunbook.lab_state())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert before != _comparable(psrunbook.lab_state())

    psrunbook("run", "ssis-clustered-undo", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS")
    assert before == _comparable(psrunbook.lab_state())

    again = psrunbook(
        "run", "ssis-clustered-undo", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS"
    )
    assert "nothing to do" in again.stdout + again.stderr


def test_undo_keeps_a_shared_folder_holding_packages(psrunbook: Psrunbook) -> None:
    """A deployed package is someone's work: the folder stays and the step says why."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    volume = cluster.shared_volumes["S"]
    volume.entries["ssis\\packages\\load.dtsx"] = FsEntry("Load.dtsx", False, data=b"<x/>")
    save(cluster, psrunbook.lab_file)
    result = psrunbook(
        "run", "ssis-clustered-undo", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS", expect=1
    )
    assert "S:\\SSIS\\Packages\\Load.dtsx" in result.stdout + result.stderr
    assert "ssis\\packages\\load.dtsx" in restore(psrunbook.lab_file).shared_volumes["S"].entries


def test_undo_refuses_a_resource_that_is_not_the_ssis_generic_service(
    psrunbook: Psrunbook,
) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    before = psrunbook.lab_state()
    result = psrunbook(
        "run", "ssis-clustered-undo", "--sim", "--yes", "-p", "resource_name=SQL Server", expect=1
    )
    assert "it is not removed" in result.stdout + result.stderr
    assert before == psrunbook.lab_state()
