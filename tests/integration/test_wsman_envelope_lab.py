"""Every request a session sends is the one pypsrp's own ``WSMan.invoke`` would send.

A session against the lab (Basic over the direct sender, NTLM over requests) runs
scripts with parameters, an error and a repeated pool use; each envelope psrunbook
writes is compared byte for byte with pypsrp's header (built with the same message id)
and ElementTree's serialisation of the whole envelope.
"""

from __future__ import annotations

import uuid
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
from tests.support.wsman_oracle import pypsrp_request

pytestmark = pytest.mark.integration

PASSWORD = "envelope-pässwörd"


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_every_envelope_of_a_session_is_elementtrees(
    auth: Literal["basic", "ntlm"], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[bytes, bytes]] = []
    fast = wsman_envelope.request_bytes

    def compared(wsman: Any, *arguments: Any) -> tuple[str, bytes]:
        message_id, written = fast(wsman, *arguments)
        sent_id, oracle = pypsrp_request(wsman, uuid.UUID(message_id), arguments)
        assert message_id == sent_id
        sent.append((written, oracle))
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
