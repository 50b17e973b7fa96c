"""Guids cross the lab's endpoint as Windows sends them, through real pypsrp 0.9.1.

Windows serialises a Guid as the primitive ``<G>`` (MS-PSRP 2.2.5.1.14), its "D" text, at
any depth; pypsrp 0.9.1 reads a ``<G>`` as a ``uuid.UUID`` and writes one for a
``uuid.UUID`` it sends. Before, the lab's Guid was a string: it went out as ``<S>`` and
one a client sent arrived as a String.
"""

from __future__ import annotations

import uuid

import pytest
from pypsrp.powershell import RunspacePool

from tests.integration.sim.simclient import invoke_script

pytestmark = pytest.mark.integration

G = uuid.UUID("6f1d3c8e-3f57-4a8e-9d43-5b7f1f3f2a10")


def test_a_guid_arrives_as_a_guid(lab_pool: RunspacePool) -> None:
    """Top level and as a property: a bare ``<G>``, which pypsrp reads as a UUID."""
    made, empty = invoke_script(lab_pool, f"[guid]'{str(G).upper()}'; [guid]::Empty")
    assert (G, uuid.UUID(int=0)) == (made, empty)
    (fresh,) = invoke_script(lab_pool, "New-Guid")
    assert isinstance(fresh, uuid.UUID)
    assert 4 == fresh.version
    (item,) = invoke_script(lab_pool, f"[pscustomobject]@{{Id = [guid]'{G}'}}")
    assert G == item.adapted_properties.get("Id", item.extended_properties.get("Id"))


def test_a_guid_parameter_arrives_as_a_guid(lab_pool: RunspacePool) -> None:
    """``param($g)`` given a UUID: a System.Guid with its members, equal to its text."""
    assert ["System.Guid", str(G), str(G).replace("-", ""), True, G] == invoke_script(
        lab_pool,
        "param($g) $g.GetType().FullName; $g.Guid; $g.ToString('N');"
        f" $g -eq '{str(G).upper()}'; $g",
        g=G,
    )
