"""Built-ins that handle each pipeline object as it arrives, as their Windows cmdlets do
(ProcessRecord per object): Join-Path, Split-Path, ConvertTo-SecureString, Add-Member,
Invoke-Expression, Import-Module and Write-Error. Each object goes on to the next command
before the first command makes the next one, so host lines of the commands before and
after interleave; Sort-Object, Measure-Object and Group-Object still see every object
first (they do on Windows too)."""

from __future__ import annotations

import pytest

from tests.unit.sim.ps.test_pipeline_streaming import ordered

AROUND = '{input} | % {{ Write-Host "in $_"; $_ }} | {command} | % {{ Write-Host "out $_" }}'


@pytest.mark.parametrize(
    ("piped", "command", "outputs"),
    [
        ("'C:\\a','C:\\b'", "Join-Path -ChildPath x", ["C:\\a\\x", "C:\\b\\x"]),
        ("'C:\\a\\b','C:\\c\\d'", "Split-Path", ["C:\\a", "C:\\c"]),
        ("'C:\\a\\b','C:\\c\\d'", "Split-Path -Leaf", ["b", "d"]),
        ("'1+1','2+2'", "Invoke-Expression", ["2", "4"]),
        ("'p1','p2'", "ConvertTo-SecureString -AsPlainText -Force",
         ["System.Security.SecureString"] * 2),
    ],
)  # fmt: skip
def test_each_object_goes_on_before_the_next_arrives(
    piped: str, command: str, outputs: list[str]
) -> None:
    records, error = ordered(AROUND.format(input=piped, command=command))
    assert error is None
    inputs = [line for line in (r[1] for r in records) if line.startswith("in ")]
    expected = [line for pair in zip(inputs, outputs, strict=True) for line in
                (pair[0], f"out {pair[1]}")]  # fmt: skip
    assert records == [("host", line) for line in expected]


def test_add_member_passes_each_object_on_as_it_arrives() -> None:
    records, error = ordered(
        '[pscustomobject]@{a=1},[pscustomobject]@{a=2} | % { Write-Host "in $($_.a)"; $_ } '
        "| Add-Member -NotePropertyName b -NotePropertyValue 5 -PassThru "
        '| % { Write-Host "out $($_.a)$($_.b)" }'
    )
    assert error is None
    assert records == [("host", "in 1"), ("host", "out 15"), ("host", "in 2"), ("host", "out 25")]


def test_write_error_takes_its_message_from_the_pipeline() -> None:
    records, error = ordered("'oops','two' | % { Write-Host $_; $_ } | Write-Error")
    assert error is None
    assert records == [("host", "oops"), ("error", "oops"), ("host", "two"), ("error", "two")]


def test_import_module_takes_names_from_the_pipeline() -> None:
    records, error = ordered("'Microsoft.PowerShell.Utility','NoSuchModule' | Import-Module")
    assert error is None
    assert records == [
        ("error", "The specified module 'NoSuchModule' was not loaded because no valid "
                  "module file was found in any module directory."),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "command", ["Sort-Object", "Measure-Object | % { $_.Count }", "Group-Object | % { $_.Name }"]
)
def test_sort_measure_and_group_still_take_every_object_first(command: str) -> None:
    records, error = ordered(AROUND.format(input="2,1", command=command))
    assert error is None
    assert [r[1] for r in records][:2] == ["in 2", "in 1"]
