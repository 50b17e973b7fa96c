"""The run session: plans, starts or resumes, executes and finishes one run against a journal.

Every caller runs a runbook the same way: the ``run``, ``plan`` and ``resume`` commands,
the benchmarks, and next a fleet worker running the same runs as durable workflows. So
the rules that make a run trustworthy live here, once:

* what is refused before anything touches a node: an unknown runbook, a resume of another
  runbook or without its approved bundle, a resume whose runbook version, parameters,
  inventory or bundle changed. Parameters are compared by the sha256 of their public
  (secret-masked) form in canonical JSON, the spelling a bundle hashes too;
* where parameters come from: the lab's answers (the runbook's ``lab_defaults`` hook,
  ``--sim`` only) < the journal's (its ``history_defaults`` hook, new runs only) < the
  resumed run's or the approved bundle's < file < ``-p``, secrets from the environment;
* what is done: a step is done on a node when its latest apply attempt there succeeded
  (:meth:`RunJournal.step_status`). Checks never count, and an attempt left ``running`` by a
  crash is unknown: it is re-checked, never skipped. Its pipeline may still run on the node (WinRM
  does not stop a pipeline whose client vanished): a resume waits for it to end, or
  stops it, before the step's next script is sent there (:mod:`.left_running`).

The session prints nothing and knows no terminal. Its caller sets up the target and the
transport, asks for a confirmation if it wants one, and watches the steps through the
``progress`` callback. Each phase takes and returns typed, immutable values, and what is
done is read back from the journal at every :meth:`RunSession.execute`, so a worker can
drive the phases, and the steps one by one (``through``), in separate calls, and repeat
an interrupted one safely.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec.structs import replace

from psrunbook.canonical_json import canonical_json
from psrunbook.errors import BundleError, ClusterMismatch, JournalError, ParameterError
from psrunbook.execution.identity import PinnedId, verify_cluster
from psrunbook.execution.interrupts import StopSignal
from psrunbook.execution.left_running import LeftPipeline, left_by_other_runs, left_running
from psrunbook.execution.orchestrator import Progress, Runner, RunOptions
from psrunbook.execution.outcome import RunReport, Status, StepOutcome
from psrunbook.holds import HoldStore, RunHold, cluster_resource, run_resource, take_hold
from psrunbook.journal import new_run_id
from psrunbook.logging import get_logger, os_user
from psrunbook.runbook.parameters import (
    load_params_file,
    parse_assignments,
    public_parameters,
    secret_env_name,
    secret_fields,
    secrets_from_environment,
    validate_parameters,
)
from psrunbook.runbook.planner import Plan, build_plan
from psrunbook.secrets import MASK

if TYPE_CHECKING:
    from pydantic import BaseModel

    from psrunbook.bundle import VerifiedBundle
    from psrunbook.inventory import Inventory
    from psrunbook.journal_model import RunJournal, RunMode, RunOutcome, RunRecord
    from psrunbook.plan_file import PlanFile
    from psrunbook.runbook.lab import LabFacts, LabVariant
    from psrunbook.runbook.model import Runbook
    from psrunbook.runbook.registry import RunbookRegistry
    from psrunbook.templates import TemplateLibrary
    from psrunbook.transport.base import Transport


class RunRequest(msgspec.Struct, frozen=True):
    """What to run: a runbook by name, an approved bundle, or a journaled run to continue."""

    runbook: str | None = None
    assignments: tuple[str, ...] = ()
    """``key=value`` texts (the CLI's ``-p``); a list parameter takes one per item."""
    params_file: Path | None = None
    bundle: Path | None = None
    """Run exactly this approved bundle (its parameters: ``assignments`` and
    ``params_file`` are refused beside it)."""
    expect_sha256: str | None = None
    """The approved manifest sha256: any other bundle is refused (needs ``bundle``)."""
    resume: str | None = None
    """The id of a journaled run to continue."""
    check_only: bool = False
    """A plan: every step runs with ``-CheckOnly`` and changes nothing."""
    plan: PlanFile | None = None
    """Run exactly this saved plan (its parameters; refused if what it pinned changed)."""


class ExecutionLimits(msgspec.Struct, frozen=True):
    """How hard a run may push: nodes at once, seconds per step, retries and their backoff.

    The caller's choice (a CLI option, a fleet worker's own cap), never part of what runs
    or of the run's identity: a resume may use other limits than the run it continues.
    """

    parallel: int = 8
    step_timeout_s: float = 600.0
    step_timeout_given: bool = False
    """The operator chose ``step_timeout_s``: it caps every step, also one that waits by
    design for longer (:meth:`~psrunbook.runbook.model.Step.timeout_s`)."""
    retries: int = 2
    backoff_s: float = 1.0
    stop_grace_s: float | None = None
    """After an interrupt, how long running scripts may take to stop before they are
    journaled as interrupted and left behind; None: the orchestrator's 5 s."""


def timeout_notices(prepared: PreparedRun, limits: ExecutionLimits) -> list[str]:
    """A line for each step that waits by design longer than ``--step-timeout`` allows:
    under the default it may take its wait plus 30 s; under a ``--step-timeout`` the
    operator gave, that cap ends it first (:meth:`~psrunbook.runbook.model.Step.timeout_s`).
    None for a plan, which waits for nothing."""
    if prepared.check_only:
        return []
    notices = []
    cap = limits.step_timeout_s
    for planned in prepared.plan.steps:
        step = planned.step
        needed = step.timeout_s(cap)
        if needed <= cap:
            continue
        assert step.waits_up_to_s is not None  # only a waiting step needs more
        setting = f", set by {step.wait_parameter}" if step.wait_parameter else ""
        if limits.step_timeout_given:
            notices.append(
                f"step {planned.slug} waits up to {step.waits_up_to_s:g} s{setting}, but "
                f"--step-timeout {cap:g} s ends it first: give --step-timeout {needed:g} or "
                "more to let it wait"
            )
        else:
            notices.append(
                f"step {planned.slug} may take up to {needed:g} s on a node (it waits up to "
                f"{step.waits_up_to_s:g} s{setting}, plus 30 s), longer than the default "
                f"--step-timeout {cap:g} s"
            )
    return notices


class RunIntent(msgspec.Struct, frozen=True):
    """A request resolved before any target exists: the runbook and the parameters given."""

    runbook: Runbook
    check_only: bool
    earlier: Mapping[str, Any]
    """The resumed run's or the bundle's parameters, masked secrets left out."""
    file_values: Mapping[str, Any] | None = None
    file_name: str | None = None
    """The ``--params-file`` the file values came from, named with a problem in one."""
    assignments: tuple[str, ...] = ()
    resumes: RunRecord | None = None
    bundle: VerifiedBundle | None = None
    plan: PlanFile | None = None

    def given(self) -> dict[str, Any]:
        """The parameters given, unvalidated: earlier < file < ``-p`` (as text)."""
        return {
            **self.earlier,
            **(self.file_values or {}),
            **parse_assignments(self.runbook.parameters, self.assignments),
        }

    def lab_variant(self) -> LabVariant:
        """The simulated lab this run needs, should a new one be built (``--sim``)."""
        return self.runbook.lab_variant_for(self.given())


class PreparedRun(msgspec.Struct, frozen=True):
    """A plan ready to run, with the identity the journal records; no node touched yet."""

    plan: Plan
    check_only: bool
    parameters: Mapping[str, Any]
    """Public parameters: every secret replaced by the mask."""
    parameters_sha256: str
    inventory_sha256: str
    user: str | None
    bundle_sha256: str | None = None
    resumes: RunRecord | None = None
    """The journaled run this one continues, already proven resumable."""
    cluster: str | None = None
    """The inventory's cluster name: every event and the journal name it."""
    insecure: Mapping[str, str] = msgspec.field(default_factory=dict)
    """Node -> why reaching it is unsafe (the transport refuses it without ``--insecure``)."""
    approved_cluster: str | None = None
    """The cluster an approved bundle was exported for: the cluster itself must say so."""
    inventory_path: str | None = None
    """The inventory file (absolute), journaled so ``resume`` needs no ``-i``; None: --sim."""
    sim: bool = False
    """The embedded simulated lab is the target (journaled for ``resume`` likewise)."""
    pinned_ids: tuple[PinnedId, ...] = ()
    """Cluster ids the cluster itself must answer: the bundle's, the inventory's, and the
    one the resumed run recorded when it started."""

    @property
    def mode(self) -> RunMode:
        return "plan" if self.check_only else "run"

    @property
    def changes(self) -> bool:
        """The run may change its cluster: it applies, and some step changes something."""
        return not self.check_only and any(s.step.changes for s in self.plan.steps)


class StartedRun(msgspec.Struct, frozen=True):
    """A run recorded in the journal: new, or resumed (outcome cleared, resume counted)."""

    run_id: str
    prepared: PreparedRun
    resumed: bool
    hold: RunHold | None = None
    """This process's hold on the run and its cluster, given back by :meth:`RunSession.finish`."""


class RunFrame(msgspec.Struct):
    """A run executed in several :meth:`RunSession.execute` calls, one step each (a fleet
    worker's durable steps), framed as one run: one run model, so its events mean what
    ``run``'s mean.

    The first call logs ``run.started`` (``resumed`` when the run had attempts before
    this process took it up); no call logs ``run.finished``: :meth:`RunSession.end_frame`
    does, once, with every step outcome of the calls and the time since the first. The
    caller keeps the frame for as long as it executes the run (a worker restarted, or
    taking the run over, makes a new one and logs ``run.started`` again, as ``resume``
    would).
    """

    resumed: bool = False
    announced: bool = False
    """``run.started`` was logged (and an approved bundle's cluster verified)."""
    started_ns: int = msgspec.field(default_factory=time.monotonic_ns)
    steps: list[StepOutcome] = msgspec.field(default_factory=list)
    """Step outcomes of this frame's calls; steps done before it are left out."""


class _FramedRunner(Runner):
    """A Runner for one call of a framed run: the frame, not the call, logs the run's
    start and end (the Runner logs both around each call)."""

    def __init__(self, *args: Any, frame: RunFrame, whole: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._frame = frame
        self._whole = whole
        """The run's plan: this call's is cut at its step, and ``run.started`` counts all."""

    def _log_started(self, run_id: str, *, resumed: bool) -> None:
        if not self._frame.announced:
            self._frame.announced = True
            cut, self.plan = self.plan, self._whole
            try:
                super()._log_started(run_id, resumed=self._frame.resumed or resumed)
            finally:
                self.plan = cut

    def _log_run_finished(self, run_id: str, report: RunReport, duration_ns: int) -> None:
        self._frame.steps.extend(
            step
            for step in report.steps
            if any(t.status is not Status.DONE_EARLIER for t in step.targets)
        )

    def log_frame_finished(self, run_id: str, outcome: RunOutcome) -> None:
        """The framed run's one ``run.finished``."""
        report = RunReport(
            run_id=run_id,
            check_only=self.options.check_only,
            steps=list(self._frame.steps),
            interrupted=outcome == "interrupted",
        )
        super()._log_run_finished(run_id, report, time.monotonic_ns() - self._frame.started_ns)


class RunSession:
    """Plans, runs, resumes and finishes runs against one journal.

    The phases, in order: :meth:`resolve` (no target needed), :meth:`prepare` (the plan,
    against an inventory), :meth:`start`, :meth:`execute` (once, or once per step), and
    :meth:`finish`; :meth:`run` does the last three in one call.
    """

    def __init__(
        self,
        journal: RunJournal,
        registry: RunbookRegistry,
        library: TemplateLibrary,
        *,
        holds: HoldStore | None = None,
    ) -> None:
        self.journal = journal
        self.registry = registry
        self.library = library
        self.holds: HoldStore = holds if holds is not None else journal
        """Where runs and clusters are held (the journal; a fleet passes its own store)."""

    # ------------------------------------------------------------------ planning

    def resolve(self, request: RunRequest) -> RunIntent:
        """Find the runbook, the run to continue and the parameters given, or refuse.

        Runs before any target is set up: a target may depend on it (the simulated lab's
        variant), and a request that cannot run should not start one.
        """
        resumes = self.journal.run(request.resume) if request.resume else None
        if resumes is not None and request.runbook and request.runbook != resumes.runbook:
            raise JournalError(f"run {resumes.run_id} ran {resumes.runbook}, not {request.runbook}")
        if resumes is not None and resumes.bundle_sha256 and request.bundle is None:
            raise JournalError(
                f"run {resumes.run_id} ran an approved bundle: resume it with --bundle DIR"
            )
        if request.expect_sha256 is not None and request.bundle is None:
            raise ParameterError(
                "--expect-sha256 pins an approved bundle: give the bundle with --bundle DIR"
            )
        if request.plan is not None:  # first: it refuses a --bundle beside it
            return self._resolve_saved(request, request.plan)
        if request.bundle is not None:
            return self._resolve_bundle(request, request.bundle, resumes)
        name = resumes.runbook if resumes is not None else request.runbook
        if name is None:
            raise ParameterError("name a runbook (see `psrunbook list`) or give --bundle DIR")
        runbook = self.registry.get(name)
        return RunIntent(
            runbook=runbook,
            check_only=request.check_only,
            earlier=_without_masked(runbook, resumes.parameters) if resumes is not None else {},
            file_values=load_params_file(request.params_file) if request.params_file else None,
            file_name=str(request.params_file) if request.params_file else None,
            assignments=request.assignments,
            resumes=resumes,
        )

    def _resolve_bundle(
        self, request: RunRequest, directory: Path, resumes: RunRecord | None
    ) -> RunIntent:
        """An approved bundle's runbook and parameters; no other may be given beside them."""
        where = f"--bundle {directory}"
        if request.assignments or request.params_file is not None:
            raise ParameterError(
                f"{where} fixes the parameters it was exported with: leave out -p and "
                "--params-file, or export a new bundle with them (`psrunbook export`)"
            )
        # Only a run from an approved bundle loads the bundle code (issue 16).
        from psrunbook.bundle import verify_bundle  # noqa: PLC0415

        try:
            bundle = verify_bundle(directory, expected_sha256=request.expect_sha256)
        except BundleError as exc:
            # A bundle that is not the one approved (files changed, another hash) may be
            # tampering: the SIEM sees the refusal, not only the operator's terminal.
            get_logger("psrunbook.run").error(
                "bundle.refused",
                action="bundle.refused",
                outcome="failure",
                bundle=str(directory),
                expected_sha256=request.expect_sha256,
                reason=str(exc),
            )
            raise
        name = bundle.manifest.runbook.name
        if request.runbook is not None and request.runbook != name:
            raise ParameterError(
                f"{where} is a bundle of {name}, not {request.runbook}: leave out the "
                "runbook name, or give that runbook's bundle"
            )
        runbook = self.registry.get(name)
        return RunIntent(
            runbook=runbook,
            check_only=request.check_only,
            earlier=_without_masked(runbook, bundle.manifest.parameters),
            resumes=resumes,
            bundle=bundle,
        )

    def _resolve_saved(self, request: RunRequest, saved: PlanFile) -> RunIntent:
        """A saved plan's runbook and parameters; nothing may be given beside them."""
        where = f"--plan {saved.path}"
        if request.bundle is not None or request.resume is not None:
            raise ParameterError(
                f"{where} runs a saved plan: give no --bundle and no run to resume"
            )
        if request.assignments or request.params_file is not None:
            raise ParameterError(
                f"{where} fixes the parameters it was made with: leave out -p and "
                "--params-file, or make a new plan with them (`psrunbook plan -o FILE`)"
            )
        if request.runbook is not None and request.runbook != saved.saved.runbook:
            raise ParameterError(
                f"{where} is a plan of {saved.saved.runbook}, not {request.runbook}: "
                "leave out the runbook name, or give that runbook's plan"
            )
        runbook = self.registry.get(saved.saved.runbook)
        absent = [
            secret_env_name(name)
            for name in secret_fields(runbook.parameters)
            if saved.saved.parameters.get(name) == MASK
            and name not in secrets_from_environment(runbook.parameters)
        ]
        if absent:
            raise ParameterError(
                f"{where} never holds secrets: set {', '.join(absent)} as when it was planned"
            )
        return RunIntent(
            runbook=runbook,
            check_only=request.check_only,
            earlier=_without_masked(runbook, saved.saved.parameters),
            plan=saved,
        )

    def prepare(
        self, intent: RunIntent, inventory: Inventory, lab: LabFacts | None = None
    ) -> PreparedRun:
        """Validate the parameters, render and lint every step; prove a resume allowed.

        ``lab`` is the simulated lab's facts when the run targets it: the runbook's own
        hook turns them into defaults. A bundle's parameters are final and take none.
        """
        runbook = intent.runbook
        defaults: dict[str, Any] = {}
        if lab is not None and intent.bundle is None:
            defaults.update(runbook.lab_defaults_for(lab, intent.given()))
        if intent.bundle is None and intent.resumes is None and intent.plan is None:
            # A new run only: a resume, a saved plan and a bundle keep what they recorded.
            known = {**defaults, **intent.given()}
            defaults.update(
                runbook.history_defaults_for(self.journal, inventory.cluster.name, known)
            )
        defaults.update(intent.earlier)
        params = validate_parameters(
            runbook.parameters,
            defaults=defaults,
            file_values=intent.file_values,
            assignments=intent.assignments,
            source=f"parameters for {runbook.name}",
            file_name=intent.file_name,
        )
        if intent.bundle is None:
            plan = build_plan(runbook, params, inventory, self.library)
            bundle_sha256 = None
        else:
            from psrunbook.bundle import plan_from_bundle  # noqa: PLC0415 (as in resolve)

            plan = plan_from_bundle(intent.bundle, runbook, params, inventory, self.library)
            bundle_sha256 = intent.bundle.manifest_sha256
        prepared = self.prepare_plan(
            plan,
            inventory,
            check_only=intent.check_only,
            bundle_sha256=bundle_sha256,
            resumes=intent.resumes,
            sim=lab is not None,
        )
        if intent.plan is not None:
            # Only ``run --plan`` needs it: its pydantic models were about 35 ms of start-up.
            from psrunbook.plan_file import check_plan  # noqa: PLC0415

            check_plan(intent.plan.saved, prepared, intent.plan.path)
        if intent.bundle is None:
            return prepared
        approved = intent.bundle.manifest.inventory
        pinned = prepared.pinned_ids
        if approved.cluster_id is not None:
            pin = PinnedId(approved.cluster_id, "the approved bundle", _BUNDLE_FIX)
            pinned = (pin, *pinned)
        return replace(prepared, approved_cluster=approved.cluster, pinned_ids=pinned)

    def prepare_plan(
        self,
        plan: Plan,
        inventory: Inventory,
        *,
        check_only: bool = False,
        bundle_sha256: str | None = None,
        resumes: RunRecord | None = None,
        sim: bool = False,
    ) -> PreparedRun:
        """A plan built elsewhere (a benchmark, a worker), with the identity of its run."""
        public = public_parameters(plan.params)
        prepared = PreparedRun(
            plan=plan,
            check_only=check_only,
            parameters=public,
            parameters_sha256=parameters_sha256(plan.params),
            inventory_sha256=inventory.sha256,
            user=inventory.connection.username,
            bundle_sha256=bundle_sha256,
            resumes=resumes,
            cluster=inventory.cluster.name,
            insecure=_insecure_settings(inventory),
            inventory_path=None if sim else str(inventory.path.resolve()),
            sim=sim,
            pinned_ids=_pinned_ids(inventory, resumes),
        )
        if resumes is not None:
            _check_resumable(resumes, prepared)
        return prepared

    # ------------------------------------------------------------------ running

    def start(
        self, prepared: PreparedRun, *, run_id: str | None = None, submitted: bool = False
    ) -> StartedRun:
        """Hold the run and its cluster, then record a new run (with ``run_id``, e.g. a
        workflow's, or a fresh one) or a resume; ``submitted``: ``submit`` records it for a
        fleet (journaled with the run, see :meth:`RunJournal.start_run`).

        The hold comes first: a second process resuming the same run, or running on the
        same cluster, is refused (:class:`~psrunbook.errors.RunHeld`, naming the holder)
        before it records or applies anything. :meth:`finish` gives it back.

        A run that reaches a node through an unsafe setting (accepted with ``--insecure``,
        or the transport would have refused it) records that in the journal and logs it
        as a ``connection.insecure`` warning per node, before any step runs.
        """
        if prepared.resumes is not None:
            if run_id is not None and run_id != prepared.resumes.run_id:
                raise ValueError(f"run {run_id} cannot resume run {prepared.resumes.run_id}")
            run_id = prepared.resumes.run_id
        else:
            run_id = run_id or new_run_id()
        hold = self._hold(run_id, prepared)
        try:
            if prepared.resumes is not None:
                # Read again under the hold: another process may have finished it meanwhile.
                _check_resumable(self.journal.run(run_id), prepared)
                self.journal.mark_resumed(run_id, insecure=prepared.insecure)
                _log_insecure(run_id, prepared)
                return StartedRun(run_id, prepared, resumed=True, hold=hold)
            self.journal.start_run(
                run_id=run_id,
                runbook=prepared.plan.runbook.name,
                runbook_version=prepared.plan.runbook.version,
                mode=prepared.mode,
                parameters=prepared.parameters,
                parameters_sha256=prepared.parameters_sha256,
                inventory_sha256=prepared.inventory_sha256,
                bundle_sha256=prepared.bundle_sha256,
                user=prepared.user,
                cluster=prepared.cluster,
                os_user=os_user(),
                insecure=prepared.insecure,
                inventory_path=prepared.inventory_path,
                sim=prepared.sim,
                submitted=submitted,
            )
        except BaseException:
            hold.release()
            raise
        _log_insecure(run_id, prepared)
        return StartedRun(run_id, prepared, resumed=False, hold=hold)

    def _hold(self, run_id: str, prepared: PreparedRun) -> RunHold:
        resources = [run_resource(run_id)]
        if prepared.cluster and prepared.changes:  # a run that changes nothing holds no cluster
            resources.append(cluster_resource(prepared.cluster))
        return take_hold(self.holds, resources, run_id=run_id, now=datetime.now(UTC))

    def done_steps(self, run_id: str) -> dict[int, frozenset[str]]:
        """The nodes each step is done on: where its latest attempt that counts succeeded.

        ``running`` (a crash), ``failed`` and check attempts of a run never make a step
        done, so an unknown outcome is looked at again rather than assumed.
        """
        return done_from_status(self.journal.step_status(run_id))

    def execute(
        self,
        started: StartedRun,
        transport: Transport,
        *,
        limits: ExecutionLimits = ExecutionLimits(),
        progress: Progress | None = None,
        through: int | None = None,
        stop: StopSignal | None = None,
        frame: RunFrame | None = None,
        done: Mapping[int, frozenset[str]] | None = None,
    ) -> RunReport:
        """Run every step not done yet, or only those up to ``through`` (a step's index).

        What is done is read from the journal on every call, so calling again after an
        interruption continues rather than repeats; a caller that executed the earlier
        calls itself may pass ``done`` instead (:func:`done_after`), saving the read. A
        resumed run re-checks its first unfinished step before applying it (on every call,
        when driven step by step).
        With a ``frame``, the calls are one run: ``run.started`` is logged by the first,
        ``run.finished`` by :meth:`end_frame`, and an approved bundle's cluster is
        verified once.
        """
        prepared = started.prepared
        plan = prepared.plan
        if (prepared.approved_cluster is not None or prepared.pinned_ids) and (
            frame is None or not frame.announced
        ):
            self._verify_cluster(started, transport)
        if through is not None:
            plan = replace(plan, steps=tuple(s for s in plan.steps if s.index <= through))
        runner = self._runner(started, plan, transport, limits, progress, stop, frame)
        if done is None:
            done = self.done_steps(started.run_id)
        return runner.run(
            started.run_id,
            done=done,
            recheck_first=started.resumed,
            left=self._left_pipelines(started, done),
        )

    def _left_pipelines(
        self, started: StartedRun, done: Mapping[int, frozenset[str]]
    ) -> list[LeftPipeline]:
        """What earlier runs may have left running on the nodes, to end before this run
        sends scripts there: its own attempts whose end it never saw (a resume), and, for
        a run that changes the cluster, other runs' such attempts (a crash, a lost
        connection or an interrupt; :mod:`psrunbook.execution.left_running`)."""
        left = []
        if started.resumed:
            left = left_running(self.journal.attempts(started.run_id), done)
        prepared = started.prepared
        if prepared.cluster and prepared.changes:
            others = self.journal.open_pipelines(prepared.cluster, other_than=started.run_id)
            left += left_by_other_runs(others)
        return left

    def end_frame(
        self, started: StartedRun, transport: Transport, frame: RunFrame, outcome: RunOutcome
    ) -> None:
        """Record how a framed run ended and log its one ``run.finished``.

        Only a frame that logged ``run.started`` logs it: a run refused before any step
        (a rejected approval) is journaled as ended but was never started.
        """
        self.journal.finish_run(started.run_id, outcome)
        if frame.announced:
            runner = self._runner(
                started, started.prepared.plan, transport, ExecutionLimits(), None, None, frame
            )
            assert isinstance(runner, _FramedRunner)
            runner.log_frame_finished(started.run_id, outcome)

    def _runner(
        self,
        started: StartedRun,
        plan: Plan,
        transport: Transport,
        limits: ExecutionLimits,
        progress: Progress | None,
        stop: StopSignal | None,
        frame: RunFrame | None,
    ) -> Runner:
        prepared = started.prepared
        options = RunOptions(
            check_only=prepared.check_only,
            parallel=limits.parallel,
            step_timeout_s=limits.step_timeout_s,
            step_timeout_given=limits.step_timeout_given,
            retries=limits.retries,
            backoff_s=limits.backoff_s,
            stop_grace_s=limits.stop_grace_s,
            bundle_sha256=prepared.bundle_sha256,
            cluster=prepared.cluster,
            user=prepared.user,
        )
        if frame is None:
            return Runner(
                plan, transport, self.journal, self.library, options, progress=progress, stop=stop
            )
        return _FramedRunner(
            plan,
            transport,
            self.journal,
            self.library,
            options,
            progress=progress,
            stop=stop,
            frame=frame,
            whole=prepared.plan,
        )

    def _verify_cluster(self, started: StartedRun, transport: Transport) -> None:
        """Before any step of a bundle run, or of a run with a pinned cluster id: the
        cluster itself must be the approved (or the same) one.

        A mismatch ends the run as failed in the journal (nothing ran) and is refused
        with both clusters named; the name and id that answered are logged either way,
        and the id is recorded with the run, which every resume must then find again.
        """
        prepared = started.prepared
        log = get_logger("psrunbook.run")
        try:
            if prepared.approved_cluster is not None:
                identity = verify_cluster(
                    prepared.plan,
                    transport,
                    approved_for=prepared.approved_cluster,
                    pinned=prepared.pinned_ids,
                )
            else:
                identity = verify_cluster(
                    prepared.plan,
                    transport,
                    approved_for=prepared.cluster or "",
                    pinned=prepared.pinned_ids,
                    named_by="the inventory names",
                    fix=_INVENTORY_FIX,
                )
        except ClusterMismatch as exc:
            self.journal.finish_run(started.run_id, "failed")
            log.error(
                "cluster.mismatch",
                action="cluster.mismatch",
                outcome="failure",
                run_id=started.run_id,
                cluster=prepared.cluster,
                runbook=prepared.plan.runbook.name,
                user=prepared.user,
                bundle_sha256=prepared.bundle_sha256,
                reason=str(exc),
            )
            raise
        log.info(
            "cluster.verified",
            action="cluster.verified",
            run_id=started.run_id,
            cluster=identity.name,
            runbook=prepared.plan.runbook.name,
            user=prepared.user,
            cluster_id=identity.id,
            node=identity.node,
            bundle_sha256=prepared.bundle_sha256,
        )
        if prepared.resumes is None or prepared.resumes.cluster_id is None:
            self.journal.record_cluster_id(started.run_id, identity.id)

    def finish(self, started: StartedRun, report: RunReport) -> None:
        """Record how the run ended (again after each resume), and give back its hold."""
        try:
            self.journal.finish_run(started.run_id, report.outcome)
        finally:
            self.release(started)

    def release(self, started: StartedRun) -> None:
        """Give back the run's hold (done by :meth:`finish`; call it when a run is abandoned)."""
        if started.hold is not None:
            started.hold.release()

    def run(
        self,
        prepared: PreparedRun,
        transport: Transport,
        *,
        limits: ExecutionLimits = ExecutionLimits(),
        progress: Progress | None = None,
        run_id: str | None = None,
        stop: StopSignal | None = None,
    ) -> RunReport:
        """Start, execute every step and finish: a whole run in one call."""
        started = self.start(prepared, run_id=run_id)
        try:
            report = self.execute(started, transport, limits=limits, progress=progress, stop=stop)
        except BaseException:
            self.release(started)
            raise
        self.finish(started, report)
        return report


def done_from_status(statuses: Mapping[int, Mapping[str, str]]) -> dict[int, frozenset[str]]:
    """The nodes each step is done on, from the journal's latest status per step and node."""
    return {
        index: frozenset(node for node, status in nodes.items() if status == "succeeded")
        for index, nodes in statuses.items()
        if "succeeded" in nodes.values()
    }


def done_after(done: Mapping[int, frozenset[str]], report: RunReport) -> dict[int, frozenset[str]]:
    """What is done once ``report``'s attempts are journaled: the nodes whose attempt of a
    step succeeded join those done before (what :meth:`RunSession.done_steps` would read:
    a node is attempted only when not done, so its new attempt is its latest)."""
    after = dict(done)
    for step in report.steps:
        succeeded = {t.node for t in step.targets if t.status in (Status.CHANGED, Status.UNCHANGED)}
        if succeeded:
            after[step.planned.index] = after.get(step.planned.index, frozenset()) | succeeded
    return after


def parameters_sha256(params: BaseModel) -> str:
    """The journal's and resume's identity of a parameter set: secrets never enter it."""
    text = canonical_json(public_parameters(params))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _insecure_settings(inventory: Inventory) -> dict[str, str]:
    """Node -> why reaching it is unsafe, by the inventory's own rule; empty when all are safe."""
    reasons = {}
    for node in inventory.node_names:
        host, _, _ = inventory.endpoint_for(node)
        reason = inventory.connection.requires_insecure(host)
        if reason:
            reasons[node] = reason
    return reasons


def _log_insecure(run_id: str, prepared: PreparedRun) -> None:
    """One ``connection.insecure`` warning per node reached through an unsafe setting.

    ECS categorization: ``network`` / ``connection`` + ``allowed``, as a firewall logs a
    connection its policy let through: here the policy is psrunbook's own refusal of
    unsafe settings, and ``--insecure`` is what let it through.
    """
    log = get_logger("psrunbook.run")
    for node, reason in sorted(prepared.insecure.items()):
        log.warning(
            "connection.insecure",
            action="connection.insecure",
            category="network",
            event_type=("connection", "allowed"),
            run_id=run_id,
            cluster=prepared.cluster,
            runbook=prepared.plan.runbook.name,
            node=node,
            user=prepared.user,
            reason=reason,
        )


_BUNDLE_FIX = (
    "Run the bundle against the inventory of the approved cluster, or export a bundle "
    "for this cluster and have it reviewed"
)
_INVENTORY_FIX = (
    "Point the inventory at the cluster's own nodes, or, if the cluster was rebuilt on "
    "purpose, set its [cluster] id to the new `(Get-Cluster).Id`"
)


def _pinned_ids(inventory: Inventory, resumes: RunRecord | None) -> tuple[PinnedId, ...]:
    """The ids the cluster must answer: the inventory's, and the resumed run's first."""
    pinned = []
    if inventory.cluster.id is not None:
        pinned.append(
            PinnedId(inventory.cluster.id, "the inventory's [cluster] id", _INVENTORY_FIX)
        )
    if resumes is not None and resumes.cluster_id is not None:
        pinned.append(
            PinnedId(
                resumes.cluster_id,
                f"run {resumes.run_id} (recorded when it started)",
                "Resume the run only against the cluster it started on; on another cluster "
                "start a new run",
            )
        )
    return tuple(pinned)


def _without_masked(runbook: Runbook, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Recorded parameters as defaults; a masked secret comes again from the environment."""
    secrets = set(secret_fields(runbook.parameters))
    return {k: v for k, v in parameters.items() if not (k in secrets and v == MASK)}


def _check_resumable(resumes: RunRecord, prepared: PreparedRun) -> None:
    runbook = prepared.plan.runbook
    changed = []
    if resumes.mode != "run":
        changed.append(f"it was a {resumes.mode}, not a run")
    if resumes.runbook_version != runbook.version:
        changed.append(f"runbook version {resumes.runbook_version} -> {runbook.version}")
    if resumes.parameters_sha256 != prepared.parameters_sha256:
        changed.append("parameters differ")
    if resumes.inventory_sha256 != prepared.inventory_sha256:
        changed.append(
            f"inventory {resumes.inventory_path} changed since the run (its sha256 differs)"
            if resumes.inventory_path
            else "inventory differs (or the simulated lab was reset)"
        )
    if (resumes.bundle_sha256 or None) != prepared.bundle_sha256:
        changed.append("approved bundle differs")
    if changed:
        raise JournalError(
            f"run {resumes.run_id} cannot be resumed: {'; '.join(changed)}; start a new run instead"
        )
    if resumes.outcome == "succeeded":
        raise JournalError(f"run {resumes.run_id} already succeeded; nothing to resume")
