"""Parameter binding: cmdlets (names, aliases, prefixes, positions, switches, pipeline)
and script param() blocks bound from PSRP arguments."""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.objects import PSHashtable, SecureStringValue
from psrunbook.sim.ps.binding import Argument, Binder, BindingFailed
from psrunbook.sim.ps.cmdlet_api import ParamSpec

from .helpers import run, table


def bound_args(script: str) -> PSHashtable:
    commands = table()
    result = run(script, commands=commands)
    assert result.failed is None, result.failed
    assert [] == result.errors
    (call,) = commands["Get-Thing"].calls
    assert isinstance(call, PSHashtable)
    return call


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("Get-Thing -Name alpha", {"Name": ["alpha"]}),
        ("Get-Thing -name 'alpha'", {"Name": ["alpha"]}),
        ("Get-Thing -Na alpha", {"Name": ["alpha"]}),
        ("Get-Thing alpha", {"Name": ["alpha"]}),
        ("Get-Thing -Name 'alpha', 'beta'", {"Name": ["alpha", "beta"]}),
        ("Get-Thing -Count '5'", {"Count": 5}),
        ("Get-Thing -Count 5 -Force", {"Count": 5, "Force": True}),
        ("Get-Thing -F", {"Force": True}),
        ("Get-Thing -Force:$false", {"Force": False}),
        ("Get-Thing -Force:$true -Flag $false", {"Force": True, "Flag": False}),
        ("Get-Thing -Flag 1", {"Flag": True}),
        ("Get-Thing -Force alpha", {"Force": True, "Name": ["alpha"]}),
        ("$p = @{ Count = 2; Force = $true }; Get-Thing @p", {"Count": 2, "Force": True}),
        ("$p = @{ Force = $false }; Get-Thing @p -Count 1", {"Force": False, "Count": 1}),
        ("Get-Thing -Count 1 -ErrorAction SilentlyContinue -Verbose", {"Count": 1}),
        ("Get-Thing -Name:alpha", {"Name": ["alpha"]}),
    ],
)
def test_cmdlet_binding(script: str, expected: dict[str, Any]) -> None:
    """Arguments reach the cmdlet under canonical names, converted to the declared type."""
    assert expected == dict(bound_args(script))


@pytest.mark.parametrize(
    ("script", "error_id"),
    [
        ("Get-Thing -Bogus 1", "NamedParameterNotFound"),
        ("Get-Thing -Count", "MissingArgument"),
        ("Get-Thing -Count -Force", "MissingArgument"),
        ("Get-Thing -Count 'many'", "CannotConvertArgumentNoMessage"),
        ("Get-Thing -Flag 'yes'", "ParameterArgumentTransformationError"),
        ("Get-Thing a b", "PositionalParameterNotFound"),
        ("Get-Thing -Count 1 -Count 2", "ParameterAlreadyBound"),
        ("Set-Thing -Value 1", "MissingMandatoryParameter"),
        ("Get-Thing -ErrorAction Sometimes", "CannotConvertArgumentNoMessage"),
    ],
)
def test_binding_errors(script: str, error_id: str) -> None:
    """Binding failures are ParameterBindingException records, category InvalidArgument."""
    result = run(script)
    assert result.failed is None
    (record,) = result.errors
    assert error_id == record.error_id
    assert "InvalidArgument" == record.category
    assert record.exception_type.endswith("ParameterBindingException")


def test_ambiguous_prefix() -> None:
    """A prefix matching two parameters is refused, naming both."""
    binder = Binder((ParamSpec("Alpha", "string"), ParamSpec("Alpine", "string")), "T")
    with pytest.raises(BindingFailed) as ambiguous:
        binder.bind([Argument("Al", "x", colon=True)])
    assert "AmbiguousParameter" == ambiguous.value.record.error_id
    assert "-Alpha -Alpine" in ambiguous.value.record.message
    assert {"Alpha": "x"} == dict(binder.bind([Argument("alph", "x", colon=True)]))


def test_pipeline_by_value_calls_once_per_object() -> None:
    """A cmdlet is invoked once per piped object, bound by value."""
    result = run("Get-Thing | Set-Thing 5; Get-Thing | ForEach-Object Value")
    assert [5, 5] == result.output


def test_pipeline_by_property_name() -> None:
    """Objects with a Name property bind to -Name by property name."""
    commands = table()
    run(
        "[pscustomobject]@{ Name = 'alpha' }, [pscustomobject]@{ Name = 'beta' } | Get-Thing",
        commands=commands,
    )
    assert [["alpha"], ["beta"]] == [c["Name"] for c in commands["Get-Thing"].calls]


def test_pipeline_input_that_binds_nowhere() -> None:
    """A string piped into a command without pipeline parameters is InputObjectNotBound."""
    result = run("'x' | Get-Thing")
    assert ["InputObjectNotBound,Sim.Commands.GetThingCommand"] == [
        e.fully_qualified_error_id for e in result.errors
    ]


def test_empty_pipeline_does_not_call_the_cmdlet() -> None:
    """A cmdlet after an empty pipeline stage is not invoked at all."""
    commands = table()
    run("@() | Get-Thing", commands=commands)
    assert [] == commands["Get-Thing"].calls


SCRIPT = """param(
    [Parameter(Mandatory = $true)][string]$Name,
    [string[]]$Nodes = @('n1'),
    [int]$Port = 1433,
    [bool]$Enabled = $true,
    [switch]$Force,
    [hashtable]$Extra,
    [securestring]$Secret,
    [object]$Anything
)
"$Name|$($Nodes -join ',')|$Port|$Enabled|$Force|$($null -eq $Extra)|$($Anything)"
"""


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ((("Name", "sql"),), "sql|n1|1433|True|False|True|"),
        ((("name", "sql"), ("Port", "1500"), ("Force", None)), "sql|n1|1500|True|True|True|"),
        ((("Name", "s"), ("Nodes", "a")), "s|a|1433|True|False|True|"),
        ((("Name", "s"), ("Nodes", ["a", "b"]), ("Force", True)), "s|a,b|1433|True|True|True|"),
        ((("Name", "s"), ("Enabled", False), ("Anything", 7)), "s|n1|1433|False|False|True|7"),
        (((None, "pos"), (None, ["x", "y"])), "pos|x,y|1433|True|False|True|"),
        ((("Name", "s"), ("Extra", PSHashtable([("a", 1)]))), "s|n1|1433|True|False|False|"),
    ],
)
def test_script_parameters_from_psrp(
    arguments: tuple[tuple[str | None, Any], ...], expected: str
) -> None:
    """The script's param() block binds PSRP named and positional arguments."""
    result = run(SCRIPT, *arguments)
    assert result.failed is None, result.failed
    assert [expected] == result.output


def test_secure_string_parameter() -> None:
    """A SecureString argument binds to [securestring] and never shows its text."""
    secret = SecureStringValue("p@ss")
    result = run(
        SCRIPT + '$Secret -is [securestring]; "$Secret"', ("Name", "x"), ("Secret", secret)
    )
    assert [True, "System.Security.SecureString"] == result.output[1:]


@pytest.mark.parametrize(
    ("arguments", "error_id"),
    [
        ((), "MissingMandatoryParameter"),
        ((("Name", "x"), ("Port", "abc")), "ParameterArgumentTransformationError"),
        ((("Name", "x"), ("Bogus", 1)), "NamedParameterNotFound"),
        ((("Name", "x"), ("Extra", "not a table")), "ParameterArgumentTransformationError"),
        ((("Name", ""),), "ParameterArgumentValidationErrorEmptyStringNotAllowed"),
        ((("Name", "x"), ("Secret", "plain")), "ParameterArgumentTransformationError"),
    ],
)
def test_script_parameter_errors(
    arguments: tuple[tuple[str | None, Any], ...], error_id: str
) -> None:
    """Binding errors of the script itself end the pipeline Failed."""
    result = run(SCRIPT, *arguments)
    assert result.failed is not None
    assert error_id == result.failed.error_id
    assert [] == result.output


def test_validate_set_and_not_null_or_empty() -> None:
    """ValidateSet (case-insensitive) and ValidateNotNullOrEmpty check given arguments."""
    script = (
        "param([ValidateSet('Apply', 'Check')][string]$Mode = 'Check',\n"
        "[ValidateNotNullOrEmpty()][string]$Path = 'p')\n\"$Mode $Path\""
    )
    assert ["apply p"] == run(script, ("Mode", "apply")).output
    failed = run(script, ("Mode", "Other")).failed
    assert failed is not None and "ParameterArgumentValidationError" == failed.error_id
    assert run(script, ("Path", "")).failed is not None


def test_cmdletbinding_enables_common_parameters() -> None:
    """[CmdletBinding()] scripts take -ErrorAction and -Verbose from PSRP."""
    script = "[CmdletBinding()]\nparam([string]$A)\nWrite-Verbose 'v'; Write-Error 'e'; 'done'"
    result = run(script, ("A", "x"), ("Verbose", True), ("ErrorAction", "SilentlyContinue"))
    assert (["done"], ["v"], []) == (result.output, result.verbose, result.errors)


def test_simple_script_collects_extra_arguments_in_args() -> None:
    """Without [Parameter()]/[CmdletBinding()], unknown arguments land in $args."""
    result = run('param($A)\n"$A"; $args.Count', ("A", 1), (None, 2), ("Other", 3))
    assert ["1", 3] == result.output


def test_bound_parameters_and_typed_default_conversion() -> None:
    """$PSBoundParameters holds only given parameters; typed defaults are converted."""
    script = "param([string]$A, [int]$B = '4')\n$PSBoundParameters.Keys -join ','; $B + 1"
    assert ["A", 5] == run(script, ("A", "x")).output


def test_type_constraint_persists_after_binding() -> None:
    """A [string] parameter stays a string when assigned later, as PowerShell does."""
    result = run("param([string]$A)\n$A = 5; $A.GetType().Name; $A = $null; $A -eq ''", ("A", "x"))
    assert ["String", True] == result.output


def test_script_block_parameters() -> None:
    """& { param($a, $b) } binds positional and named arguments."""
    assert ["1-2", "y-x"] == run(
        '& { param($a, $b) "$a-$b" } 1 2; & { param($a, $b) "$a-$b" } -b x y'
    ).output


def test_parameter_alias_attribute() -> None:
    """[Alias()] on a script parameter binds the alias name."""
    script = "param([Alias('Server')][string]$ComputerName)\n$ComputerName"
    assert ["n1"] == run(script, ("server", "n1")).output


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("function f { param($Alpha, $Also) }; f -Al 1", "AmbiguousParameter,f"),
        ("function f { [CmdletBinding()] param($A) }; f -B 1", "NamedParameterNotFound,f"),
        ("function f { param([Parameter(Mandatory)]$A) }; f", "MissingMandatoryParameter,f"),
        ("function f { param([int]$A) }; f -A x", "ParameterArgumentTransformationError,f"),
        ("filter Get-It { param([Parameter(Mandatory)]$A) }; Get-It",
         "MissingMandatoryParameter,Get-It"),
        ("& { [CmdletBinding()] param($A) } -B 1", "NamedParameterNotFound"),
    ],
)  # fmt: skip
def test_a_functions_binding_error_id_ends_with_its_name(script: str, expected: str) -> None:
    """FullyQualifiedErrorId = ErrorId + "," + the function's name (shared/facts
    powershell.md, ErrorRecord fields); a script block without a name adds nothing."""
    result = run(script)
    assert [expected] == [e.fully_qualified_error_id for e in result.errors]


def test_a_caught_binding_error_of_a_function_carries_its_name() -> None:
    result = run(
        "function f { [CmdletBinding()] param($A) }; "
        "try { f -B 1 } catch { $_.FullyQualifiedErrorId }"
    )
    assert ["NamedParameterNotFound,f"] == result.output
