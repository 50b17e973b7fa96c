"""A benchmark section measured in a new interpreter of its own.

``bench/run.py`` runs its sections one after the other in one process. A section that
measures Python work in that process (rendering and linting, the simulated PowerShell)
then runs on the heap the sections before it left (pools, labs, their objects), and
each garbage collection walks it: on 2026-12-03 render + lint read 10-15 % lower and the
evaluator's pipeline cost 10-30 % higher after the other sections than alone, on the
same code, a figure of the benchmark's order rather than of psrunbook. A ``plan`` or a
simulated node does this work in a process of its own, so these sections are measured
in one: the child runs the module's ``measure_here(profile)`` and hands back its figures
as JSON; the process id it ran in is kept in the section's raw numbers.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import sys
from typing import Any

from bench.common import ROOT, Figure, Goal, Profile, Section

PID_KEY = "measured_in_pid"


def section_in_own_process(module: str, profile: Profile) -> Section:
    """``module.measure_here(profile)``, run in a new interpreter, as a :class:`Section`."""
    code = "from bench.own_process import _measure_here_and_print\n_measure_here_and_print()\n"
    done = subprocess.run(
        [sys.executable, "-c", code, module, json.dumps(dataclasses.asdict(profile))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} exited {done.returncode}: {done.stderr[-2000:]}")
    data = json.loads(done.stdout.splitlines()[-1])
    figures = [
        Figure(
            key,
            figure["label"],
            float(figure["value"]),
            figure["unit"],
            None if figure["goal"] is None else Goal.from_json(figure["goal"]),
            figure["detail"],
        )
        for key, figure in data["figures"].items()
    ]
    return Section(data["name"], figures, data["raw"])


def _profile(fields: dict[str, Any]) -> Profile:
    """The profile back from JSON (its node counts were a tuple, JSON made them a list)."""
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    return Profile(**values)


def _measure_here_and_print() -> None:
    """The child's side: measure, then print the section as one JSON line."""
    module, profile = sys.argv[1], _profile(json.loads(sys.argv[2]))
    section: Section = importlib.import_module(module).measure_here(profile)
    document = {
        "name": section.name,
        "figures": {figure.key: figure.as_json() for figure in section.figures},
        "raw": {**section.raw, PID_KEY: os.getpid()},
    }
    sys.stdout.write(json.dumps(document, default=str) + "\n")
