"""Which cluster answers: a run goes on only on the cluster it was approved for or began on.

Node names are not an identity (every lab has a NODE1), and an inventory can point at
the wrong hosts. So before the first step, the plan's read-only identity probe
(``Get-Cluster``: ``Name`` and ``Id``, the properties of
``Microsoft.FailoverClusters.PowerShell.Cluster`` in shared/facts/failoverclusters.json)
asks the cluster itself, and any other name than the expected one is refused before
anything is changed. A name survives a rebuild; the id does not. So an id is pinned too
wherever one is known: the inventory's ``[cluster] id`` (and so the bundle exported
from it), and the id the run's first start recorded in the journal, which a resume must
find again. The probe is part of the plan: rendered, linted, exported and hashed like
every step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from psrunbook.errors import ClusterMismatch, StepFailed, TransportError
from psrunbook.results import parse_output
from psrunbook.runbook.model import StepResult
from psrunbook.transport.base import ScriptCall

if TYPE_CHECKING:
    from psrunbook.runbook.planner import Plan
    from psrunbook.transport.base import Transport

PROBE_TIMEOUT_S = 60.0


class ClusterIdentity(msgspec.Struct, frozen=True):
    """What the cluster says it is."""

    name: str
    id: str
    node: str
    """The node that answered."""


def same_cluster(expected: str, actual: str) -> bool:
    """``Get-Cluster`` gives the short (NetBIOS) name; an inventory may name the FQDN.

    Cluster names are case-insensitive, as every Windows computer name.
    """
    wanted = expected.strip().casefold()
    return actual.casefold() in {wanted, wanted.split(".", 1)[0]}


def read_identity(plan: Plan, transport: Transport) -> ClusterIdentity:
    """Run the plan's identity probe on the first node that answers."""
    script = plan.identity_probe
    if script is None:
        raise StepFailed("the plan has no cluster identity probe: build it with build_plan")
    errors: list[str] = []
    for node in plan.nodes:
        try:
            session = transport.open(node)
        except TransportError as exc:
            errors.append(str(exc))
            continue
        try:
            raw = session.run(ScriptCall(script.text, {}, PROBE_TIMEOUT_S))
        except TransportError as exc:
            errors.append(str(exc))
            continue
        finally:
            session.close()
        parsed = parse_output(raw.output, raw.errors, raw.had_errors, StepResult)
        if parsed.failed or parsed.data is None:
            detail = "; ".join(e.message for e in parsed.errors) or "no result"
            raise StepFailed(f"reading the cluster's name and id on {node}: {detail}")
        data = parsed.data.model_dump()
        return ClusterIdentity(str(data.get("Name", "")), str(data.get("Id", "")), node)
    raise TransportError("no node answered the cluster identity probe: " + "; ".join(errors))


class PinnedId(msgspec.Struct, frozen=True):
    """A cluster id the answer must match, and who pinned it (for the refusal)."""

    id: str
    source: str
    """E.g. ``the bundle``, ``the inventory``, ``run ID when it started``."""
    fix: str


def verify_cluster(
    plan: Plan,
    transport: Transport,
    *,
    approved_for: str,
    pinned: tuple[PinnedId, ...] = (),
    named_by: str = "the bundle was approved for",
    fix: str = (
        "Run the bundle against the inventory of the approved cluster, or export a "
        "bundle for this cluster and have it reviewed"
    ),
) -> ClusterIdentity:
    """The answering cluster's identity if it is ``approved_for`` and has every ``pinned``
    id; else refuse (exit 2), naming what was expected and what answered."""
    identity = read_identity(plan, transport)
    if not same_cluster(approved_for, identity.name):
        raise ClusterMismatch(
            f"{named_by} cluster {approved_for!r}, but {identity.node} "
            f"belongs to cluster {identity.name!r} (id {identity.id}); nothing was run. " + fix
        )
    for pin in pinned:
        if pin.id.casefold() != identity.id.strip().casefold():
            raise ClusterMismatch(
                f"cluster {approved_for!r}: {pin.source} expects id {pin.id}, but "
                f"{identity.node} belongs to cluster {identity.name!r} with id "
                f"{identity.id}: another (or a rebuilt) cluster of that name; nothing was "
                f"run. {pin.fix}"
            )
    return identity
