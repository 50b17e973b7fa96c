"""An :class:`psrunbook.sim.executor_protocol.Executor` that really runs PowerShell.

Each PSRP pipeline gets an :class:`Evaluator` over its runspace pool's global scope
(``context.runspace``): as on Windows, what one pipeline assigns globally, and what a
script run without UseLocalScope assigns at all, the next pipeline on that pool sees.
Each statement of an ``add_statement()`` pipeline runs as its own pipeline, their output
reaching the client in order. The node's cmdlets come from ``cmdlets_for(context)``, so
the cluster model decides what exists on which node.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    OutputSink,
    PipelineFailed,
    PipelineRequest,
    PipelineStopped,
)
from psrunbook.sim.objects import ErrorRecordData
from psrunbook.sim.ps.binding import Argument
from psrunbook.sim.ps.cmdlet_api import CmdletTable
from psrunbook.sim.ps.evaluator import Evaluator, PipelineSession, StopRequested
from psrunbook.sim.ps.exceptions import ExitSignal, RefusedScript, ReturnSignal, ScriptError
from psrunbook.sim.ps.parser import ParseCache, parse

INTERNAL_ERROR_ID = "SimulatorInternalError"


class PowerShellExecutor:
    """Runs PSRP pipelines (scripts or commands by name) with the simulated language."""

    def __init__(
        self,
        cmdlets_for: Callable[[ExecutionContext], CmdletTable],
        cache: ParseCache | None = None,
        *,
        time_scale: float = 1.0,
    ) -> None:
        self._cmdlets_for = cmdlets_for
        self._cache = cache
        self._time_scale = time_scale

    def _parse(self, text: str) -> Any:
        return self._cache.get(text) if self._cache is not None else parse(text)

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        session = PipelineSession(
            node=context.node,
            user=context.user,
            commands=self._cmdlets_for(context),
            sink=sink,
            stop=context.stop,
            time_scale=self._time_scale,
        )
        evaluator = Evaluator(session, context.runspace)
        try:
            piped: list[Any] | None = list(request.input) if request.input else None
            for statement in _statements(request.commands):
                items = piped
                piped = None  # input goes to the first statement only
                for index, command in enumerate(statement):
                    last = index == len(statement) - 1
                    out: list[Any] = []
                    emit = sink.output if last else out.append
                    self._run_command(evaluator, command, items, emit)
                    items = out
        except StopRequested:
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

    def _run_command(
        self,
        evaluator: Evaluator,
        command: CommandRequest,
        items: list[Any] | None,
        emit: Callable[[Any], None],
    ) -> None:
        if command.is_script:
            evaluator.run_script(
                self._parse(command.text),
                command.arguments,
                emit,
                local_scope=bool(command.use_local_scope),
                inputs=items or (),
            )
            return
        arguments = [
            Argument(name, value, has_value=value is not None, colon=True)
            if name is not None
            else Argument(None, value)
            for name, value in command.arguments
        ]
        with contextlib.suppress(ReturnSignal, ExitSignal):
            evaluator.run_named_command(
                command.text, arguments, items, emit, local_scope=bool(command.use_local_scope)
            )


def _statements(commands: tuple[CommandRequest, ...]) -> list[list[CommandRequest]]:
    """The pipeline's statements: commands up to each ``ends_statement``, then the rest."""
    statements: list[list[CommandRequest]] = [[]]
    for command in commands:
        statements[-1].append(command)
        if command.ends_statement:
            statements.append([])
    return [s for s in statements if s]
