"""TimeSpans cross the lab's endpoint as Windows sends them, through real pypsrp 0.9.1.

Windows serialises a TimeSpan as the primitive ``<TS>`` (MS-PSRP 2.2.5.1.5), an
``xs:duration`` as ``XmlConvert.ToString(TimeSpan)`` writes it, at any depth; pypsrp
0.9.1 reads a ``<TS>`` as its text. The other way, pypsrp 0.9.1 cannot send a TimeSpan,
so the last test gives its serializer psrpcore's (pypsrp 1.0's) TimeSpan writer, as the
DateTime tests do.
"""

from __future__ import annotations

import datetime

import pytest
from pypsrp.powershell import RunspacePool

from tests.integration.sim.psrpcore_writer import write_as_psrpcore
from tests.integration.sim.simclient import invoke_script

pytestmark = pytest.mark.integration


def test_a_timespan_arrives_as_its_xsd_duration_text(lab_pool: RunspacePool) -> None:
    """Top level and as a property: a bare ``<TS>``, never an object of its members."""
    spans = invoke_script(
        lab_pool,
        "New-TimeSpan -Seconds 90; [timespan]::Zero; [timespan]'1.02:03:04.5';"
        " [timespan]::FromMilliseconds(-1); New-TimeSpan -Days 400",
    )
    assert ["PT1M30S", "PT0S", "P1DT2H3M4.5S", "-PT0.001S", "P400D"] == spans
    (item,) = invoke_script(lab_pool, "[pscustomobject]@{Took = New-TimeSpan -Minutes 2}")
    assert "PT2M" == item.adapted_properties.get("Took", item.extended_properties.get("Took"))


def test_a_timespan_parameter_arrives_as_a_timespan(lab_pool: RunspacePool) -> None:
    """``param($t)``: a System.TimeSpan with its members, to the tick."""
    write_as_psrpcore(lab_pool)
    sent = datetime.timedelta(days=1, hours=2, seconds=3, microseconds=456_789)
    assert ["System.TimeSpan", 1, 2, 936_034_567_890, "1.02:00:03.4567890", "P1DT2H3.456789S"] == (
        invoke_script(
            lab_pool,
            'param($t) $t.GetType().FullName; $t.Days; $t.Hours; $t.Ticks; "$t"; $t',
            t=sent,
        )
    )
