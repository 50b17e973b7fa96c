"""``psrunbook ping`` through the real CLI: every node, reachable or not, in one answer.

The nodes are real simulator endpoints over pypsrp (one with the right password, one
that refuses it), a loopback port bound and closed again (refused) and a name under
``.invalid`` (RFC 6761: never resolves); the per-node deadline is a second or two.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import SIM_USER
from tests.integration.conftest import basic_http_inventory, refused_port

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PASSWORD_ENV = "PSRUNBOOK_PING_TEST_PASSWORD"
PASSWORD = "ping-test-password"


@pytest.mark.all_sim_auths
def test_ping_sim_lists_every_node_with_its_versions(psrunbook: Psrunbook) -> None:
    result = psrunbook("ping", "--sim")
    lines = result.stdout.splitlines()
    for node in ("NODE1", "NODE2"):
        row = next(line for line in lines if f"│ {node} " in line)
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert [node, "ok", "5.1.17763.1", "2.0.0.0"] == [cells[0], *cells[2:5]]


@pytest.mark.all_sim_auths
def test_ping_json_is_one_document_on_stdout(psrunbook: Psrunbook) -> None:
    document = json.loads(psrunbook("ping", "--sim", "--json").stdout)
    assert True is document["all_answered"]
    assert ["NODE1", "NODE2"] == [n["node"] for n in document["nodes"]]
    assert {("ok", True, True, "5.1.17763.1", "2.0.0.0")} == {
        (n["status"], n["reachable"], n["authenticated"], n["powershell"], n["failover_clusters"])
        for n in document["nodes"]
    }


def test_ping_reports_every_node_however_far_it_got_and_exits_1(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    lab = sample_lab()
    with (
        SimFleet(["NODE1"], executor=cluster_executor(lab), users={SIM_USER: PASSWORD}) as good,
        SimFleet(["NODE2"], executor=cluster_executor(lab), users={SIM_USER: "other"}) as wrong,
    ):
        nodes = [
            ("NODE1", "127.0.0.1", good.endpoints["NODE1"].port),
            ("NODE2", "127.0.0.1", wrong.endpoints["NODE2"].port),
            ("NODE3", "127.0.0.1", refused_port()),
            ("NODE4", "node4.invalid", 5985),
        ]
        inventory = basic_http_inventory(tmp_path / "mixed.toml", nodes, password_env=PASSWORD_ENV)

        result = psrunbook(
            "ping",
            "-i",
            str(inventory),
            "--insecure",
            "--deadline",
            "2",
            "--json",
            env={PASSWORD_ENV: PASSWORD},
            expect=1,
        )

    document = json.loads(result.stdout)
    by_node = {n["node"]: n for n in document["nodes"]}
    assert False is document["all_answered"]
    assert ("ok", True, True, "5.1.17763.1", "2.0.0.0") == tuple(
        by_node["NODE1"][k]
        for k in ("status", "reachable", "authenticated", "powershell", "failover_clusters")
    )
    assert ("auth failed", True, False, None) == tuple(
        by_node["NODE2"][k] for k in ("status", "reachable", "authenticated", "powershell")
    )
    assert ("unreachable", False, None) == tuple(
        by_node["NODE3"][k] for k in ("status", "reachable", "authenticated")
    )
    assert by_node["NODE3"]["detail"].startswith(
        f"cannot connect to NODE3 ({by_node['NODE3']['address']}): connection refused"
    )
    assert "unreachable" == by_node["NODE4"]["status"]
    assert (
        "cannot connect to NODE4 (node4.invalid:5985): name does not resolve"
        == (by_node["NODE4"]["detail"])
    )
    assert "3 of 4 node(s) did not answer: NODE2, NODE3, NODE4" in result.stderr
