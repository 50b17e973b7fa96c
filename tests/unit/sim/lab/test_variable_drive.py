"""The ``Variable:`` drive on a lab node, as PowerShell's Variable provider answers the
item commands (VariableProvider over SessionStateProviderBase, PowerShell's source).

``Test-Path Variable:x`` is a common way for a script to ask whether it set a variable;
the lab answered False for every name (and "Cannot find drive" for ``Get-Item``). A
variable Windows PowerShell makes itself that the lab's sessions lack is refused by name,
never answered as missing.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import output_of, run_on


def test_test_path_finds_a_variable_the_script_set() -> None:
    assert [False, True, True, True, False, True] == output_of(
        "Test-Path Variable:mine; $mine = 1; Test-Path Variable:mine; Test-Path variable:\\MINE\n"
        "Test-Path Variable:ErrorActionPreference\n"
        "Test-Path -Path Variable:mine -PathType Container; Test-Path Variable:"
    )


def test_a_scope_qualified_name_looks_in_that_scope_only() -> None:
    assert [True, False, True, True] == output_of(
        "$global:g = 1\n"
        "function f { $inner = 2; Test-Path Variable:global:g; Test-Path Variable:global:inner\n"
        "  Test-Path Variable:local:inner; Test-Path Variable:inner }\n"
        "f"
    )


def test_a_variable_of_an_outer_scope_is_seen_from_a_function() -> None:
    assert [True, 5] == output_of(
        "$outer = 5; function f { Test-Path Variable:outer; (Get-Item Variable:outer).Value }; f"
    )


def test_get_item_writes_the_psvariable_with_the_providers_properties() -> None:
    assert [
        "mine",
        "x",
        "Microsoft.PowerShell.Core\\Variable::MINE",
        "Variable",
        "Microsoft.PowerShell.Core\\Variable",
        False,
        "System.Management.Automation.PSVariable",
    ] == output_of(
        "$mine = 'x'; $item = Get-Item Variable:MINE\n"
        "$item.Name; $item.Value; $item.PSPath; $item.PSDrive.Name; [string]$item.PSProvider\n"
        "$item.PSIsContainer; $item.GetType().FullName"
    )


def test_a_missing_variable_is_an_item_not_found_error() -> None:
    result = run_on(sample_lab(), "Get-Item Variable:nope; Remove-Item Variable:nope; 'on'")
    assert ["on"] == result.output
    assert [
        ("Cannot find path 'Variable:\\nope' because it does not exist.",
         "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"),
        ("Cannot find path 'Variable:\\nope' because it does not exist.",
         "PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand"),
    ] == [(e.message, e.fully_qualified_error_id) for e in result.errors]  # fmt: skip


def test_set_new_clear_and_remove_change_the_variable() -> None:
    assert [1, 2, "c", True, None, False, ["a", "b"]] == output_of(
        "Set-Item Variable:v -Value 1; $v\n"
        "New-Item Variable:w -Value 2 | Out-Null; $w\n"
        "Set-Content Variable:c -Value c; Get-Content Variable:c\n"
        "Clear-Item Variable:v; Test-Path Variable:v; $v\n"
        "Remove-Item Variable:w; Test-Path Variable:w\n"
        "Set-Content Variable:list -Value a, b; ,$list"
    )


def test_get_content_of_a_list_writes_its_elements() -> None:
    assert ["a", "b"] == output_of("$list = 'a', 'b'; Get-Content Variable:list")


def test_set_item_in_a_function_sets_the_functions_own_variable() -> None:
    """As ``Set-Variable`` without ``-Scope``: the running scope's, not the caller's."""
    assert [2, 1] == output_of(
        "$v = 1; function f { Set-Item Variable:v -Value 2; $v }; f; $v"
    )


@pytest.mark.parametrize(
    ("script", "named"),
    [
        ("Test-Path Variable:PWD", "the variable PWD"),
        ("Test-Path Variable:PSCulture", "the variable PSCulture"),
        ("Set-Item Variable:PSVersionTable -Value 1", "a write of the variable PSVersionTable"),
        ("Remove-Item Variable:ErrorActionPreference", "a removal of the variable"),
        ("Get-ChildItem Variable:", "a listing of the Variable: drive"),
        ("Get-Item Variable:PS*", "a listing of the Variable: drive"),
        ("Test-Path Variable:env:PATH", "a qualifier other than a scope"),
    ],
)
def test_windows_own_variables_the_lab_may_lack_are_refused_by_name(
    script: str, named: str
) -> None:
    failed = run_on(sample_lab(), script).failed
    assert failed is not None
    assert named in failed.message
