"""A DateTime through ConvertTo-Json (5.1's JavaScriptSerializer form) and Write-Host (its
``ToString()``, en-US) in the lab."""

from __future__ import annotations

import datetime
import json

from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps.builtins import _json_text, _json_value
from psrunbook.sim.ps.date_format import ticks_of
from psrunbook.sim.ps.date_values import datetime_value
from tests.unit.sim.lab.scripts import run_on
from tests.unit.sim.ps.test_date_values import START, evening_lab

EVENING_MS = int(datetime.datetime(2026, 12, 3, 23, 10, tzinfo=datetime.UTC).timestamp() * 1000)
EVENING_TEXT = "Thursday, December 3, 2026 11:10:00 PM"


def _run(script: str) -> tuple[list[object], list[object]]:
    result = run_on(evening_lab(), script)
    assert (result.errors, result.failed) == ([], None)
    return result.output, result.information


def test_a_datetime_in_a_property_is_javascriptserializer_s_date():
    """PowerShell PR 11126: 5.1 writes ``"datetime":  "\\/Date(1574202819000)\\/"``."""
    (text,) = _run(START + "[pscustomobject]@{When = $d} | ConvertTo-Json -Compress")[0]
    assert f'{{"When":"\\/Date({EVENING_MS})\\/"}}' == text
    assert {"When": f"/Date({EVENING_MS})/"} == json.loads(str(text))


def test_a_datetime_argument_is_the_bare_date():
    (text,) = _run(START + "ConvertTo-Json $d")[0]
    assert f'"\\/Date({EVENING_MS})\\/"' == text


def test_get_date_is_an_object_with_value_display_hint_and_datetime():
    """5.1 (PowerShell issue 5797, captures): value, the DisplayHint note as its number,
    then types.ps1xml's DateTime script property."""
    (text,) = _run("Get-Date -DisplayHint Date | ConvertTo-Json -Compress")[0]
    data = json.loads(str(text))
    assert ["value", "DisplayHint", "DateTime"] == list(data)
    assert 0 == data["DisplayHint"]
    assert str(text).startswith('{"value":"\\/Date(')


def test_a_piped_datetime_is_wrapped_with_its_datetime_property():
    """UNVERIFIED reading of ConvertToJsonCommand: pipeline input is a PSObject, so the
    Extended DateTime script property is added even without a note."""
    (text,) = _run(START + "$d | ConvertTo-Json")[0]
    expected = (
        f'{{\r\n    "value": "\\/Date({EVENING_MS})\\/",\r\n    "DateTime": "{EVENING_TEXT}"\r\n}}'
    )
    assert expected == text


def test_dates_before_1970_truncate_towards_zero():
    """C#'s long division: 0.9999 ms before the epoch is 0, not -1."""
    just_before = ticks_of(datetime.datetime(1969, 12, 31, 23, 59, 59, 999900))
    data = _json_value(PSHashtable([("d", datetime_value(just_before, "Utc"))]), 0, 2)
    assert '{"d":"\\/Date(0)\\/"}' == _json_text(data, compress=True)
    a_second_before = ticks_of(datetime.datetime(1969, 12, 31, 23, 59, 59))
    data = _json_value(PSHashtable([("d", datetime_value(a_second_before, "Utc"))]), 0, 2)
    assert '{"d":"\\/Date(-1000)\\/"}' == _json_text(data, compress=True)


def test_a_string_is_not_taken_for_a_date():
    data = _json_value(PSObject(properties=PSHashtable([("s", "/Date(5)/")])), 0, 2)
    assert '{"s":"/Date(5)/"}' == _json_text(data, compress=True)


def test_write_host_prints_to_string_in_the_current_culture():
    """WriteHostCommand calls ToString(): en-US, where "$d" is the invariant culture."""
    _, host = _run(
        START
        + "Write-Host $d; Write-Host $d, 'x' -Separator '|'; $d | Write-Host; Write-Host \"$d\""
    )
    assert [
        "12/3/2026 11:10:00 PM",
        "12/3/2026 11:10:00 PM|x",
        "12/3/2026 11:10:00 PM",
        "12/03/2026 23:10:00",
    ] == host
