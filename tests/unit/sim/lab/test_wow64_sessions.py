"""A 32-bit session (Microsoft.PowerShell32) on a lab node: what WOW64 changes, and the
lab's refusal of what WOW64 would redirect, which it does not model."""

from __future__ import annotations

import pytest

from psrunbook.sim.executor_protocol import (
    RUNSPACE_WOW64,
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import ClusterExecutor, cmdlets_for_node
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet
from psrunbook.sim.lab.fs import FsView
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.paths import FsPath, parse, wow64_redirected
from psrunbook.sim.ps.cmdlet_api import CommandRefused
from tests.unit.sim.ps.helpers import Result, Sink


def _run(cluster: SimCluster, script: str, *, wow64: bool) -> Result:
    sink = Sink()
    runspace = {RUNSPACE_WOW64: True} if wow64 else {}
    try:
        ClusterExecutor(cluster, time_scale=0.0).execute(
            PipelineRequest((CommandRequest(script, True, ()),), ()),
            ExecutionContext("NODE1", "SIMLAB\\admin", runspace=runspace),
            sink,
        )
    except PipelineFailed as failed:
        sink.result.failed = failed.record
    return sink.result


def _with_system32(cluster: SimCluster) -> SimCluster:
    FsView(cluster, "NODE1").create_dir(FsPath("C", ("Windows", "System32", "drivers", "etc")))
    return cluster


@pytest.mark.parametrize(
    "path",
    [
        "HKLM:\\SOFTWARE",
        "HKLM:\\software\\Microsoft\\Microsoft SQL Server",
        "Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\x",
        "HKLM:\\SOFT*",
        "C:\\Windows\\System32",
        "c:\\windows\\system32\\config",
        "C:\\Windows\\System32\\drivers",
        "C:\\Windows\\Sys*",
        "C:\\Windows\\System32\\sp*",
        "C:\\Windows\\lastgood\\system32\\x",
        "C:\\Windows\\regedit.exe",
        "C:\\Windows\\Sysnative\\cmd.exe",
    ],
)
def test_what_wow64_redirects_for_a_32bit_process(path: str) -> None:
    """The Registry and File System Redirectors' paths, also where a wildcard may reach them."""
    assert wow64_redirected(parse(path, "C:\\")) is not None


@pytest.mark.parametrize(
    "path",
    [
        "HKLM:\\",
        "HKLM:\\SYSTEM\\CurrentControlSet",
        "C:\\Windows",
        "C:\\Windows\\SysWOW64",
        "C:\\Windows\\System32\\drivers\\etc\\hosts",
        "C:\\Windows\\System32\\spool\\*",
        "C:\\Windows\\System32\\catroot2",
        "C:\\Program Files\\Microsoft SQL Server",
        "S:\\Windows\\System32",
    ],
)
def test_what_wow64_leaves_alone(path: str) -> None:
    """Not redirected: other keys and folders, System32's exempt folders, other drives."""
    assert wow64_redirected(parse(path, "C:\\")) is None


def test_is64bitprocess_is_true_in_a_64bit_session() -> None:
    """Microsoft.PowerShell: a 64-bit process on the 64-bit OS."""
    result = _run(
        sample_lab(),
        "[Environment]::Is64BitProcess; [System.Environment]::Is64BitOperatingSystem",
        wow64=False,
    )
    assert (None, [True, True]) == (result.failed, result.output)


def test_is64bitprocess_is_false_in_a_32bit_session() -> None:
    """Microsoft.PowerShell32: WOW64, a 32-bit process on the 64-bit OS."""
    result = _run(
        sample_lab(),
        "[Environment]::Is64BitProcess; [Environment]::Is64BitOperatingSystem",
        wow64=True,
    )
    assert (None, [False, True]) == (result.failed, result.output)


def test_a_recursive_listing_that_reaches_system32_is_refused() -> None:
    """Reached through C:\\Windows, System32 would be SysWOW64's contents: refused."""
    result = _run(
        _with_system32(sample_lab()), "Get-ChildItem -LiteralPath C:\\Windows -Recurse", wow64=True
    )
    assert result.failed is not None
    assert "access to C:\\Windows\\System32 in a 32-bit session" in result.failed.message


def test_the_same_listing_in_a_64bit_session_answers() -> None:
    """The refusal belongs to the 32-bit session only."""
    result = _run(
        _with_system32(sample_lab()),
        "@(Get-ChildItem -LiteralPath C:\\Windows -Recurse).Count",
        wow64=False,
    )
    assert result.failed is None
    assert result.output[0] >= 4


def test_an_exempt_folder_answers_in_a_32bit_session() -> None:
    """drivers\\etc is not redirected (File System Redirector's exempt folders)."""
    script = "Test-Path -LiteralPath C:\\Windows\\System32\\drivers\\etc -PathType Container"
    result = _run(_with_system32(sample_lab()), script, wow64=True)
    assert (None, [True]) == (result.failed, result.output)


def test_test_path_isvalid_reaches_nothing_and_answers() -> None:
    """-IsValid checks the path's syntax only."""
    result = _run(sample_lab(), "Test-Path -Path C:\\Windows\\System32\\x -IsValid", wow64=True)
    assert (None, [True]) == (result.failed, result.output)


def test_a_32bit_registry_write_is_refused_before_it_changes_anything() -> None:
    """New-Item under HKLM:\\SOFTWARE would create the key in WOW6432Node."""
    lab = sample_lab()
    result = _run(lab, "New-Item -Path 'HKLM:\\SOFTWARE\\Psrunbook' -Force", wow64=True)
    assert result.failed is not None
    assert "New-Item of HKLM:\\SOFTWARE\\Psrunbook in a 32-bit session" in result.failed.message
    assert lab.node("NODE1").registry.key("SOFTWARE\\Psrunbook") is None


def test_the_32bit_command_table_is_its_own() -> None:
    """A node's 32-bit session gets commands that know it; the 64-bit table is untouched."""
    lab = sample_lab()
    wow64 = cmdlets_for_node(lab, "NODE1", wow64=True)["Get-ItemProperty"]
    native = cmdlets_for_node(lab, "NODE1")["Get-ItemProperty"]
    assert isinstance(wow64, SimCmdlet) and isinstance(native, SimCmdlet)
    assert (True, False) == (wow64.wow64, native.wow64)


def test_a_32bit_file_view_refuses_system32_and_the_64bit_one_does_not() -> None:
    """FsView(wow64=True) is a 32-bit process's view."""
    lab = _with_system32(sample_lab())
    system32 = FsPath("C", ("Windows", "System32"))
    assert FsView(lab, "NODE1").get(system32) is not None
    with pytest.raises(CommandRefused):
        FsView(lab, "NODE1", wow64=True).get(system32)
