"""``psrunbook ping``: can every node be reached, and what does it run?

Every node is asked at once, each within a short deadline of its own, so an inventory
of dead nodes answers in seconds. A node that answers runs one read-only probe
(``_lib/ping.ps1.j2``, rendered and linted like every step) that reports its PowerShell
version and its FailoverClusters module. Nothing is journaled: no run takes place.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Literal

import msgspec
from pydantic import ConfigDict, Field

from psrunbook.errors import (
    AuthenticationFailed,
    CertificateInvalid,
    ConnectionFailed,
    LintError,
    TransportError,
    TransportTimeout,
)
from psrunbook.lint import lint_script
from psrunbook.results import parse_output
from psrunbook.runbook.model import StepResult
from psrunbook.transport.base import ScriptCall, Transport

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory
    from psrunbook.templates import TemplateLibrary

PING_PROBE = "_lib/ping.ps1.j2"
DEFAULT_DEADLINE_S = 5

PingStatus = Literal["ok", "unreachable", "tls failed", "auth failed", "error"]


class PingResult(StepResult):
    """What the probe reports; ``failover_clusters`` is None where the module is missing."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    computer_name: str | None = Field(default=None, alias="ComputerName")
    powershell: str | None = Field(default=None, alias="PSVersion")
    failover_clusters: str | None = Field(default=None, alias="FailoverClusters")


class NodeAnswer(msgspec.Struct, frozen=True):
    """One node's answer to ping: how far the connection got and what the node runs."""

    node: str
    address: str
    status: PingStatus
    detail: str = ""
    powershell: str | None = None
    failover_clusters: str | None = None
    seconds: float = 0.0

    @property
    def answered(self) -> bool:
        return self.status == "ok"

    @property
    def reachable(self) -> bool | None:
        """Whether a connection was made; None when TLS stopped it before we could tell."""
        if self.status == "unreachable":
            return False
        return None if self.status == "tls failed" else True

    @property
    def authenticated(self) -> bool | None:
        """Whether the node accepted the credentials; None when it was not asked."""
        if self.status == "auth failed":
            return False
        return True if self.status in ("ok", "error") else None

    def as_json(self) -> dict[str, object]:
        return {
            "node": self.node,
            "address": self.address,
            "status": self.status,
            "reachable": self.reachable,
            "authenticated": self.authenticated,
            "powershell": self.powershell,
            "failover_clusters": self.failover_clusters,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
        }


def quick_inventory(inventory: Inventory, deadline_s: int) -> Inventory:
    """The inventory with every connection timeout cut to fit ``deadline_s`` per node.

    The WSMan operation timeout stays below the read timeout, as the inventory requires,
    so a node that accepts and never answers is given up on within the deadline too.
    """
    from psrunbook.inventory import ConnectionSettings  # noqa: PLC0415 (avoids a cycle at import)

    connection = inventory.connection
    data = connection.model_dump()
    data.update(
        connect_timeout_s=min(connection.connect_timeout_s, deadline_s),
        connect_deadline_s=deadline_s,
        read_timeout_s=max(2, deadline_s),
        operation_timeout_s=max(1, deadline_s - 1),
    )
    return inventory.model_copy(update={"connection": ConnectionSettings.model_validate(data)})


def ping_nodes(
    inventory: Inventory,
    transport: Transport,
    library: TemplateLibrary,
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> list[NodeAnswer]:
    """Every node's answer, in inventory order; the nodes are asked in parallel."""
    script = library.render(PING_PROBE, {})
    findings = [f for f in lint_script(script.text, source=PING_PROBE) if f.severity == "error"]
    if findings:
        raise LintError(f"{PING_PROBE}: {findings[0]}", tuple(findings))
    call = ScriptCall(script.text, {}, deadline_s)
    nodes: Sequence[str] = inventory.node_names
    with ThreadPoolExecutor(max_workers=min(32, len(nodes)), thread_name_prefix="ping") as pool:
        futures = [pool.submit(_ping_one, inventory, transport, node, call) for node in nodes]
        return [future.result() for future in futures]


def _ping_one(
    inventory: Inventory, transport: Transport, node: str, call: ScriptCall
) -> NodeAnswer:
    host, port, _ = inventory.endpoint_for(node)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    started = time.monotonic()
    session = transport.open(node)
    try:
        session.connect()
        raw = session.run(call)
    except TransportError as exc:
        return NodeAnswer(node, address, _status(exc), str(exc), seconds=time.monotonic() - started)
    finally:
        with contextlib.suppress(TransportError):
            session.close()
    elapsed = time.monotonic() - started
    parsed = parse_output(raw.output, raw.errors, raw.had_errors, PingResult)
    if parsed.failed or not isinstance(parsed.data, PingResult):
        detail = "; ".join(e.message for e in parsed.errors) or "the probe reported no result"
        return NodeAnswer(node, address, "error", detail, seconds=elapsed)
    data = parsed.data
    return NodeAnswer(
        node,
        address,
        "ok",
        powershell=data.powershell,
        failover_clusters=data.failover_clusters,
        seconds=elapsed,
    )


def _status(error: TransportError) -> PingStatus:
    if isinstance(error, CertificateInvalid):
        return "tls failed"
    if isinstance(error, AuthenticationFailed):
        return "auth failed"
    if isinstance(error, ConnectionFailed | TransportTimeout):
        return "unreachable"
    return "error"
