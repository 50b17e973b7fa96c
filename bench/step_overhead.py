"""1. Per-step overhead: psrunbook against raw pypsrp on a reused RunspacePool.

Both variants run the same rendered script with the same values the same number of
times on the same simulated node, and both open and close one pool per repetition;
so the ratio is what psrunbook adds per step (transport bookkeeping, result parsing,
two durable journal writes, one JSON log event) relative to the remoting itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import Figure, Profile, Section, alternate, median, ratio_goal
from bench.driver import (
    plan_for,
    probe_runbook,
    psrunbook_runner,
    same_steps,
)
from bench.fleet import remote_lab
from bench.lab import Lab
from psrunbook.journal import Journal
from psrunbook.journal_model import RunJournal
from psrunbook.runbook.model import StepResult
from psrunbook.runbook.planner import Plan
from psrunbook.templates import TemplateLibrary
from psrunbook.transport.base import FakeTransport, ScriptCall
from psrunbook.transport.psrp import PsrpTransport


def raw_pypsrp(lab: Lab, plan: Plan, node: str) -> None:
    """Open one pool, run every step's script through it, close it: no psrunbook code."""
    from pypsrp.powershell import PowerShell, RunspacePool

    with RunspacePool(lab.wsman(node)) as pool:
        for planned in plan.steps:
            ps = PowerShell(pool)
            ps.add_script(planned.script.text)
            for name, value in planned.arguments.items():
                ps.add_parameter(name, value)
            output = ps.invoke()
            if ps.had_errors or ps.streams.error or not output:
                raise RuntimeError(f"raw pypsrp step failed: {ps.streams.error}")


LATENCIES_S = (0.0, 0.020)


class JournalProbe:
    """A step's two durable journal commits, without anything else (one journal, reused)."""

    def __init__(self, journal: RunJournal, prefix: str = "journal-probe") -> None:
        self._journal = journal
        self._prefix = prefix
        self._runs = 0

    def steps(self, count: int) -> None:
        self._runs += 1
        run_id = f"{self._prefix}-{self._runs}"
        self._journal.start_run(
            run_id=run_id,
            runbook="probe",
            runbook_version="1",
            mode="run",
            parameters={},
            parameters_sha256="0" * 64,
            inventory_sha256="0" * 64,
            bundle_sha256=None,
            user=None,
        )
        empty = StepResult()
        for index in range(count):
            attempt = self._journal.begin_attempt(
                run_id=run_id,
                step_index=index,
                step_name="probe",
                node="NODE1",
                script_sha256="0" * 64,
                check_only=False,
            )
            self._journal.finish_attempt(
                attempt, status="succeeded", changed=False, result=empty, errors=[], duration_ns=1
            )


def replay_transport(lab: Lab, plan: Plan) -> FakeTransport:
    """A transport that answers every step with a result captured from the node once.

    A run over it does everything psrunbook does per step except the remoting: result
    parsing, the journal and the log event.
    """
    session = PsrpTransport(lab.inventory, password=lab.password).open(plan.nodes[0])
    try:
        first = plan.steps[0]
        answer = session.run(ScriptCall(first.script.text, first.arguments, 60.0))
    finally:
        session.close()
    return FakeTransport(lambda node, call: answer, user=session.user)


def measure(profile: Profile) -> Section:
    section = Section("step overhead")
    library = TemplateLibrary()
    per_step: dict[str, dict[str, float]] = {}
    samples: dict[str, dict[str, list[float]]] = {}
    with remote_lab(2) as lab, tempfile.TemporaryDirectory() as tmp:
        plan = plan_for(probe_runbook(same_steps(profile.steps)), lab, library)
        node = plan.nodes[0]
        steps = len(plan.steps)
        replay = replay_transport(lab, plan)
        with psrunbook_runner(lab, Path(tmp)) as runner, Journal.open(Path(tmp) / "p") as j:
            probe = JournalProbe(j)
            for latency in LATENCIES_S:
                assert lab.set_latency is not None
                lab.set_latency(latency)
                label = f"{latency * 1000:g}ms"
                samples[label] = alternate(
                    {
                        "raw": lambda: raw_pypsrp(lab, plan, node),
                        "psrunbook": lambda: runner.run(plan),
                        "replayed": lambda: runner.run(plan, transport=replay),
                        "journal": lambda: probe.steps(steps),
                    },
                    profile.repetitions,
                    warmup=profile.warmup,
                )
                per_step[label] = {
                    name: median(values) / steps * 1000 for name, values in samples[label].items()
                }
                ratio = median(
                    [
                        b / a
                        for a, b in zip(
                            samples[label]["raw"], samples[label]["psrunbook"], strict=True
                        )
                    ]
                )
                ms = per_step[label]
                section.figures.append(
                    Figure(
                        "step_overhead_ratio" + ("" if latency == 0 else f"_{label}"),
                        f"per-step time psrunbook / raw pypsrp, {label} latency",
                        ratio,
                        "x",
                        ratio_goal("<=", 1.05, "issue 16"),
                        f"{ms['psrunbook']:.2f} ms vs {ms['raw']:.2f} ms per step, "
                        f"{steps} steps per run; psrunbook's own work (node's answer "
                        f"replayed) {ms['replayed']:.2f} ms, of which journal commits "
                        f"{ms['journal']:.2f} ms",
                    )
                )
    section.raw = {
        "steps_per_run": steps,
        "per_step_ms": per_step,
        "samples_s": samples,
    }
    return section
