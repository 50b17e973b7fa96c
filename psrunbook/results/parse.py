"""A pipeline's output and errors -> :class:`ParsedOutput` for one step on one node.

Every psrunbook script ends by emitting exactly one result object
(``ps_templates/_lib/result.ps1.j2``)::

    [PSCustomObject]@{ PSRunbookResult = 1; Changed = ...; CheckOnly = ...; Data = '<json>' }

``Data`` travels as JSON text because remoting serialises output only one level deep.
Anything else the script wrote to the output stream is kept as ``extra_output``. A
broken contract (no result object, two of them, bad JSON, data that does not fit the
step's result model) becomes a :class:`StepError` like any PowerShell error, so the
caller handles one kind of failure.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec
from pydantic import ValidationError

from psrunbook.message_text import quoted
from psrunbook.results.plain import plain
from psrunbook.results.step_error import StepError
from psrunbook.runbook.model import StepResult

__all__ = ["RESULT_MARKER", "ParsedOutput", "parse_output"]

RESULT_MARKER: Final = "PSRunbookResult"
_CONTRACT_ERROR_TYPE: Final = "PSRunbookResultError"
_MAX_VALIDATION_ERRORS: Final = 5

_BUILD_LOCK: Final = threading.Lock()


def _built(result_model: type[StepResult]) -> type[StepResult]:
    """``result_model`` with its validator built, if it can be.

    The built-in SSIS result models build theirs on first use (``defer_build``: a run
    reads the results of its own steps only, issue 16). Node threads read their first
    results at the same moment, and pydantic releases before its fix of pydantic#11849
    rebuilt a model unsafely when two threads did so at once (one could validate with the
    parent's validator), so the first build happens here, once, under a lock. A model
    that cannot be built yet is left as it is: validating it raises pydantic's own error,
    as before.
    """
    if not result_model.__pydantic_complete__:
        with _BUILD_LOCK:
            if not result_model.__pydantic_complete__:
                result_model.model_rebuild(raise_errors=False)
    return result_model


class ParsedOutput(msgspec.Struct, frozen=True):
    """What one pipeline produced, judged against the result contract.

    ``failed`` is True when the pipeline ended Failed, when any error record arrived
    (non-terminating errors leave the pipeline Completed), or when the result contract
    was broken. ``data`` is None whenever no valid result object was found.
    """

    changed: bool
    check_only: bool
    data: StepResult | None
    errors: tuple[StepError, ...]
    failed: bool
    extra_output: tuple[Any, ...]


def _contract_error(message: str, error_id: str) -> StepError:
    return StepError(
        message=message,
        exception_type=_CONTRACT_ERROR_TYPE,
        fully_qualified_error_id=error_id,
        category="InvalidResult",
    )


def _get(props: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """Property lookup, case-insensitive like PowerShell's member access."""
    if name in props:
        return True, props[name]
    folded = name.casefold()
    for key, value in props.items():
        if isinstance(key, str) and key.casefold() == folded:
            return True, value
    return False, None


def _is_result(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    found, marker = _get(value, RESULT_MARKER)
    return found and not isinstance(marker, bool) and str(marker).strip() == "1"


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in {"true", "false"}:
        return value.strip().casefold() == "true"
    return None


def _describe_validation(exc: ValidationError) -> str:
    parts = []
    for item in exc.errors()[:_MAX_VALIDATION_ERRORS]:
        where = quoted(".".join(str(p) for p in item["loc"])) or "(root)"
        parts.append(f"{where}: {item['msg']}")
    more = exc.error_count() - len(parts)
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def _read_result(
    result: Mapping[str, Any], result_model: type[StepResult]
) -> tuple[bool, bool, StepResult | None, list[StepError]]:
    problems: list[StepError] = []
    _, raw_changed = _get(result, "Changed")
    _, raw_check = _get(result, "CheckOnly")
    changed, check_only = _as_bool(raw_changed), _as_bool(raw_check)
    if changed is None:
        problems.append(
            _contract_error(
                f"result object's Changed is {raw_changed!r}, expected $true or $false",
                "PSRunbookResultChangedInvalid",
            )
        )
    if check_only is None:
        problems.append(
            _contract_error(
                f"result object's CheckOnly is {raw_check!r}, expected $true or $false",
                "PSRunbookResultCheckOnlyInvalid",
            )
        )

    found, raw_data = _get(result, "Data")
    payload: Any
    if not found or raw_data is None or (isinstance(raw_data, str) and not raw_data.strip()):
        payload = {}
    elif isinstance(raw_data, str):
        try:
            payload = json.loads(raw_data)
        except json.JSONDecodeError as exc:
            problems.append(
                _contract_error(
                    f"result object's Data is not valid JSON ({exc.msg} at line {exc.lineno} "
                    f"column {exc.colno})",
                    "PSRunbookResultDataNotJson",
                )
            )
            return bool(changed), bool(check_only), None, problems
    else:
        payload = raw_data  # already structured (a fake transport or an older template)
    if payload is None:
        payload = {}  # ConvertTo-Json $null -> 'null': a step with nothing to report

    data: StepResult | None = None
    if not isinstance(payload, Mapping):
        problems.append(
            _contract_error(
                f"result object's Data must be a JSON object, got {type(payload).__name__}",
                "PSRunbookResultDataNotObject",
            )
        )
    else:
        try:
            data = _built(result_model).model_validate(dict(payload))
        except ValidationError as exc:
            problems.append(
                _contract_error(
                    f"result data does not match {result_model.__name__}: "
                    f"{_describe_validation(exc)}",
                    "PSRunbookResultDataInvalid",
                )
            )
    return bool(changed), bool(check_only), data, problems


def parse_output(
    output: Sequence[Any],
    errors: Sequence[Any],
    had_errors: bool,
    result_model: type[StepResult],
) -> ParsedOutput:
    """Judge one pipeline: ``output`` and ``errors`` as pypsrp collected them.

    ``had_errors`` is pypsrp's flag, set only when the pipeline ended Failed; the error
    stream is checked too, because non-terminating errors never set it. A missing result
    object is reported only when nothing else explains it: a script that threw has
    already said why it stopped.
    """
    step_errors = [StepError.from_error_record(record) for record in errors]
    plain_output = [plain(item) for item in output]
    results = [item for item in plain_output if _is_result(item)]
    extra = tuple(item for item in plain_output if not _is_result(item))

    changed = check_only = False
    data: StepResult | None = None
    if len(results) == 1:
        changed, check_only, data, problems = _read_result(results[0], result_model)
        step_errors.extend(problems)
    elif len(results) > 1:
        step_errors.append(
            _contract_error(
                f"script emitted {len(results)} result objects, expected exactly one",
                "PSRunbookResultDuplicate",
            )
        )
    elif not had_errors and not step_errors:
        step_errors.append(
            _contract_error(
                "script emitted no result object (PSRunbookResult = 1); it must end with "
                "the shared result emitter",
                "PSRunbookResultMissing",
            )
        )

    return ParsedOutput(
        changed=changed,
        check_only=check_only,
        data=data,
        errors=tuple(step_errors),
        failed=had_errors or bool(step_errors),
        extra_output=extra,
    )
