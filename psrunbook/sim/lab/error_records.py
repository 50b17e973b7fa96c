"""Every error the simulated machine reports, shaped in one place.

Real shapes come from ``facts/failoverclusters.json`` (``errors``) and
``facts/powershell.md`` section 7. Where the facts are silent the choices below are
ours; each is marked CHOICE with the reason, and ``docs/simulated-cluster.md`` lists
them, so a later correction from a real cluster changes this file only.

CHOICE (FailoverClusters, general): every failure of a FailoverClusters cmdlet is a
``Microsoft.FailoverClusters.PowerShell.ClusterCmdletException`` whose error id is the
cmdlet's name (the one observed operation failure, Move-ClusterGroup, has exactly
that shape). The message is two lines, as observed: a summary naming the object, then
the Win32 text followed by ``(Exception from HRESULT: 0x8007xxxx)`` so the Win32
code (5007, 5010, ...) can be read back from the message. Categories: ObjectNotFound
for missing objects, ResourceExists for duplicates, NotSpecified otherwise (observed
for Move-ClusterGroup). The facts leave open whether these errors are terminating
(DSC code calls the cmdlets with ``-ErrorAction Stop``, which suggests non-terminating
ones, an assumption). The lab raises them as terminating errors by default, the stricter
reading for a script: ``-ErrorAction SilentlyContinue``/``Ignore`` and ``-ErrorVariable``
alone do not hold them back, ``try``/``catch`` does. ``[policy]
cluster_errors_terminate = false`` in a lab file writes them non-terminating instead
(``SimCluster.cluster_errors_terminate``), so a script can be tried under both readings.

CHOICE (implementing types): the observed class names are kept
(``GetResourceCommand``, ``GetNodeCommand``, ``MoveClusterGroupCommand``); the others
are unknown and are named ``<Verb><Noun>Command`` after the cmdlet.
"""

from __future__ import annotations

from typing import Any, TypedDict

from psrunbook.sim.objects import ErrorRecordData
from psrunbook.sim.objects import path_not_found as objects_path_not_found

FC_NAMESPACE = "Microsoft.FailoverClusters.PowerShell"
CLUSTER_EXCEPTION = f"{FC_NAMESPACE}.ClusterCmdletException"
PS_COMMANDS = "Microsoft.PowerShell.Commands"

_OBSERVED_TYPES = {
    "get-clusterresource": "GetResourceCommand",
    "get-clusternode": "GetNodeCommand",
    "move-clustergroup": "MoveClusterGroupCommand",
}

WIN32_TEXT = {
    87: "The parameter is incorrect.",
    1058: (
        "The service cannot be started, either because it is disabled or because it "
        "has no enabled devices associated with it."
    ),
    1059: "Circular service dependency was specified.",
    1060: "The specified service does not exist as an installed service.",
    # ERROR_SERVICE_LOGON_FAILED (System Error Codes 1000-1299; StartService's return codes).
    1069: "The service did not start due to a logon failure.",
    5002: "The cluster resource dependency cannot be found.",
    5003: (
        "The cluster resource cannot be made dependent on the specified resource because "
        "it is already dependent."
    ),
    5004: "The cluster resource is not online.",
    5007: "The cluster resource could not be found.",
    5010: "The object already exists.",
    5013: "The cluster group could not be found.",
    5016: "The cluster node is not the owner of the group.",
    5018: "The cluster resource could not be brought online by the resource monitor.",
    5023: "The group or resource is not in the correct state to perform the requested operation.",
    5042: "The cluster node was not found.",
    5050: "The cluster node is down.",
    5071: "The cluster resource cannot be brought online. The owner node cannot run this resource.",
    5078: "The specified resource type was not found.",
}

# CHOICE: which cluster codes count as "not found" / "already exists" for the category.
_NOT_FOUND = {5002, 5007, 5013, 5042, 5078}
_EXISTS = {5003, 5010}


def implementing_type(cmdlet: str) -> str:
    """The .NET type a FailoverClusters cmdlet's FullyQualifiedErrorId ends with."""
    observed = _OBSERVED_TYPES.get(cmdlet.casefold())
    if observed is None:
        verb, noun = cmdlet.split("-", 1)
        observed = f"{verb}{noun}Command"
    return f"{FC_NAMESPACE}.{observed}"


def hresult(code: int) -> str:
    """HRESULT_FROM_WIN32 as .NET prints it."""
    return f"0x{0x80070000 | (code & 0xFFFF):08X}"


def win32_message(code: int, text: str | None = None) -> str:
    shown = text or WIN32_TEXT.get(code, f"Win32 error {code}.")
    return f"{shown} (Exception from HRESULT: {hresult(code)})"


def cluster_error(
    cmdlet: str,
    code: int,
    summary: str,
    *,
    target: Any = None,
    target_name: str = "",
    text: str | None = None,
) -> ErrorRecordData:
    """A FailoverClusters cmdlet failure carrying Win32/cluster ``code``."""
    if code in _NOT_FOUND:
        category = "ObjectNotFound"
    elif code in _EXISTS:
        category = "ResourceExists"
    else:
        category = "NotSpecified"
    return ErrorRecordData(
        message=f"{summary}\n{win32_message(code, text)}",
        error_id=cmdlet,
        category=category,
        exception_type=CLUSTER_EXCEPTION,
        target_object=target,
        target_name=target_name,
        target_type="String" if isinstance(target, str) else "",
        activity=cmdlet,
        command_type=implementing_type(cmdlet),
    )


def cluster_usage_error(cmdlet: str, message: str) -> ErrorRecordData:
    """CHOICE: a missing or contradictory parameter combination the docs leave open."""
    return ErrorRecordData(
        message=message,
        error_id="InvalidParameterCombination",
        category="InvalidArgument",
        exception_type=CLUSTER_EXCEPTION,
        activity=cmdlet,
        command_type=implementing_type(cmdlet),
    )


def connection_error(cmdlet: str, cluster: str) -> ErrorRecordData:
    """Observed shape when ``-Cluster`` names a cluster that cannot be reached."""
    return ErrorRecordData(
        message=(
            f"Failed to connect to cluster '{cluster}'.\n"
            "The RPC server is unavailable. (Exception from HRESULT: 0x800706BA)"
        ),
        error_id="ClusterRpcConnection",
        category="ConnectionError",
        exception_type=CLUSTER_EXCEPTION,
        activity=cmdlet,
        command_type=implementing_type(cmdlet),
    )


def cluster_access_denied(cmdlet: str, cluster: str) -> ErrorRecordData:
    """A user who is not an administrator of the nodes opening the cluster.

    UNVERIFIED (not in shared/facts): the message, error id and category. The cluster
    service grants Full access to the nodes' local Administrators and nobody else until
    Grant-ClusterAccess says otherwise (which the lab does not model), so the lab refuses
    every FailoverClusters cmdlet, readers included, with Win32 5 (ERROR_ACCESS_DENIED),
    as a terminating error like the observed connection failures.
    """
    return ErrorRecordData(
        message=(
            f"You do not have administrative privileges on the cluster '{cluster}'. Contact "
            "your network administrator to request access.\n"
            "Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))"
        ),
        error_id="ClusterAccessDenied",
        category="PermissionDenied",
        exception_type=CLUSTER_EXCEPTION,
        activity=cmdlet,
        command_type=implementing_type(cmdlet),
    )


def prompt_refused(cmdlet: str, command_type: str, question: str) -> ErrorRecordData:
    """A cmdlet asked for confirmation in a non-interactive host (PSRP without a UI).

    Shape of PowerShell's HostException for a prompt the host cannot show.
    """
    return ErrorRecordData(
        message=(
            "A command that prompts the user failed because the host program or the command "
            "type does not support user interaction. The host was attempting to request "
            f"confirmation with the following message: {question}"
        ),
        error_id="HostFunctionNotImplemented",
        category="NotImplemented",
        exception_type="System.Management.Automation.Host.HostException",
        activity=cmdlet,
        command_type=command_type,
    )


# -- Microsoft.PowerShell.Management cmdlets --------------------------------------------


def ps_type(name: str) -> str:
    return f"{PS_COMMANDS}.{name}"


class _StringTarget(TypedDict):
    target_object: str
    target_name: str
    target_type: str
    activity: str
    command_type: str


def _string_target(target: str, cmdlet: str, command_type: str) -> _StringTarget:
    """The ErrorRecord fields of a failure about one named thing (a path, a service)."""
    return _StringTarget(
        target_object=target,
        target_name=target,
        target_type="String",
        activity=cmdlet,
        command_type=command_type,
    )


def path_not_found(cmdlet: str, command_type: str, path: str) -> ErrorRecordData:
    """``Get-Item``/``Get-Content``/... on a path that does not exist (the language's
    ``Set-Location`` raises the same, :func:`psrunbook.sim.objects.path_not_found`)."""
    return objects_path_not_found(cmdlet, command_type, path)


def drive_not_found(cmdlet: str, command_type: str, drive: str) -> ErrorRecordData:
    """A drive letter that is not mounted on this node (a shared disk owned elsewhere)."""
    return ErrorRecordData(
        message=f"Cannot find drive. A drive with the name '{drive}' does not exist.",
        error_id="DriveNotFound",
        category="ObjectNotFound",
        exception_type="System.Management.Automation.DriveNotFoundException",
        **_string_target(drive, cmdlet, command_type),
    )


def part_of_path_not_found(cmdlet: str, command_type: str, path: str) -> ErrorRecordData:
    """Writing a file whose folder does not exist (DirectoryNotFoundException)."""
    return ErrorRecordData(
        message=f"Could not find a part of the path '{path}'.",
        error_id="GetContentWriterDirectoryNotFoundError"
        if cmdlet.casefold() in ("set-content", "add-content")  # the provider's content writer
        else "NewItemIOError",
        category="ObjectNotFound",
        exception_type="System.IO.DirectoryNotFoundException",
        **_string_target(path, cmdlet, command_type),
    )


def item_exists(cmdlet: str, command_type: str, path: str) -> ErrorRecordData:
    """``New-Item`` without ``-Force`` on an existing file or key."""
    return ErrorRecordData(
        message=f"An item with the specified name {path} already exists.",
        error_id="NewItemIOError",
        category="ResourceExists",
        exception_type="System.IO.IOException",
        **_string_target(path, cmdlet, command_type),
    )


def property_exists(cmdlet: str, command_type: str, path: str, name: str) -> ErrorRecordData:
    """``New-ItemProperty`` without ``-Force`` on an existing value."""
    return ErrorRecordData(
        message="The property already exists.",
        error_id="System.IO.IOException",
        category="ResourceExists",
        exception_type="System.IO.IOException",
        **_string_target(path, cmdlet, command_type),
    )


def property_not_found(cmdlet: str, command_type: str, path: str, name: str) -> ErrorRecordData:
    """``Get-ItemProperty -Name`` for a value the key does not have."""
    return ErrorRecordData(
        message=f"Property {name} does not exist at path {path}.",
        error_id="System.Management.Automation.PSArgumentException",
        category="InvalidArgument",
        exception_type="System.Management.Automation.PSArgumentException",
        **_string_target(name, cmdlet, command_type),
    )


def registry_access_denied(cmdlet: str, command_type: str, path: str) -> ErrorRecordData:
    """A plain (non-administrator) user writing under HKLM: the registry provider's
    SecurityException, written as a non-terminating PermissionDenied error.

    UNVERIFIED (not in shared/facts): the exact shape. The message is .NET's
    ``Requested registry access is not allowed.``; the registry provider reports the
    exception with its type name as the error id (as for ``property_exists``), so the
    fully qualified id is ``System.Security.SecurityException,<command type>``.
    """
    return ErrorRecordData(
        message="Requested registry access is not allowed.",
        error_id="System.Security.SecurityException",
        category="PermissionDenied",
        exception_type="System.Security.SecurityException",
        **_string_target(path, cmdlet, command_type),
    )


FILE_ACCESS_DENIED_IDS = {
    "new-item": "NewItemUnauthorizedAccessError",
    "new-item:directory": "CreateDirectoryUnauthorizedAccessError",
    "set-content": "GetContentWriterUnauthorizedAccessError",
    "copy-item": "CopyFileInfoItemUnauthorizedAccessError",
    "remove-item": "RemoveFileSystemItemUnAuthorizedAccess",
}
"""The FileSystem provider's error id per operation for an UnauthorizedAccessException
(from the PowerShell source; UNVERIFIED in shared/facts)."""


def file_access_denied(
    cmdlet: str, command_type: str, path: str, operation: str | None = None
) -> ErrorRecordData:
    """A plain user writing where only Administrators may (Program Files, a cluster disk):
    ``Access to the path '...' is denied.`` (System.UnauthorizedAccessException),
    non-terminating, PermissionDenied. UNVERIFIED (not in shared/facts): the error ids
    above; the message is .NET's."""
    key = operation or cmdlet.casefold()
    return ErrorRecordData(
        message=f"Access to the path '{path}' is denied.",
        error_id=FILE_ACCESS_DENIED_IDS.get(key, "UnauthorizedAccessError"),
        category="PermissionDenied",
        exception_type="System.UnauthorizedAccessException",
        **_string_target(path, cmdlet, command_type),
    )


def invalid_argument(
    cmdlet: str, command_type: str, message: str, error_id: str
) -> ErrorRecordData:
    return ErrorRecordData(
        message=message,
        error_id=error_id,
        category="InvalidArgument",
        exception_type="System.ArgumentException",
        activity=cmdlet,
        command_type=command_type,
    )


def service_not_found(cmdlet: str, command_type: str, name: str) -> ErrorRecordData:
    """``Get-Service -Name`` (and Start/Stop/Restart) for a service not installed."""
    return ErrorRecordData(
        message=f"Cannot find any service with service name '{name}'.",
        error_id="NoServiceFoundForGivenName",
        category="ObjectNotFound",
        exception_type=f"{PS_COMMANDS}.ServiceCommandException",
        **_string_target(name, cmdlet, command_type),
    )


def service_cannot_start(
    cmdlet: str, command_type: str, name: str, display: str
) -> ErrorRecordData:
    """Starting a disabled service."""
    return ErrorRecordData(
        message=(
            f"Service '{display} ({name})' cannot be started due to the following error: "
            f"Cannot start service {name} on computer '.'."
        ),
        error_id="CouldNotStartService",
        category="OpenError",
        exception_type=f"{PS_COMMANDS}.ServiceCommandException",
        target_object=name,
        target_name=name,
        target_type="ServiceController",
        activity=cmdlet,
        command_type=command_type,
    )


def service_wait_failed(
    cmdlet: str, command_type: str, name: str, display: str, *, stop: bool
) -> ErrorRecordData:
    """Start/Stop/Restart-Service when the service left its pending state for another
    than the one asked for (DoWaitForStatus: StartServiceFailed / StopServiceFailed,
    OpenError). The start wording is a Windows PowerShell 5.1 capture ("Failed to start
    service 'GammaService (GammaService)'."); the stop one follows it, UNVERIFIED."""
    verb = "stop" if stop else "start"
    return ErrorRecordData(
        message=f"Failed to {verb} service '{display} ({name})'.",
        error_id="StopServiceFailed" if stop else "StartServiceFailed",
        category="OpenError",
        exception_type=f"{PS_COMMANDS}.ServiceCommandException",
        target_object=name,
        target_name=name,
        target_type="ServiceController",
        activity=cmdlet,
        command_type=command_type,
    )


def service_cannot_stop(
    cmdlet: str, command_type: str, name: str, display: str
) -> ErrorRecordData:
    """Stop-Service of a service that accepts no stop now (a pending one):
    CouldNotStopService (CloseError) around ServiceController.Stop()'s
    InvalidOperationException (.NET Framework's "Cannot stop {0} service on computer
    '{1}'."); UNVERIFIED against a capture."""
    return ErrorRecordData(
        message=(
            f"Service '{display} ({name})' cannot be stopped due to the following error: "
            f"Cannot stop {name} service on computer '.'."
        ),
        error_id="CouldNotStopService",
        category="CloseError",
        exception_type=f"{PS_COMMANDS}.ServiceCommandException",
        target_object=name,
        target_name=name,
        target_type="ServiceController",
        activity=cmdlet,
        command_type=command_type,
    )


# -- icacls.exe (exit codes and text) ----------------------------------------------------
# icacls writes its per-file errors to stderr and its summary to stdout (UNVERIFIED which
# stream each line takes: the errors on stderr is the stricter reading). In a remote
# session Windows PowerShell 5.1 makes each stderr line an ErrorRecord, which
# $ErrorActionPreference = 'Stop' turns terminating at the first one, before the script
# can read $LASTEXITCODE (PowerShell issue 3996, Area-Remoting; 7.1 changed it): see
# :func:`native_stderr`.

ICACLS_OK_SUMMARY = "Successfully processed {ok} files; Failed processing {failed} files"
ICACLS_NOT_FOUND = "{path}: The system cannot find the file specified."
ICACLS_NOT_FOUND_EXIT = 2
ICACLS_NO_MAPPING = "{principal}: No mapping between account names and security IDs was done."
ICACLS_NO_MAPPING_EXIT = 1332
# UNVERIFIED (not in shared/facts): icacls' words and exit code (ERROR_ACCESS_DENIED) for a
# user without WRITE_DAC on the target.
ICACLS_ACCESS_DENIED = "{path}: Access is denied."
ICACLS_ACCESS_DENIED_EXIT = 5
ICACLS_INVALID = 'Invalid parameter "{arg}"'
ICACLS_INVALID_EXIT = 87


def native_stderr(line: str, program: str, first: bool) -> ErrorRecordData:
    """A line a native program wrote to stderr, as Windows PowerShell 5.1 reports it in a
    remote session (NativeCommandProcessor): a RemoteException whose message is the line,
    ``NativeCommandError`` for the first line, ``NativeCommandErrorMessage`` for the rest
    (no command type after it: the console shows ``FullyQualifiedErrorId :
    NativeCommandError``), category NotSpecified with no activity (``NotSpecified:
    (line:String) [], RemoteException``), the line as its target, the program as the
    invocation's command."""
    return ErrorRecordData(
        message=line,
        error_id="NativeCommandError" if first else "NativeCommandErrorMessage",
        category="NotSpecified",
        exception_type="System.Management.Automation.RemoteException",
        target_object=line,
        target_name=line,
        target_type="String",
        command_name=program,
    )


# CHOICE: the first (summary) line of each FailoverClusters failure. Only the
# Move-ClusterGroup wording is observed; the others follow its pattern.
SUMMARIES = {
    "resource_not_found": "The resource '{name}' does not exist in the cluster.",
    "group_not_found": "The clustered role '{name}' does not exist in the cluster.",
    "node_not_found": "The node '{name}' does not exist in the cluster.",
    "type_not_found": "The resource type '{name}' does not exist in the cluster.",
    "add_resource": "An error occurred while creating resource '{name}'.",
    "add_group": "An error occurred while creating the clustered role '{name}'.",
    "remove_resource": "An error occurred while removing resource '{name}'.",
    "start_resource": "Failed to bring resource '{name}' online.",
    "stop_resource": "Failed to take resource '{name}' offline.",
    "move_group": "An error occurred while moving the clustered role '{name}'.",
    "add_dependency": (
        "An error occurred while adding dependency '{provider}' to resource '{name}'."
    ),
    "remove_dependency": (
        "An error occurred while removing dependency '{provider}' from resource '{name}'."
    ),
    "set_dependency": "An error occurred while setting the dependency expression of '{name}'.",
    "add_checkpoint": "An error occurred while adding checkpoint '{key}' to resource '{name}'.",
    "remove_checkpoint": (
        "An error occurred while removing checkpoint '{key}' from resource '{name}'."
    ),
    "set_owners": "An error occurred while setting the owners of '{name}'.",
    "parameter": "An error occurred while setting parameter '{key}' on '{name}'.",
    "parameter_not_found": "Parameter '{key}' does not exist on the cluster object '{name}'.",
}

# CHOICE: Move-ClusterGroup to a node that cannot host the group: the observed text.
MOVE_REFUSED_TEXT = (
    "The operation failed because either the specified cluster node is not the owner of "
    "the group, or the node is not a possible owner of the group"
)

# CHOICE: a duplicate registry checkpoint; the cluster control code answers
# ERROR_ALREADY_EXISTS (183), not 5010.
WIN32_TEXT[183] = "Cannot create a file when that file already exists."
WIN32_TEXT[1168] = "Element not found."
WIN32_TEXT[5019] = "The operation could not be completed because the cluster resource is online."


def summary(kind: str, **values: str) -> str:
    return SUMMARIES[kind].format(**values)
