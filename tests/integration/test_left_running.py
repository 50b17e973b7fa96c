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
from collections.abc import Iterator
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


def test_resume_waits_for_the_script_a_killed_run_left_running(
    tmp_path: Path, held_lab: tuple[Any, SimFleet]
) -> None:
    lab, fleet = held_lab
    state = tmp_path / "state"
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(inventory_toml(fleet, cluster=lab.name), encoding="utf-8")
    parameters = [
        argument
        for name, value in clustered_defaults(lab_facts(lab), {}).items()
        for argument in ("-p", f"{name}={value}")
    ]
    run = subprocess.Popen(
        _command("run", "ssis-clustered", "-i", str(inventory), "--yes", *parameters, state=state),
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

    unhold = subprocess.run(
        _command("runs", "unhold", record.run_id, state=state),
        capture_output=True, text=True, env=_environment(), timeout=WAIT_S, check=False,
    )  # fmt: skip
    assert 0 == unhold.returncode, unhold.stderr
    resume = subprocess.Popen(
        _command("resume", record.run_id, "--yes", state=state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    seen: list[str] = []
    try:
        assert resume.stderr is not None
        lines = _lines(resume.stderr)
        waiting = _wait_for_action(lines, "step.left_running", seen)
        # The killed run's script is still polling a resource that is OnlinePending.
        with lab.lock:
            assert "OnlinePending" == lab.resource(SSIS).state
            lab.resource(SSIS).pending_observations = 0  # its next look settles it
        settled = _wait_for_action(lines, "step.left_settled", seen)
        out, _ = resume.communicate(timeout=WAIT_S)
        seen.extend(line for line in iter(lambda: lines.get(timeout=WAIT_S), None) if line)
    finally:
        if resume.poll() is None:
            resume.kill()
            resume.communicate()
    assert 0 == resume.returncode, out + "".join(seen)
    fields = waiting["psrunbook"]
    assert (crashed[0].attempt_id, "NODE1") == (fields["left_attempt_id"], waiting["host"]["name"])
    assert "finished" == settled["psrunbook"]["settlement"]
    with Journal.open(state) as journal:
        after = [a for a in journal.attempts(record.run_id) if a.step_index == BRING_ONLINE]
    # The re-check ran only once the left script had ended: it saw the resource Online,
    # so the step changed nothing the second time.
    check, apply = after[1], after[-1]
    assert check.check_only and check.result is not None
    assert "Online" == check.result["Before"]["State"]
    assert ("succeeded", False) == (apply.status, apply.changed)
    with lab.lock:
        assert "Online" == lab.resource(SSIS).state
    # The left shell was deleted, not left to count against the node's shells for hours.
    assert fleet["NODE1"].counters.wait_for_open_shells(0, WAIT_S)
