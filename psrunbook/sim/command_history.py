"""A runspace's command history, shared by the endpoint (which records) and the
language (whose ``Get-History`` reads it).

PowerShell keeps the history on the runspace and adds one entry for each pipeline
created with AddToHistory when it ends (``LocalPipeline``/``History.AddEntry``); the
entry is a ``Microsoft.PowerShell.Commands.HistoryInfo``. Like :mod:`.objects`, this
module sits beside the endpoint and the language so that neither imports the other:
the entries live in the runspace's shared dict (``ExecutionContext.runspace``) under
:data:`RUNSPACE_KEY`.
"""

from __future__ import annotations

import datetime
from typing import Any

from psrunbook.sim.objects import PSHashtable, PSInt64, PSObject

RUNSPACE_KEY = "history"
"""Where the entries live in the runspace's shared dict (a list, oldest first)."""
_ADDED_KEY = "history_added"
"""How many entries the runspace ever added (the next entry's Id less one)."""

HISTORY_INFO_TYPES = ("Microsoft.PowerShell.Commands.HistoryInfo", "System.Object")
"""Type names of a history entry as Windows sends it (pypsrp 0.9.1's
``responses/test_psrp_with_history.yml``)."""

MAXIMUM_HISTORY_COUNT = 4096
"""``$MaximumHistoryCount``'s default (about_Preference_Variables): older entries go."""


def history_info(
    entry_id: int,
    command_line: str,
    status: str,
    started: datetime.datetime,
    ended: datetime.datetime,
) -> PSObject:
    """One HistoryInfo, with the properties, order and types Windows sends: Id (Int64),
    CommandLine, ExecutionStatus (the PipelineState's name), StartExecutionTime and
    EndExecutionTime; its string is the command line."""
    return PSObject(
        type_names=HISTORY_INFO_TYPES,
        properties=PSHashtable(
            [
                ("Id", PSInt64(entry_id)),
                ("CommandLine", command_line),
                ("ExecutionStatus", status),
                ("StartExecutionTime", started),
                ("EndExecutionTime", ended),
            ]
        ),
        to_string=command_line,
    )


def add_entry(
    runspace: dict[str, Any],
    command_line: str,
    status: str,
    started: datetime.datetime,
    ended: datetime.datetime,
) -> None:
    """Add an ended pipeline to the runspace's history (the caller serialises writers).

    Ids count every entry ever added, so they go on rising once old entries are dropped
    (``History.AddEntry`` numbers entries by ``_countEntriesAdded``).
    """
    entries: list[PSObject] = runspace.setdefault(RUNSPACE_KEY, [])
    added = int(runspace.get(_ADDED_KEY, 0)) + 1
    runspace[_ADDED_KEY] = added
    entries.append(history_info(added, command_line, status, started, ended))
    del entries[:-MAXIMUM_HISTORY_COUNT]


def entries(runspace: dict[str, Any]) -> list[PSObject]:
    """The runspace's history, oldest first (a copy of the list)."""
    return list(runspace.get(RUNSPACE_KEY, ()))


def forget(runspace: dict[str, Any]) -> None:
    """Start a new history: no entries, Ids from 1 again (a runspace reset)."""
    runspace.pop(RUNSPACE_KEY, None)
    runspace.pop(_ADDED_KEY, None)
