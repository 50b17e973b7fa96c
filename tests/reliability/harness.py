"""Running the real ``psrunbook`` against the embedded lab, with faults, as an operator would.

Every command runs as a subprocess of the installed console script with its own state
directory, so what a test sees is what an operator sees: stdout, stderr, the exit code,
the journal and the lab file in the state directory. Faults reach the embedded lab in
two ways: endpoint faults through ``sim/faults.json`` (see ``psrunbook.sim.lab.fault_file``),
cluster faults by editing the lab model in ``sim/lab.json`` before the command starts.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psrunbook.journal import AttemptRecord, Journal
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import restore, sample_lab, save, without_history
from psrunbook.sim.lab.serve import AUTH_ENV

PSRUNBOOK = str(Path(sys.executable).with_name("psrunbook"))
FULL = os.environ.get("PSRUNBOOK_RELIABILITY", "").lower() == "full"
"""``PSRUNBOOK_RELIABILITY=full`` runs every case; otherwise a bounded sample runs."""

SIM_AUTHS = ("basic", "ntlm")
"""How the embedded lab's nodes authenticate in the main scenarios: Basic on loopback,
and NTLM with every message sealed over plain HTTP, as a domain's WinRM serves it."""

GROUP = "SQL Server (MSSQLSERVER)"
SSIS_RESOURCE = "SQL Server Integration Services"

# The requests each node serves in a clean run of ssis-clustered on the default lab, as
# (step slug, node, nth Command on that node); test_fault_matrix proves this table.
# Steps that target "any node" run on NODE1, the first reachable; 05 first asks the owner.
STEP_COMMANDS: tuple[tuple[str, str, int], ...] = (
    ("01-preflight", "NODE1", 1),
    ("01-preflight", "NODE2", 1),
    ("02-add-resource", "NODE1", 2),
    ("03-possible-owners", "NODE1", 3),
    ("04-dependencies", "NODE1", 4),
    ("05-shared-config", "NODE1", 6),
    ("06-config-registry", "NODE1", 7),
    ("06-config-registry", "NODE2", 2),
    ("07-registry-checkpoint", "NODE1", 8),
    ("08-service-manual", "NODE1", 9),
    ("08-service-manual", "NODE2", 3),
    ("09-restart-stale", "NODE1", 11),
    ("10-bring-online", "NODE1", 12),
    ("11-verify", "NODE1", 13),
    ("11-verify", "NODE2", 4),
)
STEP_SLUGS = tuple(dict.fromkeys(slug for slug, _, _ in STEP_COMMANDS))
# Pipelines finished on the lab when each step's last pipeline ends (owner probe included).
PIPELINES_AFTER = {
    "01-preflight": 2,
    "02-add-resource": 3,
    "03-possible-owners": 4,
    "04-dependencies": 5,
    "05-shared-config": 7,
    "06-config-registry": 9,
    "07-registry-checkpoint": 10,
    "08-service-manual": 12,
    "09-restart-stale": 14,
    "10-bring-online": 15,
    "11-verify": 17,
}


@dataclass(frozen=True)
class Result:
    """One finished command."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def run_id(self) -> str:
        for line in self.stdout.splitlines():
            if line.startswith("run "):
                return line.split()[1]
        raise AssertionError(f"no run id in output of {self.args}:\n{self.stdout}")

    def describe(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def environment(extra: dict[str, str] | None = None, *, auth: str = "basic") -> dict[str, str]:
    """The environment of one command: none of the caller's ``PSRUNBOOK_*`` settings, and
    the embedded lab serving ``auth`` (``PSRUNBOOK_SIM_AUTH``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSRUNBOOK_")}
    env.update({"PYTHONUNBUFFERED": "1", "COLUMNS": "200", "NO_COLOR": "1", AUTH_ENV: auth})
    env.update(extra or {})
    return env


def psrunbook(
    *args: str,
    state_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    auth: str = "basic",
) -> Result:
    """Run one psrunbook command to its end (``--sim`` nodes authenticating with ``auth``)."""
    state = ["--state-dir", str(state_dir)] if _takes_state(args) else []
    completed = subprocess.run(
        [PSRUNBOOK, *args, *state],
        capture_output=True,
        text=True,
        env=environment(env, auth=auth),
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Result(tuple(args), completed.returncode, completed.stdout, completed.stderr)


def _takes_state(args: tuple[str, ...]) -> bool:
    commands = {"run", "plan", "resume", "runs", "reset"}
    return "--state-dir" not in args and any(a in commands for a in args)


def run_sim(
    state_dir: Path, *extra: str, env: dict[str, str] | None = None, auth: str = "basic"
) -> Result:
    return psrunbook(
        "run", "ssis-clustered", "--sim", "--yes", *extra, state_dir=state_dir, env=env, auth=auth
    )


def resume_sim(state_dir: Path, run_id: str, *extra: str, auth: str = "basic") -> Result:
    return psrunbook("resume", run_id, "--sim", "--yes", *extra, state_dir=state_dir, auth=auth)


# ---------------------------------------------------------------------------- lab state


def lab_file(state_dir: Path) -> Path:
    return state_dir / "sim" / "lab.json"


def fault_file(state_dir: Path) -> Path:
    return state_dir / "sim" / "faults.json"


def create_lab(state_dir: Path) -> None:
    """Create a fresh embedded lab in the state directory, as the first ``--sim`` would."""
    directory = state_dir / "sim"
    directory.mkdir(parents=True, mode=0o700)
    save(sample_lab(2, "2019"), directory / "lab.json")
    (directory / "lab-id").write_text(uuid.uuid4().hex + "\n", encoding="utf-8")


@contextmanager
def edit_lab(state_dir: Path) -> Iterator[SimCluster]:
    """Change the lab model between two commands (arming cluster-level faults)."""
    cluster = restore(lab_file(state_dir))
    yield cluster
    save(cluster, lab_file(state_dir))


def arm(state_dir: Path, faults: list[dict[str, Any]]) -> None:
    fault_file(state_dir).write_text(json.dumps(faults), encoding="utf-8")


def clear_faults(state_dir: Path) -> None:
    """Clear every fault: the fault file, and the lab's armed cluster faults."""
    fault_file(state_dir).unlink(missing_ok=True)
    raw = json.loads(lab_file(state_dir).read_text(encoding="utf-8"))
    raw["faults"]["fail_online"] = {}
    raw["faults"]["scheduled_moves"] = []
    lab_file(state_dir).write_text(json.dumps(raw), encoding="utf-8")


def served_auth(state_dir: Path) -> str:
    """How the embedded lab's nodes authenticated in the last command: the ``auth`` of the
    inventory it wrote for the run (``sim/inventory.toml``), proof the setting reached it."""
    text = (state_dir / "sim" / "inventory.toml").read_text(encoding="utf-8")
    return str(tomllib.loads(text)["connection"]["auth"])


def lab_dump(state_dir: Path) -> dict[str, Any]:
    return dict(json.loads(lab_file(state_dir).read_text(encoding="utf-8")))


VOLATILE = ("clock", "faults", "changes", "change_log", "lab")


def normalised(dump: dict[str, Any]) -> dict[str, Any]:
    """The cluster state without what differs between equal states (virtual clock,
    fault bookkeeping, change counters); the change log is compared on its own."""
    return {k: v for k, v in without_history(dump).items() if k not in VOLATILE}


def applied(dump: dict[str, Any]) -> Counter[tuple[str, ...]]:
    """Every change the lab applied, as a multiset of (cmdlet, node, target)."""
    return Counter(tuple(entry) for entry in dump["change_log"])


# ---------------------------------------------------------------------------- journal


def attempts(state_dir: Path, run_id: str) -> list[AttemptRecord]:
    with Journal.open(state_dir) as journal:
        return journal.attempts(run_id)


def applies(records: list[AttemptRecord]) -> list[tuple[str, str, str]]:
    """(step slug, node, status) of every apply attempt, in journal order."""
    return [
        (f"{a.step_index:02d}-{a.step_name}", a.node, a.status) for a in records if not a.check_only
    ]


# ---------------------------------------------------------------------------- processes


@dataclass
class Holds:
    """FIFOs that ``hold`` faults write to when they stop the client at their request.

    Each FIFO is opened read-write by the test itself, so it always has a writer and never
    reports end-of-file: ``select`` wakes exactly when a hold is reached, no polling.
    """

    paths: dict[str, Path]
    descriptors: dict[str, int]

    def wait(self, *, timeout: float = 60.0) -> None:
        """Block until every node has been held."""
        pending = {fd: node for node, fd in self.descriptors.items()}
        deadline = time.monotonic() + timeout
        while pending:
            remaining = max(deadline - time.monotonic(), 0)
            ready, _, _ = select.select(list(pending), [], [], remaining)
            if not ready:
                raise AssertionError(f"timed out waiting for holds on {sorted(pending.values())}")
            for fd in ready:
                os.read(fd, 4096)
                pending.pop(fd)


@contextmanager
def hold_channels(state_dir: Path, nodes: list[str]) -> Iterator[Holds]:
    """One notification FIFO per node, closed afterwards."""
    holds = Holds(paths={}, descriptors={})
    try:
        for node in nodes:
            path = state_dir / f"hold-{node}.fifo"
            os.mkfifo(path)
            holds.paths[node] = path
            holds.descriptors[node] = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        yield holds
    finally:
        for fd in holds.descriptors.values():
            os.close(fd)


def start_sim_run(
    state_dir: Path,
    *,
    auth: str = "basic",
    options: Sequence[str] = (),
    wrapper: Sequence[str] = (),
) -> subprocess.Popen[str]:
    """``psrunbook run ssis-clustered --sim``, started through ``wrapper`` (e.g. ``nohup``)."""
    return subprocess.Popen(
        [
            *wrapper,
            PSRUNBOOK,
            "run",
            "ssis-clustered",
            "--sim",
            "--yes",
            "--state-dir",
            str(state_dir),
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environment(auth=auth),
    )


def sigkill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)


def latest_run_id(state_dir: Path) -> str:
    with Journal.open(state_dir) as journal:
        return journal.runs(1)[0].run_id


def run_outcome(state_dir: Path, run_id: str) -> str | None:
    with Journal.open(state_dir) as journal:
        return journal.run(run_id).outcome


def error_line(result: Result) -> str:
    """The one error message a failed command prints: its ``error:`` line and any detail
    lines under it (log events, which are JSON lines, are not part of it)."""
    lines = result.stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert 1 == len(starts), result.describe()
    message = [lines[starts[0]]]
    for line in lines[starts[0] + 1 :]:
        if line.startswith("{"):
            break
        message.append(line)
    return "\n".join(message)


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.describe()
