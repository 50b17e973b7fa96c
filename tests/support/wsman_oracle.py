"""What pypsrp itself would send: the oracle of psrunbook's WSMan message writer.

pypsrp's ``WSMan.invoke`` builds the header with ``_create_header`` (a random message id)
and serialises the envelope with ``ET.tostring``; here the same, with the message id
given, so a test compares psrunbook's bytes with pypsrp's byte for byte.
"""

from __future__ import annotations

import copy
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from psrunbook.transport.pypsrp_import import load_pypsrp
from psrunbook.transport.wsman_envelope import SOAP_ENVELOPE_NS

load_pypsrp()  # as the transport loads it, Negotiate and CredSSP deferred
from pypsrp.wsman import WSMan  # noqa: E402 (after load_pypsrp)


def elementtree_bytes(header: ET.Element, resource: ET.Element | None) -> bytes:
    """The envelope around ``header`` and ``resource``, built and written as pypsrp does."""
    envelope = ET.Element(f"{{{SOAP_ENVELOPE_NS}}}Envelope")
    envelope.append(copy.deepcopy(header))
    body = ET.SubElement(envelope, f"{{{SOAP_ENVELOPE_NS}}}Body")
    if resource is not None:
        body.append(copy.deepcopy(resource))
    written: bytes = ET.tostring(envelope, encoding="utf-8", method="xml")
    return written


def pypsrp_request(
    wsman: Any, message_id: uuid.UUID, arguments: tuple[Any, ...]
) -> tuple[str, bytes]:
    """(message id, envelope) pypsrp's ``invoke`` sends for ``arguments``, with that id.

    ``arguments`` are ``request_bytes``'s after the WSMan: action, resource URI,
    resource, option set, selector set, timeout.
    """
    action, resource_uri, resource, option_set, selector_set, timeout = arguments
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: message_id)
        sent_id, header = WSMan._create_header(
            wsman, action, resource_uri, option_set, selector_set, timeout
        )
    return sent_id, elementtree_bytes(header, resource)
