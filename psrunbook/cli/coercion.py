"""Option values that need no pydantic: typer's own coercion, built only when it is needed.

typer (0.29) turns every parameter's value into its annotated type through a pydantic
``TypeAdapter``, built when the parameter is first processed, even when the value is
the default ``None``. So any command that runs, ``psrunbook list`` or even
``--version``, imported pydantic (issue 16: about a third of ``list``'s start-up).

:class:`PsrunbookGroup` gives every parameter of the application a :class:`DeferredCoercion`:
the values whose coercion is an identity (``None``, an unset repeated option, a ``str``
for a ``str`` parameter, an ``int`` or ``float`` inside its parameter's bounds, one of a
``Literal``'s own values) are returned as typer would return them, and a path given as
text is made a ``Path`` as pydantic makes it (``Path(text)``) and then checked by typer's
own path code. A number typed on the command line (``--parallel 1``, ``--step-timeout
600``) arrives as text: plain ASCII decimal digits (an optional fraction for a ``float``)
are what pydantic reads as ``int(text)`` or ``float(text)``, so inside the bounds they are
converted here. Any other value goes through typer's own coercion, built on first use, so
errors and conversions are exactly typer's. tests/unit/test_cli_coercion.py compares
both for every parameter of the application.

So ``run ... --sim --state-dir DIR``, or ``--parallel 1``, coerces nothing through
pydantic: typer's adapters module (and the pydantic modules only it needs) stay unloaded
(issue 16; ``tests/unit/test_cli_startup.py`` keeps it so).

typer keeps the coercion in a private slot (``_runtime_param``); when a typer release
no longer has it, nothing is installed and typer works as it always does.
"""

from __future__ import annotations

import math
import typing
from pathlib import Path
from typing import Any

from typer._param_types import coerce_cli_path, routes_to_path
from typer.core import TyperGroup

_MISSING = object()
"""The value is not one whose coercion is an identity: ask typer."""


def _plain_digits(text: str, most: int) -> bool:
    """ASCII digits, at most ``most`` of them, without a leading zero (``0`` itself is)."""
    return (
        0 < len(text) <= most
        and text.isascii()
        and text.isdigit()
        and (text == "0" or not text.startswith("0"))
    )


def _int_text(text: str) -> bool:
    """An ``int`` as typed, read alike by ``int()`` and pydantic: no sign, space, underscore
    or leading zero (those, and anything longer, are left to typer)."""
    return _plain_digits(text, 18)


def _float_text(text: str) -> bool:
    """A ``float`` as typed, in the plain decimal form ``float()`` and pydantic both round
    correctly (no exponent, ``inf`` or ``nan``: left to typer)."""
    whole, point, fraction = text.partition(".")
    if not _plain_digits(whole, 15):
        return False
    return not point or (0 < len(fraction) <= 15 and fraction.isascii() and fraction.isdigit())


class DeferredCoercion:
    """A parameter's coercion: identities answered here, the rest by typer's own."""

    def __init__(self, param: Any) -> None:
        self._param = param
        self._typer: Any = None
        descriptor = param.type_descriptor
        info = descriptor.parameter_info
        self._annotation = descriptor.annotation
        self._plain = info.parser is None and descriptor.file_annotation is None
        self._info = info
        # A plain ``Path`` option (no path_type of its own): typer's adapter would make
        # the text a Path with pydantic, then run coerce_cli_path on it.
        self._path_option = (
            self._plain
            and self._annotation is Path
            and info.path_type is None
            and routes_to_path(self._annotation, info)
        )
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
        if self._is_plain_path_text(value, multiple):
            # pydantic's str -> Path is Path(text); the checks and errors are typer's.
            return coerce_cli_path(Path(value), self._info, path_type=Path, param=param, ctx=ctx)
        return self.typer_coercion().coerce(value, param, ctx)

    def _is_plain_path_text(self, value: Any, multiple: bool) -> bool:
        """Text that pydantic would turn into ``Path(value)`` and typer's messages would
        quote as it is: already in ``Path``'s own spelling (typer quotes what was typed),
        and no NUL (``os.stat`` refuses it with ValueError, which pydantic rewords)."""
        if not self._path_option or multiple or type(value) is not str:
            return False
        return "\x00" not in value and str(Path(value)) == value

    def _in_range(self, value: int | float) -> bool:
        if self._info.clamp:
            return False
        low, high = self._info.min, self._info.max
        return (low is None or value >= low) and (high is None or value <= high)

    def _number_of_text(self, text: str) -> Any:
        """``text`` as the number pydantic makes of it for an ``int`` or ``float``
        parameter, when it is plain decimal; otherwise ``text`` unchanged."""
        if self._annotation is int and _int_text(text):
            return int(text)
        if self._annotation is float and _float_text(text):
            return float(text)
        return text

    def _identity(self, value: Any, multiple: bool) -> Any:
        if not self._plain:
            return _MISSING
        if multiple:
            # An unset repeated option: typer's list adapter returns an empty list.
            empty = isinstance(value, tuple | list) and not value
            return [] if empty and typing.get_origin(self._annotation) is list else _MISSING
        if self._annotation is str and type(value) is str:
            return value
        if type(value) is str:
            value = self._number_of_text(value)
        if self._annotation is int and type(value) is int and self._in_range(value):
            return value
        if (
            self._annotation is float
            and type(value) is float
            and math.isfinite(value)
            and self._in_range(value)
        ):
            return value
        if type(value) is str and value in self._choices:
            return value
        return _MISSING


class ApplicationCoercion(DeferredCoercion):
    """:class:`DeferredCoercion` (typer's values and errors) and one rule of psrunbook's own.

    A path given as blank text is refused: ``--state-dir ""`` is ``Path("")``, which is
    ``.``, so the journal and the simulated lab would silently land in the current folder
    (``-o ""`` would export there). Nothing psrunbook takes as a path means "here" when
    left empty; ``.`` still says it on purpose. An empty environment variable is unset
    (click ignores it, as the XDG base-directory spec reads an empty ``XDG_STATE_HOME``),
    so it never reaches this; one of blanks does, and is refused the same way.
    """

    def __init__(self, param: Any) -> None:
        super().__init__(param)
        annotation = param.type_descriptor.annotation
        self._paths = annotation is Path or (
            typing.get_origin(annotation) in (list, tuple) and Path in typing.get_args(annotation)
        )

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        texts = value if isinstance(value, tuple | list) else (value,)
        if self._paths and any(type(t) is str and not t.strip() for t in texts):
            from typer._click.exceptions import BadParameter

            raise BadParameter(
                "a blank path names no folder or file; give a path (. for the current folder)",
                ctx=ctx,
                param=param,
            )
        return super().coerce(value, param, ctx)


def _defer(param: Any) -> None:
    if getattr(param, "_runtime_param", False) is None and hasattr(param, "type_descriptor"):
        param._runtime_param = ApplicationCoercion(param)  # typer's lazy slot (docstring)


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
