"""pypsrp's PSRP serialiser, without writing a primitive value back out as XML text.

``Serializer.deserialize`` starts by writing the element it is given back out as text
(``ET.tostring``), for every element, nested ones included: each property of an output
object, each item of a list, each key and value of a hashtable. The text is used only
for an element that becomes an object (its ``_xml``) or one whose type pypsrp does not
know (the text is then the value); for a primitive (a string, a number, a boolean,
``Nil``, a reference...) it is thrown away. In a fan-out those writes were most of
psrunbook's client CPU in deserialising a node's output (issue 16).

:func:`lean_serializer_class` answers a primitive element directly, the same value
pypsrp's table gives (``tests/unit/test_transport_lean_serializer.py`` compares every
primitive tag), with the same side effects: the metadata's wildcard tag is filled in,
the element's type names are registered, and the serialiser's references are cleared
when asked.

For every other element pypsrp also builds its whole table of known .NET types (about
sixty metadata objects) whenever the caller named no type (each value of a hashtable,
each item of a list, each output object), and writes the element out as text even when
it becomes a ``dict`` or ``list`` and the text is thrown away: opening a pool did both
for the server's ``PSPrimitiveDictionary`` on every node (issue 16). Here
:func:`resolved_metadata` builds only the entry that matches, by pypsrp's rules and from
its table (the tests read pypsrp's table from its source and compare every entry), the
element is read by pypsrp's own methods for that kind (``_deserialize_obj``,
``_deserialize_lst``...), and text is written only for an object's ``_xml`` (the text as
received, for a message). An element pypsrp cannot place (an unknown type, a primitive
type's name on an object) goes through pypsrp's own ``deserialize``, unchanged.

A string it sends (the step's script above all, as the pipeline's command) is escaped
as pypsrp escapes it (MS-PSRP 2.2.5.3.2: ``_x`` as ``_x005F_x``, every control
character and every UTF-16 surrogate pair as ``_xHHHH_``), to the same text, but each
escaped control character costs one lookup instead of pypsrp's six Python calls: a
9 KB template with 181 line ends took 0.5 ms, 0.1 ms now, on every node of every step.
"""

from __future__ import annotations

import base64
import functools
import re
import uuid
from collections.abc import Callable
from typing import Any, Final


@functools.cache
def lean_serializer_class() -> Any:
    """The ``Serializer`` subclass; pypsrp is imported only when a node is connected."""
    import xml.etree.ElementTree as ET  # noqa: PLC0415 (parsed as pypsrp parses it)

    from pypsrp._utils import to_unicode  # noqa: PLC0415 (pypsrp is imported only to connect)
    from pypsrp.complex_objects import ComplexObject, ObjectMeta  # noqa: PLC0415 (pypsrp is imported only to connect)
    from pypsrp.serializer import Serializer  # noqa: PLC0415 (pypsrp is imported only to connect)

    class LeanSerializer(Serializer):
        def __init__(self) -> None:
            super().__init__()
            self._primitives = _primitive_readers(self)
            self._containers: dict[str, Callable[[Any, Any], Any]] = {
                "LST": self._deserialize_lst,
                "QUE": lambda element, _: self._deserialize_que(element),
                "STK": lambda element, _: self._deserialize_stk(element),
                "DCT": lambda element, _: self._deserialize_dct(element),
            }
            self._objects: dict[str, Callable[[Any, Any], Any]] = {
                "Obj": self._deserialize_obj,
                "ObjDynamic": self._deserialize_dynamic_obj,
            }

        def _serialize_string(self, value: str | bytes | None) -> str | None:
            """pypsrp 0.9.1's ``_serialize_string``: the same text (see the module)."""
            if value is None:
                return None
            text = _UNDERSCORE_X.sub("_x005F_", to_unicode(value))
            return _NOT_IN_XML.sub(_escape_match, text)

        def _get_types_from_obj(self, element: Any) -> list[str]:
            """pypsrp 0.9.1's, in one pass over the element's children.

            pypsrp looks the names up three times for every element it reads, a string or
            a number included: ``findall("TN/T")`` (ElementTree's path engine, Python
            generators), ``find("TN")`` and ``find("TNRef")``. The answer here is the same:
            the ``T`` of every ``TN`` child in order (registered under the first ``TN``'s
            ``RefId`` when there are any), replaced by the registered names of the first
            ``TNRef`` child if there is one.
            """
            names: list[str] = []
            first_tn = first_tn_ref = None
            for child in element:
                tag = child.tag
                if tag == "TN":
                    if first_tn is None:
                        first_tn = child
                    names.extend(t.text or "" for t in child if t.tag == "T")
                elif tag == "TNRef" and first_tn_ref is None:
                    first_tn_ref = child
            if names:
                self.tn[first_tn.attrib["RefId"]] = names  # type: ignore[union-attr]  # a TN gave them
            if first_tn_ref is not None:
                return self.tn[first_tn_ref.attrib["RefId"]]  # type: ignore[no-any-return]
            return names

        def deserialize(self, element: Any, metadata: Any = None, clear: bool = True) -> Any:
            """pypsrp 0.9.1's ``deserialize``, step for step, writing text only for ``_xml``."""
            if clear:
                self._clear()
            text: str | None = None
            if isinstance(element, str):
                text = element
                try:
                    element = ET.fromstring(element)  # noqa: S314 (as pypsrp parses it)
                except ET.ParseError:
                    return super().deserialize(text, metadata, False)  # its warning, the text
            read = self._primitives.get(element.tag)
            if read is not None:
                metadata = metadata or ObjectMeta()
                if metadata.tag == "*":
                    metadata.tag = element.tag
                self._get_types_from_obj(element)
                return read(element)
            decided = resolved_metadata(self, element, metadata)
            container = None if decided is None else self._containers.get(decided.tag)
            make = None if decided is None else self._objects.get(decided.tag)
            if container is not None:
                obj = container(element, decided)
            elif make is not None:
                obj = make(element, decided)
            else:  # pypsrp's text fallbacks (an unknown type): its own code decides
                return super().deserialize(element if text is None else text, metadata, False)
            if element.tag == "Obj":
                self.obj[element.attrib["RefId"]] = obj
            if isinstance(obj, ComplexObject):
                if text is None:
                    text = ET.tostring(element, encoding="utf-8", method="xml").decode("utf-8")
                obj._xml = text
            return obj

    return LeanSerializer


_UNDERSCORE_X = re.compile("_(?=[xX])")
"""An underscore before ``x`` or ``X``: pypsrp escapes it (``(?i)_(x)`` -> ``_x005F_x``)."""

_NOT_IN_XML = re.compile("[\u0000-\u001f\u007f-\u009f\U00010000-\U0010ffff]")
"""The characters pypsrp writes as ``_xHHHH_`` (its ``Serializer._serial_str``)."""


def _escaped(char: str) -> str:
    """One character as its UTF-16 code units, each ``_xHHHH_`` (a pair above U+FFFF)."""
    units = char.encode("utf-16-be").hex().upper()
    return "".join(f"_x{units[i : i + 4]}_" for i in range(0, len(units), 4))


_CONTROL_ESCAPES: Final = {
    chr(code): _escaped(chr(code)) for code in (*range(0x20), *range(0x7F, 0xA0))
}
"""The control characters, written the most (line ends), looked up; a character above
U+FFFF is written on the spot (remembering each would grow with what a script holds)."""


def _escape_match(match: re.Match[str]) -> str:
    char = match.group()
    return _CONTROL_ESCAPES.get(char) or _escaped(char)


def _primitive_readers(serializer: Any) -> dict[str, Callable[[Any], Any]]:
    """pypsrp's table of primitive tags (``Serializer.deserialize``), for one serialiser."""
    text = serializer._deserialize_string
    return {
        "S": lambda d: text(d.text),
        "ToString": lambda d: text(d.text),
        "C": lambda d: chr(int(d.text)),
        "B": lambda d: d.text.lower() == "true",
        "DT": lambda d: d.text,
        "TS": lambda d: d.text,
        "By": lambda d: int(d.text),
        "SB": lambda d: int(d.text),
        "U16": lambda d: int(d.text),
        "I16": lambda d: int(d.text),
        "U32": lambda d: int(d.text),
        "I32": lambda d: int(d.text),
        "U64": lambda d: int(d.text),
        "I64": lambda d: int(d.text),
        "Sg": lambda d: float(d.text),
        "Db": lambda d: float(d.text),
        "D": lambda d: d.text,
        "BA": lambda d: base64.b64decode(d.text),
        "G": lambda d: uuid.UUID(d.text),
        "URI": lambda d: text(d.text),
        "Nil": lambda d: None,
        "Version": lambda d: d.text,
        "XD": lambda d: text(d.text),
        "SBK": lambda d: text(d.text),
        "SS": serializer._deserialize_secure_string,
        "Ref": lambda d: serializer.obj[d.attrib["RefId"]],
    }


_Meta = Callable[[], Any]
"""A zero-argument factory of a fresh pypsrp metadata object (pypsrp mutates them)."""


@functools.cache
def known_types() -> dict[str, _Meta]:
    """pypsrp 0.9.1's table of known types (``structures`` in ``Serializer.deserialize``).

    Each entry makes a new metadata object when called, as pypsrp makes the whole table
    anew for every call: pypsrp fills in a wildcard tag on the metadata it is given, so a
    shared one would carry one element's tag to the next.
    """
    # The names as pypsrp's serialiser module sees them (some are its messages' classes).
    from pypsrp import serializer  # noqa: PLC0415 (pypsrp is imported only to connect)

    co: Any = serializer

    def obj(kind: Any) -> _Meta:
        return functools.partial(co.ObjectMeta, "Obj", object=kind)

    def tag(name: str) -> _Meta:
        return functools.partial(co.ObjectMeta, name)

    return {
        "Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo": obj(co.CommandMetadataCount),
        "System.Array": co.ListMeta,
        "System.Collections.ArrayList": co.ListMeta,
        "System.Collections.Hashtable": co.DictionaryMeta,
        "System.Collections.Generic.List": co.ListMeta,
        "System.Collections.Queue": co.QueueMeta,
        "System.Collections.Stack": co.StackMeta,
        "System.ConsoleColor": obj(co.Color),
        "System.Management.Automation.CommandOrigin": obj(co.CommandOrigin),
        "System.Management.Automation.DebugRecord": obj(co.DebugRecord),
        "System.Management.Automation.ErrorRecord": obj(co.ErrorRecordMessage),
        "System.Management.Automation.Host.Coordinates": obj(co.Coordinates),
        "System.Management.Automation.Host.KeyInfo": obj(co.KeyInfoDotNet),
        "System.Management.Automation.Host.Size": obj(co.Size),
        "System.Management.Automation.InformationalRecord": obj(co.InformationalRecord),
        "System.Management.Automation.InformationRecord": obj(co.InformationRecord),
        "System.Management.Automation.ParameterMetadata": obj(co.ParameterMetadata),
        "System.Management.Automation.ProgressRecordType": obj(co.ProgressRecordType),
        "System.Management.Automation.PSBoundParametersDictionary": co.DictionaryMeta,
        "System.Management.Automation.PSCredential": obj(co.PSCredential),
        "System.Management.Automation.PSObject": functools.partial(
            co.ObjectMeta, "ObjDynamic", object=co.GenericComplexObject
        ),
        "System.Management.Automation.PSPrimitiveDictionary": co.DictionaryMeta,
        "System.Management.Automation.PSTypeName": tag("S"),
        "System.Management.Automation.Remoting.RemoteHostMethodId": obj(co.HostMethodIdentifier),
        "System.Management.Automation.Runspaces.ApartmentState": obj(co.ApartmentState),
        "System.Management.Automation.Runspaces.PipelineResultTypes": obj(co.PipelineResultTypes),
        "System.Management.Automation.Runspaces.PSThreadOptions": obj(co.PSThreadOptions),
        "System.Management.Automation.Runspaces.RemoteStreamOptions": obj(co.RemoteStreamOptions),
        "System.Management.Automation.SessionStateEntryVisibility": obj(
            co.SessionStateEntryVisibility
        ),
        "System.Management.Automation.VerboseRecord": obj(co.VerboseRecord),
        "System.Management.Automation.WarningRecord": obj(co.WarningRecord),
        "System.Globalization.CultureInfo": obj(co.CultureInfo),
        "System.Object": functools.partial(
            co.ObjectMeta, "ObjDynamic", object=co.GenericComplexObject
        ),
        "System.String": tag("S"),
        "System.Char": tag("C"),
        "System.Boolean": tag("B"),
        "System.DateTime": tag("DT"),
        "System.Byte": tag("By"),
        "System.SByte": tag("SB"),
        "System.UInt16": tag("U16"),
        "System.Int16": tag("I16"),
        "System.UInt32": tag("U32"),
        "System.Int32": tag("I32"),
        "System.UInt64": tag("U64"),
        "System.Int64": tag("I64"),
        "System.Single": tag("Sg"),
        "System.Double": tag("Db"),
        "System.Decimal": tag("D"),
        "System.Guid": tag("G"),
        "System.Uri": tag("URI"),
        "System.Version": tag("Version"),
        "System.Xml.XmlDocument": tag("XD"),
        "System.Management.Automation.ScriptBlock": tag("SBK"),
        "System.Security.SecureString": tag("SS"),
    }


def resolved_metadata(serializer: Any, element: Any, metadata: Any) -> Any | None:
    """The metadata pypsrp reads ``element`` with: the caller's, or one from its type names.

    The rules of pypsrp 0.9.1's ``Serializer.deserialize``, for an element whose caller
    gave no metadata or a bare ``ObjectMeta``: a ``Deserialized.`` prefix is dropped; an
    array, ``List``, ``Collection`` or ``ReadOnlyCollection`` of a known type is a list of
    it; a generic ``Dictionary`` has its key and value types looked up; the first type
    name that is known decides; an ``Obj`` with no names is a ``System.Object``. The
    caller's wildcard tag is filled in, as pypsrp does.

    The caller's metadata when it already decides (a list's, a dictionary's, or one that
    names its class: pypsrp builds no table then). None when the answer is a bare
    ``ObjectMeta`` or nothing: pypsrp's own ``deserialize`` then decides (its text
    fallbacks) as before. The element's type names are registered, as pypsrp does.
    """
    from pypsrp.complex_objects import (  # noqa: PLC0415 (pypsrp is imported only to connect)
        DictionaryMeta,
        ListMeta,
        ObjectMeta,
    )

    metadata = metadata or ObjectMeta()
    if metadata.tag == "*":
        metadata.tag = element.tag
    obj_types = serializer._get_types_from_obj(element)
    if type(metadata) is not ObjectMeta or metadata.object is not None:
        return metadata  # pypsrp looks nothing up: the caller's metadata decides
    if metadata.tag == "Obj" and len(obj_types) == 0:
        obj_types = ["System.Object"]
    table = known_types()
    found: Any = None
    for name in obj_types:
        obj_type = name[13:] if name.startswith("Deserialized.System.") else name
        is_list = False
        if obj_type.endswith("[]"):
            obj_type = obj_type[0:-2]
            is_list = True
        elif obj_type.startswith("System.Collections.Generic.List`1[["):
            obj_type = obj_type[35:-1].split(",")[0]
            is_list = True
        elif obj_type.startswith("System.Collections.ObjectModel.Collection`1[["):
            obj_type = obj_type[45:-1].split(",")[0]
            is_list = True
        elif obj_type.startswith("System.Collections.ObjectModel.ReadOnlyCollection`1[["):
            obj_type = obj_type[53:-1].split(",")[0]
            is_list = True
        elif obj_type.startswith("System.Collections.Generic.Dictionary`2[["):
            dict_meta = obj_type[41:-2].split("],[")
            key = table.get(dict_meta[0].split(",")[0], ObjectMeta)()
            value = table.get(dict_meta[1].split(",")[0], ObjectMeta)()
            found = DictionaryMeta(dict_key_meta=key, dict_value_meta=value)
            break
        make = table.get(obj_type)
        if make is not None:
            found = make()
            if is_list:
                found = ListMeta(list_value_meta=found)
            break
    if type(found) is ObjectMeta and found.object is None:
        return None  # a primitive's name on an object: pypsrp's text fallback decides
    return found
