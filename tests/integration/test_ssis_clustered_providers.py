"""``ssis-clustered`` never brings SQL Server (or its disk) online behind an operator's back,
and never stops the SSIS service while the cluster is changing it.

Start-ClusterResource brings a resource's providers online with it (the lab does so, as
the cluster does): with SQL Server taken offline on purpose (single-user maintenance),
bringing the new SSIS resource online, which depends on it, started SQL Server too. A
service-manual step that met the SSIS resource OnlinePending on its own node stopped the
service the cluster was starting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.cluster_faults import clear_resource_fault
from psrunbook.sim.lab.cluster_model import Timing, fold
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from psrunbook.templates import TemplateLibrary
from tests.integration.test_execution import SSIS_RESOURCE, _seed_lab
from tests.unit.sim.ps.helpers import Sink

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SQL = "SQL Server"
SSIS = "MsDtsServer150"


def _states(psrunbook: Psrunbook) -> dict[str, Any]:
    return {r["name"]: r["state"] for r in psrunbook.lab()["resources"]}


def test_sql_server_offline_is_refused_by_the_preflight_and_left_offline(
    psrunbook: Psrunbook,
) -> None:
    lab = sample_lab()
    lab.take_offline(lab.resource(SQL))
    _seed_lab(psrunbook, lab)

    failed = psrunbook("run", "ssis-clustered", "--sim", "--yes", expect=1)

    assert f"cluster resource '{SQL}' is Offline, not Online" in failed.stderr
    assert "01-preflight" in failed.stderr
    states = _states(psrunbook)
    assert "Offline" == states[SQL]
    assert SSIS_RESOURCE not in states
    assert {} == psrunbook.lab()["changes"]


def test_bring_online_refuses_when_sql_server_went_offline_since_the_preflight(
    psrunbook: Psrunbook,
) -> None:
    """A run failing at bring-online, SQL Server taken offline before the resume: the
    resumed step refuses naming it and starts nothing."""
    lab = sample_lab()
    lab.faults.fail_online[fold(SSIS_RESOURCE)] = -1
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes", expect=1)
    run = psrunbook.last_run()
    cluster = restore(psrunbook.lab_file)
    clear_resource_fault(cluster, SSIS_RESOURCE)
    cluster.take_offline(cluster.resource(SQL))
    save(cluster, psrunbook.lab_file)

    resumed = psrunbook("resume", run.run_id, "--sim", "--yes", expect=1)

    assert "10-bring-online" in resumed.stderr
    assert f"cluster resource '{SQL}' is Offline, not Online" in resumed.stderr
    states = _states(psrunbook)
    assert "Offline" == states[SQL]
    assert "Online" != states[SSIS_RESOURCE]


def test_service_manual_leaves_a_service_the_cluster_is_starting_alone(
    psrunbook: Psrunbook,
) -> None:
    """The SSIS resource OnlinePending on NODE1 when the service-manual step runs there (a
    resume after a failover): the step fails naming the state and leaves the running
    service as it is; on NODE2 it does its work."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    resource = cluster.resource(SSIS_RESOURCE)
    cluster.take_offline(resource)
    cluster.timing = Timing(observations=10_000, seconds=10_000.0)  # stays pending
    cluster.begin_online(resource, wait=False)
    service = cluster.node("NODE1").services[fold(SSIS)]
    cluster.start_service(cluster.node("NODE1"), service)
    values = {"ServiceName": SSIS, "Resource": SSIS_RESOURCE, "TimeoutSeconds": 30}
    script = TemplateLibrary().render("ssis/set_service_manual.ps1.j2", values)
    arguments = tuple(values.items())
    request = PipelineRequest((CommandRequest(script.text, True, arguments),), ())

    with pytest.raises(PipelineFailed) as failed:
        ClusterExecutor(cluster, time_scale=0.0).execute(
            request, ExecutionContext("NODE1", "SIMLAB\\admin"), Sink()
        )

    assert f"cluster resource '{SSIS_RESOURCE}' is OnlinePending on NODE1" in (
        failed.value.record.message
    )
    assert ("Running", "OnlinePending") == (service.status, resource.state)
