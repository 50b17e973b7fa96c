"""Everyday language-level cmdlets of Microsoft.PowerShell.Utility, .Management and
.Security: ``Join-Path``, ``Split-Path``, ``ConvertTo-SecureString``,
``ConvertFrom-Json``, ``New-Object`` (the few types scripts build), ``New-Guid`` and
``Import-Module``.

They need nothing of the cluster model, so every node has them (registered in
:data:`psrunbook.sim.ps.builtins.BUILTINS` on import). What a form would need beyond what
is modelled (``Join-Path -Resolve``, ``New-Object`` of another .NET type, an encrypted
SecureString) is refused by name instead of answered differently from Windows.
"""

from __future__ import annotations

import json
import re
from typing import Any

from psrunbook.sim.objects import (
    DotNetList,
    ErrorRecordData,
    PSHashtable,
    PSObject,
    SecureStringValue,
)
from psrunbook.sim.ps import dotnet_io, dotnet_lists, exception_objects, host_types
from psrunbook.sim.ps.builtins import BuiltinEvaluator, Emit, builtin
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.guid_values import new_guid
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.stopwatch import is_stopwatch_type, new_stopwatch
from psrunbook.sim.ps.values import as_list, to_string


def _piped(inputs: list[Any]) -> list[Any]:
    """Pipeline objects bound to a ``string[]`` parameter: an array piped in arrives
    unrolled, so each element is one value."""
    return [v for item in inputs for v in as_list(item)]


# ----------------------------------------------------------------- New-Guid


@builtin("New-Guid")
def new_guid_cmdlet(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """5.1's New-Guid: one random Guid (``[guid]::NewGuid()``); no parameters of its own."""
    emit(new_guid())


# ----------------------------------------------------------------- paths

_QUALIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*:")


def join_path(parent: str, child: str) -> str:
    """FileSystem provider's join: one backslash between the parts, ``/`` read as ``\\``."""
    parent = parent.replace("/", "\\")
    child = child.replace("/", "\\")
    if not parent:
        return child
    if not child:
        return parent
    return parent.rstrip("\\") + "\\" + child.lstrip("\\")


@builtin(
    "Join-Path",
    ParamSpec(
        "Path", "string[]", mandatory=True, position=0, aliases=("PSPath",), from_pipeline=True
    ),
    ParamSpec("ChildPath", "string", mandatory=True, position=1),
    ParamSpec("Resolve", "switch"),
    per_object=True,
)
def join_path_cmdlet(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """One joined path per ``-Path`` (about Join-Path, 5.1: a string array in -Path,
    taken from the pipeline too, each object as it arrives)."""
    if args.get("Resolve"):
        raise ev.unsupported(ev.statement, "Join-Path -Resolve")
    for path in _piped(inputs) if inputs is not None else as_list(args["Path"]):
        emit(join_path(to_string(path), to_string(args["ChildPath"])))


def _split(path: str, part: str) -> Any:
    path = path.replace("/", "\\")
    qualifier = _QUALIFIER.match(path)
    if part == "Qualifier":
        return qualifier.group() if qualifier else None
    if part == "NoQualifier":
        return path[qualifier.end() :] if qualifier else path
    if part == "IsAbsolute":
        return bool(qualifier) or path.startswith("\\")
    trimmed = path.rstrip("\\") or path
    cut = trimmed.rfind("\\")
    if part == "Leaf":
        return trimmed[cut + 1 :]
    if cut < 0:
        return ""
    parent = trimmed[:cut]
    # The parent of a drive root's child is the root itself: Split-Path C:\a is C:\.
    return parent + "\\" if parent.endswith(":") or parent == "" else parent


@builtin(
    "Split-Path",
    ParamSpec("Path", "string[]", mandatory=True, position=0, from_pipeline=True),
    ParamSpec("Parent", "switch"),
    ParamSpec("Leaf", "switch"),
    ParamSpec("Qualifier", "switch"),
    ParamSpec("NoQualifier", "switch"),
    ParamSpec("IsAbsolute", "switch"),
    ParamSpec("Resolve", "switch"),
    per_object=True,
)
def split_path(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """``-Parent`` (the default), ``-Leaf``, ``-Qualifier``, ``-NoQualifier``,
    ``-IsAbsolute`` of Windows PowerShell 5.1 (no ``-LeafBase``/``-Extension``: 6.0+)."""
    if args.get("Resolve"):
        raise ev.unsupported(ev.statement, "Split-Path -Resolve")
    chosen = [p for p in ("Leaf", "Qualifier", "NoQualifier", "IsAbsolute") if args.get(p)]
    part = chosen[0] if chosen else "Parent"
    for path in _piped(inputs) if inputs is not None else as_list(args["Path"]):
        emit(_split(to_string(path), part))


# ----------------------------------------------------------------- security


@builtin(
    "ConvertTo-SecureString",
    ParamSpec("String", "string", mandatory=True, position=0, from_pipeline=True),
    ParamSpec("AsPlainText", "switch"),
    ParamSpec("Force", "switch"),
    ParamSpec("Key", "object"),
    ParamSpec("SecureKey", "securestring"),
    per_object=True,
)
def convertto_securestring(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """``-AsPlainText -Force``. An encrypted standard string (DPAPI or ``-Key``) is
    refused: the lab has no user key to decrypt it with. 5.1 demands ``-Force`` with
    ``-AsPlainText`` (UNVERIFIED wording, not in shared/facts)."""
    if not args.get("AsPlainText") or "Key" in args or "SecureKey" in args:
        raise ev.unsupported(ev.statement, "ConvertTo-SecureString of an encrypted string")
    if not args.get("Force"):
        raise ev.fail(
            ErrorRecordData(
                message="The system cannot protect plain text input. To suppress this "
                "warning and convert the plain text to a SecureString, reissue the command "
                "specifying the Force parameter. For more information ,type: get-help "
                "ConvertTo-SecureString.",
                error_id="ImportSecureString_InvalidArgument",
                command_type="Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
                category="InvalidArgument",
                exception_type="System.ArgumentException",
                activity="ConvertTo-SecureString",
            )
        )
    for text in inputs if inputs is not None else [args["String"]]:
        emit(SecureStringValue(to_string(text)))


def credential(user: str, password: SecureStringValue) -> PSObject:
    """A PSCredential: ``UserName``, ``Password`` and ``GetNetworkCredential()``."""

    def network() -> PSObject:
        domain, _, name = user.rpartition("\\")
        return PSObject(
            ("System.Net.NetworkCredential", "System.Object"),
            PSHashtable([("UserName", name), ("Password", password.plaintext), ("Domain", domain)]),
            to_string="System.Net.NetworkCredential",
        )

    return PSObject(
        ("System.Management.Automation.PSCredential", "System.Object"),
        PSHashtable([("UserName", user), ("Password", password)]),
        to_string="System.Management.Automation.PSCredential",
        methods={"GetNetworkCredential": network},
    )


# ----------------------------------------------------------------- objects

_PSOBJECT_TYPES = {"psobject", "system.management.automation.psobject", "pscustomobject"}
_HASHTABLE_TYPES = {"hashtable", "system.collections.hashtable", "collections.hashtable"}
_CREDENTIAL_TYPES = {
    "pscredential",
    "system.management.automation.pscredential",
    "management.automation.pscredential",
}


@builtin(
    "New-Object",
    ParamSpec("TypeName", "string", mandatory=True, position=0),
    ParamSpec("ArgumentList", "object[]", position=1, aliases=("Args",)),
    ParamSpec("Property", "hashtable"),
    ParamSpec("ComObject", "string"),
)
def new_object(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """PSObject (with ``-Property`` NoteProperties), Hashtable, PSCredential, the lists,
    the exceptions a script throws and the few .NET types the lab has; any other type is
    refused by name."""
    type_name = to_string(args["TypeName"])
    folded = type_name.casefold()
    arguments = as_list(args.get("ArgumentList"))
    if folded in _PSOBJECT_TYPES and not arguments:
        properties = args.get("Property") or PSHashtable()
        emit(PSObject(properties=PSHashtable(properties.items())))
    elif folded in _HASHTABLE_TYPES and not arguments and "Property" not in args:
        emit(PSHashtable())
    elif (
        folded in _CREDENTIAL_TYPES
        and len(arguments) == 2
        and isinstance(arguments[1], SecureStringValue)
    ):
        emit(credential(to_string(arguments[0]), arguments[1]))
    elif is_stopwatch_type(type_name) and not arguments:
        emit(new_stopwatch(ev.now, running=False))
    elif (exception := exception_objects.exception_type(type_name)) is not None:
        try:
            emit(exception_objects.new_exception(exception, arguments))
        except HostMethodRefused as refused:
            raise ev.unsupported(ev.statement, str(refused)) from None
    elif (made_list := _new_list(ev, type_name, arguments)) is not None:
        emit(made_list)
    elif dotnet_io.handled(made := dotnet_io.construct(ev.dotnet(), type_name, arguments)):
        emit(made)
    elif (host_object := host_types.construct(type_name, arguments)) is not None:
        emit(host_object)
    else:
        raise ev.unsupported(ev.statement, f"New-Object {type_name}")


def _new_list(ev: BuiltinEvaluator, type_name: str, arguments: list[Any]) -> DotNetList | None:
    """An ArrayList or List[T] (:mod:`psrunbook.sim.ps.dotnet_lists`), written as one
    object as New-Object writes it (not enumerated: an empty list is not ``$null``)."""
    try:
        return dotnet_lists.new_list(type_name, arguments)
    except HostMethodRefused as refused:
        raise ev.unsupported(ev.statement, str(refused)) from None
    except dotnet_lists.ListMethodError as thrown:
        raise ev.runtime_fail(
            f'Exception calling ".ctor" with "{len(arguments)}" argument(s): "{thrown}"',
            thrown.error_id,
            "NotSpecified",
            exception_type="System.Management.Automation.MethodInvocationException",
        ) from None


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        return PSObject(properties=PSHashtable((k, _from_json(v)) for k, v in value.items()))
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


@builtin("ConvertFrom-Json", ParamSpec("InputObject", "string", mandatory=True, position=0,
                                       from_pipeline=True))  # fmt: skip
def convertfrom_json(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Objects become PSCustomObjects with NoteProperties in document order. Windows
    PowerShell 5.1 joins piped lines into one document and writes a JSON array as one
    object (it does not enumerate it; fixed only in PowerShell 7). UNVERIFIED (not in
    shared/facts): numbers with a fraction are Doubles here (5.1 may give Decimal)."""
    text = "\n".join(to_string(v) for v in inputs) if inputs is not None else args["InputObject"]
    try:
        data = json.loads(to_string(text))
    except json.JSONDecodeError as exc:
        raise ev.fail(
            ErrorRecordData(
                message=f"Invalid JSON primitive: {exc.msg}.",
                error_id="System.ArgumentException",
                command_type="Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
                category="NotSpecified",
                exception_type="System.ArgumentException",
                activity="ConvertFrom-Json",
            )
        ) from None
    emit(_from_json(data))


# ----------------------------------------------------------------- modules

_MODULES = {
    "microsoft.powershell.utility": None,
    "microsoft.powershell.management": None,
    "microsoft.powershell.security": None,
    "cimcmdlets": None,
    "failoverclusters": "Microsoft.FailoverClusters.PowerShell.",
}
"""Modules a node may have: None for those of every Windows PowerShell 5.1, else the
namespace of the cmdlets that show the lab's node has the module."""
_MODULE_NAMES = {name.casefold(): name for name in (
    "Microsoft.PowerShell.Utility", "Microsoft.PowerShell.Management",
    "Microsoft.PowerShell.Security", "CimCmdlets", "FailoverClusters",
)}  # fmt: skip
"""Each of :data:`_MODULES` as Windows spells it (what ``Get-Module`` lists)."""


@builtin(
    "Import-Module",
    ParamSpec("Name", "string[]", mandatory=True, position=0, from_pipeline=True),
    ParamSpec("Force", "switch"),
    ParamSpec("PassThru", "switch"),
    ParamSpec("DisableNameChecking", "switch"),
    per_object=True,
)
def import_module(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """A module whose cmdlets the node has imports silently; a module every Windows node
    has whose commands the lab does not model (Storage, NetTCPIP, ...) is refused by
    name; any other fails as on a node without it (Modules_ModuleNotFound,
    non-terminating)."""
    if args.get("PassThru"):
        raise ev.unsupported(ev.statement, "Import-Module -PassThru")
    types = ev.command_types()
    for name in _piped(inputs) if inputs is not None else as_list(args["Name"]):
        text = to_string(name)
        folded = text.casefold()
        if folded in _MODULES:
            namespace = _MODULES[folded]
            if namespace is None or any(t.startswith(namespace) for t in types):
                ev.module_imported(_MODULE_NAMES.get(folded, text))
                continue
        ev.refuse_unmodelled(text, "module")
        ev.write_error(
            ErrorRecordData(
                message=f"The specified module '{text}' was not loaded because no valid "
                "module file was found in any module directory.",
                error_id="Modules_ModuleNotFound",
                command_type="Microsoft.PowerShell.Commands.ImportModuleCommand",
                category="ResourceUnavailable",
                exception_type="System.IO.FileNotFoundException",
                target_object=text,
                target_name=text,
                target_type="String",
                activity="Import-Module",
            )
        )


@builtin(
    "Add-Member",
    ParamSpec("MemberType", "string", position=0, aliases=("Type",)),
    ParamSpec("Name", "string", position=1),
    ParamSpec("Value", "object", position=2),
    ParamSpec("NotePropertyName", "string"),
    ParamSpec("NotePropertyValue", "object"),
    ParamSpec("NotePropertyMembers", "hashtable"),
    ParamSpec("InputObject", "object", from_pipeline=True),
    ParamSpec("PassThru", "switch"),
    ParamSpec("Force", "switch"),
    per_object=True,
)
def add_member(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """NoteProperties on a PSObject (``-MemberType NoteProperty -Name -Value``,
    ``-NotePropertyName/-NotePropertyValue``, ``-NotePropertyMembers``); other member
    types and other targets are refused by name."""
    members: list[tuple[str, Any]] = []
    if "NotePropertyMembers" in args:
        members = [(to_string(k), v) for k, v in args["NotePropertyMembers"].items()]
    elif "NotePropertyName" in args:
        members = [(to_string(args["NotePropertyName"]), args.get("NotePropertyValue"))]
    elif to_string(args.get("MemberType")).casefold() == "noteproperty" and "Name" in args:
        members = [(to_string(args["Name"]), args.get("Value"))]
    else:
        raise ev.unsupported(ev.statement, f"Add-Member {to_string(args.get('MemberType'))}")
    for target in inputs if inputs is not None else [args.get("InputObject")]:
        if not isinstance(target, PSObject) or target.methods or target.setters:
            raise ev.unsupported(ev.statement, "Add-Member to an object other than a PSObject")
        for name, value in members:
            if name in target.properties and not args.get("Force"):
                ev.write_error(
                    ErrorRecordData(
                        message=f'Cannot add a member with the name "{name}" because a '
                        "member with that name already exists. To overwrite the member "
                        "anyway, add the Force parameter to your command.",
                        error_id="MemberAlreadyExists",
                        command_type="Microsoft.PowerShell.Commands.AddMemberCommand",
                        category="InvalidOperation",
                        exception_type="System.InvalidOperationException",
                        target_object=target,
                        activity="Add-Member",
                    )
                )
                continue
            target.properties[name] = value
        if args.get("PassThru"):
            emit(target)
