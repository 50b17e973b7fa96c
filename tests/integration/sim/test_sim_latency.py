"""Injected latency: ``sim serve --latency-ms N`` and the lab's ``[network] latency_ms``.

Every request waits N ms before it is answered, as over a WAN link, in its own connection's
thread. What is asserted is what the endpoint counted (requests held, seconds added), never
how long anything took.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.embedded import LAB_FILE, EmbeddedLab, lab_dir
from psrunbook.sim.lab.lab_files import LabError, LabSpec, dump, load, sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def _run_one_pipeline(fleet: SimFleet, node: str = "NODE1") -> None:
    with RunspacePool(client_for(fleet[node])) as pool:
        assert ["x"] == PowerShell(pool).add_script("output x").invoke()


def test_every_request_waits_the_injected_latency() -> None:
    """Each request the node serves (pool open, pipeline, close) is held the latency once."""
    with SimFleet(
        ["NODE1", "NODE2"], executor=TrivialExecutor(), users={USER: PASSWORD}, latency_s=0.005
    ) as fleet:
        _run_one_pipeline(fleet)
        counters = fleet["NODE1"].counters
        assert counters.requests() >= 4
        assert counters.requests() == counters.delayed_requests
        assert counters.injected_latency_s == pytest.approx(0.005 * counters.requests())
        assert 0 == fleet["NODE2"].counters.delayed_requests


def test_requests_wait_out_the_latency_side_by_side() -> None:
    """Two connections' requests are held by a long latency at the same time: each waits
    in its own thread, so one waiting request never holds up another."""
    with SimFleet(["NODE1"], executor=TrivialExecutor(), users={}, latency_s=3600) as fleet:
        endpoint = fleet["NODE1"]
        answers: list[int] = []

        def post() -> None:
            connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=120)
            try:
                connection.request("POST", "/wsman", body=b"")
                answers.append(connection.getresponse().status)
            except OSError:
                answers.append(0)  # the endpoint closed while the request was held
            finally:
                connection.close()

        clients = [threading.Thread(target=post, daemon=True) for _ in range(2)]
        for client in clients:
            client.start()
        assert endpoint.counters.wait_for_delayed(2, timeout=60)
        assert [] == answers
    for client in clients:
        client.join(60)  # closing the fleet ends the held waits
    assert 2 == len(answers)


def test_the_embedded_lab_takes_its_latency_from_its_lab_file(tmp_path: Path) -> None:
    """``network.latency_ms`` in ``<state>/sim/lab.json`` delays every request of ``--sim``."""
    directory = lab_dir(tmp_path)
    directory.mkdir(parents=True)
    lab = sample_lab(2)
    lab.latency_ms = 4.0
    (directory / LAB_FILE).write_text(json.dumps(dump(lab)), encoding="utf-8")
    (directory / "lab-id").write_text("test-lab\n", encoding="utf-8")
    with EmbeddedLab(tmp_path) as embedded:
        endpoint = embedded.fleet["NODE1"]
        assert 0.004 == endpoint.latency_s
        with RunspacePool(
            client_for(endpoint, username="psrunbook", password=embedded.password)
        ) as pool:
            assert ["NODE1"] == PowerShell(pool).add_script("$env:COMPUTERNAME").invoke()
        counters = endpoint.counters
        assert counters.requests() == counters.delayed_requests > 0
    saved = json.loads((directory / LAB_FILE).read_text("utf-8"))
    assert {"latency_ms": 4.0} == saved["network"]


def test_a_lab_description_sets_the_latency_and_dumps_keep_it() -> None:
    spec = LabSpec.from_mapping({"network": {"latency_ms": 20}})
    assert 20.0 == spec.latency_ms
    lab = sample_lab(2)
    lab.latency_ms = 20.0
    assert 20.0 == load(dump(lab)).latency_ms


@pytest.mark.parametrize("value", [-1, "20", True, float("nan"), 60_001])
def test_a_bad_latency_in_a_lab_description_names_the_field(value: object) -> None:
    with pytest.raises(LabError, match=r"network\.latency_ms"):
        LabSpec.from_mapping({"network": {"latency_ms": value}})


@pytest.mark.parametrize("value", ["-1", "60001", "fast", "nan"])
def test_sim_serve_refuses_a_bad_latency_with_exit_2(value: str) -> None:
    result = CliRunner().invoke(
        app, ["sim", "serve", "--latency-ms", value], env={PASSWORD_ENV: "x"}
    )
    assert 2 == result.exit_code, result.output
    assert "--latency-ms" in result.output
    assert "Traceback" not in result.output


def test_sim_serve_latency_option_reaches_the_served_nodes(tmp_path: Path) -> None:
    """``psrunbook sim serve --latency-ms 7`` serves with it and says so."""
    env = {**os.environ, PASSWORD_ENV: "latency-pw"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "psrunbook", "sim", "serve", "--nodes", "1", "--latency-ms", "7"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line.strip())
            if line.startswith("serving"):
                break
        assert "every request takes 7 ms longer (injected latency)" in seen
        proc.send_signal(signal.SIGTERM)
        assert 0 == proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
