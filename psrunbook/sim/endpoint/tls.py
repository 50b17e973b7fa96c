"""A self-signed certificate made at start-up, for endpoints served over HTTPS.

The certificate is its own CA (``CA:TRUE``) and names ``127.0.0.1`` and ``localhost``,
so a client refuses it by default and accepts it when given the PEM file as its CA
bundle: both sides of certificate validation can be tested.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile
from pathlib import Path

import msgspec


class TlsCertificate(msgspec.Struct, frozen=True):
    """PEM files of one generated certificate and its key."""

    cert_path: Path
    key_path: Path
    temporary_directory: Path | None = None
    """The folder made for these files, which :meth:`remove` deletes; None when the
    caller chose the folder (and keeps it)."""

    def remove(self) -> None:
        """Delete the temporary folder with the certificate and its private key.

        A CA certificate and key left in /tmp after the endpoint stopped would let anyone
        who can read them impersonate any endpoint that trusted the CA.
        """
        if self.temporary_directory is not None:
            shutil.rmtree(self.temporary_directory, ignore_errors=True)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def generate_certificate(
    directory: Path | None = None, common_name: str = "psrunbook-sim"
) -> TlsCertificate:
    """Write a fresh EC P-256 certificate valid for a day into ``directory`` (a temp dir).

    The private key file is created with mode 0600 (never readable by others, not even
    for a moment); a temporary folder is made 0700 and recorded so it can be removed.
    """
    from cryptography import x509  # noqa: PLC0415 - only HTTPS endpoints pay for the import
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415 (as above)
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415 (as above)
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415 (as above)

    temporary = None if directory else Path(tempfile.mkdtemp(prefix="psrunbook-sim-tls-"))
    target = directory or temporary
    assert target is not None
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = target / "sim-cert.pem"
    key_path = target / "sim-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    secret = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path.unlink(missing_ok=True)  # a new file, so the mode below is the one it gets
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secret)
    return TlsCertificate(cert_path=cert_path, key_path=key_path, temporary_directory=temporary)
