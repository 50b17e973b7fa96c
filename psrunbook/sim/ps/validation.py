"""Parameter validation attributes and the mandatory null/empty check, as 5.1 binds.

Windows PowerShell 5.1's ``ParameterBinderBase.BindParameter`` converts an argument,
runs the parameter's validation attributes on it (not on a default value), and then,
for a mandatory parameter, refuses ``$null``, an empty string and an empty array
unless ``[AllowNull()]``/``[AllowEmptyString()]``/``[AllowEmptyCollection()]`` says
otherwise (``ValidateNullOrEmptyArgument``). A failed attribute is
"Cannot validate argument on parameter 'X'. <reason>" (ParameterArgumentValidationError);
the reasons are the texts of PowerShell's ``Metadata.resx``. Every failure is a
ParameterBindingValidationException, category InvalidData.

ValidateSet, ValidateRange, ValidateLength, ValidatePattern and ValidateScript check
each element of a collection (``ValidateEnumeratedArgumentsAttribute``) and refuse
``$null`` itself; ValidateCount, ValidateNotNull and ValidateNotNullOrEmpty look at
the whole argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps.values import (
    ConversionError,
    convert,
    dotnet_regex,
    is_collection,
    ps_compare,
    to_string,
    type_name_of,
)

NOT_NULL = (
    "The argument is null. Provide a valid value for the argument, and then try running "
    "the command again."
)
"""Metadata.resx ValidateNotNullFailure (PS-src; UNVERIFIED that 5.1 words it the same)."""
NOT_NULL_COLLECTION = (
    "The argument has a null value, or an element of the argument collection contains a "
    "null value. Provide a collection that does not contain any null values, and then try "
    "the command again."
)
NOT_NULL_OR_EMPTY = (
    "The argument is null or empty. Provide an argument that is not null or empty, and then "
    "try the command again."
)
NOT_NULL_OR_EMPTY_COLLECTION = (
    "The argument is null, empty, or an element of the argument collection contains a null "
    "value. Supply a collection that does not contain any null values and then try the "
    "command again."
)


class ValidationFailed(Exception):
    """A validation attribute refused the argument; the message is the reason."""


def _elements(value: Any) -> list[Any]:
    """What an enumerated validator checks: each element, never ``$null``."""
    if value is None:
        raise ValidationFailed(NOT_NULL)
    if is_collection(value):
        return list(value)
    return [value]


class ValidateSet(msgspec.Struct, frozen=True):
    """``[ValidateSet('a', 'b')]``: each element equal to one, ignoring case."""

    values: tuple[Any, ...]

    def __call__(self, value: Any) -> None:
        allowed = [to_string(o).casefold() for o in self.values]
        for item in _elements(value):
            text = to_string(item)
            if text.casefold() not in allowed:
                shown = ",".join(to_string(o) for o in self.values)
                raise ValidationFailed(
                    f'The argument "{text}" does not belong to the set "{shown}" specified by '
                    "the ValidateSet attribute. Supply an argument that is in the set and then "
                    "try the command again."
                )


class ValidateRange(msgspec.Struct, frozen=True):
    """``[ValidateRange(min, max)]``: each element converted to the bounds' type."""

    minimum: Any
    maximum: Any

    def __call__(self, value: Any) -> None:
        bound_type = type_name_of(self.minimum).removeprefix("System.")
        for item in _elements(value):
            try:
                number = convert(item, _convert_name(bound_type))
            except ConversionError:
                raise ValidationFailed(
                    f'The argument cannot be validated because its type "{type_name_of(item)}" '
                    f"is not the same type ({bound_type}) as the maximum and minimum limits of "
                    f"the parameter. Make sure the argument is of type {bound_type} and then "
                    "try the command again."
                ) from None
            shown = to_string(item)
            if ps_compare(number, self.minimum) < 0:
                raise ValidationFailed(
                    f"The {shown} argument is less than the minimum allowed range of "
                    f"{to_string(self.minimum)}. Supply an argument that is greater than or "
                    f"equal to {to_string(self.minimum)} and then try the command again."
                )
            if ps_compare(number, self.maximum) > 0:
                raise ValidationFailed(
                    f"The {shown} argument is greater than the maximum allowed range of "
                    f"{to_string(self.maximum)}. Supply an argument that is less than or equal "
                    f"to {to_string(self.maximum)} and then try the command again."
                )


def _convert_name(type_name: str) -> str:
    return {"Int32": "int", "Int64": "long", "Double": "double"}.get(type_name, "object")


class ValidateLength(msgspec.Struct, frozen=True):
    """``[ValidateLength(min, max)]``: each element's length as a string."""

    minimum: int
    maximum: int

    def __call__(self, value: Any) -> None:
        for item in _elements(value):
            length = len(to_string(item))
            if length < self.minimum:
                raise ValidationFailed(
                    f"The character length ({length}) of the argument is too short. Specify an "
                    f'argument with a length that is greater than or equal to "{self.minimum}", '
                    "and then try the command again."
                )
            if length > self.maximum:
                raise ValidationFailed(
                    f"The character length of the {length} argument is too long. Shorten the "
                    "character length of the argument so it is fewer than or equal to "
                    f'"{self.maximum}" characters, and then try the command again.'
                )


class ValidatePattern(msgspec.Struct, frozen=True):
    """``[ValidatePattern('re')]``: each element matches the .NET regex, ignoring case."""

    pattern: str

    def __call__(self, value: Any) -> None:
        regex = dotnet_regex(self.pattern)
        for item in _elements(value):
            text = to_string(item)
            if regex.search(text) is None:
                raise ValidationFailed(
                    f'The argument "{text}" does not match the "{self.pattern}" pattern. Supply '
                    f'an argument that matches "{self.pattern}" and try the command again.'
                )


class ValidateCount(msgspec.Struct, frozen=True):
    """``[ValidateCount(min, max)]``: the number of values of an array parameter."""

    minimum: int
    maximum: int

    def __call__(self, value: Any) -> None:
        count = len(value) if is_collection(value) else (0 if value is None else 1)
        if not self.minimum <= count <= self.maximum:
            # UNVERIFIED: PowerShell 7 says "requires exactly N" when min equals max;
            # the 5.1-era text is the min/max one.
            raise ValidationFailed(
                f"The parameter requires at least {self.minimum} value(s) and no more than "
                f"{self.maximum} value(s) - {count} value(s) were provided."
            )


class ValidateNotNull(msgspec.Struct, frozen=True):
    """``[ValidateNotNull()]``: not ``$null``, nor an element of a collection."""

    def __call__(self, value: Any) -> None:
        if value is None:
            raise ValidationFailed(NOT_NULL)
        if is_collection(value) and any(v is None for v in value):
            raise ValidationFailed(NOT_NULL_COLLECTION)


class ValidateNotNullOrEmpty(msgspec.Struct, frozen=True):
    """``[ValidateNotNullOrEmpty()]``: not ``$null``, ``''``, ``@()`` nor an empty
    hashtable; no element ``$null`` or ``''``."""

    def __call__(self, value: Any) -> None:
        if value is None or value == "":
            raise ValidationFailed(NOT_NULL_OR_EMPTY)
        if isinstance(value, PSHashtable) and not value:
            raise ValidationFailed(NOT_NULL_OR_EMPTY_COLLECTION)
        if is_collection(value):
            if not value or any(v is None for v in value):
                raise ValidationFailed(NOT_NULL_OR_EMPTY_COLLECTION)
            if any(v == "" for v in value):
                raise ValidationFailed(NOT_NULL_OR_EMPTY)


class ValidateScript(msgspec.Struct, frozen=True):
    """``[ValidateScript({ ... })]``: the block, run with ``$_`` the element, returns a
    true value. ``run`` gives the block's result, or raises :class:`ValidationFailed`
    with the message of an error the block threw (which becomes the reason)."""

    text: str
    run: Callable[[Any], bool]

    def __call__(self, value: Any) -> None:
        for item in _elements(value):
            if not self.run(item):
                raise ValidationFailed(
                    f'The "{self.text}" validation script for the argument with value '
                    f'"{to_string(item)}" did not return a result of True. Determine why the '
                    "validation script failed, and then try the command again."
                )


def null_or_empty_error(type_name: str, value: Any, spec_allows: Sequence[bool]) -> str | None:
    """The error id ``ValidateNullOrEmptyArgument`` raises for a mandatory parameter, if any.

    ``spec_allows`` is (AllowNull, AllowEmptyString, AllowEmptyCollection). A string
    parameter refuses ``''``; an array parameter an empty array and, element by element,
    ``$null`` and ``''`` of a string array.
    """
    allow_null, allow_empty_string, allow_empty_collection = spec_allows
    kind = type_name.lower()
    if value is None:
        return None if allow_null else "ParameterArgumentValidationErrorNullNotAllowed"
    if kind == "string":
        if value == "" and not allow_empty_string:
            return "ParameterArgumentValidationErrorEmptyStringNotAllowed"
        return None
    collection = kind.endswith("[]") or kind == "collections.specialized.stringcollection"
    if not collection or not is_collection(value):
        return None
    element_kind = kind[:-2] if kind.endswith("[]") else "string"
    for item in value:
        if item is None and not allow_null:
            return "ParameterArgumentValidationErrorNullNotAllowed"
        if element_kind == "string" and item == "" and not allow_empty_string:
            return "ParameterArgumentValidationErrorEmptyStringNotAllowed"
    if not value and not allow_empty_collection:
        if kind.endswith("[]"):
            return "ParameterArgumentValidationErrorEmptyArrayNotAllowed"
        return "ParameterArgumentValidationErrorEmptyCollectionNotAllowed"
    return None


NULL_OR_EMPTY_MESSAGES = {
    "ParameterArgumentValidationErrorNullNotAllowed": "because it is null.",
    "ParameterArgumentValidationErrorEmptyStringNotAllowed": "because it is an empty string.",
    "ParameterArgumentValidationErrorEmptyArrayNotAllowed": "because it is an empty array.",
    "ParameterArgumentValidationErrorEmptyCollectionNotAllowed": (
        "because it is an empty collection."
    ),
}
"""ParameterBinderStrings.resx: "Cannot bind argument to parameter '{1}' <this>"."""


ALLOW_ATTRIBUTES = ("allownull", "allowemptystring", "allowemptycollection")


def attribute_validator(
    name: str, arguments: Sequence[Any], run_script: Callable[[Any, Any], bool]
) -> Callable[[Any], None] | None:
    """The validator of a ``[Validate...()]`` attribute of a ``param()`` block (name
    folded, positional arguments evaluated), or None for an attribute that is not one.

    ``run_script(block, element)`` runs a ValidateScript block. Arguments of the wrong
    number raise ``ValueError`` (PowerShell refuses such a script when it compiles it).
    """
    if name == "validateset":
        return ValidateSet(tuple(arguments))
    if name == "validatenotnull":
        _arity(name, arguments, 0)
        return ValidateNotNull()
    if name == "validatenotnullorempty":
        _arity(name, arguments, 0)
        return ValidateNotNullOrEmpty()
    if name == "validaterange":
        _arity(name, arguments, 2)
        return ValidateRange(arguments[0], arguments[1])
    if name == "validatelength":
        _arity(name, arguments, 2)
        return ValidateLength(int(arguments[0]), int(arguments[1]))
    if name == "validatecount":
        _arity(name, arguments, 2)
        return ValidateCount(int(arguments[0]), int(arguments[1]))
    if name == "validatepattern":
        _arity(name, arguments, 1)
        return ValidatePattern(to_string(arguments[0]))
    if name == "validatescript":
        _arity(name, arguments, 1)
        block = arguments[0]
        return ValidateScript(
            getattr(block, "text", to_string(block)), lambda v: run_script(block, v)
        )
    return None


def _arity(name: str, arguments: Sequence[Any], count: int) -> None:
    if len(arguments) != count:
        raise ValueError(f"[{name}] takes {count} argument(s), not {len(arguments)}")
