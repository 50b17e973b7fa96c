"""A begin/process script with pipeline input through pypsrp, as pypsrp 1.0's real-host
tests send it (``tests_psrp`` ``test_powershell_input_as_iterable`` and the other input
tests, which pass on Windows): ``begin { $i = 0 }; process { ... }``.

PowerShell's parser skips the ``;`` and line breaks between and around a script's named
blocks (PS-src ``engine/parser/Parser.cs`` ``NamedBlockListRule`` and ``ScriptBlockRule``:
``SkipNewlinesAndSemicolons``); the lab refused the script as a parse error.
"""

from __future__ import annotations

from pypsrp.powershell import PowerShell, RunspacePool

SCRIPT = "begin { $i = 0 }; process { [PSCustomObject]@{Idx = $i; Value = $_}; $i++ }"


def test_begin_process_script_with_input(lab_pool: RunspacePool) -> None:
    ps = PowerShell(lab_pool)
    ps.add_script(SCRIPT)
    output = ps.invoke(input=[1, "2", 3])
    assert not ps.had_errors, [str(e) for e in ps.streams.error]
    assert [(0, 1), (1, "2"), (2, 3)] == [
        (o.adapted_properties.get("Idx", o.extended_properties.get("Idx")),
         o.adapted_properties.get("Value", o.extended_properties.get("Value")))
        for o in output
    ]  # fmt: skip


def test_terminators_on_their_own_lines(lab_pool: RunspacePool) -> None:
    ps = PowerShell(lab_pool)
    ps.add_script(";\nbegin { 'b' }\n;\nprocess { $_ * 2 }\n;\nend { 'e' };\n")
    assert ["b", 2, 4, "e"] == ps.invoke(input=[1, 2])
    assert not ps.had_errors


def test_statement_after_the_blocks_is_still_a_parse_error(lab_pool: RunspacePool) -> None:
    ps = PowerShell(lab_pool)
    ps.add_script("begin { 'b' }; 'x'")
    assert [] == ps.invoke(input=[1])
    assert ps.had_errors
    assert "ParseError" == ps.streams.error[0].fq_error
