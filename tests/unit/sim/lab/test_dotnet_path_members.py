"""``[System.IO.Path]::GetTempPath()`` and ``GetRandomFileName()`` on a lab node, as
pypsrp 1.0's connect tests use them to make a file another client writes."""

from __future__ import annotations

import re

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import run_on


def test_temp_path_is_the_sessions_temp_folder_with_one_trailing_backslash() -> None:
    result = run_on(sample_lab(), "[System.IO.Path]::GetTempPath(); $env:TEMP")
    assert result.failed is None, result.failed
    path, temp = result.output
    assert path == temp.rstrip("\\") + "\\"
    assert not path.endswith("\\\\")


def test_random_file_name_is_eight_dot_three_and_creates_nothing() -> None:
    script = (
        "$a = [System.IO.Path]::GetRandomFileName(); $b = [System.IO.Path]::GetRandomFileName()\n"
        "$a; $b; Test-Path (Join-Path ([System.IO.Path]::GetTempPath()) $a)"
    )
    result = run_on(sample_lab(), script)
    assert result.failed is None, result.failed
    first, second, exists = result.output
    for name in (first, second):
        assert re.fullmatch(r"[a-z0-5]{8}\.[a-z0-5]{3}", name), name
    assert first != second
    assert exists is False


def test_a_path_member_called_with_arguments_has_no_such_overload() -> None:
    result = run_on(sample_lab(), "[System.IO.Path]::GetRandomFileName('x'); 'next'")
    assert ["next"] == result.output
    (error,) = result.errors
    assert 'Cannot find an overload for "GetRandomFileName" and the argument count: "1".' == (
        error.message
    )
    assert "System.Management.Automation.MethodException" == error.exception_type


def test_convert_from_utf32_gives_the_character_and_refuses_surrogates() -> None:
    result = run_on(
        sample_lab(),
        "[char]::ConvertFromUtf32(0x00E9); [char]::ConvertFromUtf32(0x1F3B5)\n"
        "[char]::ConvertFromUtf32(0xD800); 'next'",
    )
    assert ["\u00e9", "\U0001f3b5", "next"] == result.output
    (error,) = result.errors
    assert error.message.startswith(
        'Exception calling "ConvertFromUtf32" with "1" argument(s): "A valid UTF32 value is '
        "between 0x000000 and 0x10ffff"
    )
    assert "ArgumentOutOfRangeException" == error.error_id


def test_write_all_text_is_utf8_without_a_bom_and_read_all_text_reads_it_back() -> None:
    script = (
        "$p = Join-Path ([System.IO.Path]::GetTempPath()) 'text.txt'\n"
        "[System.IO.File]::WriteAllText($p, 'h\u00e9llo')\n"
        "[System.IO.File]::ReadAllText($p)\n"
        "[System.IO.File]::ReadAllBytes($p).Count\n"
        "Set-Content -LiteralPath $p -Value 'bom' -Encoding UTF8\n"
        "[System.IO.File]::ReadAllText($p)"
    )
    result = run_on(sample_lab(), script)
    assert result.failed is None, result.failed
    assert ["h\u00e9llo", 6, "bom\r\n"] == result.output


def test_write_all_text_writes_a_lone_surrogate_as_the_replacement_character() -> None:
    """.NET's UTF8Encoding replaces what it cannot encode with U+FFFD (EF BF BD)."""
    script = (
        "$p = Join-Path ([System.IO.Path]::GetTempPath()) 'lone.txt'\n"
        '[System.IO.File]::WriteAllText($p, "a$([char]0xD83C)b")\n'
        "[System.IO.File]::ReadAllBytes($p) -join ','"
    )
    result = run_on(sample_lab(), script)
    assert result.failed is None, result.failed
    assert ["97,239,191,189,98"] == result.output
