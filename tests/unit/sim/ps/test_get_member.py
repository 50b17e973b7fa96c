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
    for script, construct in [
        ("[version]'1.0' | Get-Member", "Get-Member of a System.Version"),
        ("[pscustomobject]@{} | Get-Member -Static", "Get-Member -Static of a System.Management"),
        ("[string] | Get-Member", "Get-Member of the type [string] without -Static"),
        ("'x' | Get-Member -View All", "Get-Member -View"),
    ]:
        result = run(script)
        assert result.failed is not None, script
        assert construct in result.failed.message


def _listed(script: str) -> list[tuple[str, str, str]]:
    result = run(script + " | % { '{0}|{1}|{2}' -f $_.Name, $_.MemberType, $_.TypeName }")
    assert (result.errors, result.failed) == ([], None)
    return [tuple(str(line).split("|")) for line in result.output]  # type: ignore[misc]


def test_a_string_lists_its_dotnet_members_methods_first() -> None:
    """Windows' String members the lab models, sorted as GetMemberCommand sorts them
    (Method before Property), under TypeName System.String."""
    listed = _listed("'text' | Get-Member")
    names = [name for name, _, _ in listed]
    assert {"Length", "Substring", "ToUpper", "ToLower", "Trim", "Split", "Replace",
            "IndexOf", "StartsWith", "Contains"} <= set(names)  # fmt: skip
    assert names[-1] == "Length"
    assert listed[-1][1:] == ("Property", "System.String")
    assert names[:-1] == sorted(names[:-1], key=str.upper)
    definition = run("'x' | Get-Member -Name Substring | % Definition").output
    assert definition == ["string Substring(int startIndex), string Substring(int startIndex, "
                          "int length)"]  # fmt: skip
    length = run("'x' | Get-Member Length | % Definition").output
    assert length == ["int Length {get;}"]


def test_numbers_booleans_and_hashtables_list_their_members() -> None:
    to_string = _listed("1, [long]2, 1.5 | Get-Member -Name ToString")
    assert [n for n, _, _ in to_string] == ["ToString"] * 3
    assert [t for _, _, t in _listed("1, [long]2, 1.5, $true | Get-Member -Name Equals")] == [
        "System.Int32", "System.Int64", "System.Double", "System.Boolean",
    ]  # fmt: skip
    hashtable = _listed("@{ a = 1 } | Get-Member")
    assert {"ContainsKey", "Add", "Remove", "Keys", "Count"} <= {n for n, _, _ in hashtable}
    assert {t for _, _, t in hashtable} == {"System.Collections.Hashtable"}
    assert ("Count", "Property", "System.Collections.Hashtable") in hashtable


def test_static_lists_the_static_members_of_a_value_or_a_type() -> None:
    static = _listed("'x' | Get-Member -Static")
    assert [(n, k) for n, k, _ in static] == [
        ("Equals", "Method"), ("Format", "Method"), ("IsNullOrEmpty", "Method"),
        ("IsNullOrWhiteSpace", "Method"), ("Join", "Method"), ("Empty", "Property"),
    ]  # fmt: skip
    assert _listed("[string] | Get-Member -Static") == static
    assert run("[int] | Get-Member -Static MaxValue | % Definition").output == [
        "static int MaxValue {get;}"
    ]
