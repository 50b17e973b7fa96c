"""Get-Command's catalogue: every lab command has the module Windows gives it, and the
event cmdlets keep PowerShell's event queue rules (EventManager.cs)."""

from __future__ import annotations

import psrunbook.sim.ps.evaluator  # noqa: F401  (registers every built-in)
from psrunbook.sim.lab.cluster_executor import cmdlets_for_node
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.ps.builtins import BUILTINS
from psrunbook.sim.ps.command_lookup import module_of

from .helpers import run


def test_every_lab_cmdlet_has_a_module() -> None:
    """A cmdlet added to the lab must be given its Windows module (``module_of``)."""
    cluster = sample_lab()
    node = cluster.nodes[0].name if isinstance(cluster.nodes, list) else next(iter(cluster.nodes))
    specs = [b.spec for b in BUILTINS.values()]
    specs += [c.spec for c in cmdlets_for_node(cluster, node).values() if not c.spec.native]
    assert [s.name for s in specs if not module_of(s)] == []


def test_event_identifiers_count_per_runspace_and_the_queue_keeps_unforwarded_events() -> None:
    result = run(
        "$a = New-Event -SourceIdentifier One; $b = New-Event -SourceIdentifier Two\n"
        "$b.EventIdentifier; (Get-Event -SourceIdentifier T*).SourceIdentifier\n"
        "Remove-Event -EventIdentifier 1; @(Get-Event).Count\n"
        "Remove-Event -SourceIdentifier Nope"
    )
    assert result.failed is None, result.failed
    assert [2, "Two", 1] == result.output
    assert ["Event with source identifier 'Nope' does not exist."] == [
        e.message for e in result.errors
    ]


def test_support_subscribers_are_hidden_without_force() -> None:
    result = run(
        "Register-EngineEvent -SourceIdentifier Hidden -Forward -SupportEvent\n"
        "Register-EngineEvent -SourceIdentifier Shown -Forward\n"
        "(Get-EventSubscriber).SourceIdentifier\n"
        "@(Get-EventSubscriber -Force).Count\n"
        "Unregister-Event -SourceIdentifier Hidden\n"
        "Unregister-Event -SourceIdentifier Hidden -Force; @(Get-EventSubscriber -Force).Count"
    )
    assert result.failed is None, result.failed
    assert ["Shown", 2, 1] == result.output
    assert ["Event subscription with identifier 'Hidden' does not exist."] == [
        e.message for e in result.errors
    ]
