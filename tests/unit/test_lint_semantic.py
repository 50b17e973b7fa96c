"""PSR015 / PSR016: the rest of PowerShell's semantic checks, which refuse a whole script
before any of it runs, and which tree-sitter (and so the linter) accepted: a function
with a parameter list and a ``param()`` block, catches out of order, control leaving a
``finally``, ``++``/``--`` on what is not a variable, ``[ordered]`` on what is not a hash
literal, an assignment to what is not assignable, and a splat that is no command
argument. The lab refuses each (:mod:`psrunbook.sim.ps.semantic_checks`); the linter
now reports each at the same line and column, by the same functions."""

from __future__ import annotations

import pytest

from psrunbook.lint import _findings, lint_script, parse
from psrunbook.sim.ps.exceptions import PARSE_ERROR_ID
from psrunbook.sim.ps.parser import is_comma_continuation, preorder
from psrunbook.sim.ps.semantic_checks import SEMANTIC_TYPES, semantic_problem
from tests.unit.sim.ps.helpers import assert_refused_at_parse, run

_NEW_CODES = frozenset({"PSR015", "PSR016"})


def _found(text: str) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in lint_script(text, source="t.ps1")]


@pytest.mark.parametrize(
    ("script", "code", "line", "column", "message"),
    [
        (
            "function Get-Thing2($a) {\n    param($b)\n    $b\n}\n'x'\n",
            "PSR015",
            2,
            5,
            "Only one parameter list is allowed.",
        ),
        (
            "try { 'a' }\ncatch { 'any' }\ncatch [System.IO.IOException] { 'io' }\n",
            "PSR015",
            3,
            1,
            "Catch block must be the last catch block.",
        ),
        (
            "try { 'a' }\ncatch [Exception] { 'any' }\ncatch [IO.IOException] { 'io' }\n",
            "PSR015",
            3,
            7,
            "The exception type IO.IOException is already caught.",
        ),
        (
            "try { 'a' }\nfinally {\n    return\n}\n",
            "PSR015",
            3,
            5,
            "Control cannot leave a finally block.",
        ),
        (
            "foreach ($i in 1, 2) {\n    try { $i } finally { break }\n}\n",
            "PSR015",
            2,
            26,
            "Control cannot leave a finally block.",
        ),
        ("'a'\n5++\n", "PSR015", 2, 1, "The '++' operator works only on variables"),
        ("'a'\n--(1 + 2)\n", "PSR015", 2, 3, "The '--' operator works only on variables"),
        ("$h = [ordered]'x'\n$h\n", "PSR015", 1, 6, "The ordered attribute can be specified"),
        ("$n = [ordered]@{a = 1}.Count\n$n\n", "PSR015", 1, 6, "The ordered attribute"),
        ("'a' = 5\n", "PSR015", 1, 1, "The assignment expression is not valid."),
        ("$a = 1\n$a + 1 = 2\n", "PSR015", 2, 1, "The assignment expression is not valid."),
        ("$c = 5 +\n$a = 1\n$c\n", "PSR015", 1, 6, "The assignment expression is not valid."),
        (
            "$c = 5 + # a comment\n\n$a = 1\n$c\n",
            "PSR015",
            1,
            6,
            "The assignment expression is not valid.",
        ),
        ("$c = $x -and\n$a = 1\n", "PSR015", 1, 6, "The assignment expression is not valid."),
        ("$a, 5 = 1, 2\n", "PSR015", 1, 5, "The assignment expression is not valid."),
        ("$x = Get-Date\n$x.ToString() = 1\n", "PSR015", 2, 1, "The assignment expression"),
        ("$h = @{}\n$x = @h\n", "PSR016", 2, 6, "The splatting operator '@' cannot be used"),
        ("$h = @{}\nWrite-Output @h, 1\n", "PSR016", 2, 14, "Splatted variables like '@h'"),
    ],
)
def test_what_the_lab_refuses_is_found_at_the_same_place(
    script: str, code: str, line: int, column: int, message: str
) -> None:
    assert_refused_at_parse(run(script), line, column, message)
    findings = [f for f in lint_script(script, source="t.ps1") if f.code in _NEW_CODES]
    assert [(code, line, column)] == [(f.code, f.line, f.column) for f in findings]
    assert message in findings[0].message


def test_valid_look_alikes_pass() -> None:
    script = (
        "try { 'a' }\n"
        "catch [System.IO.FileNotFoundException] { 'missing' }\n"
        "catch [System.IO.IOException] { 'io' }\n"
        "catch { 'any' }\n"
        "finally {\n"
        "    function Inner { return 1 }\n"
        "    & { return 2 }\n"
        "    foreach ($i in 1, 2) { if ($i -eq 1) { continue }; break }\n"
        "}\n"
        "$h = @{ Name = 'x' }\n"
        "Write-Output @h\n"
        "$a = 1\n"
        "$a++\n"
        "--$a\n"
        "$h.Count++\n"
        "$o = [ordered]@{ b = 2; a = 1 }\n"
        "$p = [ordered] @{}\n"
        "$a, $b = 1, 2\n"
        "[int]$c = 3\n"
        "$h.Name = 'y'\n"
        "$h['Name'] += 'z'\n"
        "$env:PSRUNBOOK_X = '1'\n"
        "# 5++ and 'a' = 5 and [ordered]'x' and @h in a comment\n"
        "'5++ @h [ordered]1 -- = ' + \"$($a += 1) $a\"\n"
        "# ------------------------------------------------------------\n"
        "function Get-Thing3 { param($q) $q }\n"
        "$a; $b; $c; $o; $p\n"
    )
    result = run(script)
    # The lab ran it (it parsed; it stops later at what it does not run, such as
    # ``$a, $b = 1, 2``, which is no parse error).
    assert result.output[:1] == ["a"]
    assert result.failed is None or result.failed.error_id != PARSE_ERROR_ID
    assert [] == [f for f in _found(script) if f[0] in _NEW_CODES]


_SHAPES = [
    "'a' = 5",
    "$a = 1",
    "5 +\n$b = 2",
    "$c = 5 + # note\n\n$d = 1",
    "x = 1",
    "@{ k = 1; 'k2' = 2 }",
    "[int]$e = 3",
    "$f, 5 = 1",
    "try { } catch { } catch [Exception] { }",
    "try { } finally { return }",
    "5++",
    "$g--",
    "[ordered]'x'",
    "[ordered]@{}",
    "$y = @h",
    "Write-Output @h",
    "function f($p) { param($q) }",
    "$s.M() = 1",
    "-not $t = 1",
    "$u -and\n$v = 1",
    "$w = @(1,\n$z = 1)",
    "[Parameter(Mandatory = $true)]",
]


@pytest.mark.parametrize("first", _SHAPES)
@pytest.mark.parametrize("second", ["\n", "\n# c\n", " ; ", " +\n", ",\n", "\n\n"])
def test_lint_reports_what_a_walk_of_every_node_reports(first: str, second: str) -> None:
    """The linter finds the constructs from the text; the lab reads every node. On pairs
    of shapes joined in ways that continue a line or not, both report the same places."""
    for text in (first + second + first, *(first + second + other for other in _SHAPES)):
        tree = parse(text)
        expected = set()
        for node in preorder(tree.root_node):
            if node.type in SEMANTIC_TYPES - {"attribute_arguments", "parameter_list"}:
                problem = semantic_problem(node, is_comma_continuation)
                if problem is not None and not problem[1].startswith("Duplicate keys"):
                    point = problem[0].start_point
                    expected.add((point.row + 1, point.column + 1))
        _findings.cache_clear()
        found = {(f.line, f.column) for f in _findings(text) if f.code in _NEW_CODES}
        assert expected == found, text
