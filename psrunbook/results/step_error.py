"""PowerShell ErrorRecords as structured, serialisable :class:`StepError` values.

The fields follow what remoting actually serialises (``ErrorRecord.ToPSObjectForRemoting``):
the exception snapshot, ``FullyQualifiedErrorId``, the flattened ``ErrorCategory_*`` and
``ErrorDetails_*`` properties and, when the client asked for it, ``InvocationInfo_*``.
Without that extended info the record still carries an ``InvocationInfo`` snapshot,
which is read as a fallback for the script line and position.

A step that fails before or around its script (a transport fault) is described by the
same type, through :meth:`StepError.from_exception`, so every failure of a step on a
node has one shape from the runner to the console, the journal and the log.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec

from psrunbook.error_categories import ERROR_CATEGORY_NAMES
from psrunbook.errors import EngineError, WSManFault
from psrunbook.results.plain import plain

__all__ = ["ERROR_CATEGORIES", "StepError", "category_name"]

ERROR_CATEGORIES: Final[dict[int, str]] = dict(enumerate(ERROR_CATEGORY_NAMES))
"""ErrorCategory number -> name."""
_CATEGORY_BY_FOLDED_NAME: Final = {name.casefold(): name for name in ERROR_CATEGORIES.values()}
_DESERIALIZED: Final = "Deserialized."
_STACK_LINE: Final = re.compile(r": line (\d+)\s*$")


def category_name(value: Any) -> str:
    """The ErrorCategory name for a number or name; unknown values as ``Unknown(<v>)``."""
    if value is None:
        return ERROR_CATEGORIES[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return ERROR_CATEGORIES.get(value, f"Unknown({value})")
    text = str(plain(value)).strip()
    if text.lstrip("-").isdigit():
        return category_name(int(text))
    return _CATEGORY_BY_FOLDED_NAME.get(text.casefold(), f"Unknown({text})")


def _nonempty(value: Any) -> str | None:
    """Text of a value, or None for missing/blank (remoting sends '' for unset strings)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else plain(value)
    if text is None:
        return None
    text = str(text)
    return text if text.strip() else None


def _props(obj: Any) -> dict[str, Any]:
    """Adapted and extended properties of a deserialized object (empty for anything else)."""
    merged: dict[str, Any] = {}
    for attr in ("adapted_properties", "extended_properties"):
        source = getattr(obj, attr, None)
        if isinstance(source, dict):
            merged.update(source)
    return merged


def _field(record: Any, attr: str, ps_name: str) -> Any:
    """A record field by pypsrp attribute, else by its PowerShell property name."""
    value = getattr(record, attr, None)
    if value is None:
        value = _props(record).get(ps_name)
    return value


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _stack_line(trace: Any) -> int | None:
    """The line of the innermost frame of a ScriptStackTrace (``at <ScriptBlock>, ...: line 5``).

    A non-terminating error's InvocationInfo is the caller's (line 0 at the top level),
    so the stack trace is the only place its script line survives.
    """
    if not isinstance(trace, str):
        return None
    match = _STACK_LINE.search(trace.split("\n", 1)[0])
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def _exception_type(exception: Any) -> str | None:
    types = getattr(exception, "types", None)
    if isinstance(types, list) and types:
        first = str(types[0])
        return first.removeprefix(_DESERIALIZED)
    return None


def _exception_message(exception: Any) -> str | None:
    message = _nonempty(_props(exception).get("Message"))
    if message is not None:
        return message
    # An Exception's ToString is "<Type>: <Message>[ ---> inner][\r\n   at ...]".
    text = _nonempty(getattr(exception, "to_string", None))
    if text is None:
        return None
    kind = _exception_type(exception)
    if kind and text.startswith(f"{kind}: "):
        text = text[len(kind) + 2 :]
    return text.split("\r\n   at ")[0]


class StepError(msgspec.Struct, frozen=True):
    """One error a script reported, with PowerShell's own identifiers kept.

    ``message`` is what ``ErrorRecord.ToString()`` shows (ErrorDetails.Message if set,
    else the exception message); ``category`` is the ErrorCategory name; ``target`` the
    category's TargetName or the target object's text; ``script_line`` is 1-based.
    """

    message: str
    exception_type: str | None = None
    fully_qualified_error_id: str | None = None
    category: str = ERROR_CATEGORIES[0]
    target: str | None = None
    activity: str | None = None
    reason: str | None = None
    script_line: int | None = None
    position_message: str | None = None
    command_name: str | None = None

    @classmethod
    def from_error_record(cls, record: Any) -> StepError:
        """Build from pypsrp's ``ErrorRecord`` (or any object shaped like one).

        Every field is optional on the wire, so each one falls back quietly; a value that
        is not an error record at all (a string written to the error stream by a host)
        becomes a StepError whose message is its text.
        """
        if record is None or isinstance(record, str | int | float):
            return cls(message=_nonempty(record) or "unknown error")
        exception = _field(record, "exception", "Exception")
        invocation = _field(record, "invocation_info", "InvocationInfo")
        inv = _props(invocation)

        message = (
            _nonempty(_field(record, "details_message", "ErrorDetails_Message"))
            or _exception_message(exception)
            or _nonempty(getattr(record, "_to_string", None))
            or _nonempty(getattr(record, "to_string", None))
            or _nonempty(_field(record, "message", "ErrorCategory_Message"))
            or "unknown error"
        )
        target_object = _field(record, "target_object", "TargetObject")
        target = _nonempty(_field(record, "target_name", "ErrorCategory_TargetName"))
        if target is None and target_object is not None:
            target = _nonempty(
                str(plain(target_object)) if not isinstance(target_object, str) else target_object
            )

        script_line = _int_or_none(
            _field(record, "invocation_script_line_number", "InvocationInfo_ScriptLineNumber")
        )
        if not script_line:  # 0 means "no script position" in InvocationInfo
            script_line = _int_or_none(inv.get("ScriptLineNumber")) or None
        if script_line is None:
            script_line = _stack_line(
                _field(record, "script_stacktrace", "ErrorDetails_ScriptStackTrace")
            )
        position = _nonempty(
            _field(record, "invocation_position_message", "InvocationInfo_PositionMessage")
        ) or _nonempty(inv.get("PositionMessage"))
        command = (
            _nonempty(_field(record, "command_name", "CommandInfo_Name"))
            or _nonempty(_field(record, "invocation_name", "InvocationInfo_InvocationName"))
            or _nonempty(inv.get("InvocationName"))
        )

        return cls(
            message=message,
            exception_type=_exception_type(exception),
            fully_qualified_error_id=_nonempty(_field(record, "fq_error", "FullyQualifiedErrorId")),
            category=category_name(_field(record, "category", "ErrorCategory_Category")),
            target=target,
            activity=_nonempty(_field(record, "activity", "ErrorCategory_Activity")),
            reason=_nonempty(_field(record, "reason", "ErrorCategory_Reason")),
            script_line=script_line,
            position_message=position,
            command_name=command,
        )

    @classmethod
    def from_exception(cls, exc: EngineError) -> StepError:
        """A failure that happened around the script (a transport fault) as a StepError.

        The one conversion for such failures, so that the run report, the journal and
        the log see a single failure type: the exception's class name stands where
        PowerShell puts the exception type, and a WSMan fault's numeric code where it
        puts the FullyQualifiedErrorId (both are what a SIEM groups failures by).
        """
        code = exc.code if isinstance(exc, WSManFault) else None
        return cls(
            message=str(exc),
            exception_type=type(exc).__name__,
            fully_qualified_error_id=None if code is None else str(code),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, the shape the journal stores."""
        return msgspec.structs.asdict(self)

    def __str__(self) -> str:
        where = f" (line {self.script_line})" if self.script_line is not None else ""
        ident = f" [{self.fully_qualified_error_id}]" if self.fully_qualified_error_id else ""
        return f"{self.message}{where}{ident}"
