"""Two installs of psrunbook side by side: the before and after of a change, in one run.

``python -m bench.ab OTHER_PSRUNBOOK`` alternates the ``psrunbook`` next to this
interpreter ("after") with another one ("before", e.g. the console script of a virtualenv
holding the previous commit, extracted with ``git archive``) on the same machine, in the
same minutes, so load falls on both alike:

* fan-out: ``ssis-standalone`` on 1, 32 and 64 nodes served by this install's
  ``psrunbook sim serve --latency-ms 20`` (both clients reach the same fleets);
* the full run: ``run ssis-clustered --sim --yes`` in a fresh state directory (issue
  16's figure: a new lab, every change applied) and on an applied lab (a no-change run),
  wall and CPU;
* start-up: ``--help``, ``list``, ``show ssis-clustered``, CPU time (less noisy than wall
  time on a shared machine).

It prints a Markdown table of medians. It has no goals: ``bench/run.py`` has them.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.cli_run import ChildRun, run_child
from bench.common import script_path
from bench.fanout import RUNBOOK, _Target


def _fanout(client: str, target: _Target, state: Path) -> ChildRun:
    return run_child(
        [
            client,
            "run",
            RUNBOOK,
            "-i",
            str(target.inventory),
            "--params-file",
            str(target.params),
            "--yes",
            "--parallel",
            str(target.nodes),
            "--state-dir",
            str(state),
        ],
        env={"PSRUNBOOK_SIM_PASSWORD": target.fleet.password},
    )


def _rounds(
    clients: dict[str, str], rounds: int, run: Sequence[tuple[str, list[str]]], work: Path
) -> dict[tuple[str, str], list[ChildRun]]:
    """Each (label, arguments) with each client, alternating, after one untimed run.

    ``{state}`` in the arguments is replaced by a state directory of the client's own,
    ``{fresh}`` by a new one for every run.
    """
    results: dict[tuple[str, str], list[ChildRun]] = {}
    for index in range(rounds + 1):
        order = list(clients) if index % 2 == 0 else list(clients)[::-1]
        for number, (label, arguments) in enumerate(run):
            for name in order:
                state = str(work / f"{name}-state")
                fresh = str(work / f"{name}-fresh-{index}-{number}")
                values = {"state": state, "fresh": fresh}
                done = run_child([clients[name], *(a.format(**values) for a in arguments)])
                if index:
                    results.setdefault((name, label), []).append(done)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("before", help="the other install's psrunbook console script")
    parser.add_argument("--nodes", default="1,32,64", help="fan-out node counts")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    clients = {"before": args.before, "after": script_path("psrunbook")}
    counts = [int(n) for n in args.nodes.split(",")]
    print("| what | before | after |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        targets = []
        for count in counts:
            targets.append(_Target(count, work))
            stack.callback(targets[-1].fleet.close)
        walls: dict[tuple[str, int], float] = {}
        for target in targets:
            samples: dict[str, list[ChildRun]] = {name: [] for name in clients}
            for index in range(args.rounds + 1):
                order = list(clients) if index % 2 == 0 else list(clients)[::-1]
                for name in order:
                    done = _fanout(clients[name], target, work / f"{name}-n{target.nodes}")
                    if index:  # the first run applies the configuration
                        samples[name].append(done)
            for name, runs in samples.items():
                walls[(name, target.nodes)] = statistics.median(r.wall_s for r in runs)
            cells = [
                f"{walls[(n, target.nodes)]:.2f} s (CPU "
                f"{statistics.median(r.cpu_s for r in samples[n]):.2f} s)"
                for n in clients
            ]
            print(f"| fan-out {target.nodes} nodes, 20 ms | {cells[0]} | {cells[1]} |")
        for count in counts[1:]:
            ratios = [walls[(n, count)] / walls[(n, counts[0])] for n in clients]
            print(f"| fan-out {count} / {counts[0]} | {ratios[0]:.2f} x | {ratios[1]:.2f} x |")
        commands = [
            (
                "full run --sim, fresh state",
                ["run", "ssis-clustered", "--sim", "--yes", "--state-dir", "{fresh}"],
            ),
            (
                "full run --sim, applied lab",
                ["run", "ssis-clustered", "--sim", "--yes", "--state-dir", "{state}"],
            ),
            ("--help", ["--help"]),
            ("list", ["list"]),
            ("show", ["show", "ssis-clustered"]),
        ]
        results = _rounds(clients, args.rounds, commands, work)
        for label, _ in commands:
            cells = [
                f"{statistics.median(r.wall_s for r in results[(n, label)]):.2f} s (CPU "
                f"{statistics.median(r.cpu_s for r in results[(n, label)]) * 1000:.0f} ms)"
                for n in clients
            ]
            print(f"| {label} | {cells[0]} | {cells[1]} |")
        for label in ("list", "show"):
            ratios = [
                statistics.median(r.cpu_s for r in results[(n, label)])
                / statistics.median(r.cpu_s for r in results[(n, "--help")])
                for n in clients
            ]
            print(f"| {label} / --help, CPU | {ratios[0]:.2f} x | {ratios[1]:.2f} x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
