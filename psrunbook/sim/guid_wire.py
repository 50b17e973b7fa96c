"""A ``System.Guid`` on the PSRP wire, both ways: what the endpoint's CLIXML writer and
reader need of the language's Guid objects, without either importing the other.

Windows serialises a Guid as the primitive known type ``<G>`` (MS-PSRP 2.2.5.1.14
"GUID": the "D" format, ``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``). Incoming, psrpcore
hands the endpoint a ``uuid.UUID``, which becomes the language's Guid through the factory
the language registers (:func:`register_guid_factory`).
"""

from __future__ import annotations

from collections.abc import Callable

from psrunbook.sim.objects import PSHashtable, PSObject

GUID = "System.Guid"
_TYPE_NAMES = (GUID, "System.ValueType", "System.Object")

GuidFactory = Callable[[str], PSObject]
"""Makes the language's Guid of its "D" text (lower case)."""
_factory: list[GuidFactory] = []


def register_guid_factory(factory: GuidFactory) -> None:
    """The language's Guid maker, for values a client sends (the last one counts)."""
    _factory[:] = [factory]


def incoming_guid(text: str) -> PSObject:
    """A Guid a client sent: the language's object, or a bare one holding its text before
    the language is loaded (an endpoint that only speaks the protocol)."""
    canonical = text.lower()
    if _factory:
        return _factory[0](canonical)
    return PSObject(
        type_names=_TYPE_NAMES,
        properties=PSHashtable([("Guid", canonical)]),
        to_string=canonical,
    )


def guid_text(value: object) -> str | None:
    """The "D" text of a lab Guid, or None for anything else."""
    if not isinstance(value, PSObject) or value.type_names[:1] != (GUID,):
        return None
    text = value.properties.get("Guid")
    return text if isinstance(text, str) else None
