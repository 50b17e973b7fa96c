"""pypsrp 0.9.1's serializer, taught to write what it cannot: a DateTime (``<DT>``) and a
TimeSpan (``<TS>``) as psrpcore (pypsrp 1.0) and PowerShell write them.

pypsrp 0.9.1's ``DT`` writer writes nothing and it has no ``TS`` writer, so a client of
the lab built on it cannot send either; Windows PowerShell and pypsrp 1.0 can. The tests
of what the lab makes of such a value install this serializer on a 0.9.1 pool.
"""

from __future__ import annotations

import datetime
from typing import Any
from xml.etree import ElementTree

from psrpcore.types import PSDateTime, PSDuration, serialize
from pypsrp.powershell import RunspacePool
from pypsrp.serializer import Serializer


class PsrpcoreWriter(Serializer):  # type: ignore[misc]
    """Writes a ``datetime`` and a ``timedelta`` as psrpcore does, the rest as 0.9.1."""

    def serialize(
        self, value: Any, metadata: Any = None, parent: Any = None, clear: bool = True
    ) -> Any:
        if isinstance(value, datetime.datetime):
            core: Any = PSDateTime(value)
        elif isinstance(value, datetime.timedelta):
            core = PSDuration(value)
        else:
            return super().serialize(value, metadata, parent, clear)
        element: ElementTree.Element = serialize(core, None)
        if metadata is not None and metadata.name is not None:
            element.attrib["N"] = metadata.name
        if parent is not None:
            parent.append(element)
        return element


def write_as_psrpcore(pool: RunspacePool) -> None:
    """Make ``pool`` send DateTimes and TimeSpans as psrpcore does."""
    writer = PsrpcoreWriter()
    pool._serializer = writer
    pool._fragmenter.serializer = writer
