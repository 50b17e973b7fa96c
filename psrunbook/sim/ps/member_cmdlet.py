"""``Get-Member`` (alias ``gm``): the members of the lab's objects as MemberDefinition objects.

As GetMemberCommand does: one group of members per distinct first type name (an object
whose type was already listed adds nothing), each group sorted by the member type's name
then the member's name (ordinal, case-insensitive), ``-Name`` wildcards one after the
other, ``-MemberType`` a flags filter; no input at all is the non-terminating error
NoObjectInGetMember.

The lab lists what it models of an object, no more: a PSCustomObject's note properties and
the four methods of System.Object; a .NET-typed lab object's modelled properties
(``{get;}``, or ``{get;set;}`` where assignment writes through) and methods. UNVERIFIED
(not in shared/facts): the short type names in definitions (``int``, ``string``,
``Object[]``, ``object`` for null). Strings, numbers, booleans and hashtables list the .NET
members the lab models for them (:mod:`psrunbook.sim.ps.member_catalog`), and with
``-Static`` (also of a type literal: ``[string] | gm -Static``) their static ones. What
the lab cannot list faithfully is refused by name: ``-View``, ``-Force``, ``-Static`` of
other objects, and the members of other .NET values (an array's elements are listed, as
the pipeline unrolls it).
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.objects import (
    ErrorRecordData,
    ProviderContent,
    PSEnum,
    PSHashtable,
    PSObject,
    member_text,
)
from psrunbook.sim.ps.builtins import COMMAND_ALIASES, BuiltinEvaluator, Emit, _items, builtin
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.member_catalog import INSTANCE, STATIC, type_of_literal
from psrunbook.sim.ps.values import (
    TypeRef,
    is_collection,
    to_string,
    type_name_of,
    wildcard_regex,
)

MEMBER_DEFINITION = "Microsoft.PowerShell.Commands.MemberDefinition"
_MEMBER_TYPES = "System.Management.Automation.PSMemberTypes"
_PSCUSTOM = "System.Management.Automation.PSCustomObject"
_FLAGS = {
    "AliasProperty": 1, "CodeProperty": 2, "Property": 4, "NoteProperty": 8,
    "ScriptProperty": 16, "PropertySet": 32, "Method": 64, "CodeMethod": 128,
    "ScriptMethod": 256, "ParameterizedProperty": 512, "MemberSet": 1024, "Event": 2048,
    "Dynamic": 4096, "InferredProperty": 8192,
    "Properties": 1 | 2 | 4 | 8 | 16 | 8192, "Methods": 64 | 128 | 256, "All": 16383,
}  # fmt: skip
"""PSMemberTypes (System.Management.Automation reference)."""

_OBJECT_METHODS = (
    ("Equals", "bool Equals(System.Object obj)"),
    ("GetHashCode", "int GetHashCode()"),
    ("GetType", "type GetType()"),
    ("ToString", "string ToString()"),
)
_SHORT = {
    "System.String": "string", "System.Int32": "int", "System.Int64": "long",
    "System.Boolean": "bool", "System.Double": "double", "System.Object[]": "Object[]",
    "System.Collections.Hashtable": "hashtable", "System.DateTime": "datetime",
    "System.TimeSpan": "timespan", "System.String[]": "string[]", "System.Int32[]": "int[]",
    "System.Char[]": "char[]",
    "System.Version": "version", "null": "object",
}  # fmt: skip


def _short_type(value: Any) -> str:
    name = type_name_of(value)
    return _SHORT.get(name, name)


def _member(type_name: str, name: str, member_type: str, definition: str) -> PSObject:
    return PSObject(
        (MEMBER_DEFINITION, "System.Object"),
        PSHashtable(
            [
                ("TypeName", type_name),
                ("Name", name),
                ("MemberType", PSEnum(_MEMBER_TYPES, member_type, _FLAGS[member_type])),
                ("Definition", definition),
            ]
        ),
        to_string=definition,
    )


def _members(item: PSObject) -> list[tuple[str, str, str]]:
    """(name, member type, definition) of every member the lab models for ``item``."""
    out: list[tuple[str, str, str]] = []
    custom = _PSCUSTOM in item.type_names
    for name, value in item.properties.items():
        if custom:
            shown = "null" if value is None else to_string(value)
            if is_collection(value):
                shown = member_text(value)  # an array's ToString(), not its elements
            out.append((name, "NoteProperty", f"{_short_type(value)} {name}={shown}"))
        else:
            access = "{get;set;}" if name in item.setters else "{get;}"
            out.append((name, "Property", f"{_short_type(value)} {name} {access}"))
    out.extend((name, "Method", definition) for name, definition in _OBJECT_METHODS)
    known = {n.casefold() for n, _ in _OBJECT_METHODS}
    for name in item.methods:
        if name.startswith("get_"):
            # A computed property (a DateTime's Date): listed as the property, its getter
            # hidden, as Get-Member hides .NET's accessors without -Force.
            shown = name[len("get_") :]
            kind = _short_type(item.methods[name]())
            out.append((shown, "Property", f"{kind} {shown} {{get;}}"))
        elif name.casefold() not in known:
            out.append((name, "Method", f"{name}()"))
    return out


def _listed(
    ev: BuiltinEvaluator, item: Any, static: bool
) -> tuple[str, list[tuple[str, str, str]]]:
    """The type name ``item``'s members are listed under, and those members."""
    if isinstance(item, TypeRef):
        full = type_of_literal(item.name)
        if not static or full is None or full not in STATIC:
            refused = "" if static else " without -Static"
            raise ev.unsupported(ev.statement, f"Get-Member of the type [{item.name}]{refused}")
        return full, list(STATIC[full])
    if isinstance(item, PSObject):
        if static:
            raise ev.unsupported(ev.statement, f"Get-Member -Static of a {type_name_of(item)}")
        return (item.type_names[0] if item.type_names else "<null>"), _members(item)
    full = type_name_of(item)
    catalog = STATIC if static else INSTANCE
    if isinstance(item, ProviderContent) and not static:
        # Get-Content's text: the String's members and the provider's notes on its PSObject.
        notes = [
            (name, "NoteProperty", f"{_short_type(value)} {name}={to_string(value)}")
            for name, value in item.notes.items()
        ]
        return full, [*catalog[full], *notes]
    if full not in catalog:
        flag = " -Static" if static else ""
        raise ev.unsupported(ev.statement, f"Get-Member{flag} of a {full}")
    return full, list(catalog[full])


def _no_object() -> ErrorRecordData:
    return ErrorRecordData(
        message="You must specify an object for the Get-Member cmdlet.",
        error_id="NoObjectInGetMember,Microsoft.PowerShell.Commands.GetMemberCommand",
        category="CloseError",
        exception_type="System.InvalidOperationException",
    )


def _member_filter(ev: BuiltinEvaluator, value: Any) -> int:
    if value is None:
        return _FLAGS["All"]
    mask = 0
    for part in value if is_collection(value) else [value]:
        for name in to_string(part).split(","):
            found = next((v for k, v in _FLAGS.items() if k.casefold() == name.strip().casefold()),
                         None)  # fmt: skip
            if found is None:
                raise ev.unsupported(ev.statement, f"Get-Member -MemberType {name.strip()}")
            mask |= found
    return mask


@builtin(
    "Get-Member",
    ParamSpec("Name", "string[]", position=0),
    ParamSpec("InputObject", "psobject", from_pipeline=True),
    ParamSpec("MemberType", "object", aliases=("Type",)),
    ParamSpec("View", "string"),
    ParamSpec("Static", "switch"),
    ParamSpec("Force", "switch"),
)
def get_member(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    for refused in ("View", "Force"):
        if args.get(refused):
            raise ev.unsupported(ev.statement, f"Get-Member -{refused}")
    static = bool(args.get("Static"))
    mask = _member_filter(ev, args.get("MemberType"))
    patterns = [wildcard_regex(to_string(n)) for n in (args.get("Name") or ["*"])]
    seen: set[str] = set()
    for item in _items(args, inputs):
        if item is None:
            continue
        type_name, listed = _listed(ev, item, static)
        if type_name in seen:
            continue
        seen.add(type_name)
        members = [m for m in listed if _FLAGS[m[1]] & mask]
        for pattern in patterns:
            chosen = sorted((m for m in members if pattern.match(m[0])),
                            key=lambda m: (m[1].upper(), m[0].upper()))  # fmt: skip
            for name, member_type, definition in chosen:
                emit(_member(type_name, name, member_type, definition))
    if not seen:
        ev.write_error(_no_object())


COMMAND_ALIASES["gm"] = "Get-Member"
