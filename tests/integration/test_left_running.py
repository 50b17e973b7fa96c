"""A step whose process died while its script ran: resume waits for that script first.

WinRM does not stop a pipeline whose client vanished, and neither does the lab (its
shells stay connected, then disconnected, with their pipelines running). Here the lab
is served by this test process, so it outlives the ``psrunbook`` process that is killed,
as a cluster node outlives a crashed operator workstation. The bring-online step's
resource is held ``OnlinePending`` until the test lets it settle, so the killed run's
script is still polling when ``resume`` starts.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from psrunbook.journal import Journal
from psrunbook.runbooks._ssis.lab import clustered_defaults
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import lab_facts, sample_lab
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml

pytestmark = pytest.mark.integration

PSRUNBOOK = str(Path(sys.executable).with_name("psrunbook"))
PASSWORD = "left-running-password"
SSIS = "SQL Server Integration Services"
GROUP = "SQL Server (MSSQLSERVER)"
BRING_ONLINE = 10
BRING_ONLINE_COMMAND_ON_NODE1 = 12
"""The bring-online script is NODE1's 12th pipeline of a clean run (the owner probe is
its 11th; tests/reliability/harness.py's STEP_COMMANDS proves the table)."""
WAIT_S = 60.0


def _command(*args: str, state: Path) -> list[str]:
    return [PSRUNBOOK, *args, "--state-dir", str(state)]


def _environment() -> dict[str, str]:
    return {**os.environ, "PSRUNBOOK_SIM_PASSWORD": PASSWORD, "NO_COLOR": "1"}


def _lines(stream: IO[str]) -> queue.Queue[str | None]:
    """Every line of ``stream`` as it comes, None at its end (read on a thread of its own,
    so a wait for one line has a deadline)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _event(line: str) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _wait_for_action(
    lines: queue.Queue[str | None], action: str, seen: list[str]
) -> dict[str, Any]:
    """The first event of ``action`` on the resume's stderr (every line kept in ``seen``)."""
    while True:
        try:
            line = lines.get(timeout=WAIT_S)
        except queue.Empty:
            pytest.fail(f"no {action} event within {WAIT_S:g} s:\n" + "".join(seen))
        if line is None:
            pytest.fail(f"the resume ended without a {action} event:\n" + "".join(seen))
        seen.append(line)
        event = _event(line)
        if event is not None and event.get("event", {}).get("action") == action:
            return event


@pytest.fixture
def held_lab() -> Iterator[tuple[Any, SimFleet]]:
    """The sample lab, served here, whose resources stay OnlinePending once started
    without waiting, until the test settles them."""
    lab = sample_lab()
    lab.timing.observations = 10**9
    lab.timing.seconds = 10.0**9
    with SimFleet(
        ["NODE1", "NODE2"], executor=cluster_executor(lab), users={SIM_USER: PASSWORD}
    ) as fleet:
        yield lab, fleet


def _parameters(lab: Any) -> list[str]:
    return [
        argument
        for name, value in clustered_defaults(lab_facts(lab), {}).items()
        for argument in ("-p", f"{name}={value}")
    ]


def _killed_at_bring_online(lab: Any, fleet: SimFleet, tmp_path: Path) -> tuple[Path, str, int]:
    """Run ssis-clustered against the served lab and SIGKILL it once NODE1's bring-online
    pipeline exists (it then polls a resource held OnlinePending): the state directory,
    the run id and the attempt left ``running``."""
    state = tmp_path / "state"
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(inventory_toml(fleet, cluster=lab.name), encoding="utf-8")
    run = subprocess.Popen(
        _command(
            "run", "ssis-clustered", "-i", str(inventory), "--yes", *_parameters(lab), state=state
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_environment(),
    )
    try:
        assert fleet["NODE1"].counters.wait_for_pipelines(BRING_ONLINE_COMMAND_ON_NODE1, WAIT_S)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=WAIT_S)
    with Journal.open(state) as journal:
        [record] = journal.runs()
        crashed = [a for a in journal.attempts(record.run_id) if a.step_index == BRING_ONLINE]
    assert ["running"] == [a.status for a in crashed]
    assert crashed[0].pipeline is not None  # journaled before the script was sent
    return state, record.run_id, crashed[0].attempt_id


@contextmanager
def _watched(*args: str, state: Path) -> Iterator[subprocess.Popen[str]]:
    """``psrunbook ARGS`` with its log (JSON lines) on a pipe; killed if a test fails."""
    process = subprocess.Popen(
        _command(*args, state=state),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _settle_the_pending_resource(lab: Any) -> None:
    """The killed run's script polls a resource held OnlinePending: let it come online."""
    with lab.lock:
        assert "OnlinePending" == lab.resource(SSIS).state
        lab.resource(SSIS).pending_observations = 0  # its next look settles it


def _waits_then_settles(
    process: subprocess.Popen[str],
    seen: list[str],
    let_it_end: Callable[[], None],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The process's ``step.left_running`` event; then ``let_it_end`` lets the left script
    end; then its ``step.left_settled`` event. Waits for the process to exit."""
    assert process.stderr is not None
    lines = _lines(process.stderr)
    waiting = _wait_for_action(lines, "step.left_running", seen)
    let_it_end()
    settled = _wait_for_action(lines, "step.left_settled", seen)
    process.wait(timeout=WAIT_S)
    seen.extend(line for line in iter(lambda: lines.get(timeout=WAIT_S), None) if line)
    process.stderr.close()
    assert 0 == process.returncode, "".join(seen)
    assert "finished" == settled["psrunbook"]["settlement"]
    return waiting, settled


def _journaled_end(state: Path, attempt_id: int, run_id: str) -> str:
    with Journal.open(state) as journal:
        [crashed] = [a for a in journal.attempts(run_id) if a.attempt_id == attempt_id]
    assert "failed" == crashed.status
    return str(crashed.errors[0]["message"])


def test_resume_waits_for_the_script_a_killed_run_left_running(
    tmp_path: Path, held_lab: tuple[Any, SimFleet]
) -> None:
    lab, fleet = held_lab
    state, run_id, crashed = _killed_at_bring_online(lab, fleet, tmp_path)
    shown = subprocess.run(
        _command("runs", "show", run_id, state=state),
        capture_output=True, text=True, env=_environment(), timeout=WAIT_S, check=False,
    )  # fmt: skip
    assert 0 == shown.returncode, shown.stderr
    assert "10-bring-online on NODE1 (apply, running): if its process is gone" in " ".join(
        shown.stdout.split()
    )
    unhold = subprocess.run(
        _command("runs", "unhold", run_id, state=state),
        capture_output=True, text=True, env=_environment(), timeout=WAIT_S, check=False,
    )  # fmt: skip
    assert 0 == unhold.returncode, unhold.stderr
    seen: list[str] = []
    with _watched("resume", run_id, "--yes", state=state) as resume:
        waiting, _ = _waits_then_settles(resume, seen, lambda: _settle_the_pending_resource(lab))
    assert (crashed, "NODE1") == (waiting["psrunbook"]["left_attempt_id"], waiting["host"]["name"])
    with Journal.open(state) as journal:
        after = [a for a in journal.attempts(run_id) if a.step_index == BRING_ONLINE]
    # The re-check ran only once the left script had ended: it saw the resource Online,
    # so the step changed nothing the second time.
    check, apply = after[1], after[-1]
    assert check.check_only and check.result is not None
    assert "Online" == check.result["Before"]["State"]
    assert ("succeeded", False) == (apply.status, apply.changed)
    assert "and waited for it to end" in _journaled_end(state, crashed, run_id)
    with lab.lock:
        assert "Online" == lab.resource(SSIS).state
    # The left shell was deleted, not left to count against the node's shells for hours.
    assert fleet["NODE1"].counters.wait_for_open_shells(0, WAIT_S)


def test_a_new_run_after_a_crash_waits_for_the_crashed_runs_script(
    tmp_path: Path, held_lab: tuple[Any, SimFleet]
) -> None:
    """An operator who starts over instead of resuming: the crashed run's stale hold is
    broken, and the new run sends nothing to any node (not even its preflight) before
    the crashed run's script on NODE1 has ended."""
    lab, fleet = held_lab
    state, crashed_run, crashed = _killed_at_bring_online(lab, fleet, tmp_path)
    before = [fleet[n].counters.pipelines_created for n in ("NODE1", "NODE2")]
    while_waiting: list[int] = []

    def let_it_end() -> None:
        while_waiting.extend(fleet[n].counters.pipelines_created for n in ("NODE1", "NODE2"))
        _settle_the_pending_resource(lab)

    inventory = str(tmp_path / "inventory.toml")
    seen: list[str] = []
    with _watched(
        "run", "ssis-clustered", "-i", inventory, "--yes", *_parameters(lab), state=state
    ) as rerun:
        waiting, _ = _waits_then_settles(rerun, seen, let_it_end)
    assert before == while_waiting
    assert crashed == waiting["psrunbook"]["left_attempt_id"]
    assert crashed_run in waiting["message"]
    with Journal.open(state) as journal:
        new_run = next(r for r in journal.runs() if r.run_id != crashed_run)
        first_on_node1 = next(a for a in journal.attempts(new_run.run_id) if a.node == "NODE1")
    assert "preflight" == first_on_node1.step_name
    assert new_run.run_id in _journaled_end(state, crashed, crashed_run)


def test_after_a_failover_resume_waits_for_the_script_left_on_the_old_owner(
    tmp_path: Path, held_lab: tuple[Any, SimFleet]
) -> None:
    """The group moved to NODE2 after the crash (the left script on NODE1 then sees the
    resource Offline and polls on): resume still waits for that script, which ends once
    the resource is online on its new owner, before bring-online runs again."""
    lab, fleet = held_lab
    state, run_id, crashed = _killed_at_bring_online(lab, fleet, tmp_path)
    with lab.lock:
        lab.move_group(lab.group(GROUP), "NODE2")  # the left script now sees it Offline

    def bring_online_on_the_new_owner() -> None:  # the left script sees it and ends
        with lab.lock:
            lab.begin_online(lab.resource(SSIS), wait=True)

    seen: list[str] = []
    with _watched("resume", run_id, "--yes", state=state) as resume:
        waiting, _ = _waits_then_settles(resume, seen, bring_online_on_the_new_owner)
    assert (crashed, "NODE1") == (waiting["psrunbook"]["left_attempt_id"], waiting["host"]["name"])
    with Journal.open(state) as journal:
        after = [a for a in journal.attempts(run_id) if a.step_index == BRING_ONLINE]
    assert "Online" == after[1].result["Before"]["State"]  # type: ignore[index]
    assert ("succeeded", False) == (after[-1].status, after[-1].changed)
    with lab.lock:
        assert ("Online", "NODE2") == (lab.resource(SSIS).state, lab.group(GROUP).owner)


def test_a_new_run_waits_for_the_script_a_lost_connection_left_running(
    tmp_path: Path, held_lab: tuple[Any, SimFleet]
) -> None:
    """NODE1 stops answering while its bring-online script polls (a network cut): the run
    fails there, its process ends normally, and the script runs on. The journal says its
    end was never seen, ``runs show`` says where it may still run, and a new run started
    instead of a resume waits for it before sending anything, records how it ended, and a
    third run does not ask again."""
    lab, fleet = held_lab
    state = tmp_path / "state"
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(inventory_toml(fleet, cluster=lab.name), encoding="utf-8")
    run_args = ("run", "ssis-clustered", "-i", str(inventory), "--yes", *_parameters(lab))
    with _watched(*run_args, "--retries", "0", state=state) as cut_off:
        assert fleet["NODE1"].counters.wait_for_pipelines(BRING_ONLINE_COMMAND_ON_NODE1, WAIT_S)
        fleet["NODE1"].faults.refuse_connections()  # its Receive and its shell's Delete fail
        _, log = cut_off.communicate(timeout=WAIT_S)
    fleet["NODE1"].faults.accept_connections()
    assert 1 == cut_off.returncode, log
    with Journal.open(state) as journal:
        [first_run] = journal.runs()
        [lost] = [a for a in journal.attempts(first_run.run_id) if a.step_index == BRING_ONLINE]
    assert ("NODE1", "failed", None, True) == (
        lost.node, lost.status, lost.pipeline_end, lost.may_be_left_running
    )  # fmt: skip
    with lab.lock:
        assert "OnlinePending" == lab.resource(SSIS).state  # its script polls on
    shown = subprocess.run(
        _command("runs", "show", first_run.run_id, state=state),
        capture_output=True, text=True, env=_environment(), timeout=WAIT_S, check=False,
    )  # fmt: skip
    assert 0 == shown.returncode, shown.stderr
    assert "its script may still be running on the node" in " ".join(shown.stdout.split())
    document = subprocess.run(
        _command("runs", "show", first_run.run_id, "--json", state=state),
        capture_output=True, text=True, env=_environment(), timeout=WAIT_S, check=False,
    )  # fmt: skip
    [pipeline] = [
        a["pipeline"]
        for a in json.loads(document.stdout)["attempts"]
        if (a["step_index"], a["node"], a["mode"]) == (BRING_ONLINE, "NODE1", "apply")
    ]
    assert (None, True) == (pipeline["end"], pipeline["may_be_running"])

    seen: list[str] = []
    with _watched(*run_args, state=state) as rerun:
        waiting, _ = _waits_then_settles(rerun, seen, lambda: _settle_the_pending_resource(lab))
    assert (lost.attempt_id, "NODE1") == (
        waiting["psrunbook"]["left_attempt_id"], waiting["host"]["name"]
    )  # fmt: skip
    with Journal.open(state) as journal:
        second_run = next(r for r in journal.runs() if r.run_id != first_run.run_id)
        attempts = journal.attempts(first_run.run_id)
        [settled] = [a for a in attempts if a.attempt_id == lost.attempt_id]
        assert [] == journal.open_pipelines(lab.name, other_than="a third run")
    assert ("failed", "finished", second_run.run_id) == (
        settled.status, settled.pipeline_end, settled.pipeline_end_run
    )  # fmt: skip
    assert lost.errors == settled.errors  # its own end (the lost connection) is kept
    shown = subprocess.run(
        _command("runs", "show", first_run.run_id, state=state),
        capture_output=True, text=True, env=_environment(), timeout=WAIT_S, check=False,
    )  # fmt: skip
    text = " ".join(shown.stdout.split())
    assert "its script may still be running" not in text
    assert (
        f"its script outlived the attempt; run {second_run.run_id} found it still on the node "
        "and waited for it to end"
    ) in text
    assert fleet["NODE1"].counters.wait_for_open_shells(0, WAIT_S)
