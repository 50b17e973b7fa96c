"""System.Guid in the lab's PowerShell, as Windows PowerShell 5.1 on .NET Framework 4.8 has
it (psrunbook.sim.ps.guid_values).

Before, a Guid was a string: ``([guid]$text).Guid`` answered ``$null`` (Windows: the
text), ``GetType()`` said String, ``[guid]::NewGuid()``, ``[guid]::Empty`` and
``New-Guid`` were refused, and every malformed text failed with "Unrecognized Guid
format." whatever .NET says of it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.sim.ps.helpers import only_error, output_of, run

G = "6f1d3c8e-3f57-4a8e-9d43-5b7f1f3f2a10"
EMPTY = "00000000-0000-0000-0000-000000000000"
TAIL = "-0000-0000-0000-000000000000"
INVALID_LENGTH = (
    "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."
)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # every form Guid.Parse reads, blanks around, any case: the "D" text in lower case
        (f"([guid]'{G.upper()}').Guid", [G]),
        (f"([guid]'{G.replace('-', '')}').Guid", [G]),
        (f"([guid]' {{{G}}} ').Guid", [G]),
        (f"([guid]'({G})').Guid", [G]),
        (f"[string][guid]'{G.upper()}'; \"$([guid]'{G}')\"", [G, G]),
        # its type, and its one property (types.ps1xml's Guid ScriptProperty)
        (f"([guid]'{G}').GetType().FullName; [guid]'{G}' -is [guid]", ["System.Guid", True]),
        (f"Set-StrictMode -Version 3; ([guid]'{G}').Guid", [G]),
        (f"[guid]'{G}' | Get-Member -MemberType Property | ForEach-Object Name", ["Guid"]),
        # ToString formats
        (
            f"$g = [guid]'{G}'; $g.ToString(); $g.ToString('N'); $g.ToString('b');"
            " $g.ToString('P'); $g.ToString(''); $g.ToString('X')",
            [
                G,
                G.replace("-", ""),
                "{" + G + "}",
                "(" + G + ")",
                G,
                "{0x6f1d3c8e,0x3f57,0x4a8e,{0x9d,0x43,0x5b,0x7f,0x1f,0x3f,0x2a,0x10}}",
            ],
        ),
        # the "X" form, blanks anywhere, short numbers; its own round trip
        (f"([guid]' {{0x6f1d3c8e, 0x3f57,0x4a8e,{{0x9d,0x43,0x5b,0x7f,0x1f,0x3f,0x2a,"
         "0x10}}').Guid;"
         f" ([guid]([guid]'{G}').ToString('X')).Guid;"
         " ([guid]::ParseExact('{0x1,0x2,0x3,{0x4,0x5,0x6,0x7,0x8,0x9,0xa,0xb}}', 'X')).Guid",
         [G, G, "00000001-0002-0003-0405-060708090a0b"]),
        # the static members
        (
            "[guid]::Empty.Guid; [guid]::Empty -eq [guid]::Empty",
            [EMPTY, True],
        ),
        (
            f"[guid]::Parse('{G.upper()}').Guid;"
            f" [guid]::ParseExact('{G.replace('-', '')}', 'N').Guid",
            [G, G],
        ),
        (
            f"$g = $null; [guid]::TryParse('no', [ref]$g); $g.Guid;"
            f" [guid]::TryParse('{G}', [ref]$g); $g.Guid",
            [False, "00000000-0000-0000-0000-000000000000", True, G],
        ),
        # equality and order: the right side converted to a Guid; by value
        (
            f"[guid]'{G}' -eq '{G.upper()}'; [guid]'{G}' -eq 'no'; [guid]'{G}' -ne [guid]::Empty",
            [True, False, True],
        ),
        (f"'{G.upper()}' -eq [guid]'{G}'", [True]),
        (f"@([guid]'{G}') -contains '{G}'", [True]),
        # Object.Equals of a value type (an array's or a list's Contains and IndexOf): by
        # value, never equal to another type; the same for TimeSpan and DateTime
        (
            f"@([guid]'{G}').Contains([guid]'{G}'); @([guid]'{G}').Contains('{G}');"
            f" $l = [System.Collections.ArrayList]::new(); [void]$l.Add([guid]'{G}');"
            f" $l.IndexOf([guid]'{G}')",
            [True, False, 0],
        ),
        (
            "@([timespan]'0:5').Contains([timespan]'0:5');"
            " @([datetime]'2026-01-01').IndexOf([datetime]'2026-01-01')",
            [True, 0],
        ),
        (f"$g = [guid]'{G}'; $g.Equals([guid]'{G}'); $g.Equals('{G}')", [True, False]),
        (
            f"$g = [guid]'{G}'; $g.CompareTo([guid]::Empty); $g.CompareTo($g); $g.CompareTo($null)",
            [1, 0, 1],
        ),
        (
            f"@([guid]'ffffffff{TAIL}', [guid]'00000000-0000-0000-0000-000000000001',"
            f" [guid]'80000000{TAIL}') | Sort-Object | % {{ $_.Guid.Substring(0, 8) }}",
            ["00000000", "80000000", "ffffffff"],
        ),
        (f"[guid]::Empty -lt [guid]'{G}'", [True]),
        # the default table and list (no format view: its one property)
        (
            "[guid]::Empty | Out-String",
            [
                f"\r\n{'Guid':36}\r\n{'----':36}\r\n{EMPTY}\r\n\r\n\r\n"
            ],
        ),
        (
            "[guid]::Empty | Format-List | Out-String",
            ["\r\nGuid : 00000000-0000-0000-0000-000000000000\r\n\r\n\r\n"],
        ),
        # ConvertTo-Json: a primitive; from the pipeline with the Guid ScriptProperty
        (
            "ConvertTo-Json -InputObject ([guid]::Empty) -Compress;"
            " @{a = [guid]::Empty} | ConvertTo-Json -Compress;"
            " [guid]::Empty | ConvertTo-Json -Compress",
            [
                '"00000000-0000-0000-0000-000000000000"',
                '{"a":"00000000-0000-0000-0000-000000000000"}',
                '{"value":"00000000-0000-0000-0000-000000000000",'
                '"Guid":"00000000-0000-0000-0000-000000000000"}',
            ],
        ),
    ],
)
def test_guids_behave_as_on_windows(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


def test_new_guids_are_random_version_4_guids() -> None:
    """``[guid]::NewGuid()`` and ``New-Guid``: distinct, the "D" form, version 4."""
    made = output_of(
        "$a = [guid]::NewGuid(); $b = New-Guid; $a.Guid; $b.Guid; $a -eq $b; $b.GetType().FullName"
    )
    assert made[2:] == [False, "System.Guid"]
    for text in made[:2]:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", text
        )


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "[guid]'no'",
            f'Cannot convert value "no" to type "System.Guid". Error: "{INVALID_LENGTH}"',
        ),
        (
            "[guid]''",
            'Cannot convert value "" to type "System.Guid". Error: "Unrecognized Guid format."',
        ),
        (
            f"[guid]'{G[:-1]}x'",
            f'Cannot convert value "{G[:-1]}x" to type "System.Guid". Error: '
            '"Guid string should only contain hexadecimal characters."',
        ),
        (
            f"[guid]'{G.replace('-', '', 1)}-'",
            f'Cannot convert value "{G.replace("-", "", 1)}-" to type "System.Guid". Error: '
            '"Dashes are in the wrong position for GUID parsing."',
        ),
        (
            f"[guid]'{{{G})'",
            f'Cannot convert value "{{{G})" to type "System.Guid". Error: "{INVALID_LENGTH}"',
        ),
        ("[guid]$null", 'Cannot convert null to type "System.Guid".'),
        (
            "[guid]::Parse($null)",
            'Exception calling "Parse" with "1" argument(s): "Value cannot be null.\r\n'
            'Parameter name: input"',
        ),
        (
            "[guid]::Empty.ToString('Q')",
            'Exception calling "ToString" with "1" argument(s): "Format String can be only "D", '
            '"d", "N", "n", "P", "p", "B", "b", "X" or "x"."',
        ),
        (
            "[guid]::Empty.CompareTo('x')",
            'Exception calling "CompareTo" with "1" argument(s): "Object must be of type GUID."',
        ),
        (
            "[guid]::Empty -lt 'x'",
            'Could not compare "00000000-0000-0000-0000-000000000000" to "x". Error: "Cannot '
            f'convert value "x" to type "System.Guid". Error: "{INVALID_LENGTH}""',
        ),
        ("New-Guid -Count 2", "A parameter cannot be found that matches parameter name 'Count'."),
        (
            "[guid]'{0x1,0x2,0x3,{0x4}}'",
            'Cannot convert value "{0x1,0x2,0x3,{0x4}}" to type "System.Guid". Error: '
            '"Unrecognized Guid format."',
        ),
    ],
)
def test_what_dotnet_refuses_fails_with_its_message(script: str, message: str) -> None:
    assert message == only_error(script).message


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("[guid]::Empty.ToByteArray()", "[guid].ToByteArray()"),
        ("[guid]::Empty.ToString('D', $null)", "format provider"),
        ("[guid][byte[]](1..16)", "byte array"),
    ],
)
def test_what_the_lab_does_not_model_is_refused_by_name(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert construct in result.failed.message
