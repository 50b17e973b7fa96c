"""Every request a session sends is the one pypsrp's own ``WSMan.invoke`` would send.

A session against the lab (Basic over the direct sender, NTLM over requests) runs
scripts with parameters, an error and a repeated pool use; each envelope psrunbook
writes is compared byte for byte with pypsrp's header (built with the same message id)
and ElementTree's serialisation of the whole envelope.
"""

from __future__ import annotations

import copy
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal

import pytest

from psrunbook.inventory import inventory_from_toml
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml
from psrunbook.transport import wsman_envelope
from psrunbook.transport.base import ScriptCall
from psrunbook.transport.psrp import PsrpTransport
from psrunbook.transport.pypsrp_import import load_pypsrp

load_pypsrp()  # as the transport loads it, Negotiate and CredSSP deferred
from pypsrp.wsman import WSMan  # noqa: E402 (after load_pypsrp)

pytestmark = pytest.mark.integration

PASSWORD = "envelope-pässwörd"


def pypsrp_bytes(
    wsman: Any,
    message_id: str,
    arguments: tuple[Any, ...],
) -> bytes:
    """What pypsrp's own ``WSMan.invoke`` would have sent, with the same message id."""
    action, resource_uri, resource, option_set, selector_set, timeout = arguments
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: uuid.UUID(message_id))
        sent_id, header = WSMan._create_header(
            wsman, action, resource_uri, option_set, selector_set, timeout
        )
    assert message_id == sent_id
    envelope = ET.Element(f"{{{wsman_envelope.SOAP_ENVELOPE_NS}}}Envelope")
    envelope.append(header)
    body = ET.SubElement(envelope, f"{{{wsman_envelope.SOAP_ENVELOPE_NS}}}Body")
    if resource is not None:
        body.append(copy.deepcopy(resource))
    written: bytes = ET.tostring(envelope, encoding="utf-8", method="xml")
    return written


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_every_envelope_of_a_session_is_elementtrees(
    auth: Literal["basic", "ntlm"], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[bytes, bytes]] = []
    fast = wsman_envelope.request_bytes

    def compared(wsman: Any, *arguments: Any) -> tuple[str, bytes]:
        message_id, written = fast(wsman, *arguments)
        sent.append((written, pypsrp_bytes(wsman, message_id, arguments)))
        return message_id, written

    def fell_back(*arguments: Any) -> tuple[str, bytes]:
        raise AssertionError("a request was handed to pypsrp's header and ElementTree")

    monkeypatch.setattr(wsman_envelope, "request_bytes", compared)
    monkeypatch.setattr(wsman_envelope, "_pypsrp_request", fell_back)
    with SimFleet(
        ["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}, auth=auth
    ) as fleet:
        inv = inventory_from_toml(inventory_toml(fleet), path=tmp_path / "sim.toml")
        session = PsrpTransport(inv, password=PASSWORD).open("NODE1")
        try:
            value = "<&>\"'\r\n\t €𝄞"
            first = session.run(ScriptCall("output $Value", {"Value": value}, 30))
            failed = session.run(ScriptCall('error it <broke> & "stopped"', {}, 30))
            again = session.run(ScriptCall("count 3", {}, 30))
        finally:
            session.close()
    assert [value] == first.output
    assert failed.errors
    assert [0, 1, 2] == again.output
    actions = {written.split(b"</wsa:Action>")[0].rsplit(b"/", 1)[-1] for written, _ in sent}
    assert {b"Create", b"Receive", b"Command", b"Delete"} <= actions
    assert [oracle for _, oracle in sent] == [written for written, _ in sent]
