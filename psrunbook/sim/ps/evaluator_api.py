"""What the evaluator offers the collaborators it hands work to.

Operators (:mod:`psrunbook.sim.ps.operators`), member access
(:mod:`psrunbook.sim.ps.members`) and the built-in cmdlets
(:mod:`psrunbook.sim.ps.builtins`) each hold the evaluator running them only through
this protocol: they read and type-check on their own, and none of them imports the
evaluator. :class:`psrunbook.sim.ps.evaluator.Evaluator` is the one implementation.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tree_sitter import Node

    from psrunbook.sim.executor_protocol import ForwardedEvent
    from psrunbook.sim.objects import ErrorRecordData, ProgressData
    from psrunbook.sim.ps.binding import Argument
    from psrunbook.sim.ps.cmdlet_api import CmdletTable, ParamSpec
    from psrunbook.sim.ps.dotnet_io import DotNet
    from psrunbook.sim.ps.exceptions import ScriptError, UnsupportedConstruct
    from psrunbook.sim.ps.principal import WindowsIdentity
    from psrunbook.sim.ps.scope import Scope


class EvaluatorApi(Protocol):
    """The running evaluator: its scope, expressions, errors and output streams."""

    scope: Scope
    """The scope variables are read from and written to now."""

    global_scope: Scope
    """The runspace's global scope, kept between the pipelines of one pool."""

    script_scope: Scope
    """The scope ``$script:`` names."""

    runspace: dict[str, Any]
    """The runspace's shared state, kept between the pipelines of one pool (its global
    scope, environment and command history)."""

    statement: Node | None
    """The statement running now; ``None`` for a PSRP command called by name."""

    def eval(self, node: Node) -> Any:
        """Evaluate an expression node to a value."""

    def text_of(self, node: Node) -> str:
        """The script text of ``node``."""

    def fail(self, record: ErrorRecordData, *, script_terminating: bool = False) -> ScriptError:
        """A terminating error positioned at the running statement, to raise."""

    def dotnet(self) -> DotNet:
        """The .NET members over the session's files (:mod:`.dotnet_io`)."""

    def runtime_fail(
        self, message: str, error_id: str, category: str = ..., **kw: Any
    ) -> ScriptError:
        """A terminating RuntimeException-shaped error, to raise."""

    def unsupported(self, node: Node | None, construct: str) -> UnsupportedConstruct:
        """The refusal of a construct outside the simulated subset, to raise."""

    def ofs_text(self, value: Any) -> str:
        """``value`` as a string, a collection joined by ``$OFS``."""

    def alias_target(self, name: str) -> str | None:
        """The command a Windows PowerShell alias the lab resolves stands for, or None."""

    def refuse_unmodelled(self, name: str, what: str = ...) -> None:
        """Raise the refusal of a command every Windows node has that the lab does not
        model (``what`` names the construct, ``"command"`` by default); return for any
        other name."""

    def cast(self, name: str, value: Any, node: Node) -> Any:
        """``[name]value``."""

    def invoke_block(
        self,
        block: Any,
        dollar_under: Any,
        arguments: Sequence[Argument] = (),
        *,
        new_scope: bool = True,
        set_under: bool = True,
        emit: Callable[[Any], None] | None = None,
    ) -> list[Any]:
        """Run a script block and return its output (with ``emit``, write it there)."""

    def read_variable(self, name: str, node: Node) -> Any:
        """``$name`` (also ``env:NAME``)."""

    def runspace_host(self, *, pool: bool) -> Any:
        """``$Host``, or with ``pool`` the runspace's host (``[Runspace]::DefaultRunspace``'s)."""
        ...

    def check_stop(self) -> None:
        """Raise if the client asked to stop the pipeline."""

    def invoke_expression(self, text: str, emit: Callable[[Any], None]) -> None:
        """Run ``text`` as script in the current scope (``Invoke-Expression``)."""

    def set_environment(self, name: str, value: str | None) -> None:
        """Set (or with ``None`` remove) an environment variable of the runspace."""

    def get_environment(self, name: str) -> str | None:
        """An environment variable of the runspace, or None."""

    def environment_variables(self) -> list[tuple[str, str]]:
        """Every environment variable of the runspace, as (name, value), names as set."""

    def current_identity(self) -> WindowsIdentity:
        """``[Security.Principal.WindowsIdentity]::GetCurrent()``: the session's user."""

    def now(self) -> datetime.datetime:
        """The node's time, UTC: real time plus the sleeps the lab skipped (node_clock)."""

    def command_types(self) -> list[str]:
        """The implementing types of the node's commands (which modules it has)."""

    def module_imported(self, name: str) -> None:
        """Record that the runspace imported module ``name`` (``Get-Module`` lists it)."""

    def resolve_account(self, name: str) -> str | None:
        """The SID of an account name on the session's node, or None when not mapped."""

    def write_error(self, record: ErrorRecordData, action: str | None = None) -> None:
        """A non-terminating error, handled as ``-ErrorAction`` says."""

    def write_warning(self, message: str) -> None: ...

    def write_verbose(self, message: str) -> None: ...

    def write_information(self, value: Any, host: bool = False) -> None: ...

    def write_debug(self, message: str) -> None: ...

    def write_progress(self, record: ProgressData) -> None: ...

    def node_commands(self) -> CmdletTable:
        """The node's own commands (the cluster model's cmdlets and programs)."""

    def function_parameters(self, function: Any) -> tuple[tuple[ParamSpec, ...], bool]:
        """The parameters a session function declares, and whether it is advanced."""

    def forward_event(self, event: ForwardedEvent) -> None:
        """Send a forwarded engine event to the client (a PSRP USER_EVENT); dropped
        where no client listens (see :mod:`psrunbook.sim.ps.engine_events`)."""
