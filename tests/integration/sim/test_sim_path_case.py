"""The FileSystem provider spells an item as the path it was given, as Windows does.

PowerShell builds a FileInfo or DirectoryInfo from the path the caller gave, so
``Get-Item``, ``Set-Location`` and ``New-Item`` report the case typed, not the case on
disk; only a part a wildcard matched, and the items a folder lists, carry the disk's
own names (PowerShell issue 13190, "On Windows and macOS, Get-Item and Get-ChildItem
report file names as specified, not their actual case"). pypsrp 1.0's
``test_copy_file_expand_environment`` relies on it: the path ``copy_file`` builds from
``%TEMP%`` must equal ``(Get-Item -Path $env:TEMP).FullName`` joined with the file.
"""

from __future__ import annotations

import pytest
from pypsrp.powershell import RunspacePool

from tests.integration.sim.simclient import invoke_script

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("(Get-Item -Path C:\\Windows\\TEMP).FullName", ["C:\\Windows\\TEMP"]),
        ("(Get-Item c:\\wInDoWs\\temp).FullName", ["C:\\wInDoWs\\temp"]),
        ("(Get-Item c:\\windows\\TEMP).Name", ["TEMP"]),
        ("(Get-Item c:\\windows\\te*).FullName", ["C:\\windows\\Temp"]),
        ("Get-ChildItem c:\\WINDOWS -Directory | ForEach-Object FullName", ["C:\\WINDOWS\\Temp"]),
        ("Set-Location c:\\windows\\TEMP; $PWD.Path", ["C:\\windows\\TEMP"]),
    ],
)
def test_an_item_is_spelled_as_its_path_was_given(
    lab_pool: RunspacePool, script: str, expected: list[str]
) -> None:
    assert expected == invoke_script(lab_pool, script)


def test_a_file_copied_to_a_path_from_temp_reads_back_as_that_path(
    lab_pool: RunspacePool,
) -> None:
    """What pypsrp 1.0's copy_file compares: the expanded ``%TEMP%`` path and the path
    ``Get-Item`` gives for ``$env:TEMP``, joined with the file's name."""
    expanded, from_item = invoke_script(
        lab_pool,
        "[Environment]::ExpandEnvironmentVariables('%TEMP%\\test.txt');"
        " Join-Path (Get-Item -Path $env:TEMP).FullName 'test.txt'",
    )
    assert expanded == from_item


def test_temp_is_the_users_own_and_its_folder_is_there_before_anything_is_written(
    lab_pool: RunspacePool,
) -> None:
    """A session with the user's profile has the user's temporary folder (Ansible's
    win_tempfile page shows ``C:\\Users\\Administrator\\AppData\\Local\\Temp`` for
    ``%TEMP%`` on a WinRM host), which exists from the user's first logon: reading it
    finds an empty folder, and writing into it makes the profile, as the lab does."""
    assert [
        "C:\\Users\\psrunbook\\AppData\\Local\\Temp",
        "C:\\Users\\psrunbook\\AppData\\Local\\Temp\\",
        True,
        True,
        0,
        "C:\\Users\\psrunbook\\AppData\\Local\\Temp",
        ["x.txt"],
    ] == invoke_script(
        lab_pool,
        "$env:TEMP; [System.IO.Path]::GetTempPath()\n"
        "Test-Path $env:TEMP -PathType Container\n"
        "Test-Path C:\\Users\\psrunbook\\AppData -PathType Container\n"
        "@(Get-ChildItem $env:TEMP).Count; (Get-Item $env:TEMP).FullName\n"
        "Set-Content \"$env:TEMP\\x.txt\" hi; ,@((Get-ChildItem $env:TEMP).Name)",
    )
