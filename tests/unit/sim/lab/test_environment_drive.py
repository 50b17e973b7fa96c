"""The ``Env:`` drive on a lab node, as PowerShell's Environment provider answers the item
commands (EnvironmentProvider over SessionStateProviderBase, PowerShell's source).

Before, ``Test-Path Env:PATH`` answered False and ``Get-Item``/``Get-ChildItem`` on the
drive "Cannot find drive. A drive with the name 'env' does not exist.": a script that
checks a variable with ``Test-Path`` took the other branch in the lab than on Windows.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import output_of, run_on


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Env:PATH", True),
        ("env:path", True),
        ("Env:\\Path", True),
        ("Env:/Path", True),
        ("Environment::PATH", True),
        ("Microsoft.PowerShell.Core\\Environment::PATH", True),
        ("Env:NO_SUCH_VARIABLE", False),
        ("Env:", True),
        ("Env:\\", True),
        ("Env:PROCESSOR_*", True),
        ("Env:NO_SUCH_*", False),
    ],
)
def test_test_path_finds_a_variable_that_is_set(path: str, expected: bool) -> None:
    assert [expected] == output_of(f"Test-Path -Path '{path}'")


def test_the_drive_is_the_container_and_its_variables_are_leaves() -> None:
    assert [True, False, False, True] == output_of(
        "Test-Path Env: -PathType Container; Test-Path Env: -PathType Leaf\n"
        "Test-Path Env:PATH -PathType Container; Test-Path Env:PATH -PathType Leaf"
    )


def test_a_literal_path_does_not_expand_a_wildcard() -> None:
    assert [False, True] == output_of(
        "Test-Path -LiteralPath 'Env:PROCESSOR_*'; Test-Path -LiteralPath Env:OS"
    )


def test_get_item_writes_the_providers_dictionary_entry() -> None:
    """The name as given (the provider builds the entry from the path), the value, and the
    note properties a container provider adds."""
    assert [
        "computername",
        "computername",
        "NODE1",
        "Microsoft.PowerShell.Core\\Environment::computername",
        "Env",
        "Microsoft.PowerShell.Core\\Environment",
        False,
        "System.Collections.DictionaryEntry",
    ] == output_of(
        "$item = Get-Item env:computername\n"
        "$item.Name; $item.Key; $item.Value; $item.PSPath; $item.PSDrive.Name\n"
        "[string]$item.PSProvider; $item.PSIsContainer; $item.GetType().FullName"
    )


def test_a_wildcard_gives_the_matching_variables_with_their_own_names() -> None:
    assert [
        "PROCESSOR_ARCHITECTURE", "ProgramData", "ProgramFiles", "ProgramFiles(x86)",
        "ProgramW6432",
    ] == output_of("Get-Item Env:PRO* | ForEach-Object Name")  # fmt: skip


def test_a_missing_variable_is_an_item_not_found_error() -> None:
    """Get-Item, Get-Content and Remove-Item name the drive's path; Get-ChildItem the
    provider's (as reported for PowerShell 7 on Windows)."""
    result = run_on(
        sample_lab(),
        "Get-Item Env:NO_SUCH; Get-Content Env:NO_SUCH; Remove-Item Env:NO_SUCH\n"
        "Get-ChildItem Env:NO_SUCH; Get-Item Env:NO_SUCH_*; 'went on'",
    )
    assert result.failed is None
    assert ["went on"] == result.output
    assert [
        ("Cannot find path 'Env:\\NO_SUCH' because it does not exist.",
         "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"),
        ("Cannot find path 'Env:\\NO_SUCH' because it does not exist.",
         "PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand"),
        ("Cannot find path 'Env:\\NO_SUCH' because it does not exist.",
         "PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand"),
        ("Cannot find path 'NO_SUCH' because it does not exist.",
         "PathNotFound,Microsoft.PowerShell.Commands.GetChildItemCommand"),
    ] == [(e.message, e.fully_qualified_error_id) for e in result.errors]  # fmt: skip
    assert {"ObjectNotFound"} == {e.category for e in result.errors}
    assert {"System.Management.Automation.ItemNotFoundException"} == {
        e.exception_type for e in result.errors
    }


def test_get_childitem_lists_the_whole_environment_sorted_by_name() -> None:
    names = output_of("Get-ChildItem Env: | ForEach-Object Name")
    assert sorted(names, key=str.casefold) == names
    assert {"COMPUTERNAME", "Path", "TEMP", "USERPROFILE"} <= set(names)
    assert [str(n) for n in names] == output_of("Get-ChildItem Env: -Name")
    assert [True] == output_of(
        "$listed = @(Get-ChildItem Env:).Count; $env:ZZ_NEW = 1; "
        "@(Get-ChildItem Env:).Count -eq $listed + 1"
    )


def test_at_the_drives_location_a_bare_name_is_a_variable() -> None:
    assert [True, "NODE1", True, "Env:\\"] == output_of(
        "Set-Location Env:; Test-Path COMPUTERNAME; (Get-Item COMPUTERNAME).Value\n"
        "@(Get-ChildItem).Count -gt 10; $PWD.Path"
    )


def test_get_content_reads_the_value_as_one_string() -> None:
    path = "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\"
    assert [path] == output_of("Get-Content Env:Path")


def test_set_item_set_content_and_new_item_set_a_variable_the_runspace_sees() -> None:
    assert ["one", "2", "three", "x y", "four"] == output_of(
        "Set-Item -Path Env:PSRB_A -Value one; $env:PSRB_A\n"
        "Set-Item Env:PSRB_B 2; $env:PSRB_B\n"
        "Set-Content -Path Env:PSRB_C -Value three; $env:PSRB_C\n"
        "Set-Content -Path Env:PSRB_D -Value x, y; $env:PSRB_D\n"
        "New-Item -Path Env: -Name PSRB_E -Value four | Out-Null; $env:psrb_e"
    )


def test_pass_thru_and_new_item_answer_the_entry() -> None:
    assert [("PSRB_A", "one"), ("PSRB_B", "two")] == [
        (item.properties["Name"], item.properties["Value"])  # type: ignore[attr-defined]
        for item in output_of(
            "Set-Item Env:PSRB_A -Value one -PassThru; New-Item Env:PSRB_B -Value two"
        )
    ]


def test_new_item_refuses_an_existing_name_without_force_and_a_missing_value() -> None:
    result = run_on(
        sample_lab(),
        "New-Item Env:PSRB_X -Value 1 | Out-Null; New-Item Env:PSRB_X -Value 2\n"
        "$env:PSRB_X; New-Item Env:PSRB_X -Value 3 -Force | Out-Null; $env:PSRB_X\n"
        "New-Item Env:PSRB_Y; Test-Path Env:PSRB_Y",
    )
    assert ["1", "3", False] == result.output
    assert [
        ("The item at path 'PSRB_X' already exists.",
         "Argument,Microsoft.PowerShell.Commands.NewItemCommand"),
        ("Value cannot be null.\r\nParameter name: value",
         "NewItemValueNotSpecified,Microsoft.PowerShell.Commands.NewItemCommand"),
    ] == [(e.message, e.fully_qualified_error_id) for e in result.errors]  # fmt: skip


def test_remove_clear_and_a_null_value_remove_the_variable() -> None:
    assert [False, False, False, False, True] == output_of(
        "$env:PSRB_1 = 1; $env:PSRB_2 = 2; $env:PSRB_3 = 3; $env:PSRB_4 = 4; $env:PSRB_5 = 5\n"
        "Remove-Item Env:PSRB_1; Test-Path Env:PSRB_1\n"
        "Clear-Item Env:PSRB_2; Test-Path Env:PSRB_2\n"
        "Set-Item Env:PSRB_3 -Value $null; Test-Path Env:PSRB_3\n"
        "ri env:PSRB_4; $null -ne $env:PSRB_4\n"
        "Remove-Item Env:PSRB_5 -WhatIf; Test-Path Env:PSRB_5"
    )


def test_a_wildcard_removes_every_match() -> None:
    assert [0, True] == output_of(
        "$env:PSRB_W1 = 1; $env:PSRB_W2 = 2; Remove-Item Env:PSRB_W*\n"
        "@(Get-ChildItem Env:PSRB_W*).Count; Test-Path Env:COMPUTERNAME"
    )


@pytest.mark.parametrize(
    ("script", "named"),
    [
        ("Test-Path Function:prompt", "Test-Path of Function:prompt"),
        ("Get-ChildItem Function:", "Get-ChildItem of Function:"),
        ("Get-Item Alias:gci", "Get-Item of Alias:gci"),
        ("Test-Path C:\\Windows, Env:PATH", "two providers at once"),
        ("Get-Item Env:OS | Get-ChildItem -Filter O*", "Get-ChildItem of"),
        ("Get-Content Env:OS -Raw", "Get-Content of Env:OS"),
        ("Test-Path Env:OS -PathType Foo", "Test-Path -PathType Foo"),
        ("Get-ChildItem Env: -Filter P*", "Get-ChildItem of Env:"),
        ("Copy-Item Env:PATH Env:PSRB_COPY", "Copy-Item of Env:"),
        ("Remove-Item Env:", "Remove-Item of the drive Env:"),
        ("Set-Location Alias:; Test-Path gci", "Test-Path of gci at Alias:\\"),
    ],
)
def test_forms_the_lab_does_not_model_are_refused_by_name(script: str, named: str) -> None:
    """The Function: and Alias: drives' items are Windows' built-in functions and
    aliases, which the lab's sessions do not have: refused, never answered as missing."""
    failed = run_on(sample_lab(), script).failed
    assert failed is not None
    assert named in failed.message


def test_the_other_drives_roots_exist() -> None:
    assert [True, True, "Microsoft.PowerShell.Core\\Variable::"] == output_of(
        "Test-Path Variable:\\; Test-Path Function:; (Get-Item -LiteralPath Variable:/).PSPath"
    )


def test_the_module_path_is_the_one_windows_powershell_builds_at_start() -> None:
    """about_PSModulePath: the CurrentUser folder, then the system's value (AllUsers, then
    ``$PSHOME``'s modules); the other folders every node names are there too."""
    assert [
        "C:\\Users\\admin\\Documents\\WindowsPowerShell\\Modules;"
        "C:\\Program Files\\WindowsPowerShell\\Modules;"
        "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules",
        "C:\\Program Files\\Common Files",
        "C:\\Program Files",
    ] == output_of("$env:PSModulePath; $env:CommonProgramFiles; $env:ProgramW6432")


def test_a_path_bound_from_a_pipeline_object_reaches_the_drive() -> None:
    """``Get-ChildItem Env:X* | Remove-Item`` binds each item's PSPath to -LiteralPath."""
    assert [True, True, 0, False] == output_of(
        "$env:PSRB_P1 = 1; $env:PSRB_P2 = 2\n"
        "'Env:PSRB_P1', 'C:\\Windows' | Test-Path\n"
        "Get-ChildItem Env:PSRB_P* | Remove-Item; @(Get-ChildItem Env:PSRB_P*).Count\n"
        "$v = 1; Get-Item Variable:v | Remove-Item; Test-Path Variable:v"
    )
