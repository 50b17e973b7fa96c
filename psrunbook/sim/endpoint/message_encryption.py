"""WinRM message encryption over plain HTTP: the ``multipart/encrypted`` envelope.

After a Negotiate (NTLM or Kerberos) handshake, WinRM over HTTP sends every SOAP envelope
sealed (encrypted and signed) with the session's keys, in a MIME-like body
([MS-WSMV] 2.2.9.1, "Encrypted Message Types"; the same shape pypsrp writes and reads in
``pypsrp/encryption.py``, class ``WinRMEncryption``)::

    --Encrypted Boundary\\r\\n
    \\tContent-Type: application/HTTP-SPNEGO-session-encrypted\\r\\n
    \\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<plain length>\\r\\n
    --Encrypted Boundary\\r\\n
    \\tContent-Type: application/octet-stream\\r\\n
    <signature length, 4 bytes little-endian><signature><sealed envelope>
    --Encrypted Boundary--\\r\\n

with the HTTP ``Content-Type: multipart/encrypted;protocol="application/HTTP-SPNEGO-
session-encrypted";boundary="Encrypted Boundary"`` (``HTTP-Kerberos-session-encrypted``
when the client authenticated with the ``Kerberos`` scheme). The sealing itself is the
security context's (``wrap_winrm`` / ``unwrap_winrm`` of a pyspnego context).

After CredSSP the protocol is ``HTTP-CredSSP-session-encrypted`` and a message over
16 KiB is sealed in 16 KiB parts under ``multipart/x-multi-encrypted``.
"""

from __future__ import annotations

import re
import struct
from typing import Any, Final

SPNEGO: Final = "application/HTTP-SPNEGO-session-encrypted"
KERBEROS: Final = "application/HTTP-Kerberos-session-encrypted"
CREDSSP: Final = "application/HTTP-CredSSP-session-encrypted"
CHUNK: Final = 16384
"""CredSSP seals at most 16 KiB per part; a longer message goes as several parts under
``multipart/x-multi-encrypted`` ([MS-WSMV] 2.2.9.1.1, pypsrp's ``SIXTEEN_KB``)."""
BOUNDARY: Final = "Encrypted Boundary"
_MARK: Final = f"--{BOUNDARY}\r\n".encode()
_END: Final = f"--{BOUNDARY}--\r\n".encode()
_LENGTH: Final = re.compile(rb"Length=(\d+)")


class EncryptionError(ValueError):
    """The body is not a sealed message of this session (malformed, or tampered with)."""


def is_encrypted(content_type: str | None) -> bool:
    """True when the request says its body is a sealed WinRM message."""
    kind = (content_type or "").strip().lower()
    return kind.startswith(("multipart/encrypted", "multipart/x-multi-encrypted"))


def protocol_for(mode: str, scheme: str) -> str:
    """The encryption protocol of a session authenticated in ``mode`` with ``scheme``."""
    if mode == "credssp":
        return CREDSSP
    return KERBEROS if scheme.lower() == "kerberos" else SPNEGO


def protocol_of(content_type: str) -> str:
    """The ``protocol`` parameter of a ``multipart/encrypted`` content type."""
    match = re.search(r'protocol="?([^";]+)"?', content_type, re.IGNORECASE)
    return match.group(1) if match else ""


def unseal(context: Any, expected: str, content_type: str, body: bytes) -> bytes:
    """The plain envelope inside a sealed request; EncryptionError if it is not one.

    The request must name the ``expected`` protocol (the session's); every part is
    unsealed with ``context`` (its signature checked) and its length compared with the
    ``Length=`` the sender declared, as pypsrp checks the answer.
    """
    protocol = protocol_of(content_type)
    if protocol.lower() != expected.lower():
        raise EncryptionError(f"encryption protocol {protocol!r} is not this session's")
    boundary = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    if boundary is None or boundary.group(1) != BOUNDARY:
        raise EncryptionError("the boundary is not 'Encrypted Boundary'")
    if not body.endswith(_END):
        raise EncryptionError("the body does not end with the closing boundary")
    parts = [p for p in body[: -len(_END)].split(_MARK) if p]
    if not parts or len(parts) % 2:
        raise EncryptionError("the body is not pairs of header and payload parts")
    plain = b""
    for header, payload in zip(parts[0::2], parts[1::2], strict=True):
        declared = _LENGTH.search(header)
        prefix = b"\tContent-Type: application/octet-stream\r\n"
        if declared is None or not payload.startswith(prefix):
            raise EncryptionError("a part has no OriginalContent length or octet-stream payload")
        sealed = payload[len(prefix) :]
        if len(sealed) < 4:
            raise EncryptionError("a payload is shorter than its signature length")
        (signature_length,) = struct.unpack("<i", sealed[:4])
        if not 0 < signature_length <= len(sealed) - 4:
            raise EncryptionError("a payload's signature length is out of range")
        signature = sealed[4 : 4 + signature_length]
        try:
            data = context.unwrap_winrm(signature, sealed[4 + signature_length :])
        except Exception as exc:
            raise EncryptionError(f"the payload does not unseal ({type(exc).__name__})") from exc
        if len(data) != int(declared.group(1)):
            raise EncryptionError("an unsealed part's length differs from the declared one")
        plain += data
    return plain


def seal(context: Any, protocol: str, message: bytes) -> tuple[str, bytes]:
    """``(content type, body)`` of ``message`` sealed for the client, as WinRM answers."""
    if protocol == CREDSSP and len(message) > CHUNK:
        parts = [message[i : i + CHUNK] for i in range(0, len(message), CHUNK)]
        body = b"".join(_sealed_part(context, protocol, part) for part in parts) + _END
        return f'multipart/x-multi-encrypted;protocol="{protocol}";boundary="{BOUNDARY}"', body
    body = _sealed_part(context, protocol, message) + _END
    return f'multipart/encrypted;protocol="{protocol}";boundary="{BOUNDARY}"', body


def _sealed_part(context: Any, protocol: str, message: bytes) -> bytes:
    wrapped = context.wrap_winrm(message)
    header = "\r\n".join(
        [
            f"--{BOUNDARY}",
            f"\tContent-Type: {protocol}",
            "\tOriginalContent: type=application/soap+xml;charset=UTF-8;"
            f"Length={len(message) + wrapped.padding_length}",
            f"--{BOUNDARY}",
            "\tContent-Type: application/octet-stream",
            "",
        ]
    ).encode()
    sealed: bytes = wrapped.header + wrapped.data
    return header + struct.pack("<i", len(wrapped.header)) + sealed
