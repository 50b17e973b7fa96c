"""A parameter named twice, or an attribute's named argument given twice: PowerShell's
parser refuses the whole script before any of it runs, and so does the lab."""

from __future__ import annotations

import pytest

from .helpers import assert_refused_at_parse, run


@pytest.mark.parametrize(
    ("script", "where", "message"),
    [
        # PowerShell's own test: ShouldBeParseError '...' DuplicateFormalParameter 27
        ("function f { param($a,[int]$a) }", (1, 28), "Duplicate parameter $a in parameter list."),
        ("function f($a,[int]$a) { }", (1, 20), "Duplicate parameter $a in parameter list."),
        ("param($Name, [string]$NAME)", (1, 22), "Duplicate parameter $NAME in parameter list."),
        ("param($a, ${A})", (1, 11), "Duplicate parameter $A in parameter list."),
        (
            "param([Parameter(Mandatory = $true, mandatory = $false)]$a)",
            (1, 37),
            "Duplicate named argument 'mandatory'.",
        ),
    ],
)
def test_a_repeated_declaration_refuses_the_whole_script(
    script: str, where: tuple[int, int], message: str
) -> None:
    assert_refused_at_parse(run(f"{script}\n'ran'"), *where, message)


def test_the_same_name_in_two_lists_and_distinct_names_run() -> None:
    result = run(
        'function f { param([Parameter(Mandatory = $true, Position = 0)]$a, $b) "$a$b" }\n'
        "function g($a) { $a }\n"
        "f 1 -b 2\ng 3"
    )
    assert result.failed is None, result.failed
    assert ["12", 3] == result.output


@pytest.mark.parametrize(
    ("line", "column", "key"),
    [
        ("$h = @{a = 1; A = 2}", 15, "A"),
        ("$h = @{'a' = 1; \"A\" = 2}", 17, "A"),
        ("$h = @{1 = 'x'; '1' = 'y'}", 17, "1"),
        ("$h = @{0x10 = 1; 16 = 2}", 18, "16"),
        ("$h = @{Outer = @{x = 1; X = 2}}", 25, "X"),
        ("[PSCustomObject]@{ Changed = $true; Name = 'n'; changed = $false }", 49, "changed"),
    ],
)
def test_a_hash_literal_with_two_constant_keys_alike_refuses_the_whole_script(
    line: str, column: int, key: str
) -> None:
    """DuplicateKeyInHashLiteral: a parse error at the second key, so nothing runs."""
    message = f"Duplicate keys '{key}' are not allowed in hash literals."
    assert_refused_at_parse(run(f"'ran'\n{line}\n'ran too'"), 2, column, message)


def test_keys_that_are_not_constants_are_checked_when_the_literal_is_evaluated() -> None:
    """``$k`` twice is not a parse error: the script runs up to it, then the literal fails."""
    result = run("'ran'\n$k = 'a'\n$h = @{$k = 1; $k = 2}\n'after'")
    assert "ran" == result.output[0]
    assert ["Duplicate keys 'a' are not allowed in hash literals."] == [
        str(e.message) for e in result.errors
    ]


@pytest.mark.parametrize(
    ("script", "where", "message"),
    [
        (
            "function f($a) { param($b) $b }",
            (2, 18),
            "Only one parameter list is allowed.",
        ),
        (
            "try { throw 'x' } catch { 'c1' } catch [System.Exception] { 'c2' }",
            (2, 34),
            "Catch block must be the last catch block.",
        ),
        (
            "try { throw 'x' } catch [System.Exception] { 'c1' } catch [Exception] { 'c2' }",
            (2, 59),
            "The exception type Exception is already caught.",
        ),
        (
            "try { throw 'x' } catch [Exception] { }"
            " catch [System.Management.Automation.RuntimeException] { }",
            (2, 47),
            "The exception type System.Management.Automation.RuntimeException is already caught.",
        ),
        ("try { 'a' } finally { return }", (2, 23), "Control cannot leave a finally block."),
        (
            "foreach ($i in 1) { try { 'a' } finally { break } }",
            (2, 43),
            "Control cannot leave a finally block.",
        ),
        (
            "try { 'a' } finally { foreach ($i in 1) { return } }",
            (2, 43),
            "Control cannot leave a finally block.",
        ),
    ],
)
def test_a_misplaced_parameter_list_catch_or_flow_out_of_finally_refuses_the_script(
    script: str, where: tuple[int, int], message: str
) -> None:
    """OnlyOneParameterListAllowed, EmptyCatchNotLast, ExceptionTypeAlreadyCaught and
    ControlLeavingFinally are parse errors: nothing of the script runs."""
    assert_refused_at_parse(run(f"'ran'\n{script}\n'ran too'"), *where, message)


def test_catches_from_derived_to_base_and_flow_inside_the_finally_run() -> None:
    result = run(
        "try { throw 'x' } catch [System.Management.Automation.RuntimeException] { 'derived' }"
        " catch [Exception] { 'base' } catch { 'any' }\n"
        "try { 'a' } finally { foreach ($i in 1, 2) { if ($i -eq 2) { break } } ; & { return } }\n"
        "'after'"
    )
    assert result.failed is None, result.failed
    assert ["derived", "a", "after"] == result.output


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (
            "if ($false) { $x = @h }",
            20,
            "The splatting operator '@' cannot be used to reference variables in an "
            "expression. '@h' can be used only as an argument to a command. To reference "
            "variables in an expression use '$h'.",
        ),
        (
            "if ($false) { Write-Output @h, 1 }",
            28,
            "Splatted variables like '@h' cannot be part of a comma-separated list of arguments.",
        ),
        (
            "if ($false) { Write-Output 1, @h }",
            31,
            "Splatted variables like '@h' cannot be part of a comma-separated list of arguments.",
        ),
        (
            "if ($false) { 5++ }",
            15,
            "The '++' operator works only on variables or on properties.",
        ),
        (
            "if ($false) { --'s' }",
            17,
            "The '--' operator works only on variables or on properties.",
        ),
        (
            "if ($false) { $a = [ordered]10 }",
            20,
            "The ordered attribute can be specified only on a hash literal node.",
        ),
    ],
)
def test_a_construct_refused_at_parse_time_refuses_the_script_even_in_a_branch_not_taken(
    line: str, column: int, message: str
) -> None:
    """The lab used to refuse these only when it ran them; PowerShell's parser refuses
    the whole script."""
    assert_refused_at_parse(run(f"'ran'\n{line}\n'ran too'"), 2, column, message)


def test_splats_increments_and_ordered_where_they_belong_run() -> None:
    result = run(
        "$h = @{InputObject = 'x'}\nWrite-Output @h\n"
        "$i = 1; $i++; ++$i\n$o = [pscustomobject]@{n = 1}; $o.n++\n"
        "$a = @(5); $a[0]--\n$d = [ordered]@{b = 1; a = 2}\n"
        "$i; $o.n; $a[0]; $d.Keys -join ','"
    )
    assert result.failed is None, result.failed
    assert ["x", 3, 2, 4, "b,a"] == result.output


INVALID_TARGET = (
    "The assignment expression is not valid. The input to an assignment operator must be an "
    "object that is able to accept assignments, such as a variable or a property."
)


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("if ($false) { 'a' = 5 }", 15),
        ("if ($false) { $a + 1 = 2 }", 15),
        ("if ($false) { $a.Foo() = 1 }", 15),
        ("if ($false) { $a, $b += 1 }", 15),
        ("if ($false) { $a, 5 = 1, 2 }", 19),
        ("if ($false) { -$x = 1 }", 15),
    ],
)
def test_an_assignment_to_what_cannot_be_assigned_refuses_the_script(
    line: str, column: int
) -> None:
    """InvalidLeftHandSide is a parse error, even in a branch not taken."""
    assert_refused_at_parse(run(f"'ran'\n{line}\n'ran too'"), 2, column, INVALID_TARGET)


def test_assignments_to_variables_properties_elements_and_casts_run() -> None:
    result = run(
        "if ($false) { $p, $q = 1, 2 }\n"
        "[int]$x = '5'\n$o = [pscustomobject]@{n = 1}; $o.n = 3\n$a = @(1); $a[0] += 4\n"
        "$env:PSRUNBOOK_T = 'e'\n$null = 'dropped'\n$x; $o.n; $a[0]; $env:PSRUNBOOK_T"
    )
    assert result.failed is None, result.failed
    assert [5, 3, 5, "e"] == result.output
