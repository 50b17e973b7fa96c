"""A connection dropped mid-exchange over NTLM-sealed HTTP: its keys die with it.

WinRM authenticates a connection, not a request ([MS-WSMV] 3.1.4.1; the lab's
``connection_auth``), so the session keys that seal the messages belong to the TCP
connection. After a reset, a sealed message on a new connection is not readable by the
node: it answers 401 Negotiate and the client must authenticate again before anything is
served. The lab is served in this process so the test reads every byte NODE1 saw; the
real ``psrunbook`` runs as a subprocess against it with its default retries.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.fault_file import FaultSpec, TriggeredFaultPlan
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV, SIM_USER, inventory_toml
from tests.reliability.harness import psrunbook

pytestmark = pytest.mark.reliability

PASSWORD = "Sealed-Faults-Pw-1"
PARAMS = Path(__file__).parents[2] / "examples" / "ssis-clustered.toml"
NTLM_NEGOTIATE = b"Authorization: Negotiate TlRMTVNTUAAB"  # base64 of "NTLMSSP\0" + type 1
NTLM_AUTHENTICATE = b"Authorization: Negotiate TlRMTVNTUAAD"  # ... + type 3
SEALED = b'Content-Type: multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted"'


def _kind(message: bytes) -> str:
    """One message of the wire as the test reasons about it."""
    head, _, body = message.partition(b"\r\n\r\n")
    if head.startswith(b"HTTP/1.1 "):
        return "answer " + head.split(b" ")[1].decode()
    if NTLM_NEGOTIATE in head:
        return "negotiate"
    if NTLM_AUTHENTICATE in head:
        return "authenticate"
    assert not body or SEALED in head, head.decode("latin-1")
    return "sealed" if body else "empty"


def test_a_dropped_connection_authenticates_again_before_anything_is_served(
    tmp_path: Path,
) -> None:
    """NODE1 resets the connection instead of answering step 02's Receive (the script ran);
    psrunbook retries, and the node serves nothing on the new connection until a new NTLM
    handshake completed; the run succeeds with every change applied once."""
    cluster = sample_lab(2, "2019")
    with SimFleet(
        ["NODE1", "NODE2"],
        executor=cluster_executor(cluster),
        users={SIM_USER: PASSWORD},
        auth="ntlm",
    ) as fleet:
        node = fleet["NODE1"]
        node.wire = []
        node.faults = TriggeredFaultPlan(
            node.faults, [FaultSpec("NODE1", "Command", 2, "reset", "Receive")]
        )
        inventory = tmp_path / "inventory.toml"
        inventory.write_text(inventory_toml(fleet, cluster=cluster.name), encoding="utf-8")
        done = psrunbook(
            *("run", "ssis-clustered", "--params-file", str(PARAMS), "--yes"),
            *("-i", str(inventory)),
            state_dir=tmp_path / "state",
            env={PASSWORD_ENV: PASSWORD},
        )
        wire = [_kind(message) for message in node.wire]
    assert 0 == done.code, done.describe()
    assert all(1 == n for n in Counter(tuple(c) for c in cluster.change_log).values())
    # The reset request is the first one the node never answered.
    dropped = next(
        i for i, kind in enumerate(wire) if kind == "sealed" and wire[i + 1] != "answer 200"
    )
    after = wire[dropped + 1 :]
    # On the new connection, the first sealed message (sealed with the dropped
    # connection's keys) is refused with 401: the node cannot read it.
    assert ["sealed", "answer 401"] == after[:2], wire
    # Nothing sealed is served before a new handshake completed (NTLM AUTHENTICATE, 200).
    served = [i for i in range(1, len(after)) if after[i - 1 : i + 1] == ["sealed", "answer 200"]]
    accepted = [
        i for i in range(1, len(after)) if after[i - 1 : i + 1] == ["authenticate", "answer 200"]
    ]
    assert served and accepted and accepted[0] < served[0], after
    # Before the reset, one handshake served everything; afterwards, at least one more.
    assert 1 == wire[:dropped].count("authenticate")
    assert 1 <= after.count("authenticate")
