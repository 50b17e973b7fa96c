"""RESET_RUNSPACE_STATE (MS-PSRP 2.2.2.31, protocol 2.3) as Windows PowerShell answers it.

``ServerRunspacePoolDriver.HandleResetRunspaceState`` answers RUNSPACE_AVAILABILITY
false when the pool may hold more than one runspace (``GetMaxRunspaces() > 1``) or when
``LocalRunspace.ResetRunspaceState`` throws, which it does while a pipeline runs
(``RunspaceAvailability != Available``: ConcurrentInvokeNotAllowed). Otherwise it
resets the runspace and answers true (PowerShell/PowerShell src/System.Management.
Automation/engine/remoting/server/ServerRunspacePoolDriver.cs, engine/hostifaces/
LocalConnection.cs). ``InitialSessionState.ResetRunspaceState`` rebuilds the global
variable table from the built-in and session variables (so a variable a client set is
gone, and preference variables are back to their defaults), sets the location back to
the start, and ``LocalRunspace`` then starts a new History (Get-History is empty, ids
restart at 1; pypsrp 0.9.1's ``responses/test_psrp_reset_runspace_state.yml``).
Functions, modules and the process environment are not part of it and survive.
"""

from __future__ import annotations

import contextlib
from typing import Any

from psrunbook.sim import command_history
from psrunbook.sim.executor_protocol import (
    RUNSPACE_DRIVE_LOCATIONS,
    RUNSPACE_LOCATION,
    RUNSPACE_PROVIDER_LOCATION,
    ExecutionContext,
    Executor,
    PipelineRequest,
)
from psrunbook.sim.objects import ErrorRecordData, ProgressData

_RESET_KEYS = (
    "global_scope",
    "errors",
    RUNSPACE_LOCATION,
    RUNSPACE_PROVIDER_LOCATION,
    RUNSPACE_DRIVE_LOCATIONS,
)
"""What of a runspace's shared dict the reset discards (the executor builds the global
scope and error list anew, as for a new runspace); the history goes too."""


def reset_allowed(max_runspaces: int, busy: bool) -> bool:
    """Whether Windows resets the pool's runspace (the RUNSPACE_AVAILABILITY answer)."""
    return max_runspaces <= 1 and not busy


def reset_runspace(executor: Executor, context: ExecutionContext) -> None:
    """Reset ``context.runspace`` in place as ``LocalRunspace.ResetRunspaceState`` does.

    The new global scope is made by the executor itself (an empty pipeline, which runs
    nothing), so its automatic and preference variables are exactly a new runspace's;
    the global functions and the environment of the old runspace are carried over.
    """
    shared = context.runspace
    lock = shared.get("lock")
    with lock if lock is not None else contextlib.nullcontext():
        old_scope = shared.get("global_scope")
        old_env = shared.get("env")
        for key in _RESET_KEYS:
            shared.pop(key, None)
        command_history.forget(shared)
    executor.execute(PipelineRequest(commands=(), input=()), context, _NoOutput())
    with lock if lock is not None else contextlib.nullcontext():
        new_scope = shared.get("global_scope")
        functions = getattr(old_scope, "functions", None)
        if new_scope is not None and functions:
            new_scope.functions.update(functions)
        if old_env is not None and "env" in shared:
            shared["env"] = old_env


class _NoOutput:
    """The sink of the empty pipeline that builds the new global scope (never written)."""

    def output(self, value: Any) -> None:
        pass

    def error(self, record: ErrorRecordData) -> None:
        pass

    def warning(self, message: str) -> None:
        pass

    def verbose(self, message: str) -> None:
        pass

    def information(self, value: Any) -> None:
        pass

    def debug(self, message: str) -> None:
        pass

    def progress(self, record: ProgressData) -> None:
        pass
