"""The parameters Windows PowerShell 5.1 gives the cmdlets the lab models in part.

The lab's Get-Service, Get-ChildItem, Select-Object ... bind only the parameters it
models. A script that passes another one (``Get-Service -ComputerName x``) got Windows'
"A parameter cannot be found that matches parameter name 'ComputerName'.", a claim about
Windows that is false: the parameter exists there, the lab just does not model it. With
Windows' own list (``psrunbook/data/windows_parameters.json``: every parameter and its
aliases from the PARAMETERS section of each cmdlet's 5.1 reference page,
MicrosoftDocs/PowerShell-Docs ``reference/5.1/<module>/<cmdlet>.md``) the lab refuses
such a parameter by name, and keeps Windows' error for a name Windows does not have
either. The FailoverClusters cmdlets bind every parameter the module declares
(``failoverclusters.json``) and are not listed.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def _catalog() -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Cmdlet (case-folded) -> its parameters with their aliases, as the data lists them."""
    path = resources.files("psrunbook").joinpath("data", "windows_parameters.json")
    text = path.read_text("utf-8")
    data = json.loads(text)["cmdlets"]
    return {
        name.casefold(): tuple(
            (parameter, tuple(aliases)) for parameter, aliases in entry["parameters"].items()
        )
        for name, entry in data.items()
    }


def windows_parameter(command: str, given: str) -> str | None:
    """The parameter of Windows' ``command`` that ``-given`` names (its name or an alias,
    or a prefix of one, as PowerShell matches), or None when Windows has none (or the
    command is not listed)."""
    parameters = _catalog().get(command.casefold())
    if not parameters:
        return None
    folded = given.casefold()
    for name, aliases in parameters:
        if folded in (n.casefold() for n in (name, *aliases)):
            return name
    prefixed = [
        name
        for name, aliases in parameters
        if any(n.casefold().startswith(folded) for n in (name, *aliases))
    ]
    return prefixed[0] if len(prefixed) == 1 else None
