"""Parameter binding against a :class:`CmdletSpec`, as PowerShell's binder does it.

Named arguments match a parameter name or alias case-insensitively, or an unambiguous
prefix of one; the remaining arguments bind by position; pipeline input binds per object
by value, then by property name. Failures raise :class:`BindingFailed` carrying an
error record shaped like ParameterBindingException (category InvalidArgument).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from psrunbook.sim.objects import ErrorRecordData, PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.records import binding_error, validation_error
from psrunbook.sim.ps.validation import (
    NULL_OR_EMPTY_MESSAGES,
    ValidationFailed,
    null_or_empty_error,
)
from psrunbook.sim.ps.values import (
    TYPE_FULL_NAMES,
    ConversionError,
    convert,
    is_collection,
    to_string,
    type_name_of,
)

COMMON_PARAMETERS = (
    ParamSpec("ErrorAction", "string", aliases=("ea",)),
    ParamSpec("WarningAction", "string", aliases=("wa",)),
    ParamSpec("InformationAction", "string", aliases=("infa",)),
    ParamSpec("Verbose", "switch", aliases=("vb",)),
    ParamSpec("Debug", "switch", aliases=("db",)),
    ParamSpec("ErrorVariable", "string", aliases=("ev",)),
    ParamSpec("OutVariable", "string", aliases=("ov",)),
)
COMMON_NAMES = {p.name.casefold() for p in COMMON_PARAMETERS}
ACTION_PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore")
_ALL_SETS = "(All)"


class _ParameterTable:
    """What binding reads from a command's parameters, worked out once per parameter list.

    Every command call made a binder that folded each name and alias, sorted the
    positional parameters and gathered the parameter sets again (issue 16: a tenth of
    a pipeline's evaluation). The parameters of a command never change, so the table is
    kept (:func:`_table_for`); the binder reads it exactly as it read the parameters.
    """

    __slots__ = (
        "by_name",
        "folded",
        "mandatory",
        "named_sets",
        "positional",
        "restricting",
        "specs",
    )

    def __init__(self, specs: tuple[ParamSpec, ...]) -> None:
        self.specs = specs
        self.folded = tuple(
            (spec, tuple(n.casefold() for n in (spec.name, *spec.aliases))) for spec in specs
        )
        """Each parameter with its name and aliases folded, in order (for prefixes)."""
        self.by_name: dict[str, ParamSpec] = {}
        """Folded name or alias -> the first parameter, in order, that has it."""
        for spec, names in self.folded:
            for name in names:
                self.by_name.setdefault(name, spec)
        self.positional = tuple(
            sorted((p for p in specs if p.position is not None), key=lambda p: p.position or 0)
        )
        """Positional parameters by position (a stable sort: ties keep their order)."""
        self.named_sets = frozenset(s for p in specs for s in p.parameter_sets if s != _ALL_SETS)
        self.restricting = tuple(
            (p.name, frozenset(p.parameter_sets))
            for p in specs
            if _ALL_SETS not in p.parameter_sets
        )
        """Parameters in named sets only: binding one narrows the candidate sets."""
        self.mandatory = tuple((p.name, frozenset(p.parameter_sets)) for p in specs if p.mandatory)


_TABLES: dict[tuple[int, ...], tuple[tuple[ParamSpec, ...], _ParameterTable]] = {}
"""Tables by the identities of their parameters; each entry holds its parameters, so no
id in a key can be reused while the entry exists."""
_TUPLE_TABLES: dict[tuple[int, int], tuple[tuple[ParamSpec, ...], _ParameterTable]] = {}
"""Tables by the identity of a command's parameter tuple (a cmdlet's or builtin's spec),
the same way: one lookup instead of a key of every parameter's id."""
_MAX_TABLES = 1024
"""Entries kept before the cache starts again (scripts whose parameter attributes are
not constants declare new parameter objects at each run)."""


def _table_for(parameters: Sequence[ParamSpec], common: bool) -> _ParameterTable:
    """The table of ``parameters`` (and the common ones with ``common``), kept by identity.

    A command's specs are one tuple for its lifetime; a script's are the same objects
    at each run when its ``param()`` block is read once. Other lists get a table of
    their own.
    """
    if type(parameters) is tuple:
        same = _TUPLE_TABLES.get((int(common), id(parameters)))
        if same is not None:
            return same[1]
    key = (int(common), *map(id, parameters))
    found = _TABLES.get(key)
    if found is None:
        specs = tuple(parameters)
        found = (specs, _ParameterTable(specs + (COMMON_PARAMETERS if common else ())))
        if len(_TABLES) >= _MAX_TABLES:
            _TABLES.clear()
        _TABLES[key] = found
    if type(parameters) is tuple:
        if len(_TUPLE_TABLES) >= _MAX_TABLES:
            _TUPLE_TABLES.clear()
        _TUPLE_TABLES[(int(common), id(parameters))] = (parameters, found[1])
    return found[1]


class BindingFailed(Exception):
    """A binding error; statement-terminating like ParameterBindingException."""

    def __init__(self, record: ErrorRecordData) -> None:
        super().__init__(record.message)
        self.record = record


class Argument(msgspec.Struct, frozen=True):
    """One argument as written: ``-Name`` (``name``), its value, or a positional value.

    ``has_value`` is False for a bare ``-Switch``; ``colon`` marks ``-Name:value``.
    """

    name: str | None
    value: Any = None
    has_value: bool = True
    colon: bool = False


def _full_type(type_name: str) -> str:
    return TYPE_FULL_NAMES.get(type_name.lower(), type_name)


class Binder:
    """Binds arguments for one command; ``command_type`` goes into error ids."""

    def __init__(
        self,
        parameters: Sequence[ParamSpec],
        command_type: str | None,
        *,
        script: bool = False,
        common: bool = True,
        remaining: str | None = None,
        overflow: list[Any] | None = None,
        default_set: str | None = None,
    ) -> None:
        self._table = _table_for(parameters, common)
        self.parameters = self._table.specs
        self.command_type = command_type
        self.script = script
        self.remaining = remaining
        self.overflow = overflow
        self.default_set = default_set
        """:attr:`CmdletSpec.default_set`: chosen when several sets remain."""

    def _error(self, message: str, error_id: str, target: Any = None) -> BindingFailed:
        return BindingFailed(binding_error(message, error_id, self.command_type, target))

    def find(self, name: str) -> ParamSpec:
        """Resolve a parameter name: exact name or alias, then a unique prefix."""
        folded = name.casefold()
        exact = self._table.by_name.get(folded)
        if exact is not None:
            return exact
        matches = [
            spec for spec, names in self._table.folded if any(n.startswith(folded) for n in names)
        ]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise self._error(
                f"A parameter cannot be found that matches parameter name '{name}'.",
                "NamedParameterNotFound",
                name,
            )
        options = " ".join("-" + m.name for m in matches)
        raise self._error(
            f"Parameter cannot be processed because the parameter name '{name}' is "
            f"ambiguous. Possible matches include: {options}.",
            "AmbiguousParameter",
            name,
        )

    def convert(self, spec: ParamSpec, value: Any) -> Any:
        """Convert one argument to the parameter's type, with PowerShell's errors."""
        kind = spec.type.lower()
        if kind in ("bool", "switch"):
            if isinstance(value, bool) or value is None:
                return bool(value)
            if isinstance(value, int | float):
                return value != 0
            raise self._error(
                f"Cannot process argument transformation on parameter '{spec.name}'. "
                f'Cannot convert value "{type_name_of(value)}" to type "System.Boolean". '
                "Boolean parameters accept only Boolean values and numbers, such as $True, "
                "$False, 1 or 0.",
                "ParameterArgumentTransformationError",
                value,
            )
        try:
            converted = convert(value, spec.type)
        except ConversionError as exc:
            if self.script:
                raise self._error(
                    f"Cannot process argument transformation on parameter '{spec.name}'. {exc}",
                    "ParameterArgumentTransformationError",
                    value,
                ) from exc
            raise self._error(
                f"Cannot bind parameter '{spec.name}'. {exc}",
                "CannotConvertArgumentNoMessage",
                value,
            ) from exc
        # A cmdlet's binder leaves $null as it is (HandleNullParameterForSpecialTypes);
        # a script's type constraint makes [string]$null an empty string first.
        self.validate(spec, None if value is None and not self.script else converted)
        return converted

    def validate(self, spec: ParamSpec, value: Any) -> None:
        """The validation attributes, then a mandatory parameter's null/empty check
        (in 5.1's order; see :mod:`psrunbook.sim.ps.validation`)."""
        for check in spec.validators:
            try:
                check(value)
            except ValidationFailed as failed:
                raise BindingFailed(
                    validation_error(
                        f"Cannot validate argument on parameter '{spec.name}'. {failed}",
                        "ParameterArgumentValidationError",
                        self.command_type,
                    )
                ) from None
        if not spec.mandatory:
            return
        allows = (spec.allow_null, spec.allow_empty_string, spec.allow_empty_collection)
        error_id = null_or_empty_error(spec.type, value, allows)
        if error_id is not None:
            raise BindingFailed(
                validation_error(
                    f"Cannot bind argument to parameter '{spec.name}' "
                    + NULL_OR_EMPTY_MESSAGES[error_id],
                    error_id,
                    self.command_type,
                )
            )

    def bind(self, arguments: Sequence[Argument]) -> PSHashtable:
        """Bind named and positional arguments (not pipeline input)."""
        bound = PSHashtable()
        positional: list[Any] = []
        index = 0
        while index < len(arguments):
            arg = arguments[index]
            index += 1
            if arg.name is None:
                positional.append(arg.value)
                continue
            try:
                spec = self.find(arg.name)
            except BindingFailed as failed:
                # An ambiguous prefix is an error even for a simple function, whose
                # unknown parameters go to $args (GetMatchingParameter throws it always).
                if self.overflow is None or failed.record.error_id != "NamedParameterNotFound":
                    raise
                self.overflow.append("-" + arg.name)
                if arg.has_value:
                    self.overflow.append(arg.value)
                continue
            if (
                not arg.has_value
                and spec.type.lower() != "switch"
                and index < len(arguments)
                and arguments[index].name is None
            ):
                arg = Argument(arg.name, arguments[index].value)
                index += 1
            if spec.name in bound:
                raise self._error(
                    f"Cannot bind parameter because parameter '{spec.name}' is specified "
                    "more than once. To provide multiple values to parameters that can "
                    'accept multiple values, use the array syntax. For example, "-parameter '
                    'value1,value2,value3".',
                    "ParameterAlreadyBound",
                )
            if spec.type.lower() == "switch":
                bound[spec.name] = self.convert(spec, arg.value) if arg.has_value else True
                continue
            if not arg.has_value and arg.colon:
                arg = Argument(arg.name, None)
            if not arg.has_value:
                raise self._error(
                    f"Missing an argument for parameter '{spec.name}'. Specify a parameter "
                    f"of type '{_full_type(spec.type)}' and try again.",
                    "MissingArgument",
                )
            bound[spec.name] = self.convert(spec, arg.value)
        open_positions = (
            [p for p in self._table.positional if p.name not in bound] if positional else []
        )
        for value in positional:
            if not open_positions and self.remaining is not None:
                spec = self.find(self.remaining)
                current = bound.get(spec.name)
                bound[spec.name] = [*(current if isinstance(current, list) else [current]), value]
                continue
            if not open_positions and self.overflow is not None:
                self.overflow.append(value)
                continue
            if not open_positions:
                raise self._error(
                    "A positional parameter cannot be found that accepts argument "
                    f"'{to_string(value)}'.",
                    "PositionalParameterNotFound",
                    value,
                )
            spec = open_positions.pop(0)
            bound[spec.name] = self.convert(spec, value)
        return bound

    def bind_input(self, bound: PSHashtable, item: Any) -> PSHashtable | None:
        """Bind one pipeline object; None when no parameter accepts it."""
        result = PSHashtable(bound.items())
        free = [p for p in self.parameters if p.name not in bound]
        for spec in free:
            if spec.from_pipeline and _accepts_without_conversion(spec.type, item):
                result[spec.name] = self.convert(spec, item)
                return result
        if isinstance(item, PSObject):
            matched = False
            for spec in free:
                if not spec.from_pipeline_by_property_name:
                    continue
                for name in (spec.name, *spec.aliases):
                    if name in item.properties:
                        result[spec.name] = self.convert(spec, item.properties[name])
                        matched = True
                        break
            if matched:
                return result
        for spec in free:
            if spec.from_pipeline:
                try:
                    result[spec.name] = self.convert(spec, item)
                except BindingFailed:
                    continue
                return result
        return None

    def input_not_bound(self, item: Any) -> ErrorRecordData:
        return binding_error(
            "The input object cannot be bound to any parameters for the command either "
            "because the command does not take pipeline input or the input and its "
            "properties do not match any of the parameters that take pipeline input.",
            "InputObjectNotBound",
            self.command_type,
            item,
        )

    def check_mandatory(self, bound: PSHashtable) -> None:
        """Refuse a call that misses a mandatory parameter of the chosen parameter set."""
        table = self._table
        named_sets = table.named_sets
        candidates = set(named_sets)
        for name, sets in table.restricting:
            if name in bound:
                candidates &= sets
        if len(candidates) > 1 and self.default_set in candidates:
            candidates = {self.default_set}
        missing = [
            name
            for name, sets in table.mandatory
            if name not in bound
            and (_ALL_SETS in sets or not named_sets or (candidates and candidates <= sets))
        ]
        if missing:
            raise self._error(
                "Cannot process command because of one or more missing mandatory "
                f"parameters: {' '.join(missing)}.",
                "MissingMandatoryParameter",
            )


def _accepts_without_conversion(type_name: str, item: Any) -> bool:
    kind = type_name.lower()
    if kind in ("object", "psobject", "object[]", "psobject[]"):
        return True
    if kind == "string":
        return isinstance(item, str)
    if kind == "string[]":
        return isinstance(item, str) or (
            is_collection(item) and all(isinstance(v, str) for v in item)
        )
    if kind in ("int", "uint32"):
        return isinstance(item, int) and not isinstance(item, bool)
    if kind == "hashtable":
        return isinstance(item, PSHashtable)
    return False


def split_common(bound: PSHashtable) -> tuple[PSHashtable, PSHashtable]:
    """Separate common parameters from the command's own.

    Most calls give none: then the command's own table is a copy of ``bound`` (the same
    keys, spellings and order as setting them one by one, in one step).
    """
    if COMMON_NAMES.isdisjoint(bound.folded_keys()):
        return PSHashtable(bound.items()), PSHashtable()
    own = PSHashtable()
    common = PSHashtable()
    for key, value in bound.items():
        (common if key.casefold() in COMMON_NAMES else own)[key] = value
    return own, common
