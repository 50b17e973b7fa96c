"""``ssis-clustered`` with ``[`` ``]`` in the shared folder, the group and the resource name.

On Windows ``-Path`` reads ``[Prod]`` as a wildcard character set, so a script using it
does not find the folder it just created, and a cluster lookup by ``-Name`` treats the
brackets the same way (issue 12). The lab models both, strictly; the runbook must use
``-LiteralPath`` and ``-eq`` filters, and a second run must change nothing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

GROUP = "SQL Server [PROD]"
RESOURCE = "SSIS [PROD]"
FOLDER = "S:\\SSIS [Prod] & Co"


def _rename_group(lab: SimCluster, new: str) -> None:
    """The sample lab's SQL Server group, renamed: resources follow, the lab facts too."""
    old = lab.lab["group"]
    group = lab.groups.pop(fold(old))
    group.name = new
    lab.groups[fold(new)] = group
    for resource in lab.resources.values():
        if fold(resource.group) == fold(old):
            resource.group = new
    lab.lab["group"] = new


def test_brackets_in_folder_group_and_resource_work_and_a_second_run_changes_nothing(
    psrunbook: Psrunbook,
) -> None:
    lab = sample_lab()
    _rename_group(lab, GROUP)
    _seed_lab(psrunbook, lab)
    params = ("-p", f"shared_folder={FOLDER}", "-p", f"resource_name={RESOURCE}")
    psrunbook("run", "ssis-clustered", "--sim", "--yes", *params)
    state = psrunbook.lab()
    resource = {r["name"]: r for r in state["resources"]}[RESOURCE]
    assert ("Online", GROUP) == (resource["state"], resource["group"])
    assert "SSIS [Prod] & Co" in json.dumps(state)
    after_first = psrunbook.lab_state()
    psrunbook("run", "ssis-clustered", "--sim", "--yes", *params)
    assert after_first == psrunbook.lab_state()


def test_a_bracketed_shared_folder_alone_is_written_once(psrunbook: Psrunbook) -> None:
    """``-Path`` would miss ``[Prod]``: the second run would fail "already exists"."""
    _seed_lab(psrunbook, sample_lab())
    params = ("-p", f"shared_folder={FOLDER}")
    psrunbook("run", "ssis-clustered", "--sim", "--yes", *params)
    after_first = psrunbook.lab_state()
    psrunbook("run", "ssis-clustered", "--sim", "--yes", *params)
    assert after_first == psrunbook.lab_state()
