"""``envelope_bytes`` writes exactly what ``ET.tostring`` writes for pypsrp's envelope.

ElementTree is the oracle: every tree is serialised both ways and compared byte for
byte, on generated trees (names in pypsrp's registered namespaces and others, attributes
and texts with every character the escaping treats specially) and on the cases the fast
writer hands back to ElementTree.
"""

from __future__ import annotations

import logging
import threading
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psrunbook.transport import psrp, wsman_envelope
from psrunbook.transport.psrp import _wsman_class
from psrunbook.transport.pypsrp_import import load_pypsrp
from psrunbook.transport.wsman_envelope import SOAP_ENVELOPE_NS, envelope_bytes
from tests.support import wsman_oracle
from tests.support.wsman_oracle import elementtree_bytes

load_pypsrp()  # as the transport loads it, Negotiate and CredSSP deferred
from pypsrp.wsman import (  # noqa: E402 (after load_pypsrp)
    NAMESPACES,
    OptionSet,
    SelectorSet,
    WSMan,
    WSManAction,
)


def _settings(**overrides: Any) -> dict[str, Any]:
    """A Basic session over HTTP's WSMan arguments, with ``overrides``."""
    return {
        "server": "node1.example.test",
        "username": "u",
        "password": "p",
        "ssl": False,
        "auth": "basic",
        "encryption": "never",
        **overrides,
    }


def _wsman(**overrides: Any) -> Any:
    """pypsrp's own WSMan (building one registers pypsrp's prefixes)."""
    return WSMan(**_settings(**overrides))


_wsman()  # pypsrp registers its prefixes when a WSMan is built

UNREGISTERED = "urn:psrunbook:test:unregistered"
XML_NS = "http://www.w3.org/XML/1998/namespace"


def both(header: ET.Element, resource: ET.Element | None) -> tuple[bytes, bytes]:
    return envelope_bytes(header, resource), elementtree_bytes(header, resource)


registered = st.sampled_from(sorted(NAMESPACES.values()))
local_names = st.sampled_from(["Header", "Action", "Option", "Selector", "Stream", "x"])
names = st.one_of(
    st.builds(lambda uri, local: f"{{{uri}}}{local}", registered, local_names),
    local_names,
)
attribute_names = st.one_of(
    names,
    st.sampled_from([f"{{{XML_NS}}}lang", "Name", "MustComply", "CommandId"]),
)
# Every character the escaping treats specially, beyond the BMP, and a lone surrogate.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from([*"&<>\"'\r\n\t ;#", "€", "𝄞", "\ud800", "\x00"]),
        st.characters(codec="utf-8"),
    ),
    max_size=12,
)
optional_texts = st.one_of(st.none(), st.just(""), texts)


@st.composite
def elements(draw: Any, depth: int = 0) -> ET.Element:
    element = ET.Element(draw(names), draw(st.dictionaries(attribute_names, texts, max_size=3)))
    element.text = draw(optional_texts)
    element.tail = draw(optional_texts) if depth else None
    if depth < 2:
        element.extend(draw(st.lists(elements(depth + 1), max_size=3)))
    return element


@settings(max_examples=150, deadline=None)
@given(header=elements(), resource=st.one_of(st.none(), elements()))
def test_any_tree_is_written_as_elementtree_writes_it(
    header: ET.Element, resource: ET.Element | None
) -> None:
    fast, oracle = both(header, resource)
    assert oracle == fast


def test_a_pypsrp_header_with_its_option_and_selector_sets() -> None:
    wsman = _wsman()
    options = OptionSet()
    options.add_option("protocolversion", "2.3", {"MustComply": "true"})
    selectors = SelectorSet()
    selectors.add_option("ShellId", "A1B2-<&>\"'")
    _, header = wsman._create_header(
        WSManAction.CREATE,
        "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
        options,
        selectors,
        20,
    )
    shell = ET.Element(f"{{{NAMESPACES['rsp']}}}Shell", ShellId="X")
    ET.SubElement(shell, f"{{{NAMESPACES['rsp']}}}InputStreams").text = "stdin pr"
    ET.SubElement(shell, f"{{{NAMESPACES['rsp']}}}OutputStreams").text = ""
    fast, oracle = both(header, shell)
    assert oracle == fast
    assert b' xmlns:rsp="' in fast  # declared on the envelope, as ElementTree does


def test_an_empty_body_is_a_short_tag() -> None:
    header = ET.Element(f"{{{SOAP_ENVELOPE_NS}}}Header")
    fast, oracle = both(header, None)
    assert oracle == fast
    assert fast.endswith(b"<s:Body /></s:Envelope>")


@pytest.mark.parametrize(
    "strange",
    [
        pytest.param(lambda e: ET.SubElement(e, f"{{{UNREGISTERED}}}Other"), id="unregistered"),
        pytest.param(lambda e: e.append(ET.Comment("a comment")), id="comment"),
        pytest.param(
            lambda e: e.append(ET.ProcessingInstruction("pi", "x")), id="processing-instruction"
        ),
        pytest.param(
            lambda e: ET.SubElement(e, ET.QName(NAMESPACES["wsa"], "Q")),  # type: ignore[arg-type]
            id="qname-tag",
        ),
        pytest.param(lambda e: e.set(f"{{{UNREGISTERED}}}a", "v"), id="unregistered-attribute"),
    ],
)
def test_what_it_does_not_write_itself_is_written_by_elementtree(strange: Any) -> None:
    header = ET.Element(f"{{{SOAP_ENVELOPE_NS}}}Header")
    strange(header)
    fast, oracle = both(header, None)
    assert oracle == fast


def test_a_value_elementtree_cannot_write_fails_as_in_elementtree() -> None:
    header = ET.Element(f"{{{SOAP_ENVELOPE_NS}}}Header")
    ET.SubElement(header, f"{{{NAMESPACES['wsman']}}}MaxEnvelopeSize").text = 153600  # type: ignore[assignment]
    with pytest.raises(TypeError) as oracle:
        elementtree_bytes(header, None)
    with pytest.raises(TypeError) as fast:
        envelope_bytes(header, None)
    assert str(oracle.value) == str(fast.value)


def test_an_unregistered_namespace_is_never_given_a_prefix_of_its_own() -> None:
    """ElementTree numbers such prefixes per tree (``ns1`` here): never kept as registered."""
    header = ET.Element(f"{{{SOAP_ENVELOPE_NS}}}Header")
    ET.SubElement(header, f"{{{UNREGISTERED}}}Other")
    envelope_bytes(header, None)
    assert wsman_envelope._prefixes[UNREGISTERED] is None
    fast, oracle = both(header, None)
    assert oracle == fast
    assert b"<ns1:Other />" in fast


# The payload size pypsrp measures from a sample envelope, kept per setting.


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"locale": "de-DE-1996"},
        {"locale": "en-US", "data_locale": "sr-Latn-CS"},
        {"locale": "de-DE-1996", "data_locale": "en-US"},
        {"operation_timeout": 3600},
        {"max_envelope_size": 512000},
        {"server": "a-much-longer-node-name.cluster.contoso.test"},
        {"server": "node2.example.test"},  # as long as node1's: answered from its size
        {"server": "nöde1.example.test"},  # as long in characters, not in bytes
        {"server": "n&de1.example.test"},  # nor as written: &amp;
        {"port": 15985},
        {"path": "wsman-custom/x&y"},
    ],
)
def test_the_payload_size_is_pypsrps_for_every_setting(settings: dict[str, Any]) -> None:
    arguments = _settings(**settings)
    # Built twice: the second is answered from what the first measured.
    ours = [_wsman_class()(**arguments) for _ in range(2)]
    theirs = WSMan(**arguments)
    assert [theirs.max_payload_size] * 2 == [w.max_payload_size for w in ours]
    for wsman in [*ours, theirs]:
        wsman.update_max_payload_size(512000)  # as pypsrp's RunspacePool.open does
    assert [theirs.max_payload_size] * 2 == [w.max_payload_size for w in ours]


def test_the_payload_size_is_measured_once_when_every_node_asks_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The nodes of a fan-out build their WSMan at the same moment: the first measures
    (holding the lock), the others wait for its answer instead of measuring their own."""
    measured: list[bool] = []
    pypsrps = WSMan._calc_envelope_size

    def measuring(self: Any, max_envelope_size: int) -> int:
        measured.append(psrp._ENVELOPE_SIZES_LOCK.locked())
        return pypsrps(self, max_envelope_size)

    monkeypatch.setattr(WSMan, "_calc_envelope_size", measuring)
    arguments = _settings(max_envelope_size=153601)  # a setting no other test measures
    start = threading.Barrier(8)

    def build() -> int:
        start.wait()
        return int(_wsman_class()(**arguments).max_payload_size)

    with ThreadPoolExecutor(8) as pool:
        sizes = list(pool.map(lambda _: build(), range(8)))
    assert [True] == measured
    assert [pypsrps(WSMan(**arguments), 153601)] * 8 == sizes


# Whole requests: the header written directly against pypsrp's own, same message id.

FIXED_ID = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")


def pypsrp_request(wsman: Any, *arguments: Any) -> tuple[str, bytes]:
    return wsman_oracle.pypsrp_request(wsman, FIXED_ID, arguments)


def fast_request(wsman: Any, *arguments: Any) -> tuple[str, bytes]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: FIXED_ID)
        patch.setattr(wsman_envelope, "new_message_id", lambda: str(FIXED_ID).upper())
        return wsman_envelope.request_bytes(wsman, *arguments)


def _sets() -> tuple[Any, Any]:
    options = OptionSet()
    options.add_option("WINRS_NOPROFILE", "TRUE")
    options.add_option("protocolversion", "2.3", {"MustComply": "true"})
    selectors = SelectorSet()
    selectors.add_option("ShellId", "3C1F-<&>\"'")
    return options, selectors


@pytest.mark.parametrize(
    "action", [a for a in vars(WSManAction).values() if isinstance(a, str) and a.startswith("http")]
)
@pytest.mark.parametrize("with_sets", [False, True])
@pytest.mark.parametrize("timeout", [None, 0, 7])
def test_a_request_is_pypsrps_for_every_action(
    action: str, with_sets: bool, timeout: int | None
) -> None:
    wsman = _wsman()
    options, selectors = _sets() if with_sets else (None, None)
    receive = ET.Element(f"{{{NAMESPACES['rsp']}}}Receive")
    ET.SubElement(receive, f"{{{NAMESPACES['rsp']}}}DesiredStream").text = "stdout"
    arguments = (
        action,
        "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
        receive,
        options,
        selectors,
        timeout,
    )
    assert pypsrp_request(wsman, *arguments) == fast_request(wsman, *arguments)


@pytest.mark.parametrize(
    "settings",
    [
        {"locale": 'x"<&>\r\n\t'},
        {"data_locale": ""},
        {"server": "n&de<1>.example.test", "path": "wsman/a&b"},
        {"operation_timeout": 3600, "max_envelope_size": 512000},
    ],
)
@pytest.mark.parametrize("resource_uri", ["", "urn:a&b<c>"])
@pytest.mark.parametrize("action", ["", "urn:act&ion"])
def test_a_request_with_texts_to_escape_or_empty_is_pypsrps(
    settings: dict[str, Any], resource_uri: str, action: str
) -> None:
    wsman = _wsman(**settings)
    arguments = (action, resource_uri, None, None, None, None)
    assert pypsrp_request(wsman, *arguments) == fast_request(wsman, *arguments)


def test_at_vvv_pypsrp_builds_and_logs_the_header_itself(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wsman = _wsman()
    arguments = (WSManAction.RECEIVE, "urn:r", None, None, None, None)
    with caplog.at_level(logging.DEBUG, logger="pypsrp.wsman"):
        assert pypsrp_request(wsman, *arguments) == fast_request(wsman, *arguments)
    assert 2 == sum("Creating WSMan header" in r.getMessage() for r in caplog.records)


def test_a_value_only_elementtree_can_write_goes_to_pypsrps_header() -> None:
    wsman = _wsman()
    wsman.locale = 1033  # not a string: ElementTree's own error
    with pytest.raises(TypeError) as fast:
        fast_request(wsman, WSManAction.GET, "urn:r", None, None, None, None)
    with pytest.raises(TypeError) as oracle:
        pypsrp_request(wsman, WSManAction.GET, "urn:r", None, None, None, None)
    assert str(oracle.value) == str(fast.value)


# ----------------------------------------------------------------- reading the answer

_SOAP = NAMESPACES["s"]
_WSA = NAMESPACES["wsa"]


@st.composite
def _answers(draw: st.DrawFn) -> ET.Element:
    """An envelope whose children are any mix of Headers (holding RelatesTo, MessageID,
    a RelatesTo in another namespace...) and Bodies, in any order."""
    envelope = ET.Element(f"{{{_SOAP}}}Envelope")
    for part in draw(st.lists(st.sampled_from(["Header", "Body", "Other"]), max_size=4)):
        element = ET.SubElement(envelope, f"{{{_SOAP}}}{part}")
        children = st.sampled_from(
            [f"{{{_WSA}}}RelatesTo", f"{{{_WSA}}}MessageID", "{urn:other}RelatesTo", "RelatesTo"]
        )
        for tag in draw(st.lists(children, max_size=3)):
            ET.SubElement(element, tag).text = draw(st.none() | st.sampled_from(["uuid:a", ""]))
    return envelope


@settings(max_examples=300, deadline=None)
@given(_answers())
def test_an_answer_is_related_and_its_body_found_as_pypsrp_finds_them(envelope: ET.Element) -> None:
    """The RelatesTo checked against the request and the Body a Receive reads are the
    elements pypsrp's namespaced path lookups find, whatever else the envelope holds."""
    expected = envelope.find("s:Header/wsa:RelatesTo", namespaces=NAMESPACES)
    assert wsman_envelope.relates_to_of(envelope) == (expected.text if expected is not None else "")
    assert envelope.find(wsman_envelope.BODY) is envelope.find("s:Body", namespaces=NAMESPACES)
