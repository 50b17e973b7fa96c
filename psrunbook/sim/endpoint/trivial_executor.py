"""A tiny stand-in executor for exercising the protocol without a PowerShell evaluator.

It is not PowerShell. A script is a list of directives, one per line (blank lines and
``#`` comments are skipped); an argument written ``$Name`` is replaced by the value of
the pipeline parameter ``Name``:

=========================  ==============================================================
``output <text>``          write the text (or the parameter's value) as one object
``count <n>``              write the integers 0 .. n-1
``repeat <n> <size>``      write n strings of ``size`` characters each
``object``                 write a sample object: properties of every kind, an enum, a
                           nested object (arrives as its ToString), a list, a hashtable
``params``                 write one object whose properties are the parameters
``input``                  write every pipeline input object back
``whoami``                 write ``<node>\\<user>``
``length``                 write the length of the script text
``warning|verbose|information <text>``  write to that stream
``error <text>``           a non-terminating error shaped like ``Write-Error``
``notfound <target>``      a non-terminating ObjectNotFound error about ``target``
``fail <text>``            a terminating error shaped like ``throw`` (pipeline Failed)
``wait``                   block until the client stops the pipeline
=========================  ==============================================================

Any other directive fails the pipeline like an unknown command does in PowerShell.
Commands sent with ``add_cmdlet``: ``Invoke-Expression -Command <script>`` runs the
script, ``Out-String`` turns its input into strings, ``Out-Null`` drops it,
``Get-SimArguments`` writes its arguments; anything else is an unknown command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    OutputSink,
    PipelineFailed,
    PipelineRequest,
    PipelineStopped,
)
from psrunbook.sim.objects import ErrorRecordData, PSEnum, PSHashtable, PSObject

_ARGUMENTS_TYPES = ("Sim.Arguments", "System.Management.Automation.PSCustomObject", "System.Object")


def command_not_found(
    name: str, line: int | None = None, line_text: str | None = None
) -> ErrorRecordData:
    """The error PowerShell raises for a name that is no command."""
    return ErrorRecordData(
        message=(
            f"The term '{name}' is not recognized as the name of a cmdlet, function, script "
            "file, or operable program. Check the spelling of the name, or if a path was "
            "included, verify that the path is correct and try again."
        ),
        error_id="CommandNotFoundException",
        category="ObjectNotFound",
        exception_type="System.Management.Automation.CommandNotFoundException",
        target_object=name,
        target_name=name,
        target_type="String",
        script_line=line,
        script_column=1 if line else None,
        line_text=line_text,
    )


def sample_object() -> PSObject:
    """An object with one property of each kind the serializer distinguishes."""
    nested = PSObject(
        type_names=("Sim.Nested", "System.Object"),
        properties=PSHashtable([("Inner", 1)]),
        to_string="nested-object",
    )
    return PSObject(
        type_names=("Sim.Sample", "System.Management.Automation.PSCustomObject", "System.Object"),
        properties=PSHashtable(
            [
                ("Name", "sample"),
                ("Count", 3),
                ("Big", 2**40),
                ("Ratio", 0.5),
                ("Flag", True),
                ("Missing", None),
                ("State", PSEnum("Sim.State", "Online", 2)),
                ("Nested", nested),
                ("List", [1, "two"]),
                ("Table", PSHashtable([("Key", "value")])),
            ]
        ),
        to_string="sample",
    )


class TrivialExecutor:
    """Runs the directive language above; every node behaves the same."""

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        statement: list[CommandRequest] = []
        data = list(request.input or ())
        for command in request.commands:
            statement.append(command)
            if command.ends_statement:
                self._pipeline(statement, data, context, sink)
                statement = []
        if statement:
            self._pipeline(statement, data, context, sink)

    def _pipeline(
        self,
        commands: Sequence[CommandRequest],
        data: list[Any],
        context: ExecutionContext,
        sink: OutputSink,
    ) -> None:
        """Each command's output feeds the next; the last one streams to the client."""
        for index, command in enumerate(commands):
            last = index == len(commands) - 1
            collected: list[Any] = []
            emit: Callable[[Any], None] = sink.output if last else collected.append
            self._command(command, data, emit, context, sink)
            data = collected

    def _command(
        self,
        command: CommandRequest,
        data: list[Any],
        emit: Callable[[Any], None],
        context: ExecutionContext,
        sink: OutputSink,
    ) -> None:
        named = PSHashtable((n, v) for n, v in command.arguments if n is not None)
        name = command.text.casefold()
        if command.is_script:
            self._script(command.text, named, data, emit, context, sink)
        elif name == "invoke-expression":
            self._script(str(named.get("Command", "")), PSHashtable(), data, emit, context, sink)
        elif name == "out-string":
            for value in data:
                emit(str(value))
        elif name == "get-simarguments":
            emit(_arguments(command.arguments))
        elif name != "out-null":
            raise PipelineFailed(command_not_found(command.text))

    def _script(
        self,
        text: str,
        params: PSHashtable,
        data: list[Any],
        emit: Callable[[Any], None],
        context: ExecutionContext,
        sink: OutputSink,
    ) -> None:
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            verb, _, rest = line.partition(" ")
            verb = verb.casefold()
            arg = _resolve(rest.strip(), params)
            if verb == "output":
                emit(arg)
            elif verb == "count":
                for i in range(int(arg)):
                    emit(i)
            elif verb == "repeat":
                times, size = (int(x) for x in str(arg).split())
                for i in range(times):
                    emit(f"{i:08d}".ljust(size, "x")[:size])
            elif verb == "object":
                emit(sample_object())
            elif verb == "params":
                emit(_arguments(tuple(params.items())))
            elif verb == "input":
                for value in data:
                    emit(value)
            elif verb == "whoami":
                emit(f"{context.node}\\{context.user}")
            elif verb == "length":
                emit(len(text))
            elif verb == "warning":
                sink.warning(str(arg))
            elif verb == "verbose":
                sink.verbose(str(arg))
            elif verb == "information":
                sink.information(arg)
            elif verb == "error":
                sink.error(_write_error(str(arg), number, raw))
            elif verb == "notfound":
                sink.error(_not_found(str(arg), number, raw))
            elif verb == "fail":
                raise PipelineFailed(_throw(str(arg), number, raw))
            elif verb == "wait":
                context.stop.wait()
                raise PipelineStopped
            else:
                raise PipelineFailed(command_not_found(line.partition(" ")[0], number, raw))


def _resolve(arg: str, params: PSHashtable) -> Any:
    if arg.startswith("$") and arg[1:] in params:
        return params[arg[1:]]
    return arg


def _arguments(arguments: Sequence[tuple[str | None, Any]]) -> PSObject:
    props = PSHashtable()
    position = 0
    for name, value in arguments:
        if name is None:
            props[f"Arg{position}"] = value
            position += 1
        else:
            props[name] = value
    return PSObject(type_names=_ARGUMENTS_TYPES, properties=props)


def _write_error(message: str, line: int, text: str) -> ErrorRecordData:
    return ErrorRecordData(
        message=message,
        error_id="Microsoft.PowerShell.Commands.WriteErrorException",
        category="NotSpecified",
        exception_type="Microsoft.PowerShell.Commands.WriteErrorException",
        activity="Write-Error",
        script_line=line,
        script_column=1,
        line_text=text,
    )


def _not_found(target: str, line: int, text: str) -> ErrorRecordData:
    return ErrorRecordData(
        message=f"Cannot find an object with the name '{target}'.",
        error_id="ObjectNotFound",
        category="ObjectNotFound",
        exception_type="System.Management.Automation.ItemNotFoundException",
        target_object=target,
        target_name=target,
        target_type="String",
        activity="Get-SimItem",
        command_type="Sim.Commands.GetSimItemCommand",
        script_line=line,
        script_column=1,
        line_text=text,
    )


def _throw(message: str, line: int, text: str) -> ErrorRecordData:
    return ErrorRecordData(
        message=message,
        error_id=message,
        category="OperationStopped",
        exception_type="System.Management.Automation.RuntimeException",
        target_object=message,
        target_name=message,
        target_type="String",
        script_line=line,
        script_column=1,
        line_text=text,
    )
