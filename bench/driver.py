"""psrunbook's own path for the benchmarks: plan, run session, journal and logging, no CLI.

The CLI adds argument parsing and a console table around exactly this; driving the
run session directly lets a benchmark repeat runs inside one process and compare them with
raw pypsrp side by side, while still paying for everything a step costs: the script
rendered and linted at plan time, the transport, result parsing, two durable journal
writes and the ``step.finished`` event rendered as JSON to a log file.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from bench.lab import Lab
from psrunbook.execution.outcome import RunReport
from psrunbook.execution.session import RunSession
from psrunbook.journal import Journal
from psrunbook.journal_model import RunJournal
from psrunbook.logging import configure_logging, reset_logging
from psrunbook.runbook.model import Runbook, Step, Target
from psrunbook.runbook.planner import Plan, build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.runbooks._ssis.results import ClusterReportResult, SsisServicesResult
from psrunbook.runbooks.cluster_report import ssis_service_keys
from psrunbook.templates import TemplateLibrary
from psrunbook.transport.base import Transport
from psrunbook.transport.psrp import PsrpTransport


class NoParameters(BaseModel):
    """The benchmark runbooks take no parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def services_step(index: int) -> Step:
    """The SSIS services probe of ``cluster-report``: registry and service reads."""
    names, keys = ssis_service_keys()
    return Step(
        name=f"services-{index}",
        title="SSIS services",
        template="ssis/get_ssis_services.ps1.j2",
        target=Target.ANY_NODE,
        arguments={"ServiceNames": names, "ConfigKeys": keys},
        changes=False,
        result=SsisServicesResult,
    )


def report_step(index: int) -> Step:
    """The cluster report probe: nodes, groups and resources."""
    return Step(
        name=f"report-{index}",
        title="Cluster report",
        template="cluster/get_cluster_report.ps1.j2",
        target=Target.ANY_NODE,
        changes=False,
        result=ClusterReportResult,
    )


def probe_runbook(steps: Sequence[Step], name: str = "bench-probes") -> Runbook:
    """A runbook of read-only steps, so every repetition finds the same cluster."""
    frozen = tuple(steps)

    def build(params: Any, inventory: Any) -> Sequence[Step]:
        del params, inventory
        return frozen

    return Runbook(
        name=name, summary="benchmark probes", parameters=NoParameters, build_steps=build
    )


def same_steps(count: int) -> list[Step]:
    return [services_step(i) for i in range(1, count + 1)]


def mixed_steps(count: int) -> list[Step]:
    makers = itertools.cycle((services_step, report_step))
    return [make(i) for i, make in zip(range(1, count + 1), makers, strict=False)]


def plan_for(runbook: Runbook, lab: Lab, library: TemplateLibrary) -> Plan:
    return build_plan(runbook, NoParameters(), lab.inventory, library)


@dataclass
class PsrunbookRunner:
    """Runs plans the way ``psrunbook run`` does (one run session), into one journal."""

    lab: Lab
    session: RunSession
    runs: int = 0

    def run(self, plan: Plan, *, transport: Transport | None = None) -> RunReport:
        self.runs += 1
        if transport is None:
            transport = PsrpTransport(self.lab.inventory, password=self.lab.password)
        prepared = self.session.prepare_plan(plan, self.lab.inventory)
        report = self.session.run(prepared, transport, run_id=f"bench-{self.runs:06d}")
        if report.failed:
            first = report.first_failure()
            raise RuntimeError(f"benchmark run failed: {first[1].message if first else '?'}")
        return report


@contextmanager
def psrunbook_runner(
    lab: Lab, work: Path, journal: RunJournal | None = None
) -> Iterator[PsrunbookRunner]:
    """Journal in ``work/state`` (or ``journal``, left open); JSON log lines to
    ``work/run.log`` and to the null device.

    The null device stands in for the terminal the CLI writes its console events to.
    """
    with Path(os.devnull).open("w", encoding="utf-8") as console:
        configure_logging(fmt="json", log_file=work / "run.log", stream=console)
        try:
            with contextlib.ExitStack() as stack:
                if journal is None:
                    journal = stack.enter_context(Journal.open(work / "state"))
                session = RunSession(journal, RunbookRegistry.discover(), TemplateLibrary())
                yield PsrunbookRunner(lab, session)
        finally:
            reset_logging()
