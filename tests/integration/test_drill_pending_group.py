"""The failover drill's move waits for a Pending group instead of moving on top of it.

A role whose resources are still coming online or going offline (an earlier move whose
``-Wait`` ran out, a restart) is not moved by the cluster; the lab refuses such a move
(ERROR_INVALID_STATE, the stricter reading: UNVERIFIED which error Windows gives). The
drill's move step polls the group until it settles, up to its timeout, then moves, and
fails naming the state when it never settles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.cluster_model import SimCluster, Timing
from psrunbook.sim.lab.lab_files import restore, sample_lab
from psrunbook.templates import TemplateLibrary
from tests.integration.test_execution import _seed_lab
from tests.unit.sim.ps.helpers import Result, Sink

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

GROUP = "SQL Server (MSSQLSERVER)"
RESOURCE = "SQL Server Integration Services"


def _pending_lab(psrunbook: Psrunbook, timing: Timing) -> SimCluster:
    """After ssis-clustered, the SSIS resource coming online again on NODE1."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    resource = cluster.resource(RESOURCE)
    cluster.take_offline(resource)
    cluster.timing = timing
    cluster.begin_online(resource, wait=False)
    assert "Pending" == cluster.group_state(cluster.group(GROUP))
    return cluster


def _move(cluster: SimCluster, node: str) -> Result:
    arguments = {"Group": GROUP, "Node": node, "Resource": RESOURCE, "TimeoutSeconds": 30}
    script = TemplateLibrary().render("cluster/move_group.ps1.j2", arguments)
    request = PipelineRequest((CommandRequest(script.text, True, tuple(arguments.items())),), ())
    sink = Sink()
    ClusterExecutor(cluster, time_scale=0.0).execute(
        request, ExecutionContext("NODE1", "SIMLAB\\admin"), sink
    )
    return sink.result


def test_the_move_waits_for_a_pending_group_to_settle_then_moves(psrunbook: Psrunbook) -> None:
    cluster = _pending_lab(psrunbook, Timing(observations=10_000, seconds=3.0))
    _move(cluster, "NODE2")
    group = cluster.group(GROUP)
    assert ("NODE2", "Online") == (group.owner, cluster.resource(RESOURCE).state)


def test_a_group_that_never_settles_fails_the_step_and_is_not_moved(
    psrunbook: Psrunbook,
) -> None:
    cluster = _pending_lab(psrunbook, Timing(observations=10_000, seconds=10_000.0))
    with pytest.raises(PipelineFailed) as failed:
        _move(cluster, "NODE2")
    assert f"cluster group '{GROUP}' is still Pending after 30 s" in failed.value.record.message
    group = cluster.group(GROUP)
    assert "NODE1" == group.owner


def test_the_lab_refuses_to_move_a_pending_group(psrunbook: Psrunbook) -> None:
    cluster = _pending_lab(psrunbook, Timing(observations=10_000, seconds=10_000.0))
    script = f"Move-ClusterGroup -Name '{GROUP}' -Node NODE2"
    request = PipelineRequest((CommandRequest(script, True, ()),), ())
    sink = Sink()
    ClusterExecutor(cluster, time_scale=0.0).execute(
        request, ExecutionContext("NODE1", "SIMLAB\\admin"), sink
    )
    [error] = sink.result.errors
    assert "not in the correct state" in error.message
    assert "NODE1" == cluster.group(GROUP).owner
