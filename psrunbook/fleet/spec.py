"""What a queued run carries from ``submit`` to the worker that executes it.

A worker on another machine has none of the submitter's files, so the spec carries the
inventory's text (and its sha256, which the journal recorded), never a path it would
have to open. Parameters are not carried at all: the journal recorded them at submit
(secrets masked), and the worker continues the journaled run exactly as ``resume`` does,
taking secrets from its own environment. Values are plain JSON so that any durable
engine can store them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal, Self

import msgspec
from msgspec.structs import asdict

RunState = Literal[
    "queued",
    "awaiting approval",
    "running",
    "finished",
    "rejected",
    "cancelled",
    "failed",
]
"""A fleet run's state as ``runs`` shows it beside the journal's outcome."""

STATES: Final[tuple[RunState, ...]] = (
    "queued",
    "awaiting approval",
    "running",
    "finished",
    "rejected",
    "cancelled",
    "failed",
)


class _Json(msgspec.Struct, frozen=True):
    """A frozen record that travels as a JSON object (the engine stores those)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Self:
        return cls(**value)


class RunSpec(_Json, frozen=True):
    """One queued run: the journaled run id and what a worker needs to reach its cluster."""

    run_id: str
    cluster: str
    inventory_name: str
    """The inventory file's name as given to ``submit`` (messages and logs only)."""
    inventory_text: str
    inventory_sha256: str
    changes: bool
    """False for a run that changes nothing (every step read-only): it is never held back."""
    bundle: str | None = None
    """An approved bundle directory, which every worker must be able to read."""
    review_sha256: str | None = None
    """The manifest sha256 of the review bundle of exactly what this run executes."""
    require_approval: bool = False
    approved_sha256: str | None = None
    """Set once a reviewer approved: the worker refuses to run anything else."""
    insecure: bool = False

    @property
    def partition(self) -> str:
        """Runs that change a cluster share its partition (one at a time); others are alone."""
        return f"cluster:{self.cluster.casefold()}" if self.changes else f"run:{self.run_id}"

    @property
    def bundle_dir(self) -> Path | None:
        return None if self.bundle is None else Path(self.bundle)


class Decision(_Json, frozen=True):
    """A reviewer's answer to a run awaiting approval, as the durable message carries it."""

    verdict: Literal["approve", "reject"]
    sha256: str | None
    """The manifest sha256 the reviewer approved (None for a rejection)."""
    by: str
    """The reviewer's login on the machine they decided from."""
    at: str
    """When, UTC ISO 8601."""
    reason: str = ""


class FleetStatus(msgspec.Struct, frozen=True):
    """What the engine knows of one run: its state, the hash awaiting approval, who decided."""

    state: RunState
    review_sha256: str | None = None
    decision: Decision | None = None
    worker: str | None = None
    """The worker (executor id) running or last running it."""
    reason: str = ""
    """Why a run was rejected."""
