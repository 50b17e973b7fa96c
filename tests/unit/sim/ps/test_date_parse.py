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


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("$d = [datetime]::Parse('2026-12-01 18:05'); $d.Day, $d.Minute, [string]$d.Kind",
         [1, 5, "Unspecified"]),
        ("([datetime]::Parse('12/1/2026 6:05 PM')).Hour", [18]),
        ("[string][datetime]::Parse('2026-12-01T10:30:00Z').Kind", ["Local"]),
        ("$d = Get-Date; [datetime]::TryParse('2026-02-28', [ref]$d); $d.Month",
         [True, 2]),
        # a failed TryParse leaves DateTime.MinValue
        ("$d = Get-Date; [datetime]::TryParse('2026-02-30', [ref]$d); $d.Year, [string]$d.Kind",
         [False, 1, "Unspecified"]),
        ("$d = Get-Date; [datetime]::TryParse($null, [ref]$d); $d.Ticks", [False, 0]),
    ],
)  # fmt: skip
def test_datetime_parse_and_tryparse_read_as_a_cast_does(script: str, expected: list[Any]) -> None:
    """``[datetime]::Parse`` (en-US, which reads the modelled forms as the invariant culture
    does) and ``TryParse``; both were refused by name before."""
    assert expected == output_of(script)


@pytest.mark.parametrize(
    ("script", "message", "error_id"),
    [
        ("[datetime]::Parse('2026-02-30')",
         f'Exception calling "Parse" with "1" argument(s): "{NOT_A_DATE}"', "FormatException"),
        ("[datetime]::Parse($null)",
         'Exception calling "Parse" with "1" argument(s): "Value cannot be null.\r\n'
         'Parameter name: s"', "ArgumentNullException"),
    ],
)  # fmt: skip
def test_datetime_parse_throws_what_dotnet_throws(script: str, message: str, error_id: str) -> None:
    record = only_error(script)
    assert (message, error_id) == (record.message, record.error_id)


def test_datetime_parse_of_a_form_the_lab_does_not_model_is_refused_by_name() -> None:
    for script in (
        "[datetime]::Parse('Jan 2 2026')",
        "$d = $null; [datetime]::TryParse('1/2/26', [ref]$d)",
        "[datetime]::ParseExact('20260102', 'yyyyMMdd', $null)",
    ):
        result = run(script)
        assert result.failed is not None
        assert "UnsupportedConstruct" == result.failed.error_id, script
