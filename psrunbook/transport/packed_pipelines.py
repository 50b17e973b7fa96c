"""A step's CREATE_PIPELINE message, serialised once for every node that runs it.

Every node of a step receives the same pipeline: the same script, the same arguments,
the same pypsrp defaults (and every pool opens with the same SESSION_CAPABILITY and
INIT_RUNSPACEPOOL messages). pypsrp serialises them again for each node (building an XML tree
of the whole script, escaping it character by character, writing it out): with the
request envelopes, the largest share of psrunbook's client CPU per node after the
network in a fan-out (issue 16), all of it under one interpreter lock.

:class:`PackedPipelines` keeps the serialised bytes of each distinct pipeline, and
:class:`PackingSerializer` stands in for a pool's serialiser where pypsrp packs
messages (``Fragmenter.serializer``, which ``Message.pack`` calls and whose bytes it
sends as they are). What is sent does not change by a byte: a pipeline is reused only
when every value the serialiser reads from it is equal (:func:`message_key`), so a
different protocol version, merge setting or argument is serialised on its own. An
argument that is not plain data (a SecureString, encrypted with one pool's session
key, is an XML element by then) makes a pipeline uncacheable, so it is never shared.
The message header, with the pool's and the pipeline's ids, is packed per node by
pypsrp as before; only the serialised body is reused.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from typing import Any

_PLAIN = (str, int, float, bool, type(None))
_METADATA = frozenset({"_adapted_properties", "_extended_properties", "_property_sets"})
"""Attributes every pypsrp object sets from its class: what to serialise, not values."""

_LIMIT = 64
"""Distinct pipelines kept: a runbook has a few steps, a resume re-checks a few more."""


class _Uncacheable(Exception):
    """A value the key cannot stand for: the pipeline is serialised as pypsrp does."""


_EXACT = frozenset(type(value) for value in ("", 0, False, None))
"""Types whose equal values are written alike. Not float: ``-0.0 == 0.0`` (keyed by repr)."""
_SKIPPED = _METADATA | {"_xml"}


def _items_key(kind: type, items: Any) -> Any:
    """A list's or tuple's key: its items as they are when all are plain, keyed otherwise."""
    types = tuple(map(type, items))
    if _EXACT.issuperset(types):  # the types keep 1, 1.0 and True apart
        return (kind, types, tuple(items))
    return (kind, tuple(map(_key, items)))


def _key(value: Any) -> Any:
    """``value``'s key: equal only for values the serialiser writes alike.

    Each value is keyed with its exact type (``True``, ``1`` and ``1.0`` are equal in
    Python, but not in PSRP); an object's attributes in their own order (an object
    whose attributes were set in another order is only a miss, never a wrong hit).
    The common types are tested first by identity: the key is computed for each
    node's pipeline, and was a fifth of a step's PSRP work on the client (issue 16).
    """
    kind = type(value)
    if kind in _EXACT:
        return (kind, value)
    if kind is float:
        return (kind, repr(value))
    if kind is list or kind is tuple:
        return _items_key(kind, value)
    if kind is dict:
        return (dict, _items_key(list, list(value)), _items_key(list, list(value.values())))
    if isinstance(value, _PLAIN):  # a subclass of a plain type
        return (kind, repr(value) if isinstance(value, float) else value)
    if isinstance(value, list | tuple | dict):
        return _items_key(kind, list(value.items()) if isinstance(value, dict) else value)
    attributes = getattr(value, "__dict__", None)
    if attributes is None or "_extended_properties" not in attributes:
        raise _Uncacheable(kind.__name__)  # not a pypsrp ComplexObject
    if attributes.get("_xml") is not None:
        raise _Uncacheable("a deserialised object")
    return (
        kind,
        tuple(
            [
                (name, _key(item))
                for name, item in attributes.items()
                if name not in _SKIPPED and not name.startswith("__")
            ]
        ),
    )


def message_key(message: Any) -> Any | None:
    """What ``message`` serialises from, as a hashable key; None if it must not be shared.

    Only the messages every node is sent alike are shared: a pipeline, and the two that
    open a pool. Every instance attribute of the message and of everything it holds
    (commands, parameters, host information, apartment state...) is part of the key,
    except the class-level descriptions of what to serialise; pypsrp writes nothing else.
    """
    from pypsrp.messages import (  # noqa: PLC0415 (pypsrp is imported only to connect)
        CreatePipeline,
        InitRunspacePool,
        SessionCapability,
    )

    if not isinstance(message, CreatePipeline | InitRunspacePool | SessionCapability):
        return None
    try:
        return _key(message)
    except _Uncacheable:
        return None


class PackedPipelines:
    """The serialised bodies of the messages one transport sent, shared by its nodes.

    Thread-safe: node workers pack at the same time. Two nodes that miss at once both
    serialise (the same bytes); the cache only saves work, it never orders anything.
    """

    def __init__(self, limit: int = _LIMIT) -> None:
        self._limit = limit
        self._packed: OrderedDict[Any, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.serialised = 0
        """How many messages were serialised here (the rest were reused): for tests."""

    def packed(self, key: Any, serialise: Any) -> bytes:
        """The bytes for ``key``, from ``serialise()`` (an XML element) the first time."""
        with self._lock:
            found = self._packed.get(key)
            if found is not None:
                self._packed.move_to_end(key)
                return found
        element = serialise()
        data: bytes = ET.tostring(element, encoding="utf-8", method="xml")
        with self._lock:
            self.serialised += 1
            self._packed[key] = data
            while len(self._packed) > self._limit:
                self._packed.popitem(last=False)
        return data


class PackingSerializer:
    """A pool's pypsrp ``Serializer`` whose shared messages come from :class:`PackedPipelines`.

    Everything else (other messages, nested values, deserialising, the session key) is
    the wrapped serialiser's own.
    """

    def __init__(self, inner: Any, pipelines: PackedPipelines) -> None:
        self._inner = inner
        self._pipelines = pipelines

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def serialize(
        self, value: Any, metadata: Any = None, parent: Any = None, clear: bool = True
    ) -> Any:
        key = message_key(value) if metadata is None and parent is None and clear else None
        if key is None:
            return self._inner.serialize(value, metadata, parent, clear)
        return self._pipelines.packed(key, lambda: self._inner.serialize(value))
