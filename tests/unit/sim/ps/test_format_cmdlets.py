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
    result = run("1 | Format-Table -View x")
    assert result.failed is not None
    assert "Format-Table -View" in result.failed.message


def test_format_list_of_services_is_the_service_controller_list_view() -> None:
    """Windows PowerShell 5.1's list view of a ServiceController: these nine properties
    in this order (the lab's services depend on none and accept no pause or shutdown)."""
    assert lines("Get-Service WinRM | Format-List | Out-String -Stream") == [
        "",
        "Name                : WinRM",
        "DisplayName         : Windows Remote Management (WS-Management)",
        "Status              : Running",
        "DependentServices   : {}",
        "ServicesDependedOn  : {}",
        "CanPauseAndContinue : False",
        "CanShutdown         : False",
        "CanStop             : True",
        "ServiceType         : Win32OwnProcess",
        "",
        "",
    ]


def test_hide_table_headers_leaves_out_the_header_and_dashes() -> None:
    output = lines(f"{TWO_SERVICES} | Format-Table -HideTableHeaders")
    header = output[0].properties["shapeInfo"]  # type: ignore[union-attr]
    assert header.properties["hideHeader"] is True
    assert lines(f"{TWO_SERVICES} | Format-Table -HideTableHeaders | Out-String -Stream") == [
        "",
        "Running  ClusSvc            Cluster Service                       ",
        "Running  MsDtsServer150     SQL Server Integration Services 15.0  ",
        "",
        "",
    ]


def test_group_by_starts_a_group_with_its_label_at_each_new_value() -> None:
    """Consecutive objects with one value form a group (not sorted); GroupStartData
    carries a GroupingEntry whose text field is "   {label}: " and whose property field
    is the value (PS-src ViewGenerator, FormatAndOut_format_xxx.resx); Out-String prints
    a blank line, that text and a blank line before each group's table or list."""
    script = (
        "[pscustomobject]@{ K = 'a'; V = 1 }, [pscustomobject]@{ K = 'a'; V = 2 }, "
        "[pscustomobject]@{ K = 'b'; V = 3 } | Format-Table -GroupBy K"
    )
    output = run(script).output
    kinds = [o.type_names[0].removeprefix(NS) for o in output if isinstance(o, PSObject)]
    assert kinds == ["FormatStartData", "GroupStartData", "FormatEntryData", "FormatEntryData",
                     "GroupEndData", "GroupStartData", "FormatEntryData", "GroupEndData",
                     "FormatEndData"]  # fmt: skip
    entry = output[1].properties["groupingEntry"]  # type: ignore[union-attr]
    assert entry.properties["ClassId2e4f51ef21dd47e99d3c952918aff9cd"] == (
        "919820b7eadb48be8e202c5afa5c2716"
    )
    (inner,) = entry.properties["formatValueList"]
    text, value = inner.properties["formatValueList"]
    assert (text.properties["text"], value.properties["propertyValue"]) == ("   K: ", "a")
    assert run(script + " | Out-String -Stream").output == [
        "", "", "   K: a", "", "K V", "- -", "a 1", "a 2", "",
        "", "   K: b", "", "K V", "- -", "b 3", "", "",
    ]  # fmt: skip


def test_group_by_a_service_property_in_a_list() -> None:
    output = lines(f"{TWO_SERVICES} | Format-List Name -GroupBy Status | Out-String -Stream")
    assert output == ["", "", "   Status: Running", "", "Name : ClusSvc", "",
                      "Name : MsDtsServer150", "", ""]  # fmt: skip


def test_test_connection_replies_print_as_the_ping_table() -> None:
    assert lines("Test-Connection NODE2 -Count 1 | Out-String -Stream") == [
        "",
        "Source        Destination     IPV4Address      IPV6Address                      "
        "        Bytes    Time(ms) ",
        "------        -----------     -----------      -----------                      "
        "        -----    -------- ",
        "NODE1         NODE2           10.0.0.11                                         "
        "        32       0        ",
        "",
        "",
    ]


@pytest.mark.parametrize("name", ["Format-Table", "ft", "Format-List", "fl", "Format-Wide"])
def test_no_longer_refused_before_the_script_runs(name: str) -> None:
    assert name.casefold() not in UNSUPPORTED_COMMANDS


def test_format_wide() -> None:
    output = run("'a', 'b', 'c' | Format-Wide -Column 2 | Out-String -Stream -Width 20").output
    assert output == ["", "a         b", "c", "", ""]


@pytest.mark.parametrize("command", ["Out-Default", "Out-Host", "oh"])
def test_out_default_and_out_host_are_refused_saying_why(command: str) -> None:
    """In a remote session they write through the host (PIPELINE_HOST_CALL), which the
    lab does not model for formatted output: refused before anything runs, naming why."""
    result = run(f"$script:ran = 1; 'x' | {command}")
    assert result.failed is not None
    assert "writes through the host, PIPELINE_HOST_CALL WriteLine" in result.failed.message
    assert result.output == []
