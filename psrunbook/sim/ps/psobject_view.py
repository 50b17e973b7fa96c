"""``$obj.PSObject``: the object's own PowerShell view, as far as the lab models it.

Scripts read a custom object's properties by name through it (``foreach ($p in
$o.PSObject.Properties) { $h[$p.Name] = $p.Value }`` turns ConvertFrom-Json output into
a hashtable, as Ansible's module wrapper does). On Windows ``.PSObject`` is the
``psobject`` member set, whose members are those of System.Management.Automation.PSObject
(PowerShell/PowerShell engine/MshObject.cs, engine/MshMemberInfo.cs). The lab models:

- ``Properties`` of a custom object (``[pscustomobject]``, ConvertFrom-Json,
  Select-Object output): one PSNoteProperty per property, in order, with ``Name``,
  ``Value``, ``MemberType`` (NoteProperty), ``TypeNameOfValue``, ``IsSettable``,
  ``IsGettable``, ``IsInstance``, and the ToString of PSNoteProperty
  (``int a=1``: the value's display type, the name, ``=``, the value or ``null``).
  The collection enumerates, indexes by name (``Properties['a']``, ``$null`` when
  absent) and answers ``Match('a*')``.
- ``TypeNames`` (and ``pstypenames``), ``BaseObject`` and ``ImmediateBaseObject``.

Anything else of the view, and ``Properties`` of an object that is not a custom object
(whose adapted, alias and script properties the lab does not list as Windows does), is
refused by name rather than answered ``$null``.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from psrunbook.sim.objects import PartialObject, PSHashtable, PSObject, TypedArray
from psrunbook.sim.ps.values import is_collection, to_string, type_name_of

PSCUSTOM_TYPE = "System.Management.Automation.PSCustomObject"
NOTE_PROPERTY_TYPES = (
    "System.Management.Automation.PSNoteProperty",
    "System.Management.Automation.PSPropertyInfo",
    "System.Management.Automation.PSMemberInfo",
    "System.Object",
)
_DISPLAY_NAMES = {
    "System.Int32": "int",
    "System.Int64": "long",
    "System.String": "string",
    "System.Boolean": "bool",
    "System.Double": "double",
    "System.Object[]": "Object[]",
    "System.Collections.Hashtable": "hashtable",
}
"""ToStringCodeMethods.Type(type, dropNamespaces: true) for the values a custom object's
properties hold in the lab: the type accelerator's name where PowerShell has one."""


class PSObjectView(PartialObject):
    """What ``.PSObject`` gives for a lab object: ``type_names`` are the object's own
    (so ``.PSObject.pstypenames`` is the object's), ``properties`` the modelled members."""


class PropertyCollection(list[Any]):
    """``PSObject.Properties`` of a custom object: its PSNoteProperty objects in order."""

    def by_name(self, name: Any) -> Any:
        """``Properties['name']``: the property, case-insensitively; ``$null`` if absent."""
        wanted = to_string(name).casefold()
        return next((p for p in self if to_string(p.properties["Name"]).casefold() == wanted), None)

    def match(self, pattern: Any) -> list[Any]:
        """``Properties.Match('a*')``: the properties whose name matches the wildcard."""
        wanted = to_string(pattern).casefold()
        return [
            p
            for p in self
            if fnmatch.fnmatchcase(to_string(p.properties["Name"]).casefold(), wanted)
        ]


def view_of(target: PSObject) -> PSObjectView:
    """``$target.PSObject``."""
    members = PSHashtable()
    if PSCUSTOM_TYPE in target.type_names:
        members["Properties"] = PropertyCollection(
            note_property(name, value) for name, value in target.properties.items()
        )
    members["TypeNames"] = list(target.type_names)
    members["BaseObject"] = target
    members["ImmediateBaseObject"] = target
    return PSObjectView(target.type_names, members, to_string=str(target), shown_as=".PSObject")


def note_property(name: str, value: Any) -> PSObject:
    """A PSNoteProperty (MshMemberInfo.cs: TypeNameOfValue, ToString)."""
    return PSObject(
        NOTE_PROPERTY_TYPES,
        PSHashtable(
            [
                ("Value", value),
                ("MemberType", "NoteProperty"),
                ("IsSettable", True),
                ("IsGettable", True),
                ("TypeNameOfValue", "System.Object" if value is None else type_name_of(value)),
                ("Name", name),
                ("IsInstance", True),
            ]
        ),
        to_string=f"{_display_type(value)} {name}={_dotnet_text(value)}",
    )


def _display_type(value: Any) -> str:
    if value is None:
        return "object"
    full = type_name_of(value)
    if isinstance(value, PSObject):
        return full
    return _DISPLAY_NAMES.get(full, full.rsplit(".", 1)[-1])


def _dotnet_text(value: Any) -> str:
    """The value's .NET ToString(), as PSNoteProperty.ToString appends it."""
    if value is None:
        return "null"
    if isinstance(value, TypedArray):
        return value.type_name
    if is_collection(value):
        return "System.Object[]"
    if isinstance(value, PSHashtable):
        return value.TYPE_NAMES[0]
    return to_string(value)
