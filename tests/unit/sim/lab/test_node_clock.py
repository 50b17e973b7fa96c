"""A lab node's clock moves on by every Start-Sleep, however little the lab really waits.

The tests' labs wait nothing (``time_scale`` 0) and ``sim serve --time-scale`` shrinks
waits too. Before, ``Get-Date`` read the real time only, so a script waiting for a
deadline (``while ((Get-Date) -lt $deadline) { Start-Sleep 1 }``) looped until the
deadline passed in real time, and a timeout that fires on Windows after 30 seconds of
sleeping never fired in a lab that had slept 300 (psrunbook.sim.ps.node_clock).
"""

from __future__ import annotations

import datetime

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import run_on


def test_a_sleep_the_lab_skips_still_moves_the_clock() -> None:
    before = datetime.datetime.now(datetime.UTC)
    result = run_on(
        sample_lab(),
        "$s = Get-Date; $u = [datetime]::UtcNow; Start-Sleep -Seconds 3600\n"
        "$took = (Get-Date) - $s\n"
        "$took.TotalSeconds -ge 3600; $took.TotalSeconds -lt 3660\n"
        "([datetime]::UtcNow - $u).TotalHours -ge 1\n"
        "(New-TimeSpan -Start $s).TotalMinutes -ge 60\n"
        "(Get-Date).Ticks",
    )
    assert result.failed is None, result.failed
    *checks, ticks = result.output
    assert [True, True, True, True] == checks
    shown = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        microseconds=ticks // 10
    )
    assert shown - before >= datetime.timedelta(hours=1)
    assert datetime.datetime.now(datetime.UTC) - before < datetime.timedelta(minutes=5)


def test_a_deadline_loop_ends_when_windows_would() -> None:
    """Five one-second sleeps reach a deadline five seconds away, as on Windows."""
    result = run_on(
        sample_lab(),
        "$deadline = (Get-Date).AddSeconds(5); $n = 0\n"
        "while ((Get-Date) -lt $deadline) { $n++; Start-Sleep -Seconds 1 }\n"
        "$n",
    )
    assert result.failed is None, result.failed
    assert [5] == result.output
