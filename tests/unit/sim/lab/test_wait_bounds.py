"""The steps that wait for the cluster keep their bound when the cluster is slow to answer.

bring-online (``cluster/start_resource``) and the drill's move (``cluster/move_group``)
poll the cluster until a state is reached or ``TimeoutSeconds`` have passed. They used to
count only their own pauses, so every read of the cluster's state (an RPC to the cluster
service, which takes real time on a real cluster and none in a default lab) went
uncounted: with ``online_timeout_s`` at an hour the step ran past the engine's step
timeout before it could say why. The lab's ``[timing] cluster_call_seconds`` makes each
FailoverClusters call take that long; the waits now read a Stopwatch.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import LabError, LabSpec, build_lab, dump, load, sample_lab
from tests.unit.sim.lab.scripts import planned_step, run_on
from tests.unit.sim.lab.test_hidden_files import run_on_step

SERVICE = "MsDtsServer150"
CALL_SECONDS = 0.3
TIMEOUT_S = 10


def _lab_with_a_service_that_never_starts() -> SimCluster:
    """An offline Generic Service resource in the SQL group whose service hangs starting."""
    lab = sample_lab(nodes=2)
    made = run_on(
        lab,
        "Stop-Service -Name " + SERVICE + "\n"
        "$r = Add-ClusterResource -Name 'SSIS' -ResourceType 'Generic Service' "
        "-Group 'SQL Server (MSSQLSERVER)'\n"
        "$r | Set-ClusterParameter -Name 'ServiceName' -Value '" + SERVICE + "'\n",
    )
    assert made.failed is None, made.failed
    lab.hang_service("NODE1", SERVICE, "start")
    lab.timing.cluster_call_seconds = CALL_SECONDS
    return lab


def test_bring_online_gives_up_at_its_bound_however_long_each_read_takes() -> None:
    lab = _lab_with_a_service_that_never_starts()
    step = planned_step("ssis-clustered", "bring-online")
    arguments = {"Name": "SSIS", "TimeoutSeconds": TIMEOUT_S, "ProvidersOnline": []}
    started = lab.clock_ahead_s

    result = run_on_step(lab, step.script.text, arguments)

    spent = lab.clock_ahead_s - started
    assert result.failed is not None
    assert f"cluster resource 'SSIS' is OnlinePending after {TIMEOUT_S} s" in result.failed.message
    # The bound, the one read that found it passed and the few calls that explain why:
    # counting only the pauses overran it by one read per turn (about 24 turns here).
    assert TIMEOUT_S <= spent <= TIMEOUT_S + 6 * CALL_SECONDS, spent


def test_the_drill_gives_up_on_a_pending_group_at_its_bound() -> None:
    lab = _lab_with_a_service_that_never_starts()
    started = run_on(lab, "Start-ClusterResource -Name 'SSIS' -Wait 0 | Out-Null")
    assert started.failed is None, started.failed
    step = planned_step("ssis-failover-drill", "move-1")
    arguments = {**dict(step.arguments), "Resource": "SSIS", "TimeoutSeconds": TIMEOUT_S}
    before = lab.clock_ahead_s

    result = run_on_step(lab, step.script.text, arguments)

    spent = lab.clock_ahead_s - before
    assert result.failed is not None
    assert f"is still Pending after {TIMEOUT_S} s" in result.failed.message
    assert TIMEOUT_S <= spent <= TIMEOUT_S + 3 * CALL_SECONDS, spent


def test_the_lab_file_sets_the_call_time_and_a_dump_keeps_it() -> None:
    lab = build_lab(LabSpec.from_mapping({"timing": {"cluster_call_seconds": 0.25}}))
    assert 0.25 == lab.timing.cluster_call_seconds
    assert 0.25 == load(dump(lab)).timing.cluster_call_seconds
    with pytest.raises(LabError, match=r"timing\.cluster_call_seconds"):
        LabSpec.from_mapping({"timing": {"cluster_call_seconds": -1}})


def test_each_cluster_call_takes_the_configured_time() -> None:
    lab = sample_lab()
    lab.timing.cluster_call_seconds = CALL_SECONDS
    before = lab.clock_ahead_s
    result = run_on(lab, "Get-ClusterNode | Out-Null\nGet-ClusterResource | Out-Null")
    assert result.failed is None
    assert 2 * CALL_SECONDS == pytest.approx(lab.clock_ahead_s - before)


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [("-Milliseconds -1", "Milliseconds"), ("-Seconds 2147484", "Seconds")],
)
def test_start_sleep_refuses_a_wait_outside_its_range(arguments: str, parameter: str) -> None:
    """[ValidateRange(0, int.MaxValue)] on -Milliseconds, (0, int.MaxValue / 1000) on
    -Seconds (StartSleepCommand.cs): under 'Stop' the binding error ends the script, so a
    wait computed from a clock must never go below zero."""
    script = f"$ErrorActionPreference = 'Stop'\nStart-Sleep {arguments}\n'after'"
    result = run_on(sample_lab(), script)
    assert result.failed is not None
    assert f"Cannot validate argument on parameter '{parameter}'" in result.failed.message
    assert [] == result.output
