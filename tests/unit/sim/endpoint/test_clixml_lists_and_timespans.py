"""The endpoint's CLIXML of a TimeSpan (``<TS>``, MS-PSRP 2.2.5.1.5) and of an ArrayList or
List[T] (its own type name in ``<TN>``), both ways where a client can send one."""

from __future__ import annotations

import datetime
from xml.etree import ElementTree

import pytest
from psrpcore.types import PSDuration, deserialize

from psrunbook.sim.endpoint.clixml import ClixmlWriter, fresh_copy, from_psrp
from psrunbook.sim.objects import PSChar, PSHashtable, PSObject, TypedArray
from psrunbook.sim.ps.dotnet_lists import new_list
from psrunbook.sim.ps.timespan_values import timespan_value
from psrunbook.sim.timespan_wire import timespan_ticks, wire_text

DAY = 864_000_000_000


def _xml(value: object, name: str | None = None, depth: int = 1) -> str:
    writer = ClixmlWriter()
    writer.value(value, name, depth)
    return writer.getvalue().decode()


@pytest.mark.parametrize(
    ("ticks", "text"),
    [
        (0, "PT0S"),
        (1, "PT0.0000001S"),
        (15_000_000, "PT1.5S"),
        (900_000_000, "PT1M30S"),
        (DAY, "P1D"),
        (400 * DAY, "P400D"),  # days are never folded into months
        (DAY + 36_000_000_000 + 40_000_000, "P1DT1H4S"),
        (-10_000, "-PT0.001S"),
        (2**63 - 1, "P10675199DT2H48M5.4775807S"),  # TimeSpan.MaxValue
    ],
)
def test_a_timespan_is_xmlconvert_s_duration(ticks: int, text: str) -> None:
    assert text == wire_text(ticks)
    assert f"<TS>{text}</TS>" == _xml(timespan_value(ticks))
    assert f"<TS>{text}</TS>" == _xml(timespan_value(ticks), depth=0)


def test_a_timespan_property_is_a_named_ts() -> None:
    item = PSObject(properties=PSHashtable([("Took", timespan_value(900_000_000))]))
    assert '<TS N="Took">PT1M30S</TS>' in _xml(item)


def test_a_timespan_a_client_sends_is_the_lab_s_to_the_tick() -> None:
    """psrpcore's PSDuration keeps nanoseconds: they count to the 100 ns tick."""
    sent = deserialize(ElementTree.fromstring("<TS>-P1DT2H3.4567891S</TS>"), None)
    assert isinstance(sent, PSDuration)
    made = from_psrp(sent)
    expected = -(DAY + 72_000_000_000 + 34_567_891)
    assert expected == timespan_ticks(made)
    assert "-1.02:00:03.4567891" == str(made)
    assert expected == timespan_ticks(fresh_copy(made))
    # a plain timedelta (microseconds) as well
    assert -9_999_950 == timespan_ticks(from_psrp(datetime.timedelta(seconds=-1, microseconds=5)))
    # exact however long (integers, never a float's 53 bits): a million days back
    far = datetime.timedelta(days=-1_000_000, microseconds=-7)
    assert -(1_000_000 * DAY + 70) == timespan_ticks(from_psrp(far))


def test_a_list_keeps_its_type_name() -> None:
    """Windows writes an ArrayList as ``<Obj><TN>System.Collections.ArrayList,
    System.Object</TN><LST>``, not as the Object[] an array is."""
    listed = new_list("System.Collections.ArrayList", [[1, "two"]])
    assert listed is not None
    assert (
        '<Obj RefId="0"><TN RefId="0"><T>System.Collections.ArrayList</T><T>System.Object</T>'
        "</TN><LST><I32>1</I32><S>two</S></LST></Obj>"
    ) == _xml(listed)
    typed = new_list("System.Collections.Generic.List[string]", [])
    assert typed is not None
    assert "<T>System.Collections.Generic.List`1[[System.String, mscorlib, " in _xml(typed)
    assert "<T>System.Object[]</T>" in _xml([1, "two"])


def test_a_char_is_its_utf16_code() -> None:
    """MS-PSRP 2.2.5.1.2: ``<C>97</C>``, which pypsrp reads back as the character."""
    assert '<C N="First">97</C>' == _xml(PSChar("a"), "First")


def test_a_typed_array_keeps_its_type_name() -> None:
    """A String[] (a ``[string[]]`` cast, ``-split``) is written with its own type names,
    as Windows' serializer writes an array's (``System.String[]``, ``System.Array``);
    pypsrp reads it as a list either way."""
    assert (
        '<Obj RefId="0"><TN RefId="0"><T>System.String[]</T><T>System.Array</T>'
        "<T>System.Object</T></TN><LST><S>a</S></LST></Obj>"
    ) == _xml(TypedArray(["a"], element="System.String"))
