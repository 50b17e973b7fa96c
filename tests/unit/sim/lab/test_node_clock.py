"""A lab node's clock moves on by every Start-Sleep, however little the lab really waits.

The tests' labs wait nothing (``time_scale`` 0) and ``sim serve --time-scale`` shrinks
waits too. Before, ``Get-Date`` read the real time only, so a script waiting for a
deadline (``while ((Get-Date) -lt $deadline) { Start-Sleep 1 }``) looped until the
deadline passed in real time, and a timeout that fires on Windows after 30 seconds of
sleeping never fired in a lab that had slept 300 (psrunbook.sim.ps.node_clock).
"""

from __future__ import annotations

import datetime

from psrunbook.sim.lab.lab_files import dump, load, sample_lab
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
    """Five ten-minute sleeps reach a deadline fifty minutes away, as on Windows (the
    loop's own real time, far below a sleep, cannot change the count; a clock that
    ignored the sleeps would go round a hundred times, the bound)."""
    result = run_on(
        sample_lab(),
        "$deadline = (Get-Date).AddMinutes(50); $n = 0\n"
        "while ((Get-Date) -lt $deadline -and $n -lt 100) { $n++; Start-Sleep -Seconds 600 }\n"
        "$n",
    )
    assert result.failed is None, result.failed
    assert [5] == result.output


def test_a_stopwatch_times_a_wait_on_the_node_clock() -> None:
    """``[Diagnostics.Stopwatch]``: Start, Stop, Restart, Elapsed and ElapsedMilliseconds
    read when asked; a skipped sleep counts. Refused by name before."""
    result = run_on(
        sample_lab(),
        "$sw = [Diagnostics.Stopwatch]::StartNew(); Start-Sleep -Seconds 2\n"
        "$sw.Elapsed.TotalSeconds -ge 2; $sw.IsRunning\n"
        "$sw.Stop(); $stopped = $sw.ElapsedMilliseconds; Start-Sleep -Seconds 1\n"
        "$sw.IsRunning; $sw.ElapsedMilliseconds -eq $stopped; $stopped -ge 2000\n"
        "$sw.Start(); Start-Sleep -Seconds 1; $sw.ElapsedMilliseconds -ge 3000\n"
        "$sw.Restart(); $sw.Elapsed.TotalSeconds -lt 3; $sw.ElapsedMilliseconds.GetType().Name\n"
        "$idle = New-Object System.Diagnostics.Stopwatch; $idle.IsRunning; $idle.Elapsed.Ticks\n"
        "([Diagnostics.Stopwatch]::new() | Get-Member -MemberType Property | % Name) -join ','",
    )
    assert result.failed is None, result.failed
    assert [
        True,
        True,
        False,
        True,
        True,
        True,
        True,
        "Int64",
        False,
        0,
        "Elapsed,ElapsedMilliseconds,IsRunning",
    ] == result.output


def test_measure_command_times_its_block_in_the_caller_s_scope() -> None:
    """The block's output is thrown away, what it sets stays set, one TimeSpan for all
    the input; a skipped sleep counts."""
    result = run_on(
        sample_lab(),
        "$t = Measure-Command { $x = 5; Start-Sleep -Seconds 3; 'thrown away' }\n"
        "$t.GetType().FullName; $t.TotalSeconds -ge 3; $t.TotalSeconds -lt 60; $x\n"
        "$n = 0; $each = 1..3 | Measure-Command { $n += $_ }; $n; @($each).Count",
    )
    assert result.failed is None, result.failed
    assert ["System.TimeSpan", True, True, 5, 6, 1] == result.output


def test_a_stopwatch_s_timer_ticks_are_refused_by_name() -> None:
    """ElapsedTicks counts the machine's timer, not 100 ns: not modelled."""
    result = run_on(sample_lab(), "[Diagnostics.Stopwatch]::StartNew().ElapsedTicks")
    assert result.failed is not None
    assert "[Diagnostics.Stopwatch].ElapsedTicks" in result.failed.message


def test_what_a_script_writes_is_dated_by_the_clock_get_date_reads() -> None:
    """A file written now is dated now, as Get-Date says, a skipped sleep included;
    what the lab held before it ran dates from its epoch. Before, the lab dated files by
    its virtual seconds from 2026-01-01, so a file written a moment ago looked months old
    to ``(Get-Date) - $file.LastWriteTime``."""
    lab = sample_lab()
    result = run_on(
        lab,
        "$t = Get-Date; Set-Content -Path C:\\fresh.txt -Value x; $f = Get-Item C:\\fresh.txt\n"
        "$f.LastWriteTime -ge $t; ((Get-Date) - $f.LastWriteTime).TotalSeconds -lt 60\n"
        "Start-Sleep -Seconds 600; Set-Content -Path C:\\later.txt -Value y\n"
        "((Get-Item C:\\later.txt).LastWriteTime - $f.LastWriteTime).TotalSeconds -ge 600\n"
        "(Get-Item C:\\Windows).LastWriteTime.Year",
    )
    assert result.failed is None, result.failed
    assert [True, True, True, 2026] == result.output
    assert lab.clock_ahead_s == 600


def test_the_clock_s_lead_is_kept_with_the_saved_lab() -> None:
    lab = sample_lab()
    run_on(lab, "Start-Sleep -Seconds 90; Set-Content -Path C:\\a.txt -Value a")
    again = load(dump(lab))
    assert (90.0, lab.last_stamp) == (again.clock_ahead_s, again.last_stamp)
    assert again.stamp() > lab.last_stamp


def test_an_event_is_generated_at_the_node_s_time() -> None:
    result = run_on(
        sample_lab(),
        "$t = Get-Date; Start-Sleep -Seconds 600\n"
        "$e = New-Event -SourceIdentifier Sim.Tick\n"
        "($e.TimeGenerated - $t).TotalSeconds -ge 600",
    )
    assert result.failed is None, result.failed
    assert [True] == result.output
