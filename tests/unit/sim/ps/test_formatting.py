"""Out-String's default formatting (psrunbook.sim.ps.formatting) and its use by scripts."""

from __future__ import annotations

import pytest

from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.format_objects import NotFormattable
from psrunbook.sim.ps.formatting import format_items
from tests.unit.sim.ps.helpers import run

PSCUSTOM = ("System.Management.Automation.PSCustomObject", "System.Object")


def custom(**props: object) -> PSObject:
    return PSObject(type_names=PSCUSTOM, properties=PSHashtable(props.items()))


def service(name: str, display: str, status: str = "Running") -> PSObject:
    return PSObject(
        type_names=("System.ServiceProcess.ServiceController", "System.Object"),
        properties=PSHashtable(
            [
                ("Name", name),
                ("DisplayName", display),
                ("Status", PSEnum("System.ServiceProcess.ServiceControllerStatus", status, 4)),
            ]
        ),
    )


def test_services_use_their_fixed_width_view_and_cut_long_names():
    """shared/recordings/test_client_execute_ps.yml: 8/18/38 columns, '...' past 38."""
    lines = format_items([service("winrm", "Windows Remote Management (WS-Management)")])
    assert [
        "",
        "Status   Name               DisplayName                           ",
        "------   ----               -----------                           ",
        "Running  winrm              Windows Remote Management (WS-Manag...",
        "",
        "",
    ] == lines


def test_one_table_for_consecutive_objects_with_the_first_object_s_columns():
    lines = format_items([custom(Name="alpha", N=1), custom(Name="b", N=100, Extra="x")])
    assert ["", "Name    N", "----    -", "alpha   1", "b     100", "", ""] == lines


def test_more_than_four_properties_make_a_list_per_object():
    lines = format_items([custom(A=1, B=2, C=3, D=4, Long=5), custom(A=6, B=7, C=8, D=9, E=10)])
    assert [
        "",
        "A    : 1",
        "B    : 2",
        "C    : 3",
        "D    : 4",
        "Long : 5",
        "",
        "A : 6",
        "B : 7",
        "C : 8",
        "D : 9",
        "E : 10",
        "",
        "",
    ] == lines


def test_hashtables_are_a_name_value_table_filling_the_width():
    lines = format_items([PSHashtable([("first", 1), ("second", [1, 2])])], width=40)
    assert [
        "",
        "Name                           Value    ",
        "----                           -----    ",
        "first                          1        ",
        "second                         {1, 2}   ",
        "",
        "",
    ] == lines


def test_scalars_print_as_themselves_after_the_group_before_them():
    lines = format_items(["a", custom(X="x"), 2.5, "two\nlines", None, True])
    assert ["a", "", "X", "-", "x", "", "", "2.5", "two", "lines", "True"] == lines


def test_an_object_without_a_known_view_is_not_guessed_at():
    thing = PSObject(type_names=("Microsoft.FailoverClusters.PowerShell.ClusterNode",))
    with pytest.raises(NotFormattable) as info:
        format_items([thing])
    assert "Microsoft.FailoverClusters.PowerShell.ClusterNode" == info.value.type_name


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("[pscustomobject]@{A=1} | Out-String -Stream", ["", "A", "-", "1", "", ""]),
        ("@{k=1} | Out-String -Width 36", ["\r\nName" + " " * 27 + "Value\r\n"]),
    ],
)
def test_out_string_formats_objects(script, expected):
    result = run(script)
    assert result.failed is None
    if script.endswith("-Stream"):
        assert expected == result.output
    else:
        assert result.output[0].startswith(expected[0])


def test_a_collection_cell_shows_four_elements_then_dots_and_a_hashtable_its_keys():
    """$FormatEnumerationLimit's default, 4 (about_Preference_Variables: ``{AarSvc_8f3023,
    AdobeFlashPlayerUpdateSvc, AJRouter, ALG...}``); a hashtable as its keys
    (PSObjectHelper.SmartToString: each entry's display name). The lab showed every
    element, and ``System.Collections.Hashtable`` for a hashtable."""
    lines = format_items(
        [custom(a=[1, 2, 3, 4, 5], b=[1, 2, 3, 4], c=PSHashtable([("x", 1), ("y", 2)]))]
    )
    assert "{1, 2, 3, 4...} {1, 2, 3, 4} {x, y}" == lines[3].rstrip()


def test_get_variable_prints_the_variable_view():
    """PowerShellCore.format.ps1xml's "Variable" view: Name (30 columns), Value; a
    PSVersionTable value shows its first four keys, as Windows PowerShell 5.1 does."""
    out = run("$x = 1; Get-Variable x, PSVersionTable | Out-String").output[0]
    assert [
        "Name                           Value",
        "----                           -----",
        "x                              1",
        "PSVersionTable                 "
        "{PSVersion, PSEdition, PSCompatibleVersions, BuildVersion...}",
    ] == [line.rstrip() for line in out.split("\r\n")[1:5]]
