"""Validation rules shared by the SSIS runbooks' parameter models.

Each function takes the value and the parameter's name and either returns the value
(possibly normalised) or raises ``ValueError`` with a message that names the parameter
and says how to fix it; pydantic turns that into the CLI's exit-code-2 message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BeforeValidator, ValidationInfo

from psrunbook.runbooks._ssis.versions import ssis_version, ssis_versions

ACCOUNT_FORBIDDEN: Final = frozenset("/[]:;|=+*?<>")
"""Characters Windows refuses in account names; ``:`` would also end icacls' principal.

A comma is accepted: it appears in group display names and reaches icacls intact, as the
value travels as one parameter (never split on commas)."""

FOLDER_NAME_FORBIDDEN: Final = frozenset('"<>|:*?\\/')
"""``System.IO.Path.GetInvalidFileNameChars`` on Windows, without the control characters."""

PATH_FORBIDDEN: Final = frozenset('"<>|*?')

_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST: Final = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_INSTANCE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_$#]{0,15}$")
_DRIVE_PATH: Final = re.compile(r"^[A-Za-z]:\\")


def _controls(value: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in ("Cc", "Cf", "Cs")]


def plain_text(value: str, field: str, *, what: str) -> str:
    """A non-empty name without control characters or surrounding blanks."""
    if not value.strip():
        raise ValueError(f"{field} is empty: give the {what}")
    if value != value.strip():
        raise ValueError(
            f"{field} {value!r} starts or ends with blanks: write the {what} exactly as the "
            "cluster shows it"
        )
    bad = _controls(value)
    if bad:
        raise ValueError(f"{field} contains control characters ({', '.join(bad)}): remove them")
    return value


def version_key(value: str, field: str) -> str:
    """The canonical version name (``2008r2`` becomes ``2008R2``)."""
    try:
        return ssis_version(str(value)).key
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def principal(value: str, field: str) -> str:
    """An account or group: ``DOMAIN\\name``, ``NT SERVICE\\name`` or ``name``.

    Every single-quote character is legal in an account name (``O'Brien``): the value
    travels as a parameter, and a literal, where one is written, doubles it (``ps_literal``).
    Refused are the characters Windows refuses in account names, and ``"``, which it
    refuses too and which would also break the native command line icacls receives.
    """
    plain_text(value, field, what="account or group name, e.g. CONTOSO\\SSIS Operators")
    forbidden = sorted({c for c in value if c in ACCOUNT_FORBIDDEN or c == '"'})
    if forbidden:
        raise ValueError(
            f"{field} {value!r} contains {' '.join(forbidden)}, which Windows account names "
            "cannot contain: write DOMAIN\\name"
        )
    parts = value.split("\\")
    if len(parts) > 2 or any(not p.strip() or p != p.strip() for p in parts):
        raise ValueError(
            f"{field} {value!r} is not of the form name or DOMAIN\\name (one backslash, "
            "no blanks around it)"
        )
    return value


def other_ssis_account(value: str, own: str) -> str | None:
    """The product whose SSIS service account ``value`` is, when it is not ``own``."""
    if value.casefold() == own.casefold():
        return None
    for version in ssis_versions().values():
        if value.casefold() == version.service_account.casefold():
            return version.product
    return None


def distinct(values: Sequence[str], field: str, *, what: str) -> None:
    """Refuse entries that differ only by case (Windows compares these names that way)."""
    seen: dict[str, str] = {}
    for value in values:
        folded = value.casefold()
        if folded in seen:
            raise ValueError(
                f"{field} lists {what} {value!r} twice"
                + (f" (also as {seen[folded]!r})" if seen[folded] != value else "")
                + ": give each one once"
            )
        seen[folded] = value


def node_name(value: str, field: str) -> str:
    plain_text(value, field, what="cluster node name")
    if not _HOST.match(value):
        raise ValueError(
            f"{field} {value!r} is not a computer name: use letters, digits and hyphens "
            "(e.g. SQLNODE1)"
        )
    return value


def sql_server_name(value: str, field: str, *, allow_local: bool) -> str:
    """``SERVER`` or ``SERVER\\INSTANCE``; with ``allow_local`` also ``.`` and ``.\\INSTANCE``."""
    plain_text(value, field, what="SQL Server name, e.g. SQLVS01 or SQLVS01\\INST1")
    server, sep, instance = value.partition("\\")
    local_ok = allow_local and server == "."
    if not local_ok and not _HOST.match(server):
        hint = "., " if allow_local else ""
        raise ValueError(
            f"{field} {value!r}: {server!r} is not a server name; write {hint}SERVER or "
            "SERVER\\INSTANCE (e.g. SQLVS01\\INST1)"
        )
    if sep:
        if instance.upper() == "MSSQLSERVER":
            raise ValueError(
                f"{field} {value!r}: the default instance is addressed by the server name "
                f"alone; write {server!r}"
            )
        if not _INSTANCE.match(instance):
            raise ValueError(
                f"{field} {value!r}: {instance!r} is not a SQL Server instance name (1-16 "
                "letters, digits, _ $ #, starting with a letter or _)"
            )
    return value


def folder_on_drive(value: str, field: str) -> str:
    """An absolute folder on a lettered drive (``S:\\SSIS``), without a trailing backslash."""
    plain_text(value, field, what="folder, e.g. S:\\SSIS")
    if not _DRIVE_PATH.match(value):
        raise ValueError(
            f"{field} {value!r} is not an absolute folder on a drive letter: write e.g. "
            "S:\\SSIS (the shared disk is a local drive on the node owning the group; UNC "
            "paths are not supported)"
        )
    bad = sorted({c for c in value[2:] if c in PATH_FORBIDDEN or c == ":"})
    if bad:
        raise ValueError(f"{field} {value!r} contains {' '.join(bad)}, not allowed in a path")
    trimmed = value.rstrip("\\")
    if "\\\\" in trimmed[2:]:
        raise ValueError(f"{field} {value!r} contains an empty folder name (\\\\)")
    if any(part in (".", "..") or part != part.strip() for part in trimmed[3:].split("\\")):
        raise ValueError(
            f"{field} {value!r} has a '.' or '..' component or blanks around a folder name: "
            "write the plain absolute path"
        )
    return trimmed if len(trimmed) > 2 else value[:3]


def file_path(value: str, field: str) -> str:
    """An absolute file path on a lettered drive."""
    checked = folder_on_drive(value, field)
    if checked.endswith("\\"):
        raise ValueError(f"{field} {value!r} names a drive, not a file")
    return checked


def store_path(value: str, field: str) -> str:
    """A package store: absolute (``D:\\SSIS\\Packages``) or relative to DTS\\Binn."""
    plain_text(value, field, what="package folder, e.g. ..\\Packages")
    bad = sorted({c for c in value if c in PATH_FORBIDDEN})
    if bad:
        raise ValueError(f"{field} {value!r} contains {' '.join(bad)}, not allowed in a path")
    return value


def folder_name(value: str, field: str) -> str:
    """A top-level folder name as SSMS shows it (no characters invalid in file names)."""
    plain_text(value, field, what="folder name")
    bad = sorted({c for c in value if c in FOLDER_NAME_FORBIDDEN})
    if bad:
        raise ValueError(
            f"{field} {value!r} contains {' '.join(bad)}, which the SSIS service refuses in "
            "folder names"
        )
    return value


def _version_text(value: Any) -> Any:
    """TOML and ``-p`` may give the version as a number (2019); keys are text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _version_field(value: str, info: ValidationInfo) -> str:
    return version_key(value, str(info.field_name))


SqlVersion = Annotated[str, BeforeValidator(_version_text), AfterValidator(_version_field)]
"""A SQL Server version key that ``ssis.json`` knows, as both SSIS runbooks take it."""
