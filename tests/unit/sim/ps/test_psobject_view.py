"""``$obj.PSObject``: a custom object's properties by name, as PowerShell lists them.

Evidence: PowerShell/PowerShell engine/MshMemberInfo.cs (PSNoteProperty: MemberType
NoteProperty, TypeNameOfValue, ToString as the value's display type, name, ``=``, value
or ``null``) and engine/MshObject.cs (the ``psobject`` member set). Before, ``.PSObject``
was the object itself, so ``.PSObject.Properties`` was ``$null`` and a script that turns
ConvertFrom-Json output into a hashtable silently got nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.ps.exceptions import UNSUPPORTED_ERROR_ID

from .helpers import run


@pytest.mark.parametrize(
    ("script", "output"),
    [
        (
            '$o = ConvertFrom-Json \'{"a":1,"b":"x"}\'\n'
            "$h = @{}; foreach ($p in $o.PSObject.Properties) { $h[$p.Name] = $p.Value }\n"
            "$h.a; $h.b; $h.Count",
            [1, "x", 2],
        ),
        ("$x = [pscustomobject]@{ k = 1; S = 'v' }; $x.PSObject.Properties.Name", ["k", "S"]),
        ("$x = [pscustomobject]@{ k = 1; S = 'v' }; $x.PSObject.Properties['s'].Value", ["v"]),
        ("$x = [pscustomobject]@{ k = 1 }; $null -eq $x.PSObject.Properties['nope']", [True]),
        (
            "$x = [pscustomobject]@{ ka = 1; kb = 2; c = 3 }\n"
            "$x.PSObject.Properties.Match('k*').Count",
            [2],
        ),
        (
            "$x = [pscustomobject]@{ a = 1; b = 'x'; c = $null; d = @(1, 2) }\n"
            '$x.PSObject.Properties | ForEach-Object { "$_" }',
            ["int a=1", "string b=x", "object c=null", "Object[] d=System.Object[]"],
        ),
        (
            "$p = ([pscustomobject]@{ a = 'x' }).PSObject.Properties | Select-Object -First 1\n"
            "$p.MemberType; $p.TypeNameOfValue; $p.IsSettable",
            ["NoteProperty", "System.String", True],
        ),
        (
            "$x = [pscustomobject]@{ a = 1 }; $x.PSObject.TypeNames[0]",
            ["System.Management.Automation.PSCustomObject"],
        ),
        ("$x = [pscustomobject]@{ a = 1 }; $x.PSObject.BaseObject.a", [1]),
        ("$o = Get-Thing | Select-Object Name; $o[0].PSObject.Properties.Name", ["Name"]),
    ],
)
def test_a_custom_objects_properties_by_name(script: str, output: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert output == result.output


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        # A cmdlet's object: Windows lists adapted, alias and script properties the lab
        # does not model, so the lab refuses rather than list fewer.
        ("(Get-Thing)[0].PSObject.Properties.Count", "Properties of an object that is not"),
        ("([pscustomobject]@{ a = 1 }).PSObject.Members.Count", ".PSObject.Members"),
        ("([pscustomobject]@{ a = 1 }).PSObject.Copy()", ".PSObject.Copy()"),
        ("$x = [pscustomobject]@{ a = 1 }; $x.PSObject.Properties.Add($null)", "Properties.Add()"),
    ],
)
def test_what_the_lab_does_not_model_of_the_view_is_refused(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert UNSUPPORTED_ERROR_ID == result.failed.error_id
    assert construct in result.failed.message
    assert [] == result.output
