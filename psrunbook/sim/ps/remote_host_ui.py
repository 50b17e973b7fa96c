"""``$Host`` of a PSRP pipeline and its UI/RawUI, forwarding to the client's host.

On Windows ``$Host`` is the engine's ``InternalHost`` around a ``ServerRemoteHost``
(PowerShell/PowerShell src/System.Management.Automation/engine/remoting/server/
ServerRemoteHost.cs, ServerRemoteHostUserInterface.cs,
ServerRemoteHostRawUserInterface.cs and engine/hostifaces/InternalHostUserInterface.cs):

- ``$Host.UI`` always exists (``InternalHostUserInterface``). With a client UI its
  methods become host calls: ``Write``/``WriteLine``/``WriteErrorLine``/... void calls
  (``Write1``/``Write2``, ``WriteLine1``/``2``/``3`` by overload), ``ReadLine``,
  ``ReadLineAsSecureString``, ``Prompt``, ``PromptForCredential`` (the four-argument
  overload sends ``PromptForCredential2`` with ``Default`` types 3 and options 1),
  ``PromptForChoice`` calls that wait for the answer. Without one (the client sent
  IsHostUINull, e.g. pypsrp without a host) the writes do nothing.
- ``WriteDebugLine``/``WriteVerboseLine``/``WriteWarningLine``/``WriteProgress`` first
  add the record to the pipeline's stream (the informational buffers: a DEBUG_RECORD,
  ..., PROGRESS_RECORD reaches the client whatever the preference), then call the host.
- ``$Host.UI.RawUI`` with a client RawUI answers its properties from the HostDefaultData
  the client sent, without a call; a setter sends the void ``Set...`` call and keeps the
  new value; ``ReadKey``, ``FlushInputBuffer``, ``SetBufferContents``,
  ``ScrollBufferContents`` are calls.
- ``$Host.SetShouldExit(n)`` is a void call; ``CurrentCulture`` is the thread's culture.

Every call, its parameters' encoding and the values returned are pypsrp 0.9.1's
``responses/test_psrp_pshost_*.yml`` (recorded against Windows). A method failing on the
client comes back as MethodInvocationException (pypsrp 1.0's
``test_powershell_host_call_failure``). UNVERIFIED, so refused: prompting without a
client UI (Windows throws a HostException whose text is not recorded),
``GetBufferContents``, ``KeyAvailable``, nested prompts, and ``$Host.UI.RawUI`` without a
client RawUI is ``$null`` as before (Windows has an ``InternalHostRawUserInterface``
whose members throw).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psrunbook.sim.executor_protocol import (
    ClientHost,
    HostCallArray,
    HostCallObject,
    HostChar,
    is_hosting_sink,
)
from psrunbook.sim.objects import (
    ProgressData,
    PSEnum,
    PSHashtable,
    PSInt64,
    PSObject,
    SecureStringValue,
)
from psrunbook.sim.ps import automatic, host_types
from psrunbook.sim.ps.values import as_list, to_int, to_string

_REMOTING = "System.Management.Automation.Remoting."
PROMPT_RESULT_TYPES = (
    "System.Collections.Generic.Dictionary`2[[System.String, mscorlib, Version=4.0.0.0, "
    "Culture=neutral, PublicKeyToken=b77a5c561934e089],[System.Management.Automation.PSObject, "
    "System.Management.Automation, Version=3.0.0.0, Culture=neutral, "
    "PublicKeyToken=31bf3856ad364e35]]",
    "System.Object",
)
"""The type ``Prompt`` returns, as Windows sends it (``test_psrp_pshost_ui_mocked_methods``)."""

_READ_KEY_OPTIONS = {"allowctrlc": 1, "noecho": 2, "includekeydown": 4, "includekeyup": 8}


class HostMethodRefused(Exception):
    """A host member the lab does not model; the message names it."""


class PromptResult(PSHashtable):
    """``Prompt``'s ``Dictionary<string, PSObject>``."""

    TYPE_NAMES = PROMPT_RESULT_TYPES


def client_host_of(sink: Any, *, pool: bool) -> ClientHost | None:
    """The client's host behind ``sink`` (None for a sink without one, or a null host)."""
    return sink.client_host(pool=pool) if is_hosting_sink(sink) else None


class RemoteHosts:
    """A pipeline's ``$Host`` and its runspace's host (``[Runspace]::DefaultRunspace``'s,
    reached by reflection), each built on first use from the runspace's ``$Host``
    (``base``: its members, e.g. ``Runspace``) and the sink's client hosts."""

    def __init__(self, sink: Any) -> None:
        self._sink = sink
        self._built: dict[bool, PSObject] = {}

    def host(self, base: Any, *, pool: bool = False) -> PSObject:
        """``$Host`` (``pool=False``: PIPELINE_HOST_CALL) or the runspace's host
        (RUNSPACEPOOL_HOST_CALL)."""
        built = self._built.get(pool)
        if built is None:
            client = client_host_of(self._sink, pool=pool)
            template = base if isinstance(base, PSObject) else automatic.remote_host()
            properties = PSHashtable(template.properties.items())
            properties["UI"] = user_interface(client, self._sink)
            properties["CurrentCulture"] = host_types.culture_info()
            properties["CurrentUICulture"] = host_types.culture_info()
            built = PSObject(
                template.type_names,
                properties,
                to_string=template.to_string,
                methods={**template.methods, **host_methods(client)},
                setters=template.setters,
            )
            self._built[pool] = built
        return built


def host_methods(client: ClientHost | None) -> dict[str, Callable[..., Any]]:
    """``$Host``'s own methods: ``SetShouldExit`` is a void call (sent to a client
    with a host, MS-PSRP 2.2.3.17 method 6, pypsrp 0.9.1's
    ``test_psrp_pshost_methods.yml``); the application notifications stay on the server
    (ServerRemoteHost.NotifyBeginApplication's comment)."""

    def set_should_exit(code: Any) -> None:
        if client is not None:
            client.call("SetShouldExit", [to_int(code)])

    def nested_prompt(*_: Any) -> None:
        raise HostMethodRefused("nested prompts through the remote host")

    return {
        "SetShouldExit": set_should_exit,
        "EnterNestedPrompt": nested_prompt,
        "ExitNestedPrompt": nested_prompt,
        "NotifyBeginApplication": lambda: None,
        "NotifyEndApplication": lambda: None,
    }


class _UserInterface:
    """The methods of ``$Host.UI`` (InternalHostUserInterface over the remote host's UI)."""

    def __init__(self, client: ClientHost | None, streams: Any) -> None:
        self._client = client if client is not None and client.info.has_ui else None
        self._streams = streams

    def _call(self, method: str, *parameters: Any) -> Any:
        """A void call; nothing without a client UI (InternalHostUserInterface returns)."""
        if self._client is not None:
            self._client.call(method, list(parameters))

    def _prompt(self, method: str, *parameters: Any) -> Any:
        """A call waiting for the client's answer; refused without a client UI."""
        if self._client is None:
            raise HostMethodRefused(
                f"$Host.UI.{method}() without a client host UI (Windows throws a"
                " HostException; its text is UNVERIFIED)"
            )
        return self._client.call(method, list(parameters))

    def write(self, *args: Any) -> None:
        if len(args) not in (1, 3):
            raise HostMethodRefused(f"$Host.UI.Write() with {len(args)} arguments")
        if len(args) == 1 and args[0] is not None:
            self._call("Write1", to_string(args[0]))
        elif len(args) == 3 and args[2] is not None:
            self._call("Write2", *_colors(args[0], args[1]), to_string(args[2]))

    def write_line(self, *args: Any) -> None:
        if len(args) not in (0, 1, 3):
            raise HostMethodRefused(f"$Host.UI.WriteLine() with {len(args)} arguments")
        if not args:
            self._call("WriteLine1")
        elif len(args) == 1 and args[0] is not None:
            self._call("WriteLine2", to_string(args[0]))
        elif len(args) == 3 and args[2] is not None:
            self._call("WriteLine3", *_colors(args[0], args[1]), to_string(args[2]))

    def write_error_line(self, message: Any) -> None:
        if message is not None:
            self._call("WriteErrorLine", to_string(message))

    def informational(self, kind: str) -> Callable[[Any], None]:
        """WriteDebugLine/WriteVerboseLine/WriteWarningLine: the record, then the call."""

        def write_record(message: Any) -> None:
            if message is None:
                return
            text = to_string(message)
            getattr(self._streams, kind)(text)
            self._call(f"Write{kind.capitalize()}Line", text)

        return write_record

    def write_progress(self, source_id: Any, record: Any) -> None:
        if not _is(record, host_types.PROGRESS_RECORD):
            raise HostMethodRefused("$Host.UI.WriteProgress() with a record not built here")
        self._streams.progress(_progress_data(record))
        self._call("WriteProgress", PSInt64(to_int(source_id)), encode(record))

    def read_line(self) -> Any:
        return self._prompt("ReadLine")

    def read_line_as_secure_string(self) -> Any:
        return self._prompt("ReadLineAsSecureString")

    def prompt(self, caption: Any, message: Any, descriptions: Any) -> Any:
        fields = [encode(d) for d in as_list(descriptions)]
        answer = self._prompt("Prompt", to_string(caption), to_string(message), fields)
        return PromptResult(answer.items() if isinstance(answer, PSHashtable) else ())

    def prompt_for_credential(self, *args: Any) -> Any:
        if len(args) not in (4, 6):
            raise HostMethodRefused(f"$Host.UI.PromptForCredential() with {len(args)} arguments")
        texts = [None if a is None else to_string(a) for a in args[:4]]
        # InternalHostUserInterface: the 4-argument overload is the 6-argument one with
        # PSCredentialTypes.Default (3) and PSCredentialUIOptions.Default (1).
        types, options = (3, 1) if len(args) == 4 else (_number(args[4]), _number(args[5]))
        return _credential(self._prompt("PromptForCredential2", *texts, types, options))

    def prompt_for_choice(self, caption: Any, message: Any, choices: Any, default: Any) -> Any:
        if isinstance(default, list | tuple):
            raise HostMethodRefused("$Host.UI.PromptForChoice() with several default choices")
        encoded = [encode(c) for c in as_list(choices)]
        return self._prompt(
            "PromptForChoice", to_string(caption), to_string(message), encoded, to_int(default)
        )


def user_interface(client: ClientHost | None, streams: Any) -> PSObject:
    """``$Host.UI`` for a pipeline whose client host is ``client`` (None: no host);
    ``streams`` (the pipeline's sink) gets the informational records."""
    ui = _UserInterface(client, streams)
    raw_ui = raw_user_interface(client) if client is not None and client.info.has_raw_ui else None
    return PSObject(
        (f"{_REMOTING}ServerRemoteHostUserInterface", "System.Object"),
        PSHashtable([("RawUI", raw_ui)]),
        to_string=f"{_REMOTING}ServerRemoteHostUserInterface",
        methods={
            "Write": ui.write,
            "WriteLine": ui.write_line,
            "WriteErrorLine": ui.write_error_line,
            "WriteDebugLine": ui.informational("debug"),
            "WriteVerboseLine": ui.informational("verbose"),
            "WriteWarningLine": ui.informational("warning"),
            "WriteProgress": ui.write_progress,
            "ReadLine": ui.read_line,
            "ReadLineAsSecureString": ui.read_line_as_secure_string,
            "Prompt": ui.prompt,
            "PromptForCredential": ui.prompt_for_credential,
            "PromptForChoice": ui.prompt_for_choice,
        },
    )


def raw_user_interface(client: ClientHost) -> PSObject:
    """``$Host.UI.RawUI`` of a client host with a RawUI (ServerRemoteHostRawUserInterface):
    properties from HostDefaultData, setters that send ``Set...`` and keep the value."""
    data = list(client.info.default_data) + [None] * (10 - len(client.info.default_data))

    def coordinates(pair: Any) -> Any:
        return None if pair is None else host_types.coordinates(*pair)

    def size(pair: Any) -> Any:
        return None if pair is None else host_types.size(*pair)

    def color(number: Any) -> Any:
        return None if number is None else host_types.console_color(number)

    properties = PSHashtable(
        [
            ("ForegroundColor", color(data[0])),
            ("BackgroundColor", color(data[1])),
            ("CursorPosition", coordinates(data[2])),
            ("WindowPosition", coordinates(data[3])),
            ("CursorSize", data[4]),
            ("BufferSize", size(data[5])),
            ("WindowSize", size(data[6])),
            ("MaxWindowSize", size(data[7])),
            ("MaxPhysicalWindowSize", size(data[8])),
            ("WindowTitle", data[9]),
        ]
    )

    def setter(name: str, convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def set_value(value: Any) -> Any:
            converted = convert(value)
            client.call(f"Set{name}", [encode(converted)])
            return converted

        return set_value

    def as_coordinates(value: Any) -> PSObject:
        return _expect(value, host_types.COORDINATES)

    def as_size(value: Any) -> PSObject:
        return _expect(value, host_types.SIZE)

    def read_key(options: Any = 4) -> PSObject:
        answer = client.call("ReadKey", [_read_key_options(options)])
        return _key_info(answer)

    def set_buffer_contents(first: Any, second: Any) -> None:
        if _is(first, host_types.RECTANGLE) and _is(second, host_types.BUFFER_CELL):
            client.call("SetBufferContents1", [encode(first), encode(second)])
        elif _is(first, host_types.COORDINATES) and isinstance(
            second, host_types.MultiDimensionalArray
        ):
            client.call("SetBufferContents2", [encode(first), encode(second)])
        else:
            raise HostMethodRefused("$Host.UI.RawUI.SetBufferContents() with these arguments")

    def scroll_buffer_contents(source: Any, destination: Any, clip: Any, fill: Any) -> None:
        client.call(
            "ScrollBufferContents",
            [encode(source), encode(destination), encode(clip), encode(fill)],
        )

    def refused(name: str) -> Callable[..., Any]:
        def method(*_: Any) -> Any:
            raise HostMethodRefused(f"$Host.UI.RawUI.{name}()")

        return method

    return PSObject(
        (f"{_REMOTING}ServerRemoteHostRawUserInterface", "System.Object"),
        properties,
        to_string=f"{_REMOTING}ServerRemoteHostRawUserInterface",
        methods={
            "ReadKey": read_key,
            "FlushInputBuffer": lambda: client.call("FlushInputBuffer", []),
            "SetBufferContents": set_buffer_contents,
            "ScrollBufferContents": scroll_buffer_contents,
            "GetBufferContents": refused("GetBufferContents"),
        },
        setters={
            "ForegroundColor": setter("ForegroundColor", host_types.console_color),
            "BackgroundColor": setter("BackgroundColor", host_types.console_color),
            "CursorPosition": setter("CursorPosition", as_coordinates),
            "WindowPosition": setter("WindowPosition", as_coordinates),
            "CursorSize": setter("CursorSize", to_int),
            "BufferSize": setter("BufferSize", as_size),
            "WindowSize": setter("WindowSize", as_size),
            "WindowTitle": setter("WindowTitle", to_string),
        },
    )


# -- encoding: what ServerRemoteHost sends, as RemoteHostEncoder shapes it -----------------

_ENCODED_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    host_types.COORDINATES: (("x", "X"), ("y", "Y")),
    host_types.SIZE: (("height", "Height"), ("width", "Width")),
    host_types.RECTANGLE: (("left", "Left"), ("top", "Top"), ("right", "Right"),
                           ("bottom", "Bottom")),
    host_types.BUFFER_CELL: (("character", "Character"), ("foregroundColor", "ForegroundColor"),
                             ("backgroundColor", "BackgroundColor"),
                             ("bufferCellType", "BufferCellType")),
    host_types.CHOICE_DESCRIPTION: (("label", "Label"), ("helpMessage", "HelpMessage")),
    host_types.PROGRESS_RECORD: (
        ("Activity", "Activity"), ("ActivityId", "ActivityId"),
        ("StatusDescription", "StatusDescription"), ("CurrentOperation", "CurrentOperation"),
        ("ParentActivityId", "ParentActivityId"), ("PercentComplete", "PercentComplete"),
        ("Type", "RecordType"), ("SecondsRemaining", "SecondsRemaining"),
    ),
}  # fmt: skip
"""Each encoded type's fields, in the order Windows sends them, and the property each
comes from (the recordings' SetCursorPosition, SetBufferSize, SetBufferContents1,
PromptForChoice and WriteProgress parameters)."""


def encode(value: Any) -> Any:
    """A parameter as ``RemoteHostEncoder`` sends it: enums as their number (a
    ConsoleColor ``<I32>``), a Char ``<C>``, host structs and descriptions as field
    bags, a ``BufferCell[,]`` as ``mae`` (cells, row by row) and ``mal`` (lengths)."""
    if isinstance(value, host_types.MultiDimensionalArray):
        return HostCallObject(
            (
                ("mae", [encode(cell) for cell in value.cells]),
                ("mal", HostCallArray("System.Int32[]", value.lengths)),
            )
        )
    if isinstance(value, PSObject) and value.type_names:
        kind = value.type_names[0]
        if kind == host_types.FIELD_DESCRIPTION:
            return _field_description(value)
        fields = _ENCODED_FIELDS.get(kind)
        if fields is not None:
            return HostCallObject(
                tuple((wire, _encode_field(kind, value.properties.get(p))) for wire, p in fields)
            )
        raise HostMethodRefused(f"a host call with a {kind} argument")
    if isinstance(value, PSEnum):
        return value.value
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def _encode_field(kind: str, value: Any) -> Any:
    if kind == host_types.BUFFER_CELL and isinstance(value, str):
        return HostChar(ord(value[:1] or " "))
    if kind == host_types.PROGRESS_RECORD and isinstance(value, PSEnum):
        return value  # the record's Type goes as the enum object itself
    return encode(value)


def _field_description(value: PSObject) -> HostCallObject:
    p = value.properties
    fields: list[tuple[str, Any]] = [
        ("name", p.get("Name")), ("label", p.get("Label")),
        ("parameterTypeName", p.get("ParameterTypeName")),
        ("parameterTypeFullName", p.get("ParameterTypeFullName")),
        ("parameterAssemblyFullName", p.get("ParameterAssemblyFullName")),
        ("helpMessage", p.get("HelpMessage")), ("isMandatory", bool(p.get("IsMandatory"))),
    ]  # fmt: skip
    if p.get("DefaultValue") is not None:  # UNVERIFIED: the recording's field has none
        fields.append(("defaultValue", p.get("DefaultValue")))
    fields += [
        ("metadata", []),
        ("modifiedByRemotingProtocol", False),
        ("isFromRemoteHost", False),
    ]
    return HostCallObject(tuple(fields))


# -- helpers --------------------------------------------------------------------------------


def _colors(foreground: Any, background: Any) -> tuple[int, int]:
    return (
        host_types.console_color(foreground).value,
        host_types.console_color(background).value,
    )


def _number(value: Any) -> int:
    return value.value if isinstance(value, PSEnum) else to_int(value)


def _is(value: Any, type_name: str) -> bool:
    return isinstance(value, PSObject) and value.type_names[:1] == (type_name,)


def _expect(value: Any, type_name: str) -> PSObject:
    if not _is(value, type_name):
        raise HostMethodRefused(f"setting a RawUI property to something but a {type_name}")
    assert isinstance(value, PSObject)
    return value


def _read_key_options(options: Any) -> int:
    if isinstance(options, PSEnum):
        return options.value
    if isinstance(options, int):
        return options
    total = 0
    for part in to_string(options).split(","):
        key = part.strip().casefold()
        if key not in _READ_KEY_OPTIONS:
            raise HostMethodRefused(f"ReadKey option {part.strip()!r}")
        total |= _READ_KEY_OPTIONS[key]
    return total


def _key_info(answer: Any) -> PSObject:
    """ReadKey's answer (the client's KeyInfo fields) as the KeyInfo a script gets."""
    props = answer.properties if isinstance(answer, PSObject) else answer
    if not isinstance(props, PSHashtable):
        raise HostMethodRefused("a ReadKey answer that is not a KeyInfo")
    character = props.get("Character")
    if isinstance(character, int):
        character = chr(character)
    state = props.get("ControlKeyState")
    return host_types.key_info(
        to_int(props.get("VirtualKeyCode")),
        to_string(character),
        _number(state) if state is not None else 0,
        bool(props.get("KeyDown")),
    )


def _credential(answer: Any) -> Any:
    """The PSCredential the client answered, as the lab's PSCredential object."""
    from psrunbook.sim.ps.utility import credential  # noqa: PLC0415 - utility imports this room

    if isinstance(answer, PSObject):
        password = answer.properties.get("Password")
        if isinstance(password, SecureStringValue):
            return credential(to_string(answer.properties.get("UserName")), password)
    return answer


def _progress_data(record: PSObject) -> ProgressData:
    p = record.properties
    kind = p.get("RecordType")
    return ProgressData(
        activity=to_string(p.get("Activity")),
        status=to_string(p.get("StatusDescription")),
        activity_id=to_int(p.get("ActivityId")),
        parent_id=to_int(p.get("ParentActivityId")),
        percent_complete=to_int(p.get("PercentComplete")),
        seconds_remaining=to_int(p.get("SecondsRemaining")),
        current_operation=None
        if p.get("CurrentOperation") is None
        else to_string(p.get("CurrentOperation")),
        completed=isinstance(kind, PSEnum) and kind.value == 1,
    )
