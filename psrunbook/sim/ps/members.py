"""Member access and method calls: properties, ``.Count``, member enumeration, the few
.NET methods and static members scripts use.

A collaborator of :class:`psrunbook.sim.ps.evaluator.Evaluator`; it reaches back only
through :class:`~psrunbook.sim.ps.evaluator_api.EvaluatorApi`.

Strict mode matters here: under ``Set-StrictMode -Version 2`` or later, Windows
PowerShell 5.1 raises PropertyNotFoundStrict for a property an object does not have,
including the intrinsic ``Count``/``Length`` of a scalar (fixed only in PowerShell 7),
so a template that relies on ``$scalar.Count`` fails here as it does on Windows.
"""

from __future__ import annotations

import ntpath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from psrunbook.sim.executor_protocol import RUNSPACE_WOW64, HostCallFailed, PipelineStopped
from psrunbook.sim.guid_wire import guid_text
from psrunbook.sim.objects import (
    DotNetList,
    ErrorRecordObject,
    PartialObject,
    PropertySetError,
    ProviderContent,
    PSChar,
    PSEnum,
    PSHashtable,
    PSInt64,
    PSObject,
    PSOrderedDictionary,
    PSVersionValue,
    SecureStringValue,
)
from psrunbook.sim.ps import (
    date_values,
    dotnet_io,
    dotnet_lists,
    dotnet_marshal,
    dotnet_reflection,
    engine_events,
    exception_objects,
    guid_values,
    host_types,
    math_methods,
    records,
    regex_objects,
)
from psrunbook.sim.ps.automatic import PS_VERSION
from psrunbook.sim.ps.cmdlet_api import CommandRefused
from psrunbook.sim.ps.date_arithmetic import DateArgumentError
from psrunbook.sim.ps.date_format import DateFormatError, datetime_moment
from psrunbook.sim.ps.date_values import clock_member
from psrunbook.sim.ps.exceptions import MethodThrew, StopRequested
from psrunbook.sim.ps.guid_values import GuidError
from psrunbook.sim.ps.intrinsic_methods import call_intrinsic
from psrunbook.sim.ps.number_format import FormatNotModelled, format_number_with
from psrunbook.sim.ps.number_parse import ParseFailed, parse, parses
from psrunbook.sim.ps.principal import (
    ADMINISTRATOR_ROLE,
    NOT_MAPPED,
    NTAccount,
    WindowsPrincipal,
    is_administrator_role,
    names_security_identifier,
    security_identifier,
)
from psrunbook.sim.ps.psobject_view import PSCUSTOM_TYPE, PropertyCollection, PSObjectView, view_of
from psrunbook.sim.ps.references import PSReference, try_parse
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.stopwatch import is_stopwatch_type, new_stopwatch
from psrunbook.sim.ps.string_methods import StringMethodError, string_method
from psrunbook.sim.ps.timespan_format import TimeSpanError
from psrunbook.sim.ps.timespan_values import STATIC_VALUES as TIMESPAN_STATICS
from psrunbook.sim.ps.timespan_values import call_static as timespan_static
from psrunbook.sim.ps.values import (
    NOTHING,
    ConversionError,
    ScriptBlockValue,
    format_operator,
    is_collection,
    ps_equals,
    to_int,
    to_string,
    type_name_of,
)
from psrunbook.sim.timespan_wire import timespan_ticks

if TYPE_CHECKING:
    from psrunbook.sim.ps.evaluator_api import EvaluatorApi
    from psrunbook.sim.ps.exceptions import ScriptError

_PSCUSTOM = PSCUSTOM_TYPE


_VERSION_PARTS = frozenset(("major", "minor", "build", "revision"))
_PROCESS_DIRECTORY = "process_current_directory"
"""The runspace key of ``[Environment]::CurrentDirectory`` once a script has set it."""


class Members:
    """Member access and method calls for one evaluator, reached through :class:`EvaluatorApi`."""

    def __init__(self, evaluator: EvaluatorApi) -> None:
        self._ev = evaluator

    def _strict(self) -> bool:
        return bool(self._ev.scope.strict_version() >= 2)

    def _missing(self, target: Any, name: str) -> ScriptError:
        return self._ev.runtime_fail(
            f"The property '{name}' cannot be found on this object. Verify that the property "
            "exists.",
            "PropertyNotFoundStrict",
            "NotSpecified",
            exception_type="System.Management.Automation.PropertyNotFoundException",
            target=target,
        )

    def get_member(self, target: Any, name: str, node: Node) -> Any:
        """``$target.name`` with PowerShell's rules for $null, scalars and arrays."""
        folded = name.casefold()
        if target is None:
            if self._strict():
                raise self._missing(target, name)
            return 0 if folded in ("count", "length") else None
        if is_collection(target):
            if isinstance(target, DotNetList) and folded in _LIST_PROPERTIES:
                if folded == "count":
                    return len(target)
                raise self._ev.unsupported(node, f"[{target.shown}].{name}")
            if folded in ("count", "length", "longlength") and not isinstance(target, DotNetList):
                # An array's own; a list has no Length, so its items' are enumerated.
                return len(target)
            if folded == "rank":
                return 1
            values: list[Any] = []
            found_any = False
            for item in target:
                found, value = self.property_of(item, name)
                found_any = found_any or found
                if value is None:
                    continue
                values.extend(value if is_collection(value) else [value])
            if not found_any and self._strict():
                raise self._missing(target, name)
            if not values:
                return None
            return values[0] if len(values) == 1 else values
        found, value = self.property_of(target, name)
        if found:
            return value
        if isinstance(target, PartialObject) and target.refuses(name):
            which = ""
            if isinstance(target, PSObjectView) and folded == "properties":
                which = " of an object that is not a [pscustomobject]"
            raise self._ev.unsupported(node, f"{target.shown_as}.{name}{which}")
        if folded in ("count", "length") and not (
            isinstance(target, PSObject) and _PSCUSTOM in target.type_names
        ):
            if self._strict():
                raise self._missing(target, name)
            return 1
        if self._strict():
            raise self._missing(target, name)
        return None

    def property_of(self, target: Any, name: str) -> tuple[bool, Any]:
        """A property PowerShell's adapters expose on one object (not the intrinsics)."""
        folded = name.casefold()
        if isinstance(target, PSReference):
            return (True, target.value) if folded == "value" else (False, None)
        if isinstance(target, PSHashtable):
            if folded == "count":
                return True, len(target)
            if folded == "keys":
                return True, list(target.keys())
            if folded == "values":
                return True, list(target.values())
            if name in target:
                return True, target[name]
            return True, None
        if isinstance(target, PSObject):
            if name in target.properties:
                return True, target.properties[name]
            if folded == "psobject":
                return True, view_of(target)
            if folded == "pstypenames":
                return True, list(target.type_names)
            getter = "get_" + folded
            for method_name, method in target.methods.items():
                # A property the object computes when read (.NET's getter, get_Name):
                # a DateTime's Date, itself a DateTime, cannot be made in advance.
                if method_name.casefold() == getter:
                    return True, method()
            return False, None
        if isinstance(target, ProviderContent) and name in target.notes:
            return True, target.notes[name]
        if isinstance(target, str):
            if folded == "length":
                return True, len(target)
            return False, None
        if isinstance(target, PSVersionValue):
            if folded in _VERSION_PARTS:
                return True, getattr(target, folded)
            return False, None
        if isinstance(target, PSEnum):
            if folded == "value__":
                return True, target.value
            return False, None
        if isinstance(target, ScriptBlockValue) and folded == "ast":
            return False, None
        return False, None

    def set_member(self, target: Any, name: str, value: Any, node: Node) -> None:
        if isinstance(target, PSReference) and name.casefold() == "value":
            target.set(value)
            return
        if isinstance(target, PSHashtable):
            target[name] = value
            return
        if isinstance(target, PSObject) and not isinstance(target, ErrorRecordObject):
            setter = next(
                (f for key, f in target.setters.items() if key.casefold() == name.casefold()),
                None,
            )
            if setter is not None:
                try:
                    target.properties[name] = setter(value)
                except PropertySetError as exc:
                    raise self._ev.runtime_fail(
                        f'Exception setting "{name}": "{exc}"',
                        "ExceptionWhenSetting",
                        "NotSpecified",
                        target=target,
                    ) from exc
                return
            if isinstance(target, PartialObject):
                self._set_partial(target, name, node)
            if name in target.properties:
                target.properties[name] = value
                return
            raise self._ev.runtime_fail(
                f"The property '{name}' cannot be found on this object. Verify that the "
                "property exists and can be set.",
                "PropertyAssignmentException",
                "InvalidOperation",
                target=target,
            )
        raise self._ev.runtime_fail(
            f"The property '{name}' cannot be found on this object. Verify that the property "
            "exists and can be set.",
            "PropertyNotFound",
            "InvalidOperation",
            target=target,
        )

    def _no_method(self, target: Any, name: str) -> ScriptError:
        return self._ev.runtime_fail(
            f"Method invocation failed because [{type_name_of(target)}] does not contain a "
            f"method named '{name}'.",
            "MethodNotFound",
            "InvalidOperation",
            target=target,
        )

    def call_method(self, target: Any, name: str, args: list[Any], node: Node | None) -> Any:
        """The .NET methods the simulator models; others are refused as unsupported."""
        folded = name.casefold()
        if target is None:
            raise self._ev.runtime_fail(
                "You cannot call a method on a null-valued expression.",
                "InvokeMethodOnNull",
                "InvalidOperation",
            )
        if folded == "gettype":
            return dotnet_reflection.type_object(target) or _runtime_type(target)
        if isinstance(target, PropertyCollection):
            return self._properties_method(target, name, args, node)
        if folded in ("where", "foreach") and not (
            isinstance(target, PSObject) and any(m.casefold() == folded for m in target.methods)
        ):
            return call_intrinsic(self._ev, target, folded, args, node, self.get_member)
        if isinstance(target, str):
            handled, value = (
                _char_method(target, folded, args)
                if isinstance(target, PSChar)
                else self._string_call(target, name, args)
            )
            if handled:
                return value
        elif isinstance(target, PSHashtable):
            if isinstance(target, PSOrderedDictionary) and folded in target.MISSING_METHODS:
                raise self._no_method(target, name)
            if folded in ("containskey", "contains"):
                return to_string(args[0]) in target
            if folded == "containsvalue":
                return any(ps_equals(v, args[0]) for v in target.values())
            if folded == "add":
                key = to_string(args[0])
                if key in target:
                    raise self._ev.runtime_fail(
                        f'Exception calling "Add" with "2" argument(s): "Item has already been '
                        f"added. Key in dictionary: '{key}'  Key being added: '{key}'\"",
                        "ArgumentException",
                        "NotSpecified",
                        exception_type="System.Management.Automation.MethodInvocationException",
                    )
                target[key] = args[1]
                return NOTHING
            if folded == "remove":
                target.pop(to_string(args[0]), None)
                return NOTHING
            if folded == "clear":
                target.clear()
                return NOTHING
            if folded == "getenumerator":
                return [
                    PSObject(
                        type_names=("System.Collections.DictionaryEntry", "System.Object"),
                        properties=PSHashtable([("Name", k), ("Key", k), ("Value", v)]),
                    )
                    for k, v in target.items()
                ]
            if folded == "clone":
                return PSHashtable(target.items())
        elif is_collection(target):
            handled, value = self._collection_method(target, name, args, node)
            if handled:
                return value
        elif isinstance(target, NTAccount) and folded == "translate":
            if len(args) == 1 and names_security_identifier(to_string(args[0])):
                sid = self._ev.resolve_account(to_string(target))
                if sid is None:
                    raise self._ev.runtime_fail(
                        f'Exception calling "Translate" with "1" argument(s): "{NOT_MAPPED}"',
                        "IdentityNotMappedException",
                        "NotSpecified",
                        exception_type="System.Management.Automation.MethodInvocationException",
                    )
                return security_identifier(sid)
            raise self._ev.unsupported(node, "Translate() to anything but SecurityIdentifier")
        elif isinstance(target, WindowsPrincipal) and folded == "isinrole":
            if len(args) == 1 and is_administrator_role(args[0]):
                return target.administrator
            raise self._ev.unsupported(node, "IsInRole() other than the Administrator role")
        elif engine_events.is_event_manager(target):
            return engine_events.call_method(self._ev, target, name, args, node)
        elif isinstance(target, PSObject):
            for method_name, method in target.methods.items():
                if method_name.casefold() == folded:
                    result = self._host_aware_call(method, method_name, args, node)
                    return NOTHING if result is None else result
        elif isinstance(target, ScriptBlockValue) and folded == "invoke":
            return self._ev.invoke_block(target, None)
        if folded == "tostring" and (not args or (len(args) == 1 and _is_number(target))):
            # ToString(format) of a number: Int32/Int64/Double's, en-US.
            return (
                self._number_text(target, to_string(args[0]), node) if args else (to_string(target))
            )
        if folded == "equals" and len(args) == 1:
            return _dotnet_equals(target, args[0])
        if isinstance(target, PartialObject) and target.refuses(name):
            raise self._ev.unsupported(node, f"{target.shown_as}.{name}()")
        if isinstance(target, SecureStringValue | PSObject):
            raise self._no_method(target, name)
        raise self._ev.unsupported(node, f"method call .{name}()")

    def _number_text(self, number: float, spec: str, node: Node | None) -> str:
        """Int32/Int64/Double.ToString(format), in the current culture (en-US)."""
        try:
            return format_number_with(number, spec, to_string(number))
        except FormatNotModelled as exc:
            raise self._ev.unsupported(node, str(exc)) from None

    def _set_partial(self, target: PartialObject, name: str, node: Node) -> None:
        """Assigning a member of a partly modelled object without a setter: a member it
        holds is a .NET read-only property (DateTime's all are); any other is refused."""
        held = any(key.casefold() == name.casefold() for key in target.properties)
        if held and target.unmodelled is not None:
            raise self._ev.runtime_fail(
                f"'{name}' is a ReadOnly property.",
                "PropertyAssignmentException",
                "InvalidOperation",
                target=target,
            )
        if held or target.refuses(name):
            raise self._ev.unsupported(node, f"setting {target.shown_as}.{name}")

    def _string_call(self, text: str, name: str, args: list[Any]) -> tuple[bool, Any]:
        """A String method; what .NET throws becomes PowerShell's MethodInvocationException."""
        try:
            return string_method(text, name, args)
        except StringMethodError as threw:
            raise self._method_threw(name, len(args), threw.message, threw.error_id) from None

    def _method_threw(self, name: str, count: int, message: str, exception: str) -> Exception:
        """What a .NET method threw, as PowerShell reports it: a MethodInvocationException
        ('Exception calling "Parse" with "1" argument(s): "..."') whose error id is the
        .NET exception's name (without its namespace: a lab method may name it in full)."""
        return self._ev.runtime_fail(
            f'Exception calling "{name}" with "{count}" argument(s): "{message}"',
            exception.rsplit(".", 1)[-1],
            "NotSpecified",
            exception_type="System.Management.Automation.MethodInvocationException",
            inner=(exception if "." in exception else f"System.{exception}", message),
        )

    def _properties_method(
        self, target: PropertyCollection, name: str, args: list[Any], node: Node | None
    ) -> Any:
        """A method of ``.PSObject.Properties``: only ``Match`` is modelled."""
        if name.casefold() == "match" and len(args) == 1:
            return target.match(args[0])
        raise self._ev.unsupported(node, f".PSObject.Properties.{name}()")

    def _host_aware_call(
        self, method: Callable[..., Any], name: str, args: list[Any], node: Node | None
    ) -> Any:
        """Call a modelled method; a host call the client's host failed is PowerShell's
        MethodInvocationException (pypsrp 1.0's ``test_powershell_host_call_failure``:
        'Exception calling "ReadLine" with "0" argument(s): "<the client's message>"'),
        a stop while waiting for the client's answer stops the pipeline."""
        try:
            return method(*args)
        except HostCallFailed as failed:
            # The error id of the remote exception is UNVERIFIED (not in the tests).
            raise self._ev.runtime_fail(
                f'Exception calling "{name}" with "{len(args)}" argument(s): "{failed}"',
                "RemoteException",
                "NotSpecified",
                exception_type="System.Management.Automation.MethodInvocationException",
            ) from None
        except HostMethodRefused as refused:
            raise self._ev.unsupported(node, str(refused)) from None
        except (DateFormatError, DateArgumentError, TimeSpanError, GuidError) as thrown:
            raise self._method_threw(name, len(args), str(thrown), thrown.exception) from None
        except MethodThrew as thrown:
            raise self._method_threw(name, len(args), str(thrown), thrown.exception) from None
        except PipelineStopped:
            raise StopRequested() from None

    def set_static(self, type_name: str, name: str, value: Any, node: Node) -> None:
        """``[type]::Property = value`` for the one static property the lab models:
        ``[Environment]::CurrentDirectory``, the process's folder (pypsrp 1.0's
        ``invoke_ps(cwd=...)`` sets it after ``Set-Location``). It must name an existing
        folder (.NET's DirectoryNotFoundException otherwise); PowerShell's location is
        not moved by it. Reading it back gives what was set; before that it is refused
        by name (the process's starting folder is not modelled)."""
        key = (_short_type(type_name), name.casefold())
        if key != ("environment", "currentdirectory"):
            raise self._ev.unsupported(node, f"assignment to [{type_name}]::{name}")
        dotnet = self._ev.dotnet()
        folder = dotnet.path_of(value)
        if dotnet.files("[Environment]::CurrentDirectory").kind(folder) != "dir":
            raise self._ev.runtime_fail(
                f"Exception setting \"CurrentDirectory\": \"Could not find a part of the path "
                f"'{folder}'.\"",
                "ExceptionWhenSetting",
                "NotSpecified",
                exception_type="System.Management.Automation.SetValueInvocationException",
            )
        self._ev.runspace[_PROCESS_DIRECTORY] = folder

    def static_member(self, type_name: str, name: str, node: Node) -> Any:
        key = (_short_type(type_name), name.casefold())
        if key == ("environment", "currentdirectory") and _PROCESS_DIRECTORY in self._ev.runspace:
            return self._ev.runspace[_PROCESS_DIRECTORY]
        values: dict[tuple[str, str], Any] = {
            ("int", "maxvalue"): 2**31 - 1,
            ("int", "minvalue"): -(2**31),
            ("int32", "maxvalue"): 2**31 - 1,
            ("int32", "minvalue"): -(2**31),
            ("long", "maxvalue"): PSInt64(2**63 - 1),
            ("long", "minvalue"): PSInt64(-(2**63)),
            ("int64", "maxvalue"): PSInt64(2**63 - 1),
            ("int64", "minvalue"): PSInt64(-(2**63)),
            ("double", "maxvalue"): 1.7976931348623157e308,
            ("string", "empty"): "",
            ("environment", "newline"): "\r\n",
            ("io.path", "directoryseparatorchar"): "\\",
        }
        if key in values:
            return values[key]
        if key == ("security.principal.windowsbuiltinrole", "administrator"):
            return ADMINISTRATOR_ROLE
        if key == ("environment", "machinename"):
            return self._ev.read_variable("env:COMPUTERNAME", node)
        if key == ("environment", "osversion"):
            return _os_version()
        if key == ("environment", "is64bitoperatingsystem"):
            return True  # every Windows Server since 2008 R2 is 64-bit only
        if key == ("environment", "is64bitprocess"):
            # False in a 32-bit session (Microsoft.PowerShell32: a WOW64 host process)
            return not self._ev.runspace.get(RUNSPACE_WOW64, False)
        if key[0] == "math" and key[1] in math_methods.CONSTANTS:
            return math_methods.CONSTANTS[key[1]]
        if key[0] == "datetime":
            clock = clock_member(name, self._ev.now())
            if clock is not None:
                return clock
        if key[0] == "timespan" and key[1] in TIMESPAN_STATICS:
            return TIMESPAN_STATICS[key[1]]()
        if key[0] == "guid" and key[1] in guid_values.STATIC_VALUES:
            return guid_values.STATIC_VALUES[key[1]]()
        if key in _DEFAULT_RUNSPACE:
            return dotnet_reflection.default_runspace(self._ev.runspace_host(pool=True))
        enum_value = host_types.static_member(*key)
        if enum_value is not None:
            return enum_value
        value = self._ev.dotnet().static_member(*key)
        if dotnet_io.handled(value):
            return value
        raise self._ev.unsupported(node, f"static member [{type_name}]::{name}")

    def _from_utf32(self, args: list[Any], node: Node) -> str:
        """``[char]::ConvertFromUtf32(n)``: the character of code point ``n``.

        .NET answers a string of one or (above U+FFFF) two UTF-16 code units; the lab's
        strings hold code points, so an astral character is one character here and its
        ``Length`` is 1 where .NET says 2 (documented in docs/simulated-powershell.md).
        """
        if len(args) != 1:
            raise self._ev.fail(records.overload_not_found("ConvertFromUtf32", len(args)))
        try:
            code = to_int(args[0])
        except ConversionError:
            raise self._ev.unsupported(node, "[char]::ConvertFromUtf32() of a non-number") from None
        if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self._method_threw(
                "ConvertFromUtf32",
                1,
                "A valid UTF32 value is between 0x000000 and 0x10ffff, inclusive, and should "
                "not include surrogate codepoint values (0x00d800 ~ 0x00dfff).\r\n"
                "Parameter name: utf32",
                "ArgumentOutOfRangeException",
            )
        return chr(code)

    def call_static(self, type_name: str, name: str, args: list[Any], node: Node) -> Any:
        short = _short_type(type_name)
        n = name.casefold()
        a = args
        if n == "tryparse" and parses(short):
            if len(a) != 2 or not isinstance(a[1], PSReference):
                raise self._ev.unsupported(node, f"[{type_name}]::TryParse() without [ref]")
            return try_parse(short, a[0], a[1])
        if n == "parse" and parses(short) and len(a) == 1:
            try:
                return parse(short, a[0])
            except ParseFailed as thrown:
                raise self._method_threw(name, 1, str(thrown), thrown.exception) from None
        if short == "string":
            if n == "isnullorempty":
                return a[0] is None or to_string(a[0]) == ""
            if n == "isnullorwhitespace":
                return a[0] is None or to_string(a[0]).strip() == ""
            if n == "join":
                items = a[1] if len(a) == 2 and is_collection(a[1]) else a[1:]
                return to_string(a[0]).join(to_string(x) for x in items)
            if n == "format":
                rest = a[1] if len(a) == 2 and is_collection(a[1]) else a[1:]
                try:
                    return format_operator(to_string(a[0]), list(rest))
                except FormatNotModelled as exc:
                    raise self._ev.unsupported(node, str(exc)) from None
            if n == "equals" and len(a) >= 2:
                ignore = len(a) > 2 and "ignorecase" in to_string(a[2]).casefold()
                x, y = to_string(a[0]), to_string(a[1])
                return x.casefold() == y.casefold() if ignore else x == y
        if (short, n) == ("char", "convertfromutf32"):
            return self._from_utf32(a, node)
        if short == "math" and math_methods.models(n):
            try:
                return math_methods.call(name, a)
            except math_methods.OverloadNotFound as exc:
                raise self._ev.fail(records.overload_not_found(exc.name, exc.count)) from None
            except math_methods.Refused as exc:
                raise self._ev.unsupported(node, str(exc)) from None
        if short == "io.path":
            paths = [to_string(x) for x in a]
            if n == "combine":
                return ntpath.join(*paths)
            if n == "getfilename":
                return ntpath.basename(paths[0])
            if n == "getdirectoryname":
                return ntpath.dirname(paths[0])
            if n == "getextension":
                return ntpath.splitext(paths[0])[1]
            if n == "getfilenamewithoutextension":
                return ntpath.splitext(ntpath.basename(paths[0]))[0]
        if (short, n) == ("security.principal.windowsidentity", "getcurrent") and not a:
            return self._ev.current_identity()
        if (short, n) == ("net.dns", "gethostname") and not a:
            # the node's host name: its computer name (the lab's nodes are named as such)
            return self._ev.read_variable("env:COMPUTERNAME", node)
        typed = {
            "regex": self._regex_static,
            "text.regularexpressions.regex": self._regex_static,
            "timespan": self._timespan_static,
            "guid": self._guid_static,
            "datetime": self._datetime_static,
        }.get(short)
        if typed is not None:
            return typed(name, a, node)
        if is_stopwatch_type(type_name) and n in ("new", "startnew") and not a:
            return new_stopwatch(self._ev.now, running=n == "startnew")
        if n == "new":
            made = self._constructed(type_name, a, node)
            if made is not None:
                return made
        if short == dotnet_marshal.MARSHAL:
            return dotnet_marshal.Marshal(self._ev, node).call(n, a)
        value = self._dotnet_static(short, n, a, node)
        if dotnet_io.handled(value):
            return value
        raise self._ev.unsupported(node, f"static method [{type_name}]::{name}()")

    def _dotnet_static(self, short: str, name: str, args: list[Any], node: Node) -> Any:
        """A static method of the .NET types :mod:`.dotnet_io` models; a path the lab's
        file model refuses by name (a 32-bit session's System32) is the script's refusal."""
        try:
            return self._ev.dotnet().call_static(short, name, args)
        except CommandRefused as refused:
            raise self._ev.unsupported(node, refused.construct) from None

    def _collection_method(
        self, target: list[Any], name: str, args: list[Any], node: Node | None
    ) -> tuple[bool, Any]:
        """A list's methods (an ArrayList's or a List[T]'s) or an array's: Contains,
        IndexOf, and the changes an array's fixed size refuses. (False, None) when not
        one of them."""
        folded = name.casefold()
        if isinstance(target, DotNetList):
            return True, self._list_method(target, name, args, node)
        if folded == "contains":
            return True, any(_dotnet_equals(item, args[0]) for item in target)
        if folded == "indexof":
            return True, next(
                (i for i, item in enumerate(target) if _dotnet_equals(item, args[0])), -1
            )
        if folded in ("add", "remove", "insert", "clear"):
            raise self._ev.runtime_fail(
                f'Exception calling "{name}" with "{len(args)}" argument(s): "Collection was '
                'of a fixed size."',
                "NotSupportedException",
                "NotSpecified",
                exception_type="System.Management.Automation.MethodInvocationException",
            )
        return False, None

    def _constructed(self, type_name: str, args: list[Any], node: Node) -> Any:
        """``[T]::new(args)`` of an exception type or a list type; None for other types."""
        exception = exception_objects.exception_type(type_name)
        if exception is None:
            return self._new_list(type_name, args, node)
        try:
            return exception_objects.new_exception(exception, args)
        except HostMethodRefused as refused:
            raise self._ev.unsupported(node, str(refused)) from None

    def _new_list(self, type_name: str, args: list[Any], node: Node) -> DotNetList | None:
        """``[System.Collections.ArrayList]::new()`` and a List[T]'s; None for other types."""
        try:
            return dotnet_lists.new_list(type_name, args)
        except HostMethodRefused as refused:
            raise self._ev.unsupported(node, str(refused)) from None
        except dotnet_lists.ListMethodError as thrown:
            raise self._method_threw("new", len(args), str(thrown), thrown.error_id) from None

    def _list_method(
        self, target: DotNetList, name: str, args: list[Any], node: Node | None
    ) -> Any:
        """An ArrayList's or a List[T]'s method (:mod:`psrunbook.sim.ps.dotnet_lists`)."""
        try:
            return dotnet_lists.call_method(target, name, args, _dotnet_equals)
        except HostMethodRefused as refused:
            raise self._ev.unsupported(node, str(refused)) from None
        except dotnet_lists.ListMethodError as thrown:
            if thrown.error_id == "MethodArgumentConversionInvalidCastArgument":
                raise self._ev.runtime_fail(
                    str(thrown),
                    thrown.error_id,
                    "NotSpecified",
                    exception_type="System.Management.Automation.MethodException",
                ) from None
            raise self._method_threw(name, len(args), str(thrown), thrown.error_id) from None

    def _regex_static(self, name: str, args: list[Any], node: Node) -> Any:
        """``[regex]::Match(...)`` and the other static Regex methods (regex_objects)."""
        try:
            return regex_objects.call_static(name, args)
        except HostMethodRefused as refused:
            raise self._ev.unsupported(node, str(refused)) from None
        except regex_objects.RegexArgumentError as thrown:
            raise self._method_threw(name, len(args), str(thrown), "ArgumentException") from None

    def _datetime_static(self, name: str, args: list[Any], node: Node) -> Any:
        """``[datetime]::Parse(text)`` and ``::TryParse(text, [ref]$d)`` (date_values);
        DateTime's other static methods are refused by name."""
        try:
            if name.casefold() == "parse" and len(args) == 1:
                return date_values.parse_static(args[0])
            if name.casefold() == "tryparse" and len(args) == 2 and isinstance(
                args[1], PSReference
            ):
                parsed = date_values.try_parse_static(args[0])
                args[1].set(date_values.min_value() if parsed is None else parsed)
                return parsed is not None
        except HostMethodRefused as refused:
            raise self._ev.unsupported(node, str(refused)) from None
        except date_values.DateParseFailed as thrown:
            raise self._method_threw(name, len(args), str(thrown), thrown.exception) from None
        raise self._ev.unsupported(node, f"static method [datetime]::{name}()")

    def _guid_static(self, name: str, args: list[Any], node: Node) -> Any:
        """``[guid]::NewGuid()`` and the type's other static methods."""
        if name.casefold() == "tryparse":
            if len(args) != 2 or not isinstance(args[1], PSReference):
                raise self._ev.unsupported(node, "[guid]::TryParse() without [ref]")
            parsed = guid_values.try_parse(args[0])
            args[1].set(guid_values.empty_guid() if parsed is None else parsed)
            return parsed is not None
        try:
            return guid_values.call_static(name, args)
        except HostMethodRefused as refused:
            raise self._ev.unsupported(node, str(refused)) from None
        except GuidError as thrown:
            raise self._method_threw(name, len(args), str(thrown), thrown.exception) from None

    def _timespan_static(self, name: str, args: list[Any], node: Node) -> Any:
        """``[timespan]::FromSeconds(30)`` and the type's other static methods."""
        try:
            return timespan_static(name, args)
        except HostMethodRefused as refused:
            raise self._ev.unsupported(node, str(refused)) from None
        except TimeSpanError as thrown:
            raise self._method_threw(name, len(args), str(thrown), thrown.exception) from None


def _os_version() -> PSObject:
    """``[Environment]::OSVersion`` on Windows Server 2019 under .NET Framework 4.8
    (powershell.exe declares Windows 10 in its manifest, so the version is not capped at
    6.2; the revision is 0: .NET does not read the update build revision). A new object
    each time, as .NET's property makes one."""
    version = PSVersionValue(10, 0, PS_VERSION.build, 0)  # the build $PSVersionTable shows
    text = f"Microsoft Windows NT {version}"
    return PSObject(
        type_names=("System.OperatingSystem", "System.Object"),
        properties=PSHashtable(
            [
                ("Platform", PSEnum("System.PlatformID", "Win32NT", 2)),
                ("ServicePack", ""),
                ("Version", version),
                ("VersionString", text),
            ]
        ),
        to_string=text,
    )


_LIST_PROPERTIES = frozenset(
    ("count", "capacity", "isfixedsize", "isreadonly", "issynchronized", "syncroot", "item")
)
"""An ArrayList's and a List[T]'s own properties: Count is modelled, the others refused
by name (PowerShell reads them from the list, never from its items)."""


def _char_method(target: PSChar, folded: str, args: list[Any]) -> tuple[bool, Any]:
    """System.Char's instance methods (a String method is not one of them: PowerShell
    says the Char does not contain it)."""
    if folded == "tostring" and not args:
        return True, str(target)
    if folded == "equals" and len(args) == 1:
        return True, isinstance(args[0], PSChar) and args[0] == target
    if folded == "compareto" and len(args) == 1 and isinstance(args[0], PSChar):
        return True, (target > args[0]) - (target < args[0])
    return False, None


def _is_number(value: Any) -> bool:
    """An Int32, Int64 or Double of the lab (a Boolean or an enum value is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool | PSEnum)


def _runtime_type(target: Any) -> PSObject:
    """``GetType()``: a System.RuntimeType with Name and FullName."""
    full = type_name_of(target)
    return PSObject(
        type_names=("System.RuntimeType", "System.Type", "System.Object"),
        # A generic type's Name is before its arguments: List`1, not "...PublicKeyToken=...]]".
        properties=PSHashtable(
            [("Name", full.split("[[", 1)[0].rsplit(".", 1)[-1]), ("FullName", full)]
        ),
        to_string=full,
    )


_DEFAULT_RUNSPACE = {
    ("runspace", "defaultrunspace"),
    ("management.automation.runspaces.runspace", "defaultrunspace"),
}
"""``[Runspace]::DefaultRunspace``: the runspace the pipeline runs in."""


def _short_type(type_name: str) -> str:
    folded = type_name.casefold()
    return folded.removeprefix("system.")


def _dotnet_equals(left: Any, right: Any) -> bool:
    """Object.Equals: case-sensitive for strings, numbers by value; a Guid, TimeSpan or
    DateTime (value types) equal to one of the same type and value (a DateTime by its
    ticks, whatever its Kind), never to another type."""
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    for value_of in (guid_text, timespan_ticks):
        mine = value_of(left)
        if mine is not None:
            return mine == value_of(right)
    moment = datetime_moment(left)
    if moment is not None:
        other = datetime_moment(right)
        return other is not None and other.ticks == moment.ticks
    return bool(left == right)
