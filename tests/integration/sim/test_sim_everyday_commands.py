"""Everyday commands of issue 13 through real pypsrp against a lab node over HTTP.

``Select-Object Name, State`` (a bare word after ``, ``), Import-Module of the module the
lab's nodes have, ``cmd.exe /c``, SecureStrings into a PSCredential, switch parameters;
and a command the lab does not model refused before any statement of the script ran.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from tests.integration.sim.simclient import client_for

pytestmark = pytest.mark.integration


@pytest.fixture
def lab_pool(lab_endpoint: SimEndpoint) -> Iterator[RunspacePool]:
    with RunspacePool(client_for(lab_endpoint)) as opened:
        yield opened


def test_everyday_commands_on_a_lab_node(lab_pool: RunspacePool) -> None:
    ps = PowerShell(lab_pool)
    ps.add_script(
        "Import-Module FailoverClusters\n"
        "$nodes = Get-ClusterNode | Select-Object Name, State\n"
        '"$($nodes[0].Name) $($nodes[0].State) $($nodes[0].Id)"\n'
        "cmd.exe /c echo %COMPUTERNAME%; $LASTEXITCODE\n"
        "$pw = ConvertTo-SecureString 'pw' -AsPlainText -Force\n"
        "(New-Object System.Management.Automation.PSCredential('LAB\\u', $pw)).UserName\n"
        "switch -Wildcard (Join-Path C:\\Temp x.log) { '*.log' { Split-Path $_ -Leaf } }"
    )
    output = ps.invoke()
    assert PSInvocationState.COMPLETED == ps.state
    assert not ps.had_errors, ps.streams.error
    assert ["NODE1 Up ", "NODE1", 0, "LAB\\u", "x.log"] == output


def test_unmodelled_command_is_refused_before_anything_runs(lab_pool: RunspacePool) -> None:
    ps = PowerShell(lab_pool)
    ps.add_script("$ran = 'yes'\nGet-ClusterNode | Format-Custom")
    ps.invoke()
    assert PSInvocationState.FAILED == ps.state
    assert "command Format-Custom" in str(ps.streams.error[0])
    check = PowerShell(lab_pool)
    check.add_script("[string]$ran")
    assert [""] == check.invoke()
