"""Who may send a request on one HTTP connection, and how its messages travel.

One :class:`ConnectionAuth` per TCP connection decides, request by request, what WinRM
on Windows would: a Basic credential checked on every request, or a Negotiate handshake
that authenticates the connection and then seals every message
(:mod:`~psrunbook.sim.endpoint.message_encryption`). The HTTP server asks it
:meth:`ConnectionAuth.admit` before parsing anything and seals its answer with the
:class:`Admission`'s ``seal``.

Refusals, as the lab models them:

- No or a wrong credential, an unknown user, a failed or refused handshake, a scheme the
  node does not offer (Basic on a Negotiate node, as WinRM's default ``Auth/Basic =
  false``): HTTP 401 with the schemes offered (``WWW-Authenticate``), empty body.
- A plain (unsealed) envelope on a Negotiate connection over HTTP: WinRM's service
  default ``AllowUnencrypted = false`` refuses it. Over HTTPS the connection is
  encrypted by TLS and a plain envelope is accepted (the setting is about unencrypted
  *traffic*; pypsrp's ``encryption="auto"`` seals only over HTTP, and its tests run
  Negotiate over HTTPS against Windows that way); a sealed one is accepted there too.
  Over HTTP, reports disagree on the refusal's status (HTTP 500 in pywinrm issues 129
  and 208 and winrm4j issue 151, 401 in Packer issue 6205's capture); UNVERIFIED, and
  the lab answers the stricter 401, indistinguishable from a wrong password, which
  psrunbook explains from the inventory (``psrunbook/transport/auth_errors.py``).
- A sealed body that does not unseal with the connection's keys: HTTP 400 (UNVERIFIED).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from http import HTTPStatus

import msgspec

from psrunbook.sim.endpoint import message_encryption
from psrunbook.sim.endpoint.auth import CHALLENGE, authenticate
from psrunbook.sim.endpoint.negotiate_auth import AuthMode, NegotiateHandshake, schemes

Headers = tuple[tuple[str, str], ...]


def challenges(*modes: AuthMode) -> Headers:
    """The ``WWW-Authenticate`` headers of a 401 from a node serving ``modes``.

    Windows offers ``Negotiate`` and ``Kerberos`` (its service defaults, Basic and CredSSP
    off); ``ntlm`` offers Negotiate only, as a node outside a domain would. A node with
    Basic or CredSSP enabled too offers each (in this order: UNVERIFIED).
    """
    offered: Headers = ()
    for mode in modes:
        if mode == "basic":
            offered += (("WWW-Authenticate", CHALLENGE),)
        elif mode == "credssp":
            offered += (("WWW-Authenticate", "CredSSP"),)
        else:
            offered += (("WWW-Authenticate", "Negotiate"),)
            if mode in ("kerberos", "negotiate"):
                offered += (("WWW-Authenticate", "Kerberos"),)
    return offered


class Refusal(msgspec.Struct, frozen=True):
    """Answer with ``status`` and ``headers`` and an empty body; ``reason`` is for the log."""

    status: int
    headers: Headers
    reason: str


class Admission(msgspec.Struct, frozen=True):
    """The request may go on: as ``user``, with the plain ``body``.

    ``headers`` go on the answer (the handshake's last token); ``seal`` turns the answer
    body into ``(content type, sealed body)``, or is None for a plain answer.
    ``handshake_only`` marks the empty request that only completed the handshake.
    """

    user: str
    body: bytes
    headers: Headers = ()
    seal: Callable[[bytes], tuple[str, bytes]] | None = None
    handshake_only: bool = False


class ConnectionAuth:
    """The authentication state of one HTTP connection to a node serving ``mode`` (and
    ``also``: a node with several schemes enabled, as WinRM's ``Auth`` settings allow)."""

    def __init__(
        self,
        mode: AuthMode,
        users: Mapping[str, str],
        *,
        tls: bool = False,
        also: tuple[AuthMode, ...] = (),
    ) -> None:
        """``tls``: the connection is HTTPS, so a plain envelope is not unencrypted traffic.

        With Basic among several schemes over HTTP the node accepts plain envelopes on a
        Negotiate connection too: Basic over HTTP works on Windows only with the service's
        ``AllowUnencrypted = true``, which admits every unencrypted message."""
        self.mode = mode
        self.offered: tuple[AuthMode, ...] = (mode, *(m for m in also if m != mode))
        self._users = users
        self._tls = tls
        self._plain_allowed = tls or (len(self.offered) > 1 and "basic" in self.offered)
        self._handshakes: dict[str, NegotiateHandshake] = {}
        self._active: NegotiateHandshake | None = None
        """The handshake that authenticated this connection (or is under way)."""

    def admit(
        self, authorization: str | None, content_type: str | None, body: bytes
    ) -> Admission | Refusal:
        """Let the request in, or say how the node refuses it."""
        scheme = (authorization or "").partition(" ")[0].lower()
        if self.offered == ("basic",) or (authorization and scheme == "basic"):
            if "basic" not in self.offered:
                return self._refuse("scheme 'Basic' is not offered")
            user = authenticate(authorization, self._users)
            if user is None:
                return self._refuse("no valid Basic credential")
            return Admission(user, body)
        if authorization:
            handshake = self._handshake_for(scheme)
            if handshake is None:
                return self._refuse(f"scheme {authorization.partition(' ')[0]!r} is not offered")
            self._active = handshake
        if self._active is None:
            return self._refuse("the connection is not authenticated")
        return self._admit_negotiated(self._active, authorization, content_type, body)

    def _handshake_for(self, scheme: str) -> NegotiateHandshake | None:
        """This connection's handshake for ``scheme`` (one per offered mode that reads it)."""
        for mode in self.offered:
            if mode != "basic" and scheme in schemes(mode):
                if mode not in self._handshakes:
                    self._handshakes[mode] = NegotiateHandshake(mode)
                return self._handshakes[mode]
        return None

    def _admit_negotiated(
        self,
        handshake: NegotiateHandshake,
        authorization: str | None,
        content_type: str | None,
        body: bytes,
    ) -> Admission | Refusal:
        headers: Headers = ()
        if authorization:
            scheme, _, token = authorization.partition(" ")
            step = handshake.step(scheme, token)
            if step.refused is not None:
                return self._refuse(step.refused)
            answer = (
                (("WWW-Authenticate", f"{scheme} {base64.b64encode(step.token).decode()}"),)
                if step.token
                else ()
            )
            if step.user is None:
                return Refusal(HTTPStatus.UNAUTHORIZED, answer, "handshake continues")
            headers = answer
            if not body:
                return Admission(step.user, b"", headers, handshake_only=True)
        context, user = handshake.context, handshake.user
        if context is None or user is None:
            return self._refuse("the connection is not authenticated")
        if not message_encryption.is_encrypted(content_type):
            if self._plain_allowed:
                return Admission(user, body, headers)
            return self._refuse("unencrypted message refused (AllowUnencrypted = false)")
        protocol = message_encryption.protocol_for(handshake.mode, handshake.scheme)
        try:
            plain = message_encryption.unseal(context, protocol, content_type or "", body)
        except message_encryption.EncryptionError as exc:
            return Refusal(HTTPStatus.BAD_REQUEST, (), str(exc))
        return Admission(
            user,
            plain,
            headers,
            seal=lambda answer: message_encryption.seal(context, protocol, answer),
        )

    def _refuse(self, reason: str) -> Refusal:
        return Refusal(HTTPStatus.UNAUTHORIZED, challenges(*self.offered), reason)
