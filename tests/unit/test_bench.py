"""The benchmarks' own logic: goals, ``--check``, honest peak RSS, counted round trips.

No timing is asserted here (figures on a shared machine are noise); what is tested is
that a figure which misses its goal fails the check, that a figure without a goal can
never be "met", and that the measurements count what they claim to count.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

from bench import evaluator_pipeline, fanout_bound, render_lint
from bench.cli_run import interpreter_start_ms, run_child
from bench.common import PROFILES, Figure, Goal, Profile, Section, absolute_goal, ratio_goal
from bench.cpu_injection import inject
from bench.fanout import ratio_detail
from bench.lab import start_fleet
from bench.naive import POOL_REQUESTS, _round_trips
from bench.own_process import PID_KEY
from bench.render_lint import render_and_lint, work_list
from bench.run import check, missed, results
from psrunbook import lint
from psrunbook.templates import TemplateLibrary

ROOT = Path(__file__).resolve().parents[2]
SMOKE = Profile("test", 1, 1, 1, (1,), 1, 0.0, 1, 1, warmup=0)


def _document(*figures: Figure) -> dict[str, Any]:
    return results([Section("test", list(figures))], SMOKE, {"commit": "test"})


def test_a_figure_without_a_goal_is_never_met_nor_checked() -> None:
    figure = Figure("info_ratio", "information only", 99.0, "x")
    assert figure.met is None
    assert figure.checked is False
    document = _document(figure)
    assert document["figures"]["info_ratio"]["met"] is None
    assert document["figures"]["info_ratio"]["goal"] is None
    assert missed(document) == []


def test_a_ratio_that_misses_its_goal_fails_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    document = _document(
        Figure("fanout_ratio_32_1", "fan-out", 3.0, "x", ratio_goal("<=", 1.5)),
        Figure("good_ratio", "fine", 1.0, "x", ratio_goal("<=", 1.05)),
    )
    assert document["figures"]["fanout_ratio_32_1"]["met"] is False
    assert document["figures"]["good_ratio"]["met"] is True
    assert missed(document) == ["fanout_ratio_32_1 = 3 x, goal <= 1.5"]
    assert check(document) == 1
    assert "fanout_ratio_32_1" in capsys.readouterr().out


def test_an_absolute_time_that_misses_its_goal_is_reported_not_checked() -> None:
    document = _document(Figure("help_ms", "help", 400.0, "ms", absolute_goal("<=", 150)))
    assert document["figures"]["help_ms"]["met"] is False
    assert document["figures"]["help_ms"]["checked"] is False
    assert check(document) == 0


def test_the_check_recomputes_the_verdict_instead_of_trusting_met() -> None:
    document = _document(Figure("r", "r", 3.0, "x", ratio_goal("<=", 1.5)))
    document["figures"]["r"]["met"] = True  # a hand-edited or stale verdict
    assert missed(document) == ["r = 3 x, goal <= 1.5"]


@pytest.mark.parametrize(("op", "value", "met"), [(">=", 0.95, True), (">=", 0.94, False)])
def test_goal_operators_include_the_bound(op: str, value: float, met: bool) -> None:
    assert Goal(op, 0.95, checked=True).met_by(value) is met


def test_an_unknown_goal_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="goal operator"):
        Goal("~", 1.0, checked=True)


def _run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_check_file_exits_1_on_a_missed_ratio_and_0_when_all_are_met(tmp_path: Path) -> None:
    failing = tmp_path / "failing.json"
    failing.write_text(
        json.dumps(_document(Figure("fanout_ratio_32_1", "f", 3.0, "x", ratio_goal("<=", 1.5))))
    )
    passing = tmp_path / "passing.json"
    passing.write_text(
        json.dumps(
            _document(
                Figure("fanout_ratio_32_1", "f", 1.4, "x", ratio_goal("<=", 1.5)),
                Figure("help_ms", "h", 900.0, "ms", absolute_goal("<=", 150)),
            )
        )
    )
    done = _run_cli("--check-file", str(failing))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "fanout_ratio_32_1" in done.stdout
    done = _run_cli("--check-file", str(passing))
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_file_names_the_file_and_the_fix_on_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps({"fanout_ratio_32_1": 3.0}))  # the format before goals
    done = _run_cli("--check-file", str(bad))
    assert done.returncode == 2
    assert str(bad) in done.stdout and "bench/run.py" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_the_machines_speed_is_a_real_interpreter_start(tmp_path: Path) -> None:
    """The probe starts the interpreter once per sample and reads the wall time it took:
    an interpreter that cannot start in under 50 ms reads at least 50 ms."""
    starts = tmp_path / "starts"
    slow = tmp_path / "slow-python"
    slow.write_text(f'#!/bin/sh\necho "$@" >> {starts}\nsleep 0.05\nexec {sys.executable} "$@"\n')
    slow.chmod(0o755)
    assert interpreter_start_ms(str(slow), samples=3) >= 50
    assert starts.read_text().splitlines() == ["-c pass"] * 3


def test_a_missed_check_names_the_machines_speed_in_those_minutes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = _document(Figure("fanout_ratio_64_1", "f", 2.3, "x", ratio_goal("<=", 2.0)))
    document["interpreter_start_ms"] = {"start": 31.4, "end": 12.2}
    assert check(document) == 1
    out = capsys.readouterr().out
    assert "fanout_ratio_64_1" in out
    assert "took 31 ms at the start, 12 ms at the end" in out
    del document["interpreter_start_ms"]  # a results file written before the probe
    assert check(document) == 1
    assert "python -c pass" not in capsys.readouterr().out


def test_check_refuses_smoke_figures() -> None:
    done = _run_cli("--smoke", "--check")
    assert done.returncode == 2
    assert "--smoke" in done.stderr


def test_a_child_reports_its_own_peak_rss_not_its_parents() -> None:
    """Started from a 200 MiB parent, ``python -c pass`` must still read about 10 MiB."""
    parent = textwrap.dedent(
        """
        import json, sys
        ballast = bytearray(200 * 1024 * 1024)
        for index in range(0, len(ballast), 4096):
            ballast[index] = 1
        from bench.cli_run import interpreter_start_ms, run_child
        child = run_child([sys.executable, "-c", "pass"])
        print(json.dumps({"peak": child.peak_rss_mb, "floor": child.floor_mb}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, check=True, cwd=ROOT
    )
    usage = json.loads(done.stdout)
    assert usage["peak"] < 64, usage
    assert usage["floor"] < 64, usage


def test_a_child_writes_bytecode_caches_as_a_users_interpreter_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``PYTHONDONTWRITEBYTECODE`` of this environment is not passed to a timed child."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    child = run_child(
        [sys.executable, "-c", "import sys; print(sys.dont_write_bytecode)"],
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert "False" == child.output.strip()


def test_a_failing_child_is_an_error_with_its_output() -> None:
    with pytest.raises(RuntimeError, match="exited with 3"):
        run_child([sys.executable, "-c", "print('why'); raise SystemExit(3)"])


def test_round_trips_count_the_pool_so_a_pool_per_step_shows() -> None:
    """Today's psrunbook run costs 2 a step plus one pool; a pool per step costs 5 a step."""
    fleet, lab = start_fleet(1, 0.0, "2019")
    node = lab.facts["nodes"][0]

    def pool_per_step() -> None:
        for _ in range(2):
            with RunspacePool(lab.wsman(node)) as pool:
                ps = PowerShell(pool)
                ps.add_script("'ok'")
                ps.invoke()

    with fleet:
        counted = _round_trips(lab, node, pool_per_step, 2)
    assert counted["pools"] == 2
    assert counted["total"] == 2 + POOL_REQUESTS
    assert not ratio_goal("<=", (2 * 2 + POOL_REQUESTS) / 2).met_by(counted["total"])


def test_uncached_render_and_lint_lints_every_script_again() -> None:
    library = TemplateLibrary()
    items = work_list()[:2] * 2  # the same scripts twice: a cache would answer the repeat
    render_and_lint(library, items)
    assert lint._findings.cache_info().hits >= 2  # cached: the repeats are answered
    render_and_lint(library, items, uncached=True)
    after = lint._findings.cache_info()
    # Cleared before every script: no script was answered from the cache.
    assert (after.hits, after.misses, after.currsize) == (0, 1, 1)


def test_a_fanout_ratio_names_the_simulators_cpu_beside_the_clients() -> None:
    """The simulator serves every node from one process: its CPU is half of the story."""
    detail = ratio_detail(
        1,
        32,
        wall={1: 0.77, 32: 1.68},
        client_cpu={1: 0.55, 32: 1.24},
        simulator_cpu={1: 0.04, 32: 0.83},
    )
    assert "1: 0.77 s, 32: 1.68 s; client CPU 0.55 s / 1.24 s" in detail
    assert "simulator CPU 0.04 s / 0.83 s" in detail


def test_the_lint_figure_shows_what_tree_sitters_parse_alone_costs() -> None:
    """The part of a lint no rule can make cheaper is measured beside it, on the same
    texts: a reader sees how far the linter is from its floor."""
    section = render_lint.measure_here(replace(PROFILES["smoke"], render_seconds=0.02))
    lint_figure = next(f for f in section.figures if f.key == "lint_distinct_per_s")
    parse_rates = section.raw["tree_sitter_parse_per_s"]
    assert len(parse_rates) == 2 and all(r > 0 for r in parse_rates)
    assert "tree-sitter's parse alone" in lint_figure.detail
    assert render_lint.parse_rate(["Get-Item a\n"], 0.001) > 0


@pytest.mark.parametrize("module", [render_lint, evaluator_pipeline])
def test_in_process_work_is_measured_in_a_process_of_its_own(module: ModuleType) -> None:
    """Render + lint and the evaluator measure in a child interpreter, as a ``plan`` or a
    simulated node works in its own process, not under the heap earlier sections left;
    the figures come back whole (goals included)."""
    profile = replace(PROFILES["smoke"], render_seconds=0.02)
    section = module.measure(profile)
    assert section.raw[PID_KEY] != os.getpid()
    assert section.figures and all(f.value > 0 for f in section.figures)
    here = module.measure_here(profile)
    assert [(f.key, f.label, f.unit, f.goal) for f in here.figures] == [
        (f.key, f.label, f.unit, f.goal) for f in section.figures
    ]


@pytest.mark.parametrize(
    ("side", "owner", "method"),
    [
        ("client", "psrunbook.transport.direct_http:DirectSender", "send"),
        ("simulator", "psrunbook.sim.endpoint.http_server:SimEndpoint", "_answer"),
    ],
)
def test_cpu_injection_spends_cpu_before_each_request_on_its_side(
    side: str, owner: str, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``bench.fanout_bound``'s tool: the named side's request method first spends the
    CPU asked for, in this thread, then does what it did."""
    module, _, name = owner.partition(":")
    cls = getattr(importlib.import_module(module), name)
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(cls, method, lambda *args: calls.append(args) or "answer")
    inject(side, 0.02)
    started = time.thread_time()
    assert "answer" == getattr(cls, method)("self", b"request")
    assert time.thread_time() - started >= 0.02
    assert [("self", b"request")] == calls


def test_cpu_injection_refuses_an_unknown_side() -> None:
    with pytest.raises(ValueError, match="client, simulator"):
        inject("server", 0.001)


@pytest.mark.parametrize(
    "arguments", [["--nodes", "1"], ["--inject-us", "0"], ["--rounds", "0"]]
)
def test_fanout_bound_refuses_what_it_cannot_measure(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """One node against one node, or nothing injected, would print ratios of nothing."""
    with pytest.raises(SystemExit) as exited:
        fanout_bound.main(arguments)
    assert 2 == exited.value.code
    assert "--nodes must be at least 2" in capsys.readouterr().err
