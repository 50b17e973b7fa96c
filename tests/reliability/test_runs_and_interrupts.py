"""One process per run and per cluster; interrupts stop a run at once and truthfully.

Issue 14: two processes resumed one run against a real inventory (only ``--sim`` took a
lock), both exited 0 and every remaining step was applied twice; Ctrl-C during a
multi-node step did not stop it (the workers timed out, retried and applied the step
after the interrupt), and SIGTERM or SIGHUP killed psrunbook with the run left
unfinished. Every case runs the installed ``psrunbook`` as a subprocess and waits on
``hold`` faults (a FIFO notification), never on time.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from psrunbook.holds import cluster_resource
from psrunbook.journal import Journal
from psrunbook.sim.endpoint.endpoint_faults import EndpointFaultPlan
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.fault_file import FaultSpec, TriggeredFaultPlan
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV, SIM_USER, inventory_toml
from tests.reliability import test_fault_matrix as matrix
from tests.reliability.harness import (
    FULL,
    PSRUNBOOK,
    STEP_COMMANDS,
    Holds,
    applied,
    applies,
    arm,
    assert_no_traceback,
    attempts,
    clear_faults,
    create_lab,
    environment,
    error_line,
    hold_channels,
    lab_dump,
    latest_run_id,
    psrunbook,
    run_outcome,
    served_auth,
    start_sim_run,
)

pytestmark = pytest.mark.reliability

clean = matrix.clean
"""The fault matrix's fixture: the lab after one clean run of ssis-clustered."""

PASSWORD = "Held-Runs-Pw-1"
PARAMS = Path(__file__).parents[2] / "examples" / "ssis-clustered.toml"


# ----------------------------------------------------------------------- one holder


@dataclass
class Served:
    """A lab served on loopback in this process, reached through a real inventory file."""

    fleet: SimFleet
    cluster: SimCluster
    inventory: Path
    state: Path
    plans: dict[str, EndpointFaultPlan]

    def arm(self, specs: list[FaultSpec]) -> None:
        """Replace every node's faults; request counts start again from this call."""
        for node, plan in self.plans.items():
            plan.clear()
            self.fleet[node].faults = TriggeredFaultPlan(plan, [s for s in specs if s.node == node])

    def release(self) -> None:
        for node in self.plans:
            self.fleet[node].faults.clear()

    def command(self, *args: str) -> list[str]:
        return [PSRUNBOOK, *args, "-i", str(self.inventory), "--state-dir", str(self.state)]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    cluster = sample_lab(2, "2019")
    with SimFleet(
        ["NODE1", "NODE2"], executor=cluster_executor(cluster), users={SIM_USER: PASSWORD}
    ) as fleet:
        inventory = tmp_path / "inventory.toml"
        inventory.write_text(inventory_toml(fleet, cluster=cluster.name), encoding="utf-8")
        plans = {node: fleet[node].faults for node in ("NODE1", "NODE2")}
        yield Served(fleet, cluster, inventory, tmp_path / "state", plans)


def _run(served: Served, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        served.command(*args),
        capture_output=True,
        text=True,
        env=environment({PASSWORD_ENV: PASSWORD}),
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_a_second_process_is_refused_a_held_run_and_its_cluster(
    served: Served, tmp_path: Path
) -> None:
    """While one process resumes a run (held mid-step), a second resume of it and a new run
    on its cluster exit 2 naming the holder; the first finishes, every change applied once."""
    # A run that fails at step 02 (NODE1's 2nd Command), to be resumed.
    served.arm([FaultSpec("NODE1", "Command", 2, "http", "Command")])
    failed = _run(served, "run", "ssis-clustered", "--params-file", str(PARAMS), "--yes",
                  "--retries", "0")  # fmt: skip
    assert 1 == failed.returncode, failed.stderr
    run_id = latest_run_id(served.state)
    with hold_channels(tmp_path, ["NODE1"]) as holds:
        # The resume re-checks step 02 (NODE1's 1st Command), then applies it: held there.
        served.arm(
            [FaultSpec("NODE1", "Command", 2, "hold", "Command", notify=str(holds.paths["NODE1"]))]
        )
        first = subprocess.Popen(
            served.command("resume", run_id, "--yes"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=environment({PASSWORD_ENV: PASSWORD}),
        )
        try:
            holds.wait()
            second = _run(served, "resume", run_id, "--yes")
            other = _run(served, "run", "ssis-clustered", "--params-file", str(PARAMS), "--yes")
        finally:
            served.release()
            out, err = first.communicate(timeout=120)
    assert 0 == first.returncode, out + err
    for refused, what in ((second, f"run {run_id}"), (other, "cluster")):
        assert 2 == refused.returncode, refused.stdout + refused.stderr
        assert "Traceback" not in refused.stderr
        message = refused.stderr
        assert f"{what}" in message and "is held by another psrunbook process" in message
        assert f"pid {first.pid} on host " in message and " since " in message
        assert f"psrunbook runs unhold {run_id}" in message
    # Nothing the refused commands could have done reached the lab: every change once.
    assert all(1 == n for n in Counter(tuple(c) for c in served.cluster.change_log).values())
    assert "succeeded" == run_outcome(served.state, run_id)


# ----------------------------------------------------------------------- interrupts

STEP = "06-config-registry"
"""A step on every node (NODE1's 7th Command, NODE2's 2nd)."""

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
INTERRUPTS = [("basic", signum) for signum in SIGNALS] + [("ntlm", signal.SIGINT)]
"""Every signal over Basic; Ctrl-C over NTLM-sealed HTTP too (all of them when full)."""
if FULL:
    INTERRUPTS += [("ntlm", signal.SIGTERM), ("ntlm", signal.SIGHUP)]


@pytest.mark.parametrize(
    ("auth", "signum"), INTERRUPTS, ids=[f"{auth}-{s.name}" for auth, s in INTERRUPTS]
)
def test_an_interrupt_stops_a_multi_node_step_at_once(
    tmp_path: Path, clean: dict[str, Any], auth: str, signum: signal.Signals
) -> None:
    """SIGINT, SIGTERM or SIGHUP while both nodes' scripts of a step are held before they
    run: exit 130, the journal says exactly what finished and that the step was
    interrupted, nothing is applied after the signal, and resume ends as a clean run.

    The lab's Stop handling (PSRP Signal reaching a running script) is the endpoint's;
    the step is held before its scripts run, so what is proven here is the client side.
    """
    targets = {node: nth for step, node, nth in STEP_COMMANDS if step == STEP}
    with _held_step_run(tmp_path, targets, auth=auth) as (process, before):
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    assert 130 == process.returncode, f"{out}\n{err}"
    assert_no_traceback(_Result(out, err))
    # The notice says how long the run waits for the nodes (--stop-grace 1): no silent wait.
    notice = f"{signum.name}: stopping the run (running scripts are asked to stop and given 1 s"
    assert notice in err
    run_id = latest_run_id(tmp_path)
    assert f"run {run_id} interrupted" in error_line(_Result(out, err))
    assert "interrupted" == run_outcome(tmp_path, run_id)
    records = attempts(tmp_path, run_id)
    assert matrix.expected_journal(STEP, frozenset(targets), "failed") == Counter(applies(records))
    stopped = [a for a in records if f"{a.step_index:02d}-{a.step_name}" == STEP]
    assert all("interrupted" in str(a.errors[0].get("message")) for a in stopped)
    # Nothing was applied after the signal (the lab is saved after every pipeline).
    assert before == applied(lab_dump(tmp_path))
    clear_faults(tmp_path)
    matrix.assert_resumes_to_clean(tmp_path, run_id, clean, auth=auth)
    assert auth == served_auth(tmp_path)


def _hold_step(state: Path, holds: Holds, targets: dict[str, int]) -> None:
    """Hold every node's Command of the step before its script runs, for good (count 100:
    a retry or a stop request is held too), each notifying its FIFO."""
    arm(
        state,
        [
            {
                "node": node,
                "on": "Command",
                "nth": nth,
                "fault": "hold",
                "count": 100,
                "notify": str(holds.paths[node]),
            }
            for node, nth in targets.items()
        ],
    )


@contextmanager
def _held_step_run(
    state: Path,
    targets: dict[str, int],
    *,
    auth: str = "basic",
    stop_grace: str = "1",
    wrapper: Sequence[str] = (),
) -> Iterator[tuple[subprocess.Popen[str], Counter[tuple[str, ...]]]]:
    """A ``--sim`` run held for good at every node of the step (see :func:`_hold_step`):
    yields the process, once every node is held, and the lab's changes at that point.

    The held nodes never answer the stop request either, so an interrupted run waits
    its whole ``--stop-grace`` for them: 1 s here unless a test needs another."""
    create_lab(state)
    with hold_channels(state, sorted(targets)) as holds:
        _hold_step(state, holds, targets)
        process = start_sim_run(
            state, auth=auth, options=("--stop-grace", stop_grace), wrapper=wrapper
        )
        try:
            holds.wait()
            yield process, applied(lab_dump(state))
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


@dataclass(frozen=True)
class _Result:
    stdout: str
    stderr: str
    code: int = 0
    args: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def test_runs_unhold_breaks_the_hold_of_a_killed_process(tmp_path: Path) -> None:
    """SIGKILL leaves the hold behind; `runs unhold` checks its pid is gone and breaks it."""
    targets = {node: nth for step, node, nth in STEP_COMMANDS if step == STEP}
    create_lab(tmp_path)
    with hold_channels(tmp_path, sorted(targets)) as holds:
        arm(
            tmp_path,
            [
                {
                    "node": node,
                    "on": "Command",
                    "nth": nth,
                    "fault": "hold",
                    "notify": str(holds.paths[node]),
                }
                for node, nth in targets.items()
            ],
        )
        process = start_sim_run(tmp_path)
        try:
            holds.wait()
        finally:
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=60)
    run_id = latest_run_id(tmp_path)
    unhold = psrunbook("runs", "unhold", run_id, state_dir=tmp_path)
    assert 0 == unhold.code, unhold.describe()
    assert f"run:{run_id}" in unhold.stdout
    clear_faults(tmp_path)
    resumed = psrunbook("resume", run_id, "--sim", "--yes", state_dir=tmp_path)
    assert 0 == resumed.code, resumed.describe()


def test_a_second_interrupt_exits_at_once(tmp_path: Path) -> None:
    """A second SIGINT exits 130 at once instead of waiting out the grace period for nodes
    that do not answer: both nodes of a step stay held (their Commands never answered),
    so only the forced exit can end the process before the grace period; it leaves their
    attempts ``running`` (the graceful path journals them as interrupted) and the run
    unfinished, which resume treats as unknown and re-checks.

    Synchronised by the hold notification and by the first signal's notice on stderr
    (printed after the stop is requested), never by time.
    """
    targets = {node: nth for step, node, nth in STEP_COMMANDS if step == STEP}
    # An hour's grace: the second signal, not the end of the grace, ends the process.
    with _held_step_run(tmp_path, targets, stop_grace="3600") as (process, before):
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        seen: list[str] = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith("SIGINT: stopping the run"):
                break
        else:
            raise AssertionError("no notice of the first SIGINT:\n" + "".join(seen))
        process.send_signal(signal.SIGINT)
        out, rest = process.communicate(timeout=60)
    err = "".join(seen) + rest
    assert 130 == process.returncode, f"{out}\n{err}"
    assert_no_traceback(_Result(out, err))
    assert "SIGINT again: exiting now" in err
    run_id = latest_run_id(tmp_path)
    # Forced: nothing was journaled after the second signal, so the held attempts are
    # still 'running' and the run has no outcome; nothing was applied after the signal.
    assert run_outcome(tmp_path, run_id) is None
    held = [a for a in attempts(tmp_path, run_id) if f"{a.step_index:02d}-{a.step_name}" == STEP]
    assert {(a.node, a.status) for a in held} == {(node, "running") for node in targets}, (
        f"{[(a.node, a.status, a.errors) for a in held]}\n{out}\n{err}"
    )
    assert before == applied(lab_dump(tmp_path))


def test_a_run_under_nohup_is_not_stopped_by_a_hang_up(tmp_path: Path) -> None:
    """``nohup psrunbook run ...``: the hang-up of the operator's terminal does not stop
    the change (nohup started it with SIGHUP ignored, and a run keeps that); SIGTERM
    still stops it as usual.

    Both signals are sent while the step is held: were SIGHUP caught, its handler would
    run first (a process's pending signals are handled in signal-number order, and a
    caught SIGHUP is never discarded), and the notice would name it. Never by time.
    """
    nohup = shutil.which("nohup")
    assert nohup is not None, "nohup (coreutils) is needed for this case"
    targets = {node: nth for step, node, nth in STEP_COMMANDS if step == STEP}
    with _held_step_run(tmp_path, targets, wrapper=(nohup,)) as (process, before):
        process.send_signal(signal.SIGHUP)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
    assert 130 == process.returncode, f"{out}\n{err}"
    assert_no_traceback(_Result(out, err))
    assert "SIGTERM: stopping the run" in err
    assert "SIGHUP" not in err
    run_id = latest_run_id(tmp_path)
    assert "interrupted" == run_outcome(tmp_path, run_id)
    assert before == applied(lab_dump(tmp_path))


def test_an_interrupt_before_a_journaled_script_runs_leaves_it_to_be_rechecked(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    """SIGINT after the journal recorded step 02's attempt on NODE1 but before the node ran
    its script (the Command is held before the lab serves it): exit 130; the attempt is
    journaled `failed` with an `interrupted` error whose effect is unknown, nothing after
    it is journaled, the run's outcome is `interrupted`, and its hold on the run and the
    cluster is given back (docs/execution.md) so a resume needs no `runs unhold`; resume
    re-checks the step on NODE1 before applying it, and ends as a clean run."""
    step = "02-add-resource"
    targets = {node: nth for slug, node, nth in STEP_COMMANDS if slug == step}
    assert ["NODE1"] == list(targets)
    with _held_step_run(tmp_path, targets) as (process, before):
        run_id = latest_run_id(tmp_path)
        held = [a for a in attempts(tmp_path, run_id) if a.step_index == 2]
        assert [("NODE1", "running", False)] == [(a.node, a.status, a.check_only) for a in held]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    assert 130 == process.returncode, f"{out}\n{err}"
    assert_no_traceback(_Result(out, err))
    assert f"run {run_id} interrupted; continue with `psrunbook resume {run_id}" in error_line(
        _Result(out, err)
    )
    assert "interrupted" == run_outcome(tmp_path, run_id)
    records = attempts(tmp_path, run_id)
    assert matrix.expected_journal(step, "NODE1", "failed") == Counter(applies(records))
    (stopped,) = [a for a in records if a.step_index == 2]
    message = str(stopped.errors[0].get("message"))
    assert "interrupted (SIGINT) before the node answered" in message
    assert "resume re-checks it" in message
    assert before == applied(lab_dump(tmp_path))  # the script never ran
    with Journal.open(tmp_path) as journal:
        assert {} == journal.holds_of(run_id)
        assert {} == journal.holders([cluster_resource("SIMCLUSTER")])
    clear_faults(tmp_path)
    matrix.assert_resumes_to_clean(tmp_path, run_id, clean)
    resumed = [a for a in attempts(tmp_path, run_id) if a.attempt_id > stopped.attempt_id]
    first = next(a for a in resumed if a.step_index == 2)
    assert ("NODE1", True) == (first.node, first.check_only)  # re-checked before applying


def test_an_interrupt_while_the_pools_open_journals_the_step_as_not_run(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    """SIGINT after the journal recorded step 01's attempts but while each node's pool is
    still opening (its Create held before the lab serves it): no script was sent, so
    each attempt is journaled as interrupted *before its script was sent* (the step did
    not run there), not as an unknown effect; the run is `interrupted`, its hold given
    back, and resume re-checks the step on both nodes and ends as a clean run."""
    create_lab(tmp_path)
    with hold_channels(tmp_path, ["NODE1", "NODE2"]) as holds:
        arm(
            tmp_path,
            [
                {"node": node, "on": "Create", "nth": 1, "fault": "hold", "count": 100,
                 "notify": str(holds.paths[node])}
                for node in ("NODE1", "NODE2")
            ],
        )  # fmt: skip
        process = start_sim_run(tmp_path)
        try:
            holds.wait()
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert 130 == process.returncode, f"{out}\n{err}"
    assert_no_traceback(_Result(out, err))
    run_id = latest_run_id(tmp_path)
    assert "interrupted" == run_outcome(tmp_path, run_id)
    records = attempts(tmp_path, run_id)
    assert {("NODE1", "failed"), ("NODE2", "failed")} == {(a.node, a.status) for a in records}
    for record in records:
        message = str(record.errors[0].get("message"))
        assert "interrupted (SIGINT) before its script was sent; the step did not run" in message
    assert [] == lab_dump(tmp_path)["change_log"]
    with Journal.open(tmp_path) as journal:
        assert {} == journal.holds_of(run_id)
    clear_faults(tmp_path)
    matrix.assert_resumes_to_clean(tmp_path, run_id, clean)
