"""Errors: terminating vs non-terminating, -ErrorAction, try/catch, throw, strict mode."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import run

CLUSTER_EXCEPTION = "Microsoft.FailoverClusters.PowerShell.ClusterCmdletException"

# script, expected output, expected (FQEID, category) of errors on the error stream
NON_FAILING: list[tuple[str, list[Any], list[tuple[str, str]]]] = [
    (
        "Write-Error 'bad'; 'after'",
        ["after"],
        [("Microsoft.PowerShell.Commands.WriteErrorException", "NotSpecified")],
    ),
    (
        "Write-Error -Message 'm' -Category ObjectNotFound -ErrorId 'MyId' -TargetObject 't'",
        [],
        [("MyId", "ObjectNotFound")],
    ),
    ("Get-Nope; 'next'", ["next"], [("CommandNotFoundException", "ObjectNotFound")]),
    (
        "Get-Thing -Name gamma | ForEach-Object Name; 'x'",
        ["x"],
        [("ThingNotFound,Sim.Commands.GetThingCommand", "ObjectNotFound")],
    ),
    (
        "Get-Thing -Terminate; 'next'",
        ["next"],
        [("ThingTerminated,Sim.Commands.GetThingCommand", "InvalidOperation")],
    ),
    ("$r = Get-Thing -Name gamma -ErrorAction SilentlyContinue; $null -eq $r", [True], []),
    ("Get-Thing -Name gamma -ea Ignore; $Error.Count", [0], []),
    ("Get-Thing -Name gamma -ErrorAction SilentlyContinue; $Error.Count", [1], []),
    ("$ErrorActionPreference = 'SilentlyContinue'; Write-Error 'x'; 'y'", ["y"], []),
    ("$ErrorActionPreference = 'SilentlyContinue'; throw 'ignored'; 'after'", ["after"], []),
    (
        "Write-Error 'one' -ErrorAction Continue; $Error[0].Exception.Message",
        ["one"],
        [("Microsoft.PowerShell.Commands.WriteErrorException", "NotSpecified")],
    ),
    (
        "Get-Thing -Nme x; 'next'",
        ["next"],
        [("NamedParameterNotFound,Sim.Commands.GetThingCommand", "InvalidArgument")],
    ),
    (
        "try { Write-Error 'not caught' } catch { 'caught' }; 'after'",
        ["after"],
        [("Microsoft.PowerShell.Commands.WriteErrorException", "NotSpecified")],
    ),
    (
        "1, 'x', 3 | ForEach-Object { 10 / $_ }",
        [10, 10 / 3],
        [("InvalidCastFromStringToInteger", "InvalidArgument")],
    ),
]


@pytest.mark.parametrize(
    ("script", "output", "errors"), NON_FAILING, ids=[c[0][:60] for c in NON_FAILING]
)
def test_non_failing_errors(script: str, output: list[Any], errors: list[tuple[str, str]]) -> None:
    """The pipeline completes; errors are on the error stream, shaped like PowerShell's."""
    result = run(script)
    assert result.failed is None, result.failed
    assert output == result.output
    assert errors == [(e.fully_qualified_error_id, e.category) for e in result.errors]
    for error in result.errors:
        if error.activity == "Write-Error":
            # Write-Error's record carries its caller's invocation: at the top of the
            # script, the script itself, without a position (Windows' recording
            # test_psrp_stream_output_invocation.yml).
            assert (0, None, []) == (error.script_line, error.line_text, error.position_lines())
        else:
            assert error.script_line == 1 and error.line_text


FAILING: list[tuple[str, list[Any], str, str, str]] = [
    (
        "throw 'boom'",
        [],
        "boom",
        "OperationStopped",
        "System.Management.Automation.RuntimeException",
    ),
    (
        "'a'; throw",
        ["a"],
        "ScriptHalted",
        "OperationStopped",
        "System.Management.Automation.RuntimeException",
    ),
    (
        "$ErrorActionPreference = 'Stop'; Write-Error 'x'; 'after'",
        [],
        "Microsoft.PowerShell.Commands.WriteErrorException",
        "NotSpecified",
        "Microsoft.PowerShell.Commands.WriteErrorException",
    ),
    (
        "Get-Thing -Name gamma -ErrorAction Stop; 'after'",
        [],
        "ThingNotFound,Sim.Commands.GetThingCommand",
        "ObjectNotFound",
        CLUSTER_EXCEPTION,
    ),
    (
        "$ErrorActionPreference = 'Stop'; Get-Nope; 'after'",
        [],
        "CommandNotFoundException",
        "ObjectNotFound",
        "System.Management.Automation.CommandNotFoundException",
    ),
    (
        "try { throw 'inner' } catch { throw }",
        [],
        "inner",
        "OperationStopped",
        "System.Management.Automation.RuntimeException",
    ),
    (
        "try { throw 'x' } catch [System.IO.IOException] { 'wrong' }",
        [],
        "x",
        "OperationStopped",
        "System.Management.Automation.RuntimeException",
    ),
    (
        "try { Get-Nope } catch { throw $_ }",
        [],
        "CommandNotFoundException",
        "ObjectNotFound",
        "System.Management.Automation.CommandNotFoundException",
    ),
]


@pytest.mark.parametrize(
    ("script", "output", "fqid", "category", "exception"),
    FAILING,
    ids=[c[0][:60] for c in FAILING],
)
def test_failing_errors(
    script: str, output: list[Any], fqid: str, category: str, exception: str
) -> None:
    """An uncaught terminating error ends the pipeline Failed with its record."""
    result = run(script)
    assert output == result.output
    assert result.failed is not None
    assert (fqid, category, exception) == (
        result.failed.fully_qualified_error_id,
        result.failed.category,
        result.failed.exception_type,
    )
    assert 1 == result.failed.script_line


CATCHES: list[tuple[str, list[Any]]] = [
    ("try { throw 'x' } catch { 'caught' } finally { 'fin' }", ["caught", "fin"]),
    ("try { 'body' } finally { 'fin' }", ["body", "fin"]),
    (
        "try { throw 'msg' } catch { $_.Exception.Message; $_.FullyQualifiedErrorId; "
        '[string]$_.CategoryInfo.Category; $_.TargetObject; "$_" }',
        ["msg", "msg", "OperationStopped", "msg", "msg"],
    ),
    (
        "try { Get-Thing -Name gamma -ErrorAction Stop } "
        f"catch [{CLUSTER_EXCEPTION}] {{ $_.Exception.Message; $_.TargetObject; "
        "$_.FullyQualifiedErrorId; $_.CategoryInfo.Category -eq 'ObjectNotFound' }",
        ["Thing 'gamma' not found.", "gamma", "ThingNotFound,Sim.Commands.GetThingCommand", True],
    ),
    (
        "try { Get-Thing -Name gamma -ErrorAction Stop } "
        "catch [System.Management.Automation.ActionPreferenceStopException] { 'stop' }",
        ["stop"],
    ),
    ("try { Get-Thing -Terminate } catch [System.Exception] { 'base' }", ["base"]),
    ("try { Get-Thing -Terminate } catch [Exception] { 'short' }", ["short"]),
    (
        f"try {{ Get-Thing -Terminate }} catch [System.IO.IOException] {{ 'io' }} "
        f"catch [{CLUSTER_EXCEPTION}], [System.ArgumentException] {{ 'cluster' }}",
        ["cluster"],
    ),
    (
        "try { Get-Nope } catch [System.Management.Automation.CommandNotFoundException] "
        "{ $_.CategoryInfo.Category.ToString() }",
        ["ObjectNotFound"],
    ),
    ("try { 1 / 0 } catch [System.DivideByZeroException] { 'div' }", ["div"]),
    # The exception PowerShell wraps is looked for first, and $_ holds the one matched
    # (ExceptionHandlingOps.FindMatchingHandler; new ErrorRecord(rte.ErrorRecord, ex)).
    (
        "try { 1 / 0 } catch { $_.Exception.GetType().Name; "
        "$_.Exception.InnerException.GetType().FullName; $_.FullyQualifiedErrorId }",
        ["RuntimeException", "System.DivideByZeroException", "RuntimeException"],
    ),
    (
        "try { 1 % 0 } catch [System.DivideByZeroException] { $_.Exception.GetType().Name; "
        "$null -eq $_.Exception.InnerException }",
        ["DivideByZeroException", True],
    ),
    (
        "try { 1 / 0 } catch [System.Management.Automation.RuntimeException] { 'rte' }",
        ["rte"],
    ),
    (
        "try { [int]::Parse('x') } catch [System.FormatException] { $_.Exception.GetType().Name;"
        ' "$_"; $_.FullyQualifiedErrorId }',
        ["FormatException", "Input string was not in a correct format.", "FormatException"],
    ),
    (
        "try { [int]::Parse('x') } catch { $_.Exception.GetType().Name;"
        " $_.Exception.InnerException.Message }",
        ["MethodInvocationException", "Input string was not in a correct format."],
    ),
    (
        "try { [int]::Parse('x') } catch [System.Management.Automation.MethodInvocationException]"
        " { 'outer' } catch [System.FormatException] { 'inner first' }",
        ["inner first"],
    ),
    (
        "try { [int]::Parse('99999999999') } catch [System.ArithmeticException] "
        "{ $_.Exception.GetType().Name }",
        ["OverflowException"],
    ),
    (
        "try { Get-Thing -Nme x } catch [System.Management.Automation.ParameterBindingException] "
        "{ $_.FullyQualifiedErrorId }",
        ["NamedParameterNotFound,Sim.Commands.GetThingCommand"],
    ),
    (
        "$ErrorActionPreference = 'Stop'\n"
        "try { Write-Error 'w' } catch { $_.Exception.GetType().FullName }",
        ["Microsoft.PowerShell.Commands.WriteErrorException"],
    ),
    (
        "try { try { throw 'a' } finally { 'inner fin' } } catch { \"outer $_\" }",
        ["inner fin", "outer a"],
    ),
    (
        'foreach ($i in 1..3) { try { if ($i -eq 2) { continue }; $i } finally { "f$i" } }',
        [1, "f1", "f2", 3, "f3"],
    ),
    ("try { throw 'x' } catch { }; $Error.Count; $Error[0].Exception.Message", [1, "x"]),
    ("try { & { Get-Nope; 'unreached' } } catch { 'caught in caller' }", ["caught in caller"]),
    (
        'try { Get-Thing | ForEach-Object { throw "bad $($_.Name)" } }\n'
        "catch { $_.Exception.Message }",
        ["bad alpha"],
    ),
]


@pytest.mark.parametrize(("script", "output"), CATCHES, ids=[c[0][:60] for c in CATCHES])
def test_try_catch(script: str, output: list[Any]) -> None:
    """try/catch/finally and the ErrorRecord in $_ behave as in PowerShell."""
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert output == result.output


STRICT: list[tuple[str, str]] = [
    ("Set-StrictMode -Version 3; $undefined", "VariableIsUndefined"),
    ('Set-StrictMode -Version Latest; "x $nope"', "VariableIsUndefined"),
    ("Set-StrictMode -Version 3; $o = [PSCustomObject]@{ A = 1 }; $o.B", "PropertyNotFoundStrict"),
    ("Set-StrictMode -Version 3; (Get-Thing -Name alpha).Missing", "PropertyNotFoundStrict"),
    ("Set-StrictMode -Version 3; $x = 5; $x.Count", "PropertyNotFoundStrict"),
    ("Set-StrictMode -Version 3; $null.Name", "PropertyNotFoundStrict"),
    ("Set-StrictMode -Version 3; $a = @(1); $a[3]", "System.IndexOutOfRangeException"),
]


@pytest.mark.parametrize(("script", "error_id"), STRICT, ids=[c[0][:60] for c in STRICT])
def test_strict_mode_errors(script: str, error_id: str) -> None:
    """Strict mode turns undefined variables and missing properties into errors."""
    result = run(script)
    assert result.failed is None
    assert [error_id] == [e.error_id for e in result.errors]


@pytest.mark.parametrize(
    ("script", "output"),
    [
        ("$undefined; $o = [PSCustomObject]@{ A = 1 }; $null -eq $o.B", [None, True]),
        ("Set-StrictMode -Version 3; $h = @{}; $null -eq $h.Missing", [True]),
        ("Set-StrictMode -Version 3; @(1, 2).Count; 'ab'.Length; $env:NOPE", [2, 2, None]),
        ("Set-StrictMode -Version 3; & { Set-StrictMode -Off; $inner }; 'ok'", [None, "ok"]),
    ],
)
def test_strict_mode_allows(script: str, output: list[Any]) -> None:
    """Outside strict mode, and for hashtable keys and real properties, reads succeed."""
    result = run(script)
    assert [] == result.errors
    assert output == result.output


def test_stop_inside_script_block_is_script_terminating() -> None:
    """A Stop-escalated error in a ForEach-Object block fails the whole pipeline."""
    result = run(
        "1..3 | ForEach-Object { if ($_ -eq 2) { Write-Error 'two' -ErrorAction Stop }; $_ }; 'end'"
    )
    assert [1] == result.output
    assert result.failed is not None and "two" == result.failed.message


def test_error_position_is_the_failing_statement() -> None:
    """Records carry the line, column and text of the statement that failed."""
    result = run("'ok'\n  Get-Variable nope\nthrow 'third'")
    assert [(2, 3, "  Get-Variable nope")] == [
        (e.script_line, e.script_column, e.line_text) for e in result.errors
    ]
    assert result.failed is not None
    assert (3, 1, "throw 'third'") == (
        result.failed.script_line,
        result.failed.script_column,
        result.failed.line_text,
    )


def test_write_error_fields() -> None:
    """Write-Error's record: WriteErrorException, activity Write-Error, target info."""
    (record,) = run("Write-Error -Message 'm' -TargetObject 'tgt'").errors
    assert ("m", "Microsoft.PowerShell.Commands.WriteErrorException") == (
        record.message,
        record.exception_type,
    )
    assert ("Write-Error", "tgt", "tgt", "String") == (
        record.activity,
        record.target_object,
        record.target_name,
        record.target_type,
    )


def test_write_error_rethrows_a_caught_record() -> None:
    """Write-Error $_ in a catch writes the original record, non-terminating."""
    result = run("try { Get-Nope } catch { Write-Error $_ }; 'after'")
    assert ["after"] == result.output
    assert ["CommandNotFoundException"] == [e.error_id for e in result.errors]


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("dynamicparam { }", "dynamicparam block"),
        ("'a'\nclass C { }", "class definition"),
        ("trap { 'x' }", "trap statement"),
        ("Get-Thing > out.txt", "file redirection on a node without files"),
        ("Get-Thing 1>&2", "redirection other than n>&1"),
        ("$x = 'a'.Normalize()", "method call .Normalize()"),
        ("[System.Net.Dns]::GetHostEntry('x')", "static method"),
        ("[xml]'<a/>'", "cast to [xml]"),
        ("$using:x", "variable scope or drive 'using:'"),
        ("$PSCmdlet", "automatic variable $PSCmdlet"),
        ("param([SupportsWildcards()][string]$x)\n$x", "parameter attribute [supportswildcards]"),
        ("try { [System.Net.Dns]::GetHostEntry('x') } catch { 'swallowed' }", "static method"),
    ],
)
def test_unsupported_constructs_fail_loudly(script: str, construct: str) -> None:
    """Constructs outside the subset end the pipeline Failed and cannot be caught."""
    result = run(script)
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert result.failed.message.startswith("unsupported construct at line ")
    assert construct in result.failed.message
    assert [] == [o for o in result.output if o == "swallowed"]


def test_unsupported_construct_names_its_line() -> None:
    """The message names the line and an excerpt of the construct."""
    result = run("'ok'\n\nclass Foo { }")
    assert result.failed is not None
    assert "unsupported construct at line 3: class definition 'class Foo { }'" == (
        result.failed.message
    )
    assert (3, 1, "class Foo { }") == (
        result.failed.script_line,
        result.failed.script_column,
        result.failed.line_text,
    )


def test_parse_error_fails_before_running() -> None:
    """A script that does not parse produces no output at all."""
    result = run("'first'\nif (")
    assert [] == result.output
    assert result.failed is not None and "ParseError" == result.failed.error_id


@pytest.mark.parametrize(("setting", "kept"), [("", 256), ("$MaximumErrorCount = 300; ", 300)])
def test_error_keeps_maximum_error_count_records_newest_first(setting: str, kept: int) -> None:
    """``$Error`` keeps ``$MaximumErrorCount`` records (256 by default), the newest first,
    as a runspace does (about_Preference_Variables), never every error."""
    result = run(
        setting
        + 'foreach ($i in 1..400) { try { throw "e$i" } catch { } }; '
        + "$MaximumErrorCount; $Error.Count; $Error[0].Exception.Message; "
        + "$Error[-1].Exception.Message"
    )
    assert result.failed is None, result.failed
    assert [kept, f"e{400 - kept + 1}"] == result.output[1:2] + result.output[3:]
    assert "e400" == result.output[2]


@pytest.mark.parametrize("value", ["5", "40000", "'many'"])
def test_a_maximum_error_count_windows_refuses_is_refused_by_name(value: str) -> None:
    """Windows validates the variable (256 to 32768); the lab refuses the assignment."""
    result = run(f"$MaximumErrorCount = {value}; 'after'")
    assert result.failed is not None
    assert "$MaximumErrorCount outside 256 to 32768" in str(result.failed)
    assert [] == result.output


def test_write_error_carries_its_callers_invocation() -> None:
    """WriteErrorCommand gives its record the caller's ``$MyInvocation``: a function's
    name and call site; at the top of the script, the script and no position. Under
    Stop the record keeps Write-Error's own statement (test_psrp_error_failed.yml)."""
    script = "function F {\n  Write-Error 'in f'\n}\n'x'; F\nWrite-Error 'top'"
    result = run(script)
    in_function, top = result.errors
    assert ("F", 4, 6, "'x'; F") == (
        in_function.command_name,
        in_function.script_line,
        in_function.script_column,
        in_function.line_text,
    )
    assert "At line:4 char:6" == in_function.position_lines()[0]
    assert (script, 0, []) == (top.command_name, top.script_line, top.position_lines())
    stopped = run("'a'\nWrite-Error 'stop' -ErrorAction Stop").failed
    assert stopped is not None
    assert (None, 2) == (stopped.command_name, stopped.script_line)


def test_my_invocation_names_the_script_or_function_and_where_it_was_called() -> None:
    script = "function G { $MyInvocation.MyCommand; $MyInvocation.ScriptLineNumber }\n  G\n"
    script += "$MyInvocation.MyCommand -eq $null; $MyInvocation.ScriptLineNumber"
    assert ["G", 2, False, 0] == run(script).output
    top = run("$MyInvocation.MyCommand; $MyInvocation.Line; $MyInvocation.PositionMessage")
    assert [
        "$MyInvocation.MyCommand; $MyInvocation.Line; $MyInvocation.PositionMessage",
        "",
        "",
    ] == top.output
