"""GET_COMMAND_METADATA (MS-PSRP 2.2.2.14) as Windows PowerShell answers it.

The server does not answer it itself: ``ServerRunspacePoolDriver.HandleGetCommandMetadata``
(PowerShell/PowerShell src/System.Management.Automation/engine/remoting/server/
ServerRunspacePoolDriver.cs) builds two pipelines from the message with
``RemotingDecoder.GetCommandDiscoveryPipeline`` and runs them, one after the other, as
the pipeline the client created (no input, not added to history):

- ``Get-Command -Name <Name or *> -CommandType <CommandType> -Module <Namespace or "">
  -ArgumentList <ArgumentList> -ErrorAction SilentlyContinue | Measure-Object |
  Select-Object -Property Count``: the CommandMetadataCount (MS-PSRP 2.2.3.21);
- the same ``Get-Command`` (without ErrorAction) ``| Select-Object -Property Name,
  Namespace, HelpUri, CommandType, ResolvedCommandName, OutputType, Parameters``: one
  object per command (GET_COMMAND_METADATA_REPLY, MS-PSRP 2.2.2.15).

Both reach the client as ordinary PIPELINE_OUTPUT, then the PIPELINE_STATE
(pypsrp 0.9.1's ``responses/test_psrp_get_command_metadata.yml`` shows Windows'
``Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo`` count followed by
``Selected.System.Management.Automation.CmdletInfo`` objects). The lab runs the same
two pipelines through its executor, so it answers exactly what its ``Get-Command``
gives, and fails the pipeline as PowerShell would where that command is missing.
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.endpoint.clixml import from_psrp
from psrunbook.sim.endpoint.runspace_pool import PipelineShape
from psrunbook.sim.executor_protocol import CommandRequest
from psrunbook.sim.objects import PSEnum

REPLY_PROPERTIES = (
    "Name",
    "Namespace",
    "HelpUri",
    "CommandType",
    "ResolvedCommandName",
    "OutputType",
    "Parameters",
)
"""What ``HandleGetCommandMetadata`` selects of every command found."""

_COMMAND_TYPES = (
    ("Alias", 1),
    ("Function", 2),
    ("Filter", 4),
    ("Cmdlet", 8),
    ("ExternalScript", 16),
    ("Application", 32),
    ("Script", 64),
    ("Workflow", 128),
    ("Configuration", 256),
)
"""``System.Management.Automation.CommandTypes`` of Windows PowerShell 5.1 (All = 511)."""


def command_types(value: Any) -> PSEnum:
    """The CommandType a GET_COMMAND_METADATA asks for, as the enum Get-Command is given.

    ``[Flags]`` enums print as their set members in ascending order, ``All`` for all.
    """
    number = int(value or 0)
    if number == 511:
        name = "All"
    else:
        name = ", ".join(n for n, bit in _COMMAND_TYPES if number & bit) or str(number)
    return PSEnum("System.Management.Automation.CommandTypes", name, number)


def command_metadata_shape(metadata: Any) -> PipelineShape:
    """The two pipelines Windows runs for psrpcore's ``GetMetadata`` description."""
    names = list(metadata.name) if metadata.name is not None else ["*"]
    modules = list(metadata.namespace) if metadata.namespace is not None else [""]
    arguments = list(metadata.arguments) if metadata.arguments is not None else None
    discovery: tuple[tuple[str | None, Any], ...] = (
        ("Name", from_psrp(names)),
        ("CommandType", command_types(metadata.command_type)),
        ("Module", from_psrp(modules)),
        ("ArgumentList", None if arguments is None else from_psrp(arguments)),
    )
    counting = (
        CommandRequest(
            "Get-Command",
            is_script=False,
            arguments=(*discovery, ("ErrorAction", "SilentlyContinue")),
        ),
        CommandRequest("Measure-Object", is_script=False),
        CommandRequest(
            "Select-Object", is_script=False, arguments=(("Property", "Count"),),
            ends_statement=True,
        ),
    )  # fmt: skip
    main = (
        CommandRequest("Get-Command", is_script=False, arguments=discovery),
        CommandRequest(
            "Select-Object", is_script=False, arguments=(("Property", list(REPLY_PROPERTIES)),),
            ends_statement=True,
        ),
    )  # fmt: skip
    return PipelineShape(commands=counting + main, is_nested=False, no_input=True)
