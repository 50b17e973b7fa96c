"""Running a whole script on one lab node, as the endpoint does, recording every stream."""

from __future__ import annotations

from psrunbook.runbook.examples import example_inventory, example_parameters
from psrunbook.runbook.planner import PlannedStep, build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.sim.executor_protocol import (
    RUNSPACE_PROFILE_LOADED,
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.templates import TemplateLibrary
from tests.unit.sim.ps.helpers import Result, Sink


def run_on(
    cluster: SimCluster, script: str, node: str = "NODE1", *, profile_loaded: bool = True
) -> Result:
    """Run ``script`` on ``node`` of ``cluster`` through the real evaluator, in a session
    that loaded the user's profile unless told otherwise (``WINRS_NOPROFILE``)."""
    sink = Sink()
    request = PipelineRequest((CommandRequest(script, True, ()),), ())
    runspace = {} if profile_loaded else {RUNSPACE_PROFILE_LOADED: False}
    try:
        ClusterExecutor(cluster, time_scale=0.0).execute(
            request, ExecutionContext(node, "SIMLAB\\admin", runspace=runspace), sink
        )
    except PipelineFailed as failed:
        sink.result.failed = failed.record
    return sink.result


def output_of(script: str) -> list[object]:
    """What ``script`` writes on NODE1 of a fresh sample lab; it must run without an error."""
    result = run_on(sample_lab(), script)
    assert result.failed is None, result.failed
    assert [] == result.errors, [e.message for e in result.errors]
    return result.output


def planned_step(runbook_name: str, step_name: str) -> PlannedStep:
    """The first planned step named ``step_name`` of ``runbook_name``, as the CLI plans it
    with the runbook's example parameters and inventory (its rendered script and the
    arguments it is sent with)."""
    runbook = RunbookRegistry.discover([]).get(runbook_name)
    params = example_parameters(runbook.parameters)
    assert params is not None
    plan = build_plan(runbook, params, example_inventory(), TemplateLibrary([]), lint=False)
    return next(s for s in plan.steps if s.step.name == step_name)
