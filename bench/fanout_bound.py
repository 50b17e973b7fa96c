"""Which side a fan-out's wall time waits for: psrunbook, or the simulated fleet.

``python -m bench.fanout_bound [--nodes 64] [--inject-us 300] [--rounds 5]`` runs the
fan-out benchmark's ``ssis-standalone`` at 20 ms on 1 and N nodes three ways, alternated:
as shipped, with CPU added to every request psrunbook sends, and with the same CPU added
to every request the simulator answers (:mod:`bench.cpu_injection`). For each side it
prints how much wall time the N-node run gained per second of CPU added on that side,
and, as shipped, the CPU each side spends on the N-node run beyond the one-node run
beside the wall time it adds. Near 1 for one side and near 0 for the other: the first
bounds the run, and work saved there shortens it. Near 1 for both: either the sides
never overlap (the wall time added is then near the sum of their CPU) or they overlap
and are balanced (near the larger of the two): then a cut on one side alone shortens the
run only until the other side bounds it.

Both processes share this machine's cores, and a real fleet has a CPU per node, so the
simulator bounding a run says what the lab costs, not what psrunbook would do against
Windows. It is a diagnostic with no goal, for choosing where to look next; the figures
with goals are ``bench/run.py``'s.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

from bench.cli_run import ChildRun
from bench.common import script_path
from bench.fanout import _Target

_WAYS = ("as shipped", "client", "simulator")


def _command(way: str, side: str, microseconds: int) -> list[str]:
    """The psrunbook command for ``side`` of a run made ``way``."""
    if way != side:
        return [script_path("psrunbook")]
    return [sys.executable, "-m", "bench.cpu_injection", side, str(microseconds)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_bound", description=__doc__)
    parser.add_argument("--nodes", type=int, default=64)
    parser.add_argument("--inject-us", type=int, default=300, help="CPU added per request")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if args.nodes < 2 or args.inject_us < 1 or args.rounds < 1:
        parser.error("--nodes must be at least 2, --inject-us and --rounds at least 1")
    counts = (1, args.nodes)
    runs: dict[tuple[str, int], list[ChildRun]] = {}
    served: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        targets: dict[tuple[str, int], _Target] = {}
        for way in _WAYS:
            for count in counts:
                serve = _command(way, "simulator", args.inject_us)
                target = _Target(count, Path(tmp) / way.replace(" ", "-"), serve=serve)
                stack.callback(target.fleet.close)
                target.run()  # applies the configuration; later runs are converged re-runs
                targets[(way, count)] = target
        for index in range(args.rounds):
            keys = list(targets)
            shift = index % len(keys)
            for key in keys[shift:] + keys[:shift]:
                target = targets[key]
                before = target.fleet.cpu_seconds()
                runs.setdefault(key, []).append(
                    target.run(_command(key[0], "client", args.inject_us))
                )
                served.setdefault(key, []).append(target.fleet.cpu_seconds() - before)
    wall = {key: statistics.median(r.wall_s for r in done) for key, done in runs.items()}
    client = {key: statistics.median(r.cpu_s for r in done) for key, done in runs.items()}
    fleet = {key: statistics.median(seconds) for key, seconds in served.items()}
    many = args.nodes
    print(f"| run | 1 node | {many} nodes | client CPU, 1 / {many} | simulator CPU, 1 / {many} |")
    print("|---|---|---|---|---|")
    for way in _WAYS:
        one, key = (way, 1), (way, many)
        print(
            f"| {way if way == 'as shipped' else f'+{args.inject_us} us a request, {way}'}"
            f" | {wall[one]:.2f} s | {wall[key]:.2f} s"
            f" | {client[one]:.2f} / {client[key]:.2f} s | {fleet[one]:.2f} / {fleet[key]:.2f} s |"
        )
    base, single = ("as shipped", many), ("as shipped", 1)
    for side, cpu in (("client", client), ("simulator", fleet)):
        added = cpu[(side, many)] - cpu[base]
        gained = wall[(side, many)] - wall[base]
        share = gained / added if added > 0 else float("nan")
        print(
            f"\n{side}: +{added:.2f} s CPU at {many} nodes -> wall {gained:+.2f} s"
            f" ({share:.2f} s of wall time per CPU second added)"
        )
    extra_client = client[base] - client[single]
    extra_fleet = fleet[base] - fleet[single]
    print(
        f"\nas shipped, {many} nodes against 1: wall +{wall[base] - wall[single]:.2f} s;"
        f" CPU +{extra_client:.2f} s psrunbook, +{extra_fleet:.2f} s simulator"
        f" (never overlapping: +{extra_client + extra_fleet:.2f} s of wall;"
        f" always: +{max(extra_client, extra_fleet):.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
