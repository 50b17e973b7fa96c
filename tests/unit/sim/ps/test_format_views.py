"""Windows PowerShell 5.1's default views of DateTime, file system items and Process
(psrunbook.sim.ps.format_views), as Out-String prints them: exact text, widths, alignment
and blank lines (sources in the module docstring)."""

from __future__ import annotations

import datetime

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.builtins import date_object
from psrunbook.sim.ps.format_objects import NotFormattable
from psrunbook.sim.ps.formatting import format_items
from tests.unit.sim.lab.scripts import run_on

NS = "Microsoft.PowerShell.Commands.Internal.Format."
EVENING = datetime.datetime(2026, 12, 3, 23, 10, 0)
PAD = 120
"""Out-String's width: the last column of a view fills the line."""
FILE_HEADER = "Mode                LastWriteTime         Length Name"
FILE_DASHES = "----                -------------         ------ ----"
PROCESS_HEADER = "Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName"
PROCESS_DASHES = "-------  ------    -----      -----     ------     --  -- -----------"
MAKE_TEMP = (
    "$null = New-Item C:\\Temp -ItemType Directory; "
    "$null = New-Item C:\\Temp\\Sub -ItemType Directory; "
    "Set-Content C:\\Temp\\a.txt 'hello'; "
)


def lab_at_epoch() -> SimCluster:
    """A lab whose nodes' clock reads 2026-01-01 00:00 UTC, its epoch, at the start: what
    a script writes is dated that minute too, so the tables' text is fixed."""
    lab = sample_lab()
    epoch = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    lab.clock_ahead_s = (epoch - datetime.datetime.now(datetime.UTC)).total_seconds()
    return lab


def lab_lines(script: str) -> list[object]:
    result = run_on(lab_at_epoch(), script)
    assert (result.errors, result.failed) == ([], None)
    return result.output


def padded(*lines: str) -> list[str]:
    """Table lines as Out-String prints them: the view's last column fills the width."""
    return [line.ljust(PAD) for line in lines]


def heading(directory: str) -> list[str]:
    """A directory's group heading: two blank lines, the framed line, two blank lines."""
    return ["", "", f"    Directory: {directory}", "", ""]


def process(**overrides: object) -> PSObject:
    values: dict[str, object] = {"Id": 4872, "ProcessName": "PING", "HandleCount": 75,
                                 "NPM": 5 * 1024, "PM": 820 * 1024, "WS": 3252 * 1024,
                                 "CPU": 0.03125, "SI": 3}  # fmt: skip
    values.update(overrides)
    return PSObject(("System.Diagnostics.Process", "System.Object"),
                    PSHashtable(values.items()))  # fmt: skip


# -- System.DateTime -------------------------------------------------------------------


def test_a_datetime_prints_its_long_date_and_long_time_between_blank_lines() -> None:
    """One blank line (FormatStartData), the DateTime property, two (GroupEnd, FormatEnd)."""
    assert ["", "Thursday, December 3, 2026 11:10:00 PM", "", ""] == format_items(
        [date_object(EVENING)]
    )


def test_datetimes_in_a_row_print_one_line_each() -> None:
    morning = date_object(datetime.datetime(2026, 1, 1, 0, 5, 9))
    assert [
        "",
        "Thursday, January 1, 2026 12:05:09 AM",
        "Thursday, December 3, 2026 11:10:00 PM",
        "",
        "",
    ] == format_items([morning, date_object(EVENING)])


@pytest.mark.parametrize(
    ("hint", "expected"),
    [("Date", "Thursday, December 3, 2026"), ("Time", "11:10:00 PM"),
     ("DateTime", "Thursday, December 3, 2026 11:10:00 PM")],
)  # fmt: skip
def test_the_display_hint_chooses_the_date_the_time_or_both(hint: str, expected: str) -> None:
    date = date_object(EVENING)
    date.properties["DisplayHint"] = PSEnum(
        "Microsoft.PowerShell.Commands.DisplayHintType", hint, 0
    )
    assert ["", expected, "", ""] == format_items([date])


def test_a_datetime_of_the_lab_model_prints_through_its_ticks() -> None:
    """A file's LastWriteTime (the cluster model's DateTime) prints as Get-Date's does."""
    assert ["", "Thursday, January 1, 2026 12:00:00 AM", "", ""] == lab_lines(
        "(Get-Item C:\\Windows).LastWriteTime | Out-String -Stream"
    )


def test_a_datetime_cell_or_list_value_is_its_en_us_tostring() -> None:
    """Not its string conversion ("12/03/2026 23:10:00"), which the formatter does not use."""
    custom = PSObject(("System.Management.Automation.PSCustomObject", "System.Object"),
                      PSHashtable([("Name", "a"), ("When", date_object(EVENING))]))  # fmt: skip
    assert ["", "Name When                 ", "---- ----                 ",
            "a    12/3/2026 11:10:00 PM", "", ""] == format_items([custom])  # fmt: skip
    assert ["", "StartTime : 1/1/2026 12:00:00 AM", "", ""] == lab_lines(
        "Get-Process | Format-List StartTime | Out-String -Stream"
    )


def test_a_datetime_line_wider_than_the_width_is_refused() -> None:
    """ComplexWriter word-wraps it; the lab does not guess how."""
    with pytest.raises(NotFormattable, match="wider than 20 columns"):
        format_items([date_object(EVENING)], width=20)


def test_format_table_and_format_list_of_a_datetime_are_refused() -> None:
    for command in ("Format-Table", "Format-List"):
        result = run_on(sample_lab(), f"Get-Date | {command}")
        assert result.failed is not None
        assert "System.DateTime" in result.failed.message


# -- file system items -----------------------------------------------------------------


def test_get_childitem_prints_the_filesystem_table_under_its_directory() -> None:
    """Two blank lines, the indented "Directory:" heading, two blank lines, Mode (7,
    left), LastWriteTime (25, right: date in 10, two spaces, time in 8), Length (14,
    right, empty for a directory), Name filling the line, then two blank lines."""
    assert [
        *heading("C:\\Temp"),
        *padded(
            FILE_HEADER,
            FILE_DASHES,
            "d-----         1/1/2026  12:00 AM                Sub",
            "-a----         1/1/2026  12:00 AM              7 a.txt",
        ),
        "",
        "",
    ] == lab_lines(MAKE_TEMP + "Get-ChildItem C:\\Temp | Out-String -Stream")


def test_a_new_parent_directory_starts_a_new_group_of_the_same_table() -> None:
    """GroupEndData and GroupStartData between them: two blank lines, not four, and the
    header again."""
    script = MAKE_TEMP + "Get-Item C:\\Temp\\a.txt, C:\\Temp\\Sub, C:\\Windows | Out-String -Stream"
    assert [
        *heading("C:\\Temp"),
        *padded(
            FILE_HEADER,
            FILE_DASHES,
            "-a----         1/1/2026  12:00 AM              7 a.txt",
            "d-----         1/1/2026  12:00 AM                Sub",
        ),
        "",
        *heading("C:\\")[1:],
        *padded(
            FILE_HEADER, FILE_DASHES, "d-----         1/1/2026  12:00 AM                Windows"
        ),
        "",
        "",
    ] == lab_lines(script)


def test_format_table_of_file_items_prints_what_out_string_prints() -> None:
    """Format-Table writes the view's heading as a framed GroupingEntry; Out-String reads it
    back into the same text."""
    direct = lab_lines(MAKE_TEMP + "Get-ChildItem C:\\Temp | Out-String -Stream")
    assert direct == lab_lines(
        MAKE_TEMP + "Get-ChildItem C:\\Temp | Format-Table | Out-String -Stream"
    )


def test_format_table_announces_the_view_columns_and_a_framed_heading() -> None:
    output = lab_lines("Get-ChildItem C:\\ | Format-Table")
    start, group = output[0], output[1]
    assert isinstance(start, PSObject) and isinstance(group, PSObject)
    columns = start.properties["shapeInfo"].properties["tableColumnInfoList"]
    assert [("Mode", 7, 1), ("LastWriteTime", 25, 3), ("Length", 14, 3), ("Name", 0, 0)] == [
        (c.properties["label"], c.properties["width"], c.properties["alignment"]) for c in columns
    ]
    (outer,) = group.properties["groupingEntry"].properties["formatValueList"]
    (framed,) = outer.properties["formatValueList"]
    assert 4 == framed.properties["frameInfo"].properties["leftIndentation"]
    assert [NS + "FormatTextField", NS + "FormatPropertyField", NS + "FormatNewLine"] == [
        v.type_names[0] for v in framed.properties["formatValueList"]
    ]


def test_format_list_of_a_file_item_is_refused() -> None:
    """5.1's list view shows CreationTime, LastAccessTime, VersionInfo: not in the lab."""
    result = run_on(sample_lab(), "Get-Item C:\\Windows | Format-List")
    assert result.failed is not None
    assert "System.IO.DirectoryInfo (its list view)" in result.failed.message


def test_a_group_heading_wider_than_the_width_is_refused() -> None:
    """ComplexWriter word-wraps "Directory: C:\\" in the 12 columns left of 16 after the
    frame's indent of 4; the lab refuses."""
    with pytest.raises(NotFormattable, match="wider than 16 columns"):
        format_items(lab_lines("Get-Item C:\\Windows"), width=16)


# -- System.Diagnostics.Process --------------------------------------------------------


def test_get_process_prints_the_process_table() -> None:
    """Handles 7, NPM(K) 7, PM(K) 8, WS(K) 10, CPU(s) 10, Id 6, SI 3 right-aligned, then
    ProcessName; the figures are the lab's values (processes.py)."""
    assert [
        "",
        *padded(
            PROCESS_HEADER,
            PROCESS_DASHES,
            "    250      16     8192      20480       0.50   1001   0 MsDtsSrvr",
        ),
        "",
        "",
    ] == lab_lines("Get-Process | Select-Object -First 3 | Out-String -Stream")


def test_a_process_row_as_windows_prints_it() -> None:
    """The PING row of a Windows 5.1 transcript, from the process's raw figures."""
    assert ["", *padded(PROCESS_HEADER, PROCESS_DASHES,
                        "     75       5      820       3252       0.03   4872   3 PING"),
            "", ""] == format_items([process()])  # fmt: skip


def test_kilobytes_round_half_to_even_and_cpu_has_group_separators() -> None:
    """1536 B is 1.5 KB: 2; 2560 B is 2.5 KB: 2, as .NET's [long] conversion rounds."""
    row = format_items([process(NPM=1536, PM=2560, WS=1023, CPU=17848.02)])[3]
    assert "     75       2        2          1  17,848.02   4872   3 PING" == row.rstrip()


def test_a_process_whose_cpu_time_is_unknown_shows_an_empty_cell() -> None:
    row = format_items([process(CPU=None)])[3]
    assert "     75       5      820       3252              4872   3 PING" == row.rstrip()


def test_a_process_without_a_figure_of_the_view_is_refused() -> None:
    values = process()
    del values.properties["WS"]
    with pytest.raises(NotFormattable, match="no WS property"):
        format_items([values])


def test_format_table_of_processes_prints_what_out_string_prints() -> None:
    direct = lab_lines("Get-Process | Out-String -Stream")
    assert direct == lab_lines("Get-Process | Format-Table | Out-String -Stream")
    result = run_on(sample_lab(), "Get-Process | Format-List")
    assert result.failed is not None
    assert "System.Diagnostics.Process (its list view)" in result.failed.message
