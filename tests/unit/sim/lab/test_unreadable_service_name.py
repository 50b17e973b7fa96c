"""A Generic Service resource whose ServiceName cannot be read is never taken for "not SSIS".

``_lib/generic_service_name`` reads a resource's ServiceName inside try/catch (so either
kind of FailoverClusters failure is held). Its callers used to read a failure as "no
ServiceName": add-resource then set ServiceName over whatever the resource runs, and the
preflights passed their SSIS-conflict checks without a word. The lab makes the read fail
by removing the private property (Get-ClusterParameter: 1168, ERROR_NOT_FOUND).
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import planned_step, run_on
from tests.unit.sim.lab.test_hidden_files import run_on_step

GROUP = "SQL Server (MSSQLSERVER)"
RESOURCE = "SQL Server Integration Services"
KINDS = pytest.mark.parametrize("terminate", [True, False], ids=["terminating", "non-terminating"])


def _lab(terminate: bool) -> SimCluster:
    """The SQL group holding a Generic Service resource whose ServiceName cannot be read."""
    lab = sample_lab(nodes=2)
    lab.cluster_errors_terminate = terminate
    made = run_on(
        lab,
        "$ErrorActionPreference = 'Stop'\n"
        f"$r = Add-ClusterResource -Name '{RESOURCE}' -ResourceType 'Generic Service' "
        f"-Group '{GROUP}'\n"
        "$r | Set-ClusterParameter -Name 'ServiceName' -Value 'MsDtsServer150'\n",
    )
    assert made.failed is None, made.failed
    del lab.resource(RESOURCE).parameters[fold("ServiceName")]
    lab.changes.clear()
    return lab


@KINDS
def test_add_resource_does_not_set_a_service_name_it_could_not_read(terminate: bool) -> None:
    lab = _lab(terminate)
    step = planned_step("ssis-clustered", "add-resource")
    arguments = {**dict(step.arguments), "Name": RESOURCE, "Group": GROUP}

    result = run_on_step(lab, step.script.text, arguments)

    assert result.failed is not None
    assert (
        f"the ServiceName of the existing Generic Service resource '{RESOURCE}' cannot be read"
    ) in result.failed.message
    assert not lab.changes
    assert fold("ServiceName") not in lab.resource(RESOURCE).parameters


@KINDS
def test_the_clustered_preflight_names_the_resource_it_cannot_read(terminate: bool) -> None:
    lab = _lab(terminate)
    step = planned_step("ssis-clustered", "preflight")
    arguments = {**dict(step.arguments), "Group": GROUP, "ResourceName": "Other SSIS"}

    result = run_on_step(lab, step.script.text, arguments)

    assert result.failed is not None
    assert (
        f"the ServiceName of Generic Service resource '{RESOURCE}' in group '{GROUP}' cannot "
        "be read"
    ) in result.failed.message


@KINDS
def test_the_standalone_preflight_names_the_resource_it_cannot_read(terminate: bool) -> None:
    lab = _lab(terminate)
    step = planned_step("ssis-standalone", "preflight")

    result = run_on_step(lab, step.script.text, dict(step.arguments))

    assert result.failed is not None
    assert f"the ServiceName of cluster resource '{RESOURCE}'" in result.failed.message

