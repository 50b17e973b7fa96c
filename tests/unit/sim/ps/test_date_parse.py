"""Strings read as DateTimes (psrunbook.sim.ps.date_parse): ``[datetime]'2026-12-01'``,
``Get-Date -Date '12/1/2026'``, ``$d -lt '2026-12-01'``, ``New-TimeSpan -Start``.

Before, each was refused by name ("cast to [datetime]", "comparing a DateTime with a
System.String"), so a script comparing against a fixed date could not run in the lab.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sim.ps.helpers import only_error, output_of, run

NOT_A_DATE = "String was not recognized as a valid DateTime."


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("$d = [datetime]'2026-12-01'; $d.Year, $d.Month, $d.Day, $d.Hour, [string]$d.Kind",
         [2026, 12, 1, 0, "Unspecified"]),
        ("$d = [datetime]'2026-12-01T18:05:09.25'; $d.Hour, $d.Minute, $d.Second,"
         " $d.Millisecond", [18, 5, 9, 250]),
        ("([datetime]'2026-12-01 18:05').Minute", [5]),
        # a zone makes the moment local time, Kind Local (the nodes run on UTC)
        ("$d = [datetime]'2026-12-01T10:30:00Z'; $d.Hour, [string]$d.Kind", [10, "Local"]),
        ("([datetime]'2026-12-01T10:30:00+02:00').Hour", [8]),
        ("([datetime]'2026-12-01T23:30:00-01:00').Day", [2]),
        # the US form: month first, a 12-hour clock with AM/PM, or 24 hours
        ("$d = [datetime]'12/1/2026 6:05 PM'; $d.Month, $d.Day, $d.Hour", [12, 1, 18]),
        ("([datetime]'12/1/2026 12:00 AM').Hour, ([datetime]'12/1/2026 12:00 PM').Hour",
         [0, 12]),
        ("([datetime]' 01/02/2026 13:14:15 ').Second", [15]),
        ("(Get-Date -Date '2026-01-02').DayOfYear", [2]),
        ("Get-Date -Date '2026-01-02' -Format 'yyyy-MM-dd'", ["2026-01-02"]),
        ("(Get-Date) -gt '2020-01-01'; (Get-Date) -lt '2020-01-01'", [True, False]),
        ("[datetime]'2026-12-01' -eq '12/1/2026'", [True]),
        ("(Get-Date) -eq '2026-02-30'", [False]),  # does not convert: unequal, no error
        ("(New-TimeSpan -Start '2026-01-01' -End '2026-01-03').Days", [2]),
        # a [datetime] or [timespan] variable converts what is assigned to it later
        ("[datetime]$d = '2026-01-01'; $d = '2026-02-03'; $d.Month; $d.GetType().Name",
         [2, "DateTime"]),
        ("[timespan]$t = '0:1'; $t = '0:2'; $t.TotalMinutes", [2.0]),
    ],
)  # fmt: skip
def test_a_string_is_read_as_datetime_parse_reads_it(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


@pytest.mark.parametrize(
    ("script", "message", "error_id"),
    [
        ("[datetime]'2026-02-30'", f'Cannot convert value "2026-02-30" to type '
         f'"System.DateTime". Error: "{NOT_A_DATE}"', "ConvertToFinalInvalidCastException"),
        ("[datetime]'13/1/2026'", f'Cannot convert value "13/1/2026" to type '
         f'"System.DateTime". Error: "{NOT_A_DATE}"', "ConvertToFinalInvalidCastException"),
        ("[datetime]'1/1/2026 13:00 PM'", f'Cannot convert value "1/1/2026 13:00 PM" to type '
         f'"System.DateTime". Error: "{NOT_A_DATE}"', "ConvertToFinalInvalidCastException"),
        ("[datetime]$null", 'Cannot convert null to type "System.DateTime".',
         "ConvertToFinalInvalidCastException"),
        ("Get-Date -Date '2026-13-01'", "Cannot bind parameter 'Date'. Cannot convert value "
         f'"2026-13-01" to type "System.DateTime". Error: "{NOT_A_DATE}"',
         "CannotConvertArgumentNoMessage"),
        ("(Get-Date) -lt '2026-13-01'", 'Could not compare "', "ComparisonFailure"),
    ],
)  # fmt: skip
def test_a_date_that_does_not_exist_is_dotnets_format_error(
    script: str, message: str, error_id: str
) -> None:
    record = only_error(script)
    assert record.message.startswith(message)
    assert error_id == record.error_id


@pytest.mark.parametrize(
    "text", ["Jan 2 2026", "2026/01/02", "1/2/26", "2026-01-02T10", "yesterday", "12/1"]
)
def test_forms_the_lab_does_not_model_are_refused_by_name(text: str) -> None:
    """DateTime.Parse reads many of these; the lab does not guess how."""
    result = run(f"[datetime]'{text}'")
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert f"reading '{text}' as a DateTime" in result.failed.message
