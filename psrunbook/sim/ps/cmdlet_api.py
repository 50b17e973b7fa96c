"""The contract between the simulated PowerShell language and the simulated machine.

The evaluator (language: parsing, variables, operators, pipelines, parameter binding)
and the cluster model (cmdlets that read and change nodes, groups, resources, registry,
files, services) are written separately and meet only here: a command is a
:class:`CmdletSpec` the evaluator binds arguments against and an ``invoke`` it calls.
The values both sides exchange are in :mod:`psrunbook.sim.objects`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import msgspec

from psrunbook.sim.objects import ErrorRecordData, PSHashtable


class CommandRefused(Exception):
    """A form of a command the lab does not model (a native program's arguments, a module
    only Windows has): the evaluator refuses the script by name, as it refuses a construct.
    Unlike a :class:`CmdletError` no ``try``/``catch`` or ``-ErrorAction`` sees it, so a
    script never takes the branch it would take for a real error on Windows."""

    def __init__(self, construct: str) -> None:
        super().__init__(construct)
        self.construct = construct


class CmdletError(Exception):
    """Raised by a cmdlet for an error; ``terminating`` says which kind PowerShell makes it.

    A non-terminating error is better reported with ``ctx.write_error`` so the cmdlet can
    go on with the next input; raising with ``terminating=False`` is the shorthand for
    "write this error and stop processing the current input object".
    """

    def __init__(self, record: ErrorRecordData, *, terminating: bool = True) -> None:
        super().__init__(record.message)
        self.record = record
        self.terminating = terminating


class ParamSpec(msgspec.Struct, frozen=True):
    """One cmdlet parameter as ``failoverclusters.json`` describes it.

    ``type`` is the PowerShell type name the evaluator converts arguments to:
    ``string``, ``string[]``, ``int``, ``uint32``, ``bool``, ``switch``, ``psobject``,
    ``object``, ``object[]``, ``hashtable``, ``scriptblock``, ``guid``, or
    ``System.Collections.Specialized.StringCollection`` (a list of strings).
    ``from_remaining_arguments`` marks ``ValueFromRemainingArguments`` (``-Owners a b``).
    A mandatory parameter refuses ``$null``, ``''`` and an empty array unless
    ``allow_null``/``allow_empty_string``/``allow_empty_collection`` (``[AllowNull()]``
    ...) say otherwise; ``validators`` are the validation attributes, each called with
    the converted argument and raising ``validation.ValidationFailed`` with the reason.
    """

    name: str
    type: str = "object"
    mandatory: bool = False
    position: int | None = None
    aliases: tuple[str, ...] = ()
    parameter_sets: tuple[str, ...] = ("(All)",)
    from_pipeline: bool = False
    from_pipeline_by_property_name: bool = False
    from_remaining_arguments: bool = False
    allow_null: bool = False
    allow_empty_string: bool = False
    allow_empty_collection: bool = False
    validators: tuple[Callable[[Any], None], ...] = ()


class CmdletSpec(msgspec.Struct, frozen=True):
    """A command's name, parameters and the .NET type that names it in error ids.

    ``native`` marks an external program (``icacls.exe``): arguments arrive as strings
    in order, unbound, and the evaluator sets ``$LASTEXITCODE`` from ``invoke``'s
    return value.
    """

    name: str
    implementing_type: str
    parameters: tuple[ParamSpec, ...] = ()
    native: bool = False
    default_set: str | None = None
    """The cmdlet's DefaultParameterSetName, where the lab models it: the set a call
    that bound no set-specific parameter uses, so its mandatory parameters are missing
    (``Remove-Item`` alone; PowerShell's binder chooses the default set when several
    remain). None: such a call is not checked against any set."""


class CmdletContext(Protocol):
    """What a running cmdlet may do to the pipeline it runs in."""

    @property
    def node(self) -> str:
        """The simulated computer's name (``$env:COMPUTERNAME``)."""

    @property
    def user(self) -> str:
        """The authenticated remote user."""

    @property
    def location(self) -> str:
        """The runspace's current FileSystem location, below which relative paths are."""

    @property
    def imported_modules(self) -> list[str]:
        """The modules the runspace imported, by autoloading or ``Import-Module``, in order."""

    def write_output(self, value: Any) -> None:
        """Send one object down the pipeline (lists are sent as one object)."""

    def write_error(self, record: ErrorRecordData) -> None:
        """Report a non-terminating error; ``-ErrorAction`` decides what happens."""

    def write_warning(self, message: str) -> None: ...

    def write_verbose(self, message: str) -> None: ...

    def write_information(self, message: Any) -> None: ...

    def sleep(self, seconds: float, *, scaled: bool = True) -> None:
        """Wait as ``Start-Sleep`` does: really (scaled for tests), ended early by Stop.
        ``scaled`` False waits the whole real time whatever the lab's time scale: for a
        wait that no amount of skipped time would end (a service that never settles)."""


class Cmdlet(Protocol):
    """A command the evaluator can call.

    The evaluator binds arguments (named, positional, aliases, unambiguous prefixes,
    switches, splatting, pipeline input by value and by property name) against
    ``spec`` and calls ``invoke`` once per pipeline input object, or once when nothing
    is piped in. ``args`` maps each bound parameter's canonical name to its converted
    value (case-insensitive); switches given are ``True``. Native commands get
    ``args["__args__"]`` as a list of strings and return their exit code.
    """

    spec: CmdletSpec

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None: ...


CmdletTable = Mapping[str, Cmdlet]
"""Cmdlets by name; lookup is case-insensitive (the evaluator folds names)."""
