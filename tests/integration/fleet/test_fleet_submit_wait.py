"""Issue 17: `submit --wait` shows each run's state as it changes, and ends when they do.

Every state shown is made certain before the test looks for it: a run is held at its
node (a held pipeline) until the test has read "running step 2/11", waits for the
test's approval, or has no worker at all. The test reads ``submit``'s stderr line by
line as it comes, bounded by the harness's wait.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from queue import Empty, Queue

from psrunbook.sim.lab.cluster_fleet import ClusterFleet, ServedCluster
from tests.integration.fleet.harness import PSRUNBOOK, WAIT_S, Fleet

ADD_RESOURCE = "Add-ClusterResource -Name"
"""Step 2 of ssis-clustered's 11."""


class Submitted:
    """A ``submit --wait`` process whose stderr lines are read as they come."""

    def __init__(self, fleet: Fleet, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(PSRUNBOOK), "submit", *args, "--wait"],
            env=fleet.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._queue: Queue[str | None] = Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:
            for line in self.process.stderr:
                self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, what: str, matches: Callable[[str], bool]) -> str:
        """The next stderr line that ``matches``; fails naming what was seen."""
        while True:
            try:
                line = self._queue.get(timeout=WAIT_S)
            except Empty:
                line = None
            if line is None:
                raise AssertionError(f"no line {what}; seen: {self.lines}")
            self.lines.append(line)
            if matches(line):
                return line

    def end(self) -> tuple[int, str, str]:
        assert self.process.stdout is not None
        with self.process.stdout:
            out = self.process.stdout.read()
        code = self.process.wait(WAIT_S)
        while (line := self._queue.get(timeout=WAIT_S)) is not None:
            self.lines.append(line)
        return code, out, "\n".join(self.lines)


def test_wait_shows_approval_steps_and_the_end_of_each_run_and_exits_0(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Awaiting approval with the hash and the command, queued, running step N/M,
    succeeded: each run's changes, as they happen; exit 0 when all succeeded."""
    first, second = clusters.clusters[:2]
    hold = first.executor.hold(ADD_RESOURCE)
    fleet.worker("w1")
    submitted = Submitted(
        fleet, "ssis-clustered", "-i", str(first.inventory_path), "-i",
        str(second.inventory_path), "--params-file", str(ssis_params), "--require-approval",
    )  # fmt: skip
    try:
        for cluster in (first.name, second.name):
            line = submitted.until(
                f"{cluster} awaiting approval", lambda t, c=cluster: f" {c} awaiting approval" in t
            )
            run_id, _, _, _, _, sha256 = line.split(":")[0].split()
            assert f"psrunbook approve {run_id} --sha256 {sha256}" in line
            fleet.cli("approve", run_id, "--sha256", sha256)
        submitted.until(
            f"{first.name} at step 2", lambda t: f" {first.name} running step 2/11" in t
        )
    finally:
        hold.release()
    code, out, err = submitted.end()
    assert 0 == code, out + err
    ended = [line.split()[1:] for line in err.splitlines() if line.split()[-1] == "succeeded"]
    assert sorted([[first.name, "succeeded"], [second.name, "succeeded"]]) == sorted(ended)
    shown = [_state(line) for line in err.splitlines() if f" {first.name} " in line]
    states = [s for i, s in enumerate(shown) if i == 0 or shown[i - 1] != s]
    assert ("awaiting approval", "running", "succeeded") == (states[0], states[-2], states[-1])
    assert set(states) <= {"awaiting approval", "queued", "running", "succeeded"}, states


def _submit_one(fleet: Fleet, served: ServedCluster, params: Path, *args: str) -> Submitted:
    """``submit ssis-clustered --wait`` on one cluster, no worker yet."""
    inventory = str(served.inventory_path)
    return Submitted(fleet, "ssis-clustered", "-i", inventory, "--params-file", str(params), *args)


def _state(line: str) -> str:
    """The state a progress line shows (after the run id and the cluster)."""
    words = line.split()[2:]
    return "awaiting approval" if words[0] == "awaiting" else words[0]


def test_wait_json_ends_with_a_document_and_exits_1_when_a_run_is_cancelled(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """--json: JSON lines of the changes on stderr, the final document on stdout."""
    served = clusters.clusters[0]
    submitted = _submit_one(fleet, served, ssis_params, "--json")
    queued = json.loads(submitted.until("queued", lambda t: t.startswith("{")))
    assert "queued" == queued["state"]
    fleet.cli("cancel", queued["run_id"])
    code, out, err = submitted.end()
    assert 1 == code, out + err
    document = json.loads(out)
    assert {"runs", "wait"} == set(document)
    assert "ended" == document["wait"]
    [run] = document["runs"]
    assert (queued["run_id"], served.name) == (run["run_id"], run["cluster"])
    assert "cancelled" == run["state"]
    assert f"error: 1 of 1 run(s) did not succeed: {queued['run_id']} cancelled" in err


def test_wait_timeout_leaves_the_runs_queued_and_says_how_to_follow_them(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """--timeout: exit 124, the run still queued, the commands to follow it named."""
    served = clusters.clusters[0]
    done = fleet.cli(
        "submit", "ssis-clustered", "-i", str(served.inventory_path),
        "--params-file", str(ssis_params), "--wait", "--timeout", "0", expect=124,
    )  # fmt: skip
    run_id = done.stdout.split()[0]
    assert f"{run_id} {served.name} queued" in done.stderr
    assert "stopped waiting after 0 s; 1 run(s) go on without this command" in done.stderr
    assert f"`psrunbook runs show {run_id}`" in done.stderr
    assert "queued" == fleet.states([run_id])[run_id]


def test_ctrl_c_stops_the_wait_not_the_runs(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Ctrl-C while waiting: exit 130, says the runs go on; the run is still queued."""
    served = clusters.clusters[0]
    submitted = _submit_one(fleet, served, ssis_params)
    line = submitted.until("queued", lambda t: t.endswith(" queued"))
    submitted.process.send_signal(signal.SIGINT)
    code, out, err = submitted.end()
    assert 130 == code, out + err
    assert "stopped waiting (Ctrl-C); 1 run(s) go on without this command" in err
    assert "Traceback" not in err
    run_id = line.split()[0]
    assert "queued" == fleet.states([run_id])[run_id]
