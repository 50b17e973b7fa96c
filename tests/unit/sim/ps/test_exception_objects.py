"""Exceptions a script makes and throws (psrunbook.sim.ps.exception_objects), and what a
``catch`` sees of them, as Windows PowerShell 5.1 on .NET Framework 4.8 does.

Before, ``[System.ArgumentException]::new('x')`` and ``New-Object
System.InvalidOperationException 'x'`` were refused by name, so a script validating its
input with ``throw [ArgumentException]::new(...)`` could not run in the lab; and a
``catch [System.Management.Automation.RuntimeException]`` missed every error whose own
exception is not one (a cmdlet's, a thrown .NET exception), though PowerShell hands
every caught error to the catch as a RuntimeException.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sim.ps.helpers import output_of, run

ARGUMENT = "System.ArgumentException"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # constructors and mscorlib's default messages
        ("[System.Exception]::new().Message", ["Exception of type 'System.Exception' was thrown."]),
        ("[ArgumentException]::new().Message", ["Value does not fall within the expected range."]),
        ("[InvalidOperationException]::new('busy').Message", ["busy"]),
        ("[ArgumentException]::new('bad value', 'Name').Message",
         ["bad value\r\nParameter name: Name"]),
        ("[ArgumentNullException]::new('Name').Message",
         ["Value cannot be null.\r\nParameter name: Name"]),
        ("[ArgumentOutOfRangeException]::new('Count', 'too many').Message",
         ["too many\r\nParameter name: Count"]),
        ("[IO.FileNotFoundException]::new('gone', 'C:\\x.txt').Message", ["gone"]),
        ("(New-Object System.TimeoutException 'late').Message", ["late"]),
        ("(New-Object -TypeName System.NotSupportedException).Message",
         ["Specified method is not supported."]),
        ("$e = [ArgumentException]::new('x'); $e.GetType().FullName;"
         " $e -is [System.SystemException]",
         [ARGUMENT, True]),
        ("$i = [FormatException]::new('in'); [InvalidOperationException]::new('out', $i)"
         ".InnerException.Message", ["in"]),
        # throw: an ErrorRecord of that exception, its message the error id, OperationStopped
        ("try { throw [ArgumentException]::new('bad') } catch [ArgumentException] {"
         " $_.Exception.GetType().FullName; $_.FullyQualifiedErrorId;"
         " [string]$_.CategoryInfo.Category; \"$_\" }",
         [ARGUMENT, "bad", "OperationStopped", "bad"]),
        # every caught error reaches the catch as a RuntimeException (or one around it)
        ("try { throw [ArgumentException]::new('bad') }"
         " catch [System.Management.Automation.RuntimeException] { $_.Exception.GetType().Name }",
         ["ArgumentException"]),
        ("try { throw 'text' } catch [System.SystemException] { 'system' }", ["system"]),
        ("try { Get-Thing -Terminate } catch [System.Management.Automation.RuntimeException]"
         " { 'runtime' }", ["runtime"]),
        # the thrown exception is looked for before the RuntimeException around it
        ("try { throw [ArgumentException]::new('x') }"
         " catch [System.Management.Automation.RuntimeException] { 'outer' }"
         " catch [ArgumentException] { 'own' }", ["own"]),
        # ... not its own inner exception
        ("$i = [FormatException]::new('in');"
         " try { throw [InvalidOperationException]::new('o', $i) }"
         " catch [FormatException] { 'inner' } catch [InvalidOperationException]"
         " { 'own'; $_.Exception.InnerException.Message }", ["own", "in"]),
    ],
)  # fmt: skip
def test_exceptions_are_made_thrown_and_caught_as_on_windows(
    script: str, expected: list[Any]
) -> None:
    assert expected == output_of(script)


def test_an_uncaught_thrown_exception_fails_the_pipeline_with_its_record() -> None:
    result = run("throw [TimeoutException]::new('late')")
    assert result.failed is not None
    assert ("late", "System.TimeoutException", "OperationStopped") == (
        result.failed.error_id,
        result.failed.exception_type,
        result.failed.category,
    )


@pytest.mark.parametrize(
    "script",
    [
        "[System.Collections.Generic.KeyNotFoundException]::new('k')",
        "[InvalidOperationException]::new('a', 'b')",
        "New-Object System.Security.SecurityException 'x'",
    ],
)
def test_other_exception_types_and_constructors_are_refused_by_name(script: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
