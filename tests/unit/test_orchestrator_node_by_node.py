"""Steps that need not wait for every node (``Step.waits_for_all_nodes=False``).

Each node goes through such steps on its own: a slow node holds back only itself, a
failure anywhere stops every node from starting a further step, resume re-checks each
node's first unfinished step, and an interrupt journals the step each node is on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from psrunbook.errors import RunInterrupted
from psrunbook.execution import orchestrator
from psrunbook.execution.interrupts import StopSignal
from psrunbook.execution.orchestrator import Runner, RunOptions
from psrunbook.execution.outcome import Status
from psrunbook.inventory import load_inventory
from psrunbook.journal import Journal
from psrunbook.runbook.model import Runbook, Step, Target
from psrunbook.runbook.planner import Plan, build_plan
from psrunbook.templates import TemplateLibrary
from psrunbook.transport.base import FakeSession, RawResult, ScriptCall

WAIT_S = 10.0
"""A guard against a test that would otherwise hang; no test waits this long when it passes."""


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _step(name: str, target: Target = Target.EVERY_NODE, **options: Any) -> Step:
    return Step(
        name,
        f"Greet ({name})",
        "demo/set_greeting.ps1.j2",
        target,
        arguments={"Name": name},
        **options,
    )


def _runbook(*steps: Step) -> Runbook:
    return Runbook(
        name="node-by-node",
        summary="test runbook",
        parameters=_Parameters,
        build_steps=lambda params, inventory: list(steps),
    )


def _result(changed: bool, check: bool) -> RawResult:
    payload = {
        "PSRunbookResult": 1,
        "Changed": changed,
        "CheckOnly": check,
        "Data": json.dumps({"Before": None, "After": "x"}),
    }
    return RawResult(output=[payload], errors=[], had_errors=False)


def _failure() -> RawResult:
    return RawResult(output=[], errors=["it broke"], had_errors=True)


Answer = Callable[[str, ScriptCall], RawResult | None]


@dataclass
class Nodes:
    """Scripted nodes: every call recorded as (node, step name, check only)."""

    answer: Answer | None = None
    calls: list[tuple[str, str, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, node: str, call: ScriptCall) -> RawResult:
        check = bool(call.arguments.get("CheckOnly"))
        with self.lock:
            self.calls.append((node, str(call.arguments["Name"]), check))
        answered = self.answer(node, call) if self.answer is not None else None
        return answered or _result(changed=not check, check=check)

    def of(self, node: str) -> list[tuple[str, bool]]:
        with self.lock:
            return [(step, check) for n, step, check in self.calls if n == node]


@dataclass
class _Transport:
    """Fake sessions whose ``interrupt`` a blocked script can wait for, as a node's would."""

    nodes: Nodes
    interrupted: dict[str, threading.Event] = field(default_factory=dict)

    def open(self, node: str) -> FakeSession:
        event = self.interrupted.setdefault(node, threading.Event())
        session = FakeSession(node=node, user="fake-user", handler=self.nodes)
        session.interrupt = event.set  # type: ignore[method-assign]
        return session


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


def _plan(runbook: Runbook, library: TemplateLibrary, inventory: Path) -> Plan:
    return build_plan(runbook, _Parameters(), load_inventory(inventory), library)


def _run(
    plan: Plan,
    nodes: Nodes,
    journal: Journal,
    library: TemplateLibrary,
    *,
    transport: _Transport | None = None,
    stop: StopSignal | None = None,
    done: dict[int, frozenset[str]] | None = None,
    recheck: bool = False,
    **options: Any,
) -> Any:
    journal.start_run(
        run_id="r1",
        runbook=plan.runbook.name,
        runbook_version="1",
        mode="run",
        parameters={},
        parameters_sha256="p",
        inventory_sha256="i",
        bundle_sha256=None,
        user=None,
    )
    runner = Runner(
        plan,
        transport or _Transport(nodes),
        journal,
        library,
        RunOptions(backoff_s=0, **options),
        stop=stop,
    )
    return runner.run("r1", done=done, recheck_first=recheck)


@pytest.fixture
def library(user_templates: Path) -> TemplateLibrary:
    return TemplateLibrary([user_templates])


def test_a_node_goes_on_to_the_next_step_while_a_slow_node_is_still_on_the_first(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    """SQLNODE2's first step answers only once SQLNODE1 has reached the second step.

    A step that waited for every node would hold SQLNODE1 back until the guard ran out.
    """
    plan = _plan(
        _runbook(_step("one"), _step("two", waits_for_all_nodes=False)),
        library,
        example_inventory_path,
    )
    reached = threading.Event()
    released_by_the_other_node: list[bool] = []

    def answer(node: str, call: ScriptCall) -> RawResult | None:
        if node == "SQLNODE1" and call.arguments["Name"] == "two":
            reached.set()
        if node == "SQLNODE2" and call.arguments["Name"] == "one":
            released_by_the_other_node.append(reached.wait(WAIT_S))
        return None

    nodes = Nodes(answer)
    report = _run(plan, nodes, journal, library)
    assert [True] == released_by_the_other_node
    assert "succeeded" == report.outcome
    assert [("one", False), ("two", False)] == nodes.of("SQLNODE1") == nodes.of("SQLNODE2")
    assert [["SQLNODE1", "SQLNODE2"]] * 2 == [[t.node for t in s.targets] for s in report.steps]
    assert {Status.CHANGED} == {t.status for s in report.steps for t in s.targets}


def test_a_step_that_waits_for_all_nodes_still_waits(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    """The default: no node starts the second step before every node finished the first."""
    plan = _plan(_runbook(_step("one"), _step("two")), library, example_inventory_path)
    nodes = Nodes()
    _run(plan, nodes, journal, library)
    assert ["one", "one", "two", "two"] == [step for _, step, _ in nodes.calls]


def test_a_failure_stops_every_node_from_starting_a_further_step(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    """One node at a time, so the order is fixed: SQLNODE1 fails the first step; SQLNODE2
    still runs the first step (as it would in a step that waits for all), never the second."""
    plan = _plan(
        _runbook(_step("one"), _step("two", waits_for_all_nodes=False), _step("three")),
        library,
        example_inventory_path,
    )
    nodes = Nodes(lambda node, call: _failure() if node == "SQLNODE1" else None)
    report = _run(plan, nodes, journal, library, parallel=1)
    assert [("SQLNODE1", "one", False), ("SQLNODE2", "one", False)] == nodes.calls
    assert ["one"] == [s.planned.step.name for s in report.steps]
    assert [Status.FAILED, Status.CHANGED] == [t.status for t in report.steps[0].targets]
    assert "failed" == report.outcome


def test_continue_on_error_lets_the_node_go_on(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    plan = _plan(
        _runbook(_step("one", continue_on_error=True), _step("two", waits_for_all_nodes=False)),
        library,
        example_inventory_path,
    )
    nodes = Nodes(lambda node, call: _failure() if call.arguments["Name"] == "one" else None)
    report = _run(plan, nodes, journal, library, parallel=1)
    assert [("one", False), ("two", False)] == nodes.of("SQLNODE1") == nodes.of("SQLNODE2")
    assert [Status.CHANGED] * 2 == [t.status for t in report.steps[1].targets]


def test_resume_rechecks_each_nodes_own_first_unfinished_step(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    """SQLNODE1 had finished the first step, SQLNODE2 had not: each is re-checked where it
    stopped, then goes on; nothing done is applied again."""
    plan = _plan(
        _runbook(_step("one"), _step("two", waits_for_all_nodes=False)),
        library,
        example_inventory_path,
    )
    nodes = Nodes()
    report = _run(plan, nodes, journal, library, done={1: frozenset({"SQLNODE1"})}, recheck=True)
    assert [("two", True), ("two", False)] == nodes.of("SQLNODE1")
    assert [("one", True), ("one", False), ("two", False)] == nodes.of("SQLNODE2")
    first = {t.node: t.status for t in report.steps[0].targets}
    assert {"SQLNODE1": Status.DONE_EARLIER, "SQLNODE2": Status.CHANGED} == first
    assert "succeeded" == report.outcome


def test_a_segment_done_earlier_is_reported_as_such(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    plan = _plan(
        _runbook(_step("one"), _step("two", waits_for_all_nodes=False), _step("three")),
        library,
        example_inventory_path,
    )
    both = frozenset({"SQLNODE1", "SQLNODE2"})
    nodes = Nodes()
    report = _run(plan, nodes, journal, library, done={1: both, 2: both}, recheck=True)
    assert [("three", True), ("three", False)] == nodes.of("SQLNODE1")
    assert [Status.DONE_EARLIER] * 2 == [t.status for t in report.steps[1].targets]


def test_an_interrupt_journals_the_step_each_node_is_on(
    library: TemplateLibrary,
    journal: Journal,
    example_inventory_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop while SQLNODE1 is on the second step and SQLNODE2 never answers its first:
    each node's own attempt is journaled as interrupted, under its own step."""
    monkeypatch.setattr(orchestrator, "INTERRUPT_GRACE_S", 0.0)  # leave them behind at once
    plan = _plan(
        _runbook(_step("one"), _step("two", waits_for_all_nodes=False)),
        library,
        example_inventory_path,
    )
    stop = StopSignal()
    release = threading.Event()
    second_node_waits = threading.Event()
    transport: _Transport

    def answer(node: str, call: ScriptCall) -> RawResult | None:
        step = call.arguments["Name"]
        if node == "SQLNODE2" and step == "one":
            second_node_waits.set()
            release.wait(WAIT_S)
        if node == "SQLNODE1" and step == "two":
            # The stop comes once SQLNODE2's first step was sent and waits for an answer.
            assert second_node_waits.wait(WAIT_S)
            stop.request("test")
            transport.interrupted["SQLNODE1"].wait(WAIT_S)
            release.wait(WAIT_S)
            raise RunInterrupted("stopped")
        return None

    nodes = Nodes(answer)
    transport = _Transport(nodes)
    try:
        report = _run(plan, nodes, journal, library, transport=transport, stop=stop)
    finally:
        release.set()
    assert report.interrupted
    by_step = {s.planned.step.name: {t.node: t.status for t in s.targets} for s in report.steps}
    assert {"SQLNODE1": Status.CHANGED, "SQLNODE2": Status.FAILED} == by_step["one"]
    assert {"SQLNODE1": Status.FAILED} == by_step["two"]
    attempts = {(a.step_name, a.node): a.status for a in journal.attempts("r1")}
    assert {
        ("one", "SQLNODE1"): "succeeded",
        ("one", "SQLNODE2"): "failed",
        ("two", "SQLNODE1"): "failed",
    } == attempts


@pytest.mark.parametrize(
    ("steps", "named"),
    [
        ((_step("one"), _step("two", Target.ANY_NODE)), None),
        ((_step("one", serial=True), _step("two", waits_for_all_nodes=False)), "'one'"),
        ((_step("one", Target.ANY_NODE), _step("two", waits_for_all_nodes=False)), "'one'"),
        ((_step("one", waits_for_all_nodes=False),), "first step ('one')"),
    ],
)
def test_a_runbook_that_cannot_go_node_by_node_says_which_step_and_how_to_fix_it(
    steps: tuple[Step, ...], named: str | None
) -> None:
    runbook = _runbook(*steps)
    if named is None:
        assert 2 == len(runbook.steps(_Parameters(), None))  # type: ignore[arg-type]
        return
    with pytest.raises(ValueError, match="waits_for_all_nodes=True") as raised:
        runbook.steps(_Parameters(), None)  # type: ignore[arg-type]
    assert named in str(raised.value)


@pytest.mark.parametrize("target", [Target.ANY_NODE, Target.GROUP_OWNER])
def test_only_an_every_node_step_can_skip_the_wait(target: Target) -> None:
    with pytest.raises(ValueError, match="only an every-node step can do"):
        _step("two", target, waits_for_all_nodes=False, group="Cluster Group")


def _would_change(node: str, call: ScriptCall) -> RawResult | None:
    """SQLNODE2 has something to change; SQLNODE1 has not (its check finds nothing)."""
    if call.arguments.get("CheckOnly") and call.arguments["Name"] == "roll":
        return _result(changed=node == "SQLNODE2", check=True)
    return None


def test_a_rolling_step_is_checked_node_by_node_and_changed_one_node_at_a_time(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    """SQLNODE1 is checked for the rolling step while SQLNODE2 is still on the first step;
    the change waits for both checks and is made only where the check found a difference."""
    plan = _plan(
        _runbook(_step("one"), _step("roll", serial=True, waits_for_all_nodes=False)),
        library,
        example_inventory_path,
    )
    checked = threading.Event()
    released_by_the_other_node: list[bool] = []

    def answer(node: str, call: ScriptCall) -> RawResult | None:
        step = call.arguments["Name"]
        if node == "SQLNODE1" and step == "roll":
            checked.set()
        if node == "SQLNODE2" and step == "one":
            released_by_the_other_node.append(checked.wait(WAIT_S))
        return _would_change(node, call)

    nodes = Nodes(answer)
    report = _run(plan, nodes, journal, library)
    assert [True] == released_by_the_other_node
    assert [("one", False), ("roll", True)] == nodes.of("SQLNODE1")
    assert [("one", False), ("roll", True), ("roll", False)] == nodes.of("SQLNODE2")
    assert ("SQLNODE2", "roll", False) == nodes.calls[-1]  # after both checks
    rolled = {t.node: t.status for t in report.steps[1].targets}
    assert {"SQLNODE1": Status.UNCHANGED, "SQLNODE2": Status.CHANGED} == rolled
    assert "succeeded" == report.outcome


def test_a_failed_step_before_a_rolling_step_changes_nothing(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    """SQLNODE1 fails the first step (a preflight): SQLNODE2 may already have been checked,
    but no node is changed, and a check that would change is not reported as a change."""
    plan = _plan(
        _runbook(_step("one"), _step("roll", serial=True, waits_for_all_nodes=False)),
        library,
        example_inventory_path,
    )

    def answer(node: str, call: ScriptCall) -> RawResult | None:
        if node == "SQLNODE1" and call.arguments["Name"] == "one":
            return _failure()
        return _would_change(node, call)

    nodes = Nodes(answer)
    report = _run(plan, nodes, journal, library)
    assert all(check for _, step, check in nodes.calls if step == "roll")
    assert 1 == report.changed_count  # SQLNODE2's first step only
    assert "failed" == report.outcome
    assert [] == [t for s in report.steps[1:] for t in s.targets if t.status is Status.CHANGED]


def test_a_plan_checks_a_rolling_step_node_by_node_without_a_roll(
    library: TemplateLibrary, journal: Journal, example_inventory_path: Path
) -> None:
    plan = _plan(
        _runbook(_step("one"), _step("roll", serial=True, waits_for_all_nodes=False)),
        library,
        example_inventory_path,
    )
    nodes = Nodes(_would_change)
    report = _run(plan, nodes, journal, library, check_only=True)
    assert [("one", True), ("roll", True)] == nodes.of("SQLNODE1") == nodes.of("SQLNODE2")
    assert "succeeded" == report.outcome
