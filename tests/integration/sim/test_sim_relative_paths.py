"""Relative paths are below the runspace's location, as PowerShell resolves them
(SessionState.Path ``GetUnresolvedProviderPathFromPSPath``; about_Locations: "a relative
path ... is relative to the current location"), for every user and every host.

The lab resolved them below ``C:\\Users\\Administrator\\Documents`` whatever the user,
and Get-ChildItem without ``-Path`` listed the Documents folder even in powershell.exe
started in another folder, so ``gci`` there was silently empty.
"""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.shell import Process, SignalCode, WinRS

from psrunbook.sim.endpoint.http_server import SimEndpoint
from tests.integration.sim.simclient import USER, client_for

pytestmark = pytest.mark.integration


def test_a_runspace_resolves_relative_paths_below_its_users_documents(
    lab_pool: RunspacePool,
) -> None:
    """From ``C:\\Users\\<user>\\Documents``, ``..\\..\\..\\Windows\\Temp`` is the
    system's Temp folder, whoever the user is (the lab read every relative path below
    Administrator's Documents)."""
    temp = "..\\..\\..\\Windows\\Temp"
    ps = PowerShell(lab_pool)
    ps.add_script(
        f"$null = New-Item -Path {temp}\\notes.txt -ItemType File -Value 'hi'\n"
        f"(Get-Item {temp}\\.\\notes.txt).FullName\n"
        f"Test-Path {temp}\\notes.txt\n"
        # [string]: Get-Content's own text carries notes, an object on the wire (test_sim_types)
        f"[string](Get-Content ..\\{temp}\\..\\..\\Windows\\Temp\\notes.txt)\n"
        f"(Get-ChildItem {temp}).Name\n"
        "(Get-Location).Path"
    )
    output = ps.invoke()
    assert [str(e) for e in ps.streams.error] == []
    assert [
        "C:\\Windows\\Temp\\notes.txt",
        True,
        "hi",
        "notes.txt",
        f"C:\\Users\\{USER}\\Documents",
    ] == output


def test_powershell_in_a_working_directory_lists_and_tests_it(lab_endpoint: SimEndpoint) -> None:
    """A WinRS shell's WorkingDirectory is powershell.exe's location (pypsrp's
    ``test_winrs_extra_opts.yml``), so ``gci`` and ``Test-Path`` read that folder."""
    with WinRS(client_for(lab_endpoint), working_directory="C:\\Windows") as shell:
        process = Process(
            shell, "powershell.exe", ["(gci).Name; Test-Path Temp; (Get-Item .).FullName"]
        )
        process.invoke()
        process.signal(SignalCode.CTRL_C)
    assert (0, b"Temp\r\nTrue\r\nC:\\Windows\r\n", b"") == (
        process.rc,
        process.stdout,
        process.stderr,
    )


def test_powershell_exits_1_when_the_lab_cannot_print_its_output(lab_endpoint: SimEndpoint) -> None:
    """An object without a format view in the lab (a ClusterNode) is refused on stderr,
    and the process exits 1: exit code 0 with nothing printed read as success."""
    with WinRS(client_for(lab_endpoint)) as shell:
        process = Process(shell, "powershell.exe", ["Get-ClusterNode -Name NODE1"])
        process.invoke()
        process.signal(SignalCode.CTRL_C)
    assert (1, b"") == (process.rc, process.stdout)
    assert b"Out-String of a Microsoft.FailoverClusters.PowerShell.ClusterNode" in process.stderr


def test_a_fresh_sessions_relative_write_lands_in_its_users_documents(
    lab_pool: RunspacePool,
) -> None:
    """Windows creates a user's profile (Documents, where a remote session starts) at the
    first logon; the lab creates it at the first write below it. ``Set-Content`` and
    ``New-Item`` of a relative file in a session whose user has written nothing yet
    failed with "Could not find a part of the path"; a missing subfolder still fails."""
    ps = PowerShell(lab_pool)
    ps.add_script(
        "Set-Content fresh.txt hello\n"
        "(Get-Item fresh.txt).FullName\n"
        "[string](Get-Content fresh.txt)\n"
        "(New-Item -ItemType File second.txt -Value 1).FullName\n"
        "Set-Content nosuchfolder\\third.txt 1"
    )
    output = ps.invoke()
    documents = f"C:\\Users\\{USER}\\Documents"
    assert [f"{documents}\\fresh.txt", "hello", f"{documents}\\second.txt"] == output
    [error] = ps.streams.error
    assert f"Could not find a part of the path '{documents}\\nosuchfolder\\third.txt'." == str(
        error
    )


def test_set_location_holds_for_the_pools_later_pipelines(lab_pool: RunspacePool) -> None:
    """``cd`` in one pipeline moves the runspace's location for the next ones, as a
    remote session keeps it (pypsrp 1.0's ``invoke_ps(cwd=...)`` sets it, then runs its
    script as another statement). The lab refused Set-Location by name."""
    ps = PowerShell(lab_pool)
    ps.add_script("Set-Location C:\\Windows\\Temp")
    ps.invoke()
    assert not ps.had_errors
    ps = PowerShell(lab_pool)
    ps.add_script("(Get-Location).Path; Set-Content moved.txt here; (Get-Item moved.txt).FullName")
    assert ["C:\\Windows\\Temp", "C:\\Windows\\Temp\\moved.txt"] == ps.invoke()
