"""A tiny simulated machine for the evaluator tests: a recording sink and fake cmdlets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.objects import (
    HOST_INFORMATION_MESSAGE,
    ErrorRecordData,
    PSEnum,
    PSHashtable,
    PSObject,
)
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CmdletSpec, ParamSpec
from psrunbook.sim.ps.exceptions import PARSE_ERROR_ID
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor

GET_THING = "Sim.Commands.GetThingCommand"


def thing(name: str, state: str, value: int) -> PSObject:
    return PSObject(
        type_names=("Sim.Thing", "System.Object"),
        properties=PSHashtable(
            [
                ("Name", name),
                ("State", PSEnum("Sim.ThingState", state, {"Online": 2, "Offline": 3}[state])),
                ("Value", value),
            ]
        ),
        to_string=name,
    )


class GetThing:
    """Get-Thing [-Name] <string[]> [-Fail] [-Count <int>] [-Force]; pipes by property name."""

    spec = CmdletSpec(
        "Get-Thing",
        GET_THING,
        (
            ParamSpec("Name", "string[]", position=0, from_pipeline_by_property_name=True),
            ParamSpec("Count", "int"),
            ParamSpec("Fail", "switch"),
            ParamSpec("Terminate", "switch"),
            ParamSpec("Force", "switch", aliases=("F",)),
            ParamSpec("Flag", "bool"),
        ),
    )

    def __init__(self) -> None:
        self.things = [thing("alpha", "Online", 1), thing("beta", "Offline", 2)]
        self.calls: list[PSHashtable] = []

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        self.calls.append(args)
        if args.get("Terminate"):
            raise CmdletError(
                ErrorRecordData(
                    "terminated",
                    "ThingTerminated",
                    "InvalidOperation",
                    "Microsoft.FailoverClusters.PowerShell.ClusterCmdletException",
                    command_type=GET_THING,
                )
            )
        names = args.get("Name")
        for found in self.things:
            if names is None or any(n.casefold() == found.properties["Name"] for n in names):
                ctx.write_output(found)
        for name in names or []:
            if not any(t.properties["Name"] == name.casefold() for t in self.things) or args.get(
                "Fail"
            ):
                ctx.write_error(
                    ErrorRecordData(
                        f"Thing '{name}' not found.",
                        "ThingNotFound",
                        "ObjectNotFound",
                        "Microsoft.FailoverClusters.PowerShell.ClusterCmdletException",
                        target_object=name,
                        command_type=GET_THING,
                    )
                )
        if args.get("Force"):
            ctx.write_warning("forced")
            ctx.write_verbose("verbose from cmdlet")
        return None


class SetThing:
    """Set-Thing -InputObject (by value) -Value <int>: pipeline binding by value."""

    spec = CmdletSpec(
        "Set-Thing",
        "Sim.Commands.SetThingCommand",
        (
            ParamSpec("InputObject", "psobject", mandatory=True, from_pipeline=True),
            ParamSpec("Value", "int", mandatory=True, position=0),
        ),
    )

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        args["InputObject"].properties["Value"] = args["Value"]
        return None


class Icacls:
    """A native command: echoes its arguments, exit code 5 when asked."""

    spec = CmdletSpec("icacls", "icacls.exe", native=True)

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        argv = args["__args__"]
        ctx.write_output("args:" + "|".join(argv))
        return 5 if "/fail" in argv else 0


@dataclass
class Result:
    output: list[Any] = field(default_factory=list)
    errors: list[ErrorRecordData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verbose: list[str] = field(default_factory=list)
    information: list[Any] = field(default_factory=list)
    debug: list[str] = field(default_factory=list)
    progress: list[Any] = field(default_factory=list)
    failed: ErrorRecordData | None = None


class Sink:
    def __init__(self) -> None:
        self.result = Result()

    def output(self, value: Any) -> None:
        self.result.output.append(value)

    def error(self, record: ErrorRecordData) -> None:
        self.result.errors.append(record)

    def warning(self, message: str) -> None:
        self.result.warnings.append(message)

    def verbose(self, message: str) -> None:
        self.result.verbose.append(message)

    def information(self, value: Any) -> None:
        """Write-Host's HostInformationMessage is kept as its text (its shape is tested
        on the wire, test_sim_host_calls); Write-Information's value as it is."""
        is_host = isinstance(value, PSObject) and value.type_names[:1] == (
            HOST_INFORMATION_MESSAGE,
        )
        self.result.information.append(str(value) if is_host else value)

    def debug(self, message: str) -> None:
        self.result.debug.append(message)

    def progress(self, record: Any) -> None:
        self.result.progress.append(record)


def table() -> dict[str, Any]:
    return {"Get-Thing": GetThing(), "Set-Thing": SetThing(), "icacls": Icacls()}


def run(
    script: str,
    *arguments: tuple[str | None, Any],
    commands: dict[str, Any] | None = None,
    input_: tuple[Any, ...] = (),
    context: ExecutionContext | None = None,
) -> Result:
    """Run ``script`` as psrunbook does (AddScript + parameters) and record the streams."""
    cmds = commands if commands is not None else table()
    executor = PowerShellExecutor(lambda ctx: cmds)
    sink = Sink()
    request = PipelineRequest((CommandRequest(script, True, tuple(arguments)),), input_)
    try:
        executor.execute(request, context or ExecutionContext("NODE1", "LAB\\admin"), sink)
    except PipelineFailed as failed:
        sink.result.failed = failed.record
    return sink.result


def output_of(script: str) -> list[Any]:
    """What ``script`` writes to the output; it must run without any error."""
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors, [e.message for e in result.errors]
    return result.output


def only_error(script: str) -> ErrorRecordData:
    """The one error ``script`` reports, terminating or not."""
    result = run(script)
    (record,) = [*result.errors, *([result.failed] if result.failed else [])]
    return record


def assert_refused_at_parse(result: Result, line: int, column: int, message: str) -> None:
    """The script failed as a parse error at ``line``, ``column`` with ``message``, and
    nothing of it ran (no output), as PowerShell's parser refuses a whole script."""
    assert [] == result.output
    assert result.failed is not None
    assert PARSE_ERROR_ID == result.failed.error_id
    assert f"line {line}, column {column}: {message}" in result.failed.message
