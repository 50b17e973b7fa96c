"""Get-Member: MemberDefinition objects, grouped by type name, sorted as Windows sorts.

GetMemberCommand sorts each type's members by the member type's name, then the member's
name (ordinal, case-insensitive), and skips a type it has listed already.
"""

from __future__ import annotations

from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import PSObject
from tests.unit.sim.lab.scripts import run_on
from tests.unit.sim.ps.helpers import run


def test_a_custom_object_lists_its_note_properties_after_the_methods() -> None:
    result = run("[pscustomobject]@{ b = 'x'; a = 1; n = $null; l = 1, 2 } | Get-Member")
    rows = [
        (o.properties["Name"], str(o.properties["MemberType"]), o.properties["Definition"])
        for o in result.output
        if isinstance(o, PSObject)
    ]
    assert rows == [
        ("Equals", "Method", "bool Equals(System.Object obj)"),
        ("GetHashCode", "Method", "int GetHashCode()"),
        ("GetType", "Method", "type GetType()"),
        ("ToString", "Method", "string ToString()"),
        ("a", "NoteProperty", "int a=1"),
        ("b", "NoteProperty", "string b=x"),
        ("l", "NoteProperty", "Object[] l=System.Object[]"),
        ("n", "NoteProperty", "object n=null"),
    ]
    first = result.output[0]
    assert isinstance(first, PSObject)
    assert first.type_names[0] == "Microsoft.PowerShell.Commands.MemberDefinition"
    assert first.properties["TypeName"] == "System.Management.Automation.PSCustomObject"


def test_member_type_name_filters_and_one_group_per_type() -> None:
    result = run_on(
        sample_lab(), "Get-Service WinRM, ClusSvc | gm -MemberType Property -Name Stat*, *Name"
    )
    assert [o.properties["Name"] for o in result.output] == [
        "Status",
        "DisplayName",
        "MachineName",
        "Name",
        "ServiceName",
    ]
    assert {o.properties["TypeName"] for o in result.output} == {
        "System.ServiceProcess.ServiceController"
    }


def test_out_string_prints_the_type_name_above_the_table() -> None:
    output = run("[pscustomobject]@{ a = 1 } | gm -MemberType NoteProperty | Out-String -Stream")
    assert output.output == [
        "",
        "   TypeName: System.Management.Automation.PSCustomObject",
        "",
        "Name MemberType   Definition",
        "---- ----------   ----------",
        "a    NoteProperty int a=1   ",
        "",
        "",
    ]


def test_no_input_is_windows_error() -> None:
    result = run("@() | Get-Member; 'after'")
    (record,) = result.errors
    assert record.fully_qualified_error_id == (
        "NoObjectInGetMember,Microsoft.PowerShell.Commands.GetMemberCommand"
    )
    assert record.message == "You must specify an object for the Get-Member cmdlet."
    assert result.output == ["after"]


def test_what_the_lab_cannot_list_is_refused() -> None:
    result = run("'x' | Get-Member")
    assert result.failed is not None
    assert "Get-Member of a System.String" in result.failed.message
