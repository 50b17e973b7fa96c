"""Fault matrix: ssis-clustered on the 2-node embedded lab, a fault at every step, then resume.

Each case arms one fault at an exact point of the run (the Command that starts a step's
script on a node: "boundary", or the Receive that would carry its answer after the
script ran: "mid-step"), runs the real CLI with ``--retries 0`` so the fault fails the
run, checks the error, the exit code and the journal, clears the fault, resumes, and
compares the lab with a clean run's: same state, every change applied exactly once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from psrunbook.sim.lab.cluster_faults import move_group_after
from tests.reliability.harness import (
    FULL,
    GROUP,
    PIPELINES_AFTER,
    SIM_AUTHS,
    STEP_COMMANDS,
    STEP_SLUGS,
    applied,
    applies,
    arm,
    assert_no_traceback,
    attempts,
    clear_faults,
    create_lab,
    edit_lab,
    error_line,
    hold_channels,
    lab_dump,
    latest_run_id,
    normalised,
    psrunbook,
    resume_sim,
    run_outcome,
    run_sim,
    served_auth,
    sigkill,
    start_sim_run,
)

pytestmark = pytest.mark.reliability

SLOW_S = 4
"""A delayed answer: longer than the 1 s step timeout the delay cases run with."""


@dataclass(frozen=True)
class Fault:
    """One endpoint fault of the matrix: how it is armed and what the error must say."""

    name: str
    where: str  # "boundary" or "mid-step"
    cause: str  # text the error line must contain

    def spec(self, node: str, nth: int) -> dict[str, Any]:
        kind = self.name.split()[0]
        spec: dict[str, Any] = {"node": node, "on": "Command", "nth": nth, "fault": kind}
        spec.update({"count": 100, "seconds": SLOW_S})
        if self.where == "mid-step":
            spec["action"] = "Receive"
            if kind == "refuse":
                # The Receive answering this Command: pool opening took Receive 1.
                spec.update({"on": "Receive", "nth": nth + 1})
        return spec


FAULTS = (
    Fault("refuse", "boundary", "cannot connect to NODE"),
    Fault("reset", "boundary", "): connection reset"),
    Fault("http 500", "boundary", "HTTP 500"),
    Fault("wsman fault", "boundary", "WSMan fault 2150858770"),
    Fault("delay", "boundary", "within 1 s"),
    Fault("refuse", "mid-step", "cannot connect to NODE"),
    Fault("reset", "mid-step", "): connection reset"),
    Fault("http 500", "mid-step", "HTTP 500"),
    Fault("wsman fault", "mid-step", "WSMan fault 2150858770"),
    Fault("delay", "mid-step", "no answer from NODE"),
)
FAULTS_BY_NAME = {f"{f.name} {f.where}": f for f in FAULTS}

ALL_CASES = [
    (auth, target, fault) for auth in SIM_AUTHS for target in STEP_COMMANDS for fault in FAULTS
]
SAMPLE = [
    # A node going down in the middle of a step (its script ran, the answer never came).
    ("basic", STEP_COMMANDS[7], FAULTS_BY_NAME["refuse mid-step"]),
    ("basic", STEP_COMMANDS[5], FAULTS_BY_NAME["reset mid-step"]),
    ("basic", STEP_COMMANDS[7], FAULTS_BY_NAME["refuse boundary"]),
    ("basic", STEP_COMMANDS[2], FAULTS_BY_NAME["delay mid-step"]),
    # Over NTLM every message is sealed: the dropped connection's keys die with it, so
    # the resume (and the discarded pool's clean-up) authenticate again on a new one;
    # the WSMan fault arrives sealed and must still be read and named.
    ("ntlm", STEP_COMMANDS[5], FAULTS_BY_NAME["reset mid-step"]),
    ("ntlm", STEP_COMMANDS[7], FAULTS_BY_NAME["wsman fault boundary"]),
]
CASES = ALL_CASES if FULL else SAMPLE


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The lab after one clean run of ssis-clustered."""
    state = tmp_path_factory.mktemp("clean")
    result = run_sim(state)
    assert 0 == result.code, result.describe()
    return lab_dump(state)


def expected_journal(
    slug: str, nodes: str | frozenset[str], status: str
) -> Counter[tuple[str, str, str]]:
    """Apply attempts of a run stopped on (slug, nodes): all before succeeded, those ``status``."""
    stopped = frozenset({nodes}) if isinstance(nodes, str) else nodes
    expected: Counter[tuple[str, str, str]] = Counter()
    for step, target, _ in STEP_COMMANDS:
        if STEP_SLUGS.index(step) > STEP_SLUGS.index(slug):
            break
        hit = step == slug and target in stopped
        expected[(step, target, status if hit else "succeeded")] += 1
    return expected


def assert_resumes_to_clean(
    state: Path, run_id: str, clean: dict[str, Any], *, auth: str = "basic"
) -> None:
    resumed = resume_sim(state, run_id, auth=auth)
    assert 0 == resumed.code, resumed.describe()
    assert_no_traceback(resumed)
    assert "succeeded" == run_outcome(state, run_id)
    final = lab_dump(state)
    assert normalised(clean) == normalised(final)
    assert applied(clean) == applied(final)
    done = [(s, n) for s, n, status in applies(attempts(state, run_id)) if status == "succeeded"]
    assert sorted((s, n) for s, n, _ in STEP_COMMANDS) == sorted(done)


@pytest.mark.parametrize(
    ("auth", "target", "fault"),
    CASES,
    ids=[f"{a}-{t[0]}-{t[1]}-{f.name}-{f.where}" for a, t, f in CASES],
)
def test_endpoint_fault_fails_clearly_and_resume_matches_a_clean_run(
    tmp_path: Path, clean: dict[str, Any], auth: str, target: tuple[str, str, int], fault: Fault
) -> None:
    """A transport fault at a step stops the run clearly; resume ends exactly like a clean run."""
    slug, node, nth = target
    create_lab(tmp_path)
    arm(tmp_path, [fault.spec(node, nth)])
    result = run_sim(tmp_path, "--retries", "0", "--step-timeout", "1", auth=auth)
    assert 1 == result.code, result.describe()
    assert_no_traceback(result)
    line = error_line(result)
    assert f"step {slug} failed on {node}: " in line
    assert fault.cause in line
    assert f"psrunbook resume {result.run_id}" in line
    assert "failed" == run_outcome(tmp_path, result.run_id)
    assert expected_journal(slug, node, "failed") == Counter(
        applies(attempts(tmp_path, result.run_id))
    )
    clear_faults(tmp_path)
    assert_resumes_to_clean(tmp_path, result.run_id, clean, auth=auth)
    assert auth == served_auth(tmp_path)


def test_transient_fault_is_retried_without_applying_twice(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    """One lost answer (reset after the script ran) is retried and the change applied once.

    Over NTLM: tests/reliability/test_sealed_faults.py, which also reads the wire.
    """
    create_lab(tmp_path)
    arm(
        tmp_path,
        [
            {
                "node": "NODE1",
                "on": "Command",
                "nth": 2,
                "fault": "reset",
                "action": "Receive",
                "count": 1,
            }
        ],
    )
    result = run_sim(tmp_path)
    assert 0 == result.code, result.describe()
    final = lab_dump(tmp_path)
    assert normalised(clean) == normalised(final)
    assert applied(clean) == applied(final)


def test_resource_failing_to_come_online_fails_clearly_and_resumes(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    """The SSIS resource failing to come online fails step 08 clearly; resume brings it online."""
    create_lab(tmp_path)
    with edit_lab(tmp_path) as cluster:
        # Armed by name: the resource is created by step 02 of this very run.
        cluster.faults.fail_online["sql server integration services"] = -1
    result = run_sim(tmp_path)
    assert 1 == result.code, result.describe()
    assert_no_traceback(result)
    line = error_line(result)
    assert "step 10-bring-online failed on NODE1: " in line
    assert "'SQL Server Integration Services' is Failed" in line
    assert expected_journal("10-bring-online", "NODE1", "failed") == Counter(
        applies(attempts(tmp_path, result.run_id))
    )
    clear_faults(tmp_path)
    resumed = resume_sim(tmp_path, result.run_id)
    assert 0 == resumed.code, resumed.describe()
    final = lab_dump(tmp_path)
    assert normalised(clean) == normalised(final)
    # The failed Start is a real attempt on the cluster; the resume's Start is the second.
    start = ("Start-ClusterResource", "NODE1", "SQL Server Integration Services")
    assert Counter({start: 1}) == applied(final) - applied(clean)
    assert Counter() == applied(clean) - applied(final)


def _moved(dump: dict[str, Any], owner: str) -> dict[str, Any]:
    """The clean state as if the group had been owned by ``owner``: the SSIS service runs
    (with what it loaded) there instead of on NODE1."""
    state = normalised(dump)
    state["groups"] = [{**g, "owner": owner} if g["name"] == GROUP else g for g in state["groups"]]
    ssis = {
        node["name"]: next(s for s in node["services"] if s["name"].startswith("MsDtsServer"))
        for node in state["nodes"]
    }
    first, second = ssis["NODE1"], ssis[owner]
    for key in ("status", "loaded"):
        first[key], second[key] = second[key], first[key]
    return state


def _changes_by_target(dump: dict[str, Any]) -> Counter[tuple[str, str]]:
    return Counter((cmdlet, target) for cmdlet, _, target in dump["change_log"])


MOVES = list(range(1, 11)) if FULL else [6]


@pytest.mark.parametrize("pipelines", MOVES)
def test_group_failover_between_steps_is_followed(
    tmp_path: Path, clean: dict[str, Any], pipelines: int
) -> None:
    """A failover after any pipeline: the run follows it, or fails clearly and resume finishes."""
    create_lab(tmp_path)
    with edit_lab(tmp_path) as cluster:
        move_group_after(cluster, GROUP, pipelines=pipelines, node="NODE2")
    result = run_sim(tmp_path)
    assert_no_traceback(result)
    if result.code != 0:
        # Moved after step 05 asked for the owner and before its script ran: the shared
        # disk left NODE1 under the step's feet.
        assert 1 == result.code, result.describe()
        assert "step 05-shared-config failed on NODE1: drive S:\\ is not reachable" in (
            error_line(result)
        )
        clear_faults(tmp_path)
        resumed = resume_sim(tmp_path, result.run_id)
        assert 0 == resumed.code, resumed.describe()
    final = lab_dump(tmp_path)
    assert _moved(clean, "NODE2") == normalised(final)
    assert _changes_by_target(clean) == _changes_by_target(final)


KILL_POINTS = (
    [
        (auth, slug, where)
        for auth in SIM_AUTHS
        for slug in STEP_SLUGS
        for where in ("boundary", "mid-step")
    ]
    if FULL
    else [(auth, "05-shared-config", "mid-step") for auth in SIM_AUTHS]
)


@pytest.mark.parametrize(("auth", "slug", "where"), KILL_POINTS)
def test_sigkill_then_resume_matches_a_clean_run(
    tmp_path: Path, clean: dict[str, Any], auth: str, slug: str, where: str
) -> None:
    """SIGKILL of psrunbook inside a step: the journal shows it running, resume finishes it."""
    targets = {node: nth for step, node, nth in STEP_COMMANDS if step == slug}
    create_lab(tmp_path)
    with hold_channels(tmp_path, sorted(targets)) as holds:
        # Every node of the step is held, so the journal's state when the process dies is
        # exact: before the script ("boundary") or after it ran and the lab was saved,
        # with the answer never delivered ("mid-step").
        arm(
            tmp_path,
            [
                {
                    "node": node,
                    "on": "Command",
                    "nth": nth,
                    "fault": "hold",
                    "action": "Receive" if where == "mid-step" else "Command",
                    "phase": "after" if where == "mid-step" else "before",
                    "notify": str(holds.paths[node]),
                }
                for node, nth in targets.items()
            ],
        )
        process = start_sim_run(tmp_path, auth=auth)
        try:
            holds.wait()
            assert process.poll() is None, "psrunbook ended before it was killed"
        finally:
            sigkill(process)
    assert -9 == process.returncode
    run_id = latest_run_id(tmp_path)
    assert run_outcome(tmp_path, run_id) is None
    records = applies(attempts(tmp_path, run_id))
    assert expected_journal(slug, frozenset(targets), "running") == Counter(records)
    if where == "mid-step":
        assert PIPELINES_AFTER[slug] <= lab_dump(tmp_path)["faults"]["pipelines_finished"]
    clear_faults(tmp_path)
    assert_resumes_to_clean(tmp_path, run_id, clean, auth=auth)
    assert auth == served_auth(tmp_path)


def test_slow_answer_shows_no_library_traceback_on_the_console(tmp_path: Path) -> None:
    """pypsrp logs the read timeout with its traceback; the console shows only psrunbook's error."""
    create_lab(tmp_path)
    arm(
        tmp_path,
        [
            {
                "node": "NODE1",
                "on": "Command",
                "nth": 3,
                "fault": "delay",
                "action": "Receive",
                "count": 100,
                "seconds": SLOW_S,
            }
        ],
    )
    result = psrunbook(
        "--log-format",
        "console",
        "run",
        "ssis-clustered",
        "--sim",
        "--yes",
        "--retries",
        "0",
        "--step-timeout",
        "1",
        state_dir=tmp_path,
    )
    assert 1 == result.code, result.describe()
    assert_no_traceback(result)
    assert "step 03-possible-owners failed on NODE1: no answer from NODE1 (127.0.0.1:" in (
        error_line(result)
    )
