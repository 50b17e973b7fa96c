"""Parameter validation as Windows PowerShell 5.1 binds: a mandatory parameter refuses
``$null``/``''``/``@()`` unless ``[Allow...()]`` says otherwise, and the ``[Validate...()]``
attributes refuse with "Cannot validate argument on parameter 'X'. <reason>"
(ParameterBinderBase.BindParameter; Metadata.resx; MicrosoftDocs/PowerShell-Docs#6578)."""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.lab.specs import fc_spec
from psrunbook.sim.ps.binding import Argument, Binder, BindingFailed
from psrunbook.sim.ps.cmdlet_api import ParamSpec

from .helpers import run


def failed_with(script: str, *arguments: tuple[str | None, Any]) -> tuple[str, str, str]:
    result = run(script, *arguments)
    assert result.failed is not None, (result.output, result.errors)
    record = result.failed
    return record.fully_qualified_error_id, record.message, record.category


@pytest.mark.parametrize(
    ("param", "value", "error_id", "because"),
    [
        ("$X", None, "NullNotAllowed", "because it is null."),
        ("[object]$X", None, "NullNotAllowed", "because it is null."),
        ("[string]$X", "", "EmptyStringNotAllowed", "because it is an empty string."),
        # 5.1 converts $null to '' for a [string] script parameter first (Docs#6578).
        ("[string]$X", None, "EmptyStringNotAllowed", "because it is an empty string."),
        (
            "[AllowNull()][string]$X",
            None,
            "EmptyStringNotAllowed",
            "because it is an empty string.",
        ),
        ("[string[]]$X", [], "EmptyArrayNotAllowed", "because it is an empty array."),
        ("[string[]]$X", ["a", ""], "EmptyStringNotAllowed", "because it is an empty string."),
        ("[object[]]$X", [None], "NullNotAllowed", "because it is null."),
        ("[hashtable]$X", None, "NullNotAllowed", "because it is null."),
    ],
)
def test_a_mandatory_script_parameter_refuses_null_and_empty(
    param: str, value: Any, error_id: str, because: str
) -> None:
    """A PSRP script's own binding error ends the pipeline Failed, as Windows does."""
    fqid, message, category = failed_with(
        f"param([Parameter(Mandatory)]{param})\n'ran'", ("X", value)
    )
    assert f"ParameterArgumentValidationError{error_id}" == fqid
    assert f"Cannot bind argument to parameter 'X' {because}" == message
    assert "InvalidData" == category


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("[AllowNull()]$X", None),
        ("[AllowEmptyString()][string]$X", ""),
        ("[AllowEmptyString()][string]$X", None),
        ("[AllowEmptyCollection()][string[]]$X", []),
        ("[string]$X", "a"),
    ],
)
def test_allow_attributes_let_the_value_through(param: str, value: Any) -> None:
    result = run(f"param([Parameter(Mandatory)]{param})\n'ran'", ("X", value))
    assert (None, ["ran"]) == (result.failed, result.output)


def test_a_functions_null_argument_is_a_statement_terminating_error_named_after_it() -> None:
    result = run("function f { param([Parameter(Mandatory)]$A) 'body' }\nf -A $null\n'next'")
    assert ["next"] == result.output
    assert ["ParameterArgumentValidationErrorNullNotAllowed,f"] == [
        e.fully_qualified_error_id for e in result.errors
    ]
    caught = run(
        "function f { param([Parameter(Mandatory)][string]$A) }\n"
        "try { f -A '' } catch { $_.Exception.GetType().FullName; $_.CategoryInfo.Category }"
    )
    assert ["System.Management.Automation.ParameterBindingValidationException", "InvalidData"] == [
        str(v) for v in caught.output
    ]


def test_a_null_object_piped_to_a_mandatory_parameter_is_a_non_terminating_error() -> None:
    result = run(
        'function f { param([Parameter(Mandatory, ValueFromPipeline)]$A) process { "[$A]" } }\n'
        "1, $null, 2 | f"
    )
    assert ["[1]", "[2]"] == result.output
    assert ["ParameterArgumentValidationErrorNullNotAllowed,f"] == [
        e.fully_qualified_error_id for e in result.errors
    ]


def test_a_cmdlets_mandatory_string_parameter_refuses_null_as_null() -> None:
    """A compiled cmdlet keeps $null for a [string] parameter (HandleNullParameterForSpecial
    Types), so the message says null, not empty string."""
    binder = Binder([ParamSpec("Name", "string", mandatory=True)], "Sim.GetItCommand")
    with pytest.raises(BindingFailed) as raised:
        binder.bind([Argument("Name", None)])
    assert "ParameterArgumentValidationErrorNullNotAllowed,Sim.GetItCommand" == (
        raised.value.record.fully_qualified_error_id
    )
    assert "Cannot bind argument to parameter 'Name' because it is null." == str(raised.value)


def test_the_builtins_mandatory_parameters() -> None:
    """Write-Warning's Message is [AllowEmptyString]; Split-Path's Path is not."""
    result = run("Write-Warning ''; Split-Path -Path ''; 'next'")
    assert [""] == result.warnings
    assert ["ParameterArgumentValidationErrorEmptyStringNotAllowed"] == [
        e.error_id for e in result.errors
    ]


def test_failover_cluster_cmdlets_keep_their_validation_attributes() -> None:
    """The facts' ValidateNotNullOrEmpty() on Add-ClusterCheckpoint -ResourceName."""
    spec = fc_spec("Add-ClusterCheckpoint")
    binder = Binder(spec.parameters, spec.implementing_type)
    with pytest.raises(BindingFailed) as raised:
        binder.bind([Argument("ResourceName", "")])
    assert str(raised.value) == (
        "Cannot validate argument on parameter 'ResourceName'. The argument is null or empty. "
        "Provide an argument that is not null or empty, and then try the command again."
    )


VALIDATE_CASES = [
    ("[ValidateRange(1, 10)][int]$X", 11,
     "The 11 argument is greater than the maximum allowed range of 10. Supply an argument "
     "that is less than or equal to 10 and then try the command again."),
    ("[ValidateRange(1, 10)][int]$X", 0,
     "The 0 argument is less than the minimum allowed range of 1. Supply an argument that "
     "is greater than or equal to 1 and then try the command again."),
    ("[ValidateRange(1, 10)][int[]]$X", [3, 12],
     "The 12 argument is greater than the maximum allowed range of 10. Supply an argument "
     "that is less than or equal to 10 and then try the command again."),
    ("[ValidateLength(2, 4)][string]$X", "abcdef",
     'The character length of the 6 argument is too long. Shorten the character length of '
     'the argument so it is fewer than or equal to "4" characters, and then try the command '
     'again.'),
    ("[ValidateLength(2, 4)][string]$X", "a",
     'The character length (1) of the argument is too short. Specify an argument with a '
     'length that is greater than or equal to "2", and then try the command again.'),
    ("[ValidatePattern('^n\\d$')][string]$X", "node1",
     'The argument "node1" does not match the "^n\\d$" pattern. Supply an argument that '
     'matches "^n\\d$" and try the command again.'),
    ("[ValidateSet('a', 'b')][string]$X", "c",
     'The argument "c" does not belong to the set "a,b" specified by the ValidateSet '
     'attribute. Supply an argument that is in the set and then try the command again.'),
    ("[ValidateCount(1, 2)][string[]]$X", ["a", "b", "c"],
     "The parameter requires at least 1 value(s) and no more than 2 value(s) - 3 value(s) "
     "were provided."),
    ("[ValidateNotNull()]$X", None,
     "The argument is null. Provide a valid value for the argument, and then try running "
     "the command again."),
    ("[ValidateNotNullOrEmpty()][string[]]$X", [],
     "The argument is null, empty, or an element of the argument collection contains a null "
     "value. Supply a collection that does not contain any null values and then try the "
     "command again."),
    ("[ValidateNotNullOrEmpty()][string]$X", "",
     "The argument is null or empty. Provide an argument that is not null or empty, and then "
     "try the command again."),
    ("[ValidateScript({ $_ -gt 5 })][int]$X", 3,
     'The " $_ -gt 5 " validation script for the argument with value "3" did not return a '
     'result of True. Determine why the validation script failed, and then try the command '
     'again.'),
    ("[ValidateScript({ if ($_ -gt 5) { $true } else { throw 'too small' } })][int]$X", 3,
     "too small"),
]  # fmt: skip


@pytest.mark.parametrize(("param", "value", "reason"), VALIDATE_CASES)
def test_validation_attributes_refuse_with_windows_reasons(
    param: str, value: Any, reason: str
) -> None:
    fqid, message, category = failed_with(f"param({param})\n'ran'", ("X", value))
    assert ("ParameterArgumentValidationError", "InvalidData") == (fqid, category)
    assert f"Cannot validate argument on parameter 'X'. {reason}" == message


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("[ValidateRange(1, 10)][int]$X", "10"),
        ("[ValidateLength(2, 4)][string]$X", "abcd"),
        ("[ValidatePattern('^N\\d$')][string]$X", "n1"),
        ("[ValidateSet('a', 'b')][string[]]$X", ["A", "b"]),
        ("[ValidateCount(1, 2)][string[]]$X", "one"),
        ("[ValidateScript({ $_ -gt 5 })][int]$X", 6),
        ("[ValidateNotNull()][string]$X", ""),
    ],
)
def test_valid_arguments_pass(param: str, value: Any) -> None:
    result = run(f"param({param})\n'ran'", ("X", value))
    assert (None, ["ran"]) == (result.failed, result.output)


def test_validation_runs_before_the_mandatory_check_and_not_on_defaults() -> None:
    """5.1 runs the attributes first, so ValidateNotNullOrEmpty speaks for a mandatory
    parameter; a default value is never validated."""
    fqid, _, _ = failed_with(
        "param([Parameter(Mandatory)][ValidateNotNullOrEmpty()][string]$X)\n'ran'", ("X", "")
    )
    assert "ParameterArgumentValidationError" == fqid
    result = run("param([ValidateRange(1, 2)][int]$X = 9)\n$X")
    assert [9] == result.output


def test_a_functions_validation_error_carries_its_name() -> None:
    result = run("function f { param([ValidateRange(1, 2)][int]$A) }\nf -A 3\n'next'")
    assert ["next"] == result.output
    assert ["ParameterArgumentValidationError,f"] == [
        e.fully_qualified_error_id for e in result.errors
    ]
