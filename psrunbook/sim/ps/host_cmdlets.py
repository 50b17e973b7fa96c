"""``Read-Host``: a prompt through the pipeline's client host.

``ReadHostCommand.BeginProcessing`` (PowerShell/PowerShell src/Microsoft.PowerShell.
Commands.Utility/commands/utility/ReadConsoleCmdlet.cs): with ``-Prompt`` it calls
``Host.UI.Prompt("", "", [FieldDescription(prompt)])`` (the field's type String, or
SecureString with ``-AsSecureString``; a collection prompt is its non-empty elements
joined by spaces) and writes each value of the answer; without, ``ReadLine()`` or
``ReadLineAsSecureString()`` and writes what it returns. Those calls reach the client as
the host calls of :mod:`.remote_host_ui` (their shapes: pypsrp 0.9.1's
``test_psrp_pshost_ui_mocked_methods.yml``). Without a client host UI the script is
refused before it runs (``parser.HOST_PROMPT_COMMANDS``); a client method that fails
ends the command with its message (the error's id and category are UNVERIFIED).
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.executor_protocol import HostCallFailed, PipelineStopped
from psrunbook.sim.objects import ErrorRecordData, PSHashtable, PSObject
from psrunbook.sim.ps.builtins import BuiltinEvaluator, Emit, builtin
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.exceptions import RefusedScript, StopRequested
from psrunbook.sim.ps.host_types import field_description
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.values import as_list, is_collection, to_string

_SECURE_STRING = (
    "SecureString",
    "System.Security.SecureString",
    "System.Security.SecureString, mscorlib, Version=4.0.0.0, Culture=neutral, "
    "PublicKeyToken=b77a5c561934e089",
)
"""``FieldDescription.SetParameterType(typeof(SecureString))``: name, full name and
assembly-qualified name (UNVERIFIED: no recording has a SecureString field)."""


def _prompt_text(prompt: Any) -> str:
    if is_collection(prompt):
        return " ".join(text for item in as_list(prompt) if (text := to_string(item)))
    return to_string(prompt)


@builtin(
    "Read-Host",
    ParamSpec("Prompt", "object", position=0),
    ParamSpec("AsSecureString", "switch"),
)
def read_host(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    host = ev.runspace_host(pool=False)
    ui = host.properties.get("UI") if isinstance(host, PSObject) else None
    if not isinstance(ui, PSObject):
        raise _refused("Read-Host without a remote host")
    secure = bool(args.get("AsSecureString"))
    try:
        if args.get("Prompt") is not None:
            field = field_description(_prompt_text(args["Prompt"]))
            if secure:
                kinds = ("ParameterTypeName", "ParameterTypeFullName", "ParameterAssemblyFullName")
                field.properties.update(zip(kinds, _SECURE_STRING, strict=True))
            answer = ui.methods["Prompt"]("", "", [field])
            for value in answer.values() if isinstance(answer, PSHashtable) else ():
                emit(value)
        else:
            emit(ui.methods["ReadLineAsSecureString" if secure else "ReadLine"]())
    except HostCallFailed as failed:
        raise ev.fail(
            ErrorRecordData(
                message=str(failed),
                error_id="RemoteException",
                command_type="Microsoft.PowerShell.Commands.ReadHostCommand",
                category="NotSpecified",
                exception_type="System.Management.Automation.RemoteException",
                activity="Read-Host",
            )
        ) from None
    except HostMethodRefused as refused:
        raise _refused(f"Read-Host: {refused}") from None
    except PipelineStopped:
        raise StopRequested() from None


def _refused(what: str) -> RefusedScript:
    return RefusedScript(
        ErrorRecordData(
            message=f"The simulator refuses this pipeline: {what}",
            error_id="SimulatorUnsupportedConstruct",
            category="NotImplemented",
            exception_type="System.NotSupportedException",
        )
    )
