"""The one exception tree of psrunbook.

Every error the engine raises on purpose derives from :class:`EngineError`, so the CLI
can turn any of them into a clear message and an exit code with a single ``except``.
Third-party errors (pydantic, jinja2, pypsrp, requests, sqlite3) are translated once,
at the boundary where they enter, with ``raise ... from exc`` so the cause survives.

    EngineError
    ├── UserError                  bad input: exit code 2, message names field and fix
    │   ├── InventoryError         inventory file missing, unreadable or invalid
    │   ├── ParameterError         runbook parameters missing, unknown or invalid
    │   ├── RunbookNotFound        no runbook of that name
    │   ├── RunbookDefinitionError a runbook module is malformed or names collide
    │   ├── TemplateError          template missing, syntax error, wrong parameters
    │   ├── LiteralError           a value cannot be written as a PowerShell literal
    │   ├── BundleError            review bundle missing, incomplete or tampered with
    │   ├── JournalError           state directory or journal unusable, resume refused
    │   ├── RunHeld                the run or cluster is held by another process
    │   └── InsecureConnectionError a connection setting is refused as unsafe
    ├── LintError                  a rendered script fails the linter (carries findings)
    ├── TransportError             talking to a node failed
    │   ├── ConnectionFailed       refused, reset, unreachable, DNS
    │   ├── AuthenticationFailed   credentials rejected
    │   ├── CertificateInvalid     TLS verification failed
    │   ├── WSManFault             the endpoint answered a WSMan fault (carries code)
    │   └── TransportTimeout       no answer within the step timeout
    ├── StepFailed                 a script ran and reported errors (carries StepErrors)
    └── RunInterrupted             a stop request (Ctrl-C, SIGTERM, SIGHUP) ended an attempt
"""

from __future__ import annotations


class EngineError(Exception):
    """Root of every error psrunbook raises deliberately."""


class UserError(EngineError):
    """Bad input from the user; the CLI exits with code 2 and prints only the message."""


class InventoryError(UserError):
    """The inventory file is missing, unreadable or invalid."""


class ParameterError(UserError):
    """Runbook parameters are missing, unknown or invalid."""


class RunbookNotFound(UserError):
    """No runbook is registered under the requested name."""


class RunbookDefinitionError(UserError):
    """A runbook module is malformed, or two runbooks share a name."""


class TemplateError(UserError):
    """A template is missing, does not compile, or was given the wrong parameters."""


class LiteralError(UserError):
    """A value cannot be written safely as a PowerShell literal."""


class BundleError(UserError):
    """A review bundle is missing, incomplete or does not match its manifest."""


class ClusterMismatch(BundleError):
    """An approved bundle is run against another cluster than the one it was approved for."""


class JournalError(UserError):
    """The state directory or run journal is unusable, or a resume is refused."""


class RunHeld(UserError):
    """The run or its cluster is held by another psrunbook process (named in the message)."""


class InsecureConnectionError(UserError):
    """A connection setting would send credentials or data unprotected."""


class LintError(EngineError):
    """A rendered script does not pass the linter; ``findings`` lists every problem."""

    def __init__(self, message: str, findings: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.findings = findings


class TransportError(EngineError):
    """Talking to a node failed before or while a script ran.

    ``script_sent`` is False only when the session knows no part of the script's
    pipeline reached the node (the failure came before the pipeline's first request, or
    that request's connection could not even be made): nothing of it can be running
    there. True (the default) when it may have: a lost answer says nothing of what the
    node did with the request.
    """

    script_sent: bool = True

    def __init__(self, message: str, *, node: str | None = None) -> None:
        super().__init__(message)
        self.node = node


class ConnectionFailed(TransportError):
    """The node refused, reset or never answered the connection, or its name did not resolve.

    ``retryable`` is False when trying again cannot help: a name that does not resolve,
    or a connection already retried until the connect deadline ran out.
    """

    def __init__(self, message: str, *, node: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, node=node)
        self.retryable = retryable


class AuthenticationFailed(TransportError):
    """The node rejected the credentials."""


class CertificateInvalid(TransportError):
    """The node's TLS certificate failed verification."""


class WSManFault(TransportError):
    """The node answered with a WSMan fault; ``code`` is its numeric code."""

    def __init__(self, message: str, *, code: int | None, node: str | None = None) -> None:
        super().__init__(message, node=node)
        self.code = code


class TransportTimeout(TransportError):
    """The node did not answer within the allowed time."""


class StepFailed(EngineError):
    """A step's script reported errors; ``errors`` holds the structured records."""

    def __init__(self, message: str, errors: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors


class RunInterrupted(EngineError):
    """A stop request (Ctrl-C, SIGTERM, SIGHUP) ended an attempt before its node answered.

    ``script_sent`` as for :class:`TransportError`: False when the stop came before the
    script was sent."""

    script_sent: bool = True
