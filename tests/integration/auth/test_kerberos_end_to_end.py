"""The SSIS runbooks over Kerberos against a real KDC, with no user name or password anywhere.

In the end-to-end run every process is the real one: ``psrunbook sim serve --auth
kerberos`` serves the lab with the nodes' keytab, ``psrunbook run`` finds the ticket
``kinit`` put in the credential cache, and a relay between them keeps every byte the
network carried, which must hold no script text and no plain SOAP envelope.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from psrunbook.inventory import load_inventory
from tests.integration.conftest import EXAMPLES
from tests.support.kdc import REALM, Realm
from tests.support.relay import TcpRelay

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PSRUNBOOK = str(Path(sys.executable).with_name("psrunbook"))
# Text of the scripts the SSIS runbooks send (cmdlet names their templates call).
SCRIPT_TEXT = (b"Get-ClusterResource", b"Add-ClusterResource", b"CheckOnly", b"param(")


def environment(realm: Realm, state_dir: Path, **extra: str) -> dict[str, str]:
    """This machine's environment with the realm's, and no psrunbook settings inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSRUNBOOK_")}
    return {**env, **realm.env, "PSRUNBOOK_STATE_DIR": str(state_dir), **extra}


@dataclass(frozen=True)
class KerberosLab:
    """A running ``sim serve --auth kerberos``: the inventory it wrote, what it printed."""

    inventory: Path
    printed: list[str]


@pytest.fixture(scope="module")
def kerberos_lab(realm: Realm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KerberosLab]:
    """``psrunbook sim serve --auth kerberos``, serving, shared by this module's tests: the
    nodes need only the realm's keytab, and the one test that runs against them first
    checks the lab is as served."""
    directory = tmp_path_factory.mktemp("kerberos-lab")
    inventory = directory / "lab.toml"
    printed: list[str] = []
    server = subprocess.Popen(
        [PSRUNBOOK, "sim", "serve", "--auth", "kerberos", "--inventory-out", str(inventory)],
        env=environment(realm, directory / "serve-state"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            printed.append(line.rstrip("\n"))
            if line.startswith("serving"):
                break
        else:
            raise AssertionError(f"sim serve exited with {server.wait()} before serving")
        yield KerberosLab(inventory, printed)
        server.send_signal(signal.SIGTERM)
        assert 0 == server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()


def relayed(inventory: Path, relays: dict[int, TcpRelay], out: Path) -> Path:
    """``inventory`` with every node port replaced by its relay's."""
    text = inventory.read_text(encoding="utf-8")
    for port, relay in relays.items():
        text = re.sub(rf"\bport = {port}\b", f"port = {relay.port}", text)
    out.write_text(text, encoding="utf-8")
    return out


def test_sim_serve_kerberos_prints_what_a_client_needs_and_no_password(
    kerberos_env: Realm, kerberos_lab: KerberosLab
) -> None:
    """No password ``export`` line (nothing uses it); the principals the nodes accept, the
    keytab they read and what a client needs, instead."""
    printed = "\n".join(kerberos_lab.printed)
    assert "PSRUNBOOK_SIM_PASSWORD" not in printed
    assert "export " not in printed
    assert (
        f"auth kerberos: the nodes accept tickets for host/127.0.0.1@{REALM}, "
        f"HTTP/127.0.0.1@{REALM} (keytab KRB5_KTNAME={kerberos_env.env['KRB5_KTNAME']})"
    ) in kerberos_lab.printed
    assert (
        f"a client needs: a ticket of realm {REALM} (kinit USER@{REALM}); a krb5.conf naming "
        "its KDC, with dns_canonicalize_hostname = false and rdns = false so it asks for "
        "host/127.0.0.1; no username or password in the inventory"
    ) in kerberos_lab.printed


def test_ssis_clustered_runs_over_kerberos_with_every_envelope_sealed(
    kerberos_env: Realm, kerberos_lab: KerberosLab, tmp_path: Path
) -> None:
    lab = load_inventory(kerberos_lab.inventory)
    assert ("kerberos", False, "auto") == (
        lab.connection.auth,
        lab.connection.ssl,
        lab.connection.encryption,
    )
    assert (None, None, None) == (
        lab.connection.username,
        lab.connection.password_env,
        lab.connection.password_command,
    )
    ports = {lab.endpoint_for(node)[1] for node in lab.node_names}
    relays = {port: TcpRelay(("127.0.0.1", port)) for port in ports}
    try:
        inventory = relayed(kerberos_lab.inventory, relays, tmp_path / "relayed.toml")
        done = subprocess.run(
            [
                PSRUNBOOK,
                "run",
                "ssis-clustered",
                "-i",
                str(inventory),
                "--params-file",
                str(EXAMPLES / "ssis-clustered.toml"),
                "--yes",
            ],
            env=environment(kerberos_env, tmp_path / "state"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        for relay in relays.values():
            relay.close()
    assert 0 == done.returncode, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("succeeded: ")

    wire = b"".join(relay.captured for relay in relays.values())
    assert wire.count(b"POST /wsman HTTP/1.1") > 20
    for text in SCRIPT_TEXT:
        assert text not in wire
        assert text.decode().encode("utf-16-le") not in wire
    assert b"Envelope" not in wire
    assert wire.count(b"Content-Type: multipart/encrypted;") > 20
    # The handshake carried a Kerberos AP-REQ for the realm's ticket, not NTLM.
    tokens = [
        base64.b64decode(token)
        for token in re.findall(rb"Authorization: (?:Negotiate|Kerberos) ([A-Za-z0-9+/=]+)", wire)
    ]
    assert tokens
    assert all(REALM.encode() in token for token in tokens)
    assert not any(b"NTLMSSP" in token for token in tokens)


def test_ssis_standalone_runs_over_kerberos_on_the_embedded_lab(
    kerberos_env: Realm, psrunbook: Psrunbook
) -> None:
    """The embedded lab (``PSRUNBOOK_SIM_AUTH=kerberos``) and the CLI in this process: the
    ticket comes from the credential cache ``kerberos_env`` points KRB5CCNAME at."""
    done = dataclasses.replace(psrunbook, sim_auth="kerberos")(
        "run", "ssis-standalone", "--sim", "--yes"
    )
    assert done.stdout.strip().splitlines()[-1].startswith("succeeded: ")
    lab = load_inventory(psrunbook.state_dir / "sim" / "inventory.toml")
    assert ("kerberos", None, None) == (
        lab.connection.auth,
        lab.connection.username,
        lab.connection.password_env,
    )


def test_the_kerberos_lab_refuses_to_start_without_a_keytab(
    kerberos_env: Realm, psrunbook: Psrunbook, tmp_path: Path
) -> None:
    done = dataclasses.replace(psrunbook, sim_auth="kerberos")(
        "run",
        "ssis-standalone",
        "--sim",
        "--yes",
        env={"KRB5_KTNAME": f"FILE:{tmp_path / 'missing.keytab'}"},
        expect=2,
    )
    assert "KRB5_KTNAME" in done.stderr
    assert "Traceback" not in done.stderr
