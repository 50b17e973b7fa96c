"""DateTimes cross the lab's endpoint as Windows sends them, through real pypsrp 0.9.1.

Windows serialises a DateTime as the primitive ``<DT>`` (MS-PSRP 2.2.5.1.4), Get-Date's
inside an ``<Obj>`` beside its DisplayHint note; pypsrp 0.9.1 reads a ``<DT>`` as its
text, so ``Get-Date`` arrives as an object whose one value is that text and a property
as the text itself. The other way, pypsrp 0.9.1 cannot send a DateTime (its ``DT``
writer writes nothing, a ``datetime`` parameter fails in its string writer);
pypsrp 1.0 (psrpcore) and PowerShell send ``<DT>``, so the last test gives 0.9.1's
serializer psrpcore's DateTime text.
"""

from __future__ import annotations

import datetime

import pytest
from pypsrp.complex_objects import GenericComplexObject
from pypsrp.powershell import RunspacePool

from psrunbook.results.plain import plain
from tests.integration.sim.psrpcore_writer import write_as_psrpcore
from tests.integration.sim.simclient import invoke_script

pytestmark = pytest.mark.integration


def test_get_date_arrives_as_its_xsd_datetime_text_and_display_hint(lab_pool: RunspacePool):
    before = datetime.datetime.now(datetime.UTC)
    (value,) = invoke_script(lab_pool, "Get-Date")
    after = datetime.datetime.now(datetime.UTC)
    assert isinstance(value, GenericComplexObject)
    (text,) = value.property_sets
    moment = datetime.datetime.fromisoformat(text)
    assert text.endswith("+00:00")  # DateTime.Now, Kind Local, on a UTC node
    assert before <= moment <= after
    # No adapted members (Day, Hour, Ticks...) and no ToString: only the note.
    assert {} == value.adapted_properties
    assert ["DisplayHint"] == list(value.extended_properties)
    assert "DateTime" == value.extended_properties["DisplayHint"].to_string
    assert text == plain(value)  # psrunbook's own reading of a node's output


def test_a_datetime_property_arrives_as_text(lab_pool: RunspacePool):
    """``(Get-Item C:\\Windows).LastWriteTime`` and LastWriteTimeUtc: bare ``<DT>``s."""
    local, utc, ticks = invoke_script(
        lab_pool,
        "$i = Get-Item C:\\Windows; $i.LastWriteTime; $i.LastWriteTimeUtc; $i.LastWriteTime.Ticks",
    )
    assert isinstance(local, str) and isinstance(utc, str)
    assert local.endswith("+00:00") and utc.endswith("Z")
    parsed = datetime.datetime.fromisoformat(local)
    epoch = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)
    assert ticks // 10 == (parsed - epoch) // datetime.timedelta(microseconds=1)
    assert parsed == datetime.datetime.fromisoformat(utc)

    (item,) = invoke_script(lab_pool, "Get-Item C:\\Windows | Select-Object Name, LastWriteTime")
    assert local == item.extended_properties["LastWriteTime"]


@pytest.mark.parametrize(
    ("sent", "kind", "hour"),
    [
        (datetime.datetime(2020, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC), "Utc", 7),
        (datetime.datetime(2020, 5, 6, 7, 8, 9), "Unspecified", 7),
        (
            datetime.datetime(
                2020, 5, 6, 7, 8, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=-7))
            ),
            "Local",
            14,
        ),
    ],
)
def test_a_datetime_parameter_arrives_as_a_datetime(
    lab_pool: RunspacePool, sent: datetime.datetime, kind: str, hour: int
):
    """``param($d)``: a System.DateTime with its members, Kind as XmlConvert reads it."""
    write_as_psrpcore(lab_pool)
    assert [2020, kind, hour, "System.DateTime", "05/06/2020"] == invoke_script(
        lab_pool,
        "param($d) $d.Year; [string]$d.Kind; $d.Hour; $d.GetType().FullName;"
        " $d.ToString('MM/dd/yyyy')",
        d=sent,
    )
