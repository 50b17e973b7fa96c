"""The orchestrator over the fake transport: order, parallel targets, failure, retry, resume."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import msgspec
import pytest
import structlog.testing
from msgspec.structs import replace
from pydantic import ConfigDict

from psrunbook.errors import ConnectionFailed, RunInterrupted, WSManFault
from psrunbook.execution import orchestrator as orchestrator_module
from psrunbook.execution.interrupts import StopSignal
from psrunbook.execution.left_running import LeftPipeline, left_by_other_runs
from psrunbook.execution.orchestrator import Runner, RunOptions
from psrunbook.execution.outcome import Status
from psrunbook.inventory import load_inventory
from psrunbook.journal import Journal
from psrunbook.lint import lint_script
from psrunbook.results import StepError
from psrunbook.runbook.model import StepResult, Target
from psrunbook.runbook.parameters import validate_parameters
from psrunbook.runbook.planner import OWNER_PROBE, Plan, build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.templates import TemplateLibrary
from psrunbook.transport.base import (
    FakeSession,
    FakeTransport,
    PipelineRef,
    RawResult,
    ScriptCall,
    Settlement,
)

_T = TypeVar("_T")


def result(changed: bool, data: dict[str, Any] | None = None, check: bool = False) -> RawResult:
    """What a real script's single result object looks like after deserialisation."""
    payload = {
        "PSRunbookResult": 1,
        "Changed": changed,
        "CheckOnly": check,
        "Data": json.dumps(data or {"Before": None, "After": "x"}),
    }
    return RawResult(output=[payload], errors=[], had_errors=False)


@pytest.fixture
def library(user_templates: Path) -> TemplateLibrary:
    return TemplateLibrary([user_templates])


@pytest.fixture
def plan(user_runbooks: Path, library: TemplateLibrary, example_inventory_path: Path) -> Plan:
    runbook = RunbookRegistry.discover([user_runbooks]).get("greeting")
    params = validate_parameters(runbook.parameters, assignments=["name=world"])
    return build_plan(runbook, params, load_inventory(example_inventory_path), library)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


class Node:
    """A scripted node: records every call and answers from a handler."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.owner = "SQLNODE2"
        # (node, "N") fails that node's N-th step call; (node, "*") every one. Counted per
        # node: steps on every node run in parallel, so a global count would depend on
        # which node's thread is first.
        self.fail: dict[tuple[str, str], Exception | RawResult] = {}
        self.step_calls: Counter[str] = Counter()

    def __call__(self, node: str, call: ScriptCall) -> RawResult:
        kind = "owner" if "OwnerNode" in call.script else "step"
        with self.lock:
            self.calls.append((node, kind, dict(call.arguments)))
            if kind == "step":
                self.step_calls[node] += 1
            nth = str(self.step_calls[node])
        if kind == "owner":
            return result(False, {"Group": call.arguments["Group"], "OwnerNode": self.owner})
        injected = self.fail.pop((node, nth), None) or self.fail.get((node, "*"))
        if isinstance(injected, Exception):
            raise injected
        if isinstance(injected, RawResult):
            return injected
        return result(
            changed=not call.arguments.get("CheckOnly", False),
            check=bool(call.arguments.get("CheckOnly")),
        )


def _runner(
    plan: Plan, node: Node, journal: Journal, library: TemplateLibrary, **options: Any
) -> Runner:
    return Runner(plan, FakeTransport(node), journal, library, RunOptions(backoff_s=0, **options))


def _runner_on(
    transport: FakeTransport,
    plan: Plan,
    journal: Journal,
    library: TemplateLibrary,
    **options: Any,
) -> Runner:
    return Runner(plan, transport, journal, library, RunOptions(backoff_s=0, **options))


def _start(journal: Journal, run_id: str = "r1") -> str:
    journal.start_run(
        run_id=run_id,
        runbook="greeting",
        runbook_version="1",
        mode="run",
        parameters={},
        parameters_sha256="p",
        inventory_sha256="i",
        bundle_sha256=None,
        user=None,
    )
    return run_id


def test_steps_run_in_order_on_their_targets(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """Every node runs step 1, the group owner runs step 2, one node runs step 3."""
    node = Node()
    report = _runner(plan, node, journal, library).run(_start(journal))
    steps = [(n, k) for n, k, _ in node.calls]
    assert {("SQLNODE1", "step"), ("SQLNODE2", "step")} == set(steps[:2])
    assert ("SQLNODE1", "owner") == steps[2]
    assert [("SQLNODE2", "step"), ("SQLNODE1", "step")] == steps[3:]
    assert "succeeded" == report.outcome


def test_owner_step_runs_where_the_group_is(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """The owner probe's answer decides the node of a group-owner step."""
    node = Node()
    node.owner = "sqlnode1"
    report = _runner(plan, node, journal, library).run(_start(journal))
    assert ["SQLNODE1"] == [t.node for t in report.steps[1].targets]


def test_failure_stops_before_next_step(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A script error on one node fails the step and no later step starts."""
    node = Node()
    node.fail[("SQLNODE2", "*")] = RawResult(output=[], errors=["boom"], had_errors=True)
    report = _runner(plan, node, journal, library).run(_start(journal))
    assert 1 == len(report.steps)
    statuses = {t.node: t.status for t in report.steps[0].targets}
    assert {"SQLNODE1": Status.CHANGED, "SQLNODE2": Status.FAILED} == statuses
    assert "failed" == report.outcome
    assert not [c for c in node.calls if c[1] == "owner"]


def test_transient_fault_is_retried_for_repeatable_step(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A refused connection is retried and the step then succeeds."""
    node = Node()
    node.fail[("SQLNODE1", "1")] = ConnectionFailed("SQLNODE1: connection refused", node="SQLNODE1")
    report = _runner(plan, node, journal, library).run(_start(journal))
    first = {t.node: t for t in report.steps[0].targets}
    assert (Status.CHANGED, 2) == (first["SQLNODE1"].status, first["SQLNODE1"].attempts)


def test_permanent_fault_is_not_retried(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A WSMan fault that is not a timeout fails at once, with its message kept."""
    node = Node()
    node.fail[("SQLNODE1", "*")] = WSManFault("SQLNODE1: WSMan fault 5: Access denied", code=5)
    report = _runner(plan, node, journal, library).run(_start(journal))
    target = next(t for t in report.steps[0].targets if t.node == "SQLNODE1")
    assert (Status.FAILED, 1) == (target.status, target.attempts)
    assert "Access denied" in target.message


def test_check_mode_passes_checkonly(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """Check mode sends CheckOnly to every step script and journals check attempts."""
    node = Node()
    _runner(plan, node, journal, library, check_only=True).run(_start(journal))
    assert all(args.get("CheckOnly") is True for _, kind, args in node.calls if kind == "step")
    assert all(a.check_only for a in journal.attempts("r1"))


def test_journal_records_every_attempt(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """Each step and node has one finished attempt with the script hash."""
    node = Node()
    _runner(plan, node, journal, library).run(_start(journal))
    attempts = journal.attempts("r1")
    assert 4 == len(attempts)
    assert {"succeeded"} == {a.status for a in attempts}
    assert plan.steps[0].script.sha256 == attempts[0].script_sha256


def test_resume_skips_done_nodes_and_rechecks_first(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """Resume never re-applies a done step; it re-checks the first unfinished one first."""
    node = Node()
    run = _runner(plan, node, journal, library).run
    done = {1: frozenset({"SQLNODE1", "SQLNODE2"}), 2: frozenset({"SQLNODE2"})}
    report = run(_start(journal), done=done, recheck_first=True)
    step_calls = [(n, a.get("CheckOnly", False)) for n, k, a in node.calls if k == "step"]
    assert [("SQLNODE1", True), ("SQLNODE1", False)] == step_calls
    assert [Status.DONE_EARLIER, Status.DONE_EARLIER] == [t.status for t in report.steps[0].targets]


def test_sessions_are_closed(plan: Plan, journal: Journal, library: TemplateLibrary) -> None:
    """Every session opened for the run is closed at its end."""
    node = Node()
    transport = FakeTransport(node)
    Runner(plan, transport, journal, library, RunOptions()).run(_start(journal))
    assert transport.sessions
    assert all(s.closed for s in transport.sessions)


def test_owner_probe_template_lints_clean(library: TemplateLibrary) -> None:
    """The engine's own owner probe passes the linter."""
    script = library.render(OWNER_PROBE, {"Group": "g"})
    assert [] == lint_script(script.text, source=OWNER_PROBE)


class Greeted(StepResult):
    """A strict result model: the step's data must name who was greeted."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    Before: str | None
    After: str


@pytest.fixture
def strict_plan(plan: Plan) -> Plan:
    """The plan with the group-owner step (greet-owner) judged by the strict Greeted model."""
    strict = replace(plan.steps[1], step=replace(plan.steps[1].step, result=Greeted))
    return replace(plan, steps=(plan.steps[0], strict, plan.steps[2]))


def test_owner_probe_is_not_judged_by_the_step_model(
    strict_plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """The owner query has its own result shape; the step's model applies to the step only."""
    report = _runner(strict_plan, Node(), journal, library).run(_start(journal))
    assert [Status.CHANGED] == [t.status for t in report.steps[1].targets]


def test_each_attempt_logs_started_and_finished(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """step.started (debug) and step.finished (info) are logged once per step and node."""
    with structlog.testing.capture_logs() as events:
        _runner(plan, Node(), journal, library).run(_start(journal))
    started = [(e["step"], e["node"]) for e in events if e["event"] == "step.started"]
    finished = [(e["step"], e["node"]) for e in events if e["event"] == "step.finished"]
    assert sorted(started) == sorted(finished)
    assert 4 == len(finished)
    assert {"debug"} == {e["log_level"] for e in events if e["event"] == "step.started"}


def test_error_code_is_not_the_message_again(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A thrown text is its own error id; the logged code is then the exception type."""
    exception = SimpleNamespace(
        adapted_properties={"Message": "group 'X' does not exist"},
        types=["System.Management.Automation.RuntimeException", "System.Exception"],
    )
    record = SimpleNamespace(exception=exception, fq_error="group 'X' does not exist")
    node = Node()
    node.fail[("SQLNODE1", "*")] = RawResult(output=[], errors=[record], had_errors=True)
    with structlog.testing.capture_logs() as events:
        _runner(plan, node, journal, library).run(_start(journal))
    failed = next(e for e in events if e["event"] == "step.finished" and e["node"] == "SQLNODE1")
    code = failed["error"].fully_qualified_error_id
    assert "System.Management.Automation.RuntimeException" == code


def test_transport_fault_is_reported_journaled_and_logged_as_one_step_error(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A WSMan fault is the same StepError in the report, the journal and the log event."""
    fault = WSManFault("SQLNODE1: WSMan fault 5: Access denied", code=5)
    node = Node()
    node.fail[("SQLNODE1", "*")] = fault
    with structlog.testing.capture_logs() as events:
        report = _runner(plan, node, journal, library).run(_start(journal))
    expected = StepError(
        message="SQLNODE1: WSMan fault 5: Access denied",
        exception_type="WSManFault",
        fully_qualified_error_id="5",
    )
    target = next(t for t in report.steps[0].targets if t.node == "SQLNODE1")
    assert (expected,) == target.errors
    [attempt] = [a for a in journal.attempts("r1") if a.node == "SQLNODE1"]
    assert (expected.to_dict(),) == attempt.errors
    logged = next(e for e in events if e["event"] == "step.finished" and e["node"] == "SQLNODE1")
    assert expected == logged["error"]


def test_failed_pipeline_without_error_records_still_says_why(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A Failed pipeline with an empty error stream fails with one error, logged as StepFailed."""
    node = Node()
    node.fail[("SQLNODE1", "*")] = RawResult(output=[], errors=[], had_errors=True)
    with structlog.testing.capture_logs() as events:
        report = _runner(plan, node, journal, library).run(_start(journal))
    target = next(t for t in report.steps[0].targets if t.node == "SQLNODE1")
    assert (StepError(message="the script reported a failure"),) == target.errors
    logged = next(e for e in events if e["event"] == "step.finished" and e["node"] == "SQLNODE1")
    assert ("StepFailed", None) == (
        logged["error"].exception_type,
        logged["error"].fully_qualified_error_id,
    )


def test_outcome_carries_the_result_model_the_step_declared(
    strict_plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """The validated model reaches the report as is; the journal stores its JSON."""
    report = _runner(strict_plan, Node(), journal, library).run(_start(journal))
    assert {"SQLNODE2": Greeted(Before=None, After="x")} == report.results()["greet-owner"]
    owner_attempt = next(a for a in journal.attempts("r1") if a.step_name == "greet-owner")
    assert {"Before": None, "After": "x"} == owner_attempt.result


def _any_node_only(plan: Plan) -> Plan:
    return replace(plan, steps=tuple(s for s in plan.steps if s.step.target is Target.ANY_NODE))


def test_any_node_step_passes_over_a_node_it_cannot_reach_and_says_why(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """SQLNODE1 refuses: the step runs on SQLNODE2, SQLNODE1 is skipped, shown and logged."""
    node = Node()
    refused = ConnectionFailed(
        "cannot connect to SQLNODE1 (10.0.0.11:5986): connection refused", node="SQLNODE1"
    )
    transport = FakeTransport(node, refusal=lambda name: refused if name == "SQLNODE1" else None)
    shown: list[tuple[str, str, str]] = []
    options = RunOptions(backoff_s=0)
    runner = Runner(
        _any_node_only(plan),
        transport,
        journal,
        library,
        options,
        progress=lambda event, _p, name, outcome: shown.append(
            (event, name, outcome.message if outcome else "")
        ),
    )
    with structlog.testing.capture_logs() as events:
        report = runner.run(_start(journal))

    assert "succeeded" == report.outcome
    [step] = report.steps
    assert [("SQLNODE1", Status.SKIPPED), ("SQLNODE2", Status.CHANGED)] == [
        (t.node, t.status) for t in step.targets
    ]
    assert str(refused) == step.targets[0].message
    assert ("skipped", "SQLNODE1", str(refused)) in shown
    assert [("SQLNODE2", "step")] == [(n, k) for n, k, _ in node.calls]
    assert ["SQLNODE2"] == [a.node for a in journal.attempts("r1")]
    [skip] = [e for e in events if e.get("action") == "step.node_skipped"]
    assert ("SQLNODE1", "warning", str(refused)) == (
        skip["node"],
        skip["log_level"],
        skip["reason"],
    )


def test_any_node_step_fails_with_every_node_and_reason_when_none_answers(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    def refusal(name: str) -> Exception:
        return ConnectionFailed(f"cannot connect to {name}: connection refused", node=name)

    node = Node()
    runner = Runner(
        _any_node_only(plan),
        FakeTransport(node, refusal=refusal),
        journal,
        library,
        RunOptions(backoff_s=0),
    )
    report = runner.run(_start(journal))
    assert "failed" == report.outcome
    [target] = report.steps[0].targets
    assert (
        "choosing the node failed: no node is reachable: cannot connect to SQLNODE1: "
        "connection refused; cannot connect to SQLNODE2: connection refused"
    ) == target.message
    assert [] == node.calls


def _rolling_first_step(plan: Plan) -> Plan:
    """The plan with its first step (every node) made a rolling step (``Step.serial``)."""
    first = replace(plan.steps[0], step=replace(plan.steps[0].step, serial=True))
    return replace(plan, steps=(first, *plan.steps[1:]))


def test_a_rolling_step_changes_only_the_nodes_its_check_finds_different(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """Both nodes are checked; SQLNODE1 has nothing to change and is done, unchanged,
    without an apply; only SQLNODE2, whose check finds a difference, is applied."""
    node = Node()
    node.fail[("SQLNODE2", "1")] = result(True, check=True)  # its check: would change
    report = _runner(_rolling_first_step(plan), node, journal, library).run(_start(journal))
    first = [(n, bool(args.get("CheckOnly"))) for n, kind, args in node.calls[:3]]
    assert {("SQLNODE1", True), ("SQLNODE2", True)} == set(first[:2])
    assert ("SQLNODE2", False) == first[2]
    statuses = {t.node: t.status for t in report.steps[0].targets}
    assert {"SQLNODE1": Status.UNCHANGED, "SQLNODE2": Status.CHANGED} == statuses
    step = plan.steps[0].step.name
    attempts = [(a.node, a.check_only) for a in journal.attempts("r1") if a.step_name == step]
    assert Counter({("SQLNODE1", True): 1, ("SQLNODE2", True): 1, ("SQLNODE2", False): 1}) == (
        Counter(attempts)
    )
    assert "succeeded" == report.outcome


def test_a_failed_check_stops_a_rolling_step_before_any_change(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """SQLNODE1's check fails: SQLNODE2, which would change, is not applied either."""
    node = Node()
    node.fail[("SQLNODE1", "1")] = RawResult(output=[], errors=[], had_errors=True)
    node.fail[("SQLNODE2", "1")] = result(True, check=True)
    report = _runner(_rolling_first_step(plan), node, journal, library).run(_start(journal))
    assert all(args.get("CheckOnly") for _, kind, args in node.calls if kind == "step")
    assert "failed" == report.outcome
    # SQLNODE2's check would change, but nothing changed: it is not run, never "changed".
    assert {"SQLNODE1": Status.FAILED} == {t.node: t.status for t in report.steps[0].targets}
    assert 0 == report.changed_count


def test_a_plan_checks_a_rolling_step_on_every_node_at_once(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A check changes nothing, so nothing is rolled: both checks are in flight together
    (each waits at a barrier for the other, which one node at a time would never reach)."""
    node = Node()
    both = threading.Barrier(2, timeout=30)
    answer = node.__call__
    met: set[str] = set()

    def meet_then_answer(name: str, call: ScriptCall) -> RawResult:
        if name not in met:  # each node's first call is the rolling step's check
            met.add(name)
            both.wait()
        return answer(name, call)

    rolling = _rolling_first_step(plan)
    runner = Runner(
        rolling,
        FakeTransport(meet_then_answer),
        journal,
        library,
        RunOptions(backoff_s=0, check_only=True),
    )
    report = runner.run(_start(journal))
    assert {"SQLNODE1", "SQLNODE2"} == {t.node for t in report.steps[0].targets}
    assert "succeeded" == report.outcome


def test_attempts_reuse_idle_node_threads(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """Four attempts (two at once, then two alone) run on two threads, not one each.

    The calling thread still only waits: every attempt runs on a node worker, named after
    the node it serves.
    """
    node = Node()
    used: list[tuple[threading.Thread, str, str]] = []

    def answer(name: str, call: ScriptCall) -> RawResult:
        if "OwnerNode" not in call.script:
            used.append((threading.current_thread(), threading.current_thread().name, name))
        return node(name, call)

    runner = Runner(plan, FakeTransport(answer), journal, library, RunOptions(backoff_s=0))
    report = runner.run(_start(journal))
    assert "succeeded" == report.outcome
    assert 4 == len(used)
    assert 2 == len({thread for thread, _, _ in used})
    assert threading.main_thread() not in {thread for thread, _, _ in used}
    assert all(f"node-{served}" == name for _, name, served in used)


def test_sessions_are_closed_on_the_runs_own_node_threads(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """The sessions' closes run on the idle node workers: no thread is started for them."""
    node = Node()
    attempt_threads: set[threading.Thread] = set()
    closing_threads: list[threading.Thread] = []

    class RecordingSession(FakeSession):
        def close(self) -> None:
            closing_threads.append(threading.current_thread())
            super().close()

    class RecordingTransport(FakeTransport):
        def open(self, node: str) -> FakeSession:
            session = RecordingSession(node=node, user=self.user, handler=self.handler)
            self.sessions.append(session)
            return session

    def answer(name: str, call: ScriptCall) -> RawResult:
        attempt_threads.add(threading.current_thread())
        return node(name, call)

    transport = RecordingTransport(answer)
    report = Runner(plan, transport, journal, library, RunOptions(backoff_s=0)).run(_start(journal))
    assert "succeeded" == report.outcome
    assert 2 == len(transport.sessions)
    assert all(s.closed for s in transport.sessions)
    assert 2 == len(closing_threads)
    assert set(closing_threads) <= attempt_threads | {threading.main_thread()}


def test_an_interrupt_waits_for_an_end_a_node_is_writing(
    plan: Plan, journal: Journal, library: TemplateLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node that has claimed its attempt's end writes it outside the claims lock; an
    interrupt arriving then must not leave the step (and close the sessions, and end the
    run) before that end is in the journal: every attempt ends, the run's end comes last.

    The first end written asks for the stop itself and holds its write until the calling
    thread either waits for the ends being written or moves on (closes a session).
    """
    monkeypatch.setattr(orchestrator_module, "INTERRUPT_GRACE_S", 0.0)
    stop = StopSignal()
    caller_waits, closed, either = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []
    first = threading.Lock()
    record_end = journal.finish_attempt

    def finish_attempt(attempt_id: int, **fields: Any) -> None:
        if first.acquire(blocking=False):
            stop.request("test")
            assert either.wait(60), "the calling thread neither waited nor moved on"
            order.append("a session closed first" if closed.is_set() else "end written")
        record_end(attempt_id, **fields)

    class ClosingSession(FakeSession):
        def close(self) -> None:
            closed.set()
            either.set()
            super().close()

    class ClosingTransport(FakeTransport):
        def open(self, node: str) -> FakeSession:
            session = ClosingSession(node=node, user=self.user, handler=self.handler)
            self.sessions.append(session)
            return session

    class WatchedCondition(threading.Condition):
        def wait_for(self, predicate: Callable[[], _T], timeout: float | None = None) -> _T:
            caller_waits.set()
            either.set()
            return super().wait_for(predicate, timeout)

    monkeypatch.setattr(journal, "finish_attempt", finish_attempt)
    runner = Runner(
        plan, ClosingTransport(Node()), journal, library, RunOptions(backoff_s=0), stop=stop
    )
    runner._ends_written = WatchedCondition(runner._claims)
    report = runner.run(_start(journal))
    assert report.interrupted
    assert caller_waits.is_set()
    assert ["end written"] == order
    assert "running" not in {a.status for a in journal.attempts("r1")}


def test_an_interrupt_waits_for_a_start_a_node_is_writing(
    plan: Plan, journal: Journal, library: TemplateLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node records its attempt's start outside the claims lock, before the attempt is
    in flight where the calling thread can see it. An interrupt arriving then must not
    leave the step before that start is recorded and ended as interrupted: before, the
    calling thread moved on, the run ended, and the attempt was left ``running`` in the
    journal (one run in about seventy of the test above).

    The first start asks for the stop itself and holds its write until the calling
    thread waits for the writes in progress; at that moment one must be pending.
    """
    monkeypatch.setattr(orchestrator_module, "INTERRUPT_GRACE_S", 0.0)
    stop = StopSignal()
    waits = threading.Event()
    pending_when_waiting: list[bool] = []
    first = threading.Lock()
    record_start = journal.begin_attempt

    def begin_attempt(**fields: Any) -> int:
        if first.acquire(blocking=False):
            stop.request("test")
            assert waits.wait(60), "the calling thread never waited for the start"
        return record_start(**fields)

    class WatchedCondition(threading.Condition):
        def wait_for(self, predicate: Callable[[], _T], timeout: float | None = None) -> _T:
            pending_when_waiting.append(not predicate())
            waits.set()
            return super().wait_for(predicate, timeout)

    monkeypatch.setattr(journal, "begin_attempt", begin_attempt)
    runner = Runner(
        plan, FakeTransport(Node()), journal, library, RunOptions(backoff_s=0), stop=stop
    )
    runner._ends_written = WatchedCondition(runner._claims)
    report = runner.run(_start(journal))
    assert report.interrupted
    assert [True] == pending_when_waiting
    statuses = [a.status for a in journal.attempts("r1")]
    assert statuses, "the held start was never recorded"
    assert "running" not in statuses
    # The held start's script was never sent: the journal says so, and that nothing of
    # it can be left on the node.
    unsent = "before its script was sent; the step did not run there"
    held = [a for a in journal.attempts("r1") if unsent in str(a.errors[0]["message"])]
    assert held, "the held start's attempt does not say its script was never sent"
    assert [a.pipeline and "unsent" for a in held] == [a.pipeline_end for a in held]


def test_an_interrupted_run_waits_its_own_stop_grace(
    plan: Plan, journal: Journal, library: TemplateLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--stop-grace``: a node that never answers the stop request is left behind after
    the run's own grace (none here), not the default one (an hour here): a run that
    ignored its option would still be waiting for the node when it returned."""
    monkeypatch.setattr(orchestrator_module, "INTERRUPT_GRACE_S", 3600.0)
    stop = StopSignal()
    release, answered = threading.Event(), threading.Event()

    def never_stops(name: str, call: ScriptCall) -> RawResult:
        stop.request("test")  # an interrupt while this node's script runs
        release.wait(60)  # the node ignores the stop request until the test ends
        answered.set()
        return result(changed=False)

    runner = Runner(
        plan,
        FakeTransport(never_stops),
        journal,
        library,
        RunOptions(backoff_s=0, stop_grace_s=0.0),
        stop=stop,
    )
    try:
        report = runner.run(_start(journal))
        assert not answered.is_set(), "the run waited for the node: its stop grace was ignored"
    finally:
        release.set()
    assert "interrupted" == report.outcome
    # A script left behind may run on (a resume or a new run asks its node first); one
    # the stop kept from being sent did not run (another node's, stopped meanwhile).
    applied = [a for a in journal.attempts("r1") if a.pipeline is not None]
    assert any(a.may_be_left_running for a in applied)
    for attempt in applied:
        unsent = "before its script was sent" in str(attempt.errors[0]["message"])
        assert ("unsent" if unsent else None) == attempt.pipeline_end
    # The step left behind ran for a while before the run gave up on it: its end (and
    # its step.finished event's event.duration) says how long, never 0.
    left = [t for s in report.steps for t in s.targets if t.attempts == 1]
    assert left and all(t.duration_ns > 0 for t in left)


# --------------------------------------------------------------------------- left pipelines


class _SettlingTransport(FakeTransport):
    """A fake transport whose sessions record each settle among the node's calls."""

    settled_as: Settlement = "finished"
    refusal_to_settle: Exception | None = None
    hold_s: float = 0.0
    """How long a settle takes: long enough for a script sent beside it to be seen."""
    sent_meanwhile: threading.Event = msgspec.field(default_factory=threading.Event)

    def open(self, node: str) -> FakeSession:
        session = super().open(node)
        calls: Node = self.handler  # type: ignore[assignment]

        def settle(
            left: PipelineRef, wait_s: float, found: Callable[[], None] = lambda: None
        ) -> Settlement:
            # A script sent meanwhile (what must not happen) shows as a call before this.
            self.sent_meanwhile.wait(self.hold_s)
            with calls.lock:
                calls.calls.append((node, "settle", {"pipeline": left.pipeline_id}))
            if self.refusal_to_settle is not None:
                raise self.refusal_to_settle
            if self.settled_as != "absent":
                found()
            return self.settled_as

        session.settle = settle  # type: ignore[method-assign]
        return session


def test_apply_attempts_journal_the_pipeline_they_send(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """An apply attempt of a step that changes journals its client session and pipeline
    id before the script goes, and the script goes as that pipeline; checks do not."""
    sent: dict[str, str | None] = {}

    class Recording(Node):
        def __call__(self, node: str, call: ScriptCall) -> RawResult:
            if "OwnerNode" not in call.script:
                sent[f"{node}:{call.arguments.get('CheckOnly', False)}:{len(sent)}"] = (
                    call.pipeline_id
                )
            return super().__call__(node, call)

    Runner(plan, FakeTransport(Recording()), journal, library, RunOptions(backoff_s=0)).run(
        _start(journal)
    )
    changes = {p.index: p.step.changes for p in plan.steps}
    assert {False, True} == set(changes.values())  # the example has a read-only step
    applied = [a for a in journal.attempts("r1") if not a.check_only]
    assert 4 == len(applied)
    assert [changes[a.step_index] for a in applied] == [a.pipeline is not None for a in applied]
    pipelines = [a.pipeline for a in applied if a.pipeline is not None]
    assert {"FAKE-CLIENT"} == {p.client_id for p in pipelines}
    assert sorted(p.pipeline_id for p in pipelines) == sorted(p for p in sent.values() if p)
    assert len({p.pipeline_id for p in pipelines}) == len(pipelines)
    # Each result came back: its pipeline ended, nothing of it is left on the node.
    assert [("seen" if a.pipeline else None) for a in applied] == [a.pipeline_end for a in applied]

    checked = Journal.open(journal.path.parent)
    try:
        _runner(plan, Node(), checked, library, check_only=True).run(_start(checked, "r2"))
        assert [None] * 4 == [a.pipeline for a in checked.attempts("r2")]
    finally:
        checked.close()


def test_a_resumed_step_waits_for_what_the_interrupted_run_left_first(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """The pipeline an interrupted attempt left on a node is settled before that step's
    first script there (the re-check), once, and the run says so in its log."""
    node = Node()
    left = PipelineRef(client_id="OLD-CLIENT", pipeline_id="OLD-PIPELINE")
    done = {1: frozenset({"SQLNODE1", "SQLNODE2"}), 2: frozenset({"SQLNODE2"})}
    runner = Runner(plan, _SettlingTransport(node), journal, library, RunOptions(backoff_s=0))
    with structlog.testing.capture_logs() as events:
        runner.run(
            _start(journal),
            done=done,
            recheck_first=True,
            left=[LeftPipeline(attempt_id=7, step_index=3, node="SQLNODE1", pipeline=left)],
        )
    calls = [(n, k, a.get("pipeline", a.get("CheckOnly", False))) for n, k, a in node.calls]
    assert [
        ("SQLNODE1", "settle", "OLD-PIPELINE"),
        ("SQLNODE1", "step", True),
        ("SQLNODE1", "step", False),
    ] == calls
    waiting = next(e for e in events if e.get("action") == "step.left_running")
    assert (7, "SQLNODE1", "warning") == (
        waiting["left_attempt_id"],
        waiting["node"],
        waiting["log_level"],
    )
    assert "is still on the node" in waiting["event"]
    settled = next(e for e in events if e.get("action") == "step.left_settled")
    assert ("finished", "info") == (settled["settlement"], settled["log_level"])


def test_a_left_pipeline_that_is_gone_is_not_announced(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """Most left attempts failed by their script's own error: their pipeline is gone, and
    the resume says nothing about a wait it does not make."""
    node = Node()
    transport = _SettlingTransport(node)
    transport.settled_as = "absent"
    left = PipelineRef(client_id="OLD-CLIENT", pipeline_id="OLD-PIPELINE")
    done = {1: frozenset({"SQLNODE1", "SQLNODE2"}), 2: frozenset({"SQLNODE2"})}
    with structlog.testing.capture_logs() as events:
        Runner(plan, transport, journal, library, RunOptions(backoff_s=0)).run(
            _start(journal),
            done=done,
            recheck_first=True,
            left=[LeftPipeline(attempt_id=7, step_index=3, node="SQLNODE1", pipeline=left)],
        )
    assert not [e for e in events if e.get("action") == "step.left_running"]
    [settled] = [e for e in events if e.get("action") == "step.left_settled"]
    assert ("absent", "debug") == (settled["settlement"], settled["log_level"])


def test_a_left_pipeline_the_node_cannot_account_for_fails_the_step_there(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """Nothing is sent to a node that cannot say whether the left pipeline ended: the
    attempt fails with the node's error, and a later resume asks again."""
    node = Node()
    transport = _SettlingTransport(node)
    transport.refusal_to_settle = WSManFault("SQLNODE1: WSMan fault 5: Access denied", code=5)
    left = PipelineRef(client_id="OLD-CLIENT", pipeline_id="OLD-PIPELINE")
    done = {1: frozenset({"SQLNODE1", "SQLNODE2"}), 2: frozenset({"SQLNODE2"})}
    with structlog.testing.capture_logs() as events:
        report = Runner(plan, transport, journal, library, RunOptions(backoff_s=0)).run(
            _start(journal),
            done=done,
            left=[LeftPipeline(attempt_id=7, step_index=3, node="SQLNODE1", pipeline=left)],
        )
    assert [("SQLNODE1", "settle")] == [(n, k) for n, k, _ in node.calls]
    [unsettled] = [e for e in events if e.get("action") == "step.left_unsettled"]
    assert "resume again once the node answers" in unsettled["event"]
    [target] = report.steps[-1].targets
    assert Status.FAILED == target.status
    assert "Access denied" in target.message
    assert "failed" == report.outcome


def test_another_runs_script_on_a_node_that_cannot_answer_stops_every_node(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A new run after an earlier one lost SQLNODE2 mid-script, SQLNODE2 still cut off:
    the script there may still be changing the cluster, so no node is sent a step, and
    the warning names both ways on (the node answers again, or it is left out)."""
    node = Node()
    transport = _SettlingTransport(node)
    transport.refusal_to_settle = ConnectionFailed("SQLNODE2: connection refused", node="SQLNODE2")
    left = PipelineRef(client_id="OLD-CLIENT", pipeline_id="OLD-PIPELINE")
    earlier = LeftPipeline(7, None, "SQLNODE2", left, run_id="earlier", step_name="bring-online")
    with structlog.testing.capture_logs() as events:
        report = _runner_on(transport, plan, journal, library, retries=0).run(
            _start(journal), left=[earlier]
        )
    assert {"settle"} == {kind for _, kind, _ in node.calls}
    assert "failed" == report.outcome
    assert {"SQLNODE1", "SQLNODE2"} == {t.node for t in report.steps[0].targets}
    unsettled = [e for e in events if e.get("action") == "step.left_unsettled"]
    assert unsettled
    assert (
        "no step of this run is sent until it can: resume it once SQLNODE2 answers, or, if "
        "SQLNODE2 is gone for good, start a new run from an inventory that leaves it out"
    ) in unsettled[0]["event"]


def test_a_retry_after_a_transport_failure_settles_the_first_try_first(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A dropped connection stops nothing on the node: before a step is sent again, the
    script the failed try sent (same pipeline id) is found and waited for."""
    node = Node()
    node.fail[("SQLNODE1", "1")] = ConnectionFailed("SQLNODE1: connection reset", node="SQLNODE1")
    runner = Runner(plan, _SettlingTransport(node), journal, library, RunOptions(backoff_s=0))
    report = runner.run(_start(journal))
    first_step = [(k, a.get("pipeline")) for n, k, a in node.calls if n == "SQLNODE1"][:3]
    [attempt] = [a for a in journal.attempts("r1") if (a.step_index, a.node) == (1, "SQLNODE1")]
    assert attempt.pipeline is not None
    assert [
        ("step", None),
        ("settle", attempt.pipeline.pipeline_id),
        ("step", None),
    ] == first_step
    assert "succeeded" == report.outcome


def test_an_attempt_cut_off_from_its_node_journals_that_its_end_is_unknown(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A connection lost while the script ran (no retry left): the attempt fails, and the
    journal says nobody saw its pipeline end, so a later run waits for it
    (``may_be_left_running``); a script that reported its own failure ended."""
    node = Node()
    node.fail[("SQLNODE1", "1")] = ConnectionFailed("SQLNODE1: connection reset", node="SQLNODE1")
    node.fail[("SQLNODE2", "1")] = RawResult(output=[], errors=["would not start"], had_errors=True)
    report = _runner(plan, node, journal, library, retries=0).run(_start(journal))
    assert "failed" == report.outcome
    applied = {a.node: a for a in journal.attempts("r1") if a.step_index == 1}
    assert ("failed", None, True) == (
        applied["SQLNODE1"].status,
        applied["SQLNODE1"].pipeline_end,
        applied["SQLNODE1"].may_be_left_running,
    )
    assert ("failed", "seen", False) == (
        applied["SQLNODE2"].status,
        applied["SQLNODE2"].pipeline_end,
        applied["SQLNODE2"].may_be_left_running,
    )


def test_a_script_the_node_never_got_leaves_nothing_to_wait_for(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """The session says no part of the script reached the node (its connection could not
    be made): the attempt fails ``unsent``, a retry does not wait for it first, and no
    later run asks the node about it."""
    node = Node()
    refused = ConnectionFailed("SQLNODE1: connection refused", node="SQLNODE1")
    refused.script_sent = False
    node.fail[("SQLNODE1", "1")] = refused
    second = ConnectionFailed("SQLNODE2: connection refused", node="SQLNODE2")
    second.script_sent = False
    node.fail[("SQLNODE2", "1")] = second
    transport = _SettlingTransport(node)
    report = _runner_on(transport, plan, journal, library, retries=0).run(_start(journal))
    assert "failed" == report.outcome
    applied = [a for a in journal.attempts("r1") if a.step_index == 1]
    assert [("failed", "unsent", False)] * 2 == [
        (a.status, a.pipeline_end, a.may_be_left_running) for a in applied
    ]
    retried = Node()
    retried.fail[("SQLNODE1", "1")] = refused
    checked = Journal.open(journal.path.parent)
    try:
        _runner_on(_SettlingTransport(retried), plan, checked, library, retries=1).run(
            _start(checked, "r2")
        )
    finally:
        checked.close()
    assert [] == [c for c in retried.calls if c[1] == "settle"]


def test_another_runs_left_script_is_settled_before_any_step_there_and_its_end_journaled(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """A new run after a crash: the crashed run's running attempt blocks every step on
    its node until settled; the journal then records how it ended, which that run's
    process never could."""
    crashed_run = _start(journal, "crashed")
    pipeline = PipelineRef(client_id="OLD-CLIENT", pipeline_id="OLD-PIPELINE")
    crashed = journal.begin_attempt(
        run_id=crashed_run,
        step_index=9,
        step_name="bring-online",
        node="SQLNODE1",
        script_sha256="s" * 64,
        check_only=False,
        pipeline=pipeline,
    )
    [record] = journal.attempts(crashed_run)
    transport: _SettlingTransport

    class Watched(Node):
        def __call__(self, node: str, call: ScriptCall) -> RawResult:
            transport.sent_meanwhile.set()
            return super().__call__(node, call)

    node = Watched()
    transport = _SettlingTransport(node, hold_s=0.5)
    runner = Runner(plan, transport, journal, library, RunOptions(backoff_s=0))
    runner.run(_start(journal), left=left_by_other_runs([record]))
    # Step 1 runs on both nodes at once; neither sends it before the settle (once).
    assert ("SQLNODE1", "settle", "OLD-PIPELINE") == (
        node.calls[0][0],
        node.calls[0][1],
        node.calls[0][2].get("pipeline"),
    )
    assert 1 == len([c for c in node.calls if c[1] == "settle"])
    [ended] = journal.attempts(crashed_run)
    assert (crashed, "failed") == (ended.attempt_id, ended.status)
    message = str(ended.errors[0]["message"])
    assert "run r1 found its script still on SQLNODE1 and waited for it to end" in message
    assert ("finished", "r1") == (ended.pipeline_end, ended.pipeline_end_run)
    assert [] == journal.open_pipelines("SQLCLU01", other_than="a-third-run")


def test_a_one_node_step_waits_for_its_script_left_on_another_node(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """The group moved, or another node answers first: a script of the step left on
    SQLNODE2 acts on the same cluster objects as the step re-run on SQLNODE1."""
    node = Node()
    left = PipelineRef(client_id="OLD-CLIENT", pipeline_id="OLD-PIPELINE")
    done = {1: frozenset({"SQLNODE1", "SQLNODE2"}), 2: frozenset({"SQLNODE2"})}
    assert "every-node" != plan.steps[2].step.target.value
    Runner(plan, _SettlingTransport(node), journal, library, RunOptions(backoff_s=0)).run(
        _start(journal),
        done=done,
        recheck_first=True,
        left=[LeftPipeline(attempt_id=7, step_index=3, node="SQLNODE2", pipeline=left)],
    )
    assert [
        ("SQLNODE2", "settle", "OLD-PIPELINE"),
        ("SQLNODE1", "step", True),
        ("SQLNODE1", "step", False),
    ] == [(n, k, a.get("pipeline", a.get("CheckOnly", False))) for n, k, a in node.calls]


def test_an_interrupt_ends_a_wait_for_a_script_left_on_another_node(
    plan: Plan, journal: Journal, library: TemplateLibrary
) -> None:
    """The one-node step on SQLNODE1 waits through SQLNODE2's session: Ctrl-C reaches that
    session too, and the run ends interrupted instead of waiting out the step timeout."""
    entered = threading.Event()
    interrupted = threading.Event()
    node = Node()

    class Waiting(FakeTransport):
        def open(self, name: str) -> FakeSession:
            session = super().open(name)

            def settle(
                left: PipelineRef, wait_s: float, found: Callable[[], None] = lambda: None
            ) -> Settlement:
                found()
                entered.set()
                if not interrupted.wait(30):
                    return "finished"
                raise RunInterrupted(f"{name}: interrupted")

            def interrupt() -> None:
                interrupted.set()

            session.settle = settle  # type: ignore[method-assign]
            session.interrupt = interrupt  # type: ignore[method-assign]
            return session

    stop = StopSignal()
    left = PipelineRef(client_id="OLD-CLIENT", pipeline_id="OLD-PIPELINE")
    done = {1: frozenset({"SQLNODE1", "SQLNODE2"}), 2: frozenset({"SQLNODE2"})}
    runner = Runner(
        plan, Waiting(node), journal, library, RunOptions(backoff_s=0, stop_grace_s=30), stop=stop
    )
    reports: list[Any] = []
    thread = threading.Thread(
        target=lambda: reports.append(
            runner.run(
                _start(journal),
                done=done,
                left=[LeftPipeline(attempt_id=7, step_index=3, node="SQLNODE2", pipeline=left)],
            )
        )
    )
    thread.start()
    assert entered.wait(30)
    stop.request("SIGINT")
    thread.join(30)
    assert not thread.is_alive()
    assert interrupted.is_set()
    assert reports[0].interrupted
    assert not [c for c in node.calls if c[1] == "step"]
