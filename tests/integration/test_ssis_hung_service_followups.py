"""The steps that restart or move the clustered SSIS resource against an SSIS service that
hangs or is slow under its Generic Service resource.

The Generic Service resource is OfflinePending while its service stops (OnlinePending
while it starts), for at most the resource's PendingTimeout (180000 ms by default), after
which the Resource Monitor terminates it and the resource is Failed (Microsoft's
"PendingTimeout" resource common property; docs/simulated-cluster.md). ``ssis-clustered``'s
``restart-stale`` step used to let Stop-ClusterResource's raw error end it, naming neither
the service nor what it left; the drill's move step started the SSIS resource before it
found the group still on its old owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.sim.lab.cluster_faults import fail_service_start
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _by_name, _seed_lab
from tests.integration.test_ssis_clustered_hung_service import SSIS, _said, _service

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

RESOURCE = "SQL Server Integration Services"
GROUP = "SQL Server (MSSQLSERVER)"


def _configured(psrunbook: Psrunbook, nodes: int = 2, *, terminate: bool = True) -> None:
    """The lab after a successful ssis-clustered: SSIS Online on NODE1. ``terminate``:
    whether FailoverClusters' failures are terminating errors there (UNVERIFIED which
    one Windows raises; the steps must read both)."""
    lab = sample_lab(nodes=nodes)
    lab.cluster_errors_terminate = terminate
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")


def _hang(psrunbook: Psrunbook, node: str, change: str) -> dict[str, Any]:
    lab = restore(psrunbook.lab_file)
    lab.hang_service(node, SSIS, change)
    save(lab, psrunbook.lab_file)
    return psrunbook.lab()


def _statuses(psrunbook: Psrunbook, step: str) -> list[str]:
    """The statuses of the last run's apply attempts of ``step``."""
    attempts = psrunbook.attempts(psrunbook.last_run().run_id)
    return [a.status for a in attempts if a.step_name == step and not a.check_only]


def _changes_since(before: dict[str, Any], after: dict[str, Any]) -> list[Any]:
    changes: list[Any] = after["change_log"][len(before["change_log"]) :]
    return changes


# restart-stale


@pytest.mark.parametrize("terminate", [True, False], ids=["terminating", "non-terminating"])
def test_a_hung_stop_fails_restart_stale_naming_the_service_and_starts_nothing(
    psrunbook: Psrunbook, terminate: bool
) -> None:
    """A second run rewrites the shared file (another virtual server), so restart-stale
    takes the resource offline; NODE1's SSIS never stops. Stop-ClusterResource waits out
    PendingTimeout and the cluster leaves the resource Failed: the step fails naming the
    resource, its state, the service, its node and what to do, and bring-online does not
    start the resource while its service is still stopping."""
    _configured(psrunbook, terminate=terminate)
    before = _hang(psrunbook, "NODE1", "stop")

    failed = psrunbook(
        "run", "ssis-clustered", "--sim", "--yes", "-p", "virtual_server=SQLVS02", expect=1
    )

    said = _said(failed)
    assert "step 09-restart-stale failed on NODE1" in said, said
    assert (
        f"resource '{RESOURCE}' is Failed after Stop-ClusterResource: its service {SSIS} on "
        "NODE1 did not stop within the resource's PendingTimeout (180000 ms)"
    ) in said, said
    assert f"wait until {SSIS} on NODE1 is Stopped" in said, said
    assert "then resume the run" in said, said
    after = psrunbook.lab()
    assert "Failed" == _by_name(after["resources"])[RESOURCE]["state"]
    assert "StopPending" == _service(after, "NODE1")["status"]
    changes = _changes_since(before, after)
    assert [] == [entry for entry in changes if entry[0] == "Start-ClusterResource"], changes


def test_a_resume_while_the_service_still_stops_starts_nothing_then_one_after_it_stopped(
    psrunbook: Psrunbook,
) -> None:
    """Resumed while NODE1's SSIS is still StopPending, restart-stale fails again before
    bring-online could start the resource; once the service has stopped, the resume
    brings the resource online and verify finds the service started after the new file
    was written."""
    _configured(psrunbook)
    _hang(psrunbook, "NODE1", "stop")
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", "virtual_server=SQLVS02", expect=1)
    run_id = psrunbook.last_run().run_id
    before = psrunbook.lab()

    again = psrunbook("resume", run_id, "--sim", "--yes", expect=1)

    said = _said(again)
    assert "step 09-restart-stale failed on NODE1" in said, said
    assert (
        f"resource '{RESOURCE}' is Failed and its service {SSIS} on NODE1 is still stopping "
        "(Stop Pending)"
    ) in said, said
    after = psrunbook.lab()
    assert [] == [e for e in _changes_since(before, after) if e[0] == "Start-ClusterResource"]

    lab = restore(psrunbook.lab_file)
    node = lab.node("NODE1")
    service = node.service(SSIS)
    assert service is not None
    lab.stop_service(service)  # the admin ended the process
    save(lab, psrunbook.lab_file)
    psrunbook("resume", run_id, "--sim", "--yes")

    state = psrunbook.lab()
    assert "Online" == _by_name(state["resources"])[RESOURCE]["state"]
    assert "Running" == _service(state, "NODE1")["status"]
    assert "succeeded" == psrunbook.last_run().outcome


def test_a_slow_stop_within_pending_timeout_is_waited_for(psrunbook: Psrunbook) -> None:
    """SSIS takes 90 s to stop (under PendingTimeout): restart-stale waits, bring-online
    starts it again and the run succeeds."""
    _configured(psrunbook)
    lab = restore(psrunbook.lab_file)
    lab.timing.service_stop_seconds = 90.0
    save(lab, psrunbook.lab_file)

    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", "virtual_server=SQLVS02")

    state = psrunbook.lab()
    assert "Online" == _by_name(state["resources"])[RESOURCE]["state"]
    assert "succeeded" == psrunbook.last_run().outcome


def test_a_hung_start_after_restart_stale_fails_bring_online_naming_the_service(
    psrunbook: Psrunbook,
) -> None:
    """The start half: restart-stale took the resource offline, NODE1's SSIS never reports
    Running again. bring-online gives up after online_timeout_s naming the resource, its
    state, the service and the node (cluster/start_resource)."""
    _configured(psrunbook)
    _hang(psrunbook, "NODE1", "start")

    failed = psrunbook(
        "run",
        "ssis-clustered",
        "--sim",
        "--yes",
        "-p",
        "virtual_server=SQLVS02",
        "-p",
        "online_timeout_s=5",
        expect=1,
    )

    said = _said(failed)
    assert "step 10-bring-online failed on NODE1" in said, said
    assert f"cluster resource '{RESOURCE}' is OnlinePending after 5 s (timeout 5 s)" in said
    assert f"its service {SSIS} on NODE1 has not reported Running" in said, said


# the drill's move


def test_a_group_the_cluster_moved_back_is_reported_and_nothing_started_on_its_owner(
    psrunbook: Psrunbook,
) -> None:
    """SSIS fails to start on NODE2 (a logon failure) and, with RestartAction 2, the
    cluster fails the group back to NODE1, where SSIS fails once more. The move step
    finds the group on NODE1, not NODE2: it fails naming the group, its state, its owner
    and the resources' states, and starts nothing on NODE1 (it used to start SSIS there,
    on the node the drill was moving away from); the last move, home to NODE1, does."""
    _configured(psrunbook)
    lab = restore(psrunbook.lab_file)
    lab.resource(RESOURCE).restart_action = 2
    fail_service_start(lab, "NODE2", SSIS)
    fail_service_start(lab, "NODE1", SSIS, times=1)
    save(lab, psrunbook.lab_file)
    before = psrunbook.lab()

    failed = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", expect=1)

    said = _said(failed)
    assert "step 02-move-1 failed on NODE1" in said, said
    assert f"the group '{GROUP}' is " in said, said
    assert " on NODE1 after the move to NODE2 (" in said, said
    assert f"{RESOURCE} Failed): the cluster did not move it or moved it back" in said, said
    assert "Nothing was started" in said, said
    starts = [
        (entry, index)
        for index, entry in enumerate(_changes_since(before, psrunbook.lab()))
        if entry[0] == "Start-ClusterResource"
    ]
    assert ["failed"] == _statuses(psrunbook, "move-1")
    # The only start is the last move's, home to NODE1, after move-1 failed.
    assert 1 == len(starts), starts
    assert "Online" == _by_name(psrunbook.lab()["resources"])[RESOURCE]["state"]


def test_a_hung_stop_on_the_old_owner_fails_the_move_bounded_and_starts_nothing(
    psrunbook: Psrunbook,
) -> None:
    """NODE1's SSIS never stops: the move's offline would outlast Move-ClusterGroup -Wait
    (online_timeout_s, 120 s, under PendingTimeout, 180 s). Windows returns the group
    Pending on NODE1 and finishes the move later; the lab, which does not model a move
    left half done, refuses the move by name. The step fails at once naming that, nothing
    is started or moved, and the drill goes on to its last move home."""
    _configured(psrunbook)
    before = _hang(psrunbook, "NODE1", "stop")

    failed = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", expect=1)

    said = _said(failed)
    assert "step 02-move-1 failed on NODE1" in said, said
    assert (
        f"Move-ClusterGroup -Wait 120 of '{GROUP}' while its resources take 180 s to go "
        "offline on NODE1"
    ) in said, said
    after = psrunbook.lab()
    assert [] == _changes_since(before, after)
    assert "NODE1" == _by_name(after["groups"])[GROUP]["owner"]
    assert "Running" == _service(after, "NODE1")["status"]
    assert (["failed"], ["succeeded"]) == (
        _statuses(psrunbook, "move-1"),
        _statuses(psrunbook, "move-2"),
    )
