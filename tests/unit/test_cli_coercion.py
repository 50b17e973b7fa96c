"""Deferred coercion gives every option and argument the value (or error) typer gives.

Every parameter of the application, typer's completion and help options included, is
coerced from the same values both ways: through :class:`DeferredCoercion` and through
typer's own (pydantic) coercion. A typer release that coerces differently fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer._coercion import build_runtime_param

from psrunbook.cli.app import app
from psrunbook.cli.coercion import DeferredCoercion, defer_coercion

VALUES: list[Any] = [
    None,
    (),
    [],
    ("a",),
    ["x", "y"],
    "",
    "x",
    "auto",
    "json",
    "AUTO",
    "5",
    0,
    3,
    -1,
    True,
    False,
    Path("p"),
    1.5,
    # Paths as typed: plain, in Path's own spelling or not (typer quotes what was typed),
    # an existing file and folder, a dash, a NUL (os.stat refuses it).
    "state",
    "a//b/",
    "./x",
    "/",
    ".",
    "-",
    "/nonexistent/folder",
    __file__,
    str(Path(__file__).parent),
    "a\x00b",
    # Numbers at, inside and outside the bounds of the bounded options, as typed and as
    # defaults arrive.
    1,
    8,
    10,
    11,
    256,
    257,
    600.0,
    0.5,
    1.0,
    86_400.0,
    86_401.0,
    float("inf"),
    -float("inf"),
    "8",
    "600",
    # Numbers as typed on the command line: plain decimal (converted without typer) and
    # every spelling left to typer: signs, spaces, underscores, leading zeros, exponents,
    # other scripts' digits, too many digits, out of bounds.
    "0",
    "1",
    "256",
    "257",
    "86400",
    "86401",
    "0.5",
    "600.25",
    "1.",
    ".5",
    "+1",
    "-1",
    " 1",
    "1 ",
    "1_0",
    "01",
    "00",
    "1e3",
    "inf",
    "nan",
    "\u0663",
    "1" * 19,
    "1" * 40,
    "0." + "1" * 15,
    "0." + "1" * 16,
    "1.5.5",
    "1.5e3",
    "2.\u0663",
    "1" * 15 + ".5",
    "1" * 16 + ".5",
]


def _tree(command: Any, path: str = "psrunbook") -> Iterator[tuple[str, Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _tree(sub, f"{path} {name}")


def _params() -> list[tuple[str, Any, Any]]:
    root = typer.main.get_command(app)
    found = []
    for path, command in _tree(root):
        ctx = Context(command, info_name=path, help_option_names=["-h", "--help"])
        defer_coercion(command, ctx)
        for param in [*command.params, command.get_help_option(ctx)]:
            if hasattr(param, "type_descriptor"):
                found.append((f"{path} {param.name}", param, ctx))
    return found


PARAMS = _params()


def _outcome(coerce: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return "value", coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # noqa: BLE001 (the error itself is what is compared)
        return type(exc).__name__, str(exc)


def test_every_parameter_is_deferred() -> None:
    assert len(PARAMS) > 40
    assert all(isinstance(param._runtime_param, DeferredCoercion) for _, param, _ in PARAMS)


@pytest.mark.parametrize(("where", "param", "ctx"), PARAMS, ids=[p[0] for p in PARAMS])
def test_deferred_coercion_matches_typer(where: str, param: Any, ctx: Any) -> None:
    typer_coerce = build_runtime_param(param.type_descriptor).coerce
    deferred = DeferredCoercion(param).coerce
    for value in [*VALUES, param.default]:
        expected = _outcome(typer_coerce, value, param, ctx)
        got = _outcome(deferred, value, param, ctx)
        assert expected == got, (where, value)
        assert type(expected[1]) is type(got[1]), (where, value)


NUMBERS_AS_TYPED = {int: ("1", "8", "10"), float: ("1", "600", "0.5", "600.25")}


@pytest.mark.parametrize(
    ("where", "param", "ctx"),
    [p for p in PARAMS if p[1].type_descriptor.annotation in NUMBERS_AS_TYPED],
    ids=[p[0] for p in PARAMS if p[1].type_descriptor.annotation in NUMBERS_AS_TYPED],
)
def test_numbers_as_typed_need_no_typer_coercion(where: str, param: Any, ctx: Any) -> None:
    """``--parallel 1`` arrives as text: plain decimal inside the bounds is converted
    without building typer's pydantic adapter (issue 16), to what typer makes of it."""
    deferred = DeferredCoercion(param)
    typer_coerce = build_runtime_param(param.type_descriptor).coerce
    for text in NUMBERS_AS_TYPED[param.type_descriptor.annotation]:
        expected = _outcome(typer_coerce, text, param, ctx)
        if expected[0] != "value":
            continue  # outside this option's bounds: typer's error, through typer
        assert expected == _outcome(deferred.coerce, text, param, ctx), (where, text)
        assert deferred._typer is None, (where, text)
