"""``System.DateTime`` objects as a lab script sees them, whoever makes them: Get-Date,
a file's LastWriteTime, a process's StartTime, a CIM LastBootUpTime, an event's
TimeGenerated.

Members (Windows PowerShell 5.1):

- the .NET properties Day, DayOfWeek, DayOfYear, Hour, Kind, Millisecond, Minute, Month,
  Second, Ticks and Year; Date (midnight of the day, the same Kind) and TimeOfDay (a
  TimeSpan), computed when read (``get_Date``, as .NET's getters); the other members and
  methods Windows has (``_UNMODELLED``) are refused by name (a :class:`PartialObject`),
  never answered ``$null``;
- types.ps1xml's ScriptProperty ``DateTime``: ``"{0} {1}" -f $this.ToLongDateString(),
  $this.ToLongTimeString()``, or only the long date when the object's ``DisplayHint`` is
  Date and only the long time when it is Time ("Thursday, December 3, 2026 11:10:00 PM";
  PowerShell's Types_Ps1Xml.cs). The lab computes it when the object is made and again
  when a script sets DisplayHint;
- Get-Date's NoteProperty ``DisplayHint`` (GetDateCommand adds it to every DateTime it
  writes, DateTime unless ``-DisplayHint`` says otherwise; other DateTimes have none);
- ``ToString()`` in the current culture, en-US, and ``ToString(format)`` /
  ``ToString(format, culture)`` (:mod:`psrunbook.sim.ps.date_format`); a malformed format
  is .NET's FormatException, which PowerShell reports as a MethodInvocationException;
- ``ToLongDateString()``, ``ToLongTimeString()``, ``ToShortDateString()``,
  ``ToShortTimeString()`` (en-US, :mod:`psrunbook.sim.ps.date_text`),
  ``ToUniversalTime()`` and ``ToLocalTime()``;
- ``AddTicks``, ``AddMilliseconds`` ... ``AddDays``, ``AddMonths``, ``AddYears``
  (:mod:`psrunbook.sim.ps.date_arithmetic`);
- ``Add(TimeSpan)``, ``Subtract(DateTime)`` (a TimeSpan), ``Subtract(TimeSpan)`` and
  ``CompareTo(DateTime)`` (:mod:`psrunbook.sim.ps.span_arithmetic`); an argument of
  another type is refused by name (PowerShell would convert it).

PowerShell's string conversion of the object (``"$d"``, ``[string]$d``) is the invariant
culture's "G", ``MM/dd/yyyy HH:mm:ss``: the object's ``to_string``.

Kind: ``Get-Date`` is ``DateTime.Now``, Kind Local, and so are a file's LastWriteTime and
a process's StartTime (.NET converts them to local time); LastWriteTimeUtc is Utc. The
lab's nodes run on UTC, so a Local and a Utc DateTime of one moment have the same ticks,
and only the Kind (``-Format o``: ``+00:00`` or ``Z``) tells them apart.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from psrunbook.sim.date_wire import register_datetime_factory, ticks_of
from psrunbook.sim.objects import PartialObject, PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.date_arithmetic import add_methods
from psrunbook.sim.ps.date_format import (
    EN_US,
    INVARIANT,
    Culture,
    Moment,
    datetime_moment,
    format_datetime,
)
from psrunbook.sim.ps.date_parse import DateNotModelled, DateParseError, parse_datetime
from psrunbook.sim.ps.date_text import (
    DATETIME,
    invariant_general,
    long_date,
    long_time,
    short_date,
    short_time,
)
from psrunbook.sim.ps.host_types import CULTURE_INFO
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.span_arithmetic import add, subtract
from psrunbook.sim.ps.timespan_values import timespan_value
from psrunbook.sim.ps.values import (
    CONVERTERS,
    ConversionError,
    NullConversionError,
    to_string,
    type_name_of,
)

DISPLAY_HINT_TYPE = "Microsoft.PowerShell.Commands.DisplayHintType"
DISPLAY_HINTS = ("Date", "Time", "DateTime")
"""DisplayHintType by value (GetDateCommand.cs: ``enum DisplayHintType { Date, Time,
DateTime }``)."""
DAY_OF_WEEK = "System.DayOfWeek"
_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_TYPE_NAMES = (DATETIME, "System.ValueType", "System.Object")
_TICKS_PER_DAY = 864_000_000_000
_UNMODELLED = frozenset(
    (
        "gethashcode",
        "gettypecode",
        "isdaylightsavingtime",
        "tobinary",
        "tofiletime",
        "tofiletimeutc",
        "tooadate",
        "getdatetimeformats",
    )
)
"""System.DateTime's instance members and methods (.NET Framework 4.8) the lab does not
model: refused by name. Any other name is not a DateTime's (``$null``, or PowerShell's
"does not contain a method named")."""


def display_hint(value: Any) -> PSEnum:
    """``[Microsoft.PowerShell.Commands.DisplayHintType]``: a name (any case) or a value.
    The error's text is .NET's enum conversion message as host_types words it; the line
    break before the names (``\n`` here) is UNVERIFIED."""
    if isinstance(value, PSEnum) and value.type_name == DISPLAY_HINT_TYPE:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 3:
        return PSEnum(DISPLAY_HINT_TYPE, DISPLAY_HINTS[value], value)
    text = to_string(value).strip()
    for number, name in enumerate(DISPLAY_HINTS):
        if name.casefold() == text.casefold():
            return PSEnum(DISPLAY_HINT_TYPE, name, number)
    raise ConversionError(
        value,
        DISPLAY_HINT_TYPE,
        f"Unable to match the identifier name {text} to a valid enumerator name. Specify "
        f"one of the following enumerator names and try again:\n{', '.join(DISPLAY_HINTS)}",
    )


CONVERTERS[DISPLAY_HINT_TYPE.casefold()] = display_hint


def to_datetime(value: Any) -> PSObject:
    """``[datetime]$value``: a DateTime as it is; a string as DateTime.Parse reads it in
    the invariant culture (:mod:`psrunbook.sim.ps.date_parse`); $null does not convert
    (a value type). Anything else, which PowerShell might convert, is refused by name."""
    if datetime_moment(value) is not None:
        return value  # type: ignore[no-any-return]
    if value is None:
        raise NullConversionError("datetime")
    if isinstance(value, str):
        try:
            moment = parse_datetime(value)
        except DateParseError as exc:
            raise ConversionError(value, "datetime", str(exc)) from None
        return datetime_value(moment.ticks, moment.kind)
    raise DateNotModelled(f"[datetime] of a {type_name_of(value)}")


def _datetime_property(wall: datetime.datetime, hint: Any) -> str:
    """types.ps1xml's ``DateTime`` ScriptProperty for the given DisplayHint."""
    name = hint.name if isinstance(hint, PSEnum) else to_string(hint)
    if name.casefold() == "date":
        return long_date(wall)
    if name.casefold() == "time":
        return long_time(wall)
    return f"{long_date(wall)} {long_time(wall)}"


def _culture(provider: Any) -> Culture:
    """The culture an IFormatProvider argument names: $null is the current culture."""
    if provider is None:
        return EN_US
    if isinstance(provider, PSObject) and provider.type_names[:1] == (CULTURE_INFO,):
        name = to_string(provider.properties.get("Name"))
        if name.casefold() == "en-us":
            return EN_US
        if name == "":
            return INVARIANT
    raise HostMethodRefused(
        "DateTime.ToString with a format provider other than the en-US or invariant culture"
    )


def _to_string(moment: Moment, args: tuple[Any, ...]) -> str:
    """``ToString()``, ``ToString(format)``, ``ToString(provider)``, ``ToString(format,
    provider)``: a CultureInfo alone is the provider overload."""
    if len(args) > 2:
        raise HostMethodRefused(f"DateTime.ToString with {len(args)} arguments")
    fmt: str | None = None
    culture = EN_US
    if len(args) == 2:
        fmt, culture = (None if args[0] is None else to_string(args[0])), _culture(args[1])
    elif len(args) == 1 and isinstance(args[0], PSObject):
        culture = _culture(args[0])
    elif len(args) == 1 and args[0] is not None:
        fmt = to_string(args[0])
    return format_datetime(moment, fmt, culture)


def datetime_value(
    ticks: int, kind: str = "Local", hint: Any = None, notes: Sequence[tuple[str, Any]] = ()
) -> PSObject:
    """A ``System.DateTime`` of ``ticks`` (.NET's, 100 ns since 0001-01-01) and ``kind``;
    ``hint`` makes it Get-Date's output, with its DisplayHint NoteProperty first, as
    5.1 lists a note before the type's and the adapted members. ``notes`` are further
    NoteProperties (one a client sent on a DateTime), after DisplayHint."""
    moment = Moment(ticks, kind)
    wall = moment.wall
    weekday = (wall.weekday() + 1) % 7
    items: list[tuple[str, Any]] = [] if hint is None else [("DisplayHint", hint)]
    items += notes
    items += [
        ("DateTime", _datetime_property(wall, hint)),
        ("Day", wall.day),
        ("DayOfWeek", PSEnum(DAY_OF_WEEK, _DAY_NAMES[weekday], weekday)),
        ("DayOfYear", wall.timetuple().tm_yday),
        ("Hour", wall.hour),
        ("Kind", kind),
        ("Millisecond", wall.microsecond // 1000),
        ("Minute", wall.minute),
        ("Month", wall.month),
        ("Second", wall.second),
        ("Ticks", ticks),
        ("Year", wall.year),
    ]
    properties = PSHashtable(items)

    def methods() -> dict[str, Callable[..., Any]]:
        return _methods(moment, wall, this)

    setters: dict[str, Callable[[Any], Any]] = {}
    if hint is not None:

        def set_hint(value: Any) -> Any:
            """A NoteProperty takes any value; the ScriptProperty reads it when asked."""
            properties["DateTime"] = _datetime_property(wall, value)
            return value

        setters["DisplayHint"] = set_hint
    this = PartialObject(
        _TYPE_NAMES,
        properties,
        to_string=invariant_general(wall),
        methods=_LazyMethods(methods),
        setters=setters,
        shown_as="[datetime]",
        unmodelled=_UNMODELLED,
    )
    return this


class _LazyMethods(Mapping[str, Callable[..., Any]]):
    """A DateTime's methods, made the first time one is looked up: most DateTimes the
    lab makes (a file's six times, a process's start) are never called, and making their
    thirty closures was a third of their cost (issue 16)."""

    def __init__(self, make: Callable[[], dict[str, Callable[..., Any]]]) -> None:
        self._make: Callable[[], dict[str, Callable[..., Any]]] | None = make
        self._made: dict[str, Callable[..., Any]] = {}

    def _table(self) -> dict[str, Callable[..., Any]]:
        if self._make is not None:
            self._made, self._make = self._make(), None
        return self._made

    def __getitem__(self, name: str) -> Callable[..., Any]:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


def _methods(
    moment: Moment, wall: datetime.datetime, this: PSObject
) -> dict[str, Callable[..., Any]]:
    """The .NET methods of the DateTime ``this`` (of ``moment``) the lab models."""
    ticks, kind = moment.ticks, moment.kind
    return {
        "ToString": lambda *args: _to_string(moment, args),
        "ToLongDateString": lambda: long_date(wall),
        "ToLongTimeString": lambda: long_time(wall),
        "ToShortDateString": lambda: short_date(wall),
        "ToShortTimeString": lambda: short_time(wall),
        "ToUniversalTime": lambda: datetime_value(ticks, "Utc"),
        "ToLocalTime": lambda: datetime_value(ticks, "Local"),
        **add_methods(moment, datetime_value),
        "get_Date": lambda: datetime_value(ticks - ticks % _TICKS_PER_DAY, kind),
        "get_TimeOfDay": lambda: timespan_value(ticks % _TICKS_PER_DAY),
        "Add": lambda span: add(this, span, datetime_value, "value"),
        "Subtract": lambda other: subtract(this, other, datetime_value, "value"),
        "CompareTo": lambda other: _compare_to(moment, other),
    }


def _compare_to(moment: Moment, other: Any) -> int:
    """``DateTime.CompareTo``: by ticks; $null is smaller than any DateTime."""
    if other is None:
        return 1
    theirs = datetime_moment(other)
    if theirs is None:
        raise HostMethodRefused(
            f"[datetime].CompareTo() of a {type_name_of(other)} (conversion to DateTime)"
        )
    return (moment.ticks > theirs.ticks) - (moment.ticks < theirs.ticks)


def from_wire(ticks: int, kind: str, notes: Sequence[tuple[str, Any]] = ()) -> PSObject:
    """The DateTime PowerShell's deserializer makes of a ``<DT>``, or of an ``<Obj>``
    holding one with notes (:mod:`psrunbook.sim.date_wire`): a live System.DateTime, not
    a ``Deserialized.`` snapshot, so its members and methods all work, with the notes
    that came. A DisplayHint note is Get-Date's again. UNVERIFIED: on Windows that note
    holds the deserialized enum (an Int32 typed
    ``Deserialized.Microsoft.PowerShell.Commands.DisplayHintType``, its ToString the
    name); the lab holds the DisplayHintType value of that number."""
    hint: Any = None
    others: list[tuple[str, Any]] = []
    for key, item in notes:
        if hint is None and key.casefold() == "displayhint":
            try:
                hint = display_hint(item)
            except ConversionError:
                hint = item
        else:
            others.append((key, item))
    return datetime_value(ticks, kind, hint, others)


register_datetime_factory(from_wire)


def clock_member(name: str, now: datetime.datetime) -> PSObject | None:
    """``[datetime]::Now`` (Kind Local), ``::UtcNow`` (Utc) and ``::Today`` (this day's
    midnight, Local) at ``now``, the node's clock, which runs on UTC, without Get-Date's
    DisplayHint (they are DateTime's own static properties); None for any other name."""
    folded = name.casefold()
    if folded not in ("now", "utcnow", "today"):
        return None
    ticks = ticks_of(now)
    if folded == "today":
        ticks -= ticks % (86_400 * 10_000_000)
    return datetime_value(ticks, "Utc" if folded == "utcnow" else "Local")


CONVERTERS["datetime"] = to_datetime


class DateParseFailed(Exception):
    """What ``[datetime]::Parse`` throws in .NET; ``exception`` names the .NET exception."""

    def __init__(self, message: str, exception: str) -> None:
        super().__init__(message)
        self.exception = exception


def parse_static(text: Any) -> PSObject:
    """``[datetime]::Parse(text)``: DateTime.Parse in the current culture, en-US, which
    reads the modelled forms as the invariant culture does (:mod:`.date_parse`); another
    form is refused by name (DateNotModelled), a date that does not exist is .NET's
    FormatException, ``$null`` its ArgumentNullException."""
    if text is None:
        raise DateParseFailed(
            "Value cannot be null.\r\nParameter name: s", "ArgumentNullException"
        )
    try:
        moment = parse_datetime(to_string(text))
    except DateParseError as exc:
        raise DateParseFailed(str(exc), "FormatException") from None
    return datetime_value(moment.ticks, moment.kind)


def try_parse_static(text: Any) -> PSObject | None:
    """``[datetime]::TryParse(text, [ref]$d)``'s DateTime, or None (then ``$d`` is
    ``DateTime.MinValue``); a form the lab does not model is refused by name."""
    if text is None:
        return None
    try:
        return parse_static(text)
    except DateParseFailed:
        return None


def min_value() -> PSObject:
    """``DateTime.MinValue`` (0001-01-01, Kind Unspecified): what a failed TryParse leaves."""
    return datetime_value(0, "Unspecified")
