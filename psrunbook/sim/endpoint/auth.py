"""HTTP Basic authentication against the users configured on an endpoint.

The simulator speaks Basic only (loopback, ``encryption="never"`` on the client); a
missing or wrong credential gets 401, which pypsrp reports as ``AuthenticationError``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

CHALLENGE = 'Basic realm="WSMAN"'


def authenticate(header: str | None, users: Mapping[str, str]) -> str | None:
    """The configured user name the ``Authorization`` header proves, or None.

    User names compare case-insensitively as Windows account names do; passwords
    compare exactly and in constant time. Credentials are decoded as UTF-8, the charset
    RFC 7617 defines for Basic and the one psrunbook sends (that Windows WinRM decodes
    them so is UNVERIFIED); anything else is refused, never guessed at as Latin-1.
    """
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, password = decoded.partition(":")
    if not sep:
        return None
    for user, expected in users.items():
        if user.casefold() == name.casefold():
            if hmac.compare_digest(expected.encode(), password.encode()):
                return user
            return None
    return None
