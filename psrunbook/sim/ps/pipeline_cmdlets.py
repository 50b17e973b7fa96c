"""ForEach-Object, Where-Object and Select-Object: the built-ins that stream.

Each one handles an object as it arrives and writes its output at once, so the
commands after it see the first object before the command before it makes the second
(PS-src ``commands/utility/ForEach-Object.cs``, ``Where-Object.cs``,
``Select-Object.cs``). ``Select-Object -First N`` (with ``-Skip``, without ``-Last`` or
``-Unique``) stops the commands before it once it has written N objects, as Windows'
``StopUpstreamCommandsException`` does. ``-Last`` and ``-Unique`` need every object
first, as on Windows, and write in ``end``. Without pipeline input each reads
``-InputObject`` (enumerated, as the lab always did; UNVERIFIED against Windows, which
binds an array given there as one object).
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps import records
from psrunbook.sim.ps.builtins import (
    BUILTINS,
    Builtin,
    BuiltinEvaluator,
    Emit,
    _collect,
    _hash_get,
    _items,
    _property_names,
    _property_value,
    _selected,
)
from psrunbook.sim.ps.cmdlet_api import CmdletSpec, ParamSpec
from psrunbook.sim.ps.pipeline import StopUpstream
from psrunbook.sim.ps.values import (
    ScriptBlockValue,
    as_list,
    is_collection,
    ps_equals,
    to_bool,
    to_int,
    to_string,
    wildcard_regex,
)


class _Streaming:
    """What the three share: the evaluator, bound arguments and where output goes."""

    def __init__(self, ev: BuiltinEvaluator, args: PSHashtable, emit: Emit) -> None:
        self.ev = ev
        self.args = args
        self.emit = emit

    def begin(self) -> None:
        """Nothing before the first object."""

    def process(self, item: Any) -> None:
        raise NotImplementedError

    def first(self) -> None:
        for item in _items(self.args, None):
            self.process(item)

    def end(self) -> None:
        """Nothing after the last object."""


def _register(name: str, command: type[_Streaming], *parameters: ParamSpec) -> None:
    spec = CmdletSpec(
        name, f"Microsoft.PowerShell.Commands.{name.replace('-', '')}Command", parameters
    )
    BUILTINS[name.casefold()] = Builtin(spec, _streams_only, stream=command)


def _streams_only(ev: BuiltinEvaluator, args: PSHashtable, inputs: Any, emit: Emit) -> None:
    raise AssertionError("a streaming built-in runs through its stream")


# ----------------------------------------------------------------- Where-Object

_WHERE_OPERATORS = (
    "EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "Contains",
    "NotContains", "In", "NotIn", "CEQ", "CNE", "CLike", "CMatch", "Is", "IsNot",
)  # fmt: skip


def _ambiguous(ev: BuiltinEvaluator) -> Exception:
    return ev.fail(
        records.binding_error(
            "Parameter set cannot be resolved using the specified named parameters.",
            "AmbiguousParameterSet",
            "Microsoft.PowerShell.Commands.WhereObjectCommand",
        )
    )


class WhereObject(_Streaming):
    """Writes the objects for which the script block, or the property comparison, holds."""

    def begin(self) -> None:
        args = self.args
        condition = args.get("FilterScript")
        self.script = condition if isinstance(condition, ScriptBlockValue) else None
        self.name = to_string(condition)
        operators = [op for op in _WHERE_OPERATORS if args.get(op)]
        if self.script is None and (len(operators) > 1 or (not operators and "Value" in args)):
            raise _ambiguous(self.ev)
        self.operator = operators[0].casefold() if operators else None

    def process(self, item: Any) -> None:
        ev = self.ev
        if self.script is not None:
            if to_bool(_collect(ev.invoke_block(self.script, item, new_scope=False))):
                self.emit(item)
            return
        found, value = ev.members.property_of(item, self.name)
        if not found and isinstance(item, PSHashtable):
            value = None
        operator = self.operator
        if operator is None:
            keep = to_bool(value)
        elif operator in ("is", "isnot"):
            keep = ev.operators.is_type(value, to_string(self.args.get("Value")))
            keep = keep if operator == "is" else not keep
        else:
            keep = to_bool(ev.operators.compare(operator, value, self.args.get("Value"),
                                                ev.statement))  # fmt: skip
        if keep:
            self.emit(item)


_register(
    "Where-Object",
    WhereObject,
    ParamSpec("FilterScript", "object", position=0, aliases=("Property",)),
    ParamSpec("Value", "object", position=1),
    ParamSpec("InputObject", "object"),
    *(ParamSpec(op, "switch") for op in _WHERE_OPERATORS),
)


# ----------------------------------------------------------------- ForEach-Object


class ForEachObject(_Streaming):
    """``-Begin`` once, the ``-Process`` block (or member) per object, ``-End`` once;
    the blocks run in the caller's scope and their output goes on as it is written."""

    def begin(self) -> None:
        self.block = self.args.get("Process")  # looked up once, not per object
        self.is_script = isinstance(self.block, ScriptBlockValue)
        block = self.args.get("Begin")
        if block is not None:
            self.ev.invoke_block(block, None, new_scope=False, set_under=False, emit=self.emit)

    def process(self, item: Any) -> None:
        ev, emit = self.ev, self.emit
        process = self.block
        if self.is_script:
            ev.check_stop()
            ev.invoke_block(process, item, new_scope=False, emit=emit)
        elif process is not None:
            member = to_string(process)
            if isinstance(item, PSHashtable | PSObject | str) or is_collection(item):
                found, value = ev.members.property_of(item, member)
                if found:
                    if is_collection(value):
                        for v in value:
                            emit(v)
                    elif value is not None:
                        emit(value)
                    return
            arguments = list(as_list(self.args.get("ArgumentList")))
            emit(ev.members.call_method(item, member, arguments, ev.statement))

    def end(self) -> None:
        block = self.args.get("End")
        if block is not None:
            self.ev.invoke_block(block, None, new_scope=False, set_under=False, emit=self.emit)


_register(
    "ForEach-Object",
    ForEachObject,
    ParamSpec("Process", "object", position=0, aliases=("MemberName",)),
    ParamSpec("Begin", "scriptblock"),
    ParamSpec("End", "scriptblock"),
    ParamSpec("InputObject", "object"),
    ParamSpec("ArgumentList", "object[]"),
)


# ----------------------------------------------------------------- Select-Object


_WILDCARD = object()
"""The expression of a wildcard ``-Property`` name in :meth:`SelectObject.plan`."""


class SelectObject(_Streaming):
    """``-Skip``, ``-First``, ``-Last``, ``-Unique`` and the property forms."""

    def begin(self) -> None:
        args = self.args
        self.skip = to_int(args.get("Skip") or 0)
        self.count = to_int(args["First"]) if "First" in args else None
        self.collecting = bool(args.get("Unique")) or "Last" in args
        self.held: list[Any] = []
        self.seen = 0
        self.properties = self.plan()
        self.excluded = {p.casefold() for p in args.get("ExcludeProperty") or []}

    def process(self, item: Any) -> None:
        if self.collecting:
            self.held.append(item)
            return
        self.seen += 1
        if self.seen <= self.skip:
            return
        count = self.count
        taken = self.seen - self.skip
        if count is not None and taken > count:
            return
        self.select(item)
        if count is not None and taken >= count:
            raise StopUpstream()

    def first(self) -> None:
        try:
            super().first()
        except StopUpstream:
            return

    def end(self) -> None:
        if not self.collecting:
            return
        args = self.args
        items = self.held
        if args.get("Unique"):
            unique: list[Any] = []
            for item in items:
                if not any(ps_equals(item, seen, case_sensitive=True) for seen in unique):
                    unique.append(item)
            items = unique
        items = items[self.skip :]
        if self.count is not None:
            items = items[: self.count]
        if "Last" in args:
            count = to_int(args["Last"])
            items = items[-count:] if count else []
        for item in items:
            self.select(item)

    def select(self, item: Any) -> None:
        """Write ``item`` as ``-Property``/``-ExpandProperty`` shape it."""
        ev, args, emit = self.ev, self.args, self.emit
        properties = self.properties
        if properties is None and "ExpandProperty" not in args:
            emit(item)
            return
        if properties is not None:
            result = self.shaped(item, properties)
            if "ExpandProperty" not in args:
                emit(result)
                return
        expanded = _property_value(ev, item, args["ExpandProperty"])
        found, _ = ev.members.property_of(item, to_string(args["ExpandProperty"]))
        if not found and not isinstance(item, PSHashtable):
            ev.write_error(
                records.runtime_error(
                    f'Property "{args["ExpandProperty"]}" cannot be found.',
                    "ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand",
                    "InvalidArgument",
                    exception_type="System.Management.Automation.PSArgumentException",
                    target=item,
                )
            )
            return
        if is_collection(expanded):
            for value in expanded:
                emit(value)
        elif expanded is not None:
            emit(expanded)

    def plan(self) -> list[tuple[Any, Any]] | None:
        """``-Property`` read once for every object: ``(label, expression)`` of a
        calculated property (label None when its Name key is missing: an error when an
        object arrives), ``(pattern, _WILDCARD)`` of a wildcard, ``(name, name)``
        otherwise."""
        properties = self.args.get("Property")
        if properties is None:
            return None
        plan: list[tuple[Any, Any]] = []
        for prop in properties:
            if isinstance(prop, PSHashtable):
                label = _hash_get(prop, ("Name", "Label"))
                plan.append((None if label is None else to_string(label),
                             _hash_get(prop, ("Expression",))))  # fmt: skip
                continue
            name = to_string(prop)
            if "*" in name or "?" in name:
                plan.append((wildcard_regex(name), _WILDCARD))
            else:
                plan.append((name, name))
        return plan

    def shaped(self, item: Any, plan: list[tuple[Any, Any]]) -> PSObject:
        """A ``Selected.<type>`` object with the named and calculated properties."""
        ev = self.ev
        result = PSObject(type_names=_selected(item))
        properties = result.properties
        for label, expression in plan:
            if label is None:
                raise ev.fail(
                    records.runtime_error(
                        "The Name key of a calculated property is missing.",
                        "DictionaryKeyMissingName",
                        "InvalidArgument",
                        exception_type="System.NotSupportedException",
                    )
                )
            if expression is _WILDCARD:
                for candidate in _property_names(item):
                    if label.match(candidate) and candidate.casefold() not in self.excluded:
                        properties[candidate] = _property_value(ev, item, candidate)
                continue
            properties[label] = _property_value(ev, item, expression)
        return result


_register(
    "Select-Object",
    SelectObject,
    ParamSpec("Property", "object[]", position=0),
    ParamSpec("ExpandProperty", "string"),
    ParamSpec("First", "int"),
    ParamSpec("Last", "int"),
    ParamSpec("Skip", "int"),
    ParamSpec("Unique", "switch"),
    ParamSpec("ExcludeProperty", "string[]"),
    ParamSpec("InputObject", "object"),
)
