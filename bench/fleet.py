"""A simulated cluster served from its own process, driven over stdin/stdout.

Benchmarks run the simulator in another process so that its work (parsing
envelopes, evaluating PowerShell, serialising objects) neither competes with the
client for the interpreter lock nor counts in the client's memory, as with a real
remote node. ``python -m bench.fleet --nodes N`` prints one JSON line (the inventory
TOML and the password), then answers one JSON line per command read from stdin:
``counters``, ``cpu``, ``latency <seconds>``, ``quit``. :func:`remote_lab` starts one
and gives a benchmark the same :class:`bench.lab.Lab` view as an in-process fleet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.common import ROOT
from bench.lab import Lab, start_fleet
from psrunbook.inventory import inventory_from_toml
from psrunbook.sim.json_lines import JsonLinesChild, answer, serve_commands


def serve(nodes: int, latency_s: float, sql_version: str) -> int:
    fleet, lab = start_fleet(nodes, latency_s, sql_version)
    with fleet:
        answer(
            {
                "inventory": lab.inventory_text,
                "password": lab.password,
                "nodes": [e.node for e in fleet],
                "facts": lab.facts,
            }
        )

        def latency(argument: str) -> dict[str, float]:
            assert lab.set_latency is not None
            lab.set_latency(float(argument))
            return {"latency_s": float(argument)}

        serve_commands({"counters": lambda _: lab.counters(), "latency": latency})
    return 0


class FleetProcess:
    """Starts ``python -m bench.fleet`` and talks to it; closes it on exit."""

    def __init__(self, nodes: int, *, latency_s: float = 0.0, sql_version: str = "2019") -> None:
        self._child = JsonLinesChild(
            [
                sys.executable,
                "-m",
                "bench.fleet",
                "--nodes",
                str(nodes),
                "--latency",
                str(latency_s),
                "--sql-version",
                sql_version,
            ],
            cwd=ROOT,
            what="the simulated fleet",
        )
        started = self._child.hello
        self.inventory_text: str = started["inventory"]
        self.password: str = started["password"]
        self.nodes: list[str] = started["nodes"]
        self.facts: dict[str, Any] = started["facts"]
        self.latency_s = latency_s

    @property
    def pid(self) -> int:
        return self._child.pid

    def _ask(self, command: str) -> dict[str, Any]:
        return self._child.ask(command)

    def counters(self) -> dict[str, dict[str, Any]]:
        """Every node's endpoint counters now (subtract two to measure an operation)."""
        return self._ask("counters")

    def cpu_seconds(self) -> float:
        """CPU time the simulator process has used so far (user + system)."""
        return float(self._ask("cpu")["cpu_s"])

    def set_latency(self, seconds: float) -> None:
        self._ask(f"latency {seconds}")
        self.latency_s = seconds

    def write_inventory(self, path: Path) -> Path:
        path.write_text(self.inventory_text, encoding="utf-8")
        return path

    def close(self) -> None:
        self._child.close()

    def __enter__(self) -> FleetProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def remote_lab(
    nodes: int = 2, *, latency_s: float = 0.0, sql_version: str = "2019"
) -> Iterator[Lab]:
    """The sample lab served by another process, as a remote node would be."""
    with FleetProcess(nodes, latency_s=latency_s, sql_version=sql_version) as process:
        inventory = inventory_from_toml(process.inventory_text, path=Path("<bench fleet>"))
        yield Lab(
            inventory,
            process.inventory_text,
            process.password,
            process.counters,
            facts=process.facts,
            set_latency=process.set_latency,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--sql-version", default="2019")
    args = parser.parse_args(argv)
    return serve(args.nodes, args.latency, args.sql_version)


if __name__ == "__main__":
    raise SystemExit(main())
