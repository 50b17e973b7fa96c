"""Real PowerShell text through cluster_executor: the evaluator and the model together."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.cluster_faults import move_group_after, node_down
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import lab_facts, sample_lab
from psrunbook.sim.objects import ErrorRecordData, PSObject
from psrunbook.templates.environment import TemplateLibrary

GROUP = "SQL Server (MSSQLSERVER)"


@dataclass
class Sink:
    """Collects what a pipeline streams to the client."""

    outputs: list[Any] = field(default_factory=list)
    errors: list[ErrorRecordData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def output(self, value: Any) -> None:
        self.outputs.append(value)

    def error(self, record: ErrorRecordData) -> None:
        self.errors.append(record)

    def warning(self, message: str) -> None:
        self.warnings.append(message)

    def verbose(self, message: str) -> None:
        """Verbose output is not asserted on."""

    def information(self, value: Any) -> None:
        """Information output is not asserted on."""

    def debug(self, message: str) -> None:
        """Debug output is not asserted on."""

    def progress(self, record: Any) -> None:
        """Progress is not asserted on."""


class Runner:
    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self.executor = cluster_executor(cluster, time_scale=0.001)

    def __call__(self, script: str, node: str = "NODE1", **parameters: Any) -> Sink:
        sink = Sink()
        request = PipelineRequest(
            (CommandRequest(script, True, tuple(parameters.items())),),
        )
        self.executor.execute(
            request, ExecutionContext(node, "SIMLAB\\admin", threading.Event()), sink
        )
        return sink


@pytest.fixture
def run() -> Runner:
    return Runner(sample_lab())


def test_pipeline_with_where_object(run: Runner) -> None:
    """Cluster objects flow through Where-Object; enum states compare to strings."""
    out = run(
        "Get-ClusterResource | Where-Object { $_.State -eq 'online' -and "
        "[string]$_.OwnerGroup -eq 'Cluster Group' } | ForEach-Object { $_.Name }"
    ).outputs
    assert ["Cluster IP Address", "Cluster Name"] == out


def test_cluster_error_caught_by_type(run: Runner) -> None:
    """A cluster error under -ErrorAction Stop is caught as ClusterCmdletException."""
    script = (
        "try { Get-ClusterResource -Name 'Nope' -ErrorAction Stop; 'not reached' }\n"
        "catch [Microsoft.FailoverClusters.PowerShell.ClusterCmdletException] {\n"
        "    'caught ' + $_.FullyQualifiedErrorId\n"
        "}"
    )
    assert [
        "caught Get-ClusterResource,Microsoft.FailoverClusters.PowerShell.GetResourceCommand"
    ] == run(script).outputs


def test_non_terminating_cluster_error_reaches_error_stream(run: Runner) -> None:
    """Without Stop the error is written and the script goes on."""
    sink = run("Get-ClusterResource -Name 'Nope'; 'after'")
    assert ["after"] == sink.outputs
    assert ["Get-ClusterResource,Microsoft.FailoverClusters.PowerShell.GetResourceCommand"] == [
        e.fully_qualified_error_id for e in sink.errors
    ]


def test_remove_without_force_is_an_error_not_a_hang(run: Runner) -> None:
    """Remove-ClusterResource without -Force reports the refused prompt and removes nothing."""
    sink = run("Remove-ClusterResource -Name 'SQL Server'; 'went on'")
    assert ["HostFunctionNotImplemented"] == [e.error_id for e in sink.errors]
    assert ["went on"] == sink.outputs
    with pytest.raises(PipelineFailed) as raised:
        run("$ErrorActionPreference = 'Stop'; Remove-ClusterResource -Name 'SQL Server'")
    assert "HostFunctionNotImplemented" == raised.value.record.error_id
    assert "sql server" in run.cluster.resources


def test_group_owners_keep_their_order(run: Runner) -> None:
    """Set-ClusterOwnerNode -Owners NODE2, NODE1 binds both names, in order."""
    run("Set-ClusterOwnerNode -Group 'Cluster Group' -Owners 'NODE2', 'NODE1'")
    out = run(
        "(Get-ClusterOwnerNode -Group 'Cluster Group').OwnerNodes | ForEach-Object { [string]$_ }"
    ).outputs
    assert ["NODE2", "NODE1"] == out


def test_icacls_sets_last_exit_code(run: Runner) -> None:
    """A native icacls call sets $LASTEXITCODE."""
    out = run("$null = & icacls 'S:\\Nope' /grant 'Users:(RX)'; $LASTEXITCODE").outputs
    assert [2] == out


def test_start_sleep_polling_loop(run: Runner) -> None:
    """A polling loop with Start-Sleep sees OnlinePending turn Online on the virtual clock."""
    run.cluster.timing.observations = 100
    run.cluster.timing.seconds = 3
    script = (
        "param($Group)\n"
        "$null = Add-ClusterResource -Name SSIS -Group $Group -ResourceType 'Generic Service'\n"
        "Get-ClusterResource SSIS | Set-ClusterParameter -Name ServiceName -Value MsDtsServer150\n"
        "$null = Start-ClusterResource -Name SSIS -Wait 0\n"
        "$seen = @()\n"
        "for ($i = 0; $i -lt 10; $i++) {\n"
        "    $s = [string](Get-ClusterResource -Name SSIS).State\n"
        "    $seen += $s\n"
        "    if ($s -eq 'Online') { break }\n"
        "    Start-Sleep -Seconds 1\n"
        "}\n"
        "$seen -join ','"
    )
    assert ["OnlinePending,OnlinePending,OnlinePending,Online"] == run(script, Group=GROUP).outputs
    assert 3.0 == run.cluster.clock.now


def test_a_start_that_times_out_moves_the_nodes_clock_by_its_wait(run: Runner) -> None:
    """``Start-ClusterResource -Wait 30`` on a transition that takes longer blocks 30
    seconds on Windows; the lab returns at once, and Get-Date has moved on by them, so
    a script timing its own deadline sees what it would on a cluster."""
    run.cluster.timing.observations = 100
    run.cluster.timing.seconds = 120
    script = (
        "param($Group)\n"
        "$null = Add-ClusterResource -Name SSIS -Group $Group -ResourceType 'Generic Service'\n"
        "Get-ClusterResource SSIS | Set-ClusterParameter -Name ServiceName -Value MsDtsServer150\n"
        "$t = Get-Date\n"
        "$r = Start-ClusterResource -Name SSIS -Wait 30\n"
        "[string]$r.State; ((Get-Date) - $t).TotalSeconds -ge 30"
    )
    assert ["OnlinePending", True] == run(script, Group=GROUP).outputs
    assert 30.0 == run.cluster.clock_ahead_s


@pytest.mark.parametrize(
    ("wait", "first_call"),
    [("", ""), (" -Wait 60", ""), ("", "$null = Start-ClusterResource -Name SSIS -Wait 0\n")],
    ids=["no-wait", "wait-longer", "already-pending"],
)
def test_a_start_that_waits_takes_the_transitions_time_on_the_nodes_clock(
    run: Runner, wait: str, first_call: str
) -> None:
    """Without ``-Wait`` (or with one longer than the transition) the cmdlet blocks until
    the resource is online: on Windows that takes the transition's time, and Get-Date
    afterwards shows it; a transition already pending takes only what is left of it. A
    start of an Online resource takes none."""
    run.cluster.timing.observations = 100
    run.cluster.timing.seconds = 20
    script = (
        "param($Group)\n"
        "$null = Add-ClusterResource -Name SSIS -Group $Group -ResourceType 'Generic Service'\n"
        "Get-ClusterResource SSIS | Set-ClusterParameter -Name ServiceName -Value MsDtsServer150\n"
        f"{first_call}"
        "Start-Sleep -Seconds 5\n"
        "$t = Get-Date\n"
        f"$r = Start-ClusterResource -Name SSIS{wait}\n"
        "[string]$r.State; [int]((Get-Date) - $t).TotalSeconds\n"
        "$t = Get-Date\n"
        "$r = Start-ClusterResource -Name SSIS\n"
        "[int]((Get-Date) - $t).TotalSeconds"
    )
    took = 15 if first_call else 20
    assert ["Online", took, 0] == run(script, Group=GROUP).outputs
    assert 5.0 + took == run.cluster.clock.now
    assert 5.0 + took == pytest.approx(run.cluster.clock_ahead_s, abs=0.5)


def test_node_down_refuses_pipelines(run: Runner) -> None:
    """A pipeline for a node that is down fails at once."""
    node_down(run.cluster, "NODE1")
    with pytest.raises(PipelineFailed) as raised:
        run("Get-Cluster")
    assert "SimulatedNodeDown" == raised.value.record.error_id
    assert ["NODE2"] == run(
        "param($Group) (Get-ClusterGroup -Name $Group).OwnerNode.Name", "NODE2", Group=GROUP
    ).outputs


def test_group_moves_between_pipelines(run: Runner) -> None:
    """A move scheduled for after one pipeline happens between two steps."""
    move_group_after(run.cluster, GROUP, pipelines=1)
    assert ["NODE1"] == run(
        "param($Group) [string](Get-ClusterGroup -Name $Group).OwnerNode", Group=GROUP
    ).outputs
    assert ["NODE2"] == run(
        "param($Group) [string](Get-ClusterGroup -Name $Group).OwnerNode", Group=GROUP
    ).outputs


# -- the shipped SSIS templates, apply and check mode ---------------------------------------

DOCUMENT = (
    '<?xml version="1.0" encoding="utf-8"?>\r\n<DtsServiceConfiguration>'
    "<TopLevelFolders><Folder><ServerName>SQLVS01</ServerName></Folder></TopLevelFolders>"
    "</DtsServiceConfiguration>\r\n"
)


def _steps(cluster: SimCluster) -> list[tuple[str, str, dict[str, Any]]]:
    facts = lab_facts(cluster)
    key = "HKLM:\\" + facts.ssis_config_key
    return [
        (
            "cluster/add_generic_service.ps1.j2",
            "NODE1",
            {
                "Name": "SSIS",
                "Group": facts.group,
                "ServiceName": facts.ssis_service,
                "RestartAction": 1,
            },
        ),
        (
            "cluster/set_possible_owners.ps1.j2",
            "NODE1",
            {"Resource": "SSIS", "Owners": list(facts.nodes)},
        ),
        (
            "cluster/add_resource_dependencies.ps1.j2",
            "NODE1",
            {"Resource": "SSIS", "Providers": [facts.sql_resource, facts.disk_resource]},
        ),
        (
            "ssis/set_shared_config.ps1.j2",
            "NODE1",
            {
                "DriveRoot": "S:\\",
                "ConfigFolder": "S:\\SSIS",
                "PackagesFolder": "S:\\SSIS\\Packages",
                "ConfigFile": "S:\\SSIS\\MsDtsSrvr.ini.xml",
                "Document": DOCUMENT,
                "Principals": ["SIMLAB\\svc-ssis", "SIMLAB\\SSIS Package Admins"],
            },
        ),
        (
            "ssis/set_config_registry.ps1.j2",
            "NODE1",
            {"Key": key, "ConfigFile": "S:\\SSIS\\MsDtsSrvr.ini.xml"},
        ),
        (
            "ssis/set_config_registry.ps1.j2",
            "NODE2",
            {"Key": key, "ConfigFile": "S:\\SSIS\\MsDtsSrvr.ini.xml"},
        ),
        # The checkpoint after the values, as ssis-clustered orders them: added while the
        # resource is offline it saves the key as it is then (KB 174070), and the online
        # would write an older value back.
        (
            "cluster/add_registry_checkpoint.ps1.j2",
            "NODE1",
            {"Resource": "SSIS", "Checkpoint": facts.ssis_config_key},
        ),
        ("cluster/start_resource.ps1.j2", "NODE1", {"Name": "SSIS", "TimeoutSeconds": 30}),
    ]


def _apply(run: Runner, check_only: bool) -> list[bool]:
    library = TemplateLibrary()
    changed = []
    for template, node, step_arguments in _steps(run.cluster):
        arguments = {**step_arguments, "CheckOnly": True} if check_only else step_arguments
        script = library.render(template, arguments)
        sink = run(script.text, node, **arguments)
        assert [] == sink.errors, template
        result = sink.outputs[-1]
        assert isinstance(result, PSObject)
        changed.append(bool(result.properties["Changed"]))
    return changed


def test_ssis_clustered_templates_apply_then_no_change(run: Runner) -> None:
    """Check mode changes nothing; apply changes what differs; a second apply changes nothing."""
    checked = _apply(run, check_only=True)
    assert 0 == sum(run.cluster.changes.values())
    assert all(checked)
    # A new resource already has every node as a possible owner: that step has nothing to do.
    assert [True, False, True, True, True, True, True, True] == _apply(run, check_only=False)
    applied = dict(run.cluster.changes)
    assert [False] * len(checked) == _apply(run, check_only=False)
    assert applied == dict(run.cluster.changes)
    assert "Online" == run.cluster.resource("SSIS").state
    assert [["SQL Server"], ["Cluster Disk 1"]] == run.cluster.resource("SSIS").dependencies


def _render_run(run: Runner, template: str, node: str, arguments: dict[str, Any]) -> PSObject:
    script = TemplateLibrary().render(template, arguments)
    sink = run(script.text, node, **arguments)
    assert [] == sink.errors, template
    result = sink.outputs[-1]
    assert isinstance(result, PSObject)
    return result


def test_ssis_standalone_templates_apply_then_no_change(run: Runner) -> None:
    """The stand-alone config step writes and restarts once per node, then changes nothing."""
    facts = lab_facts(run.cluster)
    arguments = {
        "ServiceName": facts.ssis_service,
        "ConfigFile": facts.ssis_default_config,
        "Document": DOCUMENT,
        "TimeoutSeconds": 10,
    }
    for node in facts.nodes:
        first = _render_run(run, "ssis/set_standalone_config.ps1.j2", node, arguments)
        second = _render_run(run, "ssis/set_standalone_config.ps1.j2", node, arguments)
        assert (True, False) == (first.properties["Changed"], second.properties["Changed"])
    # The restart is the ServiceController's bounded stop and start (no Restart-Service).
    assert 2 == run.cluster.changes["ServiceController.Stop"]
    assert 2 == run.cluster.changes["ServiceController.Start"]
    assert 2 == run.cluster.changes["Copy-Item"]


def test_read_only_templates_change_nothing(run: Runner) -> None:
    """Preflights, the SSIS inventory and the cluster report run cleanly and change nothing."""
    facts = lab_facts(run.cluster)
    key = "HKLM:\\" + facts.ssis_config_key
    folder = facts.ssis_default_config.rsplit("\\", 1)[0]
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "ssis/test_cluster_preflight.ps1.j2",
            {
                "ServiceName": facts.ssis_service,
                "Group": facts.group,
                "ResourceName": "SSIS",
                "SqlResource": facts.sql_resource,
                "DiskResource": facts.disk_resource,
                "SharedFolder": f"{facts.drive}\\SSIS",
                "InventoryNodes": list(facts.nodes),
                "Owners": list(facts.nodes),
            },
        ),
        (
            "ssis/test_standalone_preflight.ps1.j2",
            {
                "ServiceName": facts.ssis_service,
                "Key": key,
                "ConfigFolder": folder,
                "ConfigFile": facts.ssis_default_config,
            },
        ),
        (
            "ssis/get_ssis_services.ps1.j2",
            {"ServiceNames": [facts.ssis_service, "MsDtsServer160"], "ConfigKeys": [key, key]},
        ),
        ("cluster/get_cluster_report.ps1.j2", {}),
        ("cluster/get_group_owner.ps1.j2", {"Group": facts.group}),
        ("cluster/get_cluster_identity.ps1.j2", {}),
    ]
    for template, arguments in steps:
        for node in facts.nodes:
            result = _render_run(run, template, node, arguments)
            assert result.properties["Changed"] is False
    assert 0 == sum(run.cluster.changes.values())
