"""The run session over the fake transport: start, resume, what is done, steps one by one.

The test runbook ``greeting`` has three steps: one on every node, one on the owner of a
group, one on any node; the fake nodes below answer as its test-then-set script would.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from psrunbook.canonical_json import canonical_json
from psrunbook.errors import JournalError, ParameterError, RunbookNotFound
from psrunbook.execution import orchestrator
from psrunbook.execution.interrupts import StopSignal
from psrunbook.execution.outcome import Status
from psrunbook.execution.session import (
    ExecutionLimits,
    PreparedRun,
    RunIntent,
    RunRequest,
    RunSession,
    done_after,
)
from psrunbook.inventory import Inventory, load_inventory
from psrunbook.journal import Journal
from psrunbook.runbook.lab import LabFacts, LabVariant
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.templates import TemplateLibrary
from psrunbook.transport.base import FakeTransport, RawResult, ScriptCall

GREET = RunRequest(runbook="greeting", assignments=("name=world",))
NO_BACKOFF = ExecutionLimits(backoff_s=0)
FACTS = LabFacts(
    cluster="LABCLUSTER",
    nodes=("SQLNODE1", "SQLNODE2"),
    sql_version="2019",
    group="SQL Server (MSSQLSERVER)",
    sql_resource="SQL Server",
    network_name_resource="SQL Network Name (SQLVS01)",
    ip_resource="SQL IP Address 1 (SQLVS01)",
    disk_resource="Cluster Disk 1",
    drive="S:",
    virtual_server="SQLVS01",
    instances=("MSSQLSERVER",),
    ssis_service="MsDtsServer150",
    ssis_config_key="SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile",
    ssis_default_config="C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\x.xml",
    principals=("LAB\\SSIS Admins",),
)


@dataclass
class FakeNodes:
    """Nodes that apply every change asked for, unless told to fail applying on a node."""

    owner: str = "SQLNODE1"
    broken: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, node: str, call: ScriptCall) -> RawResult:
        if "OwnerNode" in call.script:
            return self._answer(False, {"OwnerNode": self.owner})
        check = bool(call.arguments.get("CheckOnly"))
        step = "owner" if "loud" in call.script.casefold() else str(call.arguments.get("Name"))
        with self.lock:
            self.calls.append((node, step, check))
        if node in self.broken and not check:
            return RawResult(output=[], errors=["the node broke"], had_errors=True)
        return self._answer(True, {"Before": None, "After": "world"}, check)

    @staticmethod
    def _answer(changed: bool, data: Mapping[str, Any], check: bool = False) -> RawResult:
        record = {"PSRunbookResult": 1, "Changed": changed, "CheckOnly": check}
        return RawResult(output=[{**record, "Data": json.dumps(data)}], errors=[], had_errors=False)

    def applied(self) -> Counter[str]:
        return Counter(node for node, _, check in self.calls if not check)


@pytest.fixture
def inventory(example_inventory_path: Path) -> Inventory:
    return load_inventory(example_inventory_path)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


@pytest.fixture
def session(journal: Journal, user_runbooks: Path, user_templates: Path) -> RunSession:
    registry = RunbookRegistry.discover([user_runbooks])
    return RunSession(journal, registry, TemplateLibrary([user_templates]))


def _prepare(session: RunSession, inventory: Inventory, request: RunRequest) -> PreparedRun:
    return session.prepare(session.resolve(request), inventory)


def _run(session: RunSession, inventory: Inventory, nodes: FakeNodes, request: RunRequest) -> str:
    """Run the request to its end; the run's id."""
    report = session.run(
        _prepare(session, inventory, request), FakeTransport(nodes), limits=NO_BACKOFF
    )
    return report.run_id


def _attempts(journal: Journal, run_id: str) -> list[tuple[int, str, bool, str]]:
    return [(a.step_index, a.node, a.check_only, a.status) for a in journal.attempts(run_id)]


# --------------------------------------------------------------------------- a new run


def test_new_run_is_journaled_with_public_parameters_and_their_hash(
    session: RunSession,
    inventory: Inventory,
    journal: Journal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The journal holds the masked parameters, the sha256 of their canonical JSON, the outcome."""
    monkeypatch.setenv("PSRUNBOOK_PARAM_TOKEN", "session-test-token-7c1e")
    run_id = _run(session, inventory, FakeNodes(), GREET)
    record = journal.run(run_id)
    expected = {"aliases": [], "group": "Cluster Group", "name": "world", "repeat": 1}
    assert expected | {"token": "***"} == record.parameters
    digest = hashlib.sha256(canonical_json(record.parameters).encode()).hexdigest()
    assert (digest, "run", "succeeded") == (record.parameters_sha256, record.mode, record.outcome)
    assert (inventory.sha256, inventory.connection.username) == (
        record.inventory_sha256,
        record.user,
    )


def test_a_plan_is_journaled_as_a_plan_of_checks(
    session: RunSession, inventory: Inventory, journal: Journal
) -> None:
    """check_only runs every step with -CheckOnly and records the run's mode as plan."""
    nodes = FakeNodes()
    run_id = _run(session, inventory, nodes, replace(GREET, check_only=True))
    assert "plan" == journal.run(run_id).mode
    assert {True} == {check for _, _, check in nodes.calls}


def test_a_given_run_id_names_the_run(session: RunSession, inventory: Inventory) -> None:
    """A caller with its own id for the run (a workflow's) gets the journal to use it."""
    prepared = _prepare(session, inventory, GREET)
    report = session.run(prepared, FakeTransport(FakeNodes()), run_id="workflow-42")
    assert "workflow-42" == report.run_id


def test_unknown_runbook_is_refused_when_resolving(session: RunSession) -> None:
    """Before any target is set up, an unknown runbook name is refused."""
    with pytest.raises(RunbookNotFound, match="nope"):
        session.resolve(RunRequest(runbook="nope"))


def test_no_runbook_and_no_bundle_is_refused(session: RunSession) -> None:
    """A request must name a runbook, a bundle, or a run to resume."""
    with pytest.raises(ParameterError, match="name a runbook"):
        session.resolve(RunRequest())


# --------------------------------------------------------------------------- resume


def test_resume_continues_where_the_run_failed(
    session: RunSession, inventory: Inventory, journal: Journal
) -> None:
    """Done nodes are skipped, the failed step is re-checked then applied, the rest follows."""
    nodes = FakeNodes(broken={"SQLNODE2"})
    run_id = _run(session, inventory, nodes, GREET)
    assert "failed" == journal.run(run_id).outcome
    nodes.broken.clear()
    nodes.calls.clear()

    report = _run(session, inventory, nodes, RunRequest(resume=run_id))

    assert run_id == report
    assert [("SQLNODE2", "world", True), ("SQLNODE2", "world", False)] == nodes.calls[:2]
    assert [("SQLNODE1", "owner", False), ("SQLNODE1", "world", False)] == nodes.calls[2:]
    record = journal.run(run_id)
    assert ("succeeded", 1) == (record.outcome, record.resumes)


def test_resume_reports_done_steps_as_done_earlier(
    session: RunSession, inventory: Inventory
) -> None:
    """The report of a resume shows the nodes that finished before as done earlier."""
    nodes = FakeNodes(broken={"SQLNODE2"})
    run_id = _run(session, inventory, nodes, GREET)
    nodes.broken.clear()
    prepared = _prepare(session, inventory, RunRequest(resume=run_id))
    report = session.run(prepared, FakeTransport(nodes))
    first = {t.node: t.status for t in report.steps[0].targets}
    assert {"SQLNODE1": Status.DONE_EARLIER, "SQLNODE2": Status.CHANGED} == first


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (RunRequest(runbook="cluster-report"), "ran greeting, not cluster-report"),
        (RunRequest(assignments=("name=other",)), "parameters differ"),
    ],
    ids=["other-runbook", "other-parameters"],
)
def test_resume_with_other_inputs_is_refused(
    session: RunSession, inventory: Inventory, request_: RunRequest, reason: str
) -> None:
    """Resume refuses another runbook or other parameters than the run had."""
    run_id = _run(session, inventory, FakeNodes(broken={"SQLNODE1"}), GREET)
    with pytest.raises(JournalError, match=reason):
        _prepare(session, inventory, replace(request_, resume=run_id))


def test_resume_of_a_plan_or_a_succeeded_run_is_refused(
    session: RunSession, inventory: Inventory
) -> None:
    """A plan is never resumed, and a run that succeeded has nothing left to resume."""
    planned = _run(session, inventory, FakeNodes(), replace(GREET, check_only=True))
    succeeded = _run(session, inventory, FakeNodes(), GREET)
    with pytest.raises(JournalError, match="it was a plan, not a run"):
        _prepare(session, inventory, RunRequest(resume=planned))
    with pytest.raises(JournalError, match="already succeeded"):
        _prepare(session, inventory, RunRequest(resume=succeeded))


def test_an_attempt_left_running_by_a_crash_is_rechecked_then_applied(
    session: RunSession, inventory: Inventory, journal: Journal
) -> None:
    """A crash mid-step leaves its outcome unknown: resume looks before it applies again."""
    started = session.start(_prepare(session, inventory, GREET))
    journal.begin_attempt(
        run_id=started.run_id,
        step_index=1,
        step_name="greet-all",
        node="SQLNODE1",
        script_sha256="s" * 64,
        check_only=False,
    )
    assert {} == session.done_steps(started.run_id)
    session.release(started)  # the crashed process is gone, and its hold with it
    nodes = FakeNodes()
    _run(session, inventory, nodes, RunRequest(resume=started.run_id))
    first_step = sorted(nodes.calls[:4])
    assert [
        ("SQLNODE1", "world", False),
        ("SQLNODE1", "world", True),
        ("SQLNODE2", "world", False),
        ("SQLNODE2", "world", True),
    ] == first_step


# --------------------------------------------------------------------------- what is done


def _attempt(journal: Journal, run_id: str, step: int, node: str, status: str | None) -> None:
    """One attempt: finished with ``status``, or left running (None)."""
    attempt_id = journal.begin_attempt(
        run_id=run_id,
        step_index=step,
        step_name=f"step-{step}",
        node=node,
        script_sha256="s" * 64,
        check_only=status == "checked",
    )
    if status is not None:
        journal.finish_attempt(
            attempt_id,
            status="failed" if status == "failed" else "succeeded",
            changed=False,
            result=None,
            errors=[],
            duration_ns=1,
        )


def test_a_step_is_done_where_its_latest_apply_attempt_succeeded(
    session: RunSession, inventory: Inventory, journal: Journal
) -> None:
    """Failed, running and check attempts never make a step done; a later success does."""
    run_id = session.start(_prepare(session, inventory, GREET)).run_id
    _attempt(journal, run_id, 1, "N1", "succeeded")
    _attempt(journal, run_id, 1, "N2", "failed")
    _attempt(journal, run_id, 1, "N2", "checked")
    _attempt(journal, run_id, 2, "N1", "failed")
    _attempt(journal, run_id, 2, "N1", "succeeded")
    _attempt(journal, run_id, 3, "N2", None)
    assert {1: frozenset({"N1"}), 2: frozenset({"N1"})} == session.done_steps(run_id)


# --------------------------------------------------------------------------- step by step


def test_steps_driven_one_by_one_end_like_a_whole_run(
    session: RunSession, inventory: Inventory, journal: Journal
) -> None:
    """execute(through=N) for each step, then finish: the same attempts as one whole run."""
    whole = _run(session, inventory, FakeNodes(), GREET)
    nodes = FakeNodes()
    prepared = _prepare(session, inventory, GREET)
    started = session.start(prepared)
    reports = [
        session.execute(started, FakeTransport(nodes), through=step.index)
        for step in prepared.plan.steps
    ]
    session.finish(started, reports[-1])

    assert sorted(_attempts(journal, whole)) == sorted(_attempts(journal, started.run_id))
    assert Counter({"SQLNODE1": 3, "SQLNODE2": 1}) == nodes.applied()
    assert "succeeded" == journal.run(started.run_id).outcome


def test_executing_a_step_again_does_not_repeat_it(
    session: RunSession, inventory: Inventory
) -> None:
    """A repeated call (a worker retrying its step) finds the step done and applies nothing."""
    nodes = FakeNodes()
    started = session.start(_prepare(session, inventory, GREET))
    session.execute(started, FakeTransport(nodes), through=1)
    again = session.execute(started, FakeTransport(nodes), through=1)
    assert 2 == len(nodes.calls)
    assert {Status.DONE_EARLIER} == {t.status for t in again.steps[0].targets}


def test_what_is_done_kept_from_each_steps_report_is_what_the_journal_says(
    session: RunSession, inventory: Inventory
) -> None:
    """A worker keeps ``done`` from its own steps (done_after) instead of reading the
    journal before each: after every step, and with a node failing, both agree."""
    nodes = FakeNodes(broken={"SQLNODE2"})
    prepared = _prepare(session, inventory, GREET)
    started = session.start(prepared)
    done: dict[int, frozenset[str]] = {}
    for step in prepared.plan.steps:
        report = session.execute(started, FakeTransport(nodes), through=step.index, done=done)
        done = done_after(done, report)
        assert session.done_steps(started.run_id) == done
        if report.failed:
            break
    assert report.failed
    assert done


def test_a_step_given_as_done_is_not_executed_again(
    session: RunSession, inventory: Inventory
) -> None:
    """``done`` passed by the caller is what the run goes by: no journal read decides."""
    nodes = FakeNodes()
    started = session.start(_prepare(session, inventory, GREET))
    first = session.execute(started, FakeTransport(nodes), through=1, done={})
    again = session.execute(started, FakeTransport(nodes), through=1, done=done_after({}, first))
    assert 2 == len(nodes.calls)
    assert {Status.DONE_EARLIER} == {t.status for t in again.steps[0].targets}


# --------------------------------------------------------------------------- the lab hooks


def test_a_runbook_without_lab_hooks_takes_nothing_from_the_lab(
    session: RunSession, inventory: Inventory
) -> None:
    """greeting has a field named group, yet the lab's group does not become its default."""
    intent = session.resolve(GREET)
    params: Any = session.prepare(intent, inventory, FACTS).plan.params
    assert "Cluster Group" == params.group
    assert LabVariant() == intent.lab_variant()


def test_lab_defaults_come_from_the_runbooks_hook_below_given_values(
    session: RunSession, inventory: Inventory
) -> None:
    """The hook sees the lab's facts and the values given; given values override its answers."""
    seen: list[dict[str, Any]] = []

    def defaults(facts: LabFacts, given: Mapping[str, Any]) -> dict[str, Any]:
        seen.append(dict(given))
        return {"name": facts.cluster, "group": facts.group}

    greeting = replace(session.registry.get("greeting"), lab_defaults=defaults)
    intent = RunIntent(greeting, check_only=False, earlier={}, assignments=("name=world",))
    params: Any = session.prepare(intent, inventory, FACTS).plan.params
    assert ("world", FACTS.group) == (params.name, params.group)
    assert [{"name": "world"}] == seen


def test_lab_variant_comes_from_the_parameters_given(session: RunSession) -> None:
    """The runbook's variant hook reads the file and -p values, -p last."""
    greeting = replace(
        session.registry.get("greeting"),
        lab_variant=lambda given: LabVariant(sql_version=given.get("name")),
    )
    intent = RunIntent(
        greeting,
        check_only=False,
        earlier={"name": "2016"},
        file_values={"name": "2017"},
        assignments=("name=2022",),
    )
    assert LabVariant(sql_version="2022") == intent.lab_variant()


def test_the_limits_stop_grace_reaches_the_run(
    session: RunSession, inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ExecutionLimits.stop_grace_s`` (``--stop-grace``) is the interrupted run's wait
    for a node that ignores the stop request: none here, with the default an hour, so a
    run that lost the limit on its way would still be waiting when it returned."""
    monkeypatch.setattr(orchestrator, "INTERRUPT_GRACE_S", 3600.0)
    stop = StopSignal()
    release, answered = threading.Event(), threading.Event()
    nodes = FakeNodes()

    def never_stops(node: str, call: ScriptCall) -> RawResult:
        stop.request("test")
        release.wait(60)
        answered.set()
        return nodes(node, call)

    started = session.start(_prepare(session, inventory, GREET))
    try:
        report = session.execute(
            started,
            FakeTransport(never_stops),
            limits=ExecutionLimits(backoff_s=0, stop_grace_s=0.0),
            stop=stop,
        )
        assert not answered.is_set(), "the run waited for the node: the limit was lost"
    finally:
        release.set()
    assert report.interrupted
