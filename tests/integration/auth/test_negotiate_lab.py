"""The lab's NTLM over HTTP as WinRM serves it: the Negotiate handshake, sealed messages,
and each refusal with the status Windows answers, against real pypsrp clients."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

SCRIPT = "output the-script-text-that-must-not-travel-in-clear"


@pytest.fixture
def ntlm_node() -> Iterator[SimEndpoint]:
    with SimEndpoint(
        TrivialExecutor(), node="NODE1", users={USER: PASSWORD}, auth="ntlm", record_wire=True
    ) as ep:
        yield ep


def ntlm_client(endpoint: SimEndpoint, **overrides: object) -> WSMan:
    return client_for(endpoint, **{"auth": "ntlm", "encryption": "auto", **overrides})


def arguments_sent(endpoint: SimEndpoint) -> list[bytes]:
    """The base64 PSRP payloads of the plain envelopes the node unsealed."""
    return [
        match.group(1)
        for body, _, _ in endpoint.exchanges or []
        for match in re.finditer(rb"<rsp:Arguments>([^<]+)</rsp:Arguments>", body)
    ]


def test_ntlm_runs_a_pipeline_with_every_envelope_sealed(ntlm_node: SimEndpoint) -> None:
    ntlm_node.exchanges = []
    with RunspacePool(ntlm_client(ntlm_node)) as pool:
        assert [SCRIPT.removeprefix("output ")] == PowerShell(pool).add_script(SCRIPT).invoke()

    wire = b"".join(ntlm_node.wire or [])
    payloads = arguments_sent(ntlm_node)
    assert payloads, "the node saw the script's pipeline in the plain envelopes"
    assert any(b"the-script-text" in base64.b64decode(p) for p in payloads)
    assert b"the-script-text" not in wire
    assert "the-script-text".encode("utf-16-le") not in wire
    assert not any(p in wire for p in payloads)
    assert b"Envelope" not in wire
    # Every message with a body went as multipart/encrypted, both ways.
    sealed = (
        b'content-type: multipart/encrypted;protocol="application/http-spnego-session-encrypted"'
    )
    with_body = [m.partition(b"\r\n\r\n") for m in ntlm_node.wire or []]
    assert len([1 for _, _, body in with_body if body]) >= 6
    for head, _, body in with_body:
        assert not body or sealed in head.lower()


def test_the_first_request_is_answered_401_negotiate(ntlm_node: SimEndpoint) -> None:
    with RunspacePool(ntlm_client(ntlm_node)):
        pass
    first_answer = (ntlm_node.wire or [])[1]
    assert first_answer.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    assert b"\r\nWWW-Authenticate: Negotiate\r\n" in first_answer
    assert b"Basic" not in first_answer  # WinRM's default: Basic off


def test_a_wrong_password_is_refused_with_401(ntlm_node: SimEndpoint) -> None:
    with pytest.raises(AuthenticationError):
        RunspacePool(ntlm_client(ntlm_node, password="wrong")).open()
    assert 0 == ntlm_node.counters.shells_open
    last_answer = (ntlm_node.wire or [])[-1]
    assert last_answer.startswith(b"HTTP/1.1 401 ")


def test_an_unencrypted_message_is_refused_as_allow_unencrypted_false(
    ntlm_node: SimEndpoint,
) -> None:
    """A client that asks for no encryption over HTTP authenticates, then is refused."""
    with pytest.raises(AuthenticationError):
        RunspacePool(ntlm_client(ntlm_node, encryption="never")).open()
    assert 0 == ntlm_node.counters.shells_open
    assert 0 == ntlm_node.counters.requests("Create")


def test_basic_credentials_are_refused_by_a_negotiate_node(ntlm_node: SimEndpoint) -> None:
    with pytest.raises(AuthenticationError):
        RunspacePool(client_for(ntlm_node)).open()  # Basic, unencrypted
    assert 0 == ntlm_node.counters.requests("Create")


def test_a_kerberos_only_node_refuses_ntlm() -> None:
    with (
        SimEndpoint(TrivialExecutor(), node="NODE1", users={}, auth="kerberos") as node,
        pytest.raises(AuthenticationError),
    ):
        RunspacePool(ntlm_client(node)).open()


def test_negotiate_node_takes_ntlm_inside_spnego() -> None:
    """pypsrp's ``negotiate`` with a password and no Kerberos realm falls back to NTLM."""
    with (
        SimEndpoint(
            TrivialExecutor(), node="NODE1", users={USER: PASSWORD}, auth="negotiate"
        ) as node,
        RunspacePool(client_for(node, auth="negotiate", encryption="auto")) as pool,
    ):
        assert ["NODE1\\psrunbook"] == PowerShell(pool).add_script("whoami").invoke()


def test_two_nodes_with_one_account_and_two_passwords_are_refused() -> None:
    with (
        SimEndpoint(TrivialExecutor(), node="NODE1", users={USER: "one"}, auth="ntlm"),
        pytest.raises(ValueError, match="another password"),
    ):
        SimEndpoint(TrivialExecutor(), node="NODE2", users={USER: "two"}, auth="ntlm")


@pytest.fixture
def ntlm_https_node() -> Iterator[SimEndpoint]:
    with SimEndpoint(
        TrivialExecutor(), node="NODE1", users={USER: PASSWORD}, auth="ntlm", tls=True
    ) as ep:
        yield ep


def test_ntlm_over_https_takes_plain_envelopes(ntlm_https_node: SimEndpoint) -> None:
    """TLS encrypts the connection, so WinRM takes NTLM-authenticated envelopes unsealed
    over HTTPS (``AllowUnencrypted`` is about unencrypted traffic): pypsrp's default
    ``encryption="auto"`` seals only over HTTP, and its tests run Negotiate over HTTPS
    against Windows that way."""
    client = ntlm_client(
        ntlm_https_node, ssl=True, encryption="auto", cert_validation=ntlm_https_node.cert_path
    )
    with RunspacePool(client) as pool:
        assert ["over tls"] == PowerShell(pool).add_script("output over tls").invoke()


def test_ntlm_over_https_takes_sealed_envelopes_too(ntlm_https_node: SimEndpoint) -> None:
    """``encryption="always"`` seals inside TLS as well; the node unseals and answers."""
    client = ntlm_client(
        ntlm_https_node, ssl=True, encryption="always", cert_validation=ntlm_https_node.cert_path
    )
    with RunspacePool(client) as pool:
        assert ["sealed"] == PowerShell(pool).add_script("output sealed").invoke()
