"""The SSIS runbooks bound every wait for a service to start or stop (review: service waits).

Windows PowerShell 5.1's Start-Service, Stop-Service and Restart-Service wait for as long
as the service stays StartPending/StopPending, with no limit (PowerShell's Service.cs,
DoWaitForStatus), so a service stuck there held the step until ``--step-timeout`` and the
step ended with a generic timeout. The scripts now wait through the service's
ServiceController with a bound (``service_timeout_s``) and fail naming the service, its
state and the bound. The lab makes a service take time (``[timing] service_start_seconds`` /
``service_stop_seconds``) or hang for good (``SimCluster.hang_service``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _by_name, _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"
QUICK = ("-p", "service_timeout_s=5", "--step-timeout", "8")
"""A 5 s bound, and a step timeout that would end an unbounded wait 8 s later."""


def _service(state: dict[str, Any], node: str) -> dict[str, Any]:
    found: dict[str, Any] = _by_name(_by_name(state["nodes"])[node]["services"])[SSIS]
    return found


def _said(result: Any) -> str:
    return " ".join((result.stdout + result.stderr).split())


def test_a_stop_that_hangs_fails_write_config_with_the_scripts_message(
    psrunbook: Psrunbook,
) -> None:
    """NODE1's SSIS never finishes stopping: write-config fails once the stop has waited
    service_timeout_s, naming the service, its state and the bound; the roll stops there
    (NODE2 untouched)."""
    lab = sample_lab(nodes=2)
    lab.hang_service("NODE1", SSIS, "stop")
    _seed_lab(psrunbook, lab)

    failed = psrunbook("run", "ssis-standalone", "--sim", "--yes", *QUICK, expect=1)

    said = _said(failed)
    assert (
        f"service {SSIS} on NODE1 is still StopPending 5 s after it was asked to stop "
        "(timeout 5 s)"
    ) in said, said
    state = psrunbook.lab()
    assert "StopPending" == _service(state, "NODE1")["status"]
    assert "Running" == _service(state, "NODE2")["status"]


def test_a_start_that_hangs_fails_service_running_with_the_scripts_message(
    psrunbook: Psrunbook,
) -> None:
    """NODE2's SSIS stopped and never finishing its start: service-running fails after
    service_timeout_s, naming what it waited for."""
    lab = sample_lab(nodes=2)
    lab.stop_service(lab.node("NODE2").services[SSIS.casefold()])
    lab.hang_service("NODE2", SSIS, "start")
    _seed_lab(psrunbook, lab)

    failed = psrunbook("run", "ssis-standalone", "--sim", "--yes", *QUICK, expect=1)

    said = _said(failed)
    assert (
        f"service {SSIS} on NODE2 is still StartPending 5 s after it was asked to start "
        "(timeout 5 s)"
    ) in said, said


def test_after_a_hung_stop_the_next_run_waits_for_the_stop_then_says_so(
    psrunbook: Psrunbook,
) -> None:
    """The stop that hung left NODE1's service StopPending (its file already written). The
    next run does not start a stopping service blindly: it waits for the stop within its
    bound and fails naming the StopPending state."""
    lab = sample_lab(nodes=2)
    lab.hang_service("NODE1", SSIS, "stop")
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-standalone", "--sim", "--yes", *QUICK, expect=1)

    again = psrunbook("run", "ssis-standalone", "--sim", "--yes", *QUICK, expect=1)

    said = _said(again)
    assert f"service {SSIS} on NODE1 is still StopPending 5 s after it was asked to start" in said


def test_slow_services_are_waited_for_within_the_bound(psrunbook: Psrunbook) -> None:
    """Stops and starts that take 20 s each (under the default 60 s bound): the run
    succeeds and every node's service runs the new file."""
    lab: SimCluster = sample_lab(nodes=2)
    lab.timing.service_start_seconds = 20.0
    lab.timing.service_stop_seconds = 20.0
    _seed_lab(psrunbook, lab)

    psrunbook("run", "ssis-standalone", "--sim", "--yes")

    state = psrunbook.lab()
    for node in ("NODE1", "NODE2"):
        service = _service(state, node)
        assert "Running" == service["status"], node
    assert "succeeded" == psrunbook.last_run().outcome


def test_service_manual_bounds_its_stop_on_a_passive_node(psrunbook: Psrunbook) -> None:
    """ssis-clustered stops SSIS where its resource is not online (NODE2); that stop
    hangs: the step fails after service_timeout_s naming NODE2's service and its state."""
    lab = sample_lab(nodes=2)
    lab.hang_service("NODE2", SSIS, "stop")
    _seed_lab(psrunbook, lab)

    failed = psrunbook(
        "run", "ssis-clustered", "--sim", "--yes", "-p", "service_timeout_s=5",
        "--step-timeout", "8", expect=1,
    )  # fmt: skip

    said = _said(failed)
    assert (
        f"service {SSIS} on NODE2 is still StopPending 5 s after it was asked to stop "
        "(timeout 5 s)"
    ) in said, said


def test_a_start_that_hangs_fails_the_undos_service_step_within_its_bound(
    psrunbook: Psrunbook,
) -> None:
    """ssis-clustered-undo gives NODE2 back its running SSIS; a start that never finishes
    fails the service step after service_timeout_s, naming the service, its state and the
    bound, instead of holding the step until --step-timeout."""
    from psrunbook.sim.lab.lab_files import restore, save  # noqa: PLC0415 (this test only)

    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    lab = restore(psrunbook.lab_file)
    assert "Stopped" == lab.node("NODE2").services[SSIS.casefold()].status
    lab.hang_service("NODE2", SSIS, "start")
    save(lab, psrunbook.lab_file)

    failed = psrunbook("run", "ssis-clustered-undo", "--sim", "--yes", *QUICK, expect=1)

    said = _said(failed)
    assert (
        f"service {SSIS} on NODE2 is still StartPending 5 s after it was asked to start "
        "(timeout 5 s)"
    ) in said, said
    assert "timed out" not in said
