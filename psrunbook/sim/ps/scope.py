"""Variable scopes: the script scope, child scopes for script blocks, the global scope.

Names are case-insensitive. A scope also carries the strict-mode version set in it,
because ``Set-StrictMode`` is scoped like a variable in PowerShell.
"""

from __future__ import annotations

from typing import Any


class Scope:
    """One scope; lookups walk to the parent."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.variables: dict[str, tuple[str, Any]] = {}
        self.constraints: dict[str, str] = {}
        self.strict: int | None = None
        self.functions: dict[str, Any] = {}
        """Functions defined in this scope (``function``/``filter``), by folded name."""

    def find(self, name: str) -> Scope | None:
        """The nearest scope that defines ``name``."""
        folded = name.casefold()
        scope: Scope | None = self
        while scope is not None:
            if folded in scope.variables:
                return scope
            scope = scope.parent
        return None

    def get(self, name: str) -> tuple[bool, Any]:
        """``(found, value)`` for ``name`` looked up through the parents."""
        scope = self.find(name)
        if scope is None:
            return False, None
        return True, scope.variables[name.casefold()][1]

    def set_local(self, name: str, value: Any) -> None:
        self.variables[name.casefold()] = (name, value)

    def constraint(self, name: str) -> str | None:
        folded = name.casefold()
        scope: Scope | None = self
        while scope is not None:
            if folded in scope.variables:
                return scope.constraints.get(folded)
            scope = scope.parent
        return None

    def function(self, name: str) -> Any:
        """The nearest function called ``name``, or None."""
        folded = name.casefold()
        scope: Scope | None = self
        while scope is not None:
            found = scope.functions.get(folded)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def strict_version(self) -> int:
        scope: Scope | None = self
        while scope is not None:
            if scope.strict is not None:
                return scope.strict
            scope = scope.parent
        return 0
