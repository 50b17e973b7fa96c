"""Endpoint faults for the embedded lab, described in a file: ``<state dir>/sim/faults.json``.

The embedded lab (``--sim``) runs inside the psrunbook process, so a test that runs the
CLI (in-process or as a subprocess) cannot reach its endpoints to arm a fault. Instead
it writes this file before the command starts; :func:`arm_from_file` reads it when the
lab starts and arms each fault at an exact point of the command: the *nth* request of
one WSMan action on one node. Deleting the file clears the faults for later commands.
Cluster-level faults (a resource that fails to come online, a failover between steps)
are part of the lab model and are armed in ``sim/lab.json`` itself.

The file is a JSON list of objects::

    [{"node": "NODE1", "on": "Command", "nth": 5, "fault": "http", "count": 100}]

``node`` the endpoint; ``on`` and ``nth`` the trigger (the nth ``on`` request that
node serves, counting from 1); ``fault`` one of ``refuse`` (stop listening from that
request on: the request is dropped and later connections are refused), ``delay``,
``reset``, ``http``, ``wsman``; ``action`` the action the fault then applies to (default:
``on``; ``null`` for every action); ``count`` how many requests (default 1);
``seconds`` for ``delay``; ``status`` for ``http`` (default 500); ``code`` and ``reason``
for ``wsman``. ``hold`` stops the client at that request until the lab closes:
``"phase": "before"`` (default) never serves it, ``"after"`` serves it (the script ran,
the lab is saved) and never sends the answer; in both cases a line is written to the
``notify`` path (a FIFO the test reads, so it waits for the event instead of polling).
A malformed file is refused with its path and the offending entry.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from psrunbook.errors import ParameterError
from psrunbook.sim.endpoint.endpoint_faults import ArmedFault, EndpointFaultPlan
from psrunbook.sim.lab.embedded import FAULT_FILE

if TYPE_CHECKING:
    from psrunbook.sim.endpoint.http_server import SimFleet

KINDS = frozenset({"refuse", "delay", "reset", "http", "wsman", "hold"})
ACTIONS = frozenset({"Create", "Command", "Send", "Receive", "Signal", "Delete", "Get"})


class FaultSpec(msgspec.Struct, frozen=True):
    """One fault of the file, with its trigger."""

    node: str
    on: str
    nth: int
    fault: str
    action: str | None
    count: int = 1
    seconds: float = 0.0
    status: int = 500
    code: int = 2150858770
    reason: str = "The WS-Management service cannot process the request."
    phase: str = "before"
    notify: str | None = None


def _notifier(path: str | None, node: str) -> Callable[[], None]:
    def notify() -> None:
        if path is not None:
            with Path(path).open("w", encoding="utf-8") as channel:
                channel.write(f"{node}\n")

    return notify


class TriggeredFaultPlan(EndpointFaultPlan):
    """A node's fault plan that also arms the file's faults when their trigger request comes."""

    def __init__(self, inner: EndpointFaultPlan, specs: list[FaultSpec]) -> None:
        super().__init__(_listening_of(inner))
        self._specs = specs
        self._seen: Counter[str] = Counter()
        self._seen_lock = threading.Lock()

    def take(self, action: str) -> tuple[float, ArmedFault | None, threading.Event]:
        with self._seen_lock:
            self._seen[action] += 1
            due = [s for s in self._specs if s.on == action and s.nth == self._seen[action]]
        for spec in due:
            self._arm_spec(spec)
        return super().take(action)

    def _arm_spec(self, spec: FaultSpec) -> None:
        if spec.fault == "refuse":
            self.refuse_connections()
        elif spec.fault == "delay":
            self.delay(spec.seconds, action=spec.action, count=spec.count)
        elif spec.fault == "reset":
            self.reset_connection(action=spec.action or "Receive", count=spec.count)
        elif spec.fault == "http":
            self.http_error(spec.status, action=spec.action, count=spec.count)
        elif spec.fault == "hold":
            self.hold(
                _notifier(spec.notify, spec.node),
                action=spec.action,
                after_dispatch=spec.phase == "after",
                count=spec.count,
            )
        else:
            self.wsman_fault(spec.code, spec.reason, action=spec.action, count=spec.count)


def _listening_of(inner: EndpointFaultPlan) -> Any:
    def set_listening(listening: bool) -> None:
        if listening:
            inner.accept_connections()
        else:
            inner.refuse_connections()

    return set_listening


MAX_DELAY_S = 3600.0
"""The longest ``delay`` a fault may add: an hour is past every step timeout a test uses."""
MAX_WSMAN_CODE = 0xFFFFFFFF


def _value_problem(spec: FaultSpec) -> str | None:
    """What is wrong with the fault's values (out of range, not a number), or None."""
    if not (math.isfinite(spec.seconds) and 0 <= spec.seconds <= MAX_DELAY_S):
        return f"seconds: {spec.seconds!r} is out of range; give 0 to {MAX_DELAY_S:g} seconds"
    if not 400 <= spec.status <= 599:  # HTTP's error statuses
        return f"status: {spec.status} is not an HTTP error status; give 400 to 599"
    if not 0 <= spec.code <= MAX_WSMAN_CODE:
        return f"code: {spec.code} is not a WSMan fault code; give 0 to {MAX_WSMAN_CODE}"
    if spec.notify is not None:
        folder = Path(spec.notify).parent
        if not folder.is_dir():
            return (
                f"notify: its folder {folder} does not exist; give a path in an existing "
                "folder (a FIFO the test reads)"
            )
    return None


def read_fault_file(path: Path) -> list[FaultSpec]:
    """The faults described in ``path``; ParameterError naming the file and entry if malformed."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{path}: cannot read the simulated faults: {exc}") from exc
    except RecursionError:
        raise ParameterError(
            f"{path}: nested too deeply to be a list of simulated faults"
        ) from None
    if not isinstance(raw, list):
        raise ParameterError(f"{path}: expected a JSON list of faults")
    specs: list[FaultSpec] = []
    for index, entry in enumerate(raw):
        where = f"{path}: fault {index}"
        if not isinstance(entry, dict):
            raise ParameterError(f"{where}: expected an object")
        try:
            on = str(entry["on"])
            spec = FaultSpec(
                node=str(entry["node"]),
                on=on,
                nth=int(entry.get("nth", 1)),
                fault=str(entry["fault"]),
                action=entry.get("action", on),
                count=int(entry.get("count", 1)),
                seconds=float(entry.get("seconds", 0.0)),
                status=int(entry.get("status", 500)),
                code=int(entry.get("code", 2150858770)),
                reason=str(entry.get("reason", FaultSpec.reason)),
                phase=str(entry.get("phase", "before")),
                notify=None if entry.get("notify") is None else str(entry["notify"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"{where}: {exc!r} (needs node, on, fault)") from exc
        if (
            spec.fault not in KINDS
            or spec.on not in ACTIONS
            or spec.nth < 1
            or spec.count < 1
            or spec.phase not in ("before", "after")
        ):
            raise ParameterError(
                f"{where}: fault must be one of {sorted(KINDS)}, on one of {sorted(ACTIONS)}, "
                "nth and count at least 1, phase before or after"
            )
        problem = _value_problem(spec)
        if problem is not None:
            raise ParameterError(f"{where}: {problem}")
        specs.append(spec)
    return specs


def arm_from_file(fleet: SimFleet, directory: Path) -> list[FaultSpec]:
    """Arm the faults of ``directory/faults.json`` on the fleet's endpoints, if the file exists."""
    path = directory / FAULT_FILE
    if not path.exists():
        return []
    specs = read_fault_file(path)
    served = {endpoint.node.casefold() for endpoint in fleet}
    for index, spec in enumerate(specs):
        if spec.node.casefold() not in served:
            # An ignored fault would let a test pass without the fault it meant to inject.
            raise ParameterError(
                f"{path}: entry {index}: node: the lab has no node {spec.node!r}; use one of "
                f"{', '.join(endpoint.node for endpoint in fleet)}, or remove the entry"
            )
    for endpoint in fleet:
        mine = [s for s in specs if s.node.casefold() == endpoint.node.casefold()]
        if mine:
            endpoint.faults = TriggeredFaultPlan(endpoint.faults, mine)
    return specs
