"""The lab's sealing against pypsrp's own: both directions, and what is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import spnego
from pypsrp.encryption import WinRMEncryption

from psrunbook.sim.endpoint import message_encryption
from psrunbook.sim.endpoint.message_encryption import SPNEGO
from psrunbook.sim.endpoint.ntlm_accounts import STORE

MESSAGE = b"<s:Envelope>a script the network must not read</s:Envelope>"
CONTENT_TYPE = (
    'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";'
    'boundary="Encrypted Boundary"'
)


@pytest.fixture
def contexts() -> Iterator[tuple[Any, Any]]:
    """A completed NTLM client and server pair, as after the HTTP handshake."""
    handle = STORE.register({"LAB\\user": "pw"})
    try:
        client = spnego.client(
            "LAB\\user", "pw", protocol="ntlm", options=spnego.NegotiateOptions.wrapping_winrm
        )
        server = spnego.server(protocol="negotiate")
        token = client.step()
        while not client.complete or token is not None:
            answer = server.step(token)
            token = client.step(answer) if answer else None
        yield client, server
    finally:
        STORE.release(handle)


def test_a_pypsrp_message_unseals_and_the_answer_unwraps_in_pypsrp(contexts) -> None:
    client, server = contexts
    pypsrp = WinRMEncryption(client, WinRMEncryption.SPNEGO)
    _, body = pypsrp.wrap_message(MESSAGE)
    assert MESSAGE not in body
    assert MESSAGE == message_encryption.unseal(server, SPNEGO, CONTENT_TYPE, body)

    answer_type, answer = message_encryption.seal(server, message_encryption.SPNEGO, MESSAGE)
    assert CONTENT_TYPE == answer_type
    assert MESSAGE not in answer
    assert MESSAGE == pypsrp.unwrap_message(answer, "Encrypted Boundary")


def test_a_tampered_message_is_refused(contexts) -> None:
    client, server = contexts
    _, body = WinRMEncryption(client, WinRMEncryption.SPNEGO).wrap_message(MESSAGE)
    tampered = bytearray(body)
    tampered[-30] ^= 0x01
    with pytest.raises(message_encryption.EncryptionError, match="does not unseal"):
        message_encryption.unseal(server, SPNEGO, CONTENT_TYPE, bytes(tampered))


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        (CONTENT_TYPE.replace("SPNEGO", "CredSSP"), "not this session's"),
        (CONTENT_TYPE.replace("SPNEGO", "Digest"), "not this session's"),
        (CONTENT_TYPE.replace("Encrypted Boundary", "Other"), "boundary"),
    ],
)
def test_other_protocols_and_boundaries_are_refused(contexts, content_type, reason) -> None:
    client, server = contexts
    _, body = WinRMEncryption(client, WinRMEncryption.SPNEGO).wrap_message(MESSAGE)
    with pytest.raises(message_encryption.EncryptionError, match=reason):
        message_encryption.unseal(server, SPNEGO, content_type, body)


def test_a_truncated_body_is_refused(contexts) -> None:
    client, server = contexts
    _, body = WinRMEncryption(client, WinRMEncryption.SPNEGO).wrap_message(MESSAGE)
    with pytest.raises(message_encryption.EncryptionError, match="closing boundary"):
        message_encryption.unseal(server, SPNEGO, CONTENT_TYPE, body[:-10])
