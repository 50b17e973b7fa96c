"""PowerShell's ``System.Management.Automation.ErrorCategory``, names in numeric order.

One table for the whole product: the result parser reads category numbers from
ErrorRecords, and the simulator writes them (PS-src ``engine/ErrorPackage.cs``;
``facts/powershell.md`` section 7).
"""

from __future__ import annotations

from typing import Final

ERROR_CATEGORY_NAMES: Final[tuple[str, ...]] = (
    "NotSpecified",
    "OpenError",
    "CloseError",
    "DeviceError",
    "DeadlockDetected",
    "InvalidArgument",
    "InvalidData",
    "InvalidOperation",
    "InvalidResult",
    "InvalidType",
    "MetadataError",
    "NotImplemented",
    "NotInstalled",
    "ObjectNotFound",
    "OperationStopped",
    "OperationTimeout",
    "SyntaxError",
    "ParserError",
    "PermissionDenied",
    "ResourceBusy",
    "ResourceExists",
    "ResourceUnavailable",
    "ReadError",
    "WriteError",
    "FromStdErr",
    "SecurityError",
    "ProtocolError",
    "ConnectionError",
    "AuthenticationError",
    "LimitsExceeded",
    "QuotaExceeded",
    "NotEnabled",
)
"""Index = the enum's numeric value."""
