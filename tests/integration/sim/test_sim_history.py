"""A runspace's command history: pipelines created with AddToHistory are recorded as
Windows records them, and Get-History reads them, through real pypsrp 0.9.1 over HTTP.

Evidence: pypsrp 0.9.1's ``responses/test_psrp_with_history.yml`` and
``test_psrp_with_no_history.yml`` (recorded from Windows), PowerShell's
``CommandCollection.GetCommandStringForHistory`` (the first command's text).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

from psrunbook.sim import command_history
from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.executor_protocol import (
    ExecutionContext,
    OutputSink,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.objects import ErrorRecordData
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration


class _HistoryReader:
    """Writes the runspace's history entries as ``Id|CommandLine|ExecutionStatus``;
    a script ``throw`` ends its pipeline Failed."""

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        if request.commands[0].text == "throw":
            raise PipelineFailed(ErrorRecordData(message="boom", error_id="Boom"))
        for entry in command_history.entries(context.runspace):
            p = entry.properties
            sink.output(f"{p['Id']}|{p['CommandLine']}|{p['ExecutionStatus']}")


@pytest.fixture
def history_endpoint() -> Iterator[SimEndpoint]:
    with SimEndpoint(_HistoryReader(), node="NODE1", users={USER: PASSWORD}) as ep:
        yield ep


def _run(pool: RunspacePool, script: str | None = None, *, history: bool = False,
         command: str | None = None) -> list[object]:  # fmt: skip
    ps = PowerShell(pool)
    if command is not None:
        ps.add_cmdlet(command).add_argument(1)
    else:
        ps.add_script(script or "")
    return list(ps.invoke(add_to_history=history))


def test_only_add_to_history_pipelines_are_recorded(history_endpoint):
    """Recorded with AddToHistory: the script text as sent, Completed, Id 1; without it
    nothing (test_psrp_with_no_history.yml); a command by name is recorded by its name
    alone; a failed pipeline as Failed."""
    with RunspacePool(client_for(history_endpoint)) as pool:
        assert _run(pool, "Write-Output 1") == []
        _run(pool, "Write-Output 1; Write-Output 2", history=True)
        _run(pool, command="Write-Output", history=True)
        _run(pool, "throw", history=True)
        assert _run(pool, "read") == [
            "1|Write-Output 1; Write-Output 2|Completed",
            "2|Write-Output|Completed",
            "3|throw|Failed",
        ]


def test_history_belongs_to_one_runspace_pool(history_endpoint):
    with RunspacePool(client_for(history_endpoint)) as pool:
        _run(pool, "Write-Output 1", history=True)
    with RunspacePool(client_for(history_endpoint)) as other:
        assert _run(other, "read") == []


def test_no_history_without_add_to_history(lab_endpoint):
    """test_psrp_with_no_history.yml: Get-History after a pipeline without AddToHistory
    returns nothing."""
    with RunspacePool(client_for(lab_endpoint)) as pool:
        _run(pool, "Write-Output 1; Write-Output 2")
        assert _run(pool, "Get-History") == []


def test_get_history_returns_windows_history_info(lab_endpoint):
    """test_psrp_with_history.yml: one Microsoft.PowerShell.Commands.HistoryInfo with
    Id 1, the script as CommandLine, ExecutionStatus Completed, adapted properties."""
    with RunspacePool(client_for(lab_endpoint)) as pool:
        _run(pool, "Write-Output 1; Write-Output 2", history=True)
        ps = PowerShell(pool)
        ps.add_script("Get-History")
        actual = ps.invoke()
        assert not ps.had_errors, ps.streams.error
    assert len(actual) == 1
    entry = actual[0]
    assert entry.types == ["Microsoft.PowerShell.Commands.HistoryInfo", "System.Object"]
    assert entry.adapted_properties["CommandLine"] == "Write-Output 1; Write-Output 2"
    assert entry.adapted_properties["ExecutionStatus"] == "Completed"
    assert entry.adapted_properties["Id"] == 1
    assert str(entry) == "Write-Output 1; Write-Output 2"
