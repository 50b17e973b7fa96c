"""Functions, filters and begin/process/end blocks, as PowerShell runs them.

Semantics from about_Functions, about_Functions_Advanced_Methods and
about_Functions_Advanced_Parameters (PS-docs 5.1): ``begin`` once, ``process`` once per
pipeline object or once without pipeline input, ``end`` once; ``return`` leaves only
its block; a function is defined in the current scope when its statement runs.
"""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.executor_protocol import CommandRequest, ExecutionContext, PipelineRequest
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor

from .helpers import Sink, run, table

CASES: list[tuple[str, list[Any]]] = [
    # script blocks called with &
    ("1, 2 | & { begin { 'b' } process { \"p$_\" } end { 'e' } }", ["b", "p1", "p2", "e"]),
    ("& { process { 'once' } }", ["once"]),
    ("@() | & { begin { 'b' } process { 'never' } end { 'e' } }", ["b", "e"]),
    ("1, 2 | & { begin { @($input).Count } end { @($input).Count } }", [0, 2]),
    ("1, 2 | & { process { @($input).Count } end { @($input).Count } }", [1, 1, 0]),
    ("1, 2, 3 | & { $input | ForEach-Object { $_ * 10 } }", [10, 20, 30]),
    ("1, 2 | & { process { if ($_ -eq 1) { return }; $_ } end { 'e' } }", [2, "e"]),
    # functions
    ("function f { 'x' }; f; f", ["x", "x"]),
    ("function f($a, $b) { $a + $b }; f 1 2; f -b 3 -a 4", [3, 7]),
    ("function f { param($a) $a }; f 5", [5]),
    ("function f { $args.Count }; f a b c", [3]),
    ("function f { return 1; 2 }; f; 'after'", [1, "after"]),
    ("function F-Up { 'u' }; f-up", ["u"]),
    ("function f { $x = 2 }; $x = 1; f; $x", [1]),
    ("function f { $script:x = 2 }; $x = 1; f; $x", [2]),
    ("function f { $y }; $y = 'outer'; f", ["outer"]),
    ("function f { function g { 'inner' }; g }; f", ["inner"]),
    ("function f { 1; 2 }; $r = f; $r.Count", [2]),
    ("function f { [CmdletBinding()] param() process { 'p' } }; f", ["p"]),
    ('function Get-X { param([string]$Name) "n=$Name" }; Get-X -Name z', ["n=z"]),
    # pipeline binding
    (
        "function f { param([Parameter(ValueFromPipeline)][int]$n) process { $n + 1 } }\n"
        "'1', 2 | f",
        [2, 3],
    ),
    (
        "function f { param([Parameter(ValueFromPipelineByPropertyName)]$Name) process "
        "{ $Name } }\n[pscustomobject]@{ Name = 'a' }, [pscustomobject]@{ Name = 'b' } | f",
        ["a", "b"],
    ),
    (
        "function f { param([Parameter(ValueFromPipeline)]$o, [int]$Add = 10)\n"
        "process { $o + $Add } }\n1, 2 | f -Add 1",
        [2, 3],
    ),
    ("function f { param([Parameter(ValueFromPipeline)]$o) process { $o } }; f -o 7", [7]),
    (
        "function f { param([Parameter(ValueFromPipeline)]$o)\nprocess "
        "{ $PSBoundParameters['o'] } }\n'v' | f",
        ["v"],
    ),
    # filters
    ("filter dbl { $_ * 2 }; 1..3 | dbl", [2, 4, 6]),
    ("filter f { $input }; 'a', 'b' | f", ["a", "b"]),
    # a function as the middle of a pipeline
    ("function f { process { $_ + 1 } }; 1, 2 | f | ForEach-Object { $_ * 10 }", [20, 30]),
]


@pytest.mark.parametrize(("script", "expected"), CASES)
def test_blocks_and_functions(script: str, expected: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert expected == result.output


def test_script_blocks_get_psrp_input_per_object() -> None:
    """A PSRP script with named blocks: process runs per object piped in by the client."""
    script = 'param($Add)\nbegin { $n = 0 }\nprocess { $n++; $_ + $Add }\nend { "n=$n" }'
    result = run(script, ("Add", 10), input_=(1, 2))
    assert [11, 12, "n=2"] == result.output


def test_top_level_named_blocks_keep_line_numbers() -> None:
    """The script runs as sent: an error in the end block names its own line."""
    result = run("begin { 'b' }\nprocess { $_ }\nend {\n  throw 'late'\n}", input_=(1,))
    assert ["b", 1] == result.output
    assert result.failed is not None
    assert (4, "  throw 'late'") == (result.failed.script_line, result.failed.line_text)


def test_input_no_parameter_takes_is_a_non_terminating_error() -> None:
    """Pipeline input only [int] takes: a string that is no number is not bound."""
    result = run(
        "function f { param([Parameter(ValueFromPipeline)][int]$n) process { $n } }\n1, 'x', 3 | f"
    )
    assert [1, 3] == result.output
    assert ["InputObjectNotBound"] == [e.error_id for e in result.errors]


def test_a_function_binding_error_is_statement_terminating() -> None:
    """A missing mandatory parameter stops that call, then the script goes on."""
    result = run("function f { param([Parameter(Mandatory)]$x) $x }\nf\n'after'")
    assert ["after"] == result.output
    assert ["MissingMandatoryParameter"] == [e.error_id for e in result.errors]
    assert result.failed is None


def test_functions_live_in_the_runspace_scope() -> None:
    """The function a script defines at top level is a command for later pipelines."""
    executor = PowerShellExecutor(lambda ctx: table())
    context = ExecutionContext("NODE1", "LAB\\admin")
    executor.execute(
        PipelineRequest((CommandRequest("function Get-Two { 2 }", True, ()),)), context, Sink()
    )
    sink = Sink()
    executor.execute(PipelineRequest((CommandRequest("Get-Two", False, ()),)), context, sink)
    assert [2] == sink.result.output


def test_dynamicparam_is_refused_before_running() -> None:
    result = run("'first'\nfunction f { dynamicparam { } end { } }")
    assert [] == result.output
    assert result.failed is not None
    assert "dynamicparam block" in result.failed.message
