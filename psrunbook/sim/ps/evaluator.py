"""The evaluator: runs a parsed script with PowerShell's semantics.

It walks the tree-sitter tree directly. Every node type it does not know is refused with
:class:`UnsupportedConstruct`, so a script outside the supported subset fails loudly
instead of doing something PowerShell would not do. Pipelines stream as on Windows:
each command is a stage (:mod:`psrunbook.sim.ps.stages`) and every object goes through
the following commands before the next one is made (:mod:`psrunbook.sim.ps.pipeline`).
"""

from __future__ import annotations

import datetime
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Protocol, TypeVar, cast

import msgspec
from tree_sitter import Node

from psrunbook.sim.executor_protocol import (
    RUNSPACE_CONFIGURATION,
    RUNSPACE_PROFILE_LOADED,
    RUNSPACE_WOW64,
    SESSION_PID,
    ForwardedEvent,
    PipelineStopped,
    SenderInfo,
    is_event_forwarding_sink,
)
from psrunbook.sim.objects import (
    DotNetList,
    ErrorRecordData,
    ErrorRecordObject,
    ProgressData,
    PSChar,
    PSEnum,
    PSHashtable,
    PSObject,
    PSOrderedDictionary,
    SecureStringValue,
    member_text,
)
from psrunbook.sim.ps import (
    automatic,
    dotnet_lists,
    dotnet_reflection,
    engine_events,
    event_cmdlets,  # noqa: F401  (registers the event cmdlets)
    exception_objects,
    format_cmdlets,  # noqa: F401  (registers its built-in cmdlets)
    get_command,  # noqa: F401  (registers Get-Command)
    host_cmdlets,  # noqa: F401  (registers Read-Host)
    location,
    member_cmdlet,  # noqa: F401  (registers Get-Member)
    pipeline_cmdlets,  # noqa: F401  (registers the streaming built-ins)
    records,
    utility,  # noqa: F401  (registers its built-in cmdlets)
)
from psrunbook.sim.ps.argument_plan import Colon, Positional, Splat, Step, Switch, argument_plan
from psrunbook.sim.ps.binding import (
    ACTION_PREFERENCES,
    Argument,
    Binder,
    BindingFailed,
    split_common,
)
from psrunbook.sim.ps.blocks import ScriptBody, body_of
from psrunbook.sim.ps.builtins import (
    BUILTINS,
    COMMAND_ALIASES,
    Builtin,
    format_lines,
)
from psrunbook.sim.ps.cmdlet_api import (
    CmdletError,
    CmdletSpec,
    CmdletTable,
    CommandRefused,
    ParamSpec,
)
from psrunbook.sim.ps.command_lookup import CORE, module_of
from psrunbook.sim.ps.compiled import (
    UNSUPPORTED_VARIABLES,
    VERBATIM_STRINGS,
    WRAPPERS,
    Compiler,
    HashEntry,
    compiler_of,
)
from psrunbook.sim.ps.constant_attributes import constant_attribute_arguments
from psrunbook.sim.ps.default_parameter_values import apply_defaults, defaults_for
from psrunbook.sim.ps.dotnet_io import DotNet, DotNetFiles
from psrunbook.sim.ps.dotnet_reflection import CallSite
from psrunbook.sim.ps.exceptions import (
    BreakSignal,
    ContinueSignal,
    ExitSignal,
    ReturnSignal,
    ScriptError,
    StopRequested,
    UnsupportedConstruct,
)
from psrunbook.sim.ps.host_types import MultiDimensionalArray
from psrunbook.sim.ps.lexer import DOUBLE_QUOTES, SINGLE_QUOTES
from psrunbook.sim.ps.members import Members
from psrunbook.sim.ps.natives import NATIVES
from psrunbook.sim.ps.node_clock import NodeClock
from psrunbook.sim.ps.number_literals import NUMBER_PATTERN, BadNumericConstant, number_literal
from psrunbook.sim.ps.operators import Operators
from psrunbook.sim.ps.parser import (
    ParsedScript,
    abbreviated_switch_flags,
    parse,
)
from psrunbook.sim.ps.pipeline import Stage, run_pipeline
from psrunbook.sim.ps.preference_variables import (
    UNMODELLED_VALUES,
    enumeration_limit,
    set_session_preferences,
)
from psrunbook.sim.ps.principal import (
    WindowsIdentity,
    current_identity,
    nt_account,
    principal_of,
)
from psrunbook.sim.ps.psobject_view import PropertyCollection
from psrunbook.sim.ps.redirection import (
    MERGE,
    Redirection,
    Routes,
    drop,
    glued,
    redirected_sink,
    streams_of,
)
from psrunbook.sim.ps.references import REFERENCE_TYPE_NAMES, PSReference
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused, RemoteHosts
from psrunbook.sim.ps.scope import Scope
from psrunbook.sim.ps.session_state_items import COMMANDS as SESSION_STATE_COMMANDS
from psrunbook.sim.ps.session_state_items import may_name_session_state
from psrunbook.sim.ps.session_state_items import route as route_session_state
from psrunbook.sim.ps.stages import (
    BlockStage,
    BuiltinStage,
    CmdletContext,
    CmdletStage,
    CommandStage,
    NativeStage,
    ValuesStage,
)
from psrunbook.sim.ps.strings import (
    Literal,
    SubExpression,
    VariableRef,
    decode_verbatim,
    expandable_parts,
)
from psrunbook.sim.ps.validation import ALLOW_ATTRIBUTES, ValidationFailed, attribute_validator
from psrunbook.sim.ps.values import (
    CONVERTERS,
    NOTHING,
    ConversionError,
    ScriptBlockValue,
    TypeRef,
    as_list,
    convert,
    is_collection,
    to_bool,
    to_int,
    to_string,
)
from psrunbook.sim.ps.windows_parameters import windows_parameter
from psrunbook.sim.streamed_input import PendingInput
from psrunbook.sim.windows_environment import powershell_module_path, process_environment

ENV_DEFAULTS = {
    "SystemRoot": "C:\\Windows",
    "windir": "C:\\Windows",
    "SystemDrive": "C:",
    "ProgramFiles": "C:\\Program Files",
    "ProgramFiles(x86)": "C:\\Program Files (x86)",
    "ProgramData": "C:\\ProgramData",
    "TEMP": "C:\\Windows\\TEMP",
    "TMP": "C:\\Windows\\TEMP",
    "PROCESSOR_ARCHITECTURE": "AMD64",
    "OS": "Windows_NT",
}

_RANGE = re.compile(r"^(-?\d+)\.\.(-?\d+)$")
"""``1..3`` alone as a statement, which tree-sitter-powershell parses as a command name:
produced number by number (``1..1000000000 | Select-Object -First 2`` returns at once),
where :data:`_EXPRESSION_HEAD` would build the whole array first."""


_EXPRESSION_HEAD = re.compile(f"^({NUMBER_PATTERN})" + r"(?:\.\.(.*))?$", re.IGNORECASE)
"""A command name that PowerShell's tokenizer reads as a number, or a range starting at
one (``1..3``, ``2..$n``, ``0x10``, ``2KB``): PowerShell parses such a statement as an
expression (about_Parsing: a statement starting with a number is in expression mode), so
``1..3 -join ''`` is ``'123'``. tree-sitter-powershell reads the same text as a command
named ``1..3`` with arguments ``-join ''``; ``7z a x.7z`` stays a command, as on
Windows, since ``7z`` is no number."""


_R = TypeVar("_R")

DEFAULT_MAXIMUM_ERROR_COUNT = 256
SYSTEM_PROFILE = "C:\\Windows\\system32\\config\\systemprofile"
"""``$env:USERPROFILE`` of a runspace created without the user's profile
(``WINRS_NOPROFILE``): pypsrp 0.9.1's recorded ``test_psrp_no_profile.yml`` answers this
path (upper-cased by its script; the case here is Windows' usual spelling, UNVERIFIED)."""
"""``$MaximumErrorCount``'s default: the records ``$Error`` keeps (about_Preference_Variables)."""


WOW64_PSHOME = "C:\\Windows\\SysWOW64\\WindowsPowerShell\\v1.0"
"""``$PSHOME`` of 32-bit Windows PowerShell: the engine's ApplicationBase in the 32-bit
registry view, the SysWOW64 copy of the 64-bit engine's System32 folder (UNVERIFIED
against a Microsoft.PowerShell32 session)."""


def _wow64_environment(env: dict[str, str]) -> None:
    """What WOW64 changes in the environment of a 32-bit process on 64-bit Windows, as
    Microsoft's "WOW64 Implementation Details" (Environment variables) tabulates it:
    ``PROCESSOR_ARCHITECTURE`` is ``x86`` and ``PROCESSOR_ARCHITEW6432`` the native one
    (``AMD64``); ``ProgramFiles`` and ``CommonProgramFiles`` are the ``(x86)`` folders,
    while ``ProgramW6432`` and ``CommonProgramW6432`` keep the 64-bit ones. A variable
    the 64-bit block lacks (the no-profile block has no CommonProgramFiles) stays
    absent."""
    env["PROCESSOR_ARCHITEW6432"] = env.get("PROCESSOR_ARCHITECTURE", "AMD64")
    env["PROCESSOR_ARCHITECTURE"] = "x86"
    for name, native, x86 in (
        ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"),
        ("CommonProgramFiles", "CommonProgramW6432", "CommonProgramFiles(x86)"),
    ):
        if name in env:
            env[native] = env[name]
        if x86 in env:
            env[name] = env[x86]


def _valid_error_count(value: Any) -> bool:
    """A value ``$MaximumErrorCount`` takes on Windows: a whole number from 256 to 32768."""
    try:
        return 256 <= int(value) <= 32768 and int(value) == value
    except (TypeError, ValueError, OverflowError):
        return False


class Sink(Protocol):
    """Where the streams other than output go (the executor's OutputSink)."""

    def error(self, record: ErrorRecordData) -> None: ...

    def warning(self, message: str) -> None: ...

    def verbose(self, message: str) -> None: ...

    def information(self, value: Any) -> None: ...

    def debug(self, message: str) -> None: ...

    def progress(self, record: ProgressData) -> None: ...


Emit = Callable[[Any], None]


class ScriptBlock(ScriptBlockValue):
    """A script block value: its tree, the script it came from, and its text."""

    def __init__(self, node: Node, script: ParsedScript) -> None:
        self.node = node
        self.script = script
        source = script.source(node)
        self.text = source[1:-1] if source.startswith("{") else source

    def __repr__(self) -> str:
        return "{" + self.text + "}"


class PipelineSession(msgspec.Struct):
    """What one pipeline run shares: the node, the commands and the output streams."""

    node: str
    user: str
    commands: CmdletTable
    sink: Sink
    clock: NodeClock
    """The node's clock: real time plus the sleeps ``time_scale`` skipped (node_clock),
    the executor's, which every session of its nodes shares."""
    stop: threading.Event | None = None
    env: dict[str, str] = msgspec.field(default_factory=dict)
    time_scale: float = 1.0
    """Multiplies real waits (``Start-Sleep``); tests shrink it, Windows has 1.0."""
    administrator: bool = True
    """Whether the user is in the node's Administrators group (``IsInRole`` answers it)."""
    sender: SenderInfo | None = None
    """The remote session's sender (``$PSSenderInfo``); None outside PSRP."""
    resolve_account: Callable[[str], str | None] | None = None
    """The SID of an account name on this node (``NTAccount.Translate``), or None."""
    files: DotNetFiles | None = None
    """The node's files as System.IO sees them (:mod:`.dotnet_io`), or None."""
    remote_hosts: RemoteHosts | None = None
    """This pipeline's ``$Host`` and its runspace's host, reaching the client's hosts
    (:mod:`.remote_host_ui`); None keeps the runspace's ``$Host`` as it is."""
    unmodelled: Callable[[str], str | None] | None = None
    """Why a command every Windows node has is refused here (the lab does not model it),
    or None for a name Windows does not know either; asked only after every lookup found
    nothing. None: every unknown name is CommandNotFoundException."""
    unmodelled_module: Callable[[str], str | None] | None = None
    """The same for a module name (Import-Module): why a module every Windows node has
    is refused here, or None."""
    command_alias: Callable[[str], str | None] | None = None
    """The command a Windows PowerShell alias stands for when this node models it
    (``gwmi``: Get-WmiObject), or None; asked only after every lookup found nothing."""


def collect(values: Sequence[Any]) -> Any:
    """What assigning a pipeline's output gives: nothing -> $null, one -> it, else array."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return list(values)


_CAST_TYPES = frozenset({
    "string", "int", "int32", "int64", "long", "uint32", "bool", "boolean", "double",
    "string[]", "array", "object[]", "hashtable", "collections.hashtable", "int[]",
    "securestring", "scriptblock", "guid", "switch", "version",
})  # fmt: skip
"""The types a cast converts to besides :data:`CONVERTERS`' (a set built once, not at
every cast)."""

_IMPORTED_MODULES = "imported_modules"
"""The runspace's key for the modules it imported, by autoloading or ``Import-Module``,
in that order (a list of names: ``Get-Module`` without ``-ListAvailable`` lists them)."""

_MODULES_PREPARED = "modules_prepared"
"""The runspace's key set once a command outside the Core snap-in has run in it
(:meth:`Evaluator._module_command_used`)."""

_KEPT_CONSTRAINTS = frozenset({
    "string", "int", "int32", "int64", "long", "uint32", "bool", "boolean", "double",
    "string[]", "array", "object[]", "int[]", "int32[]", "hashtable", "collections.hashtable",
    "securestring", "scriptblock", "guid", "version", "datetime", "timespan",
})  # fmt: skip
"""The casts an assignment's variable keeps as its type (``[int[]]$i = 1, 2`` then
``$i = 'x'`` fails, ``$i += '7'`` adds the Int32 7), as PowerShell keeps every one: those
whose conversions the lab models."""


def children(node: Node) -> list[Node]:
    """Named children without comments."""
    return [c for c in node.named_children if c.type != "comment"]


class Evaluator:
    """Runs scripts for one pipeline; keeps the global and script scopes."""

    def __init__(self, session: PipelineSession, runspace: dict[str, Any] | None = None) -> None:
        """``runspace`` is kept between the pipelines of one runspace pool: the global
        scope, ``$Error`` and the environment live there, as in a PowerShell runspace."""
        self.session = session
        self._event_sink = session.sink if is_event_forwarding_sink(session.sink) else None
        """The executor's own sink, taken before commands wrap ``session.sink`` with their
        merges and redirections: forwarded events go to the runspace pool, past those."""
        self.operators = Operators(self)
        self.members = Members(self)
        self.script: ParsedScript | None = None
        self.statement: Node | None = None
        self.try_depth = 0
        self.caught: list[ErrorRecordObject] = []
        self.errors: list[Any] = []
        self.call_action: list[PSHashtable] = []
        self.error_captures: list[list[Any]] = []
        """One list per running command with -ErrorVariable: the errors it writes."""
        self.failures = 0
        """Errors and failed native commands so far; a statement that adds one sets
        ``$?`` to False."""
        self.succeeded = True
        """``$?``: whether the last pipeline statement ran without an error."""
        shared = runspace if runspace is not None else {}
        with shared.setdefault("lock", threading.Lock()):
            if "global_scope" not in shared:
                self._new_runspace(shared)
        self.global_scope: Scope = shared["global_scope"]
        self.scope: Scope = self.global_scope
        self.script_scope: Scope = self.global_scope
        """The scope ``$script:`` names: the one the running PSRP script was started in."""
        self.errors = shared["errors"]
        self.env: PSHashtable = shared["env"]
        self.runspace: dict[str, Any] = shared
        """The runspace's shared state (kept between the pipelines of one pool)."""

    def release(self) -> None:
        """Break the evaluator's own reference cycles once its pipeline has ended.

        :class:`Operators` and :class:`Members` point back at the evaluator, so without
        this everything a pipeline touched (its scopes, values and output objects) would
        wait for the cyclic garbage collector instead of being freed when the pipeline
        ends; a fan-out's steady stream of pipelines then filled the collector's youngest
        generation and its sweeps cost a tenth of the simulator's CPU (issue 16). The
        evaluator is not used after this.
        """
        del self.operators, self.members

    def _new_runspace(self, shared: dict[str, Any]) -> None:
        """The global scope and environment a new runspace starts with."""
        session = self.session
        self.global_scope = Scope()
        self.errors = []
        user = session.user.split("\\")[-1].split("@")[0]
        if shared.get(RUNSPACE_PROFILE_LOADED, True):
            # The host process's environment, the user's profile loaded: the block a
            # WinRS process gets too (Path, APPDATA, LOCALAPPDATA, PUBLIC, ...), with the
            # user's own temporary folder (Ansible's win_tempfile page shows a %TEMP% of
            # C:\Users\Administrator\AppData\Local\Temp on a WinRM host). PROMPT is
            # cmd.exe's own.
            domain = automatic.connected_user(session.user, session.node).split("\\")[0]
            env = process_environment(session.node, user, (), domain=domain)
            env.pop("PROMPT", None)
            env["PSModulePath"] = powershell_module_path(env["USERPROFILE"])
        else:  # WINRS_NOPROFILE: Windows' own defaults (UNVERIFIED beyond USERPROFILE)
            env = dict(ENV_DEFAULTS)
            env["COMPUTERNAME"] = session.node
            env["USERNAME"] = user
            env["USERPROFILE"] = SYSTEM_PROFILE
        env.update(session.env)
        wow64 = bool(shared.get(RUNSPACE_WOW64, False))
        if wow64:
            _wow64_environment(env)
        self.env = PSHashtable(env.items())
        g = self.global_scope
        g.set_local("ErrorActionPreference", "Continue")
        g.set_local("WarningPreference", "Continue")
        g.set_local("VerbosePreference", "SilentlyContinue")
        g.set_local("InformationPreference", "SilentlyContinue")
        g.set_local("DebugPreference", "SilentlyContinue")
        g.set_local("Error", self.errors)
        g.set_local("MaximumErrorCount", DEFAULT_MAXIMUM_ERROR_COUNT)
        g.set_local("HOME", env["USERPROFILE"])
        g.set_local("PID", SESSION_PID)
        g.set_local("PSScriptRoot", "")
        g.set_local("args", [])
        g.set_local("PSVersionTable", automatic.version_table())
        events = engine_events.manager_of(shared)
        g.set_local("host", automatic.remote_host(engine_events.runspace_object(events)))
        g.set_local(
            "ExecutionContext", dotnet_reflection.execution_context(session.user, events.object)
        )
        if session.sender is not None:
            sender = automatic.sender_info(session.sender, session.user, session.node)
            if RUNSPACE_CONFIGURATION in shared:  # the pool's own, not Microsoft.PowerShell
                sender.properties["ConfigurationName"] = shared[RUNSPACE_CONFIGURATION]
            g.set_local("PSSenderInfo", sender)
        g.set_local("ProgressPreference", "Continue")
        set_session_preferences(g)
        if wow64:
            g.set_local("PSHOME", WOW64_PSHOME)
        shared.update(global_scope=self.global_scope, errors=self.errors, env=self.env)

    # ----------------------------------------------------------------- positions and errors

    def text_of(self, node: Node) -> str:
        assert self.script is not None
        texts = self.script.texts
        key = node.id
        text = texts.get(key)
        if text is None:
            text = texts[key] = self.script.source(node)
        return text

    def unwrap_single(self, node: Node) -> Node:
        """``node`` without the wrapper nodes that have a single child, cached."""
        assert self.script is not None

        def read() -> Node:
            found = node
            while found.type in WRAPPERS and len(self.kids(found)) == 1:
                found = self.kids(found)[0]
            return found

        return self.kept("single", node, read)

    def kids(self, node: Node) -> list[Node]:
        """Named children without comments, cached per node of the running script.

        tree-sitter builds new Python objects on every child access; loops evaluate
        the same nodes thousands of times, so the lists are kept with the parsed script.
        """
        script = self.script
        if script is None:
            return children(node)
        cache = script.kids
        key = node.id
        found = cache.get(key)
        if found is None:
            found = cache[key] = children(node)
        return found

    def kept(self, kind: str, node: Node, read: Callable[[], _R]) -> _R:
        """``read()`` once per ``kind`` and node of the running script, kept with it.

        For what depends only on the tree (never on a variable's value): tree-sitter
        builds new node objects at every child access, and a script sent to every node
        of a fleet runs the same nodes again and again. Without a parsed script (an
        expression evaluated on its own) it is read each time.
        """
        script = self.script
        if script is None:
            return read()
        key = (kind, node.id)
        found = script.bodies.get(key, _UNREAD)
        if found is _UNREAD:
            found = script.bodies[key] = read()
        return cast(_R, found)  # bodies holds what read() returned for this key

    def unsupported(self, node: Node | None, construct: str) -> UnsupportedConstruct:
        if node is None or self.script is None:
            # A command the client added by name (PSRP AddCommand): no script text.
            return UnsupportedConstruct(1, construct, construct)
        line = self.script.line(node)
        return UnsupportedConstruct(
            line,
            construct,
            self.text_of(node),
            self.script.line_text(line),
            self.script.column(node),
        )

    def positioned(self, record: ErrorRecordData) -> ErrorRecordData:
        """Fill in the failing statement's line, column and text."""
        if record.script_line is not None or self.statement is None or self.script is None:
            return record
        line = self.script.line(self.statement)
        return msgspec.structs.replace(
            record,
            script_line=line,
            script_column=self.script.column(self.statement),
            line_text=self.script.line_text(line),
        )

    def call_site(self) -> CallSite | None:
        """Where the statement running now is: the call site of a function or script
        block it calls (its ``$MyInvocation``'s position)."""
        if self.statement is None or self.script is None:
            return None
        line = self.script.line(self.statement)
        return CallSite(
            line,
            self.script.column(self.statement),
            self.script.line_text(line),
            len(self.text_of(self.statement).split("\n", 1)[0].rstrip("\r")),
        )

    def positioned_at(self, record: ErrorRecordData, node: Node) -> ErrorRecordData:
        """``record`` at ``node``, the element that failed: its line, column and length
        (the part on its first line), which the position message underlines."""
        if self.script is None:
            return self.positioned(record)
        line = self.script.line(node)
        return msgspec.structs.replace(
            record,
            script_line=line,
            script_column=self.script.column(node),
            line_text=self.script.line_text(line),
            extent_length=len(self.text_of(node).split("\n", 1)[0].rstrip("\r")),
        )

    def fail(self, record: ErrorRecordData, *, script_terminating: bool = False) -> ScriptError:
        return ScriptError(self.positioned(record), script_terminating=script_terminating)

    def dotnet(self) -> DotNet:
        """The .NET members over this session's files (:mod:`.dotnet_io`)."""
        return DotNet(self, self.session.files, self.session.user)

    def runtime_fail(
        self, message: str, error_id: str, category: str = "InvalidOperation", **kw: Any
    ) -> ScriptError:
        return self.fail(records.runtime_error(message, error_id, category, **kw))

    def preference(self, name: str) -> str:
        found, value = self.scope.get(name)
        text = to_string(value) if found else "Continue"
        for option in ACTION_PREFERENCES:
            if option.casefold() == text.casefold():
                return option
        return "Continue"

    def error_action(self) -> str:
        if self.call_action:
            action = self.call_action[-1].get("ErrorAction")
            if action is not None:
                return self.action_name(action)
        return self.preference("ErrorActionPreference")

    def action_name(self, value: Any) -> str:
        text = to_string(value)
        for option in ACTION_PREFERENCES:
            if option.casefold() == text.casefold():
                return option
        number = value if isinstance(value, int) else int(text) if text.isdigit() else None
        if number is not None and 0 <= number < len(ACTION_PREFERENCES):
            # the enum's values, which PowerShell also converts from text (-ea 0)
            return ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore")[number]
        raise self.fail(
            records.binding_error(
                f"Cannot bind parameter 'ErrorAction'. Cannot convert value \"{text}\" to type "
                '"System.Management.Automation.ActionPreference". Error: "Unable to match the '
                'identifier name to a valid enumerator name."',
                "CannotConvertArgumentNoMessage",
                None,
            )
        )

    def record_error(self, record: ErrorRecordData, escalated: bool = False) -> None:
        """The newest first in ``$Error``, which keeps ``$MaximumErrorCount`` records
        (about_Preference_Variables: 256 by default), as a Windows runspace does."""
        self.errors.insert(0, records.error_record_object(record, escalated))
        if len(self.errors) > DEFAULT_MAXIMUM_ERROR_COUNT:
            del self.errors[self._maximum_error_count() :]

    def _maximum_error_count(self) -> int:
        """The bound in force: an assignment outside 256..32768 is refused (assign_variable)."""
        found, value = self.scope.get("MaximumErrorCount")
        return int(value) if found else DEFAULT_MAXIMUM_ERROR_COUNT

    def write_error(self, record: ErrorRecordData, action: str | None = None) -> None:
        """A non-terminating error: shown, silenced, or escalated by Stop."""
        record = self.positioned(record)
        self.failures += 1
        for capture in self.error_captures:
            capture.append(records.error_record_object(record))
        action = action or self.error_action()
        if action == "Stop":
            raise ScriptError(record, script_terminating=True, escalated=True)
        if action == "Ignore":
            return
        self.record_error(record)
        if action != "SilentlyContinue":
            self.session.sink.error(record)

    def write_warning(self, message: str) -> None:
        action = self.preference("WarningPreference")
        if self.call_action and self.call_action[-1].get("WarningAction") is not None:
            action = self.action_name(self.call_action[-1]["WarningAction"])
        if action not in ("SilentlyContinue", "Ignore"):
            self.session.sink.warning(message)

    def write_verbose(self, message: str) -> None:
        verbose = self.preference("VerbosePreference") == "Continue"
        if self.call_action and "Verbose" in self.call_action[-1]:
            verbose = to_bool(self.call_action[-1]["Verbose"])
        if verbose:
            self.session.sink.verbose(message)

    def write_information(self, value: Any, host: bool = False) -> None:
        # Windows sends the record under SilentlyContinue too (it is only not displayed):
        # shared/recordings/test_psrp_stream_output_invocation.yml; Ignore drops it.
        action = "Continue" if host else self.preference("InformationPreference")
        if self.call_action and self.call_action[-1].get("InformationAction") is not None:
            action = self.action_name(self.call_action[-1]["InformationAction"])
        if action != "Ignore":
            self.session.sink.information(value)

    def write_debug(self, message: str) -> None:
        debug = self.preference("DebugPreference") not in ("SilentlyContinue", "Ignore")
        if self.call_action and "Debug" in self.call_action[-1]:
            debug = to_bool(self.call_action[-1]["Debug"])
        if debug:
            self.session.sink.debug(message)

    def write_progress(self, record: ProgressData) -> None:
        if self.preference("ProgressPreference") not in ("SilentlyContinue", "Ignore"):
            self.session.sink.progress(record)

    def forward_event(self, event: ForwardedEvent) -> None:
        if self._event_sink is not None:
            self._event_sink.user_event(event)

    def node_commands(self) -> CmdletTable:
        return self.session.commands

    def function_parameters(self, function: Any) -> tuple[tuple[ParamSpec, ...], bool]:
        with self.using_script(function.script):
            body = body_of(function.node, is_filter=function.is_filter)
            declared = self._declared_parameters(body.params)
        return tuple(p.spec for p in declared.parameters), declared.advanced

    @contextmanager
    def using_script(self, script: ParsedScript) -> Iterator[None]:
        previous = self.script
        self.script = script
        try:
            yield
        finally:
            self.script = previous

    # ----------------------------------------------------------------- running scripts

    def run_block(self, statements: Node | None, emit: Emit) -> None:
        """One named block's statements; a ``return`` leaves only this block.

        Plain ``try`` rather than ``contextlib.suppress``: a ForEach-Object block runs
        once per pipeline object, and the context manager's objects cost as much as a
        short statement."""
        if statements is None:
            return
        try:
            for statement in self.kids(statements):
                self.exec_statement(statement, emit)
        except ReturnSignal:
            pass

    def invoke_expression(self, text: str, emit: Emit) -> None:
        """``Invoke-Expression``: ``text`` runs in the caller's scope, like dot-sourcing.

        An error thrown by one of its top-level statements (an unknown command, a
        runtime error) leaves Invoke-Expression as a terminating error, so a PSRP
        pipeline of it ends Failed with that record: pypsrp's
        ``test_client_execute_ps_failure``, replayed on responses recorded from Windows,
        gets exactly one error and ``had_errors`` (which pypsrp 0.9.1 sets only for a
        Failed pipeline). Errors a cmdlet writes stay non-terminating. A construct the
        lab refuses stops it before any statement runs (the whole text is parsed first).
        """
        script = parse(text)
        body = next((c for c in self.kids(script.root) if c.type == "statement_list"), None)
        with self.using_script(script):
            for statement in self.kids(body) if body is not None else []:
                self.check_stop()
                previous = self.statement
                self.statement = statement
                failures = self.failures
                try:
                    self._statement(statement, emit)
                finally:
                    self.statement = previous
                    self._settle_status(statement, failures)

    def set_environment(self, name: str, value: str | None) -> None:
        if value is None or value == "":
            self.env.pop(name, None)
        else:
            self.env[name] = value

    def environment_variables(self) -> list[tuple[str, str]]:
        return [(str(name), str(value)) for name, value in self.env.items()]

    def get_environment(self, name: str) -> str | None:
        value = self.env.get(name)
        return None if value is None else str(value)

    def current_identity(self) -> WindowsIdentity:
        return current_identity(self.session.user, self.session.administrator)

    def now(self) -> datetime.datetime:
        return self.session.clock.now()

    def command_types(self) -> list[str]:
        return [c.spec.implementing_type for c in self.session.commands.values()]

    def module_imported(self, name: str) -> None:
        imported: list[str] = self.runspace.setdefault(_IMPORTED_MODULES, [])
        if name.casefold() not in (m.casefold() for m in imported):
            imported.append(name)

    def imported_modules(self) -> list[str]:
        """The modules the runspace imported, in order (a copy)."""
        return list(self.runspace.get(_IMPORTED_MODULES, ()))

    def resolve_account(self, name: str) -> str | None:
        resolver = self.session.resolve_account
        return None if resolver is None else resolver(name)

    def runspace_host(self, *, pool: bool) -> Any:
        """``$Host`` (constant, so one per pipeline: its own client host) or, with
        ``pool``, the runspace's host ``[Runspace]::DefaultRunspace`` holds."""
        base = self.global_scope.get("host")[1]
        hosts = self.session.remote_hosts
        return base if hosts is None else hosts.host(base, pool=pool)

    def check_stop(self) -> None:
        if self.session.stop is not None and self.session.stop.is_set():
            raise StopRequested()

    def exec_statements(self, node: Node | None, emit: Emit) -> None:
        if node is None:
            return
        for statement in self.kids(node):
            self.exec_statement(statement, emit)

    def exec_block(self, node: Node, emit: Emit) -> None:
        """A ``{ ... }`` statement block (if, loops, try): same scope."""
        for statement in self.compiler.statements_of_block(node):
            self.exec_statement(statement, emit)

    @property
    def compiler(self) -> Compiler:
        """The running script's compiled nodes."""
        assert self.script is not None
        found = self.script.bodies.get("compiler")
        return found if found is not None else compiler_of(self.script)

    def exec_statement(self, node: Node, emit: Emit) -> None:
        """Run one statement; a pipeline statement sets ``$?`` (compound statements leave
        what their last inner statement set)."""
        self.check_stop()
        previous = self.statement
        self.statement = node
        failures = self.failures
        try:
            self._statement(node, emit)
        except ScriptError as error:
            self.failures += 1
            if error.script_terminating or self.try_depth > 0:
                raise
            action = self.preference("ErrorActionPreference")
            if action == "Stop":
                error.script_terminating = True
                raise
            if action != "Ignore":
                self.record_error(error.record)
            if action not in ("SilentlyContinue", "Ignore"):
                self.session.sink.error(error.record)
        finally:
            self.statement = previous
            self._settle_status(node, failures)

    def _settle_status(self, node: Node, failures: int) -> None:
        """``$?`` after a pipeline statement: False when it added an error or a failed
        native command to ``failures``; compound statements leave it to their last one."""
        kind = node.type
        if _STATEMENTS.get(kind) is _no_statement and kind != "empty_statement":
            self.succeeded = self.failures == failures

    def _statement(self, node: Node, emit: Emit) -> None:
        kind = node.type
        handler = _STATEMENTS.get(kind)
        if handler is None:
            handler = _STATEMENTS[kind] = getattr(type(self), "stmt_" + kind, _no_statement)
        if handler is not _no_statement:
            handler(self, node, emit)
            return
        if kind in ("empty_statement", "comment"):
            return
        self.emit_value(self.compiler.pipeline(node, self)(self, emit), emit)

    def emit_value(self, value: Any, emit: Emit) -> None:
        """Write an expression statement's value: arrays are unrolled."""
        if value is NOTHING:
            return
        if is_collection(value):
            for item in value:
                emit(item)
        else:
            emit(value)

    # ----------------------------------------------------------------- statements

    def stmt_if_statement(self, node: Node, emit: Emit) -> None:
        condition = node.child_by_field_name("condition")
        assert condition is not None
        blocks = [c for c in self.kids(node) if c.type == "statement_block"]
        if to_bool(self.eval_pipeline(condition)):
            self.exec_block(blocks[0], emit)
            return
        elseifs = node.child_by_field_name("elseif_clauses")
        if elseifs is not None:
            for clause in self.kids(elseifs):
                cond = clause.child_by_field_name("condition")
                assert cond is not None
                if to_bool(self.eval_pipeline(cond)):
                    block = next(c for c in self.kids(clause) if c.type == "statement_block")
                    self.exec_block(block, emit)
                    return
        else_clause = node.child_by_field_name("else_clause")
        if else_clause is not None:
            block = next(c for c in self.kids(else_clause) if c.type == "statement_block")
            self.exec_block(block, emit)

    def _loop_body(self, block: Node, emit: Emit) -> bool:
        """Run one iteration; False when ``break`` ended the loop."""
        try:
            for statement in self.compiler.statements_of_block(block):
                self.exec_statement(statement, emit)
        except BreakSignal:
            return False
        except ContinueSignal:
            return True
        return True

    def stmt_foreach_statement(self, node: Node, emit: Emit) -> None:
        parts = self.kids(node)
        if any(p.type == "foreach_parameter" for p in parts):
            raise self.unsupported(node, "foreach -parallel")
        variable, source, block = parts[0], parts[1], parts[-1]
        items = self.eval_pipeline(source)
        sequence = [] if items is None else as_list(items)
        for item in sequence:
            self.check_stop()
            self.assign_variable(variable, item)
            if not self._loop_body(block, emit):
                break

    def stmt_for_statement(self, node: Node, emit: Emit) -> None:
        init = node.child_by_field_name("for_initializer")
        cond = node.child_by_field_name("for_condition")
        step = node.child_by_field_name("for_iterator")
        block = next(c for c in self.kids(node) if c.type == "statement_block")
        compiler = self.compiler
        if init is not None:
            self.eval_pipeline(init)
        test = compiler.pipeline(cond, self) if cond is not None else None
        advance = compiler.pipeline(step, self) if step is not None else None
        while test is None or to_bool(test(self, None)):
            self.check_stop()
            if not self._loop_body(block, emit):
                break
            if advance is not None:
                advance(self, None)

    def stmt_while_statement(self, node: Node, emit: Emit) -> None:
        cond = node.child_by_field_name("condition")
        assert cond is not None
        block = next(c for c in self.kids(node) if c.type == "statement_block")
        test = self.compiler.pipeline(cond, self)
        while to_bool(test(self, None)):
            self.check_stop()
            if not self._loop_body(block, emit):
                break

    def stmt_do_statement(self, node: Node, emit: Emit) -> None:
        cond = node.child_by_field_name("condition")
        assert cond is not None
        block = next(c for c in self.kids(node) if c.type == "statement_block")
        until = any(c.type == "until" for c in node.children)
        while True:
            self.check_stop()
            if not self._loop_body(block, emit):
                break
            result = to_bool(self.eval_pipeline(cond))
            if result == until:
                break

    def stmt_switch_statement(self, node: Node, emit: Emit) -> None:
        parts = self.kids(node)
        condition = next(p for p in parts if p.type == "switch_condition")
        body = next(p for p in parts if p.type == "switch_body")
        mode, case_sensitive = self._switch_mode(node, parts)
        value = self.eval_pipeline(condition)
        clauses_node = next((c for c in self.kids(body) if c.type == "switch_clauses"), None)
        clauses = self.kids(clauses_node) if clauses_node is not None else []
        items = [None] if value is None else as_list(value)
        for item in items:
            matched = False
            default_block: Node | None = None
            try:
                for clause in clauses:
                    cond_node, block = self.kids(clause)[0], self.kids(clause)[-1]
                    cond_parts = self.kids(cond_node)
                    if not cond_parts and self.text_of(cond_node).casefold() == "default":
                        default_block = block
                        continue
                    if not cond_parts:
                        label: Any = self._bare_label(cond_node)
                    elif cond_parts[0].type == "script_block_expression":
                        block_value = self.eval(cond_parts[0])
                        label = to_bool(collect(self.invoke_block(block_value, item)))
                        if label:
                            matched = True
                            self._switch_clause(block, item, emit)
                        continue
                    else:
                        label = self.eval(cond_parts[0])
                    if (
                        self.operators.op_equals(item, label)
                        if mode == "exact" and not case_sensitive
                        else self.operators.switch_match(mode, item, label, case_sensitive, clause)
                    ):
                        matched = True
                        self._switch_clause(block, item, emit)
                if not matched and default_block is not None:
                    self._switch_clause(default_block, item, emit)
            except BreakSignal:
                break
            except ContinueSignal:
                continue

    def _bare_label(self, cond_node: Node) -> Any:
        """A clause condition tree-sitter leaves as one token: a bare word, or a
        double-quoted string (``"a"`` matches ``a``; its ``$x`` and ``$( )`` expand)."""
        text = self.text_of(cond_node)
        if text[:1] in DOUBLE_QUOTES:
            return self.expand_string(cond_node, text)
        return text

    _SWITCH_MODES = ("regex", "wildcard", "exact", "casesensitive")

    def _switch_mode(self, node: Node, parts: list[Node]) -> tuple[str, bool]:
        """``-Regex``, ``-Wildcard``, ``-Exact`` (the last one given wins, about_Switch)
        and ``-CaseSensitive``, each also as an unambiguous prefix (``-w``)."""
        mode, case_sensitive = "exact", False
        written_flags: list[Node] = []
        for part in node.children:
            if part.type == "switch_parameters":
                written_flags.extend(self.kids(part))
            else:
                written_flags.extend(abbreviated_switch_flags(part) or ())
        for flag in written_flags:
            written = self.text_of(flag).strip().lstrip("-").casefold()
            names = [m for m in self._SWITCH_MODES if written and m.startswith(written)]
            if len(names) != 1:
                raise self.unsupported(flag, "switch parameter")
            if names[0] == "casesensitive":
                case_sensitive = True
            else:
                mode = names[0]
        return mode, case_sensitive

    def _switch_clause(self, block: Node, item: Any, emit: Emit) -> None:
        found, previous = self.scope.get("_")
        self.scope.set_local("_", item)
        try:
            self.exec_block(block, emit)
        finally:
            if found:
                self.scope.set_local("_", previous)

    def stmt_flow_control_statement(self, node: Node, emit: Emit) -> None:
        keyword = node.children[0].type
        args = self.kids(node)
        if keyword == "break":
            if args:
                raise self.unsupported(node, "break with a label")
            raise BreakSignal()
        if keyword == "continue":
            if args:
                raise self.unsupported(node, "continue with a label")
            raise ContinueSignal()
        if keyword == "return":
            if args:
                self.emit_value(self.eval_pipeline(args[0], emit_commands=emit), emit)
            raise ReturnSignal()
        if keyword == "exit":
            raise ExitSignal(self.eval_pipeline(args[0]) if args else None)
        if keyword == "throw":
            self.do_throw(node, args)
            return
        raise self.unsupported(node, f"'{keyword}' statement")

    def do_throw(self, node: Node, args: list[Node]) -> None:
        if not args:
            if self.caught:
                current = self.caught[-1]
                raise ScriptError(
                    current.record, script_terminating=True, escalated=current.escalated
                )
            value: Any = None
            record = records.thrown(None, "ScriptHalted")
        else:
            value = self.eval_pipeline(args[0])
            if isinstance(value, ErrorRecordObject):
                raise ScriptError(value.record, script_terminating=True)
            if exception_objects.is_exception(value):
                record = exception_objects.thrown_record(value)
            else:
                message = "ScriptHalted" if value is None else to_string(value)
                record = records.thrown(value, message)
        # Windows underlines the whole throw statement (its extent), as about_Throw shows.
        record = self.positioned_at(record, node)
        action = self.preference("ErrorActionPreference")
        if self.try_depth == 0 and action in ("SilentlyContinue", "Ignore"):
            if action == "SilentlyContinue":
                self.record_error(record)
            return
        raise ScriptError(record, script_terminating=True)

    def stmt_try_statement(self, node: Node, emit: Emit) -> None:
        parts = self.kids(node)
        body = parts[0]
        catches_node = next((p for p in parts if p.type == "catch_clauses"), None)
        finally_node = next((p for p in parts if p.type == "finally_clause"), None)
        catches = self.kids(catches_node) if catches_node is not None else []
        try:
            self.try_depth += 1
            try:
                self.exec_block(body, emit)
            finally:
                self.try_depth -= 1
        except ScriptError as error:
            escalated = error.escalated
            found_catch = self._find_catch(catches, error.record, escalated)
            if found_catch is None:
                raise
            handler, by_inner = found_catch
            self.record_error(error.record, escalated)
            obj = records.error_record_object(error.record, escalated, pass_inner=by_inner)
            self.caught.append(obj)
            found, previous = self.scope.get("_")
            self.scope.set_local("_", obj)
            self.scope.set_local("PSItem", obj)
            try:
                self.exec_block(handler, emit)
            finally:
                self.caught.pop()
                self.scope.set_local("_", previous if found else None)
                self.scope.set_local("PSItem", previous if found else None)
        finally:
            if finally_node is not None:
                block = next(c for c in self.kids(finally_node) if c.type == "statement_block")
                self.exec_block(block, emit)

    def _find_catch(
        self, catches: list[Node], record: ErrorRecordData, escalated: bool
    ) -> tuple[Node, bool] | None:
        """The catch block for the error, as ExceptionHandlingOps.FindMatchingHandler
        chooses it (:func:`records.catch_passes`): the first clause naming the wrapped
        exception (a MethodInvocationException's FormatException) unless that is a bare
        ``catch``; else the first naming the RuntimeException, or a bare ``catch``. With
        it, whether ``$_.Exception`` becomes the wrapped one (``new ErrorRecord(
        rte.ErrorRecord, exception)``)."""
        inner, outer, passes_inner = records.catch_passes(record, escalated)
        if inner is not None:
            found = self._first_catch(catches, lambda name: records.names_one_of(name, inner))
            if found is not None and found[1]:
                return found[0], passes_inner
        found = self._first_catch(catches, lambda name: records.names_one_of(name, outer))
        return None if found is None else (found[0], False)

    def _first_catch(
        self, catches: list[Node], matches: Callable[[str], bool]
    ) -> tuple[Node, bool] | None:
        """The first clause whose type ``matches``, or a bare ``catch`` before it: its
        block, and whether it named a type."""
        for clause in catches:
            parts = self.kids(clause)
            block = next(p for p in parts if p.type == "statement_block")
            type_list = next((p for p in parts if p.type == "catch_type_list"), None)
            if type_list is None:
                return block, False
            for type_literal in self.kids(type_list):
                if matches(self.type_name(type_literal)):
                    return block, True
        return None

    def type_name(self, type_literal: Node) -> str:
        """The type literal's name without blanks, kept with the parsed script."""

        def read() -> str:
            spec = next(c for c in self.kids(type_literal) if c.type == "type_spec")
            return "".join(self.text_of(spec).split())

        return self.kept("type", type_literal, read)

    # ----------------------------------------------------------------- pipelines

    def eval_pipeline(self, node: Node, emit_commands: Emit | None = None) -> Any:
        """Evaluate a pipeline or expression node to a value.

        A pure expression keeps its value (``,1`` stays an array); commands give their
        collected output. With ``emit_commands`` command output streams there instead
        and the result is NOTHING.
        """
        return self.compiler.pipeline(node, self)(self, emit_commands)

    def run_stages(self, stages: list[Node], emit_commands: Emit | None) -> Any:
        """A pipeline of commands: its output streams to ``emit_commands`` (NOTHING is
        returned) or is collected as the value."""
        if emit_commands is not None:
            self.run_pipeline(stages, emit_commands)
            return NOTHING
        out: list[Any] = []
        self.run_pipeline(stages, out.append)
        return collect(out)

    def run_pipeline(self, stages: list[Node], emit: Emit) -> None:
        """Run a pipeline's commands streaming, as Windows does (:mod:`.pipeline`)."""
        built: list[Stage] = []
        for index, stage in enumerate(stages):
            if stage.type == "redirections":
                continue
            if stage.type == "command":
                built.append(self.command_stage(stage))
                continue
            if index > 0:
                raise self.unsupported(stage, "expression after '|'")
            following = stages[index + 1] if index + 1 < len(stages) else None
            attached = (
                [r for r in self.kids(following) if r.type == "redirection"]
                if following is not None and following.type == "redirections"
                else []
            )
            built.append(ValuesStage(self, partial(self.values_of, stage),
                                     self._redirections(attached)))  # fmt: skip
        run_pipeline(self, built, emit)

    def values_of(self, node: Node) -> Iterable[Any]:
        """The objects an expression heading a pipeline writes; a range one at a time
        (``1..1000000000 | Select-Object -First 2`` returns at once, as on Windows)."""
        inner = self.unwrap_single(node)
        if inner.type == "range_expression":
            return self.range_of(inner)
        value = self.eval(node)
        if value is NOTHING:
            return ()
        return as_list(value) if is_collection(value) else [value]

    # ----------------------------------------------------------------- redirections

    def _redirections(self, parts: Sequence[Node]) -> list[Redirection]:
        """The redirections among a command's elements (or an expression's), in order."""
        found: list[Redirection] = []
        for part in parts:
            if part.type == "redirection":
                found.append(self._redirection(part))
            elif part.type == "generic_token":
                word = glued(self.text_of(part))
                if word is not None:
                    stream, append, rest = word
                    if rest.casefold() == "$null":
                        found.append(Redirection(stream, "null"))
                    elif rest.startswith("&"):
                        raise self.unsupported(part, "redirection")
                    else:
                        path = self.expand_word(rest, part)
                        found.append(Redirection(stream, "file", path, append))
        return found

    def _redirection(self, node: Node) -> Redirection:
        operator = node.children[0]
        text = self.text_of(operator).strip()
        if operator.type == "merging_redirection_operator":
            match = MERGE.match(text)
            if match is None:
                raise self.unsupported(node, "redirection")
            return Redirection(match.group(1), "output")
        stream = text.rstrip(">") or "1"
        append = text.endswith(">>")
        name = next(c for c in self.kids(node) if c.type == "redirected_file_name")
        target = _unwrap(next(c for c in self.kids(name) if c.type != "command_argument_sep"))
        if target.type == "variable" and self.text_of(target).casefold() == "$null":
            return Redirection(stream, "null")
        return Redirection(stream, "file", to_string(self.eval_argument(target)), append)

    def open_redirections(
        self, redirections: list[Redirection], emit: Emit
    ) -> tuple[Emit, Any, dict[str, tuple[bool, list[Any]]]]:
        """A command's redirections: where its output goes, the sink its other streams
        go to, and the files to write when it completes (through the node's own
        ``Set-Content``). Merged records go where the output goes (so ``2>&1 > $null``
        drops both, an UNVERIFIED reading of about_Redirection)."""
        files: dict[str, tuple[bool, list[Any]]] = {}
        merged: set[str] = set()
        routes: dict[str, Callable[[Any], None]] = {}
        for redirection in redirections:
            for stream in streams_of(redirection.stream):
                if redirection.target == "output":
                    if stream != "1":
                        merged.add(stream)
                        routes.pop(stream, None)
                    continue
                merged.discard(stream)
                if redirection.target == "null":
                    routes[stream] = drop
                else:
                    path = to_string(redirection.path)
                    routes[stream] = files.setdefault(path, (redirection.append, []))[1].append
        output = routes.pop("1", emit)
        for stream in merged:
            routes[stream] = output
        sink = redirected_sink(self.session.sink, Routes(output, dict(routes)))
        return output, sink, files

    def write_redirected_file(self, path: str, append: bool, items: list[Any]) -> None:
        """``> file`` / ``>> file``: the text ``Out-File`` would write, UTF-16LE with a BOM
        (facts section 9), through the node's ``Set-Content``; refused on a node without
        a file system. ``>>`` rewrites the file with the old text first (as UTF-16LE)."""
        if self._lookup("Set-Content") is None:
            raise self.unsupported(self.statement, "file redirection on a node without files")
        lines = format_lines(items, limit=enumeration_limit(self.global_scope))
        text = "".join(line + "\r\n" for line in lines)
        if append:
            exists: list[Any] = []
            self.invoke_command("Test-Path", [Argument("LiteralPath", path, colon=True)], None,
                                exists.append)  # fmt: skip
            if exists and exists[0] is True:
                old: list[Any] = []
                self.invoke_command(
                    "Get-Content",
                    [
                        Argument("LiteralPath", path, colon=True),
                        Argument("Raw", None, has_value=False),
                        Argument("Encoding", "Unicode", colon=True),
                    ],
                    None,
                    old.append,
                )
                text = "".join(to_string(o) for o in old) + text
        self.invoke_command(
            "Set-Content",
            [
                Argument("LiteralPath", path, colon=True),
                Argument("Value", text, colon=True),
                Argument("Encoding", "Unicode", colon=True),
                Argument("NoNewline", None, has_value=False),
            ],
            None,
            drop,
        )

    # ----------------------------------------------------------------- commands

    def command_arguments(self, elements: Node | None) -> list[Argument]:
        """Turn command elements into arguments (parameters, values, splats), through
        the elements' plan (:mod:`.argument_plan`), kept with the parsed script."""
        if elements is None:
            return []
        result: list[Argument] = []
        for step in self._argument_plan(elements):
            if type(step) is Positional:
                value = self.eval_argument(step.node, step.call)
                for following in step.continuations:
                    value = as_list(value) if is_collection(value) else [value]
                    value.extend(self._continuation(following))
                result.append(Argument(None, value))
            elif type(step) is Colon:
                value = self.eval_argument(step.node, step.call)
                result.append(Argument(step.name, value, colon=True))
            elif type(step) is Switch:
                result.append(Argument(step.name, None, has_value=False))
            else:
                assert type(step) is Splat
                result.extend(self.splat(step.variable))
        return result

    def _argument_plan(self, elements: Node) -> tuple[Step, ...]:
        return self.kept(
            "arguments", elements, lambda: argument_plan(elements, self.text_of, _unwrap)
        )

    def _continuation(self, node: Node) -> list[Any]:
        """The values of ``,rest`` after a bare word (see ``is_comma_continuation``)."""
        if node.type == "generic_token":
            # The token's text as sent starts with the comma, or with the blank the front
            # end moved the comma onto (``a, b`` is parsed as ``a ,b``): drop either.
            words = self.text_of(node)[1:].split(",")
            if any(
                w[:1] in SINGLE_QUOTES or w[:1] in DOUBLE_QUOTES or w[:1] in "@(" for w in words
            ):
                # tree-sitter reads ``a,'b'`` as one bare word; PowerShell as 'a' and 'b'.
                raise self.unsupported(node, "quoted or @/( element right after a comma")
            return [
                self.expand_word(w, node) if "$" in w or "`" in w else _bare_value(w) for w in words
            ]
        node = _unwrap(node)
        if node.type == "expression_with_unary_operator" and node.children[0].type == ",":
            return [self._element(self.kids(node)[-1])]
        if node.type == "array_literal_expression":
            parts = self.kids(node)
            return [*self._continuation(parts[0]), *(self._element(p) for p in parts[1:])]
        raise self.unsupported(node, "array argument")

    def splat(self, node: Node) -> list[Argument]:
        name = self.text_of(node)[1:]
        value = self.read_variable(name, node)
        if isinstance(value, PSHashtable):
            return [Argument(str(k), v, colon=True) for k, v in value.items()]
        if is_collection(value):
            return [Argument(None, v) for v in value]
        if value is None:
            return []
        raise self.unsupported(node, "splatting a value that is not a hashtable or array")

    def eval_argument(self, node: Node, call: Node | None = None) -> Any:
        """An argument's value; with ``call``, the argument list right after the member
        access ``node``, the method's result (see :class:`.argument_plan.Positional`)."""
        if call is not None:
            value = self.call_member(_unwrap(node), call, node)
            return None if value is NOTHING else value
        if node.type != "generic_token" and self.text_of(node).startswith("["):
            # ``[` does not start an expression in argument mode (about_Parsing):
            # ``Write-Output [int]::MaxValue`` writes that text, as a bare word.
            return self.expand_word(self.text_of(node), node)
        if node.type == "generic_token":
            return self.expand_bare_word(node)
        if node.type == "argument_list":
            # ``New-Object T('u', $p)``: a bare word ends at ``(``, and PowerShell reads the
            # parenthesised list after it as the next argument (an array of its elements).
            expr_list = node.child_by_field_name("argument_expression_list")
            values = [self._element(c) for c in self.kids(expr_list)] if expr_list else []
            if not values:
                raise self.unsupported(node, "empty argument list")
            return values[0] if len(values) == 1 else values
        value = self.eval(node)
        return None if value is NOTHING else value

    def expand_bare_word(self, node: Node) -> Any:
        text = self.text_of(node)
        if "$" not in text and "`" not in text:
            try:
                number = _bare_number(text)
            except BadNumericConstant:
                # A number too large for its type as a command's argument: refused as a
                # literal is at parse; whether Windows reads it so is UNVERIFIED.
                raise self.unsupported(node, "numeric constant outside its type's range") from None
            return text if number is None else number
        return self.expand_word(text, node)

    def expand_word(self, text: str, node: Node) -> str:
        """A bare word's text with its variables expanded (argument mode)."""
        parts = expandable_parts('"' + text + '"', lambda offset: offset + 1)
        if any(isinstance(p, SubExpression) for p in parts):
            raise self.unsupported(node, "subexpression in a bare word")
        return self.join_parts(parts, None, node)

    def command_stage(self, node: Node) -> CommandStage:
        """A command of a pipeline as a stage; its arguments are evaluated now, as
        PowerShell binds every command before the pipeline runs."""
        elements = node.child_by_field_name("command_elements")
        redirections = self._redirections(self.kids(elements)) if elements is not None else []
        name_node = node.child_by_field_name("command_name")
        if name_node is None:
            raise self.unsupported(node, "command")
        if elements is not None and self.scope.strict_version() >= 2:
            self._refuse_method_style_call(name_node, elements)
        invocation = next(
            (c for c in node.children if c.type == "command_invokation_operator"), None
        )
        arguments_node = node.child_by_field_name("command_elements")
        if invocation is not None:
            target_node = self.kids(name_node)[0] if self.kids(name_node) else name_node
            target_node = self._variable_path(target_node)
            if target_node.type == "command_name":
                name: Any = self.text_of(target_node)
            else:
                name = self.eval(target_node)
            if isinstance(name, ScriptBlock):
                args = self.command_arguments(arguments_node)
                return BlockStage.of_block(self, name, args, redirections)
            name = to_string(name)
        else:
            name = self.text_of(name_node)
            bare = arguments_node is None or all(
                c.type == "command_argument_sep" for c in self.kids(arguments_node)
            )
            match = _RANGE.match(name)
            if match is not None and bare:
                start, end = int(match.group(1)), int(match.group(2))
                step = 1 if end >= start else -1
                numbers = range(start, end + step, step)
                return ValuesStage(self, lambda: numbers, redirections)
            head = _EXPRESSION_HEAD.match(name)
            if head is not None:
                return ValuesStage(self, partial(self._reparsed_expression, node, head), [])
        return self.named_stage(name, self.command_arguments(arguments_node), redirections)

    def _reparsed_expression(self, node: Node, head: re.Match[str]) -> list[Any]:
        """The values of command ``node`` read as the expression PowerShell reads it
        (see :data:`_EXPRESSION_HEAD`): its text parsed again with the number in
        parentheses and the range around it in parentheses too (``((2)..$n) -join
        '-'``), which tree-sitter reads as expressions and which binds as PowerShell's
        tokens do (``..`` binds tighter than every binary operator); run in the
        caller's scope. Its redirections are part of that text, so they apply once."""
        # Lower case: PowerShell's numbers ignore case (``2KB``, ``0X10``, ``1E3``), and
        # tree-sitter reads only the lower-case forms as literals (else it would read
        # ``(2KB)`` as a command again).
        number, end = head.group(1).casefold(), head.group(2)
        elements = node.child_by_field_name("command_elements")
        rest = (
            [c for c in self.kids(elements) if c.type != "command_argument_sep"]
            if (elements is not None)
            else []
        )
        if end == "" and rest:  # ``1..(2+1)``: the range's end is the first element
            end, rest = self.text_of(rest[0]), rest[1:]
        text = f"(({number})..{end})" if end is not None else f"({number})"
        text = " ".join([text, *(self.text_of(c) for c in rest)])
        if self.script is not None and text == self.script.text:
            # tree-sitter reads this number as a command even in parentheses (``1.5kb``,
            # ``10d``, ``2pb``): refused by name rather than parsed again without end.
            raise self.unsupported(node, "number literal heading an expression")
        script = parse(text)
        body = next((c for c in self.kids(script.root) if c.type == "statement_list"), None)
        values: list[Any] = []
        with self.using_script(script):
            for statement in self.kids(body) if body is not None else []:
                self._statement(statement, values.append)
        return values

    def _variable_path(self, node: Node) -> Node:
        """``& $sb``: tree-sitter reads ``$sb`` as a path command name holding just the
        variable; PowerShell calls what the variable holds."""
        parts = self.kids(node)
        if (
            node.type == "path_command_name"
            and len(parts) == 1
            and parts[0].type == "variable"
            and self.text_of(parts[0]) == self.text_of(node)
        ):
            return parts[0]
        return node

    def invoke_command(
        self,
        name: str,
        arguments: list[Argument],
        inputs: list[Any] | None,
        emit: Emit,
    ) -> None:
        """Run one command by name as a pipeline of its own (``inputs`` piped in)."""
        run_pipeline(self, [self.named_stage(name, arguments)], emit, inputs)

    def named_stage(
        self, name: str, arguments: list[Argument], redirections: Sequence[Redirection] = ()
    ) -> CommandStage:
        """The command ``name`` as a stage: a function, a built-in, a cmdlet of the node
        or a native program, in that order, its arguments bound.

        A name that finds nothing and has neither ``-`` nor ``\\`` is looked up again with
        ``Get-`` before it, the default verb (about_Parsing: "PowerShell parses `Service`
        as `Get-Service`"; CommandDiscovery's TryNormalSearch), so ``WmiObject
        Win32_ComputerSystem`` runs Get-WmiObject. When that finds nothing either, the
        error names the command as written, as Windows does.

        A name Windows would find but the lab does not model (``Get-HotFix``, ``netstat``,
        ``gdr``; ``session.unmodelled``) is refused by name instead of "not found", which
        would send a script that tests for the command down another branch than on
        Windows. Windows' own search (programs included) comes before the default verb,
        so ``name`` is refused before ``Get-name`` is tried."""
        stage = self._stage_by_name(name, arguments, redirections)
        if stage is None:
            self.refuse_unmodelled(name)
        if stage is None and "-" not in name and "\\" not in name:
            stage = self._stage_by_name(f"Get-{name}", arguments, redirections)
            if stage is None:
                self.refuse_unmodelled(f"Get-{name}")
        if stage is None:
            raise self.fail(records.command_not_found(name))
        return stage

    def alias_target(self, name: str) -> str | None:
        """``session.command_alias``: the command a Windows alias stands for when this
        node models it (``gwmi``: Get-WmiObject), or None."""
        alias = self.session.command_alias
        return None if alias is None else alias(name)

    def refuse_unmodelled(self, name: str, what: str = "command") -> None:
        """Raise the refusal of ``name`` when it is a command (or, with ``what`` "module",
        a module) every Windows node has that the lab does not model
        (``session.unmodelled``, ``session.unmodelled_module``); return for any other."""
        lookup = self.session.unmodelled_module if what == "module" else self.session.unmodelled
        why = None if lookup is None else lookup(name)
        if why is None:
            return
        construct = f"{what} {name} ({why})"
        if self.statement is None:  # a PSRP command by name: no script text to point at
            raise UnsupportedConstruct(1, construct, name)
        raise self.unsupported(self.statement, construct)

    def _stage_by_name(
        self, name: str, arguments: list[Argument], redirections: Sequence[Redirection]
    ) -> CommandStage | None:
        """:meth:`named_stage` for exactly ``name``; None when no command has that name."""
        function = self.scope.function(name)
        if function is not None:
            return BlockStage.of_block(self, function, arguments, redirections,
                                       is_filter=function.is_filter)  # fmt: skip
        name = COMMAND_ALIASES.get(name.casefold(), name)
        builtin = BUILTINS.get(name.casefold())
        if builtin is None and name.casefold() in SESSION_STATE_COMMANDS:
            builtin = self._session_state_builtin(name.casefold(), arguments)
        if builtin is not None:
            self._module_command_used(builtin.spec)
            binder = Binder(
                builtin.spec.parameters, builtin.spec.implementing_type, remaining=builtin.remaining
            )
            own, common = split_common(self._bind(binder, arguments, builtin.spec.name))
            self._check_actions(common)
            self._should_process_preferences(builtin.spec, own)
            return BuiltinStage(self, builtin, own, common, redirections)
        cmdlet = self._lookup(name)
        if cmdlet is None:
            target = self.alias_target(name)
            if target is None or target.casefold() == name.casefold():
                return None
            return self._stage_by_name(target, arguments, redirections)
        spec = cmdlet.spec
        if spec.native:
            return NativeStage(self, cmdlet, arguments, redirections)
        self._module_command_used(spec)
        binder = Binder(spec.parameters, spec.implementing_type, default_set=spec.default_set)
        own, common = split_common(self._bind(binder, arguments, spec.name))
        self._check_actions(common)
        self._should_process_preferences(spec, own)
        return CmdletStage(self, cmdlet, binder, own, common, redirections)

    def _defaults(self, binder: Binder, command: str) -> list[tuple[ParamSpec, Any]]:
        """What ``$PSDefaultParameterValues`` gives ``command``'s parameters
        (:mod:`.default_parameter_values`), for the call to bind where it did not."""
        found, table = self.scope.get("PSDefaultParameterValues")
        if not found or not table:
            return []
        return defaults_for(table, command, binder.parameters, self._refusal)

    def _refusal(self, construct: str) -> UnsupportedConstruct:
        return self.unsupported(self.statement, construct)

    def _should_process_preferences(self, spec: CmdletSpec, own: PSHashtable) -> None:
        """``$WhatIfPreference`` and ``$ConfirmPreference`` for a command that supports
        ShouldProcess on Windows (its 5.1 reference or the lab's spec has ``-WhatIf``):
        a true ``$WhatIfPreference`` is ``-WhatIf`` where the call does not say
        ``-WhatIf:$false`` (about_Preference_Variables), so the lab's ``-WhatIf`` is
        bound and a command whose ``-WhatIf`` the lab does not model is refused by name,
        never run for real. A ``$ConfirmPreference`` of Low or Medium makes Windows ask
        before every command whose ConfirmImpact reaches it (most are Medium), which a
        host without a UI cannot answer; the lab does not model each command's
        ConfirmImpact, so such a command is refused by name unless the call says
        ``-Confirm:$false`` or runs under WhatIf. ForEach-Object's script-block form
        calls no ShouldProcess (ForEachObjectCommand), so it runs as ever."""
        found, what_if = self.scope.get("WhatIfPreference")
        what_if_on = found and to_bool(what_if)
        found, confirm = self.scope.get("ConfirmPreference")
        asks = found and to_string(confirm).casefold() in ("low", "medium")
        if not what_if_on and not asks:
            return
        name = spec.name
        lab_what_if = any(p.name.casefold() == "whatif" for p in spec.parameters)
        if not lab_what_if and windows_parameter(name, "WhatIf") is None:
            return
        if name.casefold() == "foreach-object" and "MemberName" not in own:
            return
        if what_if_on and "WhatIf" not in own:
            if not lab_what_if:
                raise self.unsupported(
                    self.statement, f"{name} under $WhatIfPreference (its -WhatIf)"
                )
            own["WhatIf"] = True
        if asks and not to_bool(own.get("WhatIf")) and "Confirm" not in own:
            construct = (
                f"{name} under $ConfirmPreference = {to_string(confirm)} (a confirmation "
                "prompt; the lab does not model each command's ConfirmImpact)"
            )
            raise self.unsupported(self.statement, construct)

    def _session_state_builtin(self, command: str, arguments: list[Argument]) -> Builtin | None:
        """The ``Env:`` drive's version of an item command when its paths are on a
        session-state drive (:func:`session_state_items.route`); None for the lab's own
        command, also when the arguments do not bind as the drive's form (the lab's
        command then refuses such a path by name)."""
        if not may_name_session_state(arguments, self.runspace):
            return None  # the common case, a FileSystem path: no second binding
        try:
            bound = Binder(SESSION_STATE_COMMANDS[command].spec.parameters, None).bind(arguments)
        except BindingFailed:
            return None
        return self._routed(command, bound)

    def session_state_form(self, command: str, bound: PSHashtable) -> Builtin | None:
        """For a node's item command bound to one pipeline object (``Get-Item Env:X |
        Remove-Item`` binds PSPath to ``-LiteralPath``; ``bound`` holds its own
        parameters, no common ones): the session-state drive's version when its path is
        on one, else None; a form the lab does not model is refused, and a parameter the
        drive's version lacks leaves it to the node's command (which refuses such a path
        by name)."""
        builtin = SESSION_STATE_COMMANDS.get(command.casefold())
        if builtin is None:
            return None
        known = {p.name.casefold() for p in builtin.spec.parameters}
        if any(str(name).casefold() not in known for name in bound):
            return None
        return self._routed(command.casefold(), bound)

    def _routed(self, command: str, bound: PSHashtable) -> Builtin | None:
        """:func:`session_state_items.route`'s choice; its refusal raised."""
        chosen, refusal = route_session_state(command, bound, self.runspace)
        if refusal is not None:
            raise self.unsupported(self.statement, refusal)
        return chosen

    def _module_command_used(self, spec: CmdletSpec) -> None:
        """A command of a module (anything but the Core snap-in's) is about to run: its
        module is imported into the runspace (autoloading: ``Get-Module`` lists it). On
        the runspace's first such command Windows PowerShell prepares the modules for
        autoloading and writes one progress record, "Preparing modules for first
        use." (ActivityId 0, StatusDescription " ", Completed), before the command's
        output; $ProgressPreference applies as to any record. Seen in pypsrp's
        recordings of Windows (``test_psrp_error_failed.yml``: the first pipeline of a
        pool, ``Write-Output``; none for ``1+1``, which runs no command) and in pypsrp
        1.0's tests ("WSMan always adds another progress record" on a pool's first
        invocation, none on its second). UNVERIFIED: whether a later first use of
        another module writes another; the lab writes one per runspace."""
        module = module_of(spec)
        if module in ("", CORE):
            return
        self.module_imported(module)  # autoloaded: Get-Module lists it from now on
        if self.runspace.get(_MODULES_PREPARED):
            return
        self.runspace[_MODULES_PREPARED] = True
        self.write_progress(
            ProgressData(activity="Preparing modules for first use.", status=" ", completed=True)
        )

    def _check_actions(self, common: PSHashtable) -> None:
        for key in ("ErrorAction", "WarningAction", "InformationAction"):
            if common.get(key) is not None:
                self.action_name(common[key])

    def _lookup(self, name: str) -> Any:
        """The node's command called ``name`` (``x.exe`` finds ``x``), else one of the
        native programs every node has (a PATH search comes after cmdlets)."""
        return self._find(self.session.commands, name) or self._find(NATIVES, name)

    @staticmethod
    def _find(table: CmdletTable, name: str) -> Any:
        for candidate in (name, name[:-4] if name.casefold().endswith(".exe") else None):
            if candidate:
                try:
                    return table[candidate]
                except KeyError:
                    pass
        folded = name.casefold()
        for key, cmdlet in table.items():
            if key.casefold() == folded or (
                folded.endswith(".exe") and key.casefold() == folded[:-4]
            ):
                return cmdlet
        return None

    def _refuse_method_style_call(self, name_node: Node, elements: Node) -> None:
        """``f(1, 2)`` under Set-StrictMode 2 or later: PowerShell's compiler throws
        StrictModeFunctionCallWithParens for a command whose one argument is a
        parenthesised array written right after its name (VisitCommand: two command
        elements, the second a ParenExpressionAst whose pure expression is an
        ArrayLiteralAst, no blank between); ``f (1, 2)`` and ``f(1)`` are calls as any."""
        parts = [c for c in elements.children if c.type != "comment"]
        if len(parts) != 1 or parts[0].type != "parenthesized_expression":
            return
        if parts[0].start_byte != name_node.end_byte:
            return
        inner = _unwrap(parts[0].named_children[0]) if parts[0].named_children else None
        if inner is not None and inner.type == "array_literal_expression":
            raise self.runtime_fail(
                "The function or command was called as if it were a method. Parameters should"
                " be separated by spaces. For information about parameters, see the"
                " about_Parameters Help topic.",
                "StrictModeFunctionCallWithParens",
                "InvalidOperation",
            )

    def _bind(
        self, binder: Binder, arguments: list[Argument], command: str | None = None
    ) -> PSHashtable:
        """``arguments`` bound, then the defaults ``$PSDefaultParameterValues`` gives
        the parameters left unbound; a parameter of ``command`` Windows has and the lab
        does not model is refused by name (:mod:`.windows_parameters`), not reported as
        a parameter that does not exist."""
        try:
            bound = binder.bind(arguments)
            if command is not None:
                apply_defaults(bound, self._defaults(binder, command), binder.convert)
            return bound
        except BindingFailed as failed:
            if command is not None and failed.record.error_id == "NamedParameterNotFound":
                self._refuse_unmodelled_parameter(binder, arguments, command)
            raise self.fail(failed.record) from None

    def _refuse_unmodelled_parameter(
        self, binder: Binder, arguments: list[Argument], command: str
    ) -> None:
        for argument in arguments:
            if argument.name is None:
                continue
            try:
                binder.find(argument.name)
            except BindingFailed:
                windows = windows_parameter(command, argument.name)
                if windows is not None:
                    construct = f"{command} -{windows} (a parameter the lab does not model)"
                    raise self.unsupported(self.statement, construct) from None
                return

    def check_mandatory(self, binder: Binder, bound: PSHashtable) -> None:
        try:
            binder.check_mandatory(bound)
        except BindingFailed as failed:
            raise self.fail(failed.record) from None

    def invoke_cmdlet(self, cmdlet: Any, context: CmdletContext, args: PSHashtable) -> Any:
        """``cmdlet.invoke``; a :class:`CmdletError` becomes PowerShell's error, a
        :class:`CommandRefused` the script's refusal."""
        try:
            return cmdlet.invoke(context, args)
        except CommandRefused as refused:
            if self.statement is None:  # a PSRP command by name: no script text to point at
                raise UnsupportedConstruct(1, refused.construct, cmdlet.spec.name) from None
            raise self.unsupported(self.statement, refused.construct) from None
        except CmdletError as error:
            if error.terminating:
                raise self.fail(error.record) from None
            self.write_error(error.record)
            return None

    def run_native(self, cmdlet: Any, arguments: list[Argument], emit: Emit) -> None:
        strings: list[str] = []
        for argument in arguments:
            if argument.name is not None:
                text = "-" + argument.name
                if argument.colon:
                    text += ":" + to_string(argument.value)
                strings.append(text)
                continue
            values = argument.value if is_collection(argument.value) else [argument.value]
            strings.extend(to_string(v) for v in values)
        self.call_action.append(PSHashtable())
        try:
            code = CmdletContext(self, emit).invoke(cmdlet, PSHashtable([("__args__", strings)]))
        finally:
            self.call_action.pop()
        self.global_scope.set_local("LASTEXITCODE", int(code or 0))
        if code:
            self.failures += 1  # about_Automatic_Variables: $? is False for exit code != 0

    # ----------------------------------------------------------------- script blocks

    def invoke_block(
        self,
        block: Any,
        dollar_under: Any,
        arguments: Sequence[Argument] = (),
        *,
        new_scope: bool = True,
        set_under: bool = True,
        emit: Emit | None = None,
    ) -> list[Any]:
        """Run a script block; returns its output, or with ``emit`` writes it there as it
        comes (and returns nothing). ``$_`` is set when ``set_under``."""
        if not isinstance(block, ScriptBlock):
            raise self.runtime_fail(
                f'Cannot convert value "{to_string(block)}" to type '
                '"System.Management.Automation.ScriptBlock".',
                "ConvertToFinalInvalidCastException",
            )
        out: list[Any] = []
        write = out.append if emit is None else emit
        previous_scope = self.scope
        previous_script = self.script
        scope = Scope(previous_scope) if new_scope else previous_scope
        saved_under = previous_scope.get("_") if not new_scope and set_under else (False, None)
        self.scope = scope
        self.script = block.script  # inline, not using_script: this runs once per object
        try:
            if set_under:
                local = scope.variables
                local["_"] = ("_", dollar_under)
                local["psitem"] = ("PSItem", dollar_under)
            body = self.body(block.node)
            if body.params is not None or arguments:
                self.bind_script_parameters(body.params, arguments)
            if body.named:  # begin, process once (no input), end
                scope.set_local("input", [])
                self.run_block(body.begin, write)
                if body.has_process:
                    self.run_block(body.process, write)
                self.run_block(body.end, write)
            else:  # $input stays the caller's (ForEach-Object runs in its scope)
                self.run_block(body.end, write)
        finally:
            self.script = previous_script
            if not new_scope and set_under:
                found, value = saved_under
                value = value if found else None
                previous_scope.set_local("_", value)
                previous_scope.set_local("PSItem", value)
            self.scope = previous_scope
        return out

    def body(self, node: Node, *, is_filter: bool = False) -> ScriptBody:
        """The :class:`ScriptBody` of ``node``, cached per parsed script and node."""
        assert self.script is not None
        key = (node.id, is_filter)
        cache = self.script.bodies
        found = cache.get(key)
        if found is None:
            found = body_of(node, is_filter=is_filter)
            cache[key] = found
        return found

    def stmt_function_statement(self, node: Node, emit: Emit) -> None:
        """``function``/``filter``: defined in the current scope, as PowerShell does."""
        assert self.script is not None
        name_node = next(c for c in self.kids(node) if c.type == "function_name")
        is_filter = node.children[0].type == "filter"
        if node.children[0].type not in ("function", "filter"):
            raise self.unsupported(node, node.children[0].type)
        self.scope.functions[self.text_of(name_node).casefold()] = FunctionValue(
            self.text_of(name_node), node, self.script, is_filter
        )

    def bind_script_parameters(
        self,
        param_block: Node | None,
        arguments: Sequence[Any],
        *,
        psrp: bool = False,
        expecting_input: bool = False,
        command_name: str | None = None,
        invocation: tuple[str, CallSite | None] | None = None,
    ) -> _PipelineBinding | None:
        """Bind a ``param()`` block in the current scope (defaults evaluated in order).

        With ``expecting_input``, parameters that take pipeline input may be left
        unbound here (even when mandatory); the returned :class:`_PipelineBinding`
        binds them per object. A binding error ends a PSRP script (``psrp``) and is
        statement-terminating for a function or script block, as in PowerShell.
        """
        declared = self._declared_parameters(param_block)
        extra: list[Any] = []
        specs = [d.spec for d in declared.parameters]
        binder = Binder(
            specs,
            command_name,
            script=True,
            common=declared.advanced,
            overflow=None if declared.advanced else extra,
        )
        takes_input = expecting_input and any(
            p.from_pipeline or p.from_pipeline_by_property_name for p in specs
        )
        prepared = self._prepare_arguments(binder, arguments, psrp)
        try:
            bound = binder.bind(prepared)
            if declared.advanced and command_name is not None:
                apply_defaults(bound, self._defaults(binder, command_name), binder.convert)
            if takes_input:
                Binder(
                    [_not_mandatory_from_pipeline(p) for p in specs], command_name, script=True
                ).check_mandatory(bound)
            else:
                binder.check_mandatory(bound)
        except BindingFailed as failed:
            raise self.fail(failed.record, script_terminating=psrp) from None
        own, common = split_common(bound)
        for key, value in common.items():
            if key.casefold() in ("errorvariable", "outvariable"):
                raise self.unsupported(self.statement, f"-{key} of a function or script")
            if key.casefold() == "erroraction":
                self.scope.set_local("ErrorActionPreference", self.action_name(value))
            elif key.casefold() == "verbose" and to_bool(value):
                self.scope.set_local("VerbosePreference", "Continue")
        for parameter in declared.parameters:
            self._assign_parameter(parameter, own)
        self.scope.set_local("PSBoundParameters", own)
        self.scope.set_local("args", extra)
        name, site = invocation if invocation is not None else (command_name, None)
        self.scope.set_local(
            "MyInvocation", dotnet_reflection.invocation_info(name, own, extra, site)
        )
        if not takes_input:
            return None
        return _PipelineBinding(self, binder, own, declared.parameters)

    def _declared_parameters(self, param_block: Node | None) -> _Declared:
        """The parameters ``param_block`` declares, read once per parsed script when its
        attribute arguments are constants (:mod:`.constant_attributes`), else per run."""
        if param_block is None:
            return _Declared()
        script = self.script
        if script is None:
            return self._read_declared_parameters(param_block)
        key = ("params", param_block.id)
        cached = script.bodies.get(key)
        if isinstance(cached, _Declared):
            return cached
        declared = self._read_declared_parameters(param_block)
        if cached is None:
            constant = constant_attribute_arguments(param_block)
            script.bodies[key] = declared if constant else _READ_EACH_RUN
        return declared

    def _read_declared_parameters(self, param_block: Node) -> _Declared:
        declared = _Declared()
        for attribute in self.kids(param_block):
            if attribute.type == "attribute_list":
                for attr in self.kids(attribute):
                    name = self._attribute_name(attr)
                    if name.casefold() != "cmdletbinding":
                        raise self.unsupported(attr, f"attribute [{name}] on param()")
                    declared.advanced = True
        plist = next((c for c in self.kids(param_block) if c.type == "parameter_list"), None)
        for index, node in enumerate(self.kids(plist) if plist is not None else []):
            parameter = self._param_spec(node, index)
            declared.advanced = declared.advanced or parameter.advanced
            declared.parameters.append(parameter)
        if any(p.explicit_position for p in declared.parameters):
            # Once one parameter has a Position, the others are named only, as PowerShell
            # numbers parameters by declaration only when none has one.
            for p in declared.parameters:
                if not p.explicit_position:
                    p.spec = msgspec.structs.replace(p.spec, position=None)
        return declared

    def _prepare_arguments(
        self, binder: Binder, arguments: Sequence[Any], psrp: bool
    ) -> list[Argument]:
        """PSRP ``(name, value)`` pairs as arguments; a switch sent as null is present."""
        prepared: list[Argument] = []
        for argument in arguments:
            if isinstance(argument, Argument):
                prepared.append(argument)
                continue
            name, value = argument
            if name is None:
                prepared.append(Argument(None, value))
                continue
            if psrp and value is None:
                try:
                    is_switch = binder.find(name).type.lower() == "switch"
                except BindingFailed:
                    is_switch = False
                if is_switch:
                    prepared.append(Argument(name, None, has_value=False))
                    continue
            prepared.append(Argument(name, value, colon=True))
        return prepared

    def _assign_parameter(self, parameter: _Parameter, own: PSHashtable) -> None:
        spec = parameter.spec
        if spec.name in own:
            value = own[spec.name]
        elif parameter.default is not None:
            value = self.eval_pipeline(parameter.default)
            if value is NOTHING:
                value = None
            try:
                value = self.convert_for(spec.type, value) if spec.type != "object" else value
            except ConversionError as exc:
                raise self.runtime_fail(str(exc), "InvalidCastFromStringToType") from None
        else:
            value = _unbound_value(spec.type)
        self.scope.set_local(spec.name, value)
        if spec.type != "object":
            self.scope.constraints[spec.name.casefold()] = spec.type

    def _attribute_name(self, attr: Node) -> str:
        name_node = next(
            (c for c in self.kids(attr) if c.type in ("attribute_name", "type_literal")), attr
        )
        text = self.text_of(name_node)
        return text.strip("[]").split("(")[0].strip()

    def _param_spec(self, parameter: Node, index: int) -> _Parameter:
        type_name = "object"
        mandatory = False
        position: int | None = index
        explicit = False
        advanced = False
        validators: list[Callable[[Any], None]] = []
        allows: set[str] = set()
        aliases: list[str] = []
        variable: Node | None = None
        default: Node | None = None
        from_pipeline = by_property = False
        for part in self.kids(parameter):
            if part.type == "attribute_list":
                for attr in self.kids(part):
                    literal = next((c for c in self.kids(attr) if c.type == "type_literal"), None)
                    if literal is not None:
                        type_name = self._param_type(literal)
                        continue
                    name = self._attribute_name(attr).casefold()
                    arguments = self._attribute_arguments(attr)
                    if name == "parameter":
                        advanced = True
                        for key, value in arguments:
                            folded = (key or "").casefold()
                            if folded == "mandatory":
                                mandatory = to_bool(value) if value is not NOTHING else True
                            elif folded == "position":
                                position, explicit = to_int(value), True
                            elif folded == "valuefrompipeline":
                                from_pipeline = to_bool(value) if value is not NOTHING else True
                            elif folded == "valuefrompipelinebypropertyname":
                                by_property = to_bool(value) if value is not NOTHING else True
                            elif folded in ("helpmessage", "parametersetname"):
                                continue
                            else:
                                raise self.unsupported(attr, f"Parameter({key})")
                    else:
                        self._value_attribute(attr, name, arguments, validators, allows, aliases)
            elif part.type == "variable":
                variable = part
            elif part.type == "script_parameter_default":
                default = self.kids(part)[0]
        assert variable is not None
        name = self.text_of(variable)[1:]
        if type_name == "switch":
            position = None
        spec = ParamSpec(
            name=name,
            type=type_name,
            mandatory=mandatory,
            position=position,
            aliases=tuple(aliases),
            from_pipeline=from_pipeline,
            from_pipeline_by_property_name=by_property,
            allow_null="allownull" in allows,
            allow_empty_string="allowemptystring" in allows,
            allow_empty_collection="allowemptycollection" in allows,
            validators=tuple(validators),
        )
        return _Parameter(spec, default, advanced, explicit)

    def _value_attribute(
        self,
        attr: Node,
        name: str,
        arguments: list[tuple[str | None, Any]],
        validators: list[Callable[[Any], None]],
        allows: set[str],
        aliases: list[str],
    ) -> None:
        """``[Alias()]``, ``[Allow...()]`` or a ``[Validate...()]`` attribute."""
        if name in ALLOW_ATTRIBUTES:
            allows.add(name)
            return
        if name == "alias":
            aliases.extend(to_string(v) for _, v in arguments)
            return
        if name.startswith("validate") and any(key for key, _ in arguments):
            raise self.unsupported(attr, f"named argument of [{name}]")
        try:
            check = attribute_validator(name, [v for _, v in arguments], self._validation_script)
        except ValueError as exc:
            raise self.unsupported(attr, str(exc)) from None
        if check is None:
            raise self.unsupported(attr, f"parameter attribute [{name}]")
        validators.append(check)

    def _validation_script(self, block: Any, element: Any) -> bool:
        """A ValidateScript block's verdict on one element; an error it throws is the
        reason (as in ``Cannot validate argument on parameter 'X'. <message>``)."""
        try:
            return to_bool(collect(self.invoke_block(block, element)))
        except ScriptError as error:
            raise ValidationFailed(error.record.message) from None

    def _param_type(self, literal: Node) -> str:
        name = self.type_name(literal).casefold()
        known = {
            "string": "string",
            "string[]": "string[]",
            "int": "int",
            "int32": "int",
            "long": "long",
            "bool": "bool",
            "switch": "switch",
            "hashtable": "hashtable",
            "securestring": "securestring",
            "object": "object",
            "object[]": "object[]",
            "psobject": "psobject",
            "scriptblock": "scriptblock",
            "pscredential": "object",
            "int[]": "int[]",
            "byte[]": "byte[]",
            "double": "double",
            "array": "object[]",
        }
        short = name.removeprefix("system.").removeprefix("management.automation.")
        short = short.removeprefix("security.").removeprefix("collections.")
        if short not in known:
            raise self.unsupported(literal, f"parameter type [{name}]")
        return known[short]

    def _attribute_arguments(self, attr: Node) -> list[tuple[str | None, Any]]:
        args_node = next((c for c in self.kids(attr) if c.type == "attribute_arguments"), None)
        result: list[tuple[str | None, Any]] = []
        if args_node is None:
            return result
        for argument in self.kids(args_node):
            parts = self.kids(argument)
            if parts and parts[0].type == "simple_name":
                key = self.text_of(parts[0])
                value = self.eval(parts[1]) if len(parts) > 1 else NOTHING
                result.append((key, value))
            else:
                result.append((None, self._element(parts[0]) if parts else None))
        return result

    # ----------------------------------------------------------------- expressions

    def eval(self, node: Node) -> Any:
        """Evaluate an expression node to a value (through its compiled closure)."""
        return self.compiler.expression(node, self)(self)

    def eval_statement_or_refuse(self, node: Node) -> Any:
        """An expression node without an ``expr_`` handler: a statement used as a value
        (``$x = if ...``) gives its output; anything else is refused."""
        statement = getattr(self, "stmt_" + node.type, None)
        if statement is not None and node.type != "flow_control_statement":
            out: list[Any] = []
            statement(node, out.append)
            return collect(out)
        raise self.unsupported(node, node.type.replace("_", " "))

    def expr_pipeline(self, node: Node) -> Any:
        return self.eval_pipeline(node)

    expr_pipeline_chain = expr_pipeline
    expr_command = expr_pipeline

    def expr_assignment_expression(self, node: Node) -> Any:
        self.eval_assignment(node)
        return NOTHING

    def expr_while_condition(self, node: Node) -> Any:
        return self.eval_pipeline(self.kids(node)[0])

    expr_for_condition = expr_while_condition
    expr_for_initializer = expr_while_condition
    expr_for_iterator = expr_while_condition
    expr_switch_condition = expr_while_condition

    def expr_integer_literal(self, node: Node) -> Any:
        return self.integer_value(node)

    def integer_value(self, node: Node) -> Any:
        return number_literal(self.text_of(node))

    def expr_real_literal(self, node: Node) -> Any:
        return number_literal(self.text_of(node))

    def expr_string_literal(self, node: Node) -> Any:
        inner = self.kids(node)[0] if self.kids(node) else node
        token = self.text_of(node)
        if inner.type in VERBATIM_STRINGS:
            return decode_verbatim(token)
        return self.expand_string(inner, token)

    def expand_string(self, node: Node, token: str) -> str:
        parts, subexpressions = self.string_parts(node, token)
        return self.join_parts(parts, subexpressions, node)

    def string_parts(self, node: Node, token: str) -> tuple[list[Any], dict[int, Node]]:
        """An expandable string's literal and dynamic parts, and its ``$( )`` nodes by
        offset (what :meth:`join_parts` reads); the same for every run of the node."""
        assert self.script is not None
        base = self.script.char_span(node)[0]
        subexpressions = {
            self.script.char_span(c)[0] - base: c
            for c in self.kids(node)
            if c.type == "sub_expression"
        }

        def end_of(offset: int) -> int:
            sub = subexpressions.get(offset)
            if sub is None:
                raise self.unsupported(node, "subexpression in a string")
            assert self.script is not None
            return self.script.char_span(sub)[1] - base

        return expandable_parts(token, end_of), subexpressions

    def join_parts(
        self, parts: list[Any], subexpressions: dict[int, Node] | None, node: Node
    ) -> str:
        out: list[str] = []
        for part in parts:
            if isinstance(part, Literal):
                out.append(part.text)
            elif isinstance(part, VariableRef):
                out.append(self.ofs_text(self.read_variable(part.name, node)))
            elif isinstance(part, SubExpression):
                assert subexpressions is not None
                out.append(self.ofs_text(self.eval(subexpressions[part.offset])))
        return "".join(out)

    def ofs_text(self, value: Any) -> str:
        """``value`` converted to a string as PowerShell converts it: a collection's
        items joined by ``$OFS``, a space while ``$OFS`` is unset or ``$null``
        (about_Preference_Variables, $OFS: ``[string]$array`` and ``"$array"``); an item
        that is itself a collection is not looked into (``System.Object[]``:
        :func:`~psrunbook.sim.objects.member_text`)."""
        if not is_collection(value):
            return to_string(value)
        found, separator = self.scope.get("OFS")  # PSObject.GetSeparator
        joiner = " " if not found or separator is None else to_string(separator)
        return joiner.join(member_text(v) for v in value)

    def expr_expandable_string_literal(self, node: Node) -> Any:
        return self.expand_string(node, self.text_of(node))

    def expr_variable(self, node: Node) -> Any:
        text = self.text_of(node)
        if text.startswith("@"):
            raise self.unsupported(node, "splatting outside a command")
        name = text[1:]
        if name.startswith("{") and name.endswith("}"):
            name = name[1:-1]
        return self.read_variable(name, node)

    def read_variable(self, name: str, node: Node) -> Any:
        folded = name.casefold()
        if folded == "true":
            return True
        if folded == "false":
            return False
        if folded == "null":
            return None
        if folded == "psitem":
            folded, name = "_", "_"
        if folded == "?":
            return self.succeeded
        if folded == "host" and self.session.remote_hosts is not None:
            return self.runspace_host(pool=False)
        scope_name, _, bare = name.rpartition(":")
        if scope_name:
            prefix = scope_name.casefold()
            if prefix == "env":
                return self.env.get(bare)
            if prefix not in ("script", "global", "local", "private"):
                raise self.unsupported(node, f"variable scope or drive '{scope_name}:'")
            target = self._scope_for(prefix)
            found, value = target.get(bare)
            name = bare
        else:
            if folded in UNSUPPORTED_VARIABLES:
                raise self.unsupported(node, f"automatic variable ${name}")
            found, value = self.scope.get(name)
            if type(value) is PendingInput:  # an end block's streamed $input, read now
                try:
                    return value.read()
                except PipelineStopped:  # stopped while waiting for the input
                    raise StopRequested() from None
        if not found:
            if folded == "pwd":  # automatic: the runspace's location, as Get-Location gives it
                return location.location_info(self)
            if name.casefold() in UNMODELLED_VALUES:
                raise self.unsupported(node, f"automatic variable ${name} (its value on Windows)")
            if self.scope.strict_version() >= 1:
                raise self.runtime_fail(
                    f"The variable '${name}' cannot be retrieved because it has not been set.",
                    "VariableIsUndefined",
                    target=name,
                )
            return None
        return value

    def _scope_for(self, prefix: str) -> Scope:
        if prefix == "global":
            return self.global_scope
        if prefix == "script":
            return self.script_scope
        return self.scope

    def expr_braced_variable(self, node: Node) -> Any:
        return self.read_variable(self.text_of(node)[2:-1], node)

    def expr_parenthesized_expression(self, node: Node) -> Any:
        parts = self.kids(node)
        if not parts:
            return None
        value = self.eval_pipeline(parts[0])
        return None if value is NOTHING else value

    def expr_sub_expression(self, node: Node) -> Any:
        out: list[Any] = []
        statements = node.child_by_field_name("statements")
        if statements is not None:
            self.exec_statements(statements, out.append)
        return collect(out)

    def expr_array_expression(self, node: Node) -> Any:
        out: list[Any] = []
        statements = node.child_by_field_name("statements")
        if statements is not None:
            self.exec_statements(statements, out.append)
        return out

    def expr_array_literal_expression(self, node: Node) -> Any:
        return [self._element(c) for c in self.kids(node)]

    def _element(self, node: Node) -> Any:
        value = self.eval(node)
        return None if value is NOTHING else value

    def expr_hash_literal_expression(self, node: Node) -> Any:
        return self.hash_literal(self.compiler.hash_entries(node, self))

    def hash_literal(self, entries: tuple[HashEntry, ...]) -> PSHashtable:
        """A hash literal's table from its compiled entries (:meth:`Compiler.hash_entries`):
        each key, then its value, in order; a key met twice fails at that key."""
        table = PSHashtable()
        for name, key_of, value_of in entries:
            key: Any = name if key_of is None else key_of(self)
            if key in table:
                raise self.runtime_fail(
                    f"Duplicate keys '{to_string(key)}' are not allowed in hash literals.",
                    "DuplicateKeyInHashLiteral",
                    "ParserError",
                )
            value = value_of(self, None)
            table[to_string(key) if not isinstance(key, str) else key] = (
                None if value is NOTHING else value
            )
        return table

    def hash_entries_of(self, node: Node) -> tuple[tuple[Node, str | None, Node], ...]:
        """A hash literal's entries as (key node, key as written when it is a bare name,
        value node): read from the tree once per node, kept with the parsed script."""

        def read() -> tuple[tuple[Node, str | None, Node], ...]:
            entries = []
            body = next((c for c in self.kids(node) if c.type == "hash_literal_body"), None)
            for entry in self.kids(body) if body is not None else []:
                parts = self.kids(entry)
                key_node, value_node = parts[0], parts[1]
                key_parts = self.kids(key_node)
                bare = key_parts and key_parts[0].type == "simple_name"
                name = self.text_of(key_parts[0]) if bare else None
                entries.append((key_node, name, value_node))
            return tuple(entries)

        return self.kept("hash", node, read)

    def expr_script_block_expression(self, node: Node) -> Any:
        assert self.script is not None
        return ScriptBlock(node, self.script)

    def expr_type_literal(self, node: Node) -> Any:
        return TypeRef(self.type_name(node), node)

    def expr_cast_expression(self, node: Node) -> Any:
        literal, operand = self.kids(node)[0], self.kids(node)[-1]
        name = self.type_name(literal)
        if name.casefold() in REFERENCE_TYPE_NAMES:
            return self.reference_to(operand, node)
        return self.cast_value(name, self.eval(operand), node)

    def reference_to(self, operand: Node, node: Node) -> PSReference:
        """``[ref]$x``: a reference to the variable itself (:mod:`.references`)."""
        inner = _unwrap(operand)
        text = self.text_of(inner)
        if inner.type != "variable" or not text.startswith("$"):
            raise self.unsupported(node, "[ref] of anything but a variable")
        name = text[1:]
        if name.casefold() == "null":
            return PSReference()
        holder = None if ":" in name else self.scope.find(name)
        if holder is None:
            raise self.unsupported(node, f"[ref] of ${name}, a variable not set here")
        return PSReference(holder, name, partial(self.set_in_scope, holder, name))

    def cast_value(self, name: str, value: Any, node: Node) -> Any:
        """``[name]`` applied to its operand's value (NOTHING as the operand gave it)."""
        folded = name.casefold()
        if folded in ("ordered", "pscustomobject", "system.management.automation.pscustomobject"):
            if isinstance(value, PSHashtable):
                if folded == "ordered":
                    return PSOrderedDictionary(value.items())
                return PSObject(properties=PSHashtable(value.items()))
            if folded == "ordered":
                raise self.unsupported(node, "[ordered] on a value that is not a hashtable")
            return None if value is NOTHING else value
        if value is NOTHING:
            value = None
        return self.cast(name, value, node)

    def cast(self, name: str, value: Any, node: Node) -> Any:
        folded = name.casefold().removeprefix("system.")
        if folded == "void":
            return NOTHING
        if folded in ("psobject", "management.automation.psobject", "object"):
            return value
        if folded == "security.principal.windowsprincipal":
            if isinstance(value, WindowsIdentity):
                return principal_of(value)
            raise self.unsupported(node, f"cast to [{name}] of anything but GetCurrent()")
        if folded == "security.principal.ntaccount":
            if isinstance(value, str) and value:
                return nt_account(value)
            raise self.unsupported(node, f"cast to [{name}] of anything but a name")
        if folded not in _CAST_TYPES and folded not in CONVERTERS:
            try:
                if dotnet_lists.list_type(name) is not None:
                    return dotnet_lists.cast_to_list(name, value)
            except HostMethodRefused as refused:
                raise self.unsupported(node, str(refused)) from None
            except dotnet_lists.ListMethodError as thrown:
                raise self.runtime_fail(
                    str(thrown),
                    thrown.error_id,
                    exception_type="System.Management.Automation.MethodException",
                ) from None
            raise self.unsupported(node, f"cast to [{name}]")
        try:
            return self.convert_for(folded, value)
        except HostMethodRefused as refused:  # a conversion the lab does not model
            raise self.unsupported(node, str(refused)) from None
        except ConversionError as exc:
            raise self.runtime_fail(
                str(exc),
                "ConvertToFinalInvalidCastException",
                "InvalidArgument",
                exception_type="System.Management.Automation.PSInvalidCastException",
            ) from None

    def convert_for(self, type_name: str, value: Any) -> Any:
        if type_name in ("bool", "boolean", "switch"):
            return to_bool(value)
        if type_name == "string" and is_collection(value) and len(value) != 1:
            return self.ofs_text(value)
        if type_name in ("array",):
            return as_list(value) if value is not None else None
        return convert(value, type_name)

    def expr_member_access(self, node: Node) -> Any:
        parts = self.kids(node)
        target_node, member = parts[0], parts[-1]
        name = self.member_name(member)
        static = any(c.type == "::" for c in node.children)
        if static:
            if target_node.type != "type_literal":
                # ``$t::MaxValue`` (a type held in a variable, or an instance's type):
                # the lab models static members of type literals only.
                raise self.unsupported(
                    node, "static member access through a value ($t::Name); write [Type]::Name"
                )
            return self.members.static_member(self.type_name(target_node), name, node)
        target = self.eval(target_node)
        return self.members.get_member(target, name, node)

    def member_name(self, member: Node) -> str:
        parts = self.kids(member)
        if parts and parts[0].type != "simple_name":
            return to_string(self.eval(parts[0]))
        return self.text_of(member)

    def expr_invokation_expression(self, node: Node) -> Any:
        arg_list = next((p for p in self.kids(node) if p.type == "argument_list"), None)
        return self.call_member(node, arg_list, node)

    def call_member(self, access: Node, arg_list: Node | None, node: Node) -> Any:
        """``target.Name(args)`` or ``[Type]::Name(args)``: ``access`` holds the target and
        the member name (an invocation expression, or in argument mode the member access
        before the argument list)."""
        parts = self.kids(access)
        target_node = parts[0]
        member = next(p for p in parts if p.type == "member_name")
        args: list[Any] = []
        if arg_list is not None:
            expr_list = arg_list.child_by_field_name("argument_expression_list")
            if expr_list is not None:
                args = [self._element(c) for c in self.kids(expr_list)]
        name = self.member_name(member)
        if any(c.type == "::" for c in access.children):
            return self.members.call_static(self.type_name(target_node), name, args, node)
        target = self.eval(target_node)
        return self.members.call_method(target, name, args, node)

    def expr_element_access(self, node: Node) -> Any:
        parts = self.kids(node)
        target = self.eval(parts[0])
        index = self.eval(parts[1])
        return self.index(target, index, node)

    def index(self, target: Any, index: Any, node: Node) -> Any:
        if target is None:
            raise self.runtime_fail("Cannot index into a null array.", "NullArray")
        if isinstance(target, PSHashtable):
            if is_collection(index):
                return [self.index(target, i, node) for i in index]
            if isinstance(target, PSOrderedDictionary) and _is_position(index):
                return target[self._ordered_key(target, index)]
            return target.get(index if isinstance(index, str) else to_string(index))
        if isinstance(target, MultiDimensionalArray):
            return self._multi_dimensional(lambda: target.get_at(index))
        if isinstance(target, PropertyCollection) and isinstance(index, str):
            return target.by_name(index)
        if isinstance(target, PSObject):
            indexer = target.methods.get("get_Item")
            if indexer is not None:  # the type's indexer (a GroupCollection's)
                return indexer(index)
            if isinstance(index, str):
                return target.properties.get(index)
            raise self.unsupported(node, "indexing an object")
        sequence: Sequence[Any] | None = None
        if isinstance(target, str):
            sequence = target  # indexed in place: a string's items are Chars (below)
        elif isinstance(target, list | tuple):
            sequence = target  # read in place: copying it per index made $a[0..n] quadratic
        elif is_collection(target):
            sequence = list(target)
        if sequence is None:
            if to_int(index) in (0, -1):
                return target
            return None
        if is_collection(index):
            return [
                self.index(target, i, node)
                if is_collection(i)
                else self._item_at(target, sequence, i)
                for i in index
            ]
        return self._item_at(target, sequence, index)

    def _ordered_key(self, target: PSOrderedDictionary, position: int) -> str:
        """The key an integer index of an ``[ordered]`` dictionary reaches: its entry at
        that position (OrderedDictionary's ``Item[int]``, which PowerShell's overload
        resolution picks for an Int32). Outside the entries .NET throws
        ArgumentOutOfRangeException (UNVERIFIED: how 5.1 words the error; an error, the
        stricter reading, rather than ``$null``)."""
        try:
            return target.key_at(position)
        except IndexError:
            raise self.runtime_fail(
                "Index was out of range. Must be non-negative and less than the size of the "
                "collection.\r\nParameter name: index",
                "ArgumentOutOfRangeException",
                "NotSpecified",
                exception_type="System.ArgumentOutOfRangeException",
            ) from None

    def _item_at(self, target: Any, sequence: Sequence[Any], index: Any) -> Any:
        """``sequence[index]`` as PowerShell reads one element of ``target``: from the end
        for a negative index, ``$null`` past either end (an error in strict mode 3)."""
        position = index if type(index) is int else to_int(index)
        if -len(sequence) <= position < len(sequence):
            item = sequence[position]
            return PSChar(item) if isinstance(target, str) else item
        if self.scope.strict_version() >= 3:
            raise self.runtime_fail(
                "Index was outside the bounds of the array.",
                "System.IndexOutOfRangeException",
                exception_type="System.IndexOutOfRangeException",
            )
        return None

    def expr_range_expression(self, node: Node) -> Any:
        return list(self.range_of(node))

    def range_of(self, node: Node) -> range:
        """``a..b``, made one number at a time when iterated."""
        parts = self.kids(node)
        try:
            start, end = to_int(self.eval(parts[0])), to_int(self.eval(parts[-1]))
        except ConversionError as exc:
            # ParserOps.RangeOperator converts both ends to Int32 (5.1 has no 'a'..'c');
            # the error id of an end that is a number too large is UNVERIFIED.
            raise self.runtime_fail(
                str(exc),
                "InvalidCastFromStringToInteger",
                "InvalidArgument",
                exception_type="System.Management.Automation.PSInvalidCastException",
            ) from None
        step = 1 if end >= start else -1
        return range(start, end + step, step)

    def expr_post_increment_expression(self, node: Node) -> Any:
        return self._step(node, 1, post=True)

    def expr_post_decrement_expression(self, node: Node) -> Any:
        return self._step(node, -1, post=True)

    def expr_pre_increment_expression(self, node: Node) -> Any:
        return self._step(node, 1, post=False)

    def expr_pre_decrement_expression(self, node: Node) -> Any:
        return self._step(node, -1, post=False)

    def _step(self, node: Node, delta: int, post: bool) -> Any:
        target = self.kids(node)[0]
        old = self.eval(target)
        new = self.operators.op_add(old if old is not None else 0, delta)
        self.assign_to(target, new)
        return (
            NOTHING
            if self.statement is node or self.is_statement_node(node)
            else (old if post else new)
        )

    def is_statement_node(self, node: Node) -> bool:
        assert self.script is not None
        return self.kept("statement", node, lambda: self._find_statement(node))

    def _find_statement(self, node: Node) -> bool:
        parent = node.parent
        while parent is not None and parent.type in WRAPPERS:
            parent = parent.parent
        return parent is not None and parent.type in (
            "statement_list",
            "for_iterator",
            "for_initializer",
        )

    # ----------------------------------------------------------------- assignment

    def eval_assignment(self, node: Node) -> None:
        self.compiler.assignment(node, self)(self)

    def eval_assignment_uncompiled(self, node: Node) -> None:
        """An assignment the compiler has no direct form for (its operator is unknown)."""
        assert self.script is not None

        def read() -> tuple[Node, str, Node]:
            parts = self.kids(node)
            return (
                parts[0],
                self.text_of(parts[1]).strip(),
                node.child_by_field_name("value") or parts[-1],
            )

        target, operator, value_node = self.kept("assignment", node, read)
        value = self.eval_pipeline(value_node)
        if value is NOTHING:
            value = None
        if operator != "=":
            current = self.eval(target)
            ops = {
                "+=": self.operators.op_add,
                "-=": self.operators.op_subtract,
                "*=": self.operators.op_multiply,
                "/=": self.operators.op_divide,
                "%=": self.operators.op_remainder,
            }
            if operator not in ops:
                raise self.unsupported(node, f"assignment operator {operator}")
            value = ops[operator](current, value)
        self.assign_to(target, value)

    def assign_to(self, target: Node, value: Any) -> None:
        target = self.unwrap_single(target)
        if target.type == "variable":
            self.assign_variable(target, value)
        elif target.type == "cast_expression":
            literal, variable = self.kids(target)[0], self.kids(target)[-1]
            type_name = self.type_name(literal)
            converted = self.cast(type_name, value, target)
            self.assign_variable(variable, converted)
            folded = type_name.casefold().removeprefix("system.")
            if folded in _KEPT_CONSTRAINTS:
                self.scope.constraints[self.text_of(variable)[1:].casefold()] = folded
            elif isinstance(converted, DotNetList):
                # [System.Collections.ArrayList]$l = @(): later values become lists too
                self.scope.constraints[self.text_of(variable)[1:].casefold()] = type_name
        elif target.type == "member_access":
            parts = self.kids(target)
            obj = self.eval(parts[0])
            if isinstance(obj, TypeRef):  # [type]::Property = value
                self.members.set_static(obj.name, self.member_name(parts[-1]), value, target)
            else:
                self.members.set_member(obj, self.member_name(parts[-1]), value, target)
        elif target.type == "element_access":
            parts = self.kids(target)
            obj = self.eval(parts[0])
            key = self.eval(parts[1])
            if isinstance(obj, PSOrderedDictionary) and _is_position(key):
                obj[self._ordered_key(obj, key)] = value
            elif isinstance(obj, PSHashtable):
                obj[key if isinstance(key, str) else to_string(key)] = value
            elif isinstance(obj, MultiDimensionalArray):
                self._multi_dimensional(lambda: obj.set_at(key, value))
            elif isinstance(obj, list):
                position = to_int(key)
                if not -len(obj) <= position < len(obj):
                    raise self.runtime_fail(
                        "Index was outside the bounds of the array.",
                        "IndexOutOfRange",
                    )
                obj[position] = value
            else:
                raise self.unsupported(target, "assignment to an index of this value")
        else:
            raise self.unsupported(target, "assignment target")

    def _multi_dimensional(self, action: Callable[[], Any]) -> Any:
        """An element of a ``T[,]``; outside its bounds .NET's IndexOutOfRangeException."""
        try:
            return action()
        except IndexError as error:
            raise self.runtime_fail(
                str(error),
                "System.IndexOutOfRangeException",
                exception_type="System.IndexOutOfRangeException",
            ) from None

    def assign_variable(self, node: Node, value: Any) -> None:
        text = self.text_of(node)
        name = text[1:]
        if name.startswith("{") and name.endswith("}"):
            name = name[1:-1]
        folded = name.casefold()
        if folded == "null":
            return
        if folded in ("true", "false", "?"):
            raise self.runtime_fail(
                f"Cannot overwrite variable {name} because it is read-only or constant.",
                "VariableNotWritable",
                "WriteError",
                exception_type="System.Management.Automation.SessionStateUnauthorizedAccessException",
            )
        scope_name, _, bare = name.rpartition(":")
        if bare.casefold() == "maximumerrorcount" and not _valid_error_count(value):
            # Windows refuses it (the variable's ValidateRange, 256 to 32768) with a
            # validation error whose exact text is not recorded here: refused by name.
            raise self.unsupported(node, "a $MaximumErrorCount outside 256 to 32768")
        scope = self.scope
        if scope_name:
            prefix = scope_name.casefold()
            if prefix == "env":
                if value is None or value == "":
                    self.env.pop(bare, None)
                else:
                    self.env[bare] = to_string(value)
                return
            if prefix not in ("script", "global", "local", "private"):
                raise self.unsupported(node, f"variable scope or drive '{scope_name}:'")
            scope = self._scope_for(prefix)
            name = bare
        self.set_in_scope(scope, name, value)

    def set_in_scope(self, scope: Scope, name: str, value: Any) -> None:
        """``$name = value`` in ``scope``, converted to the variable's type constraint
        (``[int]$n``) when it has one there."""
        constraint = scope.constraints.get(name.casefold())
        if constraint is not None and scope.find(name) is scope:
            try:
                if dotnet_lists.list_type(constraint) is not None:
                    value = dotnet_lists.cast_to_list(constraint, value)
                else:
                    value = self.convert_for(constraint, value)
            except HostMethodRefused as refused:  # a conversion the lab does not model
                raise self.unsupported(self.statement, str(refused)) from None
            except ConversionError as exc:
                raise self.runtime_fail(
                    str(exc),
                    "RuntimeException",
                    "MetadataError",
                    exception_type="System.Management.Automation.ArgumentTransformationMetadataException",
                ) from None
        scope.set_local(name, value)


def _no_statement(evaluator: Evaluator, node: Node, emit: Emit) -> None:
    """Marks a node type without a ``stmt_`` handler in :data:`_STATEMENTS`."""


_STATEMENTS: dict[str, Callable[[Evaluator, Node, Emit], None]] = {}
"""``stmt_<node type>`` handlers (plain functions) by node type, found once."""


def _not_mandatory_from_pipeline(spec: ParamSpec) -> ParamSpec:
    if spec.from_pipeline or spec.from_pipeline_by_property_name:
        return msgspec.structs.replace(spec, mandatory=False)
    return spec


class _PipelineBinding:
    """Binds each pipeline object to the parameters that take pipeline input."""

    def __init__(
        self,
        evaluator: Evaluator,
        binder: Binder,
        bound: PSHashtable,
        parameters: list[_Parameter],
    ) -> None:
        self._evaluator = evaluator
        self._binder = binder
        self._bound = PSHashtable(bound.items())
        self._parameters = [
            p
            for p in parameters
            if p.spec.name not in bound
            and (p.spec.from_pipeline or p.spec.from_pipeline_by_property_name)
        ]

    def bind(self, item: Any) -> bool:
        """Bind ``item``; False (after a non-terminating error) when nothing takes it."""
        evaluator = self._evaluator
        try:
            result = self._binder.bind_input(self._bound, item)
        except BindingFailed as failed:  # a validation of this object: non-terminating
            evaluator.write_error(failed.record)
            return False
        if result is None:
            evaluator.write_error(self._binder.input_not_bound(item))
            return False
        try:
            self._binder.check_mandatory(result)
        except BindingFailed as failed:
            evaluator.write_error(failed.record)
            return False
        for parameter in self._parameters:
            name = parameter.spec.name
            if name in result:
                evaluator.scope.set_local(name, result[name])
                bound = evaluator.scope.get("PSBoundParameters")[1]
                if isinstance(bound, PSHashtable):
                    bound[name] = result[name]
        return True


class FunctionValue(ScriptBlock):
    """A function or filter defined by a ``function``/``filter`` statement."""

    def __init__(self, name: str, node: Node, script: ParsedScript, is_filter: bool) -> None:
        super().__init__(node, script)
        self.name = name
        self.is_filter = is_filter


class _Parameter(msgspec.Struct):
    """One declared script parameter: its spec, default expression and validations."""

    spec: ParamSpec
    default: Node | None
    advanced: bool
    explicit_position: bool = False


class _Declared(msgspec.Struct):
    """A param() block: its parameters and whether the script is advanced."""

    parameters: list[_Parameter] = msgspec.field(default_factory=list)
    advanced: bool = False


_READ_EACH_RUN = object()
"""In a script's caches: this ``param()`` block is read on every run (not constant)."""

_UNREAD = object()
"""What :meth:`Evaluator.kept` finds for a reading not kept yet (a reading may be falsy)."""


def _unbound_value(type_name: str) -> Any:
    kind = type_name.lower()
    if kind == "string":
        return ""
    if kind in ("int", "long", "double"):
        return 0
    if kind in ("bool", "switch"):
        return False
    return None


def _unwrap(node: Node) -> Node:
    while node.type in WRAPPERS and len(children(node)) == 1 and node.child_count == 1:
        node = children(node)[0]
    return node


def _bare_value(text: str) -> Any:
    number = _bare_number(text)
    return text if number is None else number


_BARE_NUMBER = re.compile(r"[+-]?" + NUMBER_PATTERN, re.IGNORECASE)
"""A bare word that is a whole numeric literal, in any case (``2GB``, ``1E3``, ``5L``,
``0x10``): PowerShell's tokenizer reads it as a number in argument mode too
(about_Parsing: "numbers are treated as numeric values")."""


def _bare_number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    if _BARE_NUMBER.fullmatch(text) is None:
        return None
    sign = -1 if text.startswith("-") else 1
    return sign * number_literal(text.lstrip("+-"))


__all__ = [
    "NOTHING",
    "Evaluator",
    "PSEnum",
    "PipelineSession",
    "ScriptBlock",
    "SecureStringValue",
    "StopRequested",
    "TypeRef",
    "collect",
]


def _is_position(index: Any) -> bool:
    """An Int32 index: the one an ``[ordered]`` dictionary reads by position (UNVERIFIED
    which indexer 5.1 picks for an Int64; it is read as a key here)."""
    return type(index) is int
