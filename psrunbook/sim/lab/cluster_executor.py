"""Wiring the cluster model to the PowerShell evaluator and the endpoint.

:func:`cmdlets_for_node` gives the evaluator one node's commands; :func:`cluster_executor`
gives the endpoint an :class:`~psrunbook.sim.executor_protocol.Executor` that runs
pipelines side by side and counts finished pipelines, which is when scheduled faults
("the group moves between two steps") fire.

No lock is held across a pipeline: on Windows a script spinning on one node stops no
other node, and a nested pipeline runs beside its outer one on the same pool. Each
cmdlet call takes the cluster lock for itself (:class:`SimCmdlet`), so every change to
the model stays atomic per call, as a cluster API call is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from psrunbook.sim.executor_protocol import (
    RUNSPACE_PROFILE_LOADED,
    RUNSPACE_WOW64,
    ExecutionContext,
    OutputSink,
    PipelineFailed,
    PipelineRequest,
    PipelineStopped,
    ProcessIO,
    ShellCommandRequest,
)
from psrunbook.sim.lab import accounts
from psrunbook.sim.lab.cluster_faults import FailoverPlan, pipeline_finished
from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.cmdlets.acl import ACL_CMDLETS
from psrunbook.sim.lab.cmdlets.cluster import CLUSTER_CMDLETS
from psrunbook.sim.lab.cmdlets.filesystem import FILESYSTEM_CMDLETS
from psrunbook.sim.lab.cmdlets.misc import MISC_CMDLETS
from psrunbook.sim.lab.cmdlets.modules import MODULE_CMDLETS
from psrunbook.sim.lab.cmdlets.network import NETWORK_CMDLETS
from psrunbook.sim.lab.cmdlets.processes import PROCESS_CMDLETS
from psrunbook.sim.lab.cmdlets.registry_values import REGISTRY_CMDLETS
from psrunbook.sim.lab.cmdlets.services import SERVICE_CMDLETS
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet
from psrunbook.sim.lab.dotnet_files import LabFiles
from psrunbook.sim.lab.ipconfig import IPCONFIG_CMDLETS
from psrunbook.sim.lab.profiles import ensure_profile
from psrunbook.sim.lab.windows_commands import UnmodelledCommands, module_reason
from psrunbook.sim.objects import ErrorRecordData
from psrunbook.sim.ps.cmdlet_api import Cmdlet, CmdletTable

if TYPE_CHECKING:
    from psrunbook.sim.executor_protocol import Executor

ALL_CMDLETS: tuple[type[SimCmdlet], ...] = (
    *CLUSTER_CMDLETS,
    *REGISTRY_CMDLETS,
    *FILESYSTEM_CMDLETS,
    *SERVICE_CMDLETS,
    *PROCESS_CMDLETS,
    *ACL_CMDLETS,
    *MISC_CMDLETS,
    *MODULE_CMDLETS,
    *NETWORK_CMDLETS,
    *IPCONFIG_CMDLETS,
)


class CommandTable(Mapping[str, Cmdlet]):
    """Commands by name, looked up case-insensitively; iterates original spellings."""

    def __init__(self, commands: list[Cmdlet]) -> None:
        self._by_fold = {fold(c.spec.name): c for c in commands}

    def __getitem__(self, name: str) -> Cmdlet:
        return self._by_fold[fold(name)]

    def __iter__(self) -> Iterator[str]:
        return (c.spec.name for c in self._by_fold.values())

    def __len__(self) -> int:
        return len(self._by_fold)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and fold(name) in self._by_fold


def cmdlets_for_node(cluster: SimCluster, node: str, *, wow64: bool = False) -> CmdletTable:
    """Every simulated command as ``node`` runs it (its services, registry, disks); with
    ``wow64`` as a 32-bit session runs it, refusing what WOW64 would redirect."""
    commands: list[Cmdlet] = []
    for cls in ALL_CMDLETS:
        command = cls(cluster, cluster.node(node).name)
        command.wow64 = wow64
        commands.append(command)
    return CommandTable(commands)


class ClusterExecutor:
    """Runs pipelines concurrently, then lets scheduled faults fire after each.

    ``time_scale`` multiplies every real wait (``Start-Sleep``): 1.0 waits as Windows
    does, tests pass a small value; the virtual clock advances by the full time either way.
    """

    def __init__(
        self,
        cluster: SimCluster,
        failovers: FailoverPlan | None = None,
        *,
        time_scale: float = 1.0,
    ) -> None:
        # Imported here so the model and its cmdlets load (and test) without the evaluator.
        from psrunbook.sim.ps.builtins import BUILTINS, COMMAND_ALIASES  # noqa: PLC0415 -- see above
        from psrunbook.sim.ps.natives import NATIVES  # noqa: PLC0415 -- see above
        from psrunbook.sim.ps.node_clock import ModelClock  # noqa: PLC0415 -- see above
        from psrunbook.sim.ps.powershell_executor import PowerShellExecutor  # noqa: PLC0415 -- see above

        self.cluster = cluster
        cluster.clock_running = True  # from now on the lab dates what happens by its clock
        self.failovers = failovers
        self._tables: dict[tuple[str, bool], CmdletTable] = {}
        self._unmodelled: dict[str, UnmodelledCommands] = {}
        self._tables_lock = threading.Lock()
        self._language_commands = frozenset(
            [*(b.spec.name for b in BUILTINS.values()), *COMMAND_ALIASES, *NATIVES]
        )
        """What every node runs without its table: built-ins, their aliases, programs."""
        self._inner = PowerShellExecutor(
            cmdlets_for=self._cmdlets_for,
            time_scale=time_scale,
            clock=ModelClock(cluster.node_now, cluster.skip),
            is_administrator=self._is_administrator,
            resolve_account=self._resolve_account,
            files_for=lambda context: LabFiles(
                cluster,
                context.node,
                context.user,
                profile_loaded=context.runspace.get(RUNSPACE_PROFILE_LOADED, True),
                wow64=_wow64(context),
            ),
            unmodelled_command=self._unmodelled_command,
            command_alias=self._command_alias,
            unmodelled_module=module_reason,
        )

    def _is_administrator(self, context: ExecutionContext) -> bool:
        """The lab's remote user is a node administrator unless the lab file says not."""
        with self.cluster.lock:
            return self.cluster.remote_user_is_administrator

    def _resolve_account(self, context: ExecutionContext, name: str) -> str | None:
        """An account's SID as the context's node resolves it (``lab/accounts.py``)."""
        with self.cluster.lock:
            node = self.cluster.nodes.get(fold(context.node))
            if node is None:
                return None
            account = accounts.resolve(node.principals, self.cluster.domain, name)
            return None if account is None else accounts.sid_of(self.cluster.domain, account)

    def _cmdlets_for(self, context: ExecutionContext) -> CmdletTable:
        return self.node_table(context.node, wow64=_wow64(context))

    def node_table(self, node: str, *, wow64: bool = False) -> CmdletTable:
        """``node``'s commands, built once (once more for its 32-bit sessions)."""
        key = fold(node)
        with self._tables_lock:
            table = self._tables.get((key, wow64))
            if table is None:
                table = cmdlets_for_node(self.cluster, node, wow64=wow64)
                self._tables[(key, wow64)] = table
            return table

    def unmodelled_for(self, node: str) -> UnmodelledCommands:
        """The Windows commands ``node`` has that the lab does not model
        (:mod:`.windows_commands`): every one but the node's table, the language's
        built-ins and aliases, and the programs every node has. Built once per node."""
        table = self.node_table(node)
        key = fold(node)
        with self._tables_lock:
            found = self._unmodelled.get(key)
            if found is None:
                found = UnmodelledCommands([*table, *self._language_commands])
                self._unmodelled[key] = found
            return found

    def _unmodelled_command(self, context: ExecutionContext, name: str) -> str | None:
        return self.unmodelled_for(context.node).reason(name)

    def _command_alias(self, context: ExecutionContext, name: str) -> str | None:
        return self.unmodelled_for(context.node).alias_target(name)

    def _check_up(self, context: ExecutionContext) -> None:
        with self.cluster.lock:
            down = self.cluster.node_is_down(context.node)
        if down:
            raise PipelineFailed(
                ErrorRecordData(
                    message=f"The node {context.node} is down.",
                    error_id="SimulatedNodeDown",
                    category="ConnectionError",
                    exception_type="System.Management.Automation.Remoting.PSRemotingTransportException",
                )
            )

    def run_command(
        self, request: ShellCommandRequest, context: ExecutionContext, io: ProcessIO
    ) -> int:
        """A WinRS cmd-shell command on the context's node (:mod:`.cmd_shell`)."""
        try:
            self._check_up(context)
        except PipelineFailed as down:
            io.stderr(f"{down.record.message}\r\n".encode())
            return 1
        ensure_profile(self.cluster, context.node, context.user)
        from psrunbook.sim.lab.cmd_shell import CmdShell  # noqa: PLC0415 -- cmd shells only
        from psrunbook.sim.ps.console_host import run_console  # noqa: PLC0415 -- as above
        from psrunbook.sim.ps.evaluator import StopRequested  # noqa: PLC0415 -- as above

        def powershell(script: str, ctx: ExecutionContext, env: dict[str, str],
                       out: Callable[[str], None], err: Callable[[str], None],
                       newline: str) -> int:  # fmt: skip
            try:
                return run_console(self._inner, script, ctx, env, out, err, newline=newline)
            except StopRequested:
                raise PipelineStopped from None

        try:
            return CmdShell(self.cluster, powershell).run(request, context, io)
        finally:
            with self.cluster.lock:
                pipeline_finished(self.cluster)

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        self._check_up(context)
        try:
            self._inner.execute(request, context, sink)
        finally:
            with self.cluster.lock:
                pipeline_finished(self.cluster)
                if self.failovers is not None:
                    self.failovers.after_pipeline(self.cluster)


def cluster_executor(
    cluster: SimCluster, failovers: FailoverPlan | None = None, *, time_scale: float = 1.0
) -> Executor:
    """The endpoint's executor for a simulated cluster, with optional seeded failovers."""
    return ClusterExecutor(cluster, failovers, time_scale=time_scale)


def _wow64(context: ExecutionContext) -> bool:
    """Whether the pipeline runs in a 32-bit session (``Microsoft.PowerShell32``)."""
    return bool(context.runspace.get(RUNSPACE_WOW64, False))
