"""Parameter names shortened to a unique prefix, and ambiguous prefixes refused.

PowerShell binds ``-N`` to ``-Name`` when no other parameter (or alias) of the command
starts with ``N``; a prefix that matches several is a ParameterBindingException
(AmbiguousParameter) naming them, for cmdlets and for functions alike
(MergedCommandParameterMetadata.GetMatchingParameter).
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import run_on
from tests.unit.sim.ps.helpers import run


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("Get-Service -N winrm | Select-Object -Prop Name | ForEach-Object Name", ["winrm"]),
        ("Get-Service -Nam nosuch -ErrorA SilentlyContinue; 'after'", ["after"]),
        ("Get-Service | Select-Object -Fir 1 -ExpandP Name", ["ClusSvc"]),
        ('function f { param($Alpha, [switch]$Beta) "$Alpha $Beta" }; f -Al 1 -B', ["1 True"]),
        ("function f { [CmdletBinding()] param($Alpha) $Alpha }; f -Al 2 -ErrorA Stop", [2]),
    ],
)
def test_unique_prefixes_bind(script: str, expected: list[object]) -> None:
    result = run_on(sample_lab(), script)
    assert (expected, [], None) == (result.output, result.errors, result.failed)


def test_an_ambiguous_prefix_of_a_simple_function_is_an_error_not_an_argument() -> None:
    """A simple function puts unknown names in ``$args``, but an ambiguous one is an error."""
    result = run("function g { param($Alpha, $Alps) \"[$Alpha][$args]\" }; g -Al 1; 'next'")
    (record,) = result.errors
    assert record.error_id == "AmbiguousParameter"
    assert record.message == (
        "Parameter cannot be processed because the parameter name 'Al' is ambiguous. "
        "Possible matches include: -Alpha -Alps."
    )
    assert ["next"] == result.output


def test_an_ambiguous_prefix_of_a_builtin_names_its_cmdlet_type() -> None:
    """``-E`` of Select-Object matches two own parameters and two common ones."""
    result = run("1 | Select-Object -E x")
    (record,) = result.errors
    assert record.fully_qualified_error_id == (
        "AmbiguousParameter,Microsoft.PowerShell.Commands.SelectObjectCommand"
    )
    assert "-ExpandProperty -ExcludeProperty -ErrorAction -ErrorVariable." in record.message
    assert record.exception_type.endswith("ParameterBindingException")


def test_an_ambiguous_prefix_of_a_lab_cmdlet() -> None:
    result = run_on(sample_lab(), "Get-Service -D x")
    (record,) = result.errors
    assert record.fully_qualified_error_id == (
        "AmbiguousParameter,Microsoft.PowerShell.Commands.GetServiceCommand"
    )
