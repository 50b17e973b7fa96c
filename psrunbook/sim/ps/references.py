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
  as .NET Framework 4.8 parses (:mod:`.number_parse`, which ``Parse`` shares): True and
  the number, or False and 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psrunbook.sim.ps.number_parse import number_or_none
from psrunbook.sim.ps.scope import Scope

REFERENCE_TYPE = "System.Management.Automation.PSReference"
REFERENCE_TYPE_NAMES = frozenset(("ref", REFERENCE_TYPE.casefold()))
"""``[ref]`` and its full name, case-folded: a cast to them takes the variable, not its
value."""


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


def try_parse(type_name: str, text: Any, into: PSReference) -> bool:
    """``[type]::TryParse(text, [ref]$v)``: True and the number in ``$v``, else False and 0
    (the reading is ``Parse``'s: :mod:`.number_parse`)."""
    number = number_or_none(type_name, text)
    zero = 0.0 if type_name == "double" else 0
    into.set(zero if number is None else number)
    return number is not None
