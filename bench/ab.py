"""Two installs of psrunbook side by side: the before and after of a change, in one run.

``python -m bench.ab OTHER_PSRUNBOOK`` alternates the ``psrunbook`` next to this
interpreter ("after") with another one ("before", e.g. the console script of a virtualenv
holding the previous commit, extracted with ``git archive``) on the same machine, in the
same minutes, so load falls on both alike:

* fan-out: ``ssis-standalone`` on 1, 32 and 64 nodes served by this install's
  ``psrunbook sim serve --latency-ms 20`` (both clients reach the same fleets);
* the full run: ``run ssis-clustered --sim --yes`` in a fresh state directory (issue
  16's figure: a new lab, every change applied) and on an applied lab (a no-change run),
  wall and CPU; and ``run cluster-report --sim --yes`` in a fresh state directory, a
  runbook with the same two read-only steps in every install since issue 16 was
  filed, so its ratio is the engine's and the lab's start-up alone, while
  ``ssis-clustered`` grew from 8 to 11 steps with the admin review's fixes;
* start-up: ``--help``, ``list``, ``show ssis-clustered``, CPU time (less noisy than wall
  time on a shared machine);
* the fresh full run after its imports: each install's interpreter imports every module
  that install's run imports, then runs it (``bench/after_imports_probe.py``), timed
  from then to the process's end: what a run does beyond loading code;
* render + lint: each install's interpreter (the one its console script names) runs
  ``bench/render_lint_probe.py``: distinct scripts rendered and linted per second with
  every cache cleared before each (each install's own runbooks' steps, as
  ``render_lint_uncached_per_s``), and the linter alone on the same texts (this install's
  distinct scripts) for both, so a change in what the templates render does not blur it.

It prints a Markdown table of medians. It has no goals: ``bench/run.py`` has them.
``--sections`` runs some of them (``fanout``, ``commands``, ``render-lint``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.cli_run import ChildRun, child_environment, run_child
from bench.common import script_path
from bench.fanout import RUNBOOK, _Target

SECTIONS = ("fanout", "commands", "render-lint")
PROBE = Path(__file__).resolve().with_name("render_lint_probe.py")
AFTER_IMPORTS_PROBE = Path(__file__).resolve().with_name("after_imports_probe.py")
FRESH_RUN = ("run", "ssis-clustered", "--sim", "--yes", "--state-dir")
FULL_RUN = "full run --sim, fresh state"
READ_ONLY_RUN = "read-only run --sim, fresh state (cluster-report)"
COMMANDS: tuple[tuple[str, list[str]], ...] = (
    (FULL_RUN, ["run", "ssis-clustered", "--sim", "--yes", "--state-dir", "{fresh}"]),
    (READ_ONLY_RUN, ["run", "cluster-report", "--sim", "--yes", "--state-dir", "{fresh}"]),
    (
        "full run --sim, applied lab",
        ["run", "ssis-clustered", "--sim", "--yes", "--state-dir", "{state}"],
    ),
    ("--help", ["--help"]),
    ("list", ["list"]),
    ("show", ["show", "ssis-clustered"]),
)
"""The commands timed side by side: ``{fresh}`` is a new state directory for every run,
``{state}`` one kept per install (its lab applied by the untimed first round)."""


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


def _wall_ratio(results: dict[tuple[str, str], list[ChildRun]], label: str) -> float:
    """Median wall time of ``label`` with the "after" install over the "before" one."""
    after = statistics.median(r.wall_s for r in results[("after", label)])
    return after / statistics.median(r.wall_s for r in results[("before", label)])


def interpreter_of(console_script: str) -> str:
    """The Python a console script runs on: the one its ``#!`` line names (pip writes it),
    else the ``python`` beside it."""
    path = Path(console_script)
    try:
        with path.open("rb") as file:
            first = file.readline().decode("utf-8", "replace").strip()
    except OSError:
        first = ""
    if first.startswith("#!") and "python" in Path(first[2:].split()[0]).name:
        return first[2:].split()[0]
    return str(path.with_name("python"))


def _probe(python: str, seconds: float, texts: Path, write: bool) -> dict[str, Any]:
    """One run of the render + lint probe in ``python`` (see :mod:`bench.render_lint_probe`)."""
    done = run_child(
        [python, str(PROBE), "--seconds", str(seconds)]
        + (["--texts-out", str(texts)] if write else ["--texts-in", str(texts)])
    )
    if done.status != 0:
        raise SystemExit(f"render + lint probe failed in {python}:\n{done.output}")
    report: dict[str, Any] = json.loads(done.output.strip().splitlines()[-1])
    return report


def _render_lint(pythons: dict[str, str], rounds: int, work: Path) -> None:
    """Render + lint in each install, alternating; the same texts for the linter alone."""
    texts = work / "distinct-texts.json"
    _probe(pythons["after"], 0.2, texts, write=True)
    reports: dict[str, list[dict[str, Any]]] = {name: [] for name in pythons}
    for index in range(rounds):
        order = list(pythons) if index % 2 == 0 else list(pythons)[::-1]
        for name in order:
            reports[name].append(_probe(pythons[name], 2.0, texts, write=False))
    medians = {
        name: {
            key: statistics.median(r[key] for r in runs)
            for key in ("render_lint_uncached_per_s", "lint_same_texts_per_s")
        }
        for name, runs in reports.items()
    }
    own = [
        f"{medians[n]['render_lint_uncached_per_s']:,.0f}/s ({reports[n][0]['scripts']} "
        f"scripts, {reports[n][0]['distinct_texts']} distinct, "
        f"{reports[n][0]['mean_chars']:,.0f} chars)"
        for n in pythons
    ]
    same = [f"{medians[n]['lint_same_texts_per_s']:,.0f}/s" for n in pythons]
    print(f"| render + lint, no cache, own runbooks | {own[0]} | {own[1]} |")
    print(f"| lint alone, the same texts, no cache | {same[0]} | {same[1]} |")
    for key, label in (
        ("render_lint_uncached_per_s", "render + lint, after / before"),
        ("lint_same_texts_per_s", "lint alone, same texts, after / before"),
    ):
        ratio = medians["after"][key] / medians["before"][key]
        print(f"| {label} | | {ratio:.2f} x |")


def entry_of(console_script: str) -> str:
    """``module:function`` a pip-written console script calls (its ``from M import F``)."""
    text = Path(console_script).read_text(encoding="utf-8", errors="replace")
    found = re.search(r"^from ([\w.]+) import (\w+)$", text, re.MULTILINE)
    if found is None:
        raise SystemExit(f"{console_script}: no 'from MODULE import FUNCTION' line to call")
    return f"{found[1]}:{found[2]}"


def imported_modules(python: str, entry: str, state: Path, into: Path) -> None:
    """Write every module a fresh full run of ``entry`` had loaded when it ended, in the
    order they were loaded, to ``into``.

    Read from ``sys.modules`` as the process ends (at exit, or at the ``os._exit`` with
    which psrunbook skips the interpreter's teardown): ``-X importtime`` does not list a
    module loaded through ``importlib.import_module``, as pypsrp and the runbooks are.
    """
    module, function = entry.split(":")
    code = (
        "import atexit, importlib, os, sys\n"
        "def dump():\n"
        f"    with open({str(into)!r}, 'w', encoding='utf-8') as out:\n"
        "        out.write('\\n'.join(list(sys.modules)))\n"
        "atexit.register(dump)\n"
        "real_exit = os._exit\n"
        "def exit_after_dump(code):\n"
        "    dump()\n"
        "    real_exit(code)\n"
        "os._exit = exit_after_dump\n"
        "sys.argv = ['psrunbook', *sys.argv[1:]]\n"
        f"getattr(importlib.import_module({module!r}), {function!r})()\n"
    )
    done = subprocess.run(
        [python, "-c", code, *FRESH_RUN, str(state)],
        env=child_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not into.exists():
        raise SystemExit(f"{python}: the run for its module list failed:\n{done.stderr[-2000:]}")


def after_imports(python: str, modules: Path, entry: str, state: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a fresh full run from the moment its modules are imported
    to the end of its process (teardown included; see :mod:`bench.after_imports_probe`)."""
    with subprocess.Popen(
        [python, str(AFTER_IMPORTS_PROBE), str(modules), entry, "--", *FRESH_RUN, str(state)],
        env=child_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)  # its own CPU: Popen.wait has no rusage
        ended = time.monotonic()
        process.returncode = os.waitstatus_to_exitcode(status)
    ready = re.search(r"^READY (\S+) (\S+)$", errors, re.MULTILINE)
    if process.returncode != 0 or ready is None:
        raise SystemExit(f"{python}: the run after its imports failed:\n{errors[-2000:]}")
    return ended - float(ready[1]), usage.ru_utime + usage.ru_stime - float(ready[2])


def _after_imports(clients: dict[str, str], rounds: int, work: Path) -> None:
    """The fresh full run after its imports, each install alternated with the other."""
    entries = {name: entry_of(script) for name, script in clients.items()}
    pythons = {name: interpreter_of(script) for name, script in clients.items()}
    modules = {name: work / f"{name}-modules.txt" for name in clients}
    for name in clients:
        imported_modules(pythons[name], entries[name], work / f"{name}-imports", modules[name])
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    for index in range(rounds + 1):
        order = list(clients) if index % 2 == 0 else list(clients)[::-1]
        for name in order:
            state = work / f"{name}-after-imports-{index}"
            done = after_imports(pythons[name], modules[name], entries[name], state)
            if index:  # the first run of each writes its bytecode caches
                samples[name].append(done)
    walls = {name: statistics.median(w for w, _ in runs) for name, runs in samples.items()}
    cpus = {name: statistics.median(c for _, c in runs) for name, runs in samples.items()}
    cells = [f"{walls[n]:.2f} s (CPU {cpus[n] * 1000:.0f} ms)" for n in clients]
    print(f"| full run --sim, fresh state, after its imports | {cells[0]} | {cells[1]} |")
    print(
        f"| that, after / before | | {walls['after'] / walls['before']:.2f} x "
        f"(CPU {cpus['after'] / cpus['before']:.2f} x) |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("before", help="the other install's psrunbook console script")
    parser.add_argument("--nodes", default="1,32,64", help="fan-out node counts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"some of {', '.join(SECTIONS)}"
    )
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    if not sections <= set(SECTIONS):
        parser.error(
            f"--sections: {', '.join(sorted(sections - set(SECTIONS)))} unknown; "
            f"choose from {', '.join(SECTIONS)}"
        )
    clients = {"before": args.before, "after": script_path("psrunbook")}
    counts = [int(n) for n in args.nodes.split(",")] if "fanout" in sections else []
    print("| what | before | after |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        if "render-lint" in sections:
            _render_lint(
                {"before": interpreter_of(args.before), "after": sys.executable},
                args.rounds,
                work,
            )
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
        if "commands" not in sections:
            return 0
        results = _rounds(clients, args.rounds, COMMANDS, work)
        for label, _ in COMMANDS:
            cells = [
                f"{statistics.median(r.wall_s for r in results[(n, label)]):.2f} s (CPU "
                f"{statistics.median(r.cpu_s for r in results[(n, label)]) * 1000:.0f} ms)"
                for n in clients
            ]
            print(f"| {label} | {cells[0]} | {cells[1]} |")
        for label in (FULL_RUN, READ_ONLY_RUN):
            print(f"| {label}, after / before | | {_wall_ratio(results, label):.2f} x |")
        _after_imports(clients, args.rounds, work)
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
