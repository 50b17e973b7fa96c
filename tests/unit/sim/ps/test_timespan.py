"""System.TimeSpan in the lab's PowerShell, as Windows PowerShell 5.1 on .NET Framework 4.8
has it (psrunbook.sim.ps.timespan_values, timespan_format, span_arithmetic).

Before, every one of these was refused by name: ``$end - $start`` ("DateTime
op_Subtraction (TimeSpan arithmetic)"), ``New-TimeSpan`` (not a command), ``[timespan]``
casts and ``[timespan]::FromSeconds``. A script measuring how long a wait took, or a
node's uptime, could not run in the lab at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sim.ps.helpers import only_error, output_of, run

SECOND = 10_000_000


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # DateTime - DateTime is the span between them, whatever the Kinds
        ("$a = Get-Date; ($a.AddSeconds(90) - $a).TotalSeconds", [90.0]),
        ("$a = Get-Date; ($a - $a.AddMinutes(5)).Minutes", [-5]),
        ("$a = Get-Date; ($a.ToUniversalTime() - $a).Ticks", [0]),
        ("$a = Get-Date; ($a - $a).GetType().FullName", ["System.TimeSpan"]),
        # DateTime +/- TimeSpan is a DateTime of the same Kind
        ("$a = Get-Date; (($a + (New-TimeSpan -Hours 1)) - $a).TotalHours", [1.0]),
        ("((Get-Date).ToUniversalTime() - [timespan]'01:00').Kind", ["Utc"]),
        ("$a = Get-Date; $a.Add([timespan]::FromDays(1)).Ticks - $a.Ticks", [864_000_000_000]),
        ("$a = Get-Date; $a.Subtract($a.AddSeconds(-2)).TotalSeconds", [2.0]),
        ("$a = Get-Date; ($a.Subtract([timespan]'0:1') - $a).TotalMinutes", [-1.0]),
        ("$a = Get-Date; $a.CompareTo($a.AddTicks(1)), $a.CompareTo($a), $a.CompareTo($null)",
         [-1, 0, 1]),
        # a DateTime's Date (midnight, same Kind) and TimeOfDay (a TimeSpan), read when asked
        ("$a = Get-Date; $a.Date.Hour, $a.Date.Minute, $a.Date.Kind; $a.Date.Date -eq $a.Date",
         [0, 0, "Local", True]),
        ("$a = [datetime]::UtcNow; ($a - $a.Date) -eq $a.TimeOfDay; $a.Date.Kind", [True, "Utc"]),
        ("(Get-Date).TimeOfDay.GetType().FullName; (Get-Date).TimeOfDay.Days",
         ["System.TimeSpan", 0]),
        ("(Get-Date) | Get-Member -Name Date, TimeOfDay | % Definition",
         ["datetime Date {get;}", "timespan TimeOfDay {get;}"]),
        # TimeSpan +/- TimeSpan, and += to add up durations
        ("$t = [timespan]::Zero; 1..3 | % { $t += [timespan]::FromSeconds(20) }; \"$t\"",
         ["00:01:00"]),
        ("\"$([timespan]'0:30' - [timespan]'1:00')\"", ["-00:30:00"]),
        ("([timespan]'0:30').Add([timespan]'0:45').TotalHours", [1.25]),
        ("\"$(([timespan]'0:30').Subtract([timespan]'1:00').Duration())\"", ["00:30:00"]),
        ("\"$(([timespan]'0:30').Negate())\"", ["-00:30:00"]),
        ("([timespan]'0:30').CompareTo([timespan]'0:31')", [-1]),
        ("([timespan]'0:30').Equals([timespan]'00:30:00')", [True]),
    ],
)  # fmt: skip
def test_datetime_and_timespan_arithmetic(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # whole parts truncate toward zero and keep the sign, as C#'s / and % do
        ("$t = [timespan]::FromSeconds(-90.5); $t.Days, $t.Hours, $t.Minutes, $t.Seconds,"
         " $t.Milliseconds", [0, 0, -1, -30, -500]),
        ("$t = [timespan]'3.04:05:06.789'; $t.Days, $t.Hours, $t.Minutes, $t.Seconds,"
         " $t.Milliseconds", [3, 4, 5, 6, 789]),
        # Totals are the ticks times 1/TicksPerUnit (a Double), as .NET computes them
        ("(New-TimeSpan -Seconds 5).TotalDays", [50_000_000 * (1.0 / 864_000_000_000)]),
        ("(New-TimeSpan -Hours 1 -Minutes 25).TotalHours",
         [51_000_000_000 * (1.0 / 36_000_000_000)]),
        ("[timespan]::MaxValue.TotalMilliseconds", [922_337_203_685_477.0]),
        ("[timespan]::MinValue.TotalMilliseconds", [-922_337_203_685_477.0]),
        ("[timespan]::MaxValue.Ticks", [2**63 - 1]),
        ("[timespan]::TicksPerSecond", [SECOND]),
        # .NET Framework's FromX round to the millisecond, half away from zero
        ("[timespan]::FromSeconds(0.0004).Ticks", [0]),
        ("[timespan]::FromSeconds(0.0005).Ticks", [10_000]),
        ("[timespan]::FromSeconds(-0.0005).Ticks", [-10_000]),
        ("[timespan]::FromMinutes(1.5).TotalSeconds", [90.0]),
        ("[timespan]::FromDays(1).Hours, [timespan]::FromDays(1).Days", [0, 1]),
        ("[timespan]::FromTicks(15).Ticks", [15]),
        ("[timespan]::Compare([timespan]'1', [timespan]'0:1')", [1]),
        ("([timespan]::Parse(' 1:2:3 ')).TotalSeconds", [3723.0]),
    ],
)  # fmt: skip
def test_timespan_members(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


@pytest.mark.parametrize(
    ("text", "ticks"),
    [
        ("5", 5 * 86_400 * SECOND),  # a lone number is days
        ("1:2", 3_720 * SECOND),  # h:m
        ("1:2:3", 3_723 * SECOND),  # h:m:s, not d:h:m
        ("1.2:3", (86_400 + 7_380) * SECOND),  # d.h:m
        ("1.02:03:04", (86_400 + 7_384) * SECOND),
        ("1:02:03:04", (86_400 + 7_384) * SECOND),  # d:h:m:s
        ("00:00:01.5", 15_000_000),
        ("00:00:00.0000001", 1),
        ("-00:01:00", -60 * SECOND),
        ("  0:0:7  ", 7 * SECOND),
    ],
)
def test_a_string_converts_as_timespan_parse_reads_it(text: str, ticks: int) -> None:
    assert [ticks, ticks] == output_of(
        f"([timespan]'{text}').Ticks; [timespan]::Parse('{text}').Ticks"
    )


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('"$([timespan]::FromMilliseconds(1500))"', "00:00:01.5000000"),
        ("[string](New-TimeSpan -Days 2 -Seconds 3)", "2.00:00:03"),
        ("([timespan]'1.02:03:04.5').ToString()", "1.02:03:04.5000000"),
        ("([timespan]'1.02:03:04.5').ToString('c')", "1.02:03:04.5000000"),
        ("([timespan]'1.02:03:04.5').ToString('g')", "1:2:03:04.5"),
        ("([timespan]'02:03:04').ToString('g')", "2:03:04"),
        ("([timespan]'1.02:03:04.5').ToString('G')", "1:02:03:04.5000000"),
        ("([timespan]'1.02:03:04.5').ToString('hh\\:mm\\:ss')", "02:03:04"),
        ("([timespan]'1.02:03:04.5').ToString(\"d' days 'h' h'\")", "1 days 2 h"),
        ("([timespan]'1.02:03:04.5').ToString('%m')", "3"),
        ("([timespan]'0:0:4.5').ToString('ss\\.fff\\ FF')", "04.500 5"),
        ("([timespan]'-0:1').ToString('mm')", "01"),  # a custom format writes no sign
        ("'{0}' -f [timespan]'0:1'", "00:01:00"),
        ("'{0:hh\\:mm}' -f [timespan]'1:2'", "01:02"),
        ("'{0:g}' -f [timespan]::FromSeconds(3725.5)", "1:02:05.5"),
    ],
)
def test_timespan_text(script: str, expected: str) -> None:
    assert [expected] == output_of(script)


@pytest.mark.parametrize(
    ("script", "message", "error_id"),
    [
        ("[timespan]'25:00'", 'Cannot convert value "25:00" to type "System.TimeSpan". Error: '
         '"The TimeSpan could not be parsed because at least one of the numeric components is '
         'out of range or contains too many digits."', "ConvertToFinalInvalidCastException"),
        ("[timespan]'soon'", 'Cannot convert value "soon" to type "System.TimeSpan". Error: '
         '"String was not recognized as a valid TimeSpan."', "ConvertToFinalInvalidCastException"),
        ("[timespan]$null", 'Cannot convert null to type "System.TimeSpan".',
         "ConvertToFinalInvalidCastException"),
        ("[timespan]::Parse('x')", 'Exception calling "Parse" with "1" argument(s): "String '
         'was not recognized as a valid TimeSpan."', "FormatException"),
        ("[timespan]::FromSeconds([math]::Sqrt(-1))", 'Exception calling "FromSeconds" with "1" '
         'argument(s): "TimeSpan does not accept floating point Not-a-Number values."',
         "ArgumentException"),
        ("[timespan]::FromDays(1e300)", 'Exception calling "FromDays" with "1" argument(s): '
         '"TimeSpan overflowed because the duration is too long."', "OverflowException"),
        ("[timespan]::MaxValue + [timespan]'0:0:1'", 'Exception calling "op_Addition" with "2" '
         'argument(s): "TimeSpan overflowed because the duration is too long."',
         "OverflowException"),
        ("[datetime]::Now + [timespan]::MaxValue", 'Exception calling "op_Addition" with "2" '
         'argument(s): "The added or subtracted value results in an un-representable '
         'DateTime.\r\nParameter name: t"', "ArgumentOutOfRangeException"),
        ("(Get-Date).Add([timespan]::MinValue)", 'Exception calling "Add" with "1" argument(s): '
         '"The added or subtracted value results in an un-representable DateTime.\r\nParameter '
         'name: value"', "ArgumentOutOfRangeException"),
        ("[timespan]::MinValue.Negate()", 'Exception calling "Negate" with "0" argument(s): '
         '"Negating the minimum value of a twos complement number is invalid."',
         "OverflowException"),
        ("([timespan]'0:1').ToString('hh:mm')", 'Exception calling "ToString" with "1" '
         'argument(s): "Input string was not in a correct format."', "FormatException"),
        ("([timespan]'0:1').ToString('h m')", 'Exception calling "ToString" with "1" '
         'argument(s): "Input string was not in a correct format."', "FormatException"),
        ("([timespan]'0:1').ToString('h')", 'Exception calling "ToString" with "1" '
         'argument(s): "Input string was not in a correct format."', "FormatException"),
        # .NET Framework's TimeSpan has no op_Multiply or op_Division (.NET Core added them)
        ("[timespan]'0:1' * 2", "Method invocation failed because [System.TimeSpan] does not "
         "contain a method named 'op_Multiply'.", "MethodNotFound"),
        ("[timespan]'0:1' / 2", "Method invocation failed because [System.TimeSpan] does not "
         "contain a method named 'op_Division'.", "MethodNotFound"),
        ("[timespan]'0:1' -lt 'later'", 'Could not compare "00:01:00" to "later". Error: '
         '"Cannot convert value "later" to type "System.TimeSpan". Error: "String was not '
         'recognized as a valid TimeSpan.""', "ComparisonFailure"),
        ("New-TimeSpan -Start (Get-Date) -Hours 1", "Parameter set cannot be resolved using "
         "the specified named parameters.", "AmbiguousParameterSet"),
        # 5.1's New-TimeSpan has no -Milliseconds (PowerShell 7.3 added it)
        ("New-TimeSpan -Milliseconds 5", "A parameter cannot be found that matches parameter "
         "name 'Milliseconds'.", "NamedParameterNotFound"),
    ],
)  # fmt: skip
def test_what_dotnet_throws_is_reported_as_powershell_does(
    script: str, message: str, error_id: str
) -> None:
    record = only_error(script)
    assert message == record.message
    assert error_id == record.error_id


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("[timespan]'0:5' -gt '00:04:00'", [True]),
        ("[timespan]'0:5' -eq 3000000000", [True]),  # an integer converts as ticks
        ("[timespan]'0:5' -eq 'five'", [False]),  # does not convert: unequal, no error
        ("[timespan]'0:5' -ge [timespan]'0:5'", [True]),
        ("[timespan]'0:5' -gt $null", [True]),
        ("@([timespan]'0:5', [timespan]'0:0:5', [timespan]'1:00') -contains [timespan]'1:0'",
         [True]),
        ("[timespan]'0:5', [timespan]'0:0:5', [timespan]'-1:00' | Sort-Object | % { \"$_\" }",
         ["-01:00:00", "00:00:05", "00:05:00"]),
        ("[timespan]'0:5' -is [timespan]", [True]),
    ],
)  # fmt: skip
def test_timespans_compare_by_ticks(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


def test_sort_object_orders_datetimes_by_time_not_by_text() -> None:
    """Before, Sort-Object compared DateTimes by their text (``MM/dd/yyyy``), so December
    of last year sorted after October of this year; .NET sorts them by IComparable."""
    script = (
        "$n = Get-Date; $d = $n.AddYears(-1), $n.AddDays(-40), $n;"
        " ($d | Sort-Object | % { $_.Ticks }) -join ',';"
        " ($d | % { $_.Ticks }) -join ',';"
        " ($d | Sort-Object -Descending | % { $_.Year })[-1] -eq $n.Year - 1"
    )
    ascending, made, oldest_last = output_of(script)
    assert made == ascending
    assert oldest_last is True


def test_new_timespan() -> None:
    """The "Date" set (End minus Start, each DateTime.Now by default; a DateTime piped in
    is -Start, another object's LastWriteTime or Start property by name) and the "Time"
    set."""
    script = """
        (New-TimeSpan -Hours 1 -Minutes 25).Ticks
        "$(New-TimeSpan)"
        $start = (Get-Date).AddMinutes(-3)
        (New-TimeSpan -Start $start -End $start.AddDays(2)).Days
        (New-TimeSpan $start $start.AddSeconds(-1)).TotalSeconds
        [int](New-TimeSpan -Start $start).TotalMinutes
        [int](New-TimeSpan -End $start).TotalMinutes
        [int]((Get-Date).AddHours(-2) | New-TimeSpan).TotalHours
        [int]([pscustomobject]@{LastWriteTime = (Get-Date).AddDays(-3)} | New-TimeSpan).TotalDays
        (Get-Command New-TimeSpan).ModuleName
    """
    assert [
        51_000_000_000,
        "00:00:00",
        2,
        -1.0,
        3,
        -3,
        2,
        3,
        "Microsoft.PowerShell.Utility",
    ] == output_of(script)


def test_a_timespan_prints_as_5_1_prints_it() -> None:
    """The list view of DotNetTypes.format.ps1xml, as Microsoft's New-TimeSpan example
    prints it (``New-TimeSpan -Hours 1 -Minutes 25``)."""
    (text,) = output_of("New-TimeSpan -Hours 1 -Minutes 25 | Out-String")
    assert [
        "",
        "Days              : 0",
        "Hours             : 1",
        "Minutes           : 25",
        "Seconds           : 0",
        "Milliseconds      : 0",
        "Ticks             : 51000000000",
        "TotalDays         : 0.0590277777777778",
        "TotalHours        : 1.41666666666667",
        "TotalMinutes      : 85",
        "TotalSeconds      : 5100",
        "TotalMilliseconds : 5100000",
        "",
        "",
        "",
    ] == text.split("\r\n")
    assert [text] == output_of("New-TimeSpan -Hours 1 -Minutes 25 | Format-List | Out-String")


def test_a_timespan_table_is_refused_by_name() -> None:
    """5.1 has a table view of TimeSpan the lab does not model: refused, never invented."""
    result = run("New-TimeSpan -Seconds 5 | Format-Table | Out-String")
    assert result.failed is not None
    assert "System.TimeSpan (its table)" in result.failed.message


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("(Get-Date) - 5", "System.DateTime - System.Int32"),
        ("[timespan]'0:1' + 5", "System.TimeSpan + System.Int32"),
        ("New-TimeSpan -Start 'Jan 1 2020'", "reading 'Jan 1 2020' as a DateTime"),
        ("New-TimeSpan -End 5", "New-TimeSpan -End of a System.Int32"),
        ("([timespan]'0:1').ToString('c', $null)", "TimeSpan.ToString with a format provider"),
        ("[timespan]::FromSeconds('soon')", "[timespan]::FromSeconds() of a value that is not"),
        ("[timespan]::TryParse('1', [ref]$null)", "[timespan]::TryParse()"),
    ],
)
def test_what_the_lab_does_not_model_of_timespan_is_refused(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert construct in result.failed.message


def test_convertto_json_writes_doubles_as_javascriptserializer_does() -> None:
    """``ToString("r")`` of .NET Framework: ``5``, not Python's ``5.0``; 17 digits when 15
    do not read back; an upper-case exponent. A TimeSpan is an object of its properties."""
    (text,) = output_of(
        "[ordered]@{a = [double]5; b = 0.1 + 0.2; c = 1/3; d = 1e15; e = 1e-5; f = -2.5}"
        " | ConvertTo-Json -Compress"
    )
    assert (
        '{"a":5,"b":0.30000000000000004,"c":0.33333333333333331,"d":1E+15,"e":1E-05,"f":-2.5}'
    ) == text
    (span,) = output_of("New-TimeSpan -Seconds 5 | ConvertTo-Json -Compress")
    assert span.startswith('{"Ticks":50000000,"Days":0,"Hours":0,"Milliseconds":0,"Minutes":0,')
    assert span.endswith(
        '"TotalMilliseconds":5000,"TotalMinutes":0.083333333333333329,"TotalSeconds":5}'
    )
