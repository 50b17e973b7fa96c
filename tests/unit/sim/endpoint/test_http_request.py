"""The endpoint's request-head reader gives the message ``http.client`` gives, for any head."""

from __future__ import annotations

import email.policy
import http.client
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psrunbook.sim.endpoint.http_request import (
    MAX_HEADERS,
    MAX_LINE,
    PLAIN_REQUEST_LINE,
    parse_header_lines,
    read_head,
    read_header_lines,
)

PYPSRP_HEAD = (
    b"Host: 127.0.0.1:5985\r\n"
    b"User-Agent: Python PSRP Client\r\n"
    b"Accept-Encoding: gzip, deflate\r\n"
    b"Accept: */*\r\n"
    b"Connection: Keep-Alive\r\n"
    b"Content-Type: application/soap+xml;charset=UTF-8\r\n"
    b"Content-Length: 1234\r\n"
    b"Authorization: Basic cHNydW5ib29rOnB3\r\n"
    b"\r\n"
)


def _stdlib(head: bytes) -> http.client.HTTPMessage:
    return http.client.parse_headers(io.BytesIO(head))


def _ours(head: bytes) -> http.client.HTTPMessage:
    lines = read_header_lines(io.BufferedReader(io.BytesIO(head)))  # type: ignore[arg-type]
    message = parse_header_lines(lines, http.client.HTTPMessage)
    assert isinstance(message, http.client.HTTPMessage)
    return message


def _wire(message: http.client.HTTPMessage) -> bytes | str:
    """What recording the wire writes for the head (or the error it meets)."""
    try:
        return message.as_bytes(policy=email.policy.HTTP)
    except UnicodeEncodeError as exc:  # the generator's, for non-ASCII values
        return type(exc).__name__


def _payload(message: http.client.HTTPMessage) -> object:
    payload = message.get_payload()
    if isinstance(payload, list):  # message/rfc822: the parts, by their headers
        return [part.items() for part in payload]
    return payload


def _same(head: bytes) -> None:
    expected, got = _stdlib(head), _ours(head)
    assert expected.items() == got.items()
    assert _wire(expected) == _wire(got)
    assert _payload(expected) == _payload(got)
    assert [type(d) for d in expected.defects] == [type(d) for d in got.defects]


def test_a_pypsrp_request_head_reads_as_http_client_reads_it():
    """The head every pypsrp request carries: the same headers, values and bytes."""
    _same(PYPSRP_HEAD)


@pytest.mark.parametrize(
    "head",
    [
        b"X-Folded: one\r\n two\r\n\r\n",  # obs-fold: a continuation line
        b"From nobody: x\r\n\r\n",  # the feed parser's Unix From line
        b"NoColon\r\nHost: x\r\n\r\n",  # ends the headers for the feed parser
        b":empty-name\r\n\r\n",
        b'Content-Type: multipart/encrypted;protocol="application/HTTP-SPNEGO"\r\n\r\n',
        b"Content-Type: message/rfc822\r\n\r\n",
        b"X-Latin: caf\xe9\r\n\r\n",
        b"X-Vt: a\x0bb\r\n\r\n",  # str.splitlines splits here, the feed parser with it
        b"X-Lf-Only: a\nHost: b\n\n",
        b"X-Spaces:    padded   \r\n\r\n",
        b"X-Empty:\r\n\r\n",
        b"Duplicate: 1\r\nduplicate: 2\r\n\r\n",
        b"Host: x\r\n",  # the connection closed before the blank line
        b"",
    ],
)
def test_an_unusual_head_reads_as_http_client_reads_it(head):
    """Folded, odd or non-ASCII lines: the standard library's own reading of them."""
    _same(head)


_HEAD_BYTES = st.sampled_from(
    [b"a", b"Z", b"-", b":", b" ", b"\t", b"\r", b"\n", b"\r\n", b"\x0b", b"\xe9", b"From "]
)


@given(st.lists(st.lists(_HEAD_BYTES, max_size=8).map(b"".join), max_size=6))
def test_any_head_reads_as_http_client_reads_it(lines):
    """Whatever the lines, the message is the one ``http.client.parse_headers`` makes."""
    head = b"".join(line.replace(b"\n", b"") + b"\r\n" for line in lines) + b"\r\n"
    _same(head)


def test_a_line_too_long_is_refused_as_http_client_refuses_it():
    """Over 64 KiB: LineTooLong, the 431 http.server answers."""
    with pytest.raises(http.client.LineTooLong):
        _ours(b"X: " + b"a" * MAX_LINE + b"\r\n\r\n")


def test_too_many_headers_are_refused_as_http_client_refuses_them():
    """Over 100 lines: HTTPException, the 431 http.server answers."""
    with pytest.raises(http.client.HTTPException, match="got more than 100 headers"):
        _ours(b"X: a\r\n" * (MAX_HEADERS + 1) + b"\r\n")


@pytest.mark.parametrize(
    ("line", "plain"),
    [
        (b"POST /wsman HTTP/1.1\r\n", True),
        (b"POST /wsman?PSVersion=5.1 HTTP/1.1\r\n", True),
        (b"POST //wsman HTTP/1.1\r\n", False),  # http.server rewrites the path
        (b"POST /wsman HTTP/1.0\r\n", False),
        (b"POST /ws\xa0man HTTP/1.1\r\n", False),  # str.split() splits at U+00A0
        (b"post /wsman HTTP/1.1\r\n", False),
        (b"POST  /wsman HTTP/1.1\r\n", False),
        (b"POST /wsman HTTP/1.1 x\r\n", False),
    ],
)
def test_only_a_plain_request_line_skips_http_server(line, plain):
    """Anything but ``METHOD /path HTTP/1.1`` is parsed by http.server itself."""
    assert plain == (PLAIN_REQUEST_LINE.fullmatch(line) is not None)


_NAMES = ("Host", "content-length", "Content-Type", "Authorization", "Connection", "Expect", "X")


@given(st.lists(st.lists(_HEAD_BYTES, max_size=8).map(b"".join), max_size=6))
def test_the_plain_head_s_values_are_what_the_message_answers(lines):
    """Each header's value as the handler reads it is ``message.get(name)``'s."""
    head = b"".join(line.replace(b"\n", b"") + b"\r\n" for line in lines) + b"\r\n"
    raw = read_header_lines(io.BufferedReader(io.BytesIO(head)))  # type: ignore[arg-type]
    message, fields = read_head(raw, http.client.HTTPMessage)
    if fields is not None:
        for name in (*_NAMES, *(k for k, _ in message.items())):
            assert message.get(name) == fields.get(name.lower())


def test_a_repeated_header_reads_as_its_first_value():
    head = b"Duplicate: 1\r\nduplicate: 2\r\nHost: h\r\n\r\n"
    raw = read_header_lines(io.BufferedReader(io.BytesIO(head)))  # type: ignore[arg-type]
    message, fields = read_head(raw, http.client.HTTPMessage)
    assert fields is not None
    assert "1" == message.get("DUPLICATE") == fields["duplicate"]
    assert list(_stdlib(head).items()) == list(message.items())
