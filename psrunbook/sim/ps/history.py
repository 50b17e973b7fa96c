"""``Get-History``: the runspace's command history (registered in
:data:`psrunbook.sim.ps.builtins.BUILTINS` on import).

The endpoint records the entries (pipelines created with AddToHistory, see
:mod:`psrunbook.sim.command_history`); this cmdlet reads them from the runspace the
evaluator runs in. Microsoft docs, Get-History: ``-Id <Int64[]>`` (position 0) and
``-Count <Int32>`` (position 1, 0 to 32767); without them every entry kept, oldest first.
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim import command_history
from psrunbook.sim.objects import ErrorRecordData, PSHashtable, PSObject
from psrunbook.sim.ps.builtins import BuiltinEvaluator, Emit, builtin
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.validation import ValidateRange
from psrunbook.sim.ps.values import as_list


def _runspace_history(ev: BuiltinEvaluator) -> list[PSObject]:
    """The entries of the runspace ``ev`` runs in (empty for a new runspace)."""
    return command_history.entries(ev.runspace)


def _copy(entry: PSObject) -> PSObject:
    """A copy, as ``History.GetEntries`` returns clones: changing one changes no other."""
    return PSObject(
        type_names=entry.type_names,
        properties=PSHashtable(entry.properties.items()),
        to_string=entry.to_string,
    )


def _not_found(entry_id: int) -> ErrorRecordData:
    """Get-History's error for an id it has no entry for (HistoryStrings.NoHistoryForId;
    the wording and id are from PowerShell's source, UNVERIFIED against a recording)."""
    return ErrorRecordData(
        message=f"Cannot locate history for Id {entry_id}.",
        error_id="GetHistoryNoHistoryForId",
        category="ObjectNotFound",
        exception_type="System.ArgumentException",
        target_object=entry_id,
        target_name=str(entry_id),
        target_type="Int64",
        command_type="Microsoft.PowerShell.Commands.GetHistoryCommand",
    )


@builtin(
    "Get-History",
    # Int64[] on Windows; the lab's binder converts to Int32 at most (stricter).
    ParamSpec("Id", "int[]", position=0, validators=(ValidateRange(1, 2**63 - 1),)),
    ParamSpec("Count", "int", position=1, validators=(ValidateRange(0, 32767),)),
)
def get_history(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """The history entries, oldest first: all, the last ``-Count``, or those ``-Id`` names."""
    entries = _runspace_history(ev)
    if "Id" in args and "Count" in args:
        raise ev.unsupported(ev.statement, "Get-History -Id with -Count")
    if "Id" in args:
        by_id = {int(e.properties["Id"]): e for e in entries}
        for entry_id in as_list(args["Id"]):
            entry = by_id.get(int(entry_id))
            if entry is None:
                ev.write_error(_not_found(int(entry_id)))
            else:
                emit(_copy(entry))
        return
    count = int(args["Count"]) if "Count" in args else len(entries)
    for entry in entries[-count:] if count else ():
        emit(_copy(entry))
