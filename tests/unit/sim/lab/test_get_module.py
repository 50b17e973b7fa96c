"""``Get-Module`` on a lab node, and the ping probe that uses it, through the evaluator."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from psrunbook.execution.ping import PING_PROBE
from psrunbook.lint import lint_script
from psrunbook.sim.executor_protocol import CommandRequest, ExecutionContext, PipelineRequest
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import PSObject
from psrunbook.templates.environment import TemplateLibrary


class _Sink:
    def __init__(self) -> None:
        self.outputs: list[Any] = []
        self.errors: list[Any] = []

    def output(self, value: Any) -> None:
        self.outputs.append(value)

    def error(self, record: Any) -> None:
        self.errors.append(record)

    def warning(self, message: str) -> None:
        """Not asserted on."""

    def verbose(self, message: str) -> None:
        """Not asserted on."""

    def information(self, value: Any) -> None:
        """Not asserted on."""

    def debug(self, message: str) -> None:
        """Not asserted on."""

    def progress(self, record: Any) -> None:
        """Not asserted on (a runspace's first module command sends one)."""


def _run(script: str, node: str = "NODE1") -> _Sink:
    sink = _Sink()
    request = PipelineRequest((CommandRequest(script, True, ()),))
    cluster_executor(sample_lab()).execute(
        request, ExecutionContext(node, "SIMLAB\\admin", threading.Event()), sink
    )
    return sink


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "Get-Module -ListAvailable -Name FailoverClusters | ForEach-Object { $_.Name }",
            ["FailoverClusters"],
        ),
        (
            "Get-Module -ListAvailable failover* | ForEach-Object { [string]$_.Version }",
            ["2.0.0.0"],
        ),
        (
            "(Get-Module -ListAvailable FailoverClusters).Path",
            [
                "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules\\FailoverClusters\\FailoverClusters.psd1"
            ],
        ),
        # Not imported yet: none of its commands has run in this runspace.
        ("@(Get-Module -Name FailoverClusters).Count", [0]),
        # Imported by its first command (autoloading) or Import-Module, listed by name
        ("Get-ClusterNode | Out-Null; Write-Output 1 | Out-Null;"
         " Get-Module | ForEach-Object { '{0} {1} {2}' -f $_.Name, $_.Version, $_.ModuleType }",
         ["FailoverClusters 2.0.0.0 Manifest", "Microsoft.PowerShell.Utility 3.1.0.0 Manifest"]),
        ("Import-Module FailoverClusters; (Get-Module -Name Failover*).Name", ["FailoverClusters"]),
        # Core's commands (ForEach-Object, Set-StrictMode) import nothing
        ("Set-StrictMode -Version 3; 1 | ForEach-Object { $_ } | Out-Null; @(Get-Module).Count",
         [0]),
        # A name that matches nothing is no error, as on Windows.
        ("@(Get-Module -ListAvailable -Name SqlServer).Count", [0]),
    ],
)
def test_get_module_lists_what_is_installed_or_imported(
    script: str, expected: list[Any]
) -> None:
    sink = _run(script)
    assert [] == sink.errors
    assert expected == sink.outputs


def test_ping_probe_lints_clean_and_reports_powershell_and_failoverclusters() -> None:
    script = TemplateLibrary().render(PING_PROBE, {})
    assert [] == lint_script(script.text, source=PING_PROBE)
    sink = _run(script.text, node="NODE2")
    assert [] == sink.errors
    [result] = sink.outputs
    assert isinstance(result, PSObject)
    assert False is result.properties["Changed"]
    assert {
        "ComputerName": "NODE2",
        "PSVersion": "5.1.17763.1",
        "FailoverClusters": "2.0.0.0",
    } == json.loads(result.properties["Data"])
