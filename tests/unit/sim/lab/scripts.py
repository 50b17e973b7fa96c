"""Running a whole script on one lab node, as the endpoint does, recording every stream."""

from __future__ import annotations

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.cluster_model import SimCluster
from tests.unit.sim.ps.helpers import Result, Sink


def run_on(cluster: SimCluster, script: str, node: str = "NODE1") -> Result:
    """Run ``script`` on ``node`` of ``cluster`` through the real evaluator."""
    sink = Sink()
    request = PipelineRequest((CommandRequest(script, True, ()),), ())
    try:
        ClusterExecutor(cluster, time_scale=0.0).execute(
            request, ExecutionContext(node, "SIMLAB\\admin"), sink
        )
    except PipelineFailed as failed:
        sink.result.failed = failed.record
    return sink.result
