"""A DateTime on the PSRP wire as Windows sends and reads it (psrunbook.sim.date_wire):
a ``<DT>`` primitive, Get-Date's inside an ``<Obj>`` with its DisplayHint note, and a
``<DT>`` the client sends made the lab's own DateTime again."""

from __future__ import annotations

import datetime
import re
from xml.etree import ElementTree

import pytest
from psrpcore.types import deserialize
from pypsrp.complex_objects import GenericComplexObject
from pypsrp.serializer import Serializer

from psrunbook.sim import date_wire
from psrunbook.sim.date_wire import TYPE_MEMBERS, python_wire_text, wire_text
from psrunbook.sim.endpoint.clixml import ClixmlWriter, fresh_copy, from_psrp
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.date_format import Moment, datetime_moment, ticks_of
from psrunbook.sim.ps.date_values import datetime_value, display_hint

# 2017-03-17T00:00:00.3522798-07:00, the Windows capture's Get-Date, on a UTC node.
CAPTURED = ticks_of(datetime.datetime(2017, 3, 17, 7, 0, 0, 352279)) + 8
DISPLAY_HINT_OBJ = (
    '<Obj N="DisplayHint" RefId="1"><TN RefId="0">'
    "<T>Microsoft.PowerShell.Commands.DisplayHintType</T><T>System.Enum</T>"
    "<T>System.ValueType</T><T>System.Object</T></TN>"
    "<ToString>DateTime</ToString><I32>2</I32></Obj>"
)
NEW_YEAR = ticks_of(datetime.datetime(2026, 1, 1))


def _xml(value: object, name: str | None = None, depth: int = 1) -> str:
    writer = ClixmlWriter()
    writer.value(value, name, depth)
    return writer.getvalue().decode()


def _incoming(xml: str) -> object:
    """What the endpoint makes of a value a client sent: psrpcore's decoding, converted."""
    return from_psrp(deserialize(ElementTree.fromstring(xml), None))


# -- the text: XmlConvert.ToString(value, RoundtripKind) ---------------------------------


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (Moment(CAPTURED, "Local"), "2017-03-17T07:00:00.3522798+00:00"),
        (Moment(NEW_YEAR, "Local"), "2026-01-01T00:00:00+00:00"),
        (Moment(NEW_YEAR, "Utc"), "2026-01-01T00:00:00Z"),
        (Moment(NEW_YEAR, "Unspecified"), "2026-01-01T00:00:00"),
        (Moment(NEW_YEAR + 1_200_000, "Utc"), "2026-01-01T00:00:00.12Z"),
        (Moment(NEW_YEAR + 1, "Local"), "2026-01-01T00:00:00.0000001+00:00"),
        (Moment(ticks_of(datetime.datetime(33, 2, 3, 4, 5, 6)), "Utc"), "0033-02-03T04:05:06Z"),
    ],
)
def test_text_is_xsd_datetime_with_trailing_fraction_zeros_dropped(moment, text):
    """Seven fraction digits at most, none when the fraction is zero, then Z for Utc,
    the offset (+00:00 on the lab's UTC nodes) for Local, nothing for Unspecified."""
    assert text == wire_text(moment.ticks, moment.kind)


def test_a_python_now_is_kind_local():
    """DateTime.Now stand-ins (TimeGenerated, history times) are Local: +00:00."""
    now = datetime.datetime(2026, 5, 1, 12, 0, 0, 250000, tzinfo=datetime.UTC)
    assert "2026-05-01T12:00:00.25+00:00" == python_wire_text(now)
    assert "2026-05-01T12:00:00" == python_wire_text(datetime.datetime(2026, 5, 1, 12))


def test_type_members_are_the_lab_datetime_s_non_note_properties():
    """Only what is not one of the type's members travels as a note."""
    members = {key.casefold() for key in datetime_value(NEW_YEAR).properties}
    assert TYPE_MEMBERS == members


# -- written: a primitive known type -------------------------------------------------------


def test_get_date_is_the_dt_in_an_obj_with_its_display_hint():
    """The Windows capture's shape exactly: no TN, no ToString, no adapted members."""
    get_date = datetime_value(CAPTURED, "Local", display_hint("DateTime"))
    expected = (
        '<Obj RefId="0"><DT>2017-03-17T07:00:00.3522798+00:00</DT><MS>'
        + DISPLAY_HINT_OBJ
        + "</MS></Obj>"
    )
    assert expected == _xml(get_date)


def test_a_datetime_without_notes_is_a_bare_dt():
    assert "<DT>2026-01-01T00:00:00+00:00</DT>" == _xml(datetime_value(NEW_YEAR))
    assert "<DT>2026-01-01T00:00:00Z</DT>" == _xml(datetime_value(NEW_YEAR, "Utc"))


def test_a_datetime_property_is_a_named_dt_at_any_depth():
    """A primitive known type is never turned into its string by the depth."""
    item = PSObject(
        type_names=("T.Item", "System.Object"),
        properties=PSHashtable(
            [
                ("LastWriteTime", datetime_value(NEW_YEAR)),
                ("Times", [datetime_value(NEW_YEAR, "Utc")]),
            ]
        ),
        to_string="item",
    )
    xml = _xml(item)
    assert '<MS><DT N="LastWriteTime">2026-01-01T00:00:00+00:00</DT>' in xml
    assert "<LST><DT>2026-01-01T00:00:00Z</DT></LST>" in xml
    assert "Day" not in xml and "DayOfWeek" not in xml
    assert '<DT N="When">2026-01-01T00:00:00Z</DT>' == _xml(
        datetime_value(NEW_YEAR, "Utc"), "When", depth=0
    )


def test_get_date_in_a_property_keeps_its_note():
    """WritePrimitiveTypePSObjectWithNotes ignores the depth: a DateTime with notes in a
    property (depth 0) is still the <DT> in an <Obj> with its notes. (How the note itself
    is written at depth 0 is the writer's rule for any value there.)"""
    holder = PSObject(
        properties=PSHashtable([("When", datetime_value(NEW_YEAR, "Local", display_hint("Date")))])
    )
    xml = _xml(holder)
    assert re.search(
        r'<Obj N="When" RefId="1"><DT>2026-01-01T00:00:00\+00:00</DT><MS>'
        r'<[A-Za-z]+ N="DisplayHint"[^>]*>.*</MS></Obj>',
        xml,
    )


def test_an_information_record_s_time_is_local():
    """pypsrp's recording: <DT N="TimeGenerated">2018-06-13T23:45:29.4583203+00:00</DT>."""
    writer = ClixmlWriter()
    writer.information_record("hello", user="u", computer="c")
    xml = writer.getvalue().decode()
    assert re.search(r'<DT N="TimeGenerated">[-0-9]{10}T[:0-9]{8}(\.\d{1,7})?\+00:00</DT>', xml)


def test_pypsrp_0_9_1_reads_the_wire_form():
    """A bare <DT> is its text; Get-Date's object has the text as its only value and the
    DisplayHint note, no Day/Hour/Ticks."""
    serializer = Serializer()
    assert "2026-01-01T00:00:00Z" == serializer.deserialize(_xml(datetime_value(NEW_YEAR, "Utc")))
    got = serializer.deserialize(_xml(datetime_value(CAPTURED, "Local", display_hint("DateTime"))))
    assert isinstance(got, GenericComplexObject)
    assert ["2017-03-17T07:00:00.3522798+00:00"] == got.property_sets
    assert {} == got.adapted_properties
    assert ["DisplayHint"] == list(got.extended_properties)
    assert "DateTime" == got.extended_properties["DisplayHint"].to_string


# -- read: the lab's DateTime again ----------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "ticks", "kind"),
    [
        ("<DT>2026-01-01T00:00:00Z</DT>", NEW_YEAR, "Utc"),
        ("<DT>2026-01-01T00:00:00</DT>", NEW_YEAR, "Unspecified"),
        # An offset is converted to the node's local time (UTC) and is Kind Local.
        ("<DT>2025-12-31T17:00:00.0000001-07:00</DT>", NEW_YEAR + 1, "Local"),
        ("<DT>2017-03-17T00:00:00.3522798-07:00</DT>", CAPTURED, "Local"),
    ],
)
def test_an_incoming_dt_is_a_lab_datetime(xml, ticks, kind):
    """XmlConvert.ToDateTime(text, RoundtripKind): its members and methods all work."""
    value = _incoming(xml)
    assert isinstance(value, PSObject)
    assert Moment(ticks, kind) == datetime_moment(value)
    assert value.properties["Year"] in (2017, 2026)
    assert "DisplayHint" not in value.properties
    assert value.methods["ToString"]() == value.methods["ToString"]("G")


def test_plus_zero_offset_reads_as_utc():
    """psrpcore decodes Z and +00:00 alike: the lab reads both as Utc (Windows: +00:00 is
    Local); the ticks are the same on the lab's UTC nodes."""
    assert Moment(NEW_YEAR, "Utc") == datetime_moment(
        _incoming("<DT>2026-01-01T00:00:00+00:00</DT>")
    )


def test_an_incoming_get_date_keeps_its_display_hint_and_other_notes():
    xml = (
        '<Obj RefId="0"><DT>2017-03-17T00:00:00.3522798-07:00</DT><MS>'
        + DISPLAY_HINT_OBJ.replace(
            "<ToString>DateTime</ToString><I32>2", "<ToString>Date</ToString><I32>0"
        )
        + '<S N="Note">kept</S></MS></Obj>'
    )
    value = _incoming(xml)
    assert isinstance(value, PSObject)
    assert Moment(CAPTURED, "Local") == datetime_moment(value)
    assert (
        PSEnum("Microsoft.PowerShell.Commands.DisplayHintType", "Date", 0)
        == value.properties["DisplayHint"]
    )
    assert "kept" == value.properties["Note"]
    assert "Friday, March 17, 2017" == value.properties["DateTime"]


def test_a_pipeline_s_copy_of_an_incoming_get_date_is_its_own():
    """Setting the copy's DisplayHint changes the copy's DateTime text, not the original's."""
    original = _incoming(
        '<Obj RefId="0"><DT>2017-03-17T00:00:00.3522798-07:00</DT><MS>'
        + DISPLAY_HINT_OBJ
        + "</MS></Obj>"
    )
    assert isinstance(original, PSObject)
    copy = fresh_copy(original)
    copy.properties["DisplayHint"] = copy.setters["DisplayHint"]("Time")
    assert "7:00:00 AM" == copy.properties["DateTime"]
    assert "Friday, March 17, 2017 7:00:00 AM" == original.properties["DateTime"]
    assert datetime_moment(copy) == datetime_moment(original)


def test_written_then_read_keeps_ticks_and_notes():
    get_date = datetime_value(CAPTURED, "Utc", display_hint("Time"))
    value = _incoming(_xml(get_date))
    assert isinstance(value, PSObject)
    assert datetime_moment(get_date) == datetime_moment(value)
    assert get_date.properties == value.properties


def test_before_the_language_is_loaded_an_incoming_datetime_goes_back_as_it_came(
    monkeypatch: pytest.MonkeyPatch,
):
    """An endpoint that only speaks the protocol (no DateTime maker registered) keeps the
    ticks, Kind and notes, and writes them as they came."""
    monkeypatch.setattr(date_wire, "_factory", [])
    sent = '<Obj RefId="0"><DT>2026-01-01T00:00:00.5Z</DT><MS><S N="Note">n</S></MS></Obj>'
    value = _incoming(sent)
    assert isinstance(value, PSObject)
    assert "Ticks" in value.properties and "Day" not in value.properties
    assert sent == _xml(value)
