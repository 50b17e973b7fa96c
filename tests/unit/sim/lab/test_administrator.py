"""The session's administrator rights, as a preflight asks for them, against the lab.

``WindowsPrincipal.IsInRole(WindowsBuiltInRole.Administrator)`` answers from the lab: its
remote user is an administrator by default, and ``policy.remote_user_is_administrator =
false`` in a lab file makes it a plain user on every node.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import LabError, LabSpec, build_lab, dump, load, read_lab
from tests.unit.sim.lab.test_cluster_executor import Sink

IS_ADMIN = (
    "([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent())"
    ".IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)"
)


def run(cluster: SimCluster, script: str) -> list[Any]:
    sink = Sink()
    request = PipelineRequest((CommandRequest(script, True, ()),))
    context = ExecutionContext("NODE1", "SIMLAB\\operator", threading.Event())
    cluster_executor(cluster, time_scale=0.001).execute(request, context, sink)
    return sink.outputs


def test_remote_user_is_an_administrator_by_default() -> None:
    assert run(build_lab(LabSpec()), IS_ADMIN) == [True]


def test_lab_option_makes_the_remote_user_not_an_administrator(tmp_path: Path) -> None:
    path = tmp_path / "lab.toml"
    path.write_text("[policy]\nremote_user_is_administrator = false\n", "utf-8")
    cluster = build_lab(read_lab(path))
    assert run(cluster, IS_ADMIN) == [False]
    assert run(load(dump(cluster)), IS_ADMIN) == [False]


def test_current_identity_names_the_session_user() -> None:
    script = "[Security.Principal.WindowsIdentity]::GetCurrent().Name"
    assert run(build_lab(LabSpec()), script) == ["SIMLAB\\operator"]


def test_other_roles_are_refused_as_unsupported() -> None:
    script = (
        "([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent())"
        ".IsInRole('BUILTIN\\Users')"
    )
    with pytest.raises(PipelineFailed, match="unsupported construct"):
        run(build_lab(LabSpec()), script)


def test_option_must_be_a_boolean() -> None:
    with pytest.raises(LabError, match=r"policy\.remote_user_is_administrator"):
        LabSpec.from_mapping({"policy": {"remote_user_is_administrator": "no"}})


@pytest.mark.parametrize(
    "script", ["Get-ClusterNode", "Get-ClusterResource", "Get-Cluster", "Get-ClusterGroup"]
)
def test_a_plain_user_is_denied_every_cluster_cmdlet(script: str) -> None:
    """Only the nodes' Administrators have access to the cluster by default: a plain user
    gets Access Denied from the FailoverClusters cmdlets, readers included (issue 12)."""
    cluster = build_lab(LabSpec())
    cluster.remote_user_is_administrator = False
    with pytest.raises(PipelineFailed) as failed:
        run(cluster, "$ErrorActionPreference = 'Stop'\n" + script)
    record = failed.value.record
    assert "ClusterAccessDenied" == record.error_id
    assert "PermissionDenied" == record.category
    assert "Access is denied" in record.message


def test_a_plain_user_still_reads_services() -> None:
    """Access Denied is the cluster's rule, not the node's: Get-Service still answers."""
    cluster = build_lab(LabSpec())
    cluster.remote_user_is_administrator = False
    assert ["Running"] == run(cluster, "[string](Get-Service -Name WinRM).Status")
