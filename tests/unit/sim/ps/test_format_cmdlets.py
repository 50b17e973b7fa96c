"""Format-Table / Format-List / Format-Wide write formatting objects; Out-String prints them.

On Windows a Format-* cmdlet writes FormatStartData, GroupStartData, one FormatEntryData
per object, GroupEndData and FormatEndData (FormattingObjects.cs), and ``Out-String``
prints the table or list; ``Get-Service | Format-Table | Out-String`` prints what
``Get-Service | Out-String`` prints (shared/recordings/test_client_execute_ps.yml).
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import PSObject
from psrunbook.sim.ps.parser import UNSUPPORTED_COMMANDS
from tests.unit.sim.lab.scripts import run_on
from tests.unit.sim.ps.helpers import run

NS = "Microsoft.PowerShell.Commands.Internal.Format."
TWO_SERVICES = "Get-Service ClusSvc, MsDtsServer150"


def lines(script: str) -> list[object]:
    result = run_on(sample_lab(), script)
    assert (result.errors, result.failed) == ([], None)
    return result.output


def test_format_table_writes_the_formatting_objects_windows_writes() -> None:
    output = lines(f"{TWO_SERVICES} | Format-Table")
    assert all(isinstance(o, PSObject) for o in output)
    assert [o.type_names[0] for o in output if isinstance(o, PSObject)] == [
        NS + "FormatStartData",
        NS + "GroupStartData",
        NS + "FormatEntryData",
        NS + "FormatEntryData",
        NS + "GroupEndData",
        NS + "FormatEndData",
    ]
    start = output[0]
    assert isinstance(start, PSObject)
    assert start.properties["ClassId2e4f51ef21dd47e99d3c952918aff9cd"] == (
        "033ecb2bc07a4d43b5ef94ed5a35d280"
    )
    header = start.properties["shapeInfo"].properties["tableColumnInfoList"]
    assert [(c.properties["label"], c.properties["width"]) for c in header] == [
        ("Status", 8),
        ("Name", 18),
        ("DisplayName", 38),
    ]


def test_format_table_through_out_string_prints_the_service_table() -> None:
    expected = [
        "",
        "Status   Name               DisplayName                           ",
        "------   ----               -----------                           ",
        "Running  ClusSvc            Cluster Service                       ",
        "Running  MsDtsServer150     SQL Server Integration Services 15.0  ",
        "",
        "",
    ]
    assert lines(f"{TWO_SERVICES} | ft | Out-String -Stream") == expected
    assert lines(f"{TWO_SERVICES} | Out-String -Stream") == expected


def test_format_table_property_and_autosize_size_columns_to_their_content() -> None:
    assert lines(f"{TWO_SERVICES} | Format-Table Name, Status -AutoSize | Out-String -Stream") == [
        "",
        "Name           Status ",
        "----           ------ ",
        "ClusSvc        Running",
        "MsDtsServer150 Running",
        "",
        "",
    ]


def test_format_table_wrap_continues_a_long_cell_instead_of_cutting_it() -> None:
    script = "Get-Service WinRM | Format-Table -Wrap | Out-String -Stream"
    assert lines(script)[3:5] == [
        "Running  WinRM              Windows Remote Management (WS-Manageme",
        "                            nt)                                   ",
    ]
    cut = lines("Get-Service WinRM | Format-Table | Out-String -Stream")[3]
    assert cut == "Running  WinRM              Windows Remote Management (WS-Manag..."


def test_custom_objects_and_hashtables() -> None:
    script = (
        "[pscustomobject]@{ Name = 'a'; Count = 10 }, [pscustomobject]@{ Name = 'bbb'; Count = 2 }"
        " | Format-Table | Out-String -Stream"
    )
    assert run(script).output == [
        "",
        "Name Count",
        "---- -----",
        "a       10",
        "bbb      2",
        "",
        "",
    ]
    assert run("@{ a = 1 } | Format-List | Out-String -Stream").output == [
        "",
        "Name  : a",
        "Value : 1",
        "",
        "",
    ]


def test_format_list_aligns_the_colons_per_object() -> None:
    script = f"{TWO_SERVICES} | fl Name, DisplayName | Out-String -Stream"
    assert lines(script) == [
        "",
        "Name        : ClusSvc",
        "DisplayName : Cluster Service",
        "",
        "Name        : MsDtsServer150",
        "DisplayName : SQL Server Integration Services 15.0",
        "",
        "",
    ]


def test_format_list_star_shows_every_property_and_strings_pass_as_text() -> None:
    output = run("[pscustomobject]@{ A = 1; Bee = 'x' }, 'plain' | fl * | Out-String -Stream")
    assert output.output == ["", "A   : 1", "Bee : x", "", "", "plain"]


def test_views_the_lab_does_not_know_are_refused_by_name() -> None:
    result = run_on(sample_lab(), "Get-Service WinRM | Format-List")
    assert result.failed is not None
    assert "ServiceController (its list view)" in result.failed.message
    grouped = run("1 | Format-Table -GroupBy x")
    assert grouped.failed is not None
    assert "Format-Table -GroupBy" in grouped.failed.message


@pytest.mark.parametrize("name", ["Format-Table", "ft", "Format-List", "fl", "Format-Wide"])
def test_no_longer_refused_before_the_script_runs(name: str) -> None:
    assert name.casefold() not in UNSUPPORTED_COMMANDS


def test_format_wide() -> None:
    output = run("'a', 'b', 'c' | Format-Wide -Column 2 | Out-String -Stream -Width 20").output
    assert output == ["", "a         b", "c", "", ""]
