"""System.DateTime in the lab: ToString() and -f in en-US, PowerShell's string conversion
in the invariant culture, the DateTime ScriptProperty, Get-Date -DisplayHint and .NET's
date formats (psrunbook.sim.ps.date_format, psrunbook.sim.ps.date_values)."""

from __future__ import annotations

import datetime
import re

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.date_format import (
    INVARIANT,
    DateFormatError,
    Moment,
    format_datetime,
    ticks_of,
)
from psrunbook.sim.ps.date_text import general, long_date, long_time, short_date, short_time
from psrunbook.sim.ps.date_values import datetime_value
from psrunbook.sim.ps.host_types import CULTURE_INFO, culture_info
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from tests.unit.sim.lab.scripts import run_on

EVENING = datetime.datetime(2026, 12, 3, 23, 10, 0)
FRACTION = ticks_of(datetime.datetime(2026, 12, 3, 23, 10, 5, 123456)) + 7
"""23:10:05.1234567, seven digits of fraction."""
SSIS_PID = 1001
"""The running SSIS service's process in the sample lab."""


def evening_lab() -> SimCluster:
    """The sample lab with the SSIS process started on 3 December 2026 at 23:10 (UTC)."""
    lab = sample_lab()
    service = lab.node("NODE1").service("MsDtsServer150")
    assert service is not None and service.pid == SSIS_PID
    start = datetime.datetime(2026, 1, 1)
    service.started = ticks_of(EVENING) - ticks_of(start)
    return lab


def lines(script: str, lab: SimCluster | None = None) -> list[object]:
    result = run_on(lab or evening_lab(), script)
    assert (result.errors, result.failed) == ([], None)
    return result.output


START = f"$d = (Get-Process -Id {SSIS_PID}).StartTime; "


# -- the two cultures of one DateTime ----------------------------------------------------


def test_tostring_is_the_current_culture_en_us_general_pattern() -> None:
    """DateTime.ToString() formats with the current culture, en-US: M/d/yyyy h:mm:ss tt."""
    assert ["12/3/2026 11:10:00 PM"] == lines(START + "$d.ToString()")


@pytest.mark.parametrize(
    "expression", ['"$d"', "[string]$d", '"x" + $d', "@($d, $d) -join ','", '"$($d)"']
)
def test_powershell_string_conversion_is_the_invariant_culture(expression: str) -> None:
    """ToStringParser passes CultureInfo.InvariantCulture: MM/dd/yyyy HH:mm:ss."""
    invariant = "12/03/2026 23:10:00"
    expected = {
        '"x" + $d': "x" + invariant,
        "@($d, $d) -join ','": f"{invariant},{invariant}",
    }.get(expression, invariant)
    assert [expected] == lines(START + expression)


def test_the_format_operator_uses_the_current_culture_and_the_item_format() -> None:
    """-f is string.Format(CultureInfo.CurrentCulture, ...): en-US, and {0:fmt} is the
    DateTime's own format."""
    assert ["12/3/2026 11:10:00 PM", "2026-12-03 23:10", "[ 12/3/2026]"] == lines(
        START + "'{0}' -f $d; '{0:yyyy-MM-dd HH:mm}' -f $d; '[{0,10:d}]' -f $d"
    )


def test_standard_and_custom_formats_of_tostring() -> None:
    assert [
        "12/3/2026",
        "11:10 PM",
        "Thursday, December 3, 2026",
        "11:10:00 PM",
        "2026-12-03T23:10:00.0000000+00:00",
        "2026-12-03 23:10:00",
        "20261203",
    ] == lines(
        START + "$d.ToString('d'); $d.ToString('t'); $d.ToString('D'); $d.ToString('T');"
        "$d.ToString('o'); $d.ToString('yyyy-MM-dd HH:mm:ss'); $d.ToString('yyyyMMdd')"
    )


def test_tostring_with_a_culture_argument() -> None:
    """ToString(provider) and ToString(format, provider): en-US ($Host.CurrentCulture
    through a client's host) or the invariant culture; another culture is refused."""
    to_string = datetime_value(ticks_of(EVENING)).methods["ToString"]
    invariant = PSObject((CULTURE_INFO, "System.Object"), PSHashtable([("Name", "")]))
    assert ["12/3/2026 11:10:00 PM", "12/3/2026", "12/03/2026", "12/3/2026 11:10:00 PM"] == [
        to_string(culture_info()),
        to_string("d", culture_info()),
        to_string("d", invariant),
        to_string(None, None),
    ]
    german = PSObject((CULTURE_INFO, "System.Object"), PSHashtable([("Name", "de-DE")]))
    with pytest.raises(HostMethodRefused):
        to_string("d", german)


def test_a_malformed_format_is_a_method_invocation_exception() -> None:
    """A one-letter format that is no standard format throws .NET's FormatException."""
    result = run_on(evening_lab(), START + "$d.ToString('h'); 'next'")
    assert ["next"] == result.output
    (error,) = result.errors
    assert 'Exception calling "ToString" with "1" argument(s): "Input string was not in a ' \
        'correct format."' == error.message  # fmt: skip
    assert ("FormatException", "System.Management.Automation.MethodInvocationException") == (
        error.error_id,
        error.exception_type,
    )


def test_the_datetime_script_property_and_the_long_texts() -> None:
    assert [
        "Thursday, December 3, 2026 11:10:00 PM",
        "Thursday, December 3, 2026",
        "11:10:00 PM",
        "12/3/2026",
        "11:10 PM",
    ] == lines(
        START + "$d.DateTime; $d.ToLongDateString(); $d.ToLongTimeString();"
        "$d.ToShortDateString(); $d.ToShortTimeString()"
    )


def test_local_and_universal_kinds() -> None:
    """A process's StartTime and a file's LastWriteTime are Local, LastWriteTimeUtc and
    ToUniversalTime() Utc; on the lab's UTC nodes only the Kind differs."""
    assert [
        "Local",
        "Utc",
        True,
        "2026-12-03T23:10:00.0000000Z",
        "Local",
        "Utc",
    ] == lines(
        START + "$u = $d.ToUniversalTime(); $d.Kind; $u.Kind; $u.Ticks -eq $d.Ticks;"
        "$u.ToString('o'); (Get-Item C:\\Windows).LastWriteTime.Kind;"
        "(Get-Item C:\\Windows).LastWriteTimeUtc.Kind"
    )


# -- Get-Date ------------------------------------------------------------------------


def test_get_date_tostring_is_en_us_and_its_string_conversion_invariant() -> None:
    en_us, invariant = lines('$g = Get-Date; $g.ToString(); "$g"')
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d:\d\d [AP]M", str(en_us))
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", str(invariant))


def test_get_date_has_the_datetime_property_and_a_datetime_display_hint() -> None:
    hint, same = lines(
        "$g = Get-Date; $g.DisplayHint; $g.DateTime -ceq ($g.ToLongDateString() + ' ' + "
        "$g.ToLongTimeString())"
    )
    assert PSEnum("Microsoft.PowerShell.Commands.DisplayHintType", "DateTime", 2) == hint
    assert same is True


@pytest.mark.parametrize(("hint", "method"), [("Date", "ToLongDateString"),
                                             ("Time", "ToLongTimeString")])  # fmt: skip
def test_get_date_display_hint_selects_the_datetime_text(hint: str, method: str) -> None:
    name, same = lines(
        f"$g = Get-Date -DisplayHint {hint}; [string]$g.DisplayHint; $g.DateTime -ceq $g.{method}()"
    )
    assert (hint, True) == (name, same)


def test_setting_the_display_hint_changes_the_datetime_property() -> None:
    assert [True] == lines(
        "$g = Get-Date; $g.DisplayHint = 'Date'; $g.DateTime -ceq $g.ToLongDateString()"
    )


def test_get_date_display_hint_shows_in_the_default_view() -> None:
    (text,) = lines("Get-Date -DisplayHint Date | Out-String")
    assert re.fullmatch(r"\r?\n\w+day, \w+ \d{1,2}, \d{4}(\r?\n){3}", str(text))


def test_get_date_rejects_a_display_hint_that_is_no_enum_name() -> None:
    result = run_on(sample_lab(), "Get-Date -DisplayHint Week")
    assert result.failed is not None or result.errors
    record = result.failed or result.errors[0]
    assert record.message == (
        "Cannot bind parameter 'DisplayHint'. Cannot convert value \"Week\" to type "
        '"Microsoft.PowerShell.Commands.DisplayHintType". Error: "Unable to match the '
        "identifier name Week to a valid enumerator name. Specify one of the following "
        'enumerator names and try again:\nDate, Time, DateTime"'
    )


def test_get_date_format_is_en_us_and_a_malformed_one_ends_the_statement() -> None:
    result = run_on(sample_lab(), "Get-Date -Format d; Get-Date -Format h; 'next'")
    short, after = result.output
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", str(short))
    assert "next" == after
    (error,) = result.errors
    assert "System.FormatException,Microsoft.PowerShell.Commands.GetDateCommand" == (
        error.fully_qualified_error_id
    )


# -- the formatter -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("fffffff", "1234567"),
        ("fff", "123"),
        ("FFFFFFF", "1234567"),
        ("ss.FF", "05.12"),
        ("dddd ddd dd d", "Thursday Thu 03 3"),
        ("MMMM MMM MM M", "December Dec 12 12"),
        ("yyyyy yyy yy %y", "02026 2026 26 26"),
        ("hh h HH H tt %t", "11 11 23 23 PM P"),
        ("'Day' d \\a\\t h", "Day 3 at 11"),
        ('"quoted" zzz zz z K', "quoted +00:00 +00 +0 +00:00"),
        ("g", "12/3/2026 11:10 PM"),
        ("gg", "A.D."),
        ("f", "Thursday, December 3, 2026 11:10 PM"),
        ("F", "Thursday, December 3, 2026 11:10:05 PM"),
        ("M", "December 3"),
        ("y", "December 2026"),
        ("r", "Thu, 03 Dec 2026 23:10:05 GMT"),
        ("s", "2026-12-03T23:10:05"),
        ("u", "2026-12-03 23:10:05Z"),
        ("o", "2026-12-03T23:10:05.1234567+00:00"),
    ],
)
def test_dotnet_date_formats(fmt: str, expected: str) -> None:
    assert expected == format_datetime(Moment(FRACTION, "Local"), fmt)


def test_an_empty_f_fraction_drops_the_decimal_point_before_it() -> None:
    assert "23:10:00" == format_datetime(Moment(ticks_of(EVENING)), "HH:mm:ss.FFF")


def test_the_en_us_standard_formats_are_the_texts_of_date_text() -> None:
    moment = Moment(ticks_of(EVENING))
    expected = [short_date(EVENING), long_date(EVENING), short_time(EVENING),
                long_time(EVENING), general(EVENING)]  # fmt: skip
    assert expected == [format_datetime(moment, f) for f in ("d", "D", "t", "T", "G")]


def test_the_invariant_culture() -> None:
    moment = Moment(ticks_of(EVENING))
    assert ["12/03/2026 23:10:00", "12/03/2026", "Thursday, 03 December 2026"] == [
        format_datetime(moment, f, INVARIANT) for f in ("G", "d", "D")
    ]


@pytest.mark.parametrize("fmt", ["h", "x", "%", "%%", "\\", "ffffffff", "'open"])
def test_malformed_formats_are_format_exceptions(fmt: str) -> None:
    with pytest.raises(DateFormatError):
        format_datetime(Moment(ticks_of(EVENING)), fmt)


def test_cultureinfo_statics_name_the_invariant_and_the_current_culture() -> None:
    """``[cultureinfo]::InvariantCulture`` (refused by name before, so scripts writing
    timestamps with ``ToString(fmt, [cultureinfo]::InvariantCulture)`` could not run),
    ``::CurrentCulture`` (the nodes' en-US); another culture stays refused by name."""
    result = run_on(
        evening_lab(),
        START
        + "[cultureinfo]::InvariantCulture.Name; [Globalization.CultureInfo]::InvariantCulture"
        ".LCID; [System.Globalization.CultureInfo]::CurrentCulture.Name;"
        " $d.ToString('G', [cultureinfo]::InvariantCulture);"
        " $d.ToString('d', [cultureinfo]::CurrentCulture)",
    )
    assert result.failed is None, result.failed
    assert ["", 127, "en-US", "12/03/2026 23:10:00", "12/3/2026"] == result.output
    refused = run_on(evening_lab(), "[cultureinfo]::GetCultureInfo('de-DE')")
    assert refused.failed is not None
    assert "UnsupportedConstruct" == refused.failed.error_id
