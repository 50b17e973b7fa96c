"""The linter finds what it found before its rules were made cheaper.

``tests/fixtures/lint_oracle.json`` holds a digest of the findings (line, column, code,
message, severity; :func:`digest`) of the linter at ``eaaba5b``, before the step rule
stopped querying the whole tree and the cmdlet checks read each element once, for every
shipped template's rendered scripts (as they rendered then), every string literal of the
lint tests, and pieces of the rendered scripts cut at random places (broken trees), each
linted as a step and not: the linter now finds exactly those.

:func:`_reference_step_findings` is the step rule (PSR601, PSR602) as it was: the
``param_block`` and definition statements found by one query over the whole tree. The
rule now looks at the root's first statement and goes up from the places the text spells
a definition keyword; on today's rendered scripts and on generated scripts both agree.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import tree_sitter
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.render_lint import work_list
from psrunbook.lint import (
    Finding,
    _declares_check_only,
    _findings,
    _Script,
    _step_findings,
    language,
    parse,
)
from psrunbook.templates import TemplateLibrary

_KINDS = ("param_block", "function_statement", "class_statement", "enum_statement")


@cache
def _query() -> tree_sitter.Query:
    return tree_sitter.Query(language(), " ".join(f"({kind}) @{kind}" for kind in _KINDS))


def _reference_step_findings(script: _Script) -> Iterator[Finding]:
    found = tree_sitter.QueryCursor(_query()).captures(script.tree.root_node)
    nodes = {kind: sorted(found.get(kind, []), key=lambda n: n.start_byte) for kind in _KINDS}
    root = script.tree.root_node
    blocks = nodes["param_block"]
    first = root.named_children[0] if root.named_children else None
    while first is not None and first.type == "comment" and first.next_named_sibling:
        first = first.next_named_sibling
    if not blocks or first is None or blocks[0].id != first.id:
        yield script.at_char(
            0,
            "PSR601",
            "a step script must open with a param(...) block ending with [switch]$CheckOnly "
            "(docs/writing-runbooks.md): values arrive as parameters and plans pass -CheckOnly",
        )
    elif not _declares_check_only(script, blocks[0]):
        yield script.at_node(
            blocks[0],
            "PSR601",
            "the param(...) block does not declare [switch]$CheckOnly: every step must honour "
            "a plan's -CheckOnly and change nothing then (docs/writing-runbooks.md)",
        )
    for kind in ("function_statement", "class_statement", "enum_statement"):
        for node in nodes[kind]:
            keyword = script.node_text(node).split(None, 1)[0].lower()
            yield script.at_node(
                node,
                "PSR602",
                f"'{keyword}' defines code out of line: a step is one flat script whose every "
                "command the linter and the reviewer see where it runs; write it inline or "
                "move shared code into a _lib/ include",
            )


def _full(finding: Finding) -> tuple[object, ...]:
    return (finding.line, finding.column, finding.code, finding.message, finding.severity)


def assert_same_step_findings(text: str) -> None:
    script = _Script(text, "", parse(text))
    expected = sorted(_full(f) for f in set(_reference_step_findings(script)))
    actual = sorted(_full(f) for f in set(_step_findings(script)) if f.code not in _RULES_SINCE)
    assert expected == actual


_ORACLE = Path(__file__).parents[1] / "fixtures" / "lint_oracle.json"


def digest(findings: Iterable[Finding]) -> str:
    """A short digest of every field of every finding, in order."""
    fields = [list(_full(f)) for f in findings]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]


def cut_ups(texts: list[str]) -> list[str]:
    """Pieces of ``texts`` cut at random (fixed) places, and what is left around them."""
    rng = random.Random(16)
    pieces = []
    for _ in range(300):
        text = rng.choice(texts)
        start = rng.randrange(len(text))
        end = min(len(text), start + rng.randrange(1, 400))
        pieces += [text[:start] + text[end:], text[start:end]]
    return pieces


_RULES_SINCE: frozenset[str] = frozenset(
    {
        "PSR005",
        "PSR006",
        "PSR007",
        "PSR008",
        "PSR009",
        "PSR010",
        "PSR011",
        "PSR012",
        "PSR013",
        "PSR014",
        "PSR015",
        "PSR016",
        "PSR603",
    }
)
"""Rules added after the oracle was recorded: their findings are not in it."""


def test_every_recorded_text_gets_the_findings_it_got_before() -> None:
    oracle = json.loads(_ORACLE.read_text(encoding="utf-8"))
    cases = oracle["rendered"] + oracle["texts"] + cut_ups(oracle["rendered"])
    assert len(cases) == len(oracle["findings"]) > 600
    for text, recorded in zip(cases, oracle["findings"], strict=True):
        for step in (False, True):
            _findings.cache_clear()
            found = [f for f in _findings(text, step) if f.code not in _RULES_SINCE]
            assert recorded[step] == digest(found), (step, text[:200], found)


@cache
def _rendered_texts() -> tuple[str, ...]:
    library = TemplateLibrary()
    return tuple(sorted({library.render(t, a, s).text for t, a, s in work_list()}))


@cache
def _lint_test_texts() -> tuple[str, ...]:
    """Every string literal of the lint tests: the scripts they lint, and more."""
    texts: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_lint*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.add(node.value)
    return tuple(sorted(texts))


def test_every_rendered_script_gets_the_step_findings_it_got_before() -> None:
    texts = _rendered_texts()
    assert len(texts) > 10
    for text in texts:
        assert_same_step_findings(text)


def test_every_lint_test_text_gets_the_step_findings_it_got_before() -> None:
    texts = _lint_test_texts()
    assert any("function " in t for t in texts) and any("class " in t for t in texts)
    for text in texts:
        assert_same_step_findings(text)


def test_cut_up_rendered_scripts_get_the_step_findings_they_got_before() -> None:
    """Pieces of real scripts cut at random places: broken trees, error recovery."""
    for text in cut_ups(list(_rendered_texts())):
        assert_same_step_findings(text)


_PIECES = [
    "param(",
    "[switch]$CheckOnly",
    ")",
    "(",
    "\n",
    " ",
    "# function f {}\n",
    "<# class #>",
    "function f { 1 }",
    "FUNCTION",
    "filter g { $_ }",
    "workflow w { }",
    "class C { [int]$x }",
    "class",
    "enum E { A }",
    "Enum",
    "{",
    "}",
    "'enum'",
    '"$(function)"',
    "$function",
    "Get-Item function:x",
    "cla\u017fs",
    "\u00e9",
    "\u2019",
    "[Attr()]",
    "if ($x) {",
    "& { param($y) }",
    ";",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
def test_generated_scripts_get_the_step_findings_they_got_before(text: str) -> None:
    assert_same_step_findings(text)


def test_a_definition_nested_in_another_and_in_a_block_is_each_reported() -> None:
    text = (
        "param([switch]$CheckOnly)\nfunction Outer {\n  function Inner { }\n}\n"
        "if ($true) { enum E { A } }\n"
    )
    _findings.cache_clear()
    assert [(f.line, f.column, f.code) for f in _findings(text, True)] == [
        (2, 1, "PSR602"),
        (3, 3, "PSR602"),
        (5, 14, "PSR602"),
    ]
