"""CredSSP as the lab serves it with pyspnego's acceptor: TLS inside the HTTP tokens, the
user's credentials delegated, then every message sealed, in 16 KiB parts when longer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from requests_credssp.exceptions import NTStatusException

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from tests.integration.auth.conftest import http_inventory
from tests.integration.sim.simclient import PASSWORD, USER, client_for

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

ACCOUNT = f"LAB\\{USER}"
LONG = "x" * 40_000  # over CredSSP's 16 KiB per sealed part, both ways


@pytest.fixture
def credssp_node() -> Iterator[SimEndpoint]:
    with SimEndpoint(
        TrivialExecutor(),
        node="NODE1",
        users={ACCOUNT: PASSWORD},
        auth="credssp",
        record_wire=True,
    ) as ep:
        yield ep


def test_credssp_delegates_and_seals_long_messages_in_parts(credssp_node: SimEndpoint) -> None:
    client = client_for(credssp_node, auth="credssp", username=ACCOUNT, encryption="auto")
    with RunspacePool(client) as pool:
        assert [f"NODE1\\{ACCOUNT}"] == PowerShell(pool).add_script("whoami").invoke()
        assert [LONG] == PowerShell(pool).add_script(f"output {LONG}").invoke()
    wire = b"".join(credssp_node.wire or [])
    assert LONG[:100].encode() not in wire
    assert b"Envelope" not in wire
    assert b"Content-Type: multipart/x-multi-encrypted;" in wire  # the long answer
    assert b"WWW-Authenticate: CredSSP\r\n" in wire


def test_credssp_wrong_password_is_refused(credssp_node: SimEndpoint) -> None:
    client = client_for(
        credssp_node, auth="credssp", username=ACCOUNT, password="wrong", encryption="auto"
    )
    with pytest.raises(NTStatusException):
        RunspacePool(client).open()
    assert 0 == credssp_node.counters.requests("Create")


def test_psrunbook_names_a_credssp_refusal(
    psrunbook: Psrunbook, tmp_path: Path, credssp_node: SimEndpoint
) -> None:
    inventory = http_inventory(
        tmp_path / "inv.toml",
        credssp_node.port,
        'auth = "credssp"',
        "username = 'LAB\\psrunbook'",
        'password_env = "CREDSSP_TEST_PASSWORD"',
    )
    result = psrunbook(
        "ping", "-i", str(inventory), "--json", env={"CREDSSP_TEST_PASSWORD": "wrong"}, expect=1
    )
    node = json.loads(result.stdout)["nodes"][0]
    assert "auth failed" == node["status"]
    assert "CredSSP authentication failed" in node["detail"]
    assert "check the user and password" in node["detail"]
