"""Option values that need no pydantic: typer's own coercion, built only when it is needed.

typer (0.29) turns every parameter's value into its annotated type through a pydantic
``TypeAdapter``, built when the parameter is first processed, even when the value is
the default ``None``. So any command that runs, ``psrunbook list`` or even
``--version``, imported pydantic (issue 16: about a third of ``list``'s start-up).

:class:`PsrunbookGroup` gives every parameter of the application a :class:`DeferredCoercion`:
the values whose coercion is an identity (``None``, an unset repeated option, a ``str``
for a ``str`` parameter, an ``int`` for a plain ``int``, one of a ``Literal``'s own
values) are returned as typer would return them; any other value goes through typer's
own coercion, built on first use, so errors and conversions are exactly typer's.
tests/unit/test_cli_coercion.py compares both for every parameter of the application.

typer keeps the coercion in a private slot (``_runtime_param``); when a typer release
no longer has it, nothing is installed and typer works as it always does.
"""

from __future__ import annotations

import typing
from typing import Any

from typer.core import TyperGroup

_MISSING = object()
"""The value is not one whose coercion is an identity: ask typer."""


class DeferredCoercion:
    """A parameter's coercion: identities answered here, the rest by typer's own."""

    def __init__(self, param: Any) -> None:
        self._param = param
        self._typer: Any = None
        descriptor = param.type_descriptor
        info = descriptor.parameter_info
        self._annotation = descriptor.annotation
        self._plain = info.parser is None and descriptor.file_annotation is None
        self._unbounded = info.min is None and info.max is None and not info.clamp
        self._choices: tuple[Any, ...] = (
            typing.get_args(self._annotation)
            if typing.get_origin(self._annotation) is typing.Literal and info.case_sensitive
            else ()
        )

    def typer_coercion(self) -> Any:
        """typer's own coercion of this parameter (pydantic), built once."""
        if self._typer is None:
            from typer._coercion import build_runtime_param

            self._typer = build_runtime_param(self._param.type_descriptor)
        return self._typer

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multiple = param.multiple or param.nargs == -1
        if value is None:  # what typer's RuntimeParam.coerce returns, before any adapter
            return () if multiple else None
        same = self._identity(value, multiple)
        if same is not _MISSING:
            return same
        return self.typer_coercion().coerce(value, param, ctx)

    def _identity(self, value: Any, multiple: bool) -> Any:
        if not self._plain:
            return _MISSING
        if multiple:
            # An unset repeated option: typer's list adapter returns an empty list.
            empty = isinstance(value, tuple | list) and not value
            return [] if empty and typing.get_origin(self._annotation) is list else _MISSING
        if self._annotation is str and type(value) is str:
            return value
        if self._annotation is int and type(value) is int and self._unbounded:
            return value
        if type(value) is str and value in self._choices:
            return value
        return _MISSING


def _defer(param: Any) -> None:
    if getattr(param, "_runtime_param", False) is None and hasattr(param, "type_descriptor"):
        param._runtime_param = DeferredCoercion(param)  # typer's lazy slot (module docstring)


def defer_coercion(command: Any, ctx: Any) -> None:
    """Give each typer parameter of ``command``, its ``--help`` option included, a deferred
    coercion (one that has a coercion already keeps it).

    A command's help option is made when first asked for, with the names the context
    gives; every command here inherits the root's (``-h``, ``--help``), so ``ctx`` may be
    the parent's."""
    for param in getattr(command, "params", ()):
        _defer(param)
    help_option = getattr(command, "get_help_option", None)
    if help_option is not None:
        _defer(help_option(ctx))


class PsrunbookGroup(TyperGroup):
    """The application's command group: the parameters of the command that runs coerce
    without pydantic unless their values need it (see the module docstring).

    Installed as the command line is parsed, on the group and on the command it resolves
    (and, for a group such as ``sim``, on that group's commands): only what runs is
    touched, and typer adds its completion options after building the group."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        defer_coercion(self, ctx)
        rest: list[str] = super().parse_args(ctx, args)
        return rest

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            defer_coercion(command, ctx)
            for sub in getattr(command, "commands", {}).values():
                defer_coercion(sub, ctx)
        return name, command, rest
