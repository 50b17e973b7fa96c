"""The embedded simulated lab behind ``--sim``: a cluster that persists like a database.

``psrunbook run ssis-clustered --sim`` must work on a fresh install with nothing else
set up, and a second run must report no change. So the lab's state lives in the state
directory (``sim/lab.json``), is loaded when a command starts, served on loopback
endpoints for the command's duration, and saved when it ends. A lock file keeps two
commands from using one lab at once. Every lab has an id; resuming a run against a lab
that was reset since is refused, like resuming against a changed inventory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from psrunbook.errors import JournalError, UserError

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory
    from psrunbook.runbook.lab import LabFacts
    from psrunbook.sim.endpoint.http_server import SimFleet
    from psrunbook.sim.endpoint.negotiate_auth import AuthMode
    from psrunbook.sim.executor_protocol import (
        ExecutionContext,
        Executor,
        OutputSink,
        PipelineFailed,
        PipelineRequest,
    )
    from psrunbook.sim.lab.cluster_model import SimCluster

SIM_DIR = "sim"
LAB_FILE = "lab.json"
LAB_ID_FILE = "lab-id"
LOCK_FILE = "lock"
FAULT_FILE = "faults.json"
"""Endpoint faults to arm when the lab opens (:mod:`psrunbook.sim.lab.fault_file`)."""
DEFAULT_SQL_VERSION = "2019"


def lab_dir(state_dir: Path) -> Path:
    return state_dir / SIM_DIR


def reset_lab(state_dir: Path) -> bool:
    """Forget the lab; the next ``--sim`` command starts a fresh one. True if one existed."""
    directory = lab_dir(state_dir)
    if not directory.exists():
        return False
    with _LabLock(directory):
        for name in (LAB_FILE, LAB_ID_FILE):
            (directory / name).unlink(missing_ok=True)
    shutil.rmtree(directory, ignore_errors=True)
    return True


class _LabLock:
    """An exclusive, non-blocking lock on the lab directory."""

    def __init__(self, directory: Path) -> None:
        self._path = directory / LOCK_FILE
        self._handle: IO[str] | None = None

    def __enter__(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = self._path.open("a", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise JournalError(
                f"the simulated lab in {self._path.parent} is in use by another psrunbook "
                "command; wait for it to finish"
            ) from exc
        self._handle = handle

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()


class EmbeddedLab:
    """Loads (or creates) the lab, serves it on loopback, and saves it on exit."""

    def __init__(
        self,
        state_dir: Path,
        *,
        nodes: int = 2,
        sql_version: str | None = None,
        time_scale: float = 1.0,
        auth: AuthMode | None = None,
    ) -> None:
        self.directory = lab_dir(state_dir)
        self._auth = auth
        self._time_scale = time_scale
        self._nodes = nodes
        self._sql_version = sql_version
        self._lock = _LabLock(self.directory)
        self.cluster: SimCluster
        self.fleet: SimFleet
        self.inventory: Inventory
        self.password: str | None = secrets.token_urlsafe(24)
        """The lab user's password; None when the nodes take only Kerberos tickets."""
        self.lab_id = ""
        self.created = False
        self._saved: str | None = None
        """The state last written to (or loaded from) the lab file, as :meth:`_text`."""
        self.save_failure: JournalError | None = None
        """Set when the disk refused a save: the lab then runs no further pipeline."""
        self._sim_log = logging.getLogger("psrunbook.sim")
        self._sim_log_level = self._sim_log.level

    def __enter__(self) -> EmbeddedLab:
        from psrunbook.inventory import inventory_from_toml  # noqa: PLC0415 (simulator only)
        from psrunbook.secrets import register_secret  # noqa: PLC0415 (simulator only)
        from psrunbook.sim.endpoint.http_server import SimFleet  # noqa: PLC0415 (simulator only)
        from psrunbook.sim.lab.cluster_executor import cluster_executor  # noqa: PLC0415 (simulator only)
        from psrunbook.sim.lab.serve import (  # noqa: PLC0415 (simulator only)
            AUTH_ENV,
            SIM_USER,
            check_kerberos_keytab,
            inventory_toml,
            parse_auth,
        )

        auth = self._auth or parse_auth(os.environ.get(AUTH_ENV) or "basic", source=AUTH_ENV)
        check_kerberos_keytab(auth)
        if auth == "kerberos":
            self.password = None
        else:
            register_secret(self.password or "")
        self._lock.__enter__()
        try:
            # The endpoints log every request at INFO for `sim serve`; inside a run that is
            # noise next to the step events, so it shows only with -v, until the lab closes.
            # The root level cannot tell: --log-file alone lowers it to DEBUG as well.
            self._sim_log_level = self._sim_log.level
            if not _console_shows_debug():
                self._sim_log.setLevel(logging.WARNING)
            self.cluster = self._load_or_create()
            if not self.created:  # a command that changes nothing leaves the file as it was
                self._saved = self._text()
            self.fleet = SimFleet(
                self.node_names,
                executor=_SavingExecutor(
                    cluster_executor(self.cluster, time_scale=self._time_scale), self
                ),
                users={SIM_USER: self.password} if self.password else {},
                auth=auth,
                latency_s=self.cluster.latency_ms / 1000,
            )
            for endpoint in self.fleet:
                endpoint.refuse_when = _down_check(self.cluster, endpoint.node)
            if (self.directory / FAULT_FILE).exists():  # the module only when there is a file
                from psrunbook.sim.lab.fault_file import arm_from_file  # noqa: PLC0415

                arm_from_file(self.fleet, self.directory)
            text = inventory_toml(self.fleet, cluster=self.cluster.name)
            path = self.directory / "inventory.toml"
            path.write_text(text, encoding="utf-8")
            self.inventory = inventory_from_toml(text, path=path, digest=self.identity)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.fleet.close()
            if self.save_failure is not None:
                # The disk refused a save during the command: the lab file holds the last
                # state it could keep and the journal failed the step that was not kept.
                # Saving again could keep that change behind the journal's back.
                if exc is None:
                    raise self.save_failure
                return  # the error that ended the command is the one to report
            try:
                self.save()
            except JournalError:
                if exc is None:
                    raise
        finally:
            self._release()

    def _release(self) -> None:
        """Give back what opening took: the simulator's log level and the lab lock."""
        self._sim_log.setLevel(self._sim_log_level)
        self._lock.__exit__(None, None, None)

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(self.facts.nodes)

    @property
    def facts(self) -> LabFacts:
        from psrunbook.sim.lab.lab_files import lab_facts  # noqa: PLC0415 (simulator only)

        return lab_facts(self.cluster)

    @property
    def identity(self) -> str:
        """What the journal records as the inventory hash: stable for this lab's life."""
        return hashlib.sha256(f"psrunbook-sim-lab:{self.lab_id}".encode()).hexdigest()

    def save(self) -> None:
        """Write the lab atomically: a crash mid-write leaves the previous state, never half.

        It runs after every pipeline, so it is kept cheap: one line of JSON (an indented
        dump goes through json's pure-Python encoder, about 5x slower: 1.4 against 0.3 ms
        for the sample lab), and nothing written when the text is what was last saved.
        """
        target = self.directory / LAB_FILE
        partial = target.with_name(LAB_FILE + ".partial")
        with self.cluster.lock:
            text = self._text()
            if text == self._saved:
                return
            try:
                partial.write_text(text, "utf-8")
                partial.replace(target)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    partial.unlink(missing_ok=True)
                raise _save_failed(target, exc) from exc
            self._saved = text

    def _text(self) -> str:
        """The lab's state as the lab file holds it."""
        from psrunbook.sim.lab.lab_files import dump  # noqa: PLC0415 (simulator only)

        return json.dumps(dump(self.cluster), sort_keys=True)

    def _load_or_create(self) -> SimCluster:
        from psrunbook.sim.lab.lab_files import LabError, restore, sample_lab  # noqa: PLC0415 (simulator only)

        lab_file = self.directory / LAB_FILE
        id_file = self.directory / LAB_ID_FILE
        if lab_file.exists() and id_file.exists():
            self.lab_id = id_file.read_text(encoding="utf-8").strip()
            try:
                return restore(lab_file)
            except (LabError, LookupError, TypeError, AttributeError) as exc:
                # Not JSON, or JSON without the lab's structure: bad input, not a crash.
                cause = str(exc) if isinstance(exc, LabError) else f"{lab_file}: {exc!r}"
                raise UserError(
                    f"{cause}; the embedded lab cannot be loaded: run `psrunbook sim reset` "
                    "(with the same --state-dir) to start a fresh lab"
                ) from None
        cluster = sample_lab(self._nodes, self._sql_version or DEFAULT_SQL_VERSION)
        self.lab_id = uuid.uuid4().hex
        id_file.write_text(self.lab_id + "\n", encoding="utf-8")
        self.created = True
        return cluster


class _SavingExecutor:
    """Saves the lab after every pipeline, as a real cluster keeps a change once it is made.

    Saving only when the command ends would make a killed psrunbook (SIGKILL, power loss)
    forget every change it had applied, while its journal records them as done: resume
    would then skip steps whose effects the lab no longer has.
    """

    def __init__(self, inner: Executor, lab: EmbeddedLab) -> None:
        self._inner = inner
        self._lab = lab

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        # Once a save failed, the lab's memory is ahead of its file: it runs nothing more,
        # so no later change can be lost the same way, and every pipeline fails, saying why.
        if self._lab.save_failure is not None:
            raise _not_saved(self._lab.save_failure)
        try:
            self._inner.execute(request, context, sink)
        finally:
            try:
                self._lab.save()
            except JournalError as exc:
                self._lab.save_failure = self._lab.save_failure or exc
                raise _not_saved(exc) from exc


def _save_failed(target: Path, exc: OSError) -> JournalError:
    """A save the disk refused: the state directory named, the lab file left as it was."""
    state_dir = target.parent.parent
    return JournalError(
        f"state directory {state_dir} is full: the simulated lab cannot be saved to {target} "
        f"({exc.strerror or exc}); the lab file keeps the last state it saved, and the step "
        "whose change it could not keep failed in the journal. Free space in "
        f"{state_dir}, then continue with `psrunbook resume RUN_ID --sim` (the run printed "
        "above; `psrunbook runs` lists it)"
    )


def _not_saved(exc: JournalError) -> PipelineFailed:
    from psrunbook.sim.executor_protocol import PipelineFailed  # noqa: PLC0415 (simulator only)
    from psrunbook.sim.objects import ErrorRecordData  # noqa: PLC0415 (simulator only)

    return PipelineFailed(
        ErrorRecordData(message=str(exc), error_id="SimulatorLabNotSaved", category="WriteError")
    )


def _console_shows_debug() -> bool:
    """Whether a non-file handler was set to show DEBUG, i.e. the operator asked for -v."""
    return any(
        not isinstance(handler, logging.FileHandler)
        and logging.NOTSET < handler.level <= logging.DEBUG
        for handler in logging.getLogger().handlers
    )


def _down_check(cluster: SimCluster, node: str) -> Any:
    def is_down() -> bool:
        return cluster.node_is_down(node)

    return is_down
