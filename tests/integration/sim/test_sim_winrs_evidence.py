"""The WinRS cmd shell and ``cmd.exe`` where pypsrp 0.9.1's Windows recordings show
exactly what Windows sends: each test names the recording (``tests/responses/*.yml``
of pypsrp's source distribution) whose decoded answer it expects.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.shell import Process, SignalCode, WinRS

from psrunbook.sim.endpoint.http_server import SimEndpoint
from tests.integration.sim.simclient import client_for

NS_SHELL = "{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}"


def test_receive_before_the_command_started_faults_with_code_87(
    lab_endpoint: SimEndpoint,
) -> None:
    """``test_winrs_fail_poll_process.yml``: pypsrp's poll of a Process it never
    started sends Receive with no CommandId; Windows answers WSManFault 87, "The
    parameter is incorrect." (w:InvalidParameter), not the unknown-command fault."""
    with WinRS(client_for(lab_endpoint)) as shell:
        process = Process(shell, "cmd.exe", ["/c", "echo", "hi"])
        with pytest.raises(WSManFaultError) as err:
            process.poll_invoke()
    assert 87 == err.value.code
    assert "The parameter is incorrect." == err.value.reason
    assert "Shell cmd plugin" == err.value.provider
    assert "%systemroot%\\system32\\winrscmd.dll" == err.value.provider_path
    assert "The parameter is incorrect." == err.value.provider_fault


def test_receive_of_an_unknown_command_id_is_still_an_unknown_command(
    lab_endpoint: SimEndpoint,
) -> None:
    """``test_winrs_bad_cmd_id.yml``: a CommandId that names no process is 2150858843."""
    with WinRS(client_for(lab_endpoint)) as shell, pytest.raises(WSManFaultError) as err:
        shell.receive(command_id=str(uuid.uuid4()).upper())
    assert 2150858843 == err.value.code
    assert "command identifier that does not exist" in str(err.value.reason)


def test_create_answers_the_shell_working_directory(lab_endpoint: SimEndpoint) -> None:
    """``test_winrs_extra_opts.yml``: Create's rsp:Shell shows the WorkingDirectory
    asked for, right after ClientIP, and the IdleTimeOut as ``PT60.000S``."""
    answers: list[ET.Element] = []

    class Recording(WinRS):  # type: ignore[misc]  # pypsrp is untyped
        def _parse_shell_create(self, response: ET.Element) -> Any:
            answers.append(response)
            return super()._parse_shell_create(response)

    shell = Recording(
        client_for(lab_endpoint), name="shell 1", lifetime=60, idle_time_out=60,
        working_directory="C:\\Windows",
    )  # fmt: skip
    with shell:
        process = Process(shell, "cmd.exe", ["/c", "cd"])
        process.invoke()
        process.signal(SignalCode.CTRL_C)
    created = answers[0].find(f"{NS_SHELL}Shell")
    assert created is not None
    tags = [child.tag.removeprefix(NS_SHELL) for child in created]
    assert tags.index("WorkingDirectory") == tags.index("ClientIP") + 1
    assert "C:\\Windows" == created.findtext(f"{NS_SHELL}WorkingDirectory")
    assert "PT60.000S" == shell.idle_time_out
    assert (0, b"C:\\Windows\r\n") == (process.rc, process.stdout)


def test_cmd_with_one_argument_holding_spaces_prints_the_trailing_quote(
    lab_pool: RunspacePool,
) -> None:
    """``test_psrp_multiple_commands.yml``: the statement ``cmd.exe`` with the one
    argument ``/c echo hi`` outputs ``hi"`` on Windows: PowerShell 5.1 quotes the
    argument, so cmd.exe gets ``"/c echo hi"`` and ``cmd /?``'s quote rule leaves the
    closing quote on the echoed text."""
    ps = PowerShell(lab_pool)
    ps.add_cmdlet("cmd.exe").add_argument("/c echo hi")
    output = ps.invoke()
    assert not ps.had_errors, [str(e) for e in ps.streams.error]
    assert ['hi"'] == output


def _powershell_process(shell: WinRS, script: str) -> Process:
    process = Process(shell, "powershell.exe", [script])
    process.invoke()
    process.signal(SignalCode.CTRL_C)
    return process


def test_powershell_in_the_shells_working_directory(lab_endpoint: SimEndpoint) -> None:
    """``test_winrs_extra_opts.yml``: ``powershell.exe "(pwd).Path"`` in a shell created
    with WorkingDirectory C:\\Windows prints that directory, ``\\r\\n``, exit code 0."""
    with WinRS(client_for(lab_endpoint), working_directory="C:\\Windows") as shell:
        process = _powershell_process(shell, "(pwd).Path")
    assert (0, b"C:\\Windows\r\n", b"") == (process.rc, process.stdout, process.stderr)


def test_powershell_without_a_working_directory_starts_in_the_profile(
    lab_endpoint: SimEndpoint,
) -> None:
    """Without a WorkingDirectory the process starts where the cmd shell does (the
    user's profile folder); Get-Location gives a PathInfo whose Path is that folder."""
    with WinRS(client_for(lab_endpoint)) as shell:
        cd = Process(shell, "cmd.exe", ["/c", "cd"])
        cd.invoke()
        cd.signal(SignalCode.CTRL_C)
        process = _powershell_process(shell, "(Get-Location).Path; (gl).GetType().FullName")
    assert cd.stdout.decode().strip() == process.stdout.decode().split("\r\n")[0]
    assert "System.Management.Automation.PathInfo" == process.stdout.decode().split("\r\n")[1]


def test_write_host_ends_its_line_with_lf_alone(lab_endpoint: SimEndpoint) -> None:
    """``test_winrs_unicode.yml``: a UTF-8 shell running ``powershell.exe "Write-Host
    こんにちは"`` prints the text and ``\\n`` (Write-Host's line end), while the script's
    output lines end with ``\\r\\n`` (``test_winrs_extra_opts.yml``)."""
    with WinRS(client_for(lab_endpoint), codepage=65001) as shell:
        unicode = _powershell_process(shell, "Write-Host こんにちは")
        mixed = _powershell_process(shell, "Write-Host a; 'b'")
    assert (0, "こんにちは\n") == (unicode.rc, unicode.stdout.decode("utf-8"))
    assert b"a\nb\r\n" == mixed.stdout


def test_the_automatic_pwd_is_the_location_in_a_shell_and_in_a_runspace(
    lab_endpoint: SimEndpoint, lab_pool: RunspacePool
) -> None:
    """``$PWD`` (about_Automatic_Variables: a path object of the current location) is
    the PathInfo Get-Location gives, in powershell.exe under WinRS as in a PSRP
    runspace; the lab had it unset, so ``gci $pwd`` and ``[string]$PWD`` were silently
    empty."""
    with WinRS(client_for(lab_endpoint), working_directory="C:\\Windows") as shell:
        process = _powershell_process(shell, "[string]$PWD; $PWD.GetType().FullName")
    assert (0, b"C:\\Windows\r\nSystem.Management.Automation.PathInfo\r\n") == (
        process.rc,
        process.stdout,
    )
    ps = PowerShell(lab_pool)
    ps.add_script("$PWD.Path -eq (Get-Location).Path; $PWD.Drive.Name")
    assert [True, "C"] == ps.invoke()
