"""``[Environment]::GetEnvironmentVariable``, ``SetEnvironmentVariable`` and
``GetEnvironmentVariables`` on a lab node: the runspace's environment (the one ``$env:``
reads), as the Process target of .NET Framework's System.Environment.

The User and Machine targets are the registry's ``HKCU\\Environment`` and
``HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment``, which the
lab's registry does not model: refused by name, never answered from the process.
Argument errors are .NET's, wrapped as PowerShell wraps an exception of a method call
(MethodInvocationException, "Exception calling ..."): a null name
(ArgumentNullException, parameter ``variable``), an empty one (ArgumentException "String
cannot be of zero length."), one with ``=`` (ArgumentException "Environment variable name
cannot contain equal character."). A null or empty value removes the variable (.NET's
SetEnvironmentVariable reference).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psrunbook.sim.objects import PSEnum, PSHashtable
from psrunbook.sim.ps import records
from psrunbook.sim.ps.values import to_string

if TYPE_CHECKING:
    from psrunbook.sim.ps.dotnet_io import DotNet

_PROCESS_TARGETS = frozenset({"process", "0"})
_TARGETS = {"process": ("Process", 0), "user": ("User", 1), "machine": ("Machine", 2)}


def environment_target(name: str) -> Any:
    """``[EnvironmentVariableTarget]::Process`` (``User``, ``Machine``), or None for no
    such member (the caller then refuses the member by name)."""
    found = _TARGETS.get(name.casefold())
    if found is None:
        return None
    return PSEnum("System.EnvironmentVariableTarget", *found)


def _counted(dotnet: DotNet, method: str, args: list[Any], counts: tuple[int, ...]) -> None:
    if len(args) not in counts:
        raise dotnet.evaluator.fail(records.overload_not_found(method, len(args)))


def _process_only(dotnet: DotNet, method: str, args: list[Any], index: int) -> None:
    """Refuse a User or Machine ``target`` (``args[index]``) by name."""
    if len(args) <= index or to_string(args[index]).casefold() in _PROCESS_TARGETS:
        return
    ev = dotnet.evaluator
    raise ev.unsupported(
        ev.statement,
        f"[Environment]::{method}() for the {to_string(args[index])} target (the registry's "
        "Environment keys, which the lab does not model)",
    )


def _name(dotnet: DotNet, method: str, args: list[Any], *, setting: bool) -> str:
    """The variable name ``args[0]``, or .NET's exception for a null (any method), empty
    or ``=``-bearing one (SetEnvironmentVariable's checks)."""
    value = args[0]
    problem = None
    if value is None:
        problem = ("ArgumentNullException", "Value cannot be null.")
    elif setting and to_string(value) == "":
        problem = ("ArgumentException", "String cannot be of zero length.")
    elif setting and "=" in to_string(value):
        problem = ("ArgumentException", "Environment variable name cannot contain equal character.")
    if problem is not None:
        exception, message = problem
        raise dotnet.method_error(
            method, len(args), exception, f"{message}\r\nParameter name: variable"
        )
    return to_string(value)


def get_environment_variable(dotnet: DotNet, args: list[Any]) -> Any:
    """The variable's value, or ``$null``."""
    _counted(dotnet, "GetEnvironmentVariable", args, (1, 2))
    _process_only(dotnet, "GetEnvironmentVariable", args, 1)
    return dotnet.evaluator.get_environment(
        _name(dotnet, "GetEnvironmentVariable", args, setting=False)
    )


def set_environment_variable(dotnet: DotNet, args: list[Any]) -> None:
    """Set the variable, or remove it for a null or empty value."""
    _counted(dotnet, "SetEnvironmentVariable", args, (2, 3))
    _process_only(dotnet, "SetEnvironmentVariable", args, 2)
    name = _name(dotnet, "SetEnvironmentVariable", args, setting=True)
    value = None if args[1] is None else to_string(args[1])
    dotnet.evaluator.set_environment(name, value or None)


def get_environment_variables(dotnet: DotNet, args: list[Any]) -> PSHashtable:
    """Every variable, as a hashtable (UNVERIFIED order: a Hashtable's on Windows)."""
    _counted(dotnet, "GetEnvironmentVariables", args, (0, 1))
    _process_only(dotnet, "GetEnvironmentVariables", args, 0)
    return PSHashtable(dotnet.evaluator.environment_variables())
