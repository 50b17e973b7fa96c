"""Reaching nodes through the real CLI: fall back to a reachable node, say why one is not.

A node that is down is the lab's own fault (``node_down`` in ``sim/lab.json``: the
endpoint resets every connection) or the fault file's ``refuse`` (the endpoint stops
listening). Unreachable inventories use a loopback port bound and closed again (refused)
and a name under ``.invalid`` (RFC 6761: never resolves), with a connect deadline of a
couple of seconds, so nothing waits for a real timeout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.sim.lab.cluster_faults import node_down
from psrunbook.sim.lab.embedded import EmbeddedLab
from psrunbook.sim.lab.fault_file import FAULT_FILE
from psrunbook.sim.lab.lab_files import restore, save
from psrunbook.sim.lab.serve import SIM_USER
from tests.integration.conftest import basic_http_inventory, refused_port

if TYPE_CHECKING:
    from typer.testing import Result

    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PASSWORD_ENV = "PSRUNBOOK_REACH_TEST_PASSWORD"


def _events(log_file: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]


def _actions(events: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"].get("action") == action]


def _take_node1_down_in_the_lab(psrunbook: Psrunbook) -> None:
    with EmbeddedLab(psrunbook.state_dir):
        pass
    cluster = restore(psrunbook.lab_file)
    node_down(cluster, "NODE1")
    save(cluster, psrunbook.lab_file)


def _make_node1_refuse(psrunbook: Psrunbook) -> None:
    with EmbeddedLab(psrunbook.state_dir):
        pass
    fault = {"node": "NODE1", "on": "Create", "nth": 1, "fault": "refuse"}
    (psrunbook.lab_file.parent / FAULT_FILE).write_text(json.dumps([fault]), encoding="utf-8")


@pytest.mark.parametrize("take_down", [_take_node1_down_in_the_lab, _make_node1_refuse])
def test_an_any_node_step_runs_on_the_next_node_and_says_which_it_skipped(
    psrunbook: Psrunbook, tmp_path: Path, take_down: Any
) -> None:
    """NODE1 down, NODE2 healthy: `plan cluster-report` reports from NODE2 and says why."""
    take_down(psrunbook)
    log_file = tmp_path / "events.jsonl"

    result = psrunbook(
        "--log-file",
        str(log_file),
        "plan",
        "cluster-report",
        "--sim",
        "-p",
        "include_ssis=false",
    )

    skipped_line = next(line for line in result.stdout.splitlines() if "skipped:" in line)
    assert skipped_line.split()[:3] == ["01-cluster", "NODE1", "skipped:"]
    assert "cannot connect to NODE1 (127.0.0.1:" in skipped_line
    assert "ConnectionPool" not in result.stdout
    assert "Nodes of SIMCLUSTER" in result.stdout
    [run] = psrunbook.runs()
    assert ["NODE2"] == [a.node for a in psrunbook.attempts(run.run_id)]
    events = _events(log_file)
    [skip] = _actions(events, "step.node_skipped")
    assert "NODE1" == skip["host"]["name"]
    assert "cluster" == skip["psrunbook"]["step"]
    assert skip["psrunbook"]["reason"].startswith("cannot connect to NODE1 (127.0.0.1:")
    assert "warning" == skip["log"]["level"]
    # Who, on which cluster, with which runbook: as every step event says.
    assert (SIM_USER, "SIMCLUSTER", "cluster-report", run.run_id) == (
        skip["user"]["name"],
        skip["psrunbook"]["cluster"],
        skip["psrunbook"]["runbook"],
        skip["trace"]["id"],
    )
    assert ["NODE2"] == [e["host"]["name"] for e in _actions(events, "step.finished")]


def _plan_report(psrunbook: Psrunbook, inventory: Path, log_file: Path, *extra: str) -> Result:
    """`plan cluster-report` of the cluster step only, expected to fail, logging to a file."""
    return psrunbook(
        "--log-file",
        str(log_file),
        "plan",
        "cluster-report",
        "-i",
        str(inventory),
        *extra,
        "-p",
        "include_ssis=false",
        env={PASSWORD_ENV: "not-used"},
        expect=1,
    )


def test_no_reachable_node_names_each_node_and_reason(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """Refused and unresolvable: one line naming both, no urllib3 repr, no retry of DNS."""
    port = refused_port()
    inventory = basic_http_inventory(
        tmp_path / "down.toml",
        [("NODE1", "127.0.0.1", port), ("NODE2", "node2.invalid", 5985)],
        password_env=PASSWORD_ENV,
        connect_deadline_s=2,
    )
    log_file = tmp_path / "events.jsonl"

    result = _plan_report(psrunbook, inventory, log_file, "--insecure")

    assert (
        f"cannot connect to NODE1 (127.0.0.1:{port}): connection refused; "
        "cannot connect to NODE2 (node2.invalid:5985): name does not resolve"
    ) in result.stderr
    assert "ConnectionPool" not in result.stderr + result.stdout
    # NODE1 had another node to go to, and a name that does not resolve never will.
    assert [] == _actions(_events(log_file), "connection.retry")


def test_a_refused_node_is_retried_within_the_connect_deadline_with_time_left_shown(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """The only node refuses: retries are logged with the time left, then one clear line."""
    port = refused_port()
    inventory = basic_http_inventory(
        tmp_path / "one.toml",
        [("NODE1", "127.0.0.1", port)],
        password_env=PASSWORD_ENV,
        connect_deadline_s=3,
    )
    log_file = tmp_path / "events.jsonl"

    result = _plan_report(psrunbook, inventory, log_file)

    retries = _actions(_events(log_file), "connection.retry")
    assert retries, result.stderr
    for retry in retries:
        assert "NODE1" == retry["host"]["name"]
        assert (["network"], ["connection"]) == (
            retry["event"]["category"],
            retry["event"]["type"],
        )
        assert ("cluster-report", "psrunbook") == (
            retry["psrunbook"]["runbook"],
            retry["user"]["name"],
        )
        assert f"127.0.0.1:{port}" == retry["psrunbook"]["address"]
        assert 0 <= retry["psrunbook"]["deadline_left_s"] < 3
        assert "of the 3 s connect deadline left" in retry["message"]
    assert f"cannot connect to NODE1 (127.0.0.1:{port}): connection refused (gave up after" in (
        result.stderr
    )
