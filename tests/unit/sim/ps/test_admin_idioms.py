"""Everyday admin idioms that were refused by name: Get-Random, ``[Environment]::OSVersion``
and ``[System.Net.Dns]::GetHostName()``, as Windows Server 2019's PowerShell 5.1 answers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sim.ps.helpers import only_error, output_of, run


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("$r = Get-Random -Maximum 10; $r -ge 0 -and $r -lt 10; $r.GetType().Name",
         [True, "Int32"]),
        ("Get-Random -Minimum 7 -Maximum 8", [7]),  # the maximum is excluded
        ("$r = Get-Random -Minimum 0.5 -Maximum 0.75; $r.GetType().Name;"
         " $r -ge 0.5 -and $r -lt 0.75", ["Double", True]),
        ("$r = Get-Random; $r -ge 0 -and $r -lt [int]::MaxValue", [True]),
        # items: -Count distinct ones, from -InputObject or the pipeline
        ("$p = 1..10 | Get-Random -Count 10; ($p | Sort-Object) -join ','",
         ["1,2,3,4,5,6,7,8,9,10"]),
        ("(Get-Random -InputObject 'a', 'b', 'c' -Count 2 | Sort-Object -Unique).Count", [2]),
        ("Get-Random -InputObject 'only'", ["only"]),
        ("[Environment]::OSVersion.Version.Major; [Environment]::OSVersion.Version.Build;"
         " \"$([Environment]::OSVersion)\"; [string][Environment]::OSVersion.Platform",
         [10, 17763, "Microsoft Windows NT 10.0.17763.0", "Win32NT"]),
        ("[System.Net.Dns]::GetHostName() -eq $env:COMPUTERNAME", [True]),
    ],
)  # fmt: skip
def test_admin_idioms(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


def test_get_random_refuses_an_empty_range_as_5_1_does() -> None:
    record = only_error("Get-Random -Minimum 5 -Maximum 5")
    assert (
        "The Minimum value (5) cannot be greater than or equal to the Maximum value (5)."
        == record.message
    )
    assert "MinGreaterThanOrEqualMax" == record.error_id


def test_get_random_set_seed_is_refused_by_name() -> None:
    """The same seed gives .NET's sequence on Windows and another one here."""
    result = run("Get-Random -SetSeed 1 -Maximum 5")
    assert result.failed is not None
    assert "Get-Random -SetSeed" in result.failed.message


def test_get_random_refuses_a_bound_with_input_objects() -> None:
    """-Minimum/-Maximum and -InputObject are in different parameter sets."""
    record = only_error("Get-Random -InputObject 1, 2 -Maximum 5")
    assert "AmbiguousParameterSet" == record.error_id
    result = run("1..3 | Get-Random -Maximum 5")
    assert result.failed is not None
    assert "Get-Random -Maximum with pipeline input" in result.failed.message
