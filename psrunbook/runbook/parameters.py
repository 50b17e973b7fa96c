"""Turns ``-p key=value`` options and a parameter file into a validated model.

Command-line values are text; pydantic converts them to each field's type. A list
field takes one item per repeated ``-p`` and values are never split on commas, so a
principal such as ``CONTOSO\\SSIS, Operators`` arrives intact.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from psrunbook.errors import ParameterError
from psrunbook.input_files import MAX_INPUT_BYTES, InputFileRefused, read_input_file
from psrunbook.message_text import quoted
from psrunbook.secrets import MASK, Secret, register_secret


def _is_list_field(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list_field(a) for a in typing.get_args(annotation))
    return False


def _is_secret_field(annotation: Any) -> bool:
    if annotation is Secret:
        return True
    return any(_is_secret_field(a) for a in typing.get_args(annotation))


def secret_env_name(field: str) -> str:
    """The environment variable that carries secret parameter ``field``."""
    return "PSRUNBOOK_PARAM_" + field.upper()


def secret_fields(model: type[BaseModel]) -> list[str]:
    return [n for n, f in model.model_fields.items() if _is_secret_field(f.annotation)]


def secrets_from_environment(
    model: type[BaseModel], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Secret parameters given as ``PSRUNBOOK_PARAM_<NAME>`` environment variables."""
    env = os.environ if environ is None else environ
    return {
        name: env[secret_env_name(name)]
        for name in secret_fields(model)
        if env.get(secret_env_name(name))
    }


def parse_assignments(model: type[BaseModel], assignments: Sequence[str]) -> dict[str, Any]:
    """``["a=1", "owners=N1", "owners=N2"]`` -> ``{"a": "1", "owners": ["N1", "N2"]}``.

    Secret parameters are refused here: a command line is visible to every user of the
    machine (``ps``), and shells keep it in their history.
    """
    values: dict[str, Any] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(
                f"-p {item!r} is not of the form key=value: write e.g. -p group='SQL Server'"
            )
        field = model.model_fields.get(key)
        if field is not None and _is_secret_field(field.annotation):
            raise ParameterError(
                f"-p {quoted(key)}: secret parameters are not accepted on the command line; "
                f"set the environment variable {secret_env_name(key)} or use --params-file"
            )
        if field is not None and _is_list_field(field.annotation):
            values.setdefault(key, []).append(value)
        elif key in values:
            raise ParameterError(f"-p {quoted(key)} is given twice but takes one value: keep one")
        else:
            values[key] = value
    return values


def load_params_file(path: Path) -> dict[str, Any]:
    """The values of a ``--params-file``; every problem is a ParameterError naming the file.

    The file type and size are checked before it is read (``/dev/zero`` or a FIFO would
    otherwise exhaust memory or block), and deep nesting, which makes tomllib recurse
    past Python's limit, is refused like any other invalid TOML.
    """
    try:
        return tomllib.loads(read_input_file(path).decode("utf-8"))
    except InputFileRefused as exc:
        raise ParameterError(
            f"parameter file {path} {exc.reason}: give --params-file a TOML file "
            f"(a regular file of at most {MAX_INPUT_BYTES} bytes)"
        ) from None
    except RecursionError:
        raise ParameterError(
            f"parameter file {path} is nested too deeply: write parameters as plain "
            "key = value lines (see `psrunbook show RUNBOOK`)"
        ) from None
    except FileNotFoundError as exc:
        raise ParameterError(f"parameter file {path} does not exist: check --params-file") from exc
    except OSError as exc:
        raise ParameterError(f"parameter file {path} cannot be read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"parameter file {path} is not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ParameterError(
            f"parameter file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from exc


def validate_parameters(
    model: type[BaseModel],
    *,
    file_values: Mapping[str, Any] | None = None,
    assignments: Sequence[str] = (),
    defaults: Mapping[str, Any] | None = None,
    source: str = "parameters",
    file_name: str | None = None,
) -> BaseModel:
    """Merge defaults < file < ``-p`` and validate; every problem named in one message.

    ``file_name`` names the parameter file ``file_values`` came from: a problem with a
    value taken from it says so. Every secret of the validated model is registered for
    redaction here, where it enters the process, so a node that echoes one back (an error
    message, a result) or a library that logs one shows ``***``.
    """
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    layers = (
        (defaults or {}, ""),
        (file_values or {}, f" (in {quoted(file_name)})" if file_name else ""),
        (secrets_from_environment(model), ""),
        (parse_assignments(model, assignments), ""),
    )
    for layer, origin in layers:
        merged.update(layer)
        origins.update(dict.fromkeys(layer, origin))
    try:
        problems = [
            p + origins.get(name, "")
            for name, value in merged.items()
            for p in _control_characters(quoted(name), value)
        ]
        if problems:
            raise ParameterError("\n".join([f"invalid {source}:", *problems]))
        booleans = {
            name: p + origins.get(name, "")
            for name, value in merged.items()
            for p in _not_numbers(model, name, value)
        }
        try:
            params = model.model_validate(merged)
        except ValidationError as exc:
            raise ParameterError(
                format_validation_error(exc, source, origins, replaced=booleans)
            ) from None
        if booleans:  # in range as 1 or 0, yet still not a number
            raise ParameterError("\n".join([f"invalid {source}:", *booleans.values()]))
    except RecursionError:
        # Dotted keys (a.b.c... = 1) nest without limit in TOML; checks recurse into them.
        raise ParameterError(
            f"invalid {source}: values are nested too deeply; give plain values, "
            "lists or one level of tables"
        ) from None
    for secret in _secrets_in(params):
        register_secret(secret)
    return params


_ALLOWED_CONTROLS = frozenset("\t\r\n")


def _control_characters(location: str, value: Any) -> list[str]:
    """Control characters (other than tab, CR, LF) and lone surrogates, refused up front.

    No cmdlet parameter a runbook takes needs one, a terminal or log viewer may act on
    one, and a bundle's literal wrappers cannot carry one; the message gives the position,
    never the value (it may be a secret).
    """
    if isinstance(value, str):
        for index, char in enumerate(value):
            category = unicodedata.category(char)
            if category == "Cc" and char not in _ALLOWED_CONTROLS:
                return [
                    f"  {location}: control character U+{ord(char):04X} at position {index} "
                    "is not allowed"
                ]
            if category == "Cs":
                # Bytes that are not UTF-8 on the command line arrive as lone surrogates.
                return [
                    f"  {location}: invalid text at position {index} (not UTF-8, or an "
                    "unpaired surrogate); check the terminal's or the file's encoding"
                ]
        return []
    if isinstance(value, list | tuple):
        return [
            p for i, item in enumerate(value) for p in _control_characters(f"{location}[{i}]", item)
        ]
    if isinstance(value, dict):
        return [
            p
            for k, item in value.items()
            for p in _control_characters(f"{location}.{quoted(k)}", item)
        ]
    return []


def _number_kind(annotation: Any) -> str | None:
    """``whole number`` or ``number`` when a field takes only numbers (``int``, ``float``,
    optionally ``None``), else None."""
    if annotation is int:
        return "whole number"
    if annotation is float:
        return "number"
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = {_number_kind(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if typing.get_origin(annotation) is typing.Annotated:
        return _number_kind(typing.get_args(annotation)[0])
    return None


def _not_numbers(model: type[BaseModel], name: str, value: Any) -> list[str]:
    """A boolean given for a number field, refused as what it is.

    pydantic reads ``true`` as 1 for an ``int`` field, so ``online_timeout_s = true``
    would be "greater than or equal to 5", and ``true`` for a field from 0 up would pass
    as 1. The message names the field and says a boolean is not a number.
    """
    field = model.model_fields.get(name)
    kind = _number_kind(field.annotation) if field is not None else None
    if kind is None or not isinstance(value, bool):
        return []
    written = "true" if value else "false"
    return [f"  {quoted(name)}: is {written}, a boolean, not a number; give a {kind}"]


def format_validation_error(
    exc: ValidationError,
    source: str,
    origins: Mapping[str, str] | None = None,
    *,
    replaced: Mapping[str, str] | None = None,
) -> str:
    """One line per problem: field, what is wrong, and the value's type (never the value).

    Keys and messages are quoted (:func:`~psrunbook.message_text.quoted`): a key read
    from a file cannot start a second, forged line. ``origins`` maps a top-level field to
    where its value came from (`` (in FILE)``), added to its lines; ``replaced`` maps a
    top-level field to the line that says what is wrong with it instead of pydantic's.
    """
    lines = [f"invalid {source}:", *(replaced or {}).values()]
    for error in exc.errors(include_url=False, include_input=False):
        if error["loc"] and str(error["loc"][0]) in (replaced or {}):
            continue
        location = ".".join(quoted(part) for part in error["loc"]) or "(all)"
        message = quoted(error["msg"])
        if error["type"] == "extra_forbidden":
            message = "unknown parameter; see `psrunbook show RUNBOOK` for the accepted names"
        elif error["type"] == "missing":
            message = "required; give it with -p " + location + "=VALUE or in --params-file"
        origin = (origins or {}).get(str(error["loc"][0]), "") if error["loc"] else ""
        lines.append(f"  {location}: {message}{origin}")
    return "\n".join(lines)


def public_parameters(params: BaseModel) -> dict[str, Any]:
    """The parameters as JSON-able data with every secret replaced by the mask."""
    result: dict[str, Any] = {}
    for name in type(params).model_fields:
        value = getattr(params, name)
        result[name] = _public(value)
    return result


def _secrets_in(value: Any) -> Iterator[Secret]:
    """Every :class:`Secret` in a validated model, nested models and collections included."""
    if isinstance(value, Secret):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secrets_in(getattr(value, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _secrets_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _secrets_in(item)


def _public(value: Any) -> Any:
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, BaseModel):
        return public_parameters(value)
    if isinstance(value, Mapping):
        return {str(k): _public(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_public(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "value") and hasattr(value, "name") and not isinstance(value, str | int):
        return _public(value.value)
    return value
