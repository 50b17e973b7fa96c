"""Each refusal a domain node gives, through the real CLI, with psrunbook naming the cause.

The nodes are simulator endpoints serving NTLM or Kerberos (a real KDC) with message
encryption over HTTP; ``psrunbook ping --json`` reports each node's status and detail.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import SIM_USER
from tests.integration.auth.conftest import http_inventory as inventory
from tests.support.kdc import Realm, expire_tickets

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PASSWORD_ENV = "PSRUNBOOK_REFUSALS_TEST_PASSWORD"
PASSWORD = "refusals-Passw0rd"


def ntlm_node() -> SimFleet:
    return SimFleet(
        ["NODE1"], executor=cluster_executor(sample_lab()), users={SIM_USER: PASSWORD}, auth="ntlm"
    )


NTLM = ('auth = "ntlm"', f'username = "{SIM_USER}"', f'password_env = "{PASSWORD_ENV}"')


def ping(psrunbook: Psrunbook, inventory_path: Path, password: str, expect: int) -> dict:
    result = psrunbook(
        "ping", "-i", str(inventory_path), "--json", env={PASSWORD_ENV: password}, expect=expect
    )
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)["nodes"][0]


def test_ntlm_wrong_password_is_an_auth_failure_naming_user_and_password(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    with ntlm_node() as fleet:
        path = inventory(tmp_path / "inv.toml", fleet["NODE1"].port, *NTLM)
        node = ping(psrunbook, path, "wrong", expect=1)
    assert "auth failed" == node["status"]
    assert "check the user and password" in node["detail"]


def test_ntlm_right_password_answers(psrunbook: Psrunbook, tmp_path: Path) -> None:
    with ntlm_node() as fleet:
        path = inventory(tmp_path / "inv.toml", fleet["NODE1"].port, *NTLM)
        assert "ok" == ping(psrunbook, path, PASSWORD, expect=0)["status"]


def test_asking_for_no_encryption_over_http_names_allow_unencrypted(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """WinRM refuses unsealed messages (AllowUnencrypted = false); it is never retried."""
    with ntlm_node() as fleet:
        path = inventory(tmp_path / "inv.toml", fleet["NODE1"].port, *NTLM, 'encryption = "never"')
        node = ping(psrunbook, path, PASSWORD, expect=1)
        assert 0 == fleet["NODE1"].counters.requests("Create")
    assert "auth failed" == node["status"]
    assert "AllowUnencrypted" in node["detail"]
    assert 'remove encryption = "never"' in node["detail"]


KERBEROS = ('auth = "kerberos"',)


@pytest.fixture
def kerberos_node(kerberos_env: Realm) -> Iterator[int]:
    with SimFleet(
        ["NODE1"], executor=cluster_executor(sample_lab()), users={}, auth="kerberos"
    ) as fleet:
        yield fleet["NODE1"].port


def test_kerberos_ticket_answers_with_no_user_or_password(
    psrunbook: Psrunbook, tmp_path: Path, kerberos_node: int
) -> None:
    path = inventory(tmp_path / "inv.toml", kerberos_node, *KERBEROS)
    assert "username" not in path.read_text() and "password" not in path.read_text()
    assert "ok" == ping(psrunbook, path, "", expect=0)["status"]


def test_kerberos_without_a_ticket_names_kinit(
    psrunbook: Psrunbook, tmp_path: Path, kerberos_node: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'no-such-ccache'}")
    path = inventory(tmp_path / "inv.toml", kerberos_node, *KERBEROS)
    node = ping(psrunbook, path, "", expect=1)
    assert "auth failed" == node["status"]
    assert "no Kerberos ticket in the credential cache" in node["detail"]
    assert "kinit" in node["detail"]


def test_kerberos_with_an_expired_ticket_says_so(
    psrunbook: Psrunbook,
    tmp_path: Path,
    kerberos_node: int,
    kerberos_env: Realm,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expired = tmp_path / "expired.ccache"
    shutil.copyfile(kerberos_env.ccache, expired)
    expire_tickets(expired)
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{expired}")
    path = inventory(tmp_path / "inv.toml", kerberos_node, *KERBEROS)
    node = ping(psrunbook, path, "", expect=1)
    assert "auth failed" == node["status"]
    assert "the Kerberos ticket in the credential cache has expired; run kinit" in node["detail"]


def test_a_node_without_the_key_refuses_the_ticket(
    psrunbook: Psrunbook, tmp_path: Path, kerberos_env: Realm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node's keytab lacks its service key (a reset computer account): 401, named."""
    other = tmp_path / "other.keytab"
    kerberos_env.kadmin(f"ktadd -k {other} -norandkey {kerberos_env.user}")
    monkeypatch.setenv("KRB5_KTNAME", f"FILE:{other}")
    with SimFleet(
        ["NODE1"], executor=cluster_executor(sample_lab()), users={}, auth="kerberos"
    ) as fleet:
        path = inventory(tmp_path / "inv.toml", fleet["NODE1"].port, *KERBEROS)
        node = ping(psrunbook, path, "", expect=1)
    assert "auth failed" == node["status"]
    assert "the node refused the Kerberos ticket" in node["detail"]
    assert "host/127.0.0.1" in node["detail"]
