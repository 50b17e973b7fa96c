"""Authentication failures explained from the inventory's connection settings.

pypsrp reports every refusal the same way ("Failed to authenticate the user X with
ntlm", HTTP 401), and a Kerberos problem on the client side as a pyspnego error full of
GSSAPI codes. The cause an operator can act on depends on the settings used, so the
translated error (:func:`psrunbook.transport.error_mapping.translate`) is refined here:

- Kerberos without a usable ticket (none in the cache, or expired): the ``kinit`` to run.
- A 401 with Kerberos: the ticket, and the node's service principal.
- A 401 with a password: the user and password.
- A 401 with a client certificate: the certificate and the node's mapping of it.
- A CredSSP refusal (requests-credssp raises its own errors, an NTSTATUS from the node's
  TSRequest for a wrong password): the user, password, and CredSSP being allowed.
- A refusal of an *unencrypted* message (``encryption = "never"`` with a Negotiate-family
  auth over HTTP): WinRM's ``AllowUnencrypted`` is false by default and the node then
  answers 401 or 500 (reports differ; see ``psrunbook/sim/endpoint/connection_auth.py``),
  never something that trying again fixes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from psrunbook.errors import AuthenticationFailed, TransportError
from psrunbook.transport.error_mapping import HttpStatusError

if TYPE_CHECKING:
    from psrunbook.inventory import ConnectionSettings

_NEGOTIATE_FAMILY = frozenset({"negotiate", "kerberos", "ntlm"})
# pyspnego's texts for a credential cache that has no usable ticket (MIT krb5 via gssapi).
_NO_TICKET = re.compile(
    r"No Kerberos credentials available|credential cache .*not found|"
    r"No credentials cache found|No credentials were supplied|"
    r"credential cache did not exist|Matching credential not found",
    re.IGNORECASE,
)
_EXPIRED = re.compile(r"expired", re.IGNORECASE)
_UNKNOWN_SERVER = re.compile(r"Server .* not found in Kerberos database", re.IGNORECASE)


def uses_ticket(connection: ConnectionSettings) -> bool:
    """True when the Kerberos ticket in the credential cache is what authenticates."""
    return connection.auth == "kerberos" or (
        connection.auth == "negotiate" and connection.username is None
    )


def refine(
    error: TransportError, cause: BaseException, connection: ConnectionSettings, host: str
) -> TransportError:
    """``error`` with the cause named from ``connection``, or ``error`` itself."""
    node = error.node or ""
    if _raised_by(cause, "requests_credssp"):
        return AuthenticationFailed(
            f"{node}: CredSSP authentication failed ({_first_line(cause)}); check the user "
            "and password, and that the node allows CredSSP (Auth/CredSSP = true)",
            node=node,
        )
    if _raised_by(cause, "spnego"):
        return _client_side(cause, node, connection, host)
    unencrypted = (
        connection.auth in _NEGOTIATE_FAMILY
        and not connection.ssl
        and connection.encryption == "never"
    )
    refused = isinstance(error, AuthenticationFailed) or (
        isinstance(error, HttpStatusError) and error.status == 500 and unencrypted
    )
    if not refused:
        return error
    if unencrypted:
        return AuthenticationFailed(
            f"{node}: the node refused the request (HTTP "
            f'{getattr(error, "status", 401)}): with auth = "{connection.auth}" over HTTP '
            'and encryption = "never" the messages travel unencrypted, which WinRM refuses '
            "unless the node sets AllowUnencrypted = true (off by default); remove "
            'encryption = "never" so every message is sealed, or use ssl = true '
            "(a wrong user or password gets the same answer)",
            node=node,
        )
    if connection.auth == "certificate":
        # How WinRM maps a certificate (WSMan:\\localhost\\ClientCertificate, by issuer
        # and subject, Auth/Certificate) is not in facts/: UNVERIFIED, stated as a hint.
        return AuthenticationFailed(
            f"{node}: the node refused the client certificate {connection.certificate_pem} "
            "(HTTP 401); check that the node allows certificate auth (Auth/Certificate = "
            "true) and maps this certificate's issuer and subject to a local account "
            "(WSMan:\\localhost\\ClientCertificate)",
            node=node,
        )
    if uses_ticket(connection):
        return AuthenticationFailed(
            f"{node}: the node refused the Kerberos ticket; check that klist shows a valid "
            f"ticket for the user the node expects and that the node's service principal "
            f"(host/{host}) is in the node's keytab",
            node=node,
        )
    return error


def _client_side(
    cause: BaseException, node: str, connection: ConnectionSettings, host: str
) -> AuthenticationFailed:
    """A failure before anything was sent: no ticket, an expired one, an unknown node."""
    text = str(cause)
    if uses_ticket(connection) and _EXPIRED.search(text):
        reason = "the Kerberos ticket in the credential cache has expired; run kinit again"
    elif uses_ticket(connection) and _NO_TICKET.search(text):
        reason = (
            "there is no Kerberos ticket in the credential cache (KRB5CCNAME); run "
            "kinit user@REALM first, or give a username and password"
        )
    elif _UNKNOWN_SERVER.search(text):
        reason = (
            f"the realm has no service principal for host/{host}; connect by the name "
            "the node is registered under in the domain"
        )
    else:
        reason = (
            f"the {connection.auth} security context could not be set up ({_first_line(cause)})"
        )
    return AuthenticationFailed(f"{node}: authentication failed: {reason}", node=node)


def _raised_by(exc: BaseException, package: str) -> bool:
    """True for an error class of ``package``, without importing it to find out."""
    return any(klass.__module__.split(".")[0] == package for klass in type(exc).__mro__)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
