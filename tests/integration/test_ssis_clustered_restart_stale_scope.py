"""``ssis-clustered``'s ``restart-stale`` step decides on staleness alone (review: it
computed the service's read access to the file and never used it).

A restart cannot help a service whose account may not read ``MsDtsSrvr.ini.xml``: it would
start on its defaults again. That is the ``verify`` step's to report (``Loaded``
``unreadable``, after ``shared-config`` granted Read), so ``restart-stale`` no longer reads
the file's ACL: an account that does not resolve from this node, say one deleted from the
domain while the service kept running, no longer fails the step that only had to say
whether the process predates the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psrunbook.sim.executor_protocol import CommandRequest, ExecutionContext, PipelineRequest
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import restore, sample_lab
from psrunbook.templates import TemplateLibrary
from tests.integration.test_execution import _seed_lab
from tests.unit.sim.ps.helpers import Result, Sink

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

RESOURCE = "SQL Server Integration Services"
ARGUMENTS: dict[str, Any] = {
    "ServiceName": "MsDtsServer150",
    "Resource": RESOURCE,
    "Key": "HKLM:\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile",
    "ConfigFile": "S:\\SSIS\\MsDtsSrvr.ini.xml",
    "RestartWhenStale": True,
}


def _restart_stale(cluster: SimCluster) -> Result:
    script = TemplateLibrary().render("ssis/restart_stale_resource.ps1.j2", ARGUMENTS)
    request = PipelineRequest((CommandRequest(script.text, True, tuple(ARGUMENTS.items())),), ())
    sink = Sink()
    ClusterExecutor(cluster, time_scale=0.0).execute(
        request, ExecutionContext("NODE1", "SIMLAB\\admin"), sink
    )
    return sink.result


def test_the_step_does_not_judge_read_access(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    service = cluster.node("NODE1").service("MsDtsServer150")
    assert service is not None
    service.account = "SIMLAB\\svc-ssis-deleted"  # resolves no more

    result = _restart_stale(cluster)

    assert [] == result.errors
    [data] = [item for item in result.output if item is not None]
    assert "ReadProblems" not in str(data)
