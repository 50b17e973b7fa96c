"""The principals an MIT keytab file holds, read without any Kerberos library.

``sim serve --auth kerberos`` tells the operator which service principals its nodes can
accept tickets for, and refuses to start when the keytab holds none for the address it
serves: otherwise every client would be refused with an opaque GSSAPI error. Only the
names are read (no key material is kept). The format is MIT's keytab file format,
versions 0x0501 and 0x0502 (``doc/formats/keytab_file_format.rst`` in MIT krb5):
a two-byte version, then entries each preceded by a signed 32-bit length (negative:
a hole left by a removed entry).
"""

from __future__ import annotations

import struct
from pathlib import Path


class KeytabError(ValueError):
    """The file is not a keytab this reader understands."""


def keytab_principals(path: Path) -> tuple[str, ...]:
    """Every principal in the keytab at ``path`` (``service/host@REALM``), once each, in order."""
    data = path.read_bytes()
    if len(data) < 2 or data[0] != 5 or data[1] not in (1, 2):
        raise KeytabError(f"{path} is not an MIT keytab (version 0x0501 or 0x0502)")
    byte_order = ">" if data[1] == 2 else "="  # version 1 used the writer's byte order
    found: dict[str, None] = {}
    offset = 2
    try:
        while offset + 4 <= len(data):
            (length,) = struct.unpack_from(f"{byte_order}i", data, offset)
            offset += 4
            if length > 0:
                found[_principal(data[offset : offset + length], byte_order, data[1])] = None
            offset += abs(length)
    except (struct.error, UnicodeDecodeError) as exc:
        raise KeytabError(f"{path}: a damaged keytab entry at byte {offset}") from exc
    return tuple(found)


def _principal(entry: bytes, byte_order: str, version: int) -> str:
    (count,) = struct.unpack_from(f"{byte_order}H", entry, 0)
    if version == 1:
        count -= 1  # version 1 counted the realm among the components
    realm, offset = _counted(entry, 2, byte_order)
    components = []
    for _ in range(count):
        component, offset = _counted(entry, offset, byte_order)
        components.append(component)
    return "/".join(components) + "@" + realm


def _counted(entry: bytes, offset: int, byte_order: str) -> tuple[str, int]:
    (length,) = struct.unpack_from(f"{byte_order}H", entry, offset)
    start = offset + 2
    if start + length > len(entry):
        raise struct.error("a name runs past its entry")
    return entry[start : start + length].decode("utf-8"), start + length
