"""The HTTP ``Negotiate`` handshake of one connection, with pyspnego's acceptor.

WinRM authenticates a *connection*, not a request: the client answers the 401 with
``Authorization: Negotiate <token>``, the server answers with ``WWW-Authenticate:
Negotiate <token>`` until the security context is complete, and every later request on
that TCP connection runs as that user without credentials of its own ([MS-WSMV] 3.1.4.1;
the flow of pypsrp's ``HTTPNegotiateAuth.handle_401``). A new token on the same
connection starts a new handshake.

Which security packages the node accepts is the lab's choice (``AuthMode``): ``ntlm``
(NTLM only, raw or inside SPNEGO), ``kerberos`` (Kerberos only: a ticket for the node's
service principal, checked against the keytab named by ``KRB5_KTNAME``), ``negotiate``
(either, as a domain member does), ``credssp`` (CredSSP: TLS inside the HTTP tokens,
NTLM or Kerberos inside that, then the user's credentials delegated; pyspnego's
acceptor makes its own TLS certificate). NTLM accounts come from ``NTLM_USER_FILE``
(:mod:`psrunbook.sim.endpoint.ntlm_accounts`).
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any, Final, Literal

import msgspec

log = logging.getLogger(__name__)

AuthMode = Literal["basic", "ntlm", "kerberos", "negotiate", "credssp"]
AUTH_MODES: Final[tuple[AuthMode, ...]] = ("basic", "ntlm", "kerberos", "negotiate", "credssp")
_PROTOCOLS: Final[dict[str, frozenset[str]]] = {
    "ntlm": frozenset({"ntlm"}),
    "kerberos": frozenset({"kerberos"}),
    "negotiate": frozenset({"ntlm", "kerberos"}),
    "credssp": frozenset({"credssp", "ntlm", "kerberos"}),  # CredSSP reports its inner package
}


def schemes(mode: AuthMode) -> tuple[str, ...]:
    """The ``Authorization`` schemes whose tokens a node serving ``mode`` reads.

    pypsrp sends the scheme the server offered first (``Negotiate``, or ``Kerberos``);
    requests-credssp sends ``CredSSP``.
    """
    return ("credssp",) if mode == "credssp" else ("negotiate", "kerberos")


class HandshakeStep(msgspec.Struct, frozen=True):
    """What one ``Authorization`` token led to.

    ``token`` is the server's answer token (None when it has none); ``user`` is set once
    the context is complete and accepted; ``refused`` says why the handshake failed.
    """

    token: bytes | None = None
    user: str | None = None
    refused: str | None = None


class NegotiateHandshake:
    """The security context of one HTTP connection, from first token to sealed messages."""

    def __init__(self, mode: AuthMode) -> None:
        if mode == "basic":
            raise ValueError("Basic auth has no Negotiate handshake")
        self.mode = mode
        self.context: Any = None
        """The complete pyspnego context that seals and unseals this connection's messages."""
        self.scheme = "Negotiate"
        """The scheme the client authenticated with; it decides the encryption protocol."""
        self._pending: Any = None

    @property
    def user(self) -> str | None:
        """The authenticated user, once a handshake completed on this connection."""
        if self.context is None:
            return None
        return str(self.context.client_principal or "")

    def step(self, scheme: str, token_text: str) -> HandshakeStep:
        """Feed one client token; a refusal ends the handshake and unauthenticates."""
        try:
            token = base64.b64decode(token_text.strip(), validate=True)
        except binascii.Error:
            return self._refuse("the token is not base64")
        if not token:
            return self._refuse("the token is empty")
        if self._pending is None or self.context is not None:
            # A first token, or a new handshake on an authenticated connection.
            self.context = None
            try:
                # pyspnego (with cryptography) is imported by the first handshake only:
                # an endpoint that takes Basic never needs it (about 45 ms of start-up).
                import spnego  # noqa: PLC0415

                self._pending = spnego.server(
                    protocol="credssp" if self.mode == "credssp" else "negotiate"
                )
            except Exception as exc:  # noqa: BLE001 (any failure is a refusal, never a drop)
                return self._refuse(f"no acceptor ({type(exc).__name__}: {exc})")
        context = self._pending
        try:
            answer = context.step(token)
        except Exception as exc:  # noqa: BLE001 (pyspnego and gssapi raise several kinds)
            return self._refuse(f"{type(exc).__name__}: {exc}")
        protocol = _negotiated(context)
        if protocol is not None and protocol not in _PROTOCOLS[self.mode]:
            return self._refuse(f"{protocol} is not accepted by this node (auth {self.mode})")
        if not context.complete:
            return HandshakeStep(token=answer)
        self._pending = None
        self.context = context
        self.scheme = scheme.capitalize()
        return HandshakeStep(token=answer, user=self.user)

    def _refuse(self, reason: str) -> HandshakeStep:
        log.info("Negotiate handshake refused: %s", reason)
        self._pending = None
        self.context = None
        return HandshakeStep(refused=reason)


def _negotiated(context: Any) -> str | None:
    """The package the client chose (``ntlm`` or ``kerberos``), once the acceptor knows it."""
    from spnego.exceptions import SpnegoError  # noqa: PLC0415 -- loaded with the acceptor

    try:
        protocol = context.negotiated_protocol
    except SpnegoError:
        return None
    return str(protocol).lower() if protocol else None
