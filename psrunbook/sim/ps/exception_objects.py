""".NET exceptions a script makes and throws: ``throw [System.ArgumentException]::new('x')``,
``New-Object System.InvalidOperationException 'x'``, ``$_.Exception.InnerException``.

The exception types are :data:`_SPELLED`'s (a ``catch`` follows their bases,
:data:`records.EXCEPTION_BASES`). Their constructors as .NET Framework 4.8 defines
them, with mscorlib's en-US default messages: ``()``, ``(message)``, ``(message,
innerException)``; ArgumentException's ``(message, paramName)``; ArgumentNullException's
and ArgumentOutOfRangeException's ``(paramName)`` and ``(paramName, message)``;
FileNotFoundException's ``(message, fileName)``. A parameter name is appended to the
message as .NET Framework does ("\\r\\nParameter name: x"). Another type or argument
list is refused by name.

``throw`` of one is PowerShell's ExceptionHandlingOps.ConvertToException: an ErrorRecord of
that exception, its message as the error id, category OperationStopped, no target
(:func:`thrown_record`).
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.objects import ErrorRecordData, PSObject
from psrunbook.sim.ps.records import exception_object
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.values import to_string

_DEFAULT_MESSAGES = {
    "system.systemexception": "System error.",
    "system.applicationexception": "Error in the application.",
    "system.argumentexception": "Value does not fall within the expected range.",
    "system.argumentnullexception": "Value cannot be null.",
    "system.argumentoutofrangeexception": (
        "Specified argument was out of the range of valid values."
    ),
    "system.invalidoperationexception": (
        "Operation is not valid due to the current state of the object."
    ),
    "system.notsupportedexception": "Specified method is not supported.",
    "system.unauthorizedaccessexception": "Attempted to perform an unauthorized operation.",
    "system.formatexception": "One of the identified items was in an invalid format.",
    "system.io.ioexception": "I/O error occurred.",
    "system.io.filenotfoundexception": "Unable to find the specified file.",
    "system.io.directorynotfoundexception": "Attempted to access a path that is not on the disk.",
    "system.dividebyzeroexception": "Attempted to divide by zero.",
    "system.arithmeticexception": "Overflow or underflow in the arithmetic operation.",
    "system.overflowexception": "Arithmetic operation resulted in an overflow.",
    "system.notimplementedexception": "The method or operation is not implemented.",
    "system.timeoutexception": "The operation has timed out.",
    "system.invalidcastexception": "Specified cast is not valid.",
    "system.indexoutofrangeexception": "Index was outside the bounds of the array.",
}
"""mscorlib's default messages (Arg_*Exception resources, .NET Framework 4.8, en-US)."""

_PARAMETER_FIRST = frozenset(("system.argumentnullexception", "system.argumentoutofrangeexception"))
"""Types whose one-text constructor takes the parameter name, not the message."""


_SPELLED = {
    name.casefold(): name
    for name in (
        "System.Exception", "System.SystemException", "System.ApplicationException",
        "System.ArgumentException", "System.ArgumentNullException",
        "System.ArgumentOutOfRangeException", "System.InvalidOperationException",
        "System.NotSupportedException", "System.NotImplementedException",
        "System.UnauthorizedAccessException", "System.TimeoutException",
        "System.FormatException", "System.IO.IOException", "System.IO.FileNotFoundException",
        "System.IO.DirectoryNotFoundException", "System.DivideByZeroException",
        "System.ArithmeticException", "System.OverflowException",
        "System.InvalidCastException", "System.IndexOutOfRangeException",
    )
}  # fmt: skip
"""The exception types a script can make, as .NET spells them (each has its bases in
:data:`records.EXCEPTION_BASES`, so a catch follows them)."""


def exception_type(type_name: str) -> str | None:
    """The full name of the exception type ``type_name`` names (``ArgumentException``,
    ``IO.IOException``, ``System.Exception``), or None when it is not one the lab makes."""
    folded = type_name.casefold()
    return _SPELLED.get(folded) or _SPELLED.get(f"system.{folded}")


def new_exception(full_name: str, args: list[Any]) -> PSObject:
    """``[full_name]::new(args)``: the exception its constructor makes."""
    folded = full_name.casefold()
    texts = args
    inner: PSObject | None = None
    if not texts:
        message = _DEFAULT_MESSAGES.get(folded, f"Exception of type '{full_name}' was thrown.")
    elif len(texts) == 1 and not is_exception(texts[0]):
        message = _one_text(folded, texts[0])
    elif len(texts) == 2 and is_exception(texts[1]) and not is_exception(texts[0]):
        message = _or_default(folded, texts[0])
        inner = texts[1]
    elif len(texts) == 2 and not any(is_exception(t) for t in texts):
        message = _two_texts(full_name, folded, texts[0], texts[1])
    else:
        raise HostMethodRefused(f"[{full_name}]::new() with these {len(args)} argument(s)")
    return exception_object(full_name, message, inner)


def is_exception(value: Any) -> bool:
    """Whether ``value`` is a .NET exception object (``throw`` makes its record of it)."""
    return isinstance(value, PSObject) and "System.Exception" in value.type_names


def _or_default(folded: str, text: Any) -> str:
    if text is None:
        return _DEFAULT_MESSAGES.get(folded, "")
    return to_string(text)


def _with_parameter(message: str, parameter: Any) -> str:
    name = "" if parameter is None else to_string(parameter)
    return f"{message}\r\nParameter name: {name}" if name else message


def _one_text(folded: str, text: Any) -> str:
    if folded in _PARAMETER_FIRST:
        return _with_parameter(_DEFAULT_MESSAGES[folded], text)
    return _or_default(folded, text)


def _two_texts(full_name: str, folded: str, first: Any, second: Any) -> str:
    if folded == "system.argumentexception":
        return _with_parameter(_or_default(folded, first), second)
    if folded in _PARAMETER_FIRST:
        return _with_parameter(_or_default(folded, second), first)
    if folded == "system.io.filenotfoundexception":
        return _or_default(folded, first)
    raise HostMethodRefused(f"[{full_name}]::new() with two texts")


def thrown_record(exception: PSObject) -> ErrorRecordData:
    """``throw $exception``: ConvertToException's ErrorRecord of it."""
    message = to_string(exception.properties.get("Message"))
    inner = exception.properties.get("InnerException")
    inner_type = inner.type_names[0] if isinstance(inner, PSObject) else None
    return ErrorRecordData(
        message=message,
        error_id=message,
        category="OperationStopped",
        exception_type=exception.type_names[0],
        inner_exception_type=inner_type,
        inner_message=to_string(inner.properties.get("Message"))
        if isinstance(inner, PSObject)
        else "",
    )
