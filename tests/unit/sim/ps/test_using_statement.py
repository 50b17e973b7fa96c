"""``using namespace``/``module``/``assembly``: tree-sitter reads it as a command named
``using``. Windows accepts one only before every other statement and refuses the whole
script after one; the lab ran such a script on past a "not recognized" error. It now
refuses any using statement by name before anything runs (it models none of them)."""

from __future__ import annotations

import pytest

from .helpers import run


@pytest.mark.parametrize(
    "script",
    [
        '"before"\nusing namespace System.Text\n"after"',
        'using namespace System.Text\n"after"',
        'using module PSReadLine\n"after"',
    ],
)
def test_a_using_statement_is_refused_before_anything_runs(script: str) -> None:
    result = run(script)
    assert [] == result.output
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert "a using statement" in result.failed.message


def test_the_word_as_an_argument_is_no_statement() -> None:
    result = run('Write-Output using\n"after"')
    assert result.failed is None, result.failed
    assert ["using", "after"] == result.output
