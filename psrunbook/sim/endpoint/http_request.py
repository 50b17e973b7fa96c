"""Reading an HTTP request's head as ``http.server`` does, without the ``email`` package
for the plain requests every client sends.

``http.server`` hands the header lines to ``email``'s feed parser, which costs more than
the simulator's own work on a Receive (issue 16: a third of the protocol's CPU on the
lab's side). A request line ``METHOD /path HTTP/1.1`` and header lines ``Name: value``
in printable ASCII mean the same to both; they are read here straight into the same
:class:`http.client.HTTPMessage`. Anything else (folded or odd header lines, another
HTTP version, bytes outside ASCII) goes to the standard library's own code, so every
request means exactly what it meant before.
"""

from __future__ import annotations

import email.parser
import http.client
import re
from email.message import Message
from io import BufferedIOBase

MAX_LINE = 65536
"""``http.client``'s limit on one header line (``_MAXLINE``)."""

MAX_HEADERS = 100
"""``http.client``'s limit on the number of header lines (``_MAXHEADERS``)."""

PLAIN_REQUEST_LINE = re.compile(rb"([A-Z]+) (/(?!/)[\x21-\x7e]*) HTTP/1\.1\r?\n")
"""A request line ``http.server`` reads as (method, path, HTTP/1.1) with no adjustment."""

_PLAIN_HEADER = re.compile(rb"([\x21-\x39\x3b-\x7e]+):[ \t]*([\t\x20-\x7e]*)\r?\n")
"""A header line the feed parser reads as one header, name and value as written here."""


def read_header_lines(rfile: BufferedIOBase) -> list[bytes]:
    """The header lines up to and including the blank one, as ``http.client`` reads them.

    Raises ``http.client.LineTooLong`` / ``HTTPException`` exactly where it does.
    """
    lines: list[bytes] = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            return lines


def parse_header_lines(lines: list[bytes], message_class: type[Message]) -> Message:
    """The message ``http.client.parse_headers`` makes of ``lines``.

    Plain lines are set directly; a block with any other line is given to the feed
    parser, as ``http.client`` does.
    """
    return read_head(lines, message_class)[0]


def read_head(
    lines: list[bytes], message_class: type[Message]
) -> tuple[Message, dict[str, str] | None]:
    """:func:`parse_header_lines`' message, and for a plain head each header's first value
    by its lower-cased name: what ``message.get(name)`` answers (``email``'s compat32
    returns a plain ASCII value as it is), without its scan of every header at each call.
    None for a head the feed parser read.
    """
    fields: list[tuple[str, str]] = []
    for line in lines[:-1]:
        match = _PLAIN_HEADER.fullmatch(line)
        if match is None or _has_parts(match[1], match[2]):
            text = b"".join(lines).decode("iso-8859-1")
            return email.parser.Parser(_class=message_class).parsestr(text), None
        fields.append((match[1].decode("ascii"), match[2].decode("ascii")))
    message = message_class()
    first: dict[str, str] = {}
    for name, value in fields:
        message.set_raw(name, value)
        first.setdefault(name.lower(), value)
    message.set_payload("")  # the empty body the feed parser leaves
    return message, first


def _has_parts(name: bytes, value: bytes) -> bool:
    """A Content-Type the feed parser reads the (empty) body of as parts (``multipart/*``,
    ``message/*``, as an encrypted WinRM request is): left to it, to give the same message."""
    if name.lower() != b"content-type":
        return False
    lowered = value.lower()
    return b"multipart" in lowered or b"message" in lowered
