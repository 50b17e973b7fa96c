"""Parameter binding: cmdlets (names, aliases, prefixes, positions, switches, pipeline)
and script param() blocks bound from PSRP arguments."""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.objects import PSHashtable, SecureStringValue
from psrunbook.sim.ps.binding import Argument, Binder, BindingFailed, split_common
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


@pytest.mark.parametrize(
    ("script", "expected", "error"),
    [
        # a typed array keeps its element type: an added text is converted
        ("[int[]]$i = 1, 2; $i += '7'; $i[2].GetType().Name; $i.Count", ["Int32", 3], None),
        # ... and one that does not convert fails the assignment, the value kept
        ("[int[]]$i = 1, 2; $i = 'x'; $i -join ','", ["1,2"],
         'Cannot convert value "x" to type "System.Int32". Error: "Input string was not in a '
         'correct format."'),
        ("[int[]]$i = $null; $null -eq $i", [True], None),
        ("[array]$a = 1; $a = 2; $a.Count", [1], None),
        ("[int32]$n = 1; $n = '5'; $n.GetType().Name", ["Int32"], None),
        ("[version]$v = '1.2'; $v = '3.4'; $v.Major", [3], None),
        ("[guid]$g = [guid]::Empty; $g = 'x'; $g.Guid", ["00000000-0000-0000-0000-000000000000"],
         'Cannot convert value "x" to type "System.Guid". Error: "Guid should contain 32 digits '
         'with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."'),
    ],
)  # fmt: skip
def test_an_assignment_cast_is_kept_as_the_variables_type(
    script: str, expected: list[object], error: str | None
) -> None:
    """PowerShell keeps every cast on an assignment's variable as its type; the lab kept
    only [string], [int], [bool], [string[]], [hashtable], [long], [double], [datetime]
    and [timespan], so ``[int[]]$i = 1, 2; $i = 'x'`` stored the text without an error."""
    result = run(script)
    assert expected == result.output
    assert ([error] if error else []) == [e.message for e in result.errors]


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


# The binder's reading of a parameter list is kept per list (binding._table_for); these
# pin that a kept reading answers exactly as a fresh one, whatever list it came from.


def _names(bound: PSHashtable) -> dict[str, Any]:
    return dict(bound.items())


def test_an_alias_that_is_another_parameters_name_binds_the_first_in_order() -> None:
    """The first parameter (in declaration order) with the name or alias wins, as before."""
    first = (ParamSpec("Path", aliases=("Name",)), ParamSpec("Name"))
    second = (ParamSpec("Name"), ParamSpec("Path", aliases=("Name",)))
    assert {"Path": "x"} == _names(Binder(first, None).bind([Argument("name", "x")]))
    assert {"Name": "x"} == _names(Binder(second, None).bind([Argument("NAME", "x")]))


def test_equal_parameter_lists_that_are_different_objects_each_bind_by_their_own() -> None:
    """Two tuples with equal content, a list of the same specs, with and without the
    common parameters: each binder reads its own list (kept by identity, not equality)."""
    name = ParamSpec("Name", position=0)
    count = ParamSpec("Count", "int", position=1)
    one = (name, count)
    other = (ParamSpec("Name", position=1), ParamSpec("Count", "int", position=0))
    args = [Argument(None, "5"), Argument(None, "7")]
    for _ in range(2):  # the second pass reads the kept tables
        assert {"Name": "5", "Count": 7} == _names(Binder(one, None).bind(args))
        assert {"Count": 5, "Name": "7"} == _names(Binder(other, None).bind(args))
        assert {"Name": "5", "Count": 7} == _names(Binder([name, count], None).bind(args))
        with pytest.raises(BindingFailed, match="cannot be found"):
            Binder(one, None, common=False).bind([Argument("ErrorAction", "Stop")])
        bound = Binder(one, None).bind([Argument("ErrorAction", "Stop")])
        assert {"ErrorAction": "Stop"} == _names(bound)


def test_positions_bind_in_order_and_ties_keep_declaration_order() -> None:
    specs = (ParamSpec("B", position=1), ParamSpec("A", position=0), ParamSpec("C", position=1))
    bound = Binder(specs, None).bind([Argument(None, 1), Argument(None, 2), Argument(None, 3)])
    assert [("A", 1), ("B", 2), ("C", 3)] == list(bound.items())
    with_named = Binder(specs, None).bind([Argument("B", 9), Argument(None, 1), Argument(None, 2)])
    assert [("B", 9), ("A", 1), ("C", 2)] == list(with_named.items())


def test_a_prefix_of_an_alias_binds_and_an_ambiguous_one_fails() -> None:
    specs = (ParamSpec("Name", aliases=("ServiceName",)), ParamSpec("Namespace"))
    assert {"Name": "x"} == _names(Binder(specs, None).bind([Argument("Serv", "x")]))
    with pytest.raises(BindingFailed, match="ambiguous"):
        Binder(specs, None).bind([Argument("Nam", "x")])


def test_mandatory_parameters_follow_the_chosen_set() -> None:
    specs = (
        ParamSpec("Name", mandatory=True, parameter_sets=("ByName",)),
        ParamSpec("Id", "int", mandatory=True, parameter_sets=("ById",)),
        ParamSpec("Scope", parameter_sets=("ById",)),
        ParamSpec("Path", mandatory=True),
    )
    binder = Binder(specs, None)
    binder.check_mandatory(binder.bind([Argument("Name", "x"), Argument("Path", "p")]))
    with pytest.raises(BindingFailed, match="missing mandatory parameters: Path"):
        binder.check_mandatory(binder.bind([Argument("Name", "x")]))
    with pytest.raises(BindingFailed, match="missing mandatory parameters: Id Path"):
        binder.check_mandatory(binder.bind([Argument("Scope", "s")]))


def test_many_parameter_lists_still_bind_after_the_kept_tables_start_again() -> None:
    """Scripts whose parameters are declared anew at each run make new lists: past the
    cache's bound it starts again, and every binder still reads its own list."""
    for index in range(1100):
        spec = ParamSpec(f"P{index}", position=0)
        assert {f"P{index}": index} == _names(Binder([spec], None).bind([Argument(None, index)]))


def test_the_command_s_own_table_is_a_copy_with_or_without_common_parameters() -> None:
    """split_common never hands back the bound table itself: a cmdlet changing its
    arguments changes nothing the binder keeps."""
    bound = PSHashtable([("Name", "x"), ("Count", 1)])
    own, common = split_common(bound)
    assert own is not bound
    assert [("Name", "x"), ("Count", 1)] == list(own.items())
    assert 0 == len(common)
    own["Name"] = "changed"
    assert "x" == bound["Name"]
    mixed = PSHashtable([("Name", "x"), ("errorAction", "Stop"), ("Verbose", True)])
    own, common = split_common(mixed)
    assert [("Name", "x")] == list(own.items())
    assert [("errorAction", "Stop"), ("Verbose", True)] == list(common.items())
