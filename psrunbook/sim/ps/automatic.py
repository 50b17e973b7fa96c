"""The automatic variables a remote Windows PowerShell 5.1 session starts with.

``$PSVersionTable`` has the keys, order and types Windows sends in the pool's
APPLICATION_PRIVATE_DATA (pypsrp's recording of ``test_psrp_application_args``: a
PSPrimitiveDictionary of ``System.Version`` values); the build is the one the endpoint
announces. ``$host`` is the remoting host PowerShell gives a PSRP pipeline
(``ServerRemoteHost``) and ``$PSSenderInfo`` who connected and how, with the pool's
ApplicationArguments. The shapes of ``$host`` and ``$PSSenderInfo`` beyond the names
pypsrp's tests read are UNVERIFIED (from the PowerShell SDK's class reference, not from
shared/facts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psrunbook.sim.executor_protocol import SenderInfo
from psrunbook.sim.objects import PSHashtable, PSObject, PSPrimitiveDictionary, PSVersionValue
from psrunbook.sim.ps.values import to_int

PS_VERSION = PSVersionValue(5, 1, 17763, 1)
"""Windows Server 2019's Windows PowerShell, as the endpoint's private data announces it."""

HOST_INSTANCE_ID = "5b9f2cb1-6ab7-4a4e-a0c7-2ac8b6a5e1d0"
CONSOLE_INSTANCE_ID = "0f4d8e9a-3c61-4b5e-9d2a-7e1c6b8f4a52"
"""A powershell.exe's host's InstanceId (a lab value; each process has its own on Windows)."""
_REMOTING = "System.Management.Automation.Remoting."
_INTERNAL = "System.Management.Automation.Internal.Host."


def version_table() -> PSPrimitiveDictionary:
    """``$PSVersionTable`` in the order and with the types Windows sends."""
    v = PSVersionValue
    return PSPrimitiveDictionary(
        [
            ("PSVersion", PS_VERSION),
            ("PSEdition", "Desktop"),
            (
                "PSCompatibleVersions",
                [v(1, 0), v(2, 0), v(3, 0), v(4, 0), v(5, 0), PS_VERSION],
            ),
            ("BuildVersion", v(10, 0, PS_VERSION.build, PS_VERSION.revision)),
            ("CLRVersion", v(4, 0, 30319, 42000)),
            ("WSManStackVersion", v(3, 0)),
            ("PSRemotingProtocolVersion", v(2, 3)),
            ("SerializationVersion", v(1, 1, 0, 1)),
        ]
    )


def _obj(type_name: str, properties: list[tuple[str, Any]]) -> PSObject:
    return PSObject(
        type_names=(type_name, "System.Object"),
        properties=PSHashtable(properties),
        to_string=type_name,
    )


def remote_host(runspace: PSObject | None = None) -> PSObject:
    """``$host`` of a PSRP pipeline: ``ServerRemoteHost``, version 1.0.0.0.

    pypsrp opens pools without a client host, so the UI has no RawUI. ``runspace`` is
    ``$Host.Runspace`` (IHostSupportsInteractiveSession.Runspace, see
    :func:`psrunbook.sim.ps.engine_events.runspace_object`).
    """
    ui = _obj(f"{_REMOTING}ServerRemoteHostUserInterface", [("RawUI", None)])
    return _host(
        f"{_REMOTING}ServerRemoteHost",
        "ServerRemoteHost",
        PSVersionValue(1, 0, 0, 0),
        HOST_INSTANCE_ID,
        ui,
        runspace,
    )


def _host(
    type_name: str, name: str, version: Any, instance_id: str, ui: PSObject, runspace: Any
) -> PSObject:
    """A PSHost's members in the order Windows lists them, en-US."""
    return _obj(
        type_name,
        [
            ("Name", name),
            ("Version", version),
            ("InstanceId", instance_id),
            ("UI", ui),
            ("CurrentCulture", "en-US"),
            ("CurrentUICulture", "en-US"),
            ("PrivateData", None),
            ("DebuggerEnabled", True),
            ("IsRunspacePushed", False),
            ("Runspace", runspace),
        ],
    )


def console_host(runspace: Any, set_should_exit: Callable[[int], None]) -> PSObject:
    """``$host`` of ``powershell.exe`` (a WinRS process): the console host, ConsoleHost.

    Name ``ConsoleHost``, its Version the engine's (PowerShell's ConsoleHost.Version is
    PSVersionInfo.PSVersion). ``SetShouldExit(n)`` records the exit code the process
    ends with once the command has run (ConsoleHost.SetShouldExit sets the code; a
    top-level ``exit N`` reaches the host the same way, so the later call wins).
    UNVERIFIED (not in shared/facts): a UI without RawUI, as the remote host's (the
    console's raw UI under WinRS has no window to report), and the type name, which
    GetType() would show as the engine's InternalHost.
    """
    ui = _obj(f"{_INTERNAL}InternalHostUserInterface", [("RawUI", None)])
    console = "Microsoft.PowerShell.ConsoleHost"
    host = _host(console, "ConsoleHost", PS_VERSION, CONSOLE_INSTANCE_ID, ui, runspace)
    host.to_string = f"{_INTERNAL}InternalHost"

    def should_exit(code: Any) -> None:
        set_should_exit(to_int(code))

    host.methods = {
        "SetShouldExit": should_exit,
        "NotifyBeginApplication": lambda: None,
        "NotifyEndApplication": lambda: None,
    }
    return host


def connected_user(user: str, node: str) -> str:
    """The Windows account name of the connected user (``DOMAIN\\user``).

    A local account has the node as its domain; ``user@corp.example`` is ``CORP\\user``.
    """
    if "\\" in user:
        return user
    if "@" in user:
        name, _, realm = user.partition("@")
        return f"{realm.split('.')[0].upper()}\\{name}"
    return f"{node.upper()}\\{user}"


def sender_info(sender: SenderInfo, user: str, node: str) -> PSObject:
    """``$PSSenderInfo``: the connected user, the connection string, ApplicationArguments."""
    account = connected_user(user, node)
    identity = _obj(
        f"{_REMOTING}PSIdentity",
        [("AuthenticationType", "WSMan"), ("IsAuthenticated", True), ("Name", account)],
    )
    principal = _obj(f"{_REMOTING}PSPrincipal", [("Identity", identity)])
    arguments = sender.application_arguments
    return _obj(
        f"{_REMOTING}PSSenderInfo",
        [
            ("UserInfo", principal),
            ("ClientTimeZone", None),
            ("ConnectionString", sender.connection_string),
            (
                "ApplicationArguments",
                arguments if arguments is not None else PSPrimitiveDictionary(),
            ),
            ("ConfigurationName", "Microsoft.PowerShell"),
            ("ConnectedUser", account),
            ("RunAsUser", None),
        ],
    )
