"""``Resolve-Path`` (``rvpa``) and ``Convert-Path`` (``cvpa``) on a lab node's files.

PathInfo objects (or provider paths) spelled as the path was given, a wildcard's matches
as on disk (PowerShell issue 13190); ``-Relative`` as 5.1 writes it, the location itself
included (PowerShell issue 10792: ``..\\tmp`` for ``c:\\tmp``, seen on 5.1.17763).
"""

from __future__ import annotations

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import output_of, run_on


def test_a_path_resolves_to_a_path_info_spelled_as_given() -> None:
    assert [
        "C:\\windows\\temp",
        "System.Management.Automation.PathInfo",
        "FileSystem",
        "C:\\windows\\Temp",
        "C:\\windows\\temp",
        "C:\\WINDOWS",
    ] == output_of(
        "$p = Resolve-Path c:\\windows\\temp; $p.Path\n"
        "$p.GetType().FullName; $p.Provider.Name\n"
        "(rvpa c:\\windows\\te*).Path\n"
        "Convert-Path c:\\windows\\temp\n"
        "cvpa -LiteralPath c:\\WINDOWS"
    )


def test_relative_answers_as_windows_powershell_5_1_does() -> None:
    assert [".\\Temp", "..\\Users", "..\\Windows", ".\\Temp"] == output_of(
        "cd C:\\Windows\n"
        "Resolve-Path Temp -Relative; Resolve-Path C:\\Users -Relative\n"
        "Resolve-Path . -Relative; Resolve-Path C:\\Windows\\Temp\\..\\Temp -Relative"
    )


def test_a_missing_path_and_a_wildcard_matching_nothing_are_item_not_found() -> None:
    result = run_on(sample_lab(), "Resolve-Path C:\\nope; Convert-Path C:\\nope*; 'after'")
    assert ["after"] == result.output
    assert [
        (
            "Cannot find path 'C:\\nope' because it does not exist.",
            "PathNotFound,Microsoft.PowerShell.Commands.ResolvePathCommand",
        ),
        (
            "Cannot find path 'C:\\nope*' because it does not exist.",
            "PathNotFound,Microsoft.PowerShell.Commands.ConvertPathCommand",
        ),
    ] == [(e.message, e.fully_qualified_error_id) for e in result.errors]
    assert {"ObjectNotFound"} == {e.category for e in result.errors}


def test_what_is_unverified_is_refused_by_name() -> None:
    for script in (
        "cd C:\\; Resolve-Path . -Relative",
        "Resolve-Path HKLM:\\SOFTWARE",
    ):
        failed = run_on(sample_lab(), script).failed
        assert failed is not None and "Resolve-Path" in failed.message, script
