"""A DateTime's en-US texts (psrunbook.sim.ps.date_text): .NET's en-US patterns."""

from __future__ import annotations

import datetime

import hypothesis
import pytest
from hypothesis import strategies as st

from psrunbook.sim import date_wire
from psrunbook.sim.lab.cluster_objects import lab_date
from psrunbook.sim.ps.builtins import date_object
from psrunbook.sim.ps.date_format import INVARIANT, Moment, format_datetime
from psrunbook.sim.ps.date_text import (
    date_moment,
    general,
    invariant_general,
    long_date,
    long_time,
    short_date,
    short_time,
)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (
            datetime.datetime(2019, 3, 18, 23, 46),
            ("3/18/2019", "11:46 PM", "3/18/2019 11:46:00 PM"),
        ),
        (datetime.datetime(2026, 1, 1, 0, 5, 9), ("1/1/2026", "12:05 AM", "1/1/2026 12:05:09 AM")),
        (datetime.datetime(2026, 7, 4, 12, 0, 0), ("7/4/2026", "12:00 PM", "7/4/2026 12:00:00 PM")),
    ],
)
def test_short_date_short_time_and_general(
    moment: datetime.datetime, expected: tuple[str, str, str]
) -> None:
    """No leading zeros on month, day or hour; 0 h is 12 AM and 12 h is 12 PM."""
    assert expected == (short_date(moment), short_time(moment), general(moment))


def test_long_date_and_long_time() -> None:
    moment = datetime.datetime(2026, 12, 3, 23, 10, 0)
    assert ("Thursday, December 3, 2026", "11:10:00 PM") == (long_date(moment), long_time(moment))


def test_both_kinds_of_lab_datetime_give_their_moment() -> None:
    """The cluster model's DateTime by its Ticks, Get-Date's by its parts; nothing else."""
    moment = datetime.datetime(2026, 12, 3, 23, 10, 0, 123000)
    assert moment == date_moment(date_object(moment))
    assert datetime.datetime(2026, 1, 1, 0, 0, 1) == date_moment(lab_date(10_000_000))
    assert date_moment("12/03/2026 23:10:00") is None


@hypothesis.given(
    ticks=st.integers(min_value=0, max_value=date_wire.ticks_of(datetime.datetime(9999, 12, 31))),
)
def test_invariant_general_is_the_formatters_invariant_g(ticks: int) -> None:
    """The written-out ``MM/dd/yyyy HH:mm:ss`` every lab DateTime carries is what the
    pattern formatter gives for "G" in the invariant culture, for any moment (years
    below 1000 included: ``yyyy`` pads to four digits)."""
    moment = Moment(ticks, "Utc")
    assert format_datetime(moment, "G", INVARIANT) == invariant_general(moment.wall)
