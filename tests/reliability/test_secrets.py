"""No secret ever leaves the process: not in output, logs, the journal, a bundle or an error.

A known connection password and a known secret runbook parameter go through run, plan,
export, a failing run (with pypsrp logging a traceback), resume, all at ``-vvv`` (which
turns pypsrp's and urllib3's own loggers up to DEBUG) with a JSON log file; then every
byte psrunbook wrote is searched for either secret, plain or as a Basic-auth token.
Over Basic the messages go out without requests (``psrunbook.transport.direct_http``), so
NTLM runs the same checks through pypsrp's requests path, its traceback and urllib3's lines.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.fault_file import FaultSpec, TriggeredFaultPlan
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV, SIM_USER, inventory_toml
from tests.conftest import FIXTURES
from tests.reliability.harness import Result, psrunbook

pytestmark = pytest.mark.reliability

PASSWORD = f"Conn-Pw-{uuid.uuid4().hex}"
TOKEN = f"Param-Tok-{uuid.uuid4().hex}"


@dataclass
class Lab:
    fleet: SimFleet
    inventory: Path
    state: Path
    auth: str


@pytest.fixture(params=["basic", "ntlm"])
def lab(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Lab]:
    cluster = sample_lab(2, "2019")
    with SimFleet(
        ["NODE1", "NODE2"],
        executor=cluster_executor(cluster),
        users={SIM_USER: PASSWORD},
        auth=request.param,
    ) as fleet:
        inventory = tmp_path / "inventory.toml"
        inventory.write_text(inventory_toml(fleet, cluster=cluster.name), encoding="utf-8")
        yield Lab(fleet, inventory, tmp_path / "state", request.param)


def forbidden() -> list[str]:
    """Every form in which a secret could leak."""
    basic = base64.b64encode(f"{SIM_USER}:{PASSWORD}".encode()).decode()
    return [PASSWORD, TOKEN, basic, base64.b64encode(TOKEN.encode()).decode()]


def greeting(lab: Lab, command: str, *extra: str, log: Path) -> Result:
    args = [
        "-vvv",
        "--log-format",
        "json",
        "--log-file",
        str(log),
        "--runbooks",
        str(FIXTURES / "user_runbooks"),
        "--templates",
        str(FIXTURES / "user_templates"),
        command,
    ]
    if command != "resume":
        args += ["greeting"]
    args += [*extra, "-i", str(lab.inventory)]
    if command != "export":
        args += ["--state-dir", str(lab.state)]
    return psrunbook(
        *args,
        state_dir=lab.state,
        env={PASSWORD_ENV: PASSWORD, "PSRUNBOOK_PARAM_TOKEN": TOKEN},
    )


def test_no_secret_in_any_output_log_journal_or_bundle(lab: Lab, tmp_path: Path) -> None:
    """Run, plan, export, a failure with a logged traceback and resume leak neither secret."""
    results: list[Result] = []
    logs = tmp_path / "logs"
    logs.mkdir()
    name = ("-p", "name=world")
    results.append(greeting(lab, "plan", *name, log=logs / "plan.json"))
    results.append(
        greeting(lab, "export", *name, "-o", str(tmp_path / "bundle"), log=logs / "export.json")
    )
    # A Receive slower than the step timeout: pypsrp logs the ReadTimeout with its traceback.
    node2 = lab.fleet["NODE2"]
    node2.faults = TriggeredFaultPlan(
        node2.faults,
        [FaultSpec(node="NODE2", on="Command", nth=1, fault="delay", action="Receive", seconds=4)],
    )
    failed = greeting(
        lab,
        "run",
        *name,
        "--yes",
        "--retries",
        "0",
        "--step-timeout",
        "1",
        "-p",
        "repeat=2",
        log=logs / "failed.json",
    )
    results.append(failed)
    assert 1 == failed.code, failed.describe()
    node2.faults.clear()
    results.append(greeting(lab, "resume", failed.run_id, "--yes", log=logs / "resume.json"))
    results.append(greeting(lab, "run", *name, "--yes", log=logs / "run.json"))
    assert [0, 0, 1, 0, 0] == [r.code for r in results], [r.describe() for r in results]
    run_log = (logs / "run.json").read_text(encoding="utf-8")
    assert '"level": "debug", "logger": "pypsrp.wsman"' in run_log  # its own DEBUG lines are on
    if lab.auth == "ntlm":  # through requests: pypsrp's traceback and urllib3's DEBUG lines
        assert '"frames"' in (logs / "failed.json").read_text(encoding="utf-8")
        assert '"level": "debug", "logger": "urllib3.connectionpool"' in run_log

    texts = {f"{r.args[8]} stdout": r.stdout for r in results}
    texts.update({f"{r.args[8]} stderr": r.stderr for r in results})
    files = [*logs.iterdir(), *(tmp_path / "bundle").rglob("*"), *lab.state.rglob("*")]
    for path in files:
        if path.is_file():
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    assert any(str(p).endswith("journal.sqlite3") for p in files)
    leaks = [
        (where, secret) for where, text in texts.items() for secret in forbidden() if secret in text
    ]
    assert [] == leaks
