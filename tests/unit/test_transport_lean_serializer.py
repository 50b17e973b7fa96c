"""Primitive PSRP values are read without writing them back out as XML, to the same values.

``lean_serializer`` answers a primitive element itself instead of through pypsrp's
``Serializer.deserialize``, which first writes every element back out as text. What a
runbook's parser sees must not change: the same value of the same type for every
primitive tag, the same objects (with the same ``_xml``) for everything else.
"""

from __future__ import annotations

import queue
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypsrp.complex_objects import ComplexObject, GenericComplexObject, ObjectMeta
from pypsrp.serializer import Serializer

from psrunbook.transport.lean_serializer import known_types, lean_serializer_class

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


def _tags_written_out(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The tag of every element ``ET.tostring`` writes out from now on, in order."""
    writes: list[Any] = []
    tostring = ET.tostring

    def counting(element: Any, *args: Any, **kwargs: Any) -> Any:
        writes.append(element.tag)
        return tostring(element, *args, **kwargs)

    monkeypatch.setattr(ET, "tostring", counting)
    return writes


def test_a_primitive_is_not_written_back_out(monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _tags_written_out(monkeypatch)
    lean_serializer_class()().deserialize(ET.fromstring(OBJECT))
    lean_writes = list(writes)
    writes.clear()
    Serializer().deserialize(ET.fromstring(OBJECT))
    # pypsrp writes every element; here only the two objects (for _xml) and the unknown
    # one (its text is its value), not the list.
    assert lean_writes == ["Obj", "Obj", "Obj"]
    assert len(writes) > len(lean_writes) + 8


# ----------------------------------------------------------------- objects and containers


def _table_from_pypsrp_source() -> dict[str, Any]:
    """pypsrp's own ``structures`` table, read from ``Serializer.deserialize``'s source.

    Each value is evaluated in pypsrp's serialiser module, so the oracle is pypsrp's
    table as installed, not a copy of it.
    """
    import ast  # noqa: PLC0415 (this test only)
    import inspect  # noqa: PLC0415 (this test only)
    import textwrap  # noqa: PLC0415 (this test only)

    from pypsrp import serializer  # noqa: PLC0415 (this test only)

    tree = ast.parse(textwrap.dedent(inspect.getsource(Serializer.deserialize)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "structures"
            and isinstance(node.value, ast.Dict)
        ):
            return {
                ast.literal_eval(key): eval(  # pypsrp's own source, the oracle
                    compile(ast.Expression(value), "<pypsrp>", "eval"), vars(serializer)
                )
                for key, value in zip(node.value.keys, node.value.values, strict=True)
                if key is not None
            }
    raise AssertionError("pypsrp's structures table not found")


def _meta(value: Any) -> Any:
    """A metadata object as comparable data (nested metadata included)."""
    if value is None or isinstance(value, str | bool | type):
        return value
    if isinstance(value, list | tuple):
        return [_meta(v) for v in value]
    return (type(value), {k: _meta(v) for k, v in vars(value).items()})


def test_the_table_of_known_types_is_pypsrps() -> None:
    theirs = _table_from_pypsrp_source()
    ours = known_types()
    assert sorted(ours) == sorted(theirs)
    for name, make in ours.items():
        assert _meta(make()) == _meta(theirs[name]), name
        assert make() is not make()  # a fresh object each time: pypsrp fills tags in


def _comparable(value: Any) -> Any:
    """Any deserialised value as data: objects by type and every attribute, _xml included."""
    if isinstance(value, ObjectMeta):
        return _meta(value)
    if isinstance(value, ComplexObject):
        return (type(value), {k: _comparable(v) for k, v in vars(value).items()})
    if isinstance(value, dict):
        return {_comparable_key(k): _comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_comparable(v) for v in value]
    if isinstance(value, queue.Queue):
        return ("queue", [_comparable(v) for v in value.queue])
    return (type(value), value)


def _comparable_key(key: Any) -> Any:
    return repr(_comparable(key)) if isinstance(key, ComplexObject) else key


def _typed(types: str, body: str, ref: int = 0) -> str:
    names = "".join(f"<T>{t}</T>" for t in types.split("|")) if types else ""
    tn = f'<TN RefId="{ref}">{names}</TN>' if names else ""
    return f'<Obj RefId="{ref}">{tn}{body}</Obj>'


APPLICATION_PRIVATE_DATA = (
    '<Obj RefId="0"><MS><Obj RefId="1" N="ApplicationPrivateData"><TN RefId="0">'
    "<T>System.Management.Automation.PSPrimitiveDictionary</T><T>System.Collections.Hashtable</T>"
    '<T>System.Object</T></TN><DCT><En><S N="Key">PSVersionTable</S><Obj RefId="2" N="Value">'
    '<TN RefId="1"><T>System.Collections.Hashtable</T><T>System.Object</T></TN><DCT><En>'
    '<S N="Key">PSVersion</S><Version N="Value">5.1.17763.1</Version></En><En>'
    '<S N="Key">PSEdition</S><S N="Value">Desktop</S></En></DCT></Obj></En></DCT></Obj>'
    "</MS></Obj>"
)

CORPUS = [
    OBJECT,
    APPLICATION_PRIVATE_DATA,
    _typed("System.Object[]|System.Array|System.Object", "<LST><S>a</S><I32>1</I32><Nil /></LST>"),
    _typed("System.String[]|System.Array|System.Object", "<LST><S>a</S><S>b</S></LST>"),
    _typed("System.Collections.ArrayList|System.Object", "<LST><B>true</B></LST>"),
    _typed(
        "System.Collections.Generic.List`1[[System.Int32, mscorlib, Version=4.0.0.0]]",
        "<LST><I32>1</I32><I32>2</I32></LST>",
    ),
    _typed(
        "System.Collections.ObjectModel.Collection`1[[System.String, mscorlib]]",
        "<LST><S>x</S></LST>",
    ),
    _typed(
        "System.Collections.ObjectModel.ReadOnlyCollection`1[[System.Object, mscorlib]]",
        "<LST><S>x</S></LST>",
    ),
    _typed(
        "System.Collections.Generic.Dictionary`2"
        "[[System.String, mscorlib],[System.Int32, mscorlib]]",
        '<DCT><En><S N="Key">a</S><I32 N="Value">1</I32></En></DCT>',
    ),
    _typed("System.Collections.Queue|System.Object", "<QUE><S>1</S><S>2</S></QUE>"),
    _typed("System.Collections.Stack|System.Object", "<STK><S>1</S><S>2</S></STK>"),
    _typed(
        "Deserialized.System.Collections.Hashtable",
        '<DCT><En><S N="Key">k</S><Nil N="Value" /></En></DCT>',
    ),
    _typed("", '<MS><S N="A">no type names</S></MS>'),
    _typed("Some.Unknown.Type", '<Props><S N="P">v</S></Props>'),
    _typed("System.String|System.Object", "<ToString>a wrapped string</ToString>"),
    _typed("System.Int32[]", "<LST><I32>5</I32></LST>"),
    _typed(
        "System.Management.Automation.PSCustomObject|System.Object",
        '<MS><Obj N="List" RefId="1"><TN RefId="1"><T>System.Object[]</T></TN><LST>'
        '<Obj RefId="2"><TNRef RefId="0" /><MS><S N="Deep">d</S></MS></Obj></LST></Obj>'
        '<Ref N="Same" RefId="1" /></MS>',
    ),
    _typed("System.ConsoleColor|System.Enum", "<ToString>Red</ToString><I32>12</I32>"),
]


@pytest.mark.parametrize("xml", CORPUS)
@pytest.mark.parametrize("as_text", [False, True])
@pytest.mark.parametrize("meta", [None, "wildcard", "obj"])
def test_objects_and_containers_read_as_pypsrp_reads_them(
    xml: str, as_text: bool, meta: str | None
) -> None:
    """The same value, objects with the same attributes and ``_xml``, the same errors."""

    def metadata() -> Any:
        return {None: None, "wildcard": ObjectMeta("*"), "obj": ObjectMeta("Obj")}[meta]

    def read(serializer: Any, given: Any) -> Any:
        try:
            return serializer.deserialize(xml if as_text else ET.fromstring(xml), given)
        except Exception as exc:  # noqa: BLE001 (the error is compared)
            return (type(exc), str(exc))

    lean_meta, plain_meta = metadata(), metadata()
    lean = read(lean_serializer_class()(), lean_meta)
    plain = read(Serializer(), plain_meta)
    assert _comparable(lean) == _comparable(plain)
    assert _meta(lean_meta) == _meta(plain_meta)  # the caller's wildcard tag filled in alike


def test_messages_read_as_pypsrp_reads_them() -> None:
    """A pool's opening messages, with the metadata pypsrp's message classes give."""
    from pypsrp.messages import ApplicationPrivateData  # noqa: PLC0415 (this test only)

    lean = lean_serializer_class()().deserialize(
        APPLICATION_PRIVATE_DATA, ObjectMeta("Obj", object=ApplicationPrivateData)
    )
    plain = Serializer().deserialize(
        APPLICATION_PRIVATE_DATA, ObjectMeta("Obj", object=ApplicationPrivateData)
    )
    assert _comparable(lean) == _comparable(plain)
    assert lean.data["PSVersionTable"]["PSEdition"] == "Desktop"


def test_containers_are_not_written_out_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hashtable or list becomes a dict or list: its text would be thrown away."""
    from pypsrp.messages import ApplicationPrivateData  # noqa: PLC0415 (this test only)

    writes = _tags_written_out(monkeypatch)
    lean_serializer_class()().deserialize(
        APPLICATION_PRIVATE_DATA, ObjectMeta("Obj", object=ApplicationPrivateData)
    )
    assert writes == []
    Serializer().deserialize(
        APPLICATION_PRIVATE_DATA, ObjectMeta("Obj", object=ApplicationPrivateData)
    )
    assert writes.count("Obj") == 2  # pypsrp writes out both hashtables (and each value)


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("_xX\r\n\t\x00\x1f\x7f\x9f\xa0\u20ac\U0001f600\U0010ffff"),
            st.characters(),
        )
    )
)
def test_a_string_is_escaped_to_pypsrps_text(text: str) -> None:
    """Control characters, characters above U+FFFF and ``_x`` come out as pypsrp writes
    them (MS-PSRP 2.2.5.3.2), whatever surrounds them; None stays None."""
    lean = lean_serializer_class()()
    assert Serializer()._serialize_string(text) == lean._serialize_string(text)


def test_a_script_is_sent_as_pypsrp_would_send_it() -> None:
    """The whole ``<S>`` element of a template's text with every kind of escape."""
    script = "param($x_X)\r\n\t'_x000A_ \u0085 \U0001f600'\n" * 3
    lean = lean_serializer_class()()
    expected = ET.tostring(Serializer().serialize(script, ObjectMeta("S")))
    assert expected == ET.tostring(lean.serialize(script, ObjectMeta("S")))
    assert lean._serialize_string(None) is None


_CHILD_TAGS = st.sampled_from(["TN", "TNRef", "T", "S", "MS", "ToString", "Props"])


@st.composite
def _type_name_elements(draw: st.DrawFn) -> tuple[ET.Element, dict[str, list[str]]]:
    """An element whose children are any mix of ``TN`` (with ``T`` and other children),
    ``TNRef`` and other tags, and type names registered earlier under some ``RefId``s."""
    element = ET.Element(draw(st.sampled_from(["Obj", "S", "I32", "LST"])))
    ref_ids = st.sampled_from(["0", "1", "2"])
    for tag in draw(st.lists(_CHILD_TAGS, max_size=6)):
        child = ET.SubElement(element, tag)
        if tag in ("TN", "TNRef"):
            child.set("RefId", draw(ref_ids))
        if tag == "TN":
            for inner in draw(st.lists(st.sampled_from(["T", "T", "S"]), max_size=4)):
                ET.SubElement(child, inner).text = draw(st.none() | st.sampled_from(["A", "B"]))
    known = draw(st.dictionaries(ref_ids, st.lists(st.sampled_from(["X", "Y"]), max_size=2)))
    return element, known


@settings(max_examples=400, deadline=None)
@given(_type_name_elements())
def test_type_names_are_read_as_pypsrp_reads_them(
    case: tuple[ET.Element, dict[str, list[str]]],
) -> None:
    """The same names and the same registrations (or the same error, for a ``TNRef`` to
    names never registered) whatever ``TN``, ``T`` and ``TNRef`` children an element has,
    in any order and number: the one-pass reading answers as pypsrp's three lookups do."""
    element, known = case

    def read(serializer: Any) -> Any:
        serializer.tn = {k: list(v) for k, v in known.items()}
        try:
            names = serializer._get_types_from_obj(element)
        except KeyError as exc:
            return ("KeyError", str(exc), serializer.tn)
        return names, serializer.tn

    assert read(lean_serializer_class()()) == read(Serializer())


def test_a_primitive_is_read_without_elementtree_path_lookups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every string or number of an output object went through ElementTree's path
    engine (``findall("TN/T")``: Python generators) only to learn it has no type names."""
    from xml.etree import ElementPath  # noqa: PLC0415 (this test only)

    lookups: list[str] = []
    iterfind = ElementPath.iterfind

    def counting(elem: Any, path: str, namespaces: Any = None) -> Any:
        lookups.append(path)
        return iterfind(elem, path, namespaces)

    monkeypatch.setattr(ElementPath, "iterfind", counting)
    primitives = ['<S>text</S>', '<I32>7</I32>', '<B>true</B>', '<Nil />']
    for xml in primitives:
        lean_serializer_class()().deserialize(ET.fromstring(xml))
    assert lookups == []
    for xml in primitives:
        Serializer().deserialize(ET.fromstring(xml))
    assert lookups == ["TN/T"] * len(primitives)  # pypsrp's, for each
