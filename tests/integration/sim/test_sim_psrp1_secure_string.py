"""A SecureString a pipeline outputs reaches the client encrypted as Windows sends it,
through real pypsrp 0.9.1 over HTTP.

Evidence: ``PSRemotingCryptoHelperServer.EncryptSecureString`` (PowerShell/PowerShell
src/System.Management.Automation/engine/remoting/common/CryptoUtils.cs): a client of
protocol 2.2 or later is never asked for its key, the server encrypts with the session
key it generates and hands that key over at the client's later key exchange; an older
client is sent PUBLIC_KEY_REQUEST (MS-PSRP 2.2.2.5) and the pipeline waits for the
exchange. pypsrp 1.0's ``tests_psrp/test_sync.py::test_powershell_receive_secure_
string`` (passes on Windows): the value arrives before ``exchange_key()``, undecryptable,
and decrypts after it. pypsrp 0.9.1 leaves an ``<SS>`` it cannot decrypt as the element.
"""

from __future__ import annotations

import threading
from xml.etree import ElementTree

import psrpcore
import pypsrp.powershell
import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from tests.integration.sim.simclient import client_for

pytestmark = pytest.mark.integration

_SECRET = "ConvertTo-SecureString -String 'secret' -AsPlainText -Force"


def _decrypt(pool: RunspacePool, element: ElementTree.Element) -> str:
    """The text of an ``<SS>`` element, decrypted by pypsrp with the key it exchanged."""
    return str(pool._serializer._deserialize_secure_string(element))


def test_secure_string_before_key_exchange_is_encrypted_with_the_session_key(lab_pool):
    ps = PowerShell(lab_pool)
    ps.add_script(_SECRET)
    (value,) = ps.invoke()
    # Encrypted, not a placeholder text: 0.9.1 keeps what it cannot decrypt as the element.
    assert isinstance(value, ElementTree.Element)
    assert value.tag == "SS"

    lab_pool.exchange_keys()
    # The key the client now holds is the one the value was encrypted with.
    assert _decrypt(lab_pool, value) == "secret"

    ps = PowerShell(lab_pool)
    ps.add_script(_SECRET)
    assert ps.invoke() == ["secret"]


def test_an_old_client_is_asked_for_its_key_first(
    lab_endpoint: SimEndpoint, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(pypsrp.powershell, "PROTOCOL_VERSION", "2.1")
    asked = threading.Event()
    request_key = psrpcore.ServerRunspacePool.request_key

    def recorded_request_key(pool: psrpcore.ServerRunspacePool) -> None:
        request_key(pool)
        asked.set()

    monkeypatch.setattr(psrpcore.ServerRunspacePool, "request_key", recorded_request_key)
    with RunspacePool(client_for(lab_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_script(_SECRET)
        ps.begin_invoke()
        # The pipeline asks for the key and waits for it before it sends the value.
        assert asked.wait(30), "the server never sent PUBLIC_KEY_REQUEST"
        pool.exchange_keys()  # PUBLIC_KEY answers the server's PUBLIC_KEY_REQUEST
        ps.end_invoke()
        assert ps.state == PSInvocationState.COMPLETED
        assert ps.output == ["secret"]
