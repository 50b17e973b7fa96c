"""Everyday cmdlets every Windows node has (``sim/ps/utility.py``), switch parameters,
``-ErrorVariable``/``-OutVariable`` and the commands refused before a script runs.

Sources: the cmdlet references of Windows PowerShell 5.1 (Join-Path, Split-Path,
ConvertTo-SecureString, ConvertFrom-Json, New-Object, Add-Member, Import-Module),
about_Switch and about_CommonParameters; what shared/facts does not state is marked
UNVERIFIED in the module docstrings.
"""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.ps.cmdlet_api import CmdletSpec
from psrunbook.sim.ps.exceptions import UnsupportedConstruct
from psrunbook.sim.ps.parser import parse_uncached

from .helpers import run, table


def _output(script: str, **kw: Any) -> list[Any]:
    result = run(script, **kw)
    assert result.failed is None, result.failed
    assert result.errors == []
    return result.output


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("Join-Path C:\\a b", ["C:\\a\\b"]),
        ("Join-Path -Path 'C:\\a\\' -ChildPath '\\b'", ["C:\\a\\b"]),
        ("Join-Path 'C:\\a', 'D:\\' x/y", ["C:\\a\\x\\y", "D:\\x\\y"]),
        ("Split-Path C:\\a\\b.txt", ["C:\\a"]),
        ("Split-Path C:\\a", ["C:\\"]),
        ("Split-Path C:\\a\\b.txt -Leaf", ["b.txt"]),
        ("Split-Path C:\\a\\b -Qualifier; Split-Path C:\\a\\b -NoQualifier", ["C:", "\\a\\b"]),
        ("Split-Path C:\\a -IsAbsolute; Split-Path a\\b -IsAbsolute", [True, False]),
        ("'C:\\x\\y' | Split-Path", ["C:\\x"]),
    ],
)
def test_paths(script: str, expected: list[Any]) -> None:
    assert _output(script) == expected


def test_securestring_and_credential() -> None:
    script = (
        "$p = ConvertTo-SecureString 'pw' -AsPlainText -Force; $p.GetType().FullName\n"
        "$c = New-Object System.Management.Automation.PSCredential('LAB\\u', $p)\n"
        "$c.UserName; $c.GetNetworkCredential().Password; $c.GetNetworkCredential().Domain\n"
        "$c2 = New-Object -TypeName PSCredential -ArgumentList 'v', $p; $c2.UserName"
    )
    assert _output(script) == ["System.Security.SecureString", "LAB\\u", "pw", "LAB", "v"]


def test_securestring_without_force_is_an_error() -> None:
    result = run("ConvertTo-SecureString 'pw' -AsPlainText")
    assert result.failed is not None or result.errors
    record = result.failed or result.errors[0]
    assert record.error_id == "ImportSecureString_InvalidArgument"


def test_new_object_psobject_hashtable_and_add_member() -> None:
    script = (
        "$o = New-Object PSObject -Property @{ A = 1 }; $o.A\n"
        "$o | Add-Member -MemberType NoteProperty -Name B -Value 2; $o.B\n"
        "$o | Add-Member -NotePropertyName C -NotePropertyValue 3 -PassThru | "
        "Select-Object -ExpandProperty C\n"
        "$h = New-Object System.Collections.Hashtable; $h['k'] = 'v'; $h.k; $h.Count"
    )
    assert _output(script) == [1, 2, 3, "v", 1]


def test_add_member_existing_name_needs_force() -> None:
    result = run("$o = [pscustomobject]@{ A = 1 }; $o | Add-Member NoteProperty A 2; $o.A")
    assert result.output == [1]
    assert result.errors[0].error_id == "MemberAlreadyExists"
    forced = (
        "$o = [pscustomobject]@{ A = 1 }; Add-Member -InputObject $o A 2 -Type NoteProperty -Force"
    )
    assert _output(forced + "; $o.A") == [2]


def test_convertfrom_json() -> None:
    script = (
        '$o = \'{"a": 1, "b": [1, 2], "c": {"d": "x"}}\' | ConvertFrom-Json\n'
        "$o.a; $o.b.Count; $o.c.d\n"
        "('[1, 2, 3]' | ConvertFrom-Json | Measure-Object).Count"
    )
    assert _output(script) == [1, 2, "x", 1]


def test_convertfrom_json_invalid_is_an_error() -> None:
    result = run("'{nope' | ConvertFrom-Json")
    record = result.failed or result.errors[0]
    assert record.error_id == "System.ArgumentException"


class _ClusterCmdlet:
    spec = CmdletSpec(
        "Get-ClusterNode", "Microsoft.FailoverClusters.PowerShell.GetClusterNodeCommand"
    )

    def invoke(self, ctx: Any, args: Any) -> None:
        ctx.write_output("n")


def test_import_module_of_a_module_the_node_has() -> None:
    commands = {**table(), "Get-ClusterNode": _ClusterCmdlet()}
    assert _output(
        "Import-Module FailoverClusters; Import-Module Microsoft.PowerShell.Utility; 'ok'",
        commands=commands,
    ) == ["ok"]
    result = run("Import-Module FailoverClusters, SqlServer; 'ok'", commands=commands)
    assert result.output == ["ok"]
    assert [e.error_id for e in result.errors] == ["Modules_ModuleNotFound"]
    assert "'SqlServer'" in result.errors[0].message


def test_import_module_without_the_module() -> None:
    result = run("Import-Module FailoverClusters")
    assert [e.error_id for e in result.errors] == ["Modules_ModuleNotFound"]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("switch -Wildcard ('abc', 'xyz') {\n'a*' {'w'}\ndefault {'d'}\n}", ["w", "d"]),
        ("switch -Regex ('abc') { '^a(b)' {$Matches[1]} }", ["b"]),
        ("switch -Regex ('ABC') { '^a' {'r'} }", ["r"]),
        ("switch -Regex -CaseSensitive ('ABC') {\n'^a' {'r'}\ndefault {'no'}\n}", ["no"]),
        ("switch -Exact ('a*') { 'a*' {'e'} }; switch -Exact ('abc') { 'a*' {'e'} }", ["e"]),
        ("switch -Wildcard -Regex ('abc') { 'a.c' {'re'} }", ["re"]),
        ("switch -Wildcard ('ab') { {$_ -eq 'ab'} {'sb'} 'A*' {'w'} }", ["sb", "w"]),
    ],
)
def test_switch_parameters(script: str, expected: list[Any]) -> None:
    assert _output(script) == expected


def test_error_variable_counts() -> None:
    script = "Get-Thing -Name nope -ErrorVariable ev -EA SilentlyContinue; $ev.Count"
    assert _output(script + "; $ev[0].Exception.Message") == [1, "Thing 'nope' not found."]
    assert _output("Write-Output 5 -OutVariable ov | Out-Null; $ov; $ov.Count") == [5, 1]
    assert _output(
        "try { Write-Error boom -ErrorVariable s -ErrorAction Stop } catch { }; $s.Count"
    ) == [1]
    assert _output("Write-Error x -ev +e -EA 0; Write-Error y -ev +e -EA 0; $e.Count") == [2]
    assert _output("Get-Thing -ErrorVariable none | Out-Null; $none.Count") == [0]


def test_error_variable_of_a_function_is_refused() -> None:
    result = run("function f { [CmdletBinding()] param() 1 }; f -OutVariable o")
    assert result.failed is not None and result.failed.error_id == "UnsupportedConstruct"


@pytest.mark.parametrize(
    "command",
    [
        "Format-Custom",
        "Out-Default",
        "Read-Host",
        "Microsoft.PowerShell.Utility\\Format-Custom",
    ],
)
def test_unmodelled_commands_are_refused_before_anything_runs(command: str) -> None:
    with pytest.raises(UnsupportedConstruct, match="command "):
        parse_uncached(f"Set-Thing -Name x\n'a' | {command}")
    result = run(f"Set-Thing -Name x\n'a' | {command}")
    assert result.failed is not None and result.failed.error_id == "UnsupportedConstruct"
    assert result.output == []


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("New-Object System.Text.StringBuilder", "New-Object System.Text.StringBuilder"),
        ("Join-Path a b -Resolve", "Join-Path -Resolve"),
        ("ConvertTo-SecureString '01000000d08c'", "ConvertTo-SecureString of an encrypted string"),
        (
            "$o = [pscustomobject]@{}; $o | Add-Member -MemberType ScriptMethod -Name M -Value {1}",
            "Add-Member ScriptMethod",
        ),
    ],
)
def test_unmodelled_forms_are_refused_by_name(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None and result.failed.error_id == "UnsupportedConstruct"
    assert construct in result.failed.message
