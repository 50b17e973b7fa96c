"""Statement terminators around a script's named blocks, as Windows PowerShell 5.1 reads them.

PS-src ``engine/parser/Parser.cs`` (the same in a decompiled 5.1
System.Management.Automation): ``ScriptBlockRule`` skips line breaks, reads a param block
if there is one, then ``SkipNewlinesAndSemicolons``; ``NamedBlockListRule`` calls
``SkipNewlinesAndSemicolons`` after each named block and ends the list at the first token
that is not ``begin``/``process``/``end``/``dynamicparam``, after which only the end of
the script (or the ``}`` of a script block) may follow (``CompleteScriptBlockBody``:
"Unexpected token"). ``StatementBlockRule`` skips only line breaks between the keyword and
its ``{`` (``MissingNamedStatementBlock``). A named block twice is
``DuplicateScriptCommandClause``. pypsrp 1.0's real-host tests send
``begin { $i = 0 }; process { ... }`` with input and pass on Windows.
"""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.ps.exceptions import ScriptParseError
from psrunbook.sim.ps.parser import parse_uncached

from .helpers import assert_refused_at_parse, run

INPUT = (1, "2", 3)

ACCEPTED: list[tuple[str, list[Any]]] = [
    ('begin { $i = 0 }; process { "$i=$_"; $i++ }', ["0=1", "1=2", "2=3"]),
    ("begin { 'b' }\n;\nprocess { $_ }", ["b", 1, "2", 3]),
    ("begin { 'b' } ;; ; process { $_ }; end { 'e' };", ["b", 1, "2", 3, "e"]),
    ("; begin { 'b' } end { 'e' }", ["b", "e"]),
    (";\n;  process { $_ }", [1, "2", 3]),
    ("process { $_ };\n", [1, "2", 3]),
    ("param($a = 'p');; begin { $a } ; end { 'e' }", ["p", "e"]),
    ("param($a = 'p')\n;\nprocess { $_ }", [1, "2", 3]),
    ("# c\nbegin { 'b' } # after\n; <# between #> end { 'e' }", ["b", "e"]),
    ("begin\n{ 'b' };\nend\n{ 'e' }", ["b", "e"]),
    # the same inside script blocks and functions
    ("$input | & { ; begin { 'b' }; process { $_ * 2 } ; }", ["b", 2, "22", 6]),
    ("function f { begin { 'b' }; process { \"f$_\" }; }; 'x', 'y' | f", ["b", "fx", "fy"]),
]


@pytest.mark.parametrize(("script", "expected"), ACCEPTED)
def test_terminators_around_named_blocks_are_skipped(script: str, expected: list[Any]) -> None:
    result = run(script, input_=INPUT)
    assert result.failed is None, result.failed
    assert expected == result.output


def test_pypsrp_input_script_runs_per_input_object() -> None:
    """pypsrp 1.0 tests_psrp ``test_powershell_input_as_iterable``'s script."""
    result = run(
        "begin { $i = 0 }; process { [PSCustomObject]@{Idx = $i; Value = $_}; $i++ }",
        input_=INPUT,
    )
    assert result.failed is None, result.failed
    assert [(0, 1), (1, "2"), (2, 3)] == [
        (o.properties["Idx"], o.properties["Value"]) for o in result.output
    ]


REFUSED: list[tuple[str, int, int, str]] = [
    # a statement after, or between, named blocks: "Unexpected token"
    ("begin { 'b' }; 3", 1, 16, "unexpected text '3'"),
    ("begin { 'b' } 'x'", 1, 15, "unexpected text"),
    # a ';' between the keyword and its block, or no block
    ("begin ; { 'b' }", 1, 1, "missing statement block after 'begin'"),
    ("begin", 1, 1, "missing statement block after 'begin'"),
    ("; process 1", 1, 3, "missing statement block after 'process'"),
    # a block twice
    ("begin { 1 }; Begin { 2 }", 1, 14, "Script command clause 'begin' has already been defined."),
]


@pytest.mark.parametrize(("script", "line", "column", "message"), REFUSED)
def test_still_refused(script: str, line: int, column: int, message: str) -> None:
    assert_refused_at_parse(run(script, input_=INPUT), line, column, message)


@pytest.mark.parametrize(
    "script",
    [
        "begin { 1 }; 3; process { 2 }",
        "begin { 1 }\n'x'\nprocess { 2 }",
        "begin { 1 }; clean { 2 }",  # clean is PowerShell 7.3+: a token that ends the list
        "& { begin { 1 }; 'x' }",
    ],
)
def test_statement_among_named_blocks_is_a_parse_error(script: str) -> None:
    with pytest.raises(ScriptParseError):
        parse_uncached(script)


def test_named_block_after_statements_is_a_command() -> None:
    """After an ordinary statement ``begin`` is not a block keyword to PowerShell's parser
    (``StatementRule`` has no case for it: ``PipelineRule`` reads a command named
    ``begin``), so the script parses and fails when it runs, as on Windows."""
    result = run("'first'; begin { 'b' }")
    assert ["first"] == result.output
    assert result.errors or result.failed is not None
    record = result.errors[0] if result.errors else result.failed
    assert record is not None and "CommandNotFoundException" in record.error_id


def test_semicolon_inside_a_block_is_not_touched() -> None:
    """Only the terminators between blocks are read as blanks; the statements in a block
    stay separate statements."""
    assert [1, 2, 1, 2] == run("process { 1; 2 }", input_=(5, 6)).output
