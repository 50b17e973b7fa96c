"""``$t::MaxValue``: a static member read through a value (a type held in a variable, or
an instance, whose type PowerShell uses). The lab ended such a script with an internal
simulator error (a StopIteration from reading the target as a type literal); it now
refuses it by name, and ``[int]::MaxValue`` reads as before."""

from __future__ import annotations

import pytest

from .helpers import run


@pytest.mark.parametrize("script", ["$t = [int]\n$t::MaxValue", "$s = 'a'\n$s::Empty"])
def test_a_static_member_through_a_value_is_refused_by_name(script: str) -> None:
    result = run(f"'before'\n{script}")
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert "static member access through a value" in result.failed.message
    assert "internal simulator error" not in result.failed.message


def test_a_static_member_of_a_type_literal_reads() -> None:
    result = run("[int]::MaxValue\n[string]::Empty")
    assert result.failed is None, result.failed
    assert [2147483647, ""] == result.output
