"""Primitive PSRP values are read without writing them back out as XML, to the same values.

``lean_serializer`` answers a primitive element itself instead of through pypsrp's
``Serializer.deserialize``, which first writes every element back out as text. What a
runbook's parser sees must not change: the same value of the same type for every
primitive tag, the same objects (with the same ``_xml``) for everything else.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from pypsrp.complex_objects import GenericComplexObject, ObjectMeta
from pypsrp.serializer import Serializer

from psrunbook.transport.lean_serializer import lean_serializer_class

PRIMITIVES = [
    "<S>text _x000A_ €</S>",
    "<ToString>shown</ToString>",
    "<C>97</C>",
    "<B>true</B>",
    "<B>False</B>",
    "<DT>2024-01-02T03:04:05Z</DT>",
    "<TS>PT9.0269026S</TS>",
    "<By>200</By>",
    "<SB>-5</SB>",
    "<U16>65535</U16>",
    "<I16>-1</I16>",
    "<U32>7</U32>",
    "<I32>-42</I32>",
    "<U64>18446744073709551615</U64>",
    "<I64>-9</I64>",
    "<Sg>1.5</Sg>",
    "<Db>-2.25</Db>",
    "<D>1.10</D>",
    "<BA>AQID</BA>",
    "<G>00000000-0000-0000-0000-000000000001</G>",
    "<URI>http://example.invalid/a</URI>",
    "<Nil />",
    "<Version>1.2.3.4</Version>",
    "<XD>&lt;a/&gt;</XD>",
    "<SBK>Get-Item</SBK>",
]

OBJECT = (
    '<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T>'
    "<T>System.Object</T></TN><ToString>@{Changed=True}</ToString><MS>"
    '<B N="Changed">true</B><S N="Name">SSIS_x000D__x000A_</S><I32 N="Count">3</I32>'
    '<Obj N="Nodes" RefId="1"><TN RefId="1"><T>System.Object[]</T><T>System.Array</T>'
    "<T>System.Object</T></TN><LST><S>A</S><S>B</S><Nil /></LST></Obj>"
    '<Obj N="Inner" RefId="2"><TNRef RefId="0" /><MS><Db N="Free">1.5</Db></MS></Obj>'
    '<Ref N="Again" RefId="1" /><Obj N="Odd" RefId="3"><TN RefId="2"><T>Unknown.Type</T></TN>'
    '<Props><S N="P">v</S></Props></Obj>'
    "</MS></Obj>"
)


def _both(xml: str, metadata: Any = None) -> tuple[Any, Any]:
    lean = lean_serializer_class()().deserialize(ET.fromstring(xml), metadata)
    plain = Serializer().deserialize(ET.fromstring(xml), metadata)
    return lean, plain


def _plain(value: Any) -> Any:
    """A deserialised value as comparable data: objects by their attributes."""
    if isinstance(value, GenericComplexObject):
        return (
            "object",
            value.types,
            value.to_string,
            _plain(value.adapted_properties),
            _plain(value.extended_properties),
            value._xml,
        )
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return (type(value), value)


@pytest.mark.parametrize("xml", PRIMITIVES)
def test_every_primitive_reads_as_pypsrp_reads_it(xml: str) -> None:
    lean, plain = _both(xml)
    assert type(lean) is type(plain)
    assert lean == plain


def test_an_object_with_nested_values_is_the_same_object() -> None:
    lean, plain = _both(OBJECT)
    assert _plain(lean) == _plain(plain)
    assert isinstance(lean.extended_properties["Odd"], str)  # an unknown type: its XML text


def test_the_wildcard_tag_is_filled_in_as_pypsrp_does() -> None:
    lean_meta, plain_meta = ObjectMeta("*"), ObjectMeta("*")
    lean_serializer_class()().deserialize(ET.fromstring("<I32>1</I32>"), lean_meta)
    Serializer().deserialize(ET.fromstring("<I32>1</I32>"), plain_meta)
    assert lean_meta.tag == plain_meta.tag == "I32"


def test_a_primitive_is_not_written_back_out(monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[Any] = []
    tostring = ET.tostring

    def counting(element: Any, *args: Any, **kwargs: Any) -> Any:
        writes.append(element.tag)
        return tostring(element, *args, **kwargs)

    monkeypatch.setattr(ET, "tostring", counting)
    lean_serializer_class()().deserialize(ET.fromstring(OBJECT))
    lean_writes = list(writes)
    writes.clear()
    Serializer().deserialize(ET.fromstring(OBJECT))
    # pypsrp writes every element; here only the objects (for _xml) and the unknown one.
    assert lean_writes == ["Obj", "Obj", "Obj", "Obj"]
    assert len(writes) > len(lean_writes) + 8
