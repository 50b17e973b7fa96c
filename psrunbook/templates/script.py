"""What a rendered template is: its text, its hash and the parameters it declares.

``check_arguments`` is the gate between Python values and a script: every value a step
passes must be declared by the script's ``param()`` block and fit its PowerShell type,
and every mandatory parameter must be given. A mismatch is caught while building the
plan, long before a node would reject it half way through a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from psrunbook.errors import TemplateError
from psrunbook.secrets import Secret


class DeclaredParameter(msgspec.Struct, frozen=True):
    """One parameter of a script's ``param()`` block."""

    name: str
    ps_type: str
    mandatory: bool
    has_default: bool


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_TYPE_CHECKS: dict[str, tuple[str, Any]] = {
    "string": ("a string", lambda v: isinstance(v, str)),
    "string[]": (
        "a list of strings",
        lambda v: isinstance(v, list | tuple) and all(isinstance(i, str) for i in v),
    ),
    "int": ("a whole number", _is_int),
    "long": ("a whole number", _is_int),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "switch": ("true or false", lambda v: isinstance(v, bool)),
    "hashtable": ("a table of values", lambda v: isinstance(v, Mapping)),
    "securestring": ("a secret", lambda v: isinstance(v, Secret)),
    "object": ("any value", lambda v: True),
}


class RenderedScript(msgspec.Struct, frozen=True):
    """A template rendered to the exact text that runs, identified by its sha256."""

    template_id: str
    text: str
    sha256: str
    parameters: tuple[DeclaredParameter, ...]

    def parameter(self, name: str) -> DeclaredParameter | None:
        folded = name.casefold()
        return next((p for p in self.parameters if p.name.casefold() == folded), None)

    def check_arguments(self, arguments: Mapping[str, Any]) -> None:
        """Refuse unknown, missing or mistyped values, naming each one."""
        problems: list[str] = []
        by_name: dict[str, DeclaredParameter] = {}
        for parameter in self.parameters:  # the first of a name, as ``parameter`` finds
            by_name.setdefault(parameter.name.casefold(), parameter)
        for name, value in arguments.items():
            declared = by_name.get(name.casefold())
            if declared is None:
                known = ", ".join(p.name for p in self.parameters) or "none"
                problems.append(f"unknown parameter {name!r} (declared: {known})")
                continue
            expected, check = _TYPE_CHECKS.get(declared.ps_type, _TYPE_CHECKS["object"])
            if value is not None and not check(value):
                problems.append(
                    f"parameter {declared.name!r} is [{declared.ps_type}] and needs {expected}, "
                    f"got {type(value).__name__}"
                )
        given = {name.casefold() for name, value in arguments.items() if value is not None}
        problems.extend(
            f"mandatory parameter {p.name!r} is not given"
            for p in self.parameters
            if p.mandatory and p.name.casefold() not in given
        )
        if problems:
            raise TemplateError(f"template {self.template_id}: " + "; ".join(problems))
