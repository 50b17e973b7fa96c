"""What a script sees of a running service's process (issue 12): Win32_Service through
CIM and WMI, Get-Process StartTime, and a file's LastWriteTimeUtc, all on one clock, so a
process that started before a file was written is seen to have started earlier.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.executor_protocol import PipelineFailed
from psrunbook.sim.lab.lab_files import sample_lab

from .conftest import service
from .test_cluster_executor import Runner

SSIS = "MsDtsServer150"
EXE = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.exe"
CONFIG = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"
WIN32 = (
    "param($Name)\n$s = @({cmd} | Where-Object {{ $_.Name -eq $Name }})[0]\n"
    "$s.State; $s.StartMode; [string]$s.ProcessId; $s.PathName; $s.StartName"
)


@pytest.mark.parametrize(
    "command", ["Get-CimInstance -ClassName Win32_Service", "Get-WmiObject -Class Win32_Service"]
)
def test_win32_service_shows_process_start_mode_and_image(command: str) -> None:
    lab = sample_lab()
    run = Runner(lab)
    pid = service(lab, "NODE1", SSIS).pid
    out = run(WIN32.format(cmd=command), Name=SSIS).outputs
    assert ["Running", "Auto", str(pid), f'"{EXE}"', f"NT SERVICE\\{SSIS}"] == out
    run(
        "param($Name) Stop-Service -Name $Name; Set-Service -Name $Name -StartupType Manual",
        Name=SSIS,
    )
    out = run(WIN32.format(cmd=command), Name=SSIS).outputs
    assert ["Stopped", "Manual", "0"] == out[:3]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("-ClassName Win32_Service -Filter \"Name LIKE 'x%'\"", "-Filter \"Name LIKE 'x%'\""),
        ("-Query 'SELECT * FROM Win32_Service'", "-Query"),
        ("-ClassName Win32_Service -Namespace root/StandardCimv2", "-Namespace root/StandardCimv2"),
        ("-ClassName MSCluster_Node -Namespace root/MSCluster", "of 'MSCluster_Node'"),
    ],
)
def test_a_query_the_lab_does_not_model_refuses_the_script_whatever_catches(
    query: str, named: str
) -> None:
    """Refused by name, never guessed at, and never an error a ``catch`` or
    ``-ErrorAction SilentlyContinue`` could take for Windows' (the class or property
    really missing): the script stops there."""
    script = (
        f"try {{ Get-CimInstance {query} -ErrorAction SilentlyContinue }} "
        "catch { 'caught' }; 'after'"
    )
    with pytest.raises(PipelineFailed, match="unsupported construct") as failed:
        Runner(sample_lab())(script)
    assert f"Get-CimInstance {named}" in str(failed.value)


def test_a_process_started_before_a_file_was_written_shows_an_earlier_start_time() -> None:
    lab = sample_lab()
    run = Runner(lab)
    script = (
        "param($ProcessId, $File)\n"
        "$p = Get-Process -Id $ProcessId\n"
        "$f = Get-Item -LiteralPath $File\n"
        "$p.ProcessName\n"
        "$p.StartTime.ToUniversalTime().Ticks -lt $f.LastWriteTimeUtc.Ticks"
    )
    pid = service(lab, "NODE1", SSIS).pid
    assert ["MsDtsSrvr", False] == run(script, ProcessId=pid, File=CONFIG).outputs
    run("param($File) Set-Content -LiteralPath $File -Value 'x'", File=CONFIG)
    assert ["MsDtsSrvr", True] == run(script, ProcessId=pid, File=CONFIG).outputs
    run("param($Name) Restart-Service -Name $Name", Name=SSIS)
    pid = service(lab, "NODE1", SSIS).pid
    assert ["MsDtsSrvr", False] == run(script, ProcessId=pid, File=CONFIG).outputs


def test_get_process_for_a_gone_process_is_an_object_not_found_error() -> None:
    lab = sample_lab()
    pid = service(lab, "NODE1", SSIS).pid
    run = Runner(lab)
    run("param($Name) Stop-Service -Name $Name", Name=SSIS)
    sink = run(
        "param($ProcessId) Get-Process -Id $ProcessId -ErrorAction SilentlyContinue; 'done'",
        ProcessId=pid,
    )
    assert ["done"] == sink.outputs
    sink = run("param($ProcessId) Get-Process -Id $ProcessId", ProcessId=pid)
    assert any(
        "Cannot find a process with the process identifier" in e.message for e in sink.errors
    )


@pytest.mark.parametrize(
    ("script", "named"),
    [
        ("Get-Process -Id $PID", "Get-Process -Id 4242 (the session's own process"),
        ("Get-Process -Name wsmprovhost", "Get-Process -Name wsmprovhost (the process hosting"),
        ("Get-Process PowerShell", "Get-Process -Name PowerShell (the process hosting"),
    ],
)
def test_the_sessions_own_process_is_refused_not_missing(script: str, named: str) -> None:
    """``$PID`` is the process hosting the session (wsmprovhost.exe, or powershell.exe
    under a WinRS shell), which every node running a session has and the lab does not
    model: "Cannot find a process" would tell a script its own process is gone."""
    with pytest.raises(PipelineFailed, match="unsupported construct") as failed:
        Runner(sample_lab())(f"try {{ {script} -ErrorAction Stop }} catch {{ 'caught' }}")
    assert named in str(failed.value)
