"""The .NET host types scripts build to talk to ``$Host``: ``System.ConsoleColor``,
``System.Management.Automation.Host.Coordinates`` / ``Size`` / ``Rectangle`` /
``BufferCell`` / ``BufferCellType`` / ``KeyInfo`` / ``FieldDescription`` /
``ChoiceDescription``, ``System.Management.Automation.ProgressRecord``, a
``BufferCell[,]`` and ``$Host.CurrentCulture``'s ``CultureInfo``.

Their properties, ``ToString()`` and constructors are the PowerShell SDK's; how Windows
sends them to a client (output objects with ``<Props>``: ``Coordinates`` ``X``/``Y``,
``Size`` ``Width``/``Height``, ``KeyInfo``, ``CultureInfo`` with its seven properties)
is pypsrp 0.9.1's ``responses/test_psrp_pshost_*.yml``. ``Rectangle.ToString()`` and
``BufferCell.ToString()`` are UNVERIFIED (no recording outputs one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from psrunbook.sim.executor_protocol import HostChar
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.values import CONVERTERS, ConversionError, as_list, to_int, to_string

_HOST = "System.Management.Automation.Host."
_VALUE_TYPE = ("System.ValueType", "System.Object")

CONSOLE_COLOR = "System.ConsoleColor"
CONSOLE_COLORS = (
    "Black", "DarkBlue", "DarkGreen", "DarkCyan", "DarkRed", "DarkMagenta", "DarkYellow",
    "Gray", "DarkGray", "Blue", "Green", "Cyan", "Red", "Magenta", "Yellow", "White",
)  # fmt: skip
"""System.ConsoleColor by value."""

BUFFER_CELL_TYPE = f"{_HOST}BufferCellType"
BUFFER_CELL_TYPES = ("Complete", "Leading", "Trailing")
PROGRESS_RECORD_TYPE = "System.Management.Automation.ProgressRecordType"

COORDINATES = f"{_HOST}Coordinates"
SIZE = f"{_HOST}Size"
RECTANGLE = f"{_HOST}Rectangle"
BUFFER_CELL = f"{_HOST}BufferCell"
KEY_INFO = f"{_HOST}KeyInfo"
FIELD_DESCRIPTION = f"{_HOST}FieldDescription"
CHOICE_DESCRIPTION = f"{_HOST}ChoiceDescription"
PROGRESS_RECORD = "System.Management.Automation.ProgressRecord"
CULTURE_INFO = "System.Globalization.CultureInfo"
CONTROL_KEY_STATES = {
    1: "RightAltPressed", 2: "LeftAltPressed", 4: "RightCtrlPressed", 8: "LeftCtrlPressed",
    16: "ShiftPressed", 32: "NumLockOn", 64: "ScrollLockOn", 128: "CapsLockOn",
    256: "EnhancedKey",
}  # fmt: skip
"""System.Management.Automation.Host.ControlKeyStates flags."""


def _enum_of(type_name: str, names: tuple[str, ...]) -> Callable[[Any], PSEnum]:
    def convert(value: Any) -> PSEnum:
        if isinstance(value, PSEnum) and value.type_name == type_name:
            return value
        if isinstance(value, int | PSEnum):
            number = to_int(value.value if isinstance(value, PSEnum) else value)
            if 0 <= number < len(names):
                return PSEnum(type_name, names[number], number)
        else:
            text = to_string(value).strip()
            for number, name in enumerate(names):
                if name.casefold() == text.casefold():
                    return PSEnum(type_name, name, number)
        raise ConversionError(
            value, type_name, f'Unable to match the identifier name {to_string(value)} to a '
            "valid enumerator name. Specify one of the following enumerator names and try "
            f"again:\n{', '.join(names)}"
        )  # fmt: skip

    return convert


console_color = _enum_of(CONSOLE_COLOR, CONSOLE_COLORS)
buffer_cell_type = _enum_of(BUFFER_CELL_TYPE, BUFFER_CELL_TYPES)


def _value_object(type_name: str, props: list[tuple[str, Any]], text: str) -> PSObject:
    return PSObject((type_name, *_VALUE_TYPE), PSHashtable(props), to_string=text)


def coordinates(x: Any, y: Any) -> PSObject:
    """``Coordinates``: ``ToString()`` is ``x,y`` (the recording's ``1,2``)."""
    x, y = to_int(x), to_int(y)
    return _value_object(COORDINATES, [("X", x), ("Y", y)], f"{x},{y}")


def size(width: Any, height: Any) -> PSObject:
    """``Size``: ``ToString()`` is ``width,height`` (the recording's ``8,9``)."""
    width, height = to_int(width), to_int(height)
    return _value_object(SIZE, [("Width", width), ("Height", height)], f"{width},{height}")


def rectangle(left: Any, top: Any, right: Any, bottom: Any) -> PSObject:
    values = [to_int(v) for v in (left, top, right, bottom)]
    props = list(zip(("Left", "Top", "Right", "Bottom"), values, strict=True))
    return _value_object(RECTANGLE, props, "{},{} ; {},{}".format(*values))


def buffer_cell(character: Any, foreground: Any, background: Any, kind: Any) -> PSObject:
    char = to_string(character)[:1] or " "
    fg, bg, cell = console_color(foreground), console_color(background), buffer_cell_type(kind)
    props = [
        ("Character", char), ("ForegroundColor", fg), ("BackgroundColor", bg),
        ("BufferCellType", cell),
    ]  # fmt: skip
    return _value_object(BUFFER_CELL, props, f"'{char}' {fg} {bg} {cell}")


def key_info(code: int, character: str, state: int, key_down: bool) -> PSObject:
    """``KeyInfo`` as ReadKey returns it; ``ToString()`` ``65,a,CapsLockOn,True`` and
    ControlKeyState sent as its name (the recording)."""
    names = [name for bit, name in CONTROL_KEY_STATES.items() if state & bit]
    state_text = ", ".join(names) if names else "0"
    props = [
        ("VirtualKeyCode", code), ("Character", HostChar(ord(character[:1] or "\0"))),
        ("ControlKeyState", state_text),
        ("KeyDown", key_down),
    ]  # fmt: skip
    return _value_object(KEY_INFO, props, f"{code},{character},{state_text},{key_down}")


def progress_record(activity_id: Any, activity: Any, status: Any) -> PSObject:
    props = [
        ("ActivityId", to_int(activity_id)), ("ParentActivityId", -1),
        ("Activity", to_string(activity)), ("StatusDescription", to_string(status)),
        ("CurrentOperation", None), ("PercentComplete", -1), ("SecondsRemaining", -1),
        ("RecordType", PSEnum(PROGRESS_RECORD_TYPE, "Processing", 0)),
    ]  # fmt: skip
    text = f"parent = -1 id = {to_int(activity_id)} act = {to_string(activity)} stat = " \
        f"{to_string(status)} cur =  pct = -1 sec = -1 type = Processing"  # fmt: skip
    return PSObject((PROGRESS_RECORD, "System.Object"), PSHashtable(props), to_string=text)


def field_description(name: Any) -> PSObject:
    """``FieldDescription(name)``: a mandatory String field with no label, as the
    recording's Prompt parameter shows it."""
    props = [
        ("Name", to_string(name)), ("Label", ""), ("ParameterTypeName", "String"),
        ("ParameterTypeFullName", "System.String"),
        ("ParameterAssemblyFullName",
         "System.String, mscorlib, Version=4.0.0.0, Culture=neutral, "
         "PublicKeyToken=b77a5c561934e089"),
        ("HelpMessage", ""), ("IsMandatory", True), ("DefaultValue", None), ("Attributes", []),
    ]  # fmt: skip
    return PSObject(
        (FIELD_DESCRIPTION, "System.Object"), PSHashtable(props), to_string=FIELD_DESCRIPTION
    )


def choice_description(label: Any, help_message: Any = "") -> PSObject:
    props = [("Label", to_string(label)), ("HelpMessage", to_string(help_message))]
    return PSObject(
        (CHOICE_DESCRIPTION, "System.Object"), PSHashtable(props), to_string=CHOICE_DESCRIPTION
    )


def culture_info() -> PSObject:
    """``$Host.CurrentCulture``: the thread's culture, en-US on the lab's nodes (WinRM sets
    it from the client's locale, UNVERIFIED for other locales); the properties Windows
    sends (pypsrp 0.9.1's ``test_psrp_pshost_methods.yml``)."""
    props = [
        ("LCID", 1033), ("Name", "en-US"), ("DisplayName", "English (United States)"),
        ("IetfLanguageTag", "en-US"), ("ThreeLetterISOLanguageName", "eng"),
        ("ThreeLetterWindowsLanguageName", "ENU"), ("TwoLetterISOLanguageName", "en"),
    ]  # fmt: skip
    return PSObject((CULTURE_INFO, "System.Object"), PSHashtable(props), to_string="en-US")


class MultiDimensionalArray(PSObject, kw_only=True):
    """A rectangular .NET array (``New-Object 'BufferCell[,]' -ArgumentList 2,2``),
    indexed ``$a[0,1]``; cells start ``$null`` (a value type's default, UNVERIFIED for
    BufferCell, whose default is a cell of ``\\0``). Made by :func:`multi_dimensional`."""

    lengths: tuple[int, ...] = ()
    cells: list[Any] = msgspec.field(default_factory=list)

    def _offset(self, index: Any) -> int:
        positions = [to_int(i) for i in as_list(index)]
        if len(positions) != len(self.lengths) or not all(
            0 <= p < n for p, n in zip(positions, self.lengths, strict=True)
        ):
            raise IndexError("Index was outside the bounds of the array.")
        offset = 0
        for position, length in zip(positions, self.lengths, strict=True):
            offset = offset * length + position
        return offset

    def get_at(self, index: Any) -> Any:
        return self.cells[self._offset(index)]

    def set_at(self, index: Any, value: Any) -> None:
        self.cells[self._offset(index)] = value


def multi_dimensional(element_type: str, lengths: tuple[int, ...]) -> MultiDimensionalArray:
    """A new ``element_type[,]`` of ``lengths``, every cell ``$null``."""
    rank = "," * (len(lengths) - 1)
    return MultiDimensionalArray(
        (f"{element_type}[{rank}]", "System.Array", "System.Object"),
        PSHashtable([("Rank", len(lengths)), ("Length", _product(lengths))]),
        to_string=f"{element_type}[{rank}]",
        lengths=lengths,
        cells=[None] * _product(lengths),
    )


def _product(lengths: tuple[int, ...]) -> int:
    total = 1
    for length in lengths:
        total *= length
    return total


_CONSTRUCTORS: dict[str, tuple[tuple[int, ...], Callable[..., PSObject]]] = {
    COORDINATES: ((2,), coordinates),
    SIZE: ((2,), size),
    RECTANGLE: ((4,), rectangle),
    BUFFER_CELL: ((4,), buffer_cell),
    PROGRESS_RECORD: ((3,), progress_record),
    FIELD_DESCRIPTION: ((1,), field_description),
    CHOICE_DESCRIPTION: ((1, 2), choice_description),
}
"""The constructors modelled, by full type name: the argument counts they take."""


def _full_name(type_name: str) -> str:
    """A type name as written (``System.`` optional, any case) to its full name."""
    folded = type_name.strip().casefold().removeprefix("[").removesuffix("]")
    for full in (*_CONSTRUCTORS, BUFFER_CELL, CONSOLE_COLOR, BUFFER_CELL_TYPE):
        if folded in (full.casefold(), full.casefold().removeprefix("system.")):
            return full
    return type_name


def construct(type_name: str, arguments: list[Any]) -> PSObject | None:
    """``New-Object`` of a host type, or None when it is not one of them."""
    text = type_name.strip()
    if text.endswith("[,]"):
        element = _full_name(text[:-3])
        if element == BUFFER_CELL and len(arguments) == 2:
            return multi_dimensional(element, (to_int(arguments[0]), to_int(arguments[1])))
        return None
    entry = _CONSTRUCTORS.get(_full_name(text))
    if entry is None or len(arguments) not in entry[0]:
        return None
    return entry[1](*arguments)


_ENUM_STATICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "consolecolor": (CONSOLE_COLOR, CONSOLE_COLORS),
    "management.automation.host.buffercelltype": (BUFFER_CELL_TYPE, BUFFER_CELL_TYPES),
}


def invariant_culture() -> PSObject:
    """``[cultureinfo]::InvariantCulture``: the culture of no language, as .NET Framework
    names it (LCID 127, Name "", "Invariant Language (Invariant Country)"); a DateTime's
    ``ToString(format, provider)`` formats with its patterns (date_format.INVARIANT)."""
    props = [
        ("LCID", 127), ("Name", ""), ("DisplayName", "Invariant Language (Invariant Country)"),
        ("IetfLanguageTag", ""), ("ThreeLetterISOLanguageName", "ivl"),
        ("ThreeLetterWindowsLanguageName", "IVL"), ("TwoLetterISOLanguageName", "iv"),
    ]  # fmt: skip
    return PSObject((CULTURE_INFO, "System.Object"), PSHashtable(props), to_string="")


_CULTURE_STATICS = {
    "invariantculture": invariant_culture,
    "currentculture": culture_info,
    "currentuiculture": culture_info,
}
"""``[cultureinfo]::Name``: the invariant culture, and the thread's (en-US on the nodes)."""


def static_member(short_type: str, name: str) -> PSEnum | PSObject | None:
    """``[System.ConsoleColor]::Blue``, ``[...Host.BufferCellType]::Leading`` and
    ``[cultureinfo]::InvariantCulture`` (CurrentCulture, CurrentUICulture)."""
    if short_type in ("cultureinfo", "globalization.cultureinfo"):
        culture = _CULTURE_STATICS.get(name.casefold())
        return None if culture is None else culture()
    entry = _ENUM_STATICS.get(short_type)
    if entry is None:
        return None
    for number, label in enumerate(entry[1]):
        if label.casefold() == name.casefold():
            return PSEnum(entry[0], label, number)
    return None


CONVERTERS["consolecolor"] = console_color
CONVERTERS["management.automation.host.buffercelltype"] = buffer_cell_type
