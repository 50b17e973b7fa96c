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
import stat
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from psrunbook.errors import JournalError, UserError
from psrunbook.input_files import InputFileRefused, file_kind, read_input_file

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


INVENTORY_FILE = "inventory.toml"
LAB_FILES = (LAB_FILE, LAB_ID_FILE, INVENTORY_FILE, LAB_FILE + ".partial", FAULT_FILE)
"""The files the lab's folder may hold, each absent or a regular file (beside the lock)."""
_RESET = (
    "the embedded lab cannot be loaded: run `psrunbook sim reset` (with the same "
    "--state-dir) to start a fresh lab"
)


def lab_dir(state_dir: Path) -> Path:
    return state_dir / SIM_DIR


def broken_lab(path: Path, problem: str) -> UserError:
    """The lab's folder or one of its files is not what psrunbook keeps there."""
    return UserError(f"{path} {problem}; {_RESET}")


def _check_regular(path: Path) -> bool:
    """True if ``path`` is a regular file, False if absent; refused if it is anything else."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise broken_lab(path, f"cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise broken_lab(path, f"is {file_kind(mode)}, not a regular file")
    return True


def _remove(path: Path) -> None:
    """Remove what is at ``path`` (a file, a link, a FIFO, a directory), if anything."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def reset_lab(state_dir: Path) -> bool:
    """Forget the lab; the next ``--sim`` command starts a fresh one. True if one existed.

    A damaged lab folder (a file where the folder belongs, a directory where a file
    belongs) is removed too: ``sim reset`` is the fix the errors about it name.
    """
    directory = lab_dir(state_dir)
    try:
        mode = os.lstat(directory).st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(mode):  # no command can use a lab there: no lock to take
        directory.unlink()
        return True
    lock = directory / LOCK_FILE
    if os.path.lexists(lock) and not stat.S_ISREG(os.lstat(lock).st_mode):
        _remove(lock)  # a directory, FIFO or link no command could lock: nobody holds it
    with _LabLock(directory):
        for name in LAB_FILES:
            _remove(directory / name)
    shutil.rmtree(directory, ignore_errors=True)
    return True


class _LabLock:
    """An exclusive, non-blocking lock on the lab directory."""

    def __init__(self, directory: Path) -> None:
        self._path = directory / LOCK_FILE
        self._handle: IO[str] | None = None

    def __enter__(self) -> None:
        directory = self._path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except FileExistsError:
            raise broken_lab(directory, "is not a directory") from None
        except OSError as exc:
            raise UserError(
                f"cannot create the simulated lab's folder {directory}: "
                f"{exc.strerror or exc}; make the state directory writable, or choose "
                "another with --state-dir"
            ) from None
        _check_regular(self._path)
        # Never blocks (as on a FIFO put there), never follows a link elsewhere.
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK | os.O_NOFOLLOW
        try:
            descriptor = os.open(self._path, flags | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise broken_lab(self._path, f"cannot be opened ({exc.strerror or exc})") from None
        handle = os.fdopen(descriptor, "a", encoding="utf-8")
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
            path = self.directory / INVENTORY_FILE
            _write_lab_file(path, text)
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
        from psrunbook.sim.lab.lab_files import (  # noqa: PLC0415 (simulator only)
            LabError,
            lab_facts,
            restore,
            sample_lab,
        )

        lab_file = self.directory / LAB_FILE
        id_file = self.directory / LAB_ID_FILE
        # Every file of the lab is absent or a regular file before any is read or written:
        # a directory, link or FIFO there is refused, never written through nor waited on.
        present = {name: _check_regular(self.directory / name) for name in LAB_FILES}
        if present[LAB_FILE] and present[LAB_ID_FILE]:
            self.lab_id = _lab_id(id_file)
            try:
                cluster = restore(lab_file)
                lab_facts(cluster)  # what every command asks of the lab first
            except (LabError, LookupError, TypeError, AttributeError) as exc:
                # Not JSON, or JSON without the lab's structure: bad input, not a crash.
                cause = str(exc) if isinstance(exc, LabError) else f"{lab_file}: {exc!r}"
                raise UserError(f"{cause}; {_RESET}") from None
            return cluster
        cluster = sample_lab(self._nodes, self._sql_version or DEFAULT_SQL_VERSION)
        self.lab_id = uuid.uuid4().hex
        _write_lab_file(id_file, self.lab_id + "\n")
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


def _lab_id(path: Path) -> str:
    """The lab's id from its file: a short line of text, or the lab is refused."""
    try:
        return read_input_file(path, limit=1024).decode("utf-8").strip()
    except InputFileRefused as exc:
        raise broken_lab(path, exc.reason) from None
    except UnicodeDecodeError:
        raise broken_lab(path, "is not UTF-8 text, so not a lab id") from None
    except OSError as exc:
        raise broken_lab(path, f"cannot be read ({exc.strerror or exc})") from None


def _write_lab_file(path: Path, text: str) -> None:
    """Write one of the lab's small files whole, in place: the file was checked to be
    absent or a regular file (never a link, FIFO or device: ``O_NOFOLLOW``, ``O_NONBLOCK``),
    and every command writes it again from the lab, so no temporary file (and no free
    inode) is needed; a file that cannot be written is named."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
    except OSError as exc:
        raise UserError(
            f"cannot write {path} ({exc.strerror or exc}): make the state directory "
            "writable and free space in it, or choose another with --state-dir"
        ) from None


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
