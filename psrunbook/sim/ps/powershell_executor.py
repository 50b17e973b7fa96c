"""An :class:`psrunbook.sim.executor_protocol.Executor` that really runs PowerShell.

Each PSRP pipeline gets an :class:`Evaluator` over its runspace pool's global scope
(``context.runspace``): as on Windows, what one pipeline assigns globally, and what a
script run without UseLocalScope assigns at all, the next pipeline on that pool sees.
Each statement of an ``add_statement()`` pipeline runs as its own pipeline, their output
reaching the client in order. The node's cmdlets come from ``cmdlets_for(context)``, so
the cluster model decides what exists on which node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    InformationRecordValue,
    OutputSink,
    PipelineFailed,
    PipelineRequest,
    PipelineStopped,
    StreamRecord,
    is_hosting_sink,
)
from psrunbook.sim.objects import ErrorRecordData, ProgressData
from psrunbook.sim.ps import records
from psrunbook.sim.ps.binding import Argument
from psrunbook.sim.ps.cmdlet_api import CmdletTable
from psrunbook.sim.ps.dotnet_io import DotNetFiles
from psrunbook.sim.ps.evaluator import Evaluator, PipelineSession, StopRequested
from psrunbook.sim.ps.exceptions import (
    ExitSignal,
    RefusedScript,
    ReturnSignal,
    ScriptError,
    UnsupportedConstruct,
)
from psrunbook.sim.ps.node_clock import NodeClock
from psrunbook.sim.ps.parser import ParseCache, parse
from psrunbook.sim.ps.pipeline import Stage, run_pipeline
from psrunbook.sim.ps.remote_host_ui import RemoteHosts, client_host_of
from psrunbook.sim.ps.scope import Scope
from psrunbook.sim.ps.stages import BlockStage, CommandStage
from psrunbook.sim.ps.values import to_int

INTERNAL_ERROR_ID = "SimulatorInternalError"


class PowerShellExecutor:
    """Runs PSRP pipelines (scripts or commands by name) with the simulated language."""

    def __init__(
        self,
        cmdlets_for: Callable[[ExecutionContext], CmdletTable],
        cache: ParseCache | None = None,
        *,
        time_scale: float = 1.0,
        clock: NodeClock | None = None,
        is_administrator: Callable[[ExecutionContext], bool] | None = None,
        resolve_account: Callable[[ExecutionContext, str], str | None] | None = None,
        files_for: Callable[[ExecutionContext], DotNetFiles] | None = None,
        unmodelled_command: Callable[[ExecutionContext, str], str | None] | None = None,
        unmodelled_module: Callable[[str], str | None] | None = None,
        command_alias: Callable[[ExecutionContext, str], str | None] | None = None,
    ) -> None:
        """``is_administrator`` says whether a context's user is in the node's
        Administrators group (``IsInRole`` answers it); without it every user is.
        ``resolve_account`` gives an account name's SID on the context's node
        (``NTAccount.Translate``); without it no account is mapped.
        ``unmodelled_command`` says why a command the context's node has on Windows is
        refused (the lab does not model it), or None; without it every unknown name is
        CommandNotFoundException; ``unmodelled_module`` the same for Import-Module's
        module names. ``command_alias`` gives the command a Windows alias the lab's
        node resolves stands for (``gwmi``: Get-WmiObject), or None."""
        self._cmdlets_for = cmdlets_for
        self._unmodelled_command = unmodelled_command
        self._unmodelled_module = unmodelled_module
        self._command_alias = command_alias
        self._is_administrator = is_administrator
        self._resolve_account = resolve_account
        self._files_for = files_for
        self._cache = cache
        self._time_scale = time_scale
        self._clock = clock or NodeClock()

    def _account_resolver(self, context: ExecutionContext) -> Callable[[str], str | None] | None:
        resolve = self._resolve_account
        if resolve is None:
            return None
        return lambda name: resolve(context, name)

    def _alias_resolver(self, context: ExecutionContext) -> Callable[[str], str | None] | None:
        resolve = self._command_alias
        if resolve is None:
            return None
        return lambda name: resolve(context, name)

    def _unmodelled(self, context: ExecutionContext) -> Callable[[str], str | None] | None:
        lookup = self._unmodelled_command
        if lookup is None:
            return None
        return lambda name: lookup(context, name)

    def _parse_script(self, text: str, sink: Any) -> Any:
        """``text`` parsed; a Read-Host in it is refused as before unless the pipeline's
        client has a host UI to prompt through (``parser.HOST_PROMPT_COMMANDS``)."""
        try:
            return self._parse(text)
        except UnsupportedConstruct:
            if not _has_client_ui(sink):
                raise
            return parse(text, allow_host_prompts=True)

    def _parse(self, text: str) -> Any:
        return self._cache.get(text) if self._cache is not None else parse(text)

    def session_for(
        self, context: ExecutionContext, sink: OutputSink, env: dict[str, str] | None = None
    ) -> PipelineSession:
        """The session a pipeline in ``context`` runs in; ``env`` adds to a new
        runspace's environment (a powershell.exe process inherits its parent's)."""
        return PipelineSession(
            node=context.node,
            user=context.user,
            commands=self._cmdlets_for(context),
            sink=sink,
            stop=context.stop,
            env=dict(env or {}),
            time_scale=self._time_scale,
            clock=self._clock,
            administrator=True
            if self._is_administrator is None
            else self._is_administrator(context),
            sender=context.sender,
            resolve_account=self._account_resolver(context),
            files=None if self._files_for is None else self._files_for(context),
            # Over PSRP $Host reaches the client's hosts; elsewhere (powershell.exe under
            # WinRS, whose $Host is a console host) the runspace's $Host stays as it is.
            remote_hosts=RemoteHosts(sink) if is_hosting_sink(sink) else None,
            unmodelled=self._unmodelled(context),
            unmodelled_module=self._unmodelled_module,
            command_alias=self._alias_resolver(context),
        )

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        evaluator = Evaluator(self.session_for(context, sink), context.runspace)
        try:
            self._check_before_running(request, sink)
            piped = request.input
            for statement in _statements(request.commands):
                items = piped
                piped = None  # input goes to the first statement only
                self._run_statement(evaluator, statement, items, sink)
        except (StopRequested, PipelineStopped):  # stopped, perhaps waiting for input
            raise PipelineStopped() from None
        except ScriptError as error:
            raise PipelineFailed(error.record) from None
        except RefusedScript as refused:
            raise PipelineFailed(refused.record) from None
        except Exception as exc:
            raise PipelineFailed(
                ErrorRecordData(
                    message=f"internal simulator error: {type(exc).__name__}: {exc}",
                    error_id=INTERNAL_ERROR_ID,
                    category="NotSpecified",
                    exception_type="System.InvalidOperationException",
                )
            ) from exc
        finally:
            evaluator.release()

    def _check_before_running(self, request: PipelineRequest, sink: OutputSink) -> None:
        """Refuse what the lab cannot do before any command of the pipeline runs.

        Every script is parsed (a refused construct in the second statement must not
        leave the first one run), as is the literal ``-Command`` of an
        ``Invoke-Expression`` (``Client.execute_ps`` sends the user's script that way),
        and merge settings outside ``none``/``output``/``null`` are refused by name.
        A script that prompts through the host (Read-Host) is refused unless the
        client has a host UI (:meth:`_parse_script`).
        """
        for command in request.commands:
            texts: list[str] = []
            if command.is_script:
                texts.append(command.text)
            elif command.text.casefold() in ("invoke-expression", "iex"):
                texts.extend(
                    value
                    for name, value in command.arguments
                    if isinstance(value, str) and (name is None or name.casefold() == "command")
                )
            for text in texts:
                self._parse_script(text, sink)
            if command.merge_previous:
                raise RefusedScript(
                    _refusal(
                        "MergeUnclaimedPreviousCommandResults (pypsrp merge_previous) is not"
                        " simulated; send the commands without it or use 2>&1 in a script."
                    )
                )
            for stream in ("error", "warning", "verbose", "debug", "information"):
                target = getattr(command, f"merge_{stream}")
                if target not in ("none", "output", "null"):
                    raise RefusedScript(
                        _refusal(
                            f"Merging the {stream} stream to PipelineResultTypes {target} is"
                            " not simulated; only None, Output and Null are."
                        )
                    )

    def _run_statement(
        self,
        evaluator: Evaluator,
        statement: list[CommandRequest],
        items: Iterable[Any] | None,
        sink: OutputSink,
    ) -> None:
        """One statement's commands as one streaming pipeline, as Windows runs them.

        A command by name runs in the runspace's current (global) scope, so
        ``Set-Variable`` sent with ``add_cmdlet`` sets a variable the next pipeline sees.
        """
        local = any(c.use_local_scope and not c.is_script for c in statement)
        scope = Scope(evaluator.global_scope) if local else evaluator.global_scope
        evaluator.scope = evaluator.script_scope = scope
        stages: list[Stage] = []
        for index, command in enumerate(statement):
            stage = self._stage(evaluator, command)
            stage.wrap_sink = partial(_MergingSink, sink, command,
                                      piped=index < len(statement) - 1)  # fmt: skip
            stages.append(stage)
        try:
            run_pipeline(evaluator, stages, sink.output, items)
        except ReturnSignal:
            pass
        except ExitSignal as finished:
            _should_exit(finished, sink)

    def _stage(self, evaluator: Evaluator, command: CommandRequest) -> CommandStage:
        if command.is_script:
            parsed = self._parse_script(command.text, evaluator.session.sink)
            return BlockStage(
                evaluator,
                parsed,
                parsed.body_node,
                command.arguments,
                psrp=True,
                local_scope=bool(command.use_local_scope),
            )
        arguments = [
            Argument(name, value, has_value=value is not None, colon=True)
            if name is not None
            else Argument(None, value)
            for name, value in command.arguments
        ]
        return evaluator.named_stage(command.text, arguments)


def _should_exit(finished: ExitSignal, sink: OutputSink) -> None:
    """``exit n`` in a PSRP pipeline, as Windows ends it.

    The ExitException leaves the whole pipeline (no later command of the statement runs
    or ends) and LocalPipeline.InvokeHelper catches it: for a pipeline that is not
    nested, it calls ``SetShouldExit(n)`` on the engine's host and leaves
    ``$LASTEXITCODE`` as it was (only a nested pipeline sets it), and the pipeline ends
    Completed (PowerShell/PowerShell engine/hostifaces/LocalPipeline.cs). The host is
    ServerRemoteHost, whose SetShouldExit is a void host call to the client
    (ServerRemoteHost.cs): how Ansible's psrp connection and any client with a PSHost
    learn a script's exit code. A client without a host gets no call, as for
    ``$host.SetShouldExit(n)``.
    """
    code = 0 if finished.code is None else to_int(finished.code)
    client = client_host_of(sink, pool=False)
    if client is not None:
        client.call("SetShouldExit", [code])


def _refusal(message: str) -> ErrorRecordData:
    return ErrorRecordData(
        message=f"The simulator refuses this pipeline: {message}",
        error_id="SimulatorUnsupportedConstruct",
        category="NotImplemented",
        exception_type="System.NotSupportedException",
    )


class _MergingSink:
    """The streams of one command, with PSRP's Merge* settings applied.

    A stream merged to ``output`` goes to the command's own output (piped on to the
    next command, or to the client for the last one), as Windows does for
    ``PowerShell.Commands[i].MergeMyResults``; ``null`` discards it.
    """

    def __init__(
        self,
        sink: OutputSink,
        command: CommandRequest,
        inner: Any,
        emit: Callable[[Any], None],
        *,
        piped: bool,
    ) -> None:
        self._sink = sink
        self._command = command
        self._emit = emit
        self._piped = piped

    def _route(self, target: str, record: Any, keep: Callable[[], None]) -> None:
        if target == "output":
            self._emit(record)
        elif target != "null":
            keep()

    def output(self, value: Any) -> None:
        self._sink.output(value)

    def error(self, record: ErrorRecordData) -> None:
        # Piped on, it is the ErrorRecord object scripts see ($_.Exception, ...); to the
        # client it goes as the record, serialised as Windows serialises an ErrorRecord.
        merged = records.error_record_object(record) if self._piped else record
        self._route(self._command.merge_error, merged, lambda: self._sink.error(record))

    def warning(self, message: str) -> None:
        self._route(
            self._command.merge_warning,
            StreamRecord("Warning", message),
            lambda: self._sink.warning(message),
        )

    def verbose(self, message: str) -> None:
        self._route(
            self._command.merge_verbose,
            StreamRecord("Verbose", message),
            lambda: self._sink.verbose(message),
        )

    def debug(self, message: str) -> None:
        self._route(
            self._command.merge_debug,
            StreamRecord("Debug", message),
            lambda: self._sink.debug(message),
        )

    def information(self, value: Any) -> None:
        self._route(
            self._command.merge_information,
            InformationRecordValue(value),
            lambda: self._sink.information(value),
        )

    def progress(self, record: ProgressData) -> None:
        self._sink.progress(record)


def _has_client_ui(sink: OutputSink) -> bool:
    """Whether the pipeline's client host has a UI to prompt through."""
    client = client_host_of(sink, pool=False)
    return client is not None and client.info.has_ui


def _statements(commands: tuple[CommandRequest, ...]) -> list[list[CommandRequest]]:
    """The pipeline's statements: commands up to each ``ends_statement``, then the rest."""
    statements: list[list[CommandRequest]] = [[]]
    for command in commands:
        statements[-1].append(command)
        if command.ends_statement:
            statements.append([])
    return [s for s in statements if s]
