"""Forms docs/simulated-powershell.md lists as supported that the evaluator refused."""

from __future__ import annotations

from .helpers import run


def test_call_operator_on_a_variable_holding_a_script_block() -> None:
    """``& $sb 1`` calls the block with its arguments (about_Operators, call operator)."""
    result = run("$sb = { param($n) $n * 2 }; & $sb 21; $name = 'Write-Output'; & $name x")
    assert result.failed is None, result.failed
    assert [42, "x"] == result.output


def test_error_action_given_as_the_enum_s_number() -> None:
    """``-ea 0`` is SilentlyContinue (ActionPreference's values, as PowerShell converts
    them from text): the error is recorded in ``$Error``, not written."""
    result = run(
        "Get-Thing -Name nope -ea 0; $Error.Count; Get-Thing -Name nope -ea 4; $Error.Count"
    )
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert [1, 1] == result.output
