"""``auth = "certificate"`` through the real CLI: what reaches the node, and what is refused.

The simulated lab does not map client certificates to accounts (Windows does it with
``WSMan:\\localhost\\ClientCertificate`` entries; not modelled, UNVERIFIED). So the node
here is a plain HTTPS server on loopback that demands a client certificate signed by a CA
the test makes (TLS ``CERT_REQUIRED``) and records what it was shown: the certificate's
subject and WinRM's mutual-authentication header. It answers 401, as a node with no
mapping for the certificate would, and ``ping`` reports that.
"""

from __future__ import annotations

import datetime
import json
import os
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from psrunbook.sim.endpoint.tls import generate_certificate
from tests.integration.conftest import Psrunbook

MUTUAL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
CLIENT_NAME = "psrunbook-operator"


@dataclass(frozen=True)
class ClientCertificate:
    ca_path: Path
    cert_path: Path
    key_path: Path

    @property
    def key_text(self) -> str:
        return self.key_path.read_text("ascii")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_client_certificate(directory: Path) -> ClientCertificate:
    """A CA and a client certificate it signed (extended key usage: client authentication)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("psrunbook test client CA"))
        .issuer_name(_name("psrunbook test client CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(CLIENT_NAME))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name("operator@contoso.test")]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = ClientCertificate(directory / "ca.pem", directory / "client.pem", directory / "key.pem")
    paths.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    secret = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(paths.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secret)
    return paths


@dataclass
class Seen:
    """What the node was shown, request by request."""

    authorization: list[str | None] = field(default_factory=list)
    subjects: list[Any] = field(default_factory=list)


def _handler(seen: Seen) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.authorization.append(self.headers.get("Authorization"))
            assert isinstance(self.connection, ssl.SSLSocket)
            seen.subjects.append((self.connection.getpeercert() or {}).get("subject"))
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass(frozen=True)
class Node:
    port: int
    server_ca: Path
    seen: Seen


@pytest.fixture
def client(tmp_path: Path) -> ClientCertificate:
    return make_client_certificate(tmp_path / "client")


@pytest.fixture
def node(tmp_path: Path, client: ClientCertificate) -> Iterator[Node]:
    """An HTTPS node on loopback that requires a client certificate from the test's CA."""
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    certificate = generate_certificate(server_dir)
    context = certificate.server_context()
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(client.ca_path))
    seen = Seen()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen))
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Node(httpd.server_address[1], certificate.cert_path, seen)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=60)


def inventory(path: Path, port: int, **connection: str | bool) -> Path:
    def toml(value: str | bool) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else json.dumps(value)

    lines = [
        "[cluster]",
        'name = "CLUSTER1"',
        "[connection]",
        f"port = {port}",
        *(f"{key} = {toml(value)}" for key, value in connection.items()),
        "[[nodes]]",
        'name = "NODE1"',
        'address = "127.0.0.1"',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def certificate_connection(client: ClientCertificate, node: Node) -> dict[str, str | bool]:
    return {
        "ssl": True,
        "auth": "certificate",
        "ca_bundle": str(node.server_ca),
        "certificate_pem": str(client.cert_path),
        "certificate_key_pem": str(client.key_path),
    }


def test_certificate_auth_presents_the_client_certificate_with_winrms_mutual_header(
    psrunbook: Psrunbook, tmp_path: Path, client: ClientCertificate, node: Node
) -> None:
    inv = inventory(tmp_path / "inv.toml", node.port, **certificate_connection(client, node))
    log_file = tmp_path / "events.jsonl"
    result = psrunbook("--log-file", str(log_file), "ping", "-i", str(inv), "--json", expect=1)
    document = json.loads(result.stdout)
    assert ["auth failed"] == [n["status"] for n in document["nodes"]]
    assert "refused the client certificate" in document["nodes"][0]["detail"]
    assert node.seen.authorization
    assert {MUTUAL} == set(node.seen.authorization)
    assert all(((("commonName", CLIENT_NAME),),) == subject for subject in node.seen.subjects)
    key_body = "".join(client.key_text.splitlines()[1:-1])
    everything = result.stdout + result.stderr + log_file.read_text("utf-8")
    assert key_body[:40] not in everything.replace("\\n", "")


def test_certificate_auth_over_http_exits_2_naming_ssl(
    psrunbook: Psrunbook, tmp_path: Path, client: ClientCertificate, node: Node
) -> None:
    connection = {**certificate_connection(client, node), "ssl": False}
    inv = inventory(tmp_path / "inv.toml", node.port, **connection)
    result = psrunbook("ping", "-i", str(inv), expect=2)
    assert "connection.ssl" in result.stderr
    assert "HTTPS" in result.stderr
    assert not node.seen.authorization


@pytest.mark.parametrize("missing", ["certificate_pem", "certificate_key_pem"])
def test_certificate_auth_without_a_file_exits_2_naming_the_field(
    psrunbook: Psrunbook, tmp_path: Path, client: ClientCertificate, node: Node, missing: str
) -> None:
    connection = certificate_connection(client, node)
    del connection[missing]
    inv = inventory(tmp_path / "inv.toml", node.port, **connection)
    result = psrunbook("ping", "-i", str(inv), expect=2)
    assert f"connection.{missing}" in result.stderr


def test_certificate_auth_with_a_file_that_is_not_there_exits_2_naming_the_field(
    psrunbook: Psrunbook, tmp_path: Path, client: ClientCertificate, node: Node
) -> None:
    connection = {**certificate_connection(client, node), "certificate_key_pem": "gone.pem"}
    inv = inventory(tmp_path / "inv.toml", node.port, **connection)
    result = psrunbook("ping", "-i", str(inv), expect=2)
    assert "connection.certificate_key_pem" in result.stderr
    assert "Traceback" not in result.stderr
