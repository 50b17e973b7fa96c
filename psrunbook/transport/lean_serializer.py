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
when asked. Every other element goes through pypsrp's own ``deserialize``, unchanged.
"""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Callable
from typing import Any


@functools.cache
def lean_serializer_class() -> Any:
    """The ``Serializer`` subclass; pypsrp is imported only when a node is connected."""
    from pypsrp.complex_objects import ObjectMeta  # noqa: PLC0415 (pypsrp is imported only to connect)
    from pypsrp.serializer import Serializer  # noqa: PLC0415 (pypsrp is imported only to connect)

    class LeanSerializer(Serializer):
        def __init__(self) -> None:
            super().__init__()
            self._primitives = _primitive_readers(self)

        def deserialize(self, element: Any, metadata: Any = None, clear: bool = True) -> Any:
            read = None if isinstance(element, str) else self._primitives.get(element.tag)
            if read is None:
                return super().deserialize(element, metadata, clear)
            if clear:
                self._clear()
            metadata = metadata or ObjectMeta()
            if metadata.tag == "*":
                metadata.tag = element.tag
            self._get_types_from_obj(element)
            return read(element)

    return LeanSerializer


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
