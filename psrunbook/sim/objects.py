"""The objects a simulated PowerShell pipeline carries, shared by every room of the simulator.

Values inside the simulator are plain Python where PowerShell's type maps cleanly
(``str``, ``int``, ``float``, ``bool``, ``None`` for ``$null``, ``list`` for
``object[]``) and the classes below where it does not. The language (``sim/ps``)
produces and consumes them, the lab's cmdlets return them, and the endpoint
(``sim/endpoint``) serialises any of them without knowing who produced it; keeping them
here, below all three, lets each room be read and tested alone.
"""

from __future__ import annotations

from collections.abc import (
    Callable,
    Collection,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)
from functools import cached_property
from itertools import islice
from typing import Any

import msgspec

from psrunbook.sim.ps.number_format import double_text

_ONE_PASS_FROM = 4
"""Keys from which :class:`PSHashtable` stores them in one pass (measured: 1.5 vs 3.2 us
for five keys, slower than one by one for none to two)."""

_ONE_PASS_TYPES: frozenset[type] = frozenset({list, tuple, type({}.items())})
"""What the one pass takes: sized sequences of pairs, and a dict's items (``props(**kw)``)."""


PS_CUSTOM_OBJECT = "System.Management.Automation.PSCustomObject"


class PSHashtable(MutableMapping[str, Any]):
    """An ordered hashtable with PowerShell's case-insensitive keys.

    The first spelling of a key is kept for output, because scripts and the client
    see the key as it was written.
    """

    TYPE_NAMES: tuple[str, ...] = ("System.Collections.Hashtable", "System.Object")
    """The .NET type and its bases, as serialised (``<TN>``); a subclass names its own."""

    # Every member access and parameter binding of the evaluator goes through these, so
    # they fold the key inline and read ``_data`` directly rather than through the
    # MutableMapping mixins (issue 16: a tenth of a pipeline's evaluation).

    def __init__(self, items: Iterable[tuple[str, Any]] = ()) -> None:
        # Four or more string keys differing in more than case (every cmdlet's output
        # object) are stored in one pass (issue 16: building the cluster's objects was a
        # tenth of the preflight script's evaluation). Fewer keys (an empty table, a
        # calculated property's one), another iterable, another key type or a key met
        # again (``A`` then ``a``) go one by one, which keeps the first spelling and the
        # last value: below four keys the comprehension costs more than it saves.
        self._data: dict[str, tuple[str, Any]]
        if type(items) is _HashtableItems:  # another table's: its keys are folded already
            self._data = dict(items._mapping._data)
            return
        self._data = {}
        if type(items) in _ONE_PASS_TYPES:
            # An annotation, not ``cast``: a call (and a subscripted type) at every table.
            sized: Collection[tuple[str, Any]] = items  # type: ignore[assignment]
            count = len(sized)
            if count == 0:  # the empty table binding and hash literals start from
                return
            if count >= _ONE_PASS_FROM:
                data = {key.casefold(): (key, value) for key, value in sized if type(key) is str}
                if len(data) == count:
                    self._data = data
                    return
        for key, value in items:
            self[key] = value

    @staticmethod
    def _fold(key: object) -> str:
        return (key if type(key) is str else str(key)).casefold()

    def __getitem__(self, key: str) -> Any:
        return self._data[(key if type(key) is str else str(key)).casefold()][1]

    def __setitem__(self, key: str, value: Any) -> None:
        text = key if type(key) is str else str(key)
        folded = text.casefold()
        entry = self._data.get(folded)
        self._data[folded] = (text if entry is None else entry[0], value)

    def __delitem__(self, key: str) -> None:
        del self._data[self._fold(key)]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return (key if type(key) is str else str(key)).casefold() in self._data

    def get(self, key: str, default: Any = None) -> Any:
        entry = self._data.get((key if type(key) is str else str(key)).casefold())
        return default if entry is None else entry[1]

    def items(self) -> ItemsView[str, Any]:
        return _HashtableItems(self)

    def folded_keys(self) -> KeysView[str]:
        """The keys as the table compares them (case-folded), for a set test at C speed."""
        return self._data.keys()

    def values(self) -> ValuesView[Any]:
        return _HashtableValues(self)

    def __repr__(self) -> str:
        inner = "; ".join(f"{k}={v!r}" for k, v in self.items())
        return f"@{{{inner}}}"


class _HashtableItems(ItemsView[str, Any]):
    """``items()`` of a PSHashtable: its stored (spelling, value) pairs, read in place."""

    _mapping: PSHashtable

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self._mapping._data.values())


class _HashtableValues(ValuesView[Any]):
    """``values()`` of a PSHashtable, read in place."""

    _mapping: PSHashtable

    def __iter__(self) -> Iterator[Any]:
        return (value for _, value in self._mapping._data.values())


class PSObject(msgspec.Struct):
    """A PowerShell object: type names (most derived first), ordered properties.

    ``properties`` is a :class:`PSHashtable`, so member access is case-insensitive.
    ``to_string`` is what ``[string]$obj`` and depth-1 serialisation give for it.
    ``methods`` holds the few .NET methods the simulator models for this object.
    ``setters`` holds the properties whose assignment writes through to the state the
    object shows (``(Get-ClusterResource X).RestartAction = 1`` changes the cluster);
    each returns the value the property then holds.
    """

    type_names: tuple[str, ...] = (PS_CUSTOM_OBJECT, "System.Object")
    properties: PSHashtable = msgspec.field(default_factory=PSHashtable)
    to_string: str | None = None
    methods: Mapping[str, Callable[..., Any]] = msgspec.field(default_factory=dict)
    setters: Mapping[str, Callable[[Any], Any]] = msgspec.field(default_factory=dict)

    def __str__(self) -> str:
        if self.to_string is not None:
            return self.to_string
        return "@{" + "; ".join(f"{k}={member_text(v)}" for k, v in self.properties.items()) + "}"


def member_text(value: Any) -> str:
    """A value as PowerShell writes it inside another's text: an item of a collection
    turned into a string (``"$a"``, ``-join``), a property in ``@{a=...}``.

    PowerShell converts those without looking inside them (``PSObject.ToString`` with
    ``recurse`` false, from ``ToStringEnumerable`` and ``ToStringEmptyBaseObject``): a
    nested array is its .NET type's name, ``System.Object[]``, not its items; a
    hashtable ``System.Collections.Hashtable``; a custom object ``PSCustomObject.
    ToString()``, the empty string (PowerShell issue 6163, 5.1 included); ``$null``
    nothing; a double its 15-digit text (:func:`~psrunbook.sim.ps.number_format.
    double_text`). Anything else is its usual text.
    """
    if value is None:
        return ""
    if isinstance(value, TypedArray):
        return value.type_name
    if isinstance(value, list | tuple):
        return "System.Object[]"
    if isinstance(value, PSHashtable):
        return value.TYPE_NAMES[0]
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return double_text(value)
    custom = isinstance(value, PSObject) and value.type_names[:1] == (PS_CUSTOM_OBJECT,)
    if custom and value.to_string is None:
        return ""
    return str(value)


class PartialObject(PSObject):
    """A .NET object the lab models only in part (``$ExecutionContext``, ``.PSObject``).

    Windows has members the lab does not list, so a member or method it lacks is refused
    by name (``shown_as`` + the member) rather than answered ``$null`` as a missing
    property of an ordinary object is.
    """

    shown_as: str = ""
    unmodelled: frozenset[str] | None = None
    """The (case-folded) members and methods Windows has that the lab lacks; ``None``:
    every member the object does not hold. A name outside the set is answered as for
    any object (``$null``, or PowerShell's "does not contain a method")."""

    def refuses(self, name: str) -> bool:
        """Whether ``name``, which the object does not hold, is refused by name."""
        return self.unmodelled is None or name.casefold() in self.unmodelled


class PropertySetError(Exception):
    """A write-through property refused a value (the .NET setter threw); the message
    is the setter's, as PowerShell shows it inside 'Exception setting "Name": ...'."""


class PSEnum(msgspec.Struct, frozen=True):
    """A .NET enum value: compares to its name case-insensitively and to its number."""

    type_name: str
    name: str
    value: int

    def __str__(self) -> str:
        return self.name


class SecureStringValue(msgspec.Struct, frozen=True):
    """A SecureString received from the client; its text never shows in repr or str,
    nor in rich's pretty printer (which asks a struct for ``__rich_repr__``, its fields,
    before its ``repr``)."""

    plaintext: str

    def __repr__(self) -> str:
        return "SecureStringValue(***)"

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return [("plaintext", "***")]

    def __str__(self) -> str:
        return "System.Security.SecureString"


class ProgressData(msgspec.Struct, frozen=True):
    """A ``Write-Progress`` record as PSRP's PROGRESS_RECORD carries it (MS-PSRP 2.2.2.25)."""

    activity: str
    status: str = "Processing"
    activity_id: int = 0
    parent_id: int = -1
    percent_complete: int = -1
    seconds_remaining: int = -1
    current_operation: str | None = None
    completed: bool = False


class ErrorRecordData(msgspec.Struct, frozen=True):
    """What PowerShell puts in an ErrorRecord, as far as a PSRP client can see it.

    ``fully_qualified_error_id`` is composed like PowerShell does: the error id, then a
    comma and the implementing type of the command that raised it, when there is one.
    """

    message: str
    error_id: str
    category: str = "NotSpecified"
    exception_type: str = "System.Management.Automation.RuntimeException"
    target_object: Any = None
    target_name: str = ""
    target_type: str = ""
    activity: str = ""
    command_type: str | None = None
    script_line: int | None = None
    script_column: int | None = None
    line_text: str | None = None
    extent_length: int | None = None
    """How many characters of ``line_text`` from ``script_column`` the failing element
    covers (the squiggle under it); None where the lab does not know the element, and
    :meth:`position_lines` estimates it."""
    inner_exception_type: str | None = None
    """The .NET exception the record's exception wraps (its InnerException): a method's
    FormatException inside PowerShell's MethodInvocationException, the
    DivideByZeroException inside the RuntimeException of ``1/0``. A ``catch`` looks for it
    first, as PowerShell's ExceptionHandlingOps.FindMatchingHandler does; its message is
    :attr:`inner_message`. The wire does not carry it (its Exception's InnerException is
    written as nil: UNVERIFIED how Windows serialises it there)."""
    inner_message: str = ""
    command_name: str | None = None
    """The invoked command's name (InvocationInfo.MyCommand) where it is not the
    activity's: Write-Error gives its record the caller's ``$MyInvocation``, so the
    console names the calling function, or the whole script a client sent."""

    @property
    def fully_qualified_error_id(self) -> str:
        if self.command_type:
            return f"{self.error_id},{self.command_type}"
        return self.error_id

    @property
    def reason(self) -> str:
        return self.exception_type.rsplit(".", 1)[-1]

    def position_lines(self) -> list[str]:
        """``InvocationInfo.PositionMessage`` as lines: ``At line:N char:M``, ``+ `` and the
        line, ``+ `` and a squiggle under the failing element; empty without a position.

        The console's error view prints this very text (NormalView reads
        ``$_.InvocationInfo.PositionMessage``), so PSRP clients and powershell.exe see one
        position. The element is the lab's when it knows it (:attr:`extent_length`);
        otherwise a command's error covers the rest of the line (the command and its
        arguments) and any other error the first word at the column.
        """
        if not self.script_line:
            return []
        column = self.script_column or 1
        text = (self.line_text or "").rstrip("\r\n")
        rest = text[column - 1 :]
        if self.extent_length is not None:
            width = min(self.extent_length, len(rest))
        elif self.activity:
            width = len(rest.rstrip())
        else:
            width = len(rest.split(" ", 1)[0].rstrip())
        return [
            f"At line:{self.script_line} char:{column}",
            f"+ {text}",
            f"+ {' ' * (column - 1)}{'~' * max(width, 1)}",
        ]


class ErrorRecordObject(PSObject):
    """An ErrorRecord as a script holds it (``$_`` in ``catch``, ``$Error``, ``2>&1``).

    Scripts read its properties; the endpoint serialises it from ``record``, as Windows
    serialises an ErrorRecord whatever way it reached the output.
    """

    record: ErrorRecordData = msgspec.field(default_factory=lambda: ErrorRecordData("", ""))
    escalated: bool = False


class PSPrimitiveDictionary(PSHashtable):
    """``System.Management.Automation.PSPrimitiveDictionary``: a hashtable of primitive
    values, the type of ``$PSVersionTable`` and ``$PSSenderInfo.ApplicationArguments``.

    Windows serialises it with its own type name first (the APPLICATION_PRIVATE_DATA and
    the output of pypsrp's ``test_psrp_application_args`` recording), so pypsrp and
    scripts can tell it from a plain hashtable.
    """

    TYPE_NAMES = (
        "System.Management.Automation.PSPrimitiveDictionary",
        "System.Collections.Hashtable",
        "System.Object",
    )


class PSOrderedDictionary(PSHashtable):
    """``System.Collections.Specialized.OrderedDictionary``: what ``[ordered]@{...}`` makes.

    Its keys compare without case as a hashtable's do (PowerShell builds it with
    ``StringComparer.OrdinalIgnoreCase``), but it is no Hashtable: ``-is [hashtable]`` is
    false, it has no ``ContainsKey``, ``ContainsValue`` or ``Clone`` (a script calling
    them fails on Windows with MethodNotFound), and an integer index reads and writes the
    entry at that position (its ``Item[int]`` indexer), not a key.
    """

    TYPE_NAMES = ("System.Collections.Specialized.OrderedDictionary", "System.Object")
    MISSING_METHODS = frozenset({"containskey", "containsvalue", "clone"})
    """Hashtable methods OrderedDictionary (.NET Framework 4.8) does not have."""

    def key_at(self, position: int) -> str:
        """The key at ``position``; IndexError outside the entries (no counting from the
        end: .NET's ArgumentOutOfRangeException for a negative one too)."""
        if not 0 <= position < len(self._data):
            raise IndexError(position)
        return next(islice(iter(self), position, None))


class PSVersionValue(msgspec.Struct, frozen=True, order=True):
    """A ``System.Version`` (``$PSVersionTable.PSVersion``); unset parts are -1 as in .NET."""

    major: int
    minor: int
    build: int = -1
    revision: int = -1

    @classmethod
    def parse(cls, text: str) -> PSVersionValue:
        """``[version]'5.1.17763.1'``; raises ValueError for anything else, as .NET does."""
        parts = text.strip().split(".")
        if not 2 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
            raise ValueError(text)
        numbers = [int(p) for p in parts] + [-1] * (4 - len(parts))
        return cls(*numbers)

    def __str__(self) -> str:
        parts = [self.major, self.minor, self.build, self.revision]
        return ".".join(str(p) for p in parts if p >= 0)


class ByteArray(list[int]):
    """A ``System.Byte[]``: a list of ints 0..255, enumerated and indexed as one, and
    ``<BA>`` (base64) on the wire both ways, as PowerShell serialises a byte array
    (MS-PSRP 2.2.5.1.17; pypsrp 1.0's ``copy_file`` sends and ``fetch_file`` reads them)."""

    __slots__ = ()


class PSChar(str):
    """A ``System.Char``: one UTF-16 code unit, what indexing a string gives (``'abc'[0]``),
    ``ToCharArray()`` and ``[char]65`` make. A str of length one for everything that
    reads it as text (``-join``, ``"$c"``, ``-eq`` with a string); a number for arithmetic
    and ``[int]`` (its code), and ``<C>`` on the wire."""

    __slots__ = ()


class ProviderContent(str):
    """Text Get-Content wrote (a line, or with ``-Raw`` the whole file): a string whose
    PSObject carries the provider's notes (PowerShell's ``ContentCommandBase.
    WriteContentObject``, "wraps the content into a PSObject and adds context information
    as notes"): PSPath, PSParentPath, PSChildName, PSDrive, PSProvider, ReadCount.

    A variable, an array or a hashtable keeps them, as the PSObject does on Windows;
    anything that makes a new string (``[string]``, ``.Trim()``, ``+``, ``"$x"``) leaves
    them behind. They matter where Windows PowerShell 5.1 reads them: ConvertTo-Json
    writes such a string as an object (``{"value": ..., "PSPath": ..., "PSDrive": {...},
    ...}``, PowerShell issue 5797, changed only in 7.2), which the lab refuses by name
    rather than approximate (the drive and provider expand to .NET types)."""

    _make_notes: Callable[[], PSHashtable]

    @classmethod
    def of(cls, text: str, make_notes: Callable[[], PSHashtable]) -> ProviderContent:
        """The text, its notes made when first read (a file's lines rarely need them)."""
        content = cls(text)
        content._make_notes = make_notes
        return content

    @cached_property
    def notes(self) -> PSHashtable:
        return self._make_notes()


class DotNetList(list[Any]):
    """A .NET list a script made (``System.Collections.ArrayList``, ``System.Collections.
    Generic.List[T]``): enumerated like an array, but growing (``Add``) where an array is
    of a fixed size, and a reference shared by every variable holding it.

    ``type_name`` is its .NET full name; ``element`` the PowerShell name of ``T`` items
    convert to (``"string"``), None for an ArrayList, which holds anything
    (:mod:`psrunbook.sim.ps.dotnet_lists`).
    """

    __slots__ = ("element", "shown", "type_name")

    def __init__(self, items: Any = (), *, type_name: str, shown: str, element: str | None) -> None:
        super().__init__(items)
        self.type_name = type_name
        self.shown = shown
        self.element = element


class TypedArray(list[Any]):
    """A .NET array of one element type (``System.String[]``, ``System.Int32[]``): what a
    ``[string[]]`` or ``[int[]]`` cast, a typed variable or parameter, ``-split`` and
    ``ToCharArray()`` make, where a plain ``list`` is PowerShell's ``Object[]``.

    ``element`` is the element type's full name (``"System.String"``); the array's type
    is ``element + "[]"``. What makes a new array of it (``+``, slicing, a filtering
    comparison) makes an Object[], as in PowerShell; an assignment to a typed variable
    converts back.
    """

    __slots__ = ("element",)

    def __init__(self, items: Any = (), *, element: str) -> None:
        super().__init__(items)
        self.element = element

    @property
    def type_name(self) -> str:
        return f"{self.element}[]"


class PSInt64(int):
    """A ``System.Int64`` whose value would also fit an Int32 (``[long]5``, ``5L``).

    A plain ``int`` is an Int32 when it fits 32 bits and an Int64 otherwise, which is the
    type PowerShell gives an integer literal; this marks the ones typed wider, so their
    arithmetic stays Int64 and they go on the wire as ``<I64>``. (``x in range(...)``
    scans the range for an int subclass: test ``int(x)``.)
    """


def provider_info(name: str) -> PSObject:
    """A ``System.Management.Automation.ProviderInfo`` of a built-in provider: ``Name``
    (``FileSystem``, ``Registry``), ``ModuleName`` ``Microsoft.PowerShell.Core`` and the
    ToString ``Microsoft.PowerShell.Core\\<Name>`` that an item's ``PSProvider`` shows
    (a script reads ``$item.PSProvider.Name``, as pypsrp 1.0's ``invoke_ps(cwd=...)``
    does). Only these members are modelled."""
    return PSObject(
        type_names=("System.Management.Automation.ProviderInfo", "System.Object"),
        properties=PSHashtable([("Name", name), ("ModuleName", "Microsoft.PowerShell.Core")]),
        to_string=f"Microsoft.PowerShell.Core\\{name}",
    )


HOST_INFORMATION_MESSAGE = "System.Management.Automation.HostInformationMessage"


def host_information_message(
    text: str, *, no_newline: bool = False, foreground: Any = None, background: Any = None
) -> PSObject:
    """What Write-Host writes to the information stream (WriteHostCommand): a
    HostInformationMessage with Message, ForegroundColor, BackgroundColor (ConsoleColor,
    ``$null`` when not given; UNVERIFIED: Windows may fill them from the host's RawUI) and
    NoNewLine, shown as its Message. psrp's ``invoke_ps`` test reads ``MessageData.Message``
    of a Write-Host record against Windows."""
    return PSObject(
        type_names=(HOST_INFORMATION_MESSAGE, "System.Object"),
        properties=PSHashtable(
            [
                ("Message", text),
                ("ForegroundColor", foreground),
                ("BackgroundColor", background),
                ("NoNewLine", no_newline),
            ]
        ),
        to_string=text,
    )


def path_not_found(cmdlet: str, command_type: str, path: str) -> ErrorRecordData:
    """A provider cmdlet's ItemNotFoundException for ``path`` ("Cannot find path 'X'
    because it does not exist.", PathNotFound, ObjectNotFound), the path its target."""
    return ErrorRecordData(
        message=f"Cannot find path '{path}' because it does not exist.",
        error_id="PathNotFound",
        category="ObjectNotFound",
        exception_type="System.Management.Automation.ItemNotFoundException",
        target_object=path,
        target_name=path,
        target_type="String",
        activity=cmdlet,
        command_type=command_type,
    )
