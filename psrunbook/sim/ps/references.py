"""``[ref]$x`` and the ``TryParse`` methods that write through one.

``[int]::TryParse($text, [ref]$n)`` is how scripts test a number without a try/catch:
PowerShell passes a System.Management.Automation.PSReference to the variable, and the
method's out parameter writes the variable. The lab models:

- ``[ref]$name`` of a defined variable (the reference keeps the scope that holds it, as
  PowerShell's keeps the PSVariable, so a function called with it writes the caller's
  variable, converted to its type constraint) and ``[ref]$null`` (a holder of its own);
  ``.Value`` reads and writes it.
  UNVERIFIED, so refused: ``[ref]`` of a variable that does not exist, of a scoped or
  drive-qualified name, or of anything but a variable.
- ``[int]``/``[int32]``/``[long]``/``[int64]``/``[double]``'s ``TryParse(text, [ref]$v)``
  as .NET Framework 4.8 parses with its defaults (NumberStyles.Integer: blanks around,
  a leading sign; NumberStyles.Float | AllowThousands for Double: also a decimal point,
  an exponent and thousands separators; en-US): True and the number, or False and 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from psrunbook.sim.ps.scope import Scope
from psrunbook.sim.ps.values import to_string

REFERENCE_TYPE = "System.Management.Automation.PSReference"
REFERENCE_TYPE_NAMES = frozenset(("ref", REFERENCE_TYPE.casefold()))
"""``[ref]`` and its full name, case-folded: a cast to them takes the variable, not its
value."""
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_FLOAT = re.compile(r"\s*[+-]?(?:\d[\d,]*)?(?:\.\d*)?(?:[eE][+-]?\d+)?\s*")
_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_KINDS = {"int": "int", "int32": "int", "long": "long", "int64": "long", "double": "double"}


class PSReference:
    """``[ref]$x``: the variable ``name`` of ``scope``, written through ``write`` (the
    evaluator's assignment, so the variable's type constraint converts the value), or a
    holder of its own (``[ref]$null``)."""

    def __init__(
        self,
        scope: Scope | None = None,
        name: str | None = None,
        write: Callable[[Any], None] | None = None,
    ) -> None:
        self._scope = scope
        self._name = name
        self._write = write
        self._held: Any = None

    @property
    def value(self) -> Any:
        if self._scope is None or self._name is None:
            return self._held
        return self._scope.get(self._name)[1]

    def set(self, value: Any) -> None:
        if self._write is None:
            self._held = value
        else:
            self._write(value)

    def __str__(self) -> str:
        return REFERENCE_TYPE


def parses(type_name: str) -> bool:
    """Whether ``[type_name]::TryParse`` is modelled."""
    return type_name in _KINDS


def try_parse(type_name: str, text: Any, into: PSReference) -> bool:
    """``[type]::TryParse(text, [ref]$v)``: True and the number in ``$v``, else False and 0."""
    kind = _KINDS[type_name]
    number = _parse(kind, None if text is None else to_string(text))
    into.set(0.0 if number is None and kind == "double" else (0 if number is None else number))
    return number is not None


def _parse(kind: str, text: str | None) -> int | float | None:
    if text is None:
        return None
    if kind == "double":
        stripped = text.strip()
        if stripped in ("NaN", "Infinity", "-Infinity"):
            return float(stripped)
        if _FLOAT.fullmatch(text) is None or not any(c.isdigit() for c in text):
            return None
        integer_part = stripped.lstrip("+-").split(".")[0].split("e")[0].split("E")[0]
        if integer_part.startswith(","):
            return None
        value = float(stripped.replace(",", ""))
        return None if math.isinf(value) else value
    if _INTEGER.fullmatch(text) is None:
        return None
    value = int(text.strip())
    low, high = _RANGES[kind]
    return value if low <= value <= high else None
