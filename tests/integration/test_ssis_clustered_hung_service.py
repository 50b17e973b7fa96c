"""ssis-clustered and its undo against an SSIS service that is slow or hangs under its
Generic Service resource.

The cluster's Generic Service resource DLL keeps the resource OnlinePending while its
service is StartPending (OfflinePending while it stops), for at most the resource's
PendingTimeout (180000 ms by default), after which the Resource Monitor terminates it and
the resource is Failed (Microsoft's "PendingTimeout" resource common property). The lab
used to start and stop that service at once whatever ``[timing]`` and an armed hang said;
now it waits as Windows does, and the runbooks must end in bounded (virtual) time with a
message naming the resource, its state and the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _by_name, _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

RESOURCE = "SQL Server Integration Services"
SSIS = "MsDtsServer150"


def _said(result: Any) -> str:
    return " ".join((result.stdout + result.stderr).split())


def _service(state: dict[str, Any], node: str) -> dict[str, Any]:
    found: dict[str, Any] = _by_name(_by_name(state["nodes"])[node]["services"])[SSIS]
    return found


def test_a_slow_start_under_the_online_timeout_is_waited_for(psrunbook: Psrunbook) -> None:
    """SSIS takes 3 s to start and 20 s to stop (under online_timeout_s, 120 s, and
    PendingTimeout, 180 s): bring-online waits for the resource and the run succeeds.
    (bring-online polls with Start-Sleep, which `--sim` lets take real time: a start of a
    few seconds keeps the test short and still outlasts the first poll.)"""
    lab = sample_lab(nodes=2)
    lab.timing.service_start_seconds = 3.0
    lab.timing.service_stop_seconds = 20.0
    _seed_lab(psrunbook, lab)

    psrunbook("run", "ssis-clustered", "--sim", "--yes")

    state = psrunbook.lab()
    assert "Online" == _by_name(state["resources"])[RESOURCE]["state"]
    assert "Running" == _service(state, "NODE1")["status"]
    assert "succeeded" == psrunbook.last_run().outcome


def test_a_hung_start_fails_bring_online_naming_the_resource_state_and_service(
    psrunbook: Psrunbook,
) -> None:
    """NODE1's SSIS never reports Running: bring-online gives up after online_timeout_s
    (virtual), naming the resource, its state, the owner node and the service."""
    lab = sample_lab(nodes=2)
    lab.hang_service("NODE1", SSIS, "start")
    _seed_lab(psrunbook, lab)

    failed = psrunbook(
        "run", "ssis-clustered", "--sim", "--yes", "-p", "online_timeout_s=5", expect=1
    )

    said = _said(failed)
    assert f"cluster resource '{RESOURCE}' is OnlinePending after 5 s (timeout 5 s)" in said
    assert f"its service {SSIS} on NODE1 has not reported Running" in said, said
    state = psrunbook.lab()
    assert "OnlinePending" == _by_name(state["resources"])[RESOURCE]["state"]
    assert "StartPending" == _service(state, "NODE1")["status"]


@pytest.mark.parametrize("terminate", [True, False], ids=["terminating", "non-terminating"])
def test_a_hung_stop_fails_the_undos_offline_naming_the_resource_and_service(
    psrunbook: Psrunbook, terminate: bool
) -> None:
    """The undo takes the resource offline; NODE1's SSIS never stops: Stop-ClusterResource
    waits out PendingTimeout, the cluster leaves the resource Failed, and the step fails
    naming the resource, its state and the service, without removing the resource, whichever
    kind of error the cluster's failure is."""
    lab = sample_lab(nodes=2)
    lab.cluster_errors_terminate = terminate
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    lab = restore(psrunbook.lab_file)
    lab.hang_service("NODE1", SSIS, "stop")
    save(lab, psrunbook.lab_file)

    failed = psrunbook("run", "ssis-clustered-undo", "--sim", "--yes", expect=1)

    said = _said(failed)
    assert (
        f"resource '{RESOURCE}' is Failed after Stop-ClusterResource: its service {SSIS} "
        "on NODE1 did not stop within the resource's PendingTimeout (180000 ms)"
    ) in said, said
    state = psrunbook.lab()
    assert "Failed" == _by_name(state["resources"])[RESOURCE]["state"]
    assert "StopPending" == _service(state, "NODE1")["status"]
