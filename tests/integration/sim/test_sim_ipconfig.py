"""``ipconfig /all`` on a lab node through real pypsrp: from a WinRS cmd shell, as
pywinrm's README and its ``test_get_command_output`` run it (Command ``ipconfig``,
Arguments ``/all``: exit code 0, ``Windows IP Configuration`` on stdout, nothing on
stderr), and as a native program of the node's PowerShell over PSRP."""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.shell import Process, SignalCode, WinRS

from psrunbook.sim.endpoint.http_server import SimEndpoint
from tests.integration.sim.simclient import client_for

pytestmark = pytest.mark.integration

IPV4 = "   IPv4 Address. . . . . . . . . . . : 10.0.0.10(Preferred) "


def _run(shell: WinRS, command: str, arguments: list[str]) -> Process:
    process = Process(shell, command, arguments)
    process.invoke()
    process.signal(SignalCode.CTRL_C)
    return process


def test_winrs_ipconfig_all_as_pywinrm_runs_it(lab_endpoint: SimEndpoint) -> None:
    with WinRS(client_for(lab_endpoint)) as shell:
        full = _run(shell, "ipconfig", ["/all"])
        short = _run(shell, "ipconfig.exe", [])
    assert (0, b"") == (full.rc, full.stderr)
    assert full.stdout.startswith(b"\r\nWindows IP Configuration\r\n\r\n")
    lines = full.stdout.decode("cp437").split("\r\n")
    assert "   Host Name . . . . . . . . . . . . : NODE1" in lines
    assert "   Primary Dns Suffix  . . . . . . . : simlab.local" in lines
    assert IPV4 in lines
    assert lines.index("Ethernet adapter Ethernet:") < lines.index(IPV4)
    assert (0, b"") == (short.rc, short.stderr)
    assert b"Windows IP Configuration\r\n\r\n\r\nEthernet adapter Ethernet:\r\n" in short.stdout
    assert b"   IPv4 Address. . . . . . . . . . . : 10.0.0.10\r\n" in short.stdout


def test_winrs_refuses_other_ipconfig_arguments_by_name(lab_endpoint: SimEndpoint) -> None:
    with WinRS(client_for(lab_endpoint), codepage=65001) as shell:
        process = _run(shell, "ipconfig", ["/flushdns"])
    refused = b"The simulator does not model this in cmd.exe: ipconfig /flushdns\r\n"
    assert (1, b"", refused) == (process.rc, process.stdout, process.stderr)


def test_powershell_runs_ipconfig_as_a_native_program(lab_pool: RunspacePool) -> None:
    ps = PowerShell(lab_pool)
    ps.add_script(
        "ipconfig /all | Where-Object { $_ -like '*IPv4*' }\n$LASTEXITCODE\n(ipconfig.exe)[1]"
    )
    output = ps.invoke()
    assert PSInvocationState.COMPLETED == ps.state
    assert not ps.had_errors, ps.streams.error
    assert [IPV4, 0, "Windows IP Configuration"] == output
