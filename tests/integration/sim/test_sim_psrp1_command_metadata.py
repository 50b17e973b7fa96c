"""GET_COMMAND_METADATA (MS-PSRP 2.2.2.14) runs the two Get-Command pipelines Windows
runs for it, through real pypsrp 0.9.1 (``RunspacePool.get_command_metadata``) over HTTP.

Evidence: ``ServerRunspacePoolDriver.HandleGetCommandMetadata`` and ``RemotingDecoder.
GetCommandDiscoveryPipeline`` (PowerShell source); pypsrp 0.9.1's ``responses/
test_psrp_get_command_metadata.yml`` (a GenericMeasureInfo count, then one selected
CmdletInfo per command, then Completed). The executor here stands in for the node's
Get-Command, so the test sees exactly which pipelines the endpoint asks for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pypsrp.complex_objects import CommandType
from pypsrp.powershell import RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    OutputSink,
    PipelineRequest,
)
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

_COMMAND_TYPES = "System.Management.Automation.CommandTypes"


class _Discovery:
    """Answers the counting pipeline with a count of 1 and the main one with Get-Item."""

    def __init__(self) -> None:
        self.requests: list[tuple[CommandRequest, ...]] = []

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        self.requests.append(request.commands)
        sink.output(
            PSObject(
                type_names=(
                    "Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo",
                    "System.Management.Automation.PSCustomObject",
                    "System.Object",
                ),
                properties=PSHashtable([("Count", 1)]),
            )
        )
        sink.output(
            PSObject(
                type_names=(
                    "Selected.System.Management.Automation.CmdletInfo",
                    "System.Management.Automation.PSCustomObject",
                    "System.Object",
                ),
                properties=PSHashtable(
                    [
                        ("Name", "Get-Item"),
                        ("Namespace", "Microsoft.PowerShell.Management"),
                        ("HelpUri", "https://go.microsoft.com/fwlink/?LinkID=113319"),
                        ("CommandType", PSEnum(_COMMAND_TYPES, "Cmdlet", 8)),
                        ("ResolvedCommandName", None),
                        ("OutputType", ["System.Boolean"]),
                        ("Parameters", PSHashtable()),
                    ]
                ),
            )
        )


@pytest.fixture
def discovery() -> Iterator[tuple[SimEndpoint, _Discovery]]:
    executor = _Discovery()
    with SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}) as ep:
        yield ep, executor


def _ask(endpoint: SimEndpoint, *args: object, **kwargs: object) -> list[object]:
    """``get_command_metadata`` on a new pool; fails instead of waiting forever."""
    found: list[object] = []

    def ask() -> None:
        with RunspacePool(client_for(endpoint)) as pool:
            found.extend(pool.get_command_metadata(*args, **kwargs))

    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "GET_COMMAND_METADATA got no answer"
    return found


def test_command_metadata_runs_windows_discovery_pipelines(discovery):
    endpoint, executor = discovery
    found = _ask(
        endpoint,
        "Get-*Item",
        command_types=CommandType.CMDLET,
        namespace=["Microsoft.PowerShell.Management"],
        arguments=["env:"],
    )

    assert [m.name for m in found] == ["Get-Item"]
    (commands,) = executor.requests
    shape = [(c.text, [name for name, _ in c.arguments], c.ends_statement) for c in commands]
    discovery_args = ["Name", "CommandType", "Module", "ArgumentList"]
    assert shape == [
        ("Get-Command", [*discovery_args, "ErrorAction"], False),
        ("Measure-Object", [], False),
        ("Select-Object", ["Property"], True),
        ("Get-Command", discovery_args, False),
        ("Select-Object", ["Property"], True),
    ]
    get_command = dict(commands[0].arguments)
    assert get_command["Name"] == ["Get-*Item"]
    assert get_command["Module"] == ["Microsoft.PowerShell.Management"]
    assert get_command["ArgumentList"] == ["env:"]
    assert (get_command["CommandType"].name, get_command["CommandType"].value) == ("Cmdlet", 8)
    assert get_command["ErrorAction"] == "SilentlyContinue"
    assert dict(commands[2].arguments)["Property"] == "Count"
    assert dict(commands[4].arguments)["Property"] == [
        "Name",
        "Namespace",
        "HelpUri",
        "CommandType",
        "ResolvedCommandName",
        "OutputType",
        "Parameters",
    ]


def test_command_metadata_defaults(discovery):
    """No namespace: ``-Module ""``; no arguments: ``-ArgumentList $null``."""
    endpoint, executor = discovery
    _ask(endpoint, "Get-Item")
    get_command = dict(executor.requests[0][0].arguments)
    assert get_command["Module"] == [""]
    assert get_command["ArgumentList"] is None
    assert get_command["CommandType"].type_name == "System.Management.Automation.CommandTypes"
