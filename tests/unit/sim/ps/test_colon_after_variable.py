"""A variable followed by a colon (``"on $owner: done"``): PowerShell's tokenizer reads
``$owner:`` as a drive-qualified variable whose name is empty and refuses the whole
script before any of it runs (``InvalidVariableReferenceWithDrive``; after a scope,
``$script:``, ``InvalidVariableReference``). The lab ran such scripts, expanding
``$owner`` and keeping the colon, so templates with the mistake passed every lab test
and would not have parsed on Windows."""

from __future__ import annotations

import pytest

from psrunbook.sim.ps.semantic_checks import (
    INVALID_DRIVE_VARIABLE,
    INVALID_SCOPED_VARIABLE,
    colon_after_variable,
)

from .helpers import assert_refused_at_parse, run


@pytest.mark.parametrize(
    ("script", "where", "message"),
    [
        ('$o = "x"\n"on $o: y"', (2, 5), INVALID_DRIVE_VARIABLE),
        ('$o = "x"\nthrow "at $o:"', (2, 11), INVALID_DRIVE_VARIABLE),
        ('$o = "x"\n$m = "a " + "is $o: b"', (2, 17), INVALID_DRIVE_VARIABLE),
        ('$o = "x"\n@"\nline $o: here\n"@', (3, 6), INVALID_DRIVE_VARIABLE),
        ('$o = "x"\nWrite-Output $o: y', (2, 14), INVALID_DRIVE_VARIABLE),
        ('$o = "x"\n$_ = 1\n"$_: x"', (3, 2), INVALID_DRIVE_VARIABLE),
        ('$o = "x"\n"$o:$o"', (2, 2), INVALID_DRIVE_VARIABLE),  # "$" starts no name
        ('"$script: x"', (1, 2), INVALID_SCOPED_VARIABLE),
        ('"$Global:"', (1, 2), INVALID_SCOPED_VARIABLE),
    ],
)
def test_an_empty_qualified_name_refuses_the_whole_script(
    script: str, where: tuple[int, int], message: str
) -> None:
    assert_refused_at_parse(run(f"'ran'\n{script}"), where[0] + 1, where[1], message)


def test_delimited_names_qualified_names_and_colons_elsewhere_run() -> None:
    result = run(
        '$o = "x"\n'
        '"${o}: y"\n'  # the fix
        '"$($o): y"\n'
        '"$o`: y"\n'  # escaped
        '"$o : y"\n'
        "'$o: y'\n"  # verbatim
        '# "$o: y" in a comment\n'
        '$env:PSRUNBOOK_T = "e"\n'
        '"$env:PSRUNBOOK_T"\n'
        '$script:s = "s"\n'
        '"$script:s"\n'
    )
    assert result.failed is None, result.failed
    assert ["x: y", "x: y", "x: y", "x : y", "$o: y", "e", "s"] == result.output[:7]


@pytest.mark.parametrize(
    ("name", "after", "expected"),
    [
        ("owner", ": x", INVALID_DRIVE_VARIABLE),
        ("owner", ":", INVALID_DRIVE_VARIABLE),
        ("owner", ':"', INVALID_DRIVE_VARIABLE),
        ("script", ": x", INVALID_SCOPED_VARIABLE),
        ("USING", ":)", INVALID_SCOPED_VARIABLE),
        ("a", "::b", None),  # static member access
        ("env", ":PATH", None),
        ("o", ":_", None),
        ("o", ":{x}", INVALID_DRIVE_VARIABLE),  # ``${o:x}`` is how braces qualify
        ("o", " :", None),
        ("o", "", None),
    ],
)
def test_the_tokenizer_rule(name: str, after: str, expected: str | None) -> None:
    assert expected == colon_after_variable(name, after)
