"""Error records as PowerShell shapes them, and the ``$_`` object a ``catch`` sees.

Every error id, category and exception type the evaluator produces is built here, so
the shapes (and the choices made where the facts are uncertain) live in one place.
"""

from __future__ import annotations

from typing import Any

from psrunbook.error_categories import ERROR_CATEGORY_NAMES
from psrunbook.sim.objects import (
    ErrorRecordData,
    ErrorRecordObject,
    PSEnum,
    PSHashtable,
    PSObject,
)

RUNTIME_EXCEPTION = "System.Management.Automation.RuntimeException"
WRITE_ERROR_EXCEPTION = "Microsoft.PowerShell.Commands.WriteErrorException"
BINDING_EXCEPTION = "System.Management.Automation.ParameterBindingException"
VALIDATION_EXCEPTION = "System.Management.Automation.ParameterBindingValidationException"
COMMAND_NOT_FOUND = "System.Management.Automation.CommandNotFoundException"
STOP_EXCEPTION = "System.Management.Automation.ActionPreferenceStopException"

ERROR_CATEGORIES = list(ERROR_CATEGORY_NAMES)

EXCEPTION_BASES: dict[str, str] = {
    "system.exception": "",
    "system.systemexception": "System.Exception",
    "system.applicationexception": "System.Exception",
    RUNTIME_EXCEPTION.lower(): "System.SystemException",
    STOP_EXCEPTION.lower(): RUNTIME_EXCEPTION,
    COMMAND_NOT_FOUND.lower(): RUNTIME_EXCEPTION,
    BINDING_EXCEPTION.lower(): RUNTIME_EXCEPTION,
    VALIDATION_EXCEPTION.lower(): BINDING_EXCEPTION,
    "system.management.automation.parseexception": RUNTIME_EXCEPTION,
    "system.management.automation.sessionstateexception": RUNTIME_EXCEPTION,
    "system.management.automation.itemnotfoundexception": (
        "System.Management.Automation.SessionStateException"
    ),
    "system.management.automation.propertynotfoundexception": RUNTIME_EXCEPTION,
    "system.management.automation.methodexception": RUNTIME_EXCEPTION,
    "system.management.automation.methodinvocationexception": (
        "System.Management.Automation.MethodException"
    ),
    "system.management.automation.psinvalidcastexception": "System.InvalidCastException",
    "system.management.automation.psargumentexception": "System.ArgumentException",
    WRITE_ERROR_EXCEPTION.lower(): "System.SystemException",
    "system.invalidcastexception": "System.SystemException",
    "system.argumentexception": "System.SystemException",
    "system.argumentnullexception": "System.ArgumentException",
    "system.invalidoperationexception": "System.SystemException",
    "system.unauthorizedaccessexception": "System.SystemException",
    "system.io.ioexception": "System.SystemException",
    "system.io.filenotfoundexception": "System.IO.IOException",
    "system.io.directorynotfoundexception": "System.IO.IOException",
    "system.dividebyzeroexception": "System.ArithmeticException",
    "system.formatexception": "System.SystemException",
    "system.overflowexception": "System.ArithmeticException",
    "system.argumentoutofrangeexception": "System.ArgumentException",
    "system.indexoutofrangeexception": "System.SystemException",
    "system.notimplementedexception": "System.SystemException",
    "system.timeoutexception": "System.SystemException",
    "system.serviceprocess.timeoutexception": "System.SystemException",
    "system.arithmeticexception": "System.SystemException",
    "system.notsupportedexception": "System.SystemException",
    "system.componentmodel.win32exception": "System.Runtime.InteropServices.ExternalException",
    "system.runtime.interopservices.externalexception": "System.SystemException",
    "microsoft.failoverclusters.powershell.clustercmdletexception": "System.Exception",
}
"""Base types of the exceptions the simulator raises; a catch follows this chain.

A type missing here is taken as deriving directly from ``System.Exception``, so cmdlets
may raise exception types this table does not know and still be caught by full name or
by ``[System.Exception]``.
"""

TYPE_ALIASES = {"exception": "System.Exception"}


def exception_chain(exception_type: str) -> list[str]:
    """The exception's type and every base type, most derived first, lower case."""
    chain: list[str] = []
    current = exception_type.lower()
    while current and current not in chain:
        chain.append(current)
        current = EXCEPTION_BASES.get(current, "system.exception").lower()
    return chain




def runtime_error(
    message: str,
    error_id: str,
    category: str = "InvalidOperation",
    exception_type: str = RUNTIME_EXCEPTION,
    target: Any = None,
    inner: tuple[str, str] | None = None,
) -> ErrorRecordData:
    """A RuntimeException-shaped record (no command type: raised by the language);
    ``inner`` is the wrapped .NET exception's type and message."""
    return ErrorRecordData(
        message=message,
        error_id=error_id,
        category=category,
        exception_type=exception_type,
        target_object=target,
        inner_exception_type=None if inner is None else inner[0],
        inner_message="" if inner is None else inner[1],
    )


def overload_not_found(method: str, count: int) -> ErrorRecordData:
    """PowerShell's MethodException for a .NET method called with an argument count none
    of its overloads takes (MethodCountCouldNotFindBest)."""
    return runtime_error(
        f'Cannot find an overload for "{method}" and the argument count: "{count}".',
        "MethodCountCouldNotFindBest",
        "NotSpecified",
        exception_type="System.Management.Automation.MethodException",
    )


def thrown(value: Any, message: str) -> ErrorRecordData:
    """``throw <value>``: errorId is the message, category OperationStopped."""
    return ErrorRecordData(
        message=message,
        error_id=message,
        category="OperationStopped",
        exception_type=RUNTIME_EXCEPTION,
        target_object=value,
        target_name=message if isinstance(value, str) else "",
        target_type="String" if isinstance(value, str) else "",
    )


def binding_error(
    message: str, error_id: str, command_type: str | None, target: Any = None
) -> ErrorRecordData:
    """A ParameterBindingException record (category InvalidArgument)."""
    return ErrorRecordData(
        message=message,
        error_id=error_id,
        category="InvalidArgument",
        exception_type=BINDING_EXCEPTION,
        target_object=target,
        command_type=command_type,
    )


def validation_error(message: str, error_id: str, command_type: str | None) -> ErrorRecordData:
    """A ParameterBindingValidationException record (category InvalidData): a validation
    attribute, or a mandatory parameter given ``$null`` or an empty value (PS-src
    ``ParameterBinderBase``; MicrosoftDocs/PowerShell-Docs#6578 shows 5.1's record)."""
    return ErrorRecordData(
        message=message,
        error_id=error_id,
        category="InvalidData",
        exception_type=VALIDATION_EXCEPTION,
        command_type=command_type,
    )


def command_not_found(name: str) -> ErrorRecordData:
    """CommandNotFoundException, worded as PowerShell 5.1 words it."""
    return ErrorRecordData(
        message=(
            f"The term '{name}' is not recognized as the name of a cmdlet, function, script "
            "file, or operable program. Check the spelling of the name, or if a path was "
            "included, verify that the path is correct and try again."
        ),
        error_id="CommandNotFoundException",
        category="ObjectNotFound",
        exception_type=COMMAND_NOT_FOUND,
        target_object=name,
        target_name=name,
        target_type="String",
    )


def category_enum(category: str) -> PSEnum:
    """An ``ErrorCategory`` value (unknown names map to NotSpecified)."""
    index = ERROR_CATEGORIES.index(category) if category in ERROR_CATEGORIES else 0
    return PSEnum("System.Management.Automation.ErrorCategory", ERROR_CATEGORIES[index], index)


def category_message(record: ErrorRecordData) -> str:
    """CategoryInfo's text: ``Category: (TargetName:TargetType) [Activity], Reason``."""
    return (
        f"{category_enum(record.category).name}: ({record.target_name}:{record.target_type}) "
        f"[{record.activity}], {record.reason}"
    )


def exception_object(exception_type: str, message: str, inner: PSObject | None) -> PSObject:
    """An exception as a script sees it (``$_.Exception``, ``[ArgumentException]::new()``):
    its type and bases, Message, InnerException, Source; PowerShell's own exceptions
    (RuntimeException and those derived from it, IContainsErrorRecord) also ErrorRecord."""
    names = [exception_type]
    while names[-1].lower() != "system.exception" and len(names) < 16:
        names.append(
            EXCEPTION_BASES.get(names[-1].lower(), "System.Exception") or "System.Exception"
        )
    properties = PSHashtable([("Message", message)])
    if RUNTIME_EXCEPTION.lower() in exception_chain(exception_type):
        properties["ErrorRecord"] = None
    properties["InnerException"] = inner
    properties["Source"] = ""
    return PSObject(
        type_names=(*names, "System.Object"),
        properties=properties,
        to_string=f"{exception_type}: {message}",
    )


def catch_passes(
    record: ErrorRecordData, escalated: bool
) -> tuple[list[str] | None, list[str], bool]:
    """What ExceptionHandlingOps.FindMatchingHandler matches a catch's types against,
    in its order: the RuntimeException's InnerException's type chain (None without one),
    then the RuntimeException's own; and whether ``$_`` takes the inner exception when
    the inner one matched.

    Every error a catch sees is a RuntimeException (PowerShell wraps any other .NET
    exception in one, ConvertToRuntimeException): the record's own exception when it is
    one (then its inner exception, a method's FormatException, is looked at first, and
    ``$_.Exception`` becomes it when it matched); otherwise a RuntimeException around the
    record's exception (``throw [ArgumentException]::new()``, a cmdlet's own exception
    type), which is looked at first and stays ``$_.Exception`` either way. An error
    escalated by ``-ErrorAction Stop`` comes as an ActionPreferenceStopException around
    the original error."""
    own = exception_chain(record.exception_type)
    if escalated:
        return own, exception_chain(STOP_EXCEPTION), False
    if RUNTIME_EXCEPTION.lower() in own:
        inner = record.inner_exception_type
        return (None if inner is None else exception_chain(inner)), own, True
    return own, exception_chain(RUNTIME_EXCEPTION), False


def names_one_of(catch_type: str, chain: list[str]) -> bool:
    """Whether the type ``catch [catch_type]`` names is in ``chain`` (``[Exception]`` is
    System.Exception's short name)."""
    wanted = TYPE_ALIASES.get(catch_type.lower(), catch_type).lower()
    candidates = [wanted]
    if not wanted.startswith("system."):
        candidates.append("system." + wanted)
    return any(c in chain for c in candidates)


def error_record_object(
    record: ErrorRecordData, escalated: bool = False, *, pass_inner: bool = False
) -> ErrorRecordObject:
    """Build the PSObject view of ``record`` that scripts read properties from.

    ``pass_inner``: a catch matched the exception the record's wraps, so that one is
    the view's Exception (and its text, ErrorRecord.ToString), as PowerShell's
    ``new ErrorRecord(rte.ErrorRecord, exception)`` makes ``$_`` of the matched one.
    """
    inner = None
    if record.inner_exception_type is not None:
        inner = exception_object(record.inner_exception_type, record.inner_message, None)
    passed = pass_inner and inner is not None
    exception = inner if passed and inner is not None else exception_object(
        record.exception_type, record.message, inner
    )
    category = PSObject(
        type_names=("System.Management.Automation.ErrorCategoryInfo", "System.Object"),
        properties=PSHashtable(
            [
                ("Category", category_enum(record.category)),
                ("Activity", record.activity),
                ("Reason", record.reason),
                ("TargetName", record.target_name),
                ("TargetType", record.target_type),
            ]
        ),
        to_string=category_message(record),
    )
    invocation = PSObject(
        type_names=("System.Management.Automation.InvocationInfo", "System.Object"),
        properties=PSHashtable(
            [
                ("ScriptLineNumber", record.script_line or 0),
                ("OffsetInLine", record.script_column or 0),
                ("Line", record.line_text or ""),
            ]
        ),
    )
    obj = ErrorRecordObject(
        type_names=("System.Management.Automation.ErrorRecord", "System.Object"),
        properties=PSHashtable(
            [
                ("Exception", exception),
                ("TargetObject", record.target_object),
                ("CategoryInfo", category),
                ("FullyQualifiedErrorId", record.fully_qualified_error_id),
                ("ErrorDetails", None),
                ("InvocationInfo", invocation),
                ("ScriptStackTrace", f"at <ScriptBlock>, <No file>: line {record.script_line}"),
            ]
        ),
        to_string=record.inner_message if passed else record.message,
        record=record,
        escalated=escalated,
    )
    if "ErrorRecord" in exception.properties:
        exception.properties["ErrorRecord"] = obj
    return obj
