"""The kinds of pipeline command as :class:`~psrunbook.sim.ps.pipeline.Stage` objects.

A value or range at the head of a pipeline, a built-in cmdlet, a cmdlet of the node, a
native program, and a script block, function, filter or PSRP script each become a
stage the pipeline driver streams objects through (see :mod:`psrunbook.sim.ps.pipeline`
for the order Windows runs them in). What a command keeps for its whole run, its
redirections and the common parameters ``-ErrorAction``, ``-ErrorVariable`` and
``-OutVariable``, is part of its frame, so it holds only while that command runs, also
when objects go back and forth between commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from psrunbook.sim.objects import ErrorRecordData, PSHashtable
from psrunbook.sim.ps.binding import Argument, Binder, BindingFailed
from psrunbook.sim.ps.cmdlet_api import CommandRefused
from psrunbook.sim.ps.dotnet_reflection import CallSite
from psrunbook.sim.ps.exceptions import (
    BreakSignal,
    ContinueSignal,
    ExitSignal,
    ReturnSignal,
    StopRequested,
)
from psrunbook.sim.ps.pipeline import Emit, Stage, StreamingCommand, save
from psrunbook.sim.ps.redirection import Redirection
from psrunbook.sim.ps.scope import Scope
from psrunbook.sim.ps.values import ConversionError, as_list, to_string
from psrunbook.sim.streamed_input import PendingInput

if TYPE_CHECKING:
    from psrunbook.sim.ps.builtins import Builtin
    from psrunbook.sim.ps.evaluator import Evaluator, ScriptBlock
    from psrunbook.sim.ps.parser import ParsedScript
    from psrunbook.sim.streamed_input import StreamedInput


class CommandStage(Stage):
    """What every stage shares: redirections and common parameters for its whole run."""

    def __init__(
        self,
        ev: Evaluator,
        redirections: Sequence[Redirection] = (),
        common: PSHashtable | None = None,
    ) -> None:
        self.ev = ev
        self.redirections = list(redirections)
        self.common = common
        self.out: Emit = _unset
        self.files: dict[str, tuple[bool, list[Any]]] = {}
        self.outputs: list[Any] | None = None
        self.errors: list[Any] | None = None
        self.wrap_sink: Callable[[Any, Emit], Any] | None = None
        """The sink the stage's streams go to, made from the caller's and its output:
        a PSRP command's Merge* settings."""

    def open(self) -> None:
        """Apply redirections and common parameters to this stage's frame."""
        ev = self.ev
        out = self.emit
        if self.wrap_sink is not None:
            ev.session.sink = self.wrap_sink(ev.session.sink, out)
        if self.redirections:
            out, ev.session.sink, self.files = ev.open_redirections(self.redirections, out)
        common = self.common
        if common:
            ev.call_action = [*ev.call_action, common]
            if "ErrorVariable" in common:
                self.errors = []
                ev.error_captures = [*ev.error_captures, self.errors]
            if "OutVariable" in common:
                outputs: list[Any] = []
                self.outputs = outputs
                downstream = out

                def tee(value: Any) -> None:
                    outputs.append(value)
                    downstream(value)

                out = tee
        self.out = out
        self.frame = save(self.ev)

    def begin(self) -> None:
        self.open()

    def close(self, completed: bool) -> None:
        """``-ErrorVariable``/``-OutVariable`` (about_CommonParameters: set also when the
        command ends with an error; ``+name`` appends; UNVERIFIED: errors ``-ErrorAction
        Ignore`` drops are kept) and, when the pipeline completed, redirected files."""
        common = self.common
        if common:
            scope = self.frame[0]
            for key, values in (("ErrorVariable", self.errors), ("OutVariable", self.outputs)):
                if values is None:
                    continue
                name = to_string(common[key])
                kept: list[Any] = []
                if name.startswith("+"):
                    name = name[1:]
                    found, old = scope.get(name)
                    kept = as_list(old) if found and old is not None else []
                scope.set_local(name, [*kept, *values])
        if completed:
            for path, (append, items) in self.files.items():
                self.ev.write_redirected_file(path, append, items)


def _unset(value: Any) -> None:
    raise AssertionError("a stage wrote output before it began")


class ValuesStage(CommandStage):
    """An expression or range heading a pipeline: writes its values one by one."""

    def __init__(
        self,
        ev: Evaluator,
        produce: Callable[[], Iterable[Any]],
        redirections: Sequence[Redirection],
    ) -> None:
        super().__init__(ev, redirections)
        self.produce = produce

    def first(self) -> None:
        check_stop = self.ev.check_stop
        out = self.out
        for item in self.produce():
            check_stop()
            out(item)


class BuiltinStage(CommandStage):
    """A language-level cmdlet: streaming, once per object, or once with all of them."""

    def __init__(
        self,
        ev: Evaluator,
        builtin: Builtin,
        own: PSHashtable,
        common: PSHashtable,
        redirections: Sequence[Redirection],
    ) -> None:
        super().__init__(ev, redirections, common)
        self.builtin = builtin
        self.own = own
        self.streaming: StreamingCommand | None = None
        self.collected: list[Any] = []

    def begin(self) -> None:
        self.open()
        factory = self.builtin.stream
        if factory is not None:
            self.streaming = factory(self.ev, self.own, self.out)
            self._guarded(self.streaming.begin)

    def process(self, item: Any) -> None:
        streaming = self.streaming
        if streaming is not None:
            try:  # _guarded written out: this runs once per object
                streaming.process(item)
            except ConversionError as exc:
                raise self._cast_error(exc) from None
        elif self.builtin.per_object:
            self._run([item])
        else:
            self.collected.append(item)

    def first(self) -> None:
        streaming = self.streaming
        if streaming is not None:
            self._guarded(streaming.first)
        else:
            self._run(None)

    def end(self) -> None:
        if self.streaming is not None:
            self._guarded(self.streaming.end)
        elif self.expecting_input and not self.builtin.per_object:
            self._run(self.collected)

    def _run(self, inputs: list[Any] | None) -> None:
        self._guarded(lambda: self.builtin.run(self.ev, self.own, inputs, self.out))

    def _guarded(self, action: Callable[[], None]) -> None:
        """A failed conversion of an argument is PowerShell's cast error."""
        try:
            action()
        except ConversionError as exc:
            raise self._cast_error(exc) from None

    def _cast_error(self, exc: ConversionError) -> Exception:
        return self.ev.runtime_fail(
            str(exc),
            "InvalidCastFromStringToInteger",
            "InvalidArgument",
            exception_type="System.Management.Automation.PSInvalidCastException",
        )


class CmdletStage(CommandStage):
    """A cmdlet of the node: called once per object (or once without input)."""

    def __init__(
        self,
        ev: Evaluator,
        cmdlet: Any,
        binder: Binder,
        own: PSHashtable,
        common: PSHashtable,
        redirections: Sequence[Redirection],
    ) -> None:
        super().__init__(ev, redirections, common)
        self.cmdlet = cmdlet
        self.binder = binder
        self.own = own

    def process(self, item: Any) -> None:
        ev = self.ev
        ev.check_stop()
        try:
            args = self.binder.bind_input(self.own, item)
        except BindingFailed as failed:  # this object's binding error is non-terminating
            ev.write_error(failed.record)
            return
        if args is None:
            ev.write_error(self.binder.input_not_bound(item))
            return
        ev.check_mandatory(self.binder, args)
        drive_command = ev.session_state_form(self.cmdlet.spec.name, args)
        if drive_command is not None:  # a path on Env: or Variable: came with the object
            drive_command.run(ev, args, None, self.out)
            return
        CmdletContext(ev, self.out).invoke(self.cmdlet, args)

    def first(self) -> None:
        self.ev.check_mandatory(self.binder, self.own)
        CmdletContext(self.ev, self.out).invoke(self.cmdlet, self.own)


class NativeStage(CommandStage):
    """A native program: runs once, at the head of the pipeline or after its input."""

    def __init__(
        self,
        ev: Evaluator,
        cmdlet: Any,
        arguments: list[Argument],
        redirections: Sequence[Redirection],
    ) -> None:
        super().__init__(ev, redirections)
        self.cmdlet = cmdlet
        self.arguments = arguments

    def first(self) -> None:
        self.ev.run_native(self.cmdlet, self.arguments, self.out)

    def end(self) -> None:
        if self.expecting_input:
            self.first()


class BlockStage(CommandStage):
    """A script block, function, filter or PSRP script: its named blocks in its scope.

    It gets a child scope of the caller's (PowerShell's dynamic scoping), or for a PSRP
    script (``psrp``) the global scope (a child of it with ``local_scope``), its
    parameters bound from the arguments and, per object, from pipeline input
    (``ValueFromPipeline``/``ValueFromPipelineByPropertyName``). ``begin`` runs once,
    ``process`` once per object (once without input), ``end`` once; ``$_``/``$PSItem``
    and ``$input`` (an enumerator of the current object) are set for each object;
    ``$input`` in ``end`` holds what no ``process`` block took; a ``return`` leaves only
    its block. A PSRP script ends at a top-level ``return``; ``exit`` ends its pipeline.
    """

    def __init__(
        self,
        ev: Evaluator,
        script: ParsedScript,
        node: Any,
        arguments: Sequence[Any],
        redirections: Sequence[Redirection] = (),
        *,
        is_filter: bool = False,
        psrp: bool = False,
        local_scope: bool = False,
        command_name: str | None = None,
        top_level: bool = False,
    ) -> None:
        super().__init__(ev, redirections)
        self.command_name = command_name
        self.invocation: tuple[str, CallSite | None] = (
            (script.text, None) if psrp or top_level else (command_name or "", ev.call_site())
        )
        """``$MyInvocation``'s command and call site: a function's name (a script block's
        is empty) and the statement that called it; the script a client sent (PSRP, or
        powershell.exe's command, ``top_level``) is named by its text and has no site."""
        """A function's name: its binding errors' ids end with it (``NamedParameterNotFound,f``,
        shared/facts/powershell.md, ErrorRecord fields)."""
        self.script = script
        self.node = node
        self.arguments = arguments
        self.is_filter = is_filter
        self.psrp = psrp
        self.local_scope = local_scope
        self.collected: list[Any] = []
        self.streamed: PendingInput | None = None
        """``$input`` of the ``end`` block when it reads the client's streamed input."""
        self.done = False
        self.scope: Scope = ev.scope

    @classmethod
    def of_block(
        cls,
        ev: Evaluator,
        block: ScriptBlock,
        arguments: Sequence[Any],
        redirections: Sequence[Redirection] = (),
        *,
        is_filter: bool = False,
    ) -> BlockStage:
        name = getattr(block, "name", None)  # a FunctionValue's; a script block has none
        return cls(ev, block.script, block.node, arguments, redirections, is_filter=is_filter,
                   command_name=name)  # fmt: skip

    def begin(self) -> None:
        self.open()
        ev = self.ev
        if self.psrp:
            scope = Scope(ev.global_scope) if self.local_scope else ev.global_scope
            ev.script_scope = scope
        else:
            scope = Scope(ev.scope)
        self.scope = ev.scope = scope
        ev.script = self.script
        self.body = body = ev.body(self.node, is_filter=self.is_filter)
        if self.psrp:
            ev.statement = body.params
        self.frame = save(ev)
        self._guard(self._begin)

    def _begin(self) -> None:
        ev, body = self.ev, self.body
        self.binding = ev.bind_script_parameters(
            body.params,
            self.arguments,
            psrp=self.psrp,
            expecting_input=self.expecting_input,
            command_name=self.command_name,
            invocation=self.invocation,
        )
        if body.named:
            self.scope.set_local("input", [])
            ev.run_block(body.begin, self.out)

    def process(self, item: Any) -> None:
        if not self.body.has_process:
            self.collected.append(item)
            binding = self.binding
            if binding is not None:  # end then sees the last object bound, as on Windows
                binding.bind(item)
            return
        self.ev.check_stop()
        self._guard(lambda: self._process(item))

    def _process(self, item: Any) -> None:
        scope = self.scope
        scope.set_local("_", item)
        scope.set_local("PSItem", item)
        scope.set_local("input", [item])
        binding = self.binding
        if binding is not None and not binding.bind(item):
            return
        self.ev.run_block(self.body.process, self.out)

    def first(self) -> None:
        if self.body.has_process:
            self._guard(lambda: self.ev.run_block(self.body.process, self.out))

    def reads_streamed_input(self, source: StreamedInput) -> bool:
        """A script without a ``process`` block reads streamed input in its ``end`` block.

        Windows binds no parameter from that input and runs ``end`` without waiting for
        it (``DlrScriptCommandProcessor``: with an external reader ``ProcessRecord``
        reads nothing, ``Complete`` gives ``$input`` the reader's enumerator).
        """
        if self.body.has_process:
            return False
        self.streamed = PendingInput(source)
        return True

    def end(self) -> None:
        if self.streamed is not None:
            self.scope.set_local("input", self.streamed)
        else:
            self.scope.set_local("input", [] if self.body.has_process else self.collected)
        self._guard(lambda: self.ev.run_block(self.body.end, self.out))

    def _guard(self, action: Callable[[], None]) -> None:
        """Run one block of a PSRP script: ``exit`` and ``return`` end the script."""
        if self.done:
            return
        if not self.psrp:
            action()
            return
        self.ev.script_scope = self.scope
        try:
            action()
        except (ReturnSignal, BreakSignal, ContinueSignal):
            self.done = True
        except ExitSignal:
            # Not the script's end only: the whole pipeline's (PowerShellExecutor).
            self.done = True
            raise

    def close(self, completed: bool) -> None:
        super().close(completed)
        if self.psrp:
            for name in ("input", "_", "psitem"):
                self.scope.variables.pop(name, None)


class CmdletContext:
    """The :class:`~psrunbook.sim.ps.cmdlet_api.CmdletContext` a node's cmdlet sees.

    A cmdlet of the lab holds the cluster's lock while it runs, so what it writes is
    kept until it returns and then sent on in order: the next commands of the pipeline
    never run under that lock (a ``while ($true) {}`` after ``Get-Service`` must not stop
    every other node). An error that ``-ErrorAction Stop`` turns terminating still stops
    the cmdlet at once.
    """

    def __init__(self, evaluator: Evaluator, emit: Emit) -> None:
        self._evaluator = evaluator
        self._emit = emit
        self._held: list[tuple[Callable[[Any], None], Any]] | None = None

    def invoke(self, cmdlet: Any, args: PSHashtable) -> Any:
        """``cmdlet.invoke`` with its writes held until it returns or fails."""
        self._held = []
        try:
            return self._evaluator.invoke_cmdlet(cmdlet, self, args)
        finally:
            held, self._held = self._held, None
            for write, value in held:
                write(value)

    def _write(self, write: Callable[[Any], None], value: Any) -> None:
        if self._held is None:
            write(value)
        else:
            self._held.append((write, value))

    @property
    def node(self) -> str:
        return self._evaluator.session.node

    @property
    def user(self) -> str:
        return self._evaluator.session.user

    @property
    def imported_modules(self) -> list[str]:
        return self._evaluator.imported_modules()

    @property
    def location(self) -> str:
        """The runspace's current FileSystem location (Get-Location's, ``$PWD``): what a
        relative path is below, and a native program's working folder. While the location
        is a session-state provider's root (``Set-Location Variable:\\``), a command that
        reads it is refused by name: a relative path there names a variable."""
        from psrunbook.sim.ps.location import (  # noqa: PLC0415 (a cycle)
            current_location,
            other_provider_location,
        )

        root = other_provider_location(self._evaluator.runspace)
        if root is not None:
            raise CommandRefused(
                f"a provider command while the location is {root.path} (the lab resolves "
                "paths from a FileSystem location only)"
            )
        return current_location(self._evaluator)

    def environment(self) -> dict[str, str]:
        """The runspace's environment, which a native program inherits."""
        return {str(k): str(v) for k, v in self._evaluator.env.items()}

    def write_output(self, value: Any) -> None:
        self._write(self._emit, value)

    def write_error(self, record: ErrorRecordData) -> None:
        ev = self._evaluator
        action = ev.error_action()
        if action == "Stop":
            ev.write_error(record, action)
        self._write(lambda r: ev.write_error(r, action), record)

    def write_warning(self, message: str) -> None:
        self._write(self._evaluator.write_warning, message)

    def write_verbose(self, message: str) -> None:
        self._write(self._evaluator.write_verbose, message)

    def write_information(self, message: Any) -> None:
        self._write(self._evaluator.write_information, message)

    def sleep(self, seconds: float, *, scaled: bool = True) -> None:
        # A cmdlet waits without the cluster lock: what it wrote so far goes on now, as
        # Windows streams a warning written before a wait (Stop-Service's "Waiting for
        # service ..." every 2 s).
        if self._held:
            held, self._held = self._held, []
            for write, value in held:
                write(value)
        session = self._evaluator.session
        wait = max(seconds, 0.0) * (session.time_scale if scaled else 1.0)
        session.clock.skip(max(seconds, 0.0) - wait)
        if session.stop is None:
            time.sleep(wait)
        elif session.stop.wait(wait):
            raise StopRequested()
