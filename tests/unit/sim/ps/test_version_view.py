"""A System.Version as the console prints it: DotNetTypes.format.ps1xml's table view
(``$PSVersionTable.PSVersion`` gives ``Major  Minor  Build  Revision``), not its text."""

from __future__ import annotations

from .helpers import output_of

HEADER = "\r\nMajor  Minor  Build  Revision\r\n-----  -----  -----  --------\r\n"


def test_the_engine_version_prints_as_its_table() -> None:
    (text,) = output_of("$PSVersionTable.PSVersion | Out-String")
    assert HEADER + "5      1      17763  1       \r\n\r\n\r\n" == text


def test_unset_parts_show_minus_one_and_versions_share_one_table() -> None:
    (text,) = output_of("[version]'1.2', [version]'10.0.17763' | Out-String")
    assert (
        HEADER + "1      2      -1     -1      \r\n10     0      17763  -1      \r\n\r\n\r\n"
    ) == text


def test_format_list_shows_every_property_and_the_text_stays_dotted() -> None:
    (listed, text) = output_of(
        "$v = [version]'5.1.17763.65539'; $v | Format-List | Out-String; \"$v\""
    )
    assert (
        "\r\nMajor         : 5\r\nMinor         : 1\r\nBuild         : 17763\r\n"
        "Revision      : 65539\r\nMajorRevision : 1\r\nMinorRevision : 3\r\n\r\n\r\n"
    ) == listed
    assert "5.1.17763.65539" == text
