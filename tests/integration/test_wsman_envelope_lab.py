"""Every envelope a session sends is the one pypsrp's ``ET.tostring`` would have sent.

A session against the lab (Basic over the direct sender, NTLM over requests) runs
scripts with parameters, an error and a repeated pool use; each envelope psrunbook
writes is compared byte for byte with ElementTree's serialisation of the same tree.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Literal

import pytest

from psrunbook.inventory import inventory_from_toml
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml
from psrunbook.transport import wsman_envelope
from psrunbook.transport.base import ScriptCall
from psrunbook.transport.psrp import PsrpTransport

pytestmark = pytest.mark.integration

PASSWORD = "envelope-pässwörd"


def elementtree_bytes(header: ET.Element, resource: ET.Element | None) -> bytes:
    envelope = ET.Element(f"{{{wsman_envelope.SOAP_ENVELOPE_NS}}}Envelope")
    envelope.append(copy.deepcopy(header))
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
    fast = wsman_envelope.envelope_bytes

    def compared(header: ET.Element, resource: ET.Element | None) -> bytes:
        oracle = elementtree_bytes(header, resource)
        written = fast(header, resource)
        sent.append((written, oracle))
        return written

    def fell_back(header: ET.Element, resource: ET.Element | None) -> bytes:
        raise AssertionError("a pypsrp envelope was handed to ElementTree")

    monkeypatch.setattr(wsman_envelope, "envelope_bytes", compared)
    monkeypatch.setattr(wsman_envelope, "_with_elementtree", fell_back)
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
