"""String tokens decoded with PowerShell's rules, not tree-sitter's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psrunbook.sim.ps.exceptions import ScriptParseError
from psrunbook.sim.ps.lexer import normalise
from psrunbook.sim.ps.strings import decode_verbatim

from .helpers import run

SINGLE_QUOTES = ["'", "\u2018", "\u2019", "\u201a", "\u201b"]


@pytest.mark.parametrize("quote", SINGLE_QUOTES)
def test_each_single_quote_character_delimits_a_string(quote: str) -> None:
    """Each of the five single-quote characters opens and closes a verbatim string."""
    result = run(f"{quote}value{quote}")
    assert [] == result.errors and result.failed is None
    assert ["value"] == result.output


@pytest.mark.parametrize("quote", SINGLE_QUOTES)
def test_doubled_quote_character_stands_for_itself(quote: str) -> None:
    """A doubled quote character inside the string yields one of it."""
    assert [f"a{quote}b"] == run(f"'a{quote}{quote}b'").output


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("'it\u2019's'", "it's"),  # pair ’' stands for '
        ("'it'\u2019s'", "it\u2019s"),  # pair '’ stands for ’
        ("\u2018x\u2019", "x"),  # smart-quote delimited
        ("'x\u2019", "x"),  # ASCII open, smart close
        ("'$x `n \"q\"'", '$x `n "q"'),  # no expansion, no escapes
        ("'line1\nline2'", "line1\nline2"),
        ("''", ""),
    ],
)
def test_single_quoted_decoding(script: str, expected: str) -> None:
    """Mixed pairs, smart delimiters and verbatim content decode as PowerShell does."""
    assert [expected] == run(script).output


@pytest.mark.parametrize(
    "script",
    [
        "Get-Thing -Name 'b\u2019c'",
        "'b\u2018c' + 'd'",
        "$x = 'a\u201bz'",
        'Get-Thing -Name "a\u201cb"',
    ],
)
def test_unpaired_smart_quote_inside_a_word_is_refused(script: str) -> None:
    """A token tree-sitter reads as one string but PowerShell would split is refused."""
    result = run(script)
    assert result.failed is not None
    assert "ParseError" == result.failed.error_id
    assert "PowerShell ends the string" in result.failed.message
    assert 1 == result.failed.script_line


def test_normalise_keeps_the_length_and_makes_delimiters_ascii() -> None:
    """The normalised copy has the same length; delimiters and pairs become ASCII."""
    text = "Get-It \u2013Name \u2018a\u2019\u2019b\u2019 \u2014Force"
    out = normalise(text)
    assert len(text) == len(out)
    assert "Get-It -Name 'a''b' -Force" == out


def test_unterminated_string_is_a_parse_error() -> None:
    """A string without its closing quote fails before anything runs."""
    with pytest.raises(ScriptParseError):
        normalise("'open")


@pytest.mark.parametrize("dash", ["\u2013", "\u2014", "\u2015"])
def test_unicode_dash_starts_a_parameter(dash: str) -> None:
    """En dash, em dash and horizontal bar start a parameter name as in PowerShell."""
    result = run(f"Get-Thing {dash}Name 'alpha' | ForEach-Object {{ $_.Name }}")
    assert ["alpha"] == result.output


def test_unicode_dash_works_as_an_operator() -> None:
    """``–eq`` with an en dash is the -eq operator."""
    assert [True] == run("1 \u2013eq 1").output


def test_unicode_dash_inside_a_bare_word_is_kept() -> None:
    """Inside a bare word the dash is an ordinary character (values come from the source)."""
    assert ["args:a\u2013b"] == run("icacls a\u2013b").output


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('"tab`there"', "tab\there"),
        ('"nl`n"', "nl\n"),
        ('"`0`a`b`f`r`v"', "\0\a\b\f\r\v"),
        ('"`$x `" `` `e"', '$x " ` e'),  # `e is PowerShell 6+: plain e in 5.1
        ('"q""q"', 'q"q'),
        ('"a\u201c\u201db"', "a\u201db"),
        ("\u201csmart\u201d", "smart"),
        ('$v = 5; "v=$v, ${v}, $($v + 1), $env:COMPUTERNAME"', "v=5, 5, 6, NODE1"),
        ('$o = @{ N = "x" }; "$o.N $($o.N)"', "System.Collections.Hashtable.N x"),
        ('"cost: $ 5 and $"', "cost: $ 5 and $"),
        ('$a = 1,2; "$a"', "1 2"),
        ('"$("nested ""q"" $(1+1)")"', 'nested "q" 2'),
    ],
)
def test_expandable_strings(script: str, expected: str) -> None:
    """Double-quoted strings expand variables and subexpressions and honour 5.1 escapes."""
    result = run(script)
    assert result.failed is None, result.failed
    assert [expected] == result.output


def test_verbatim_here_string() -> None:
    """A single-quoted here-string keeps everything, without its final newline."""
    script = "@'\nline $x\n  'quoted' \"too\"\n'@"
    assert ["line $x\n  'quoted' \"too\""] == run(script).output


def test_expandable_here_string() -> None:
    """A double-quoted here-string expands and keeps quotes literal."""
    script = '$v = \'V\'\n@"\nv=$v `t $(1+1) "q" ""\n"@'
    assert ['v=V \t 2 "q" ""'] == run(script).output


def test_here_string_with_smart_quote_footer() -> None:
    """A line starting with a smart quote and @ ends a verbatim here-string."""
    assert ["body"] == run("@\u2018\nbody\n\u2019@").output


def test_decode_verbatim_directly() -> None:
    """decode_verbatim applies the pair rule to any of the five characters."""
    assert "a\u2019b'c" == decode_verbatim("'a\u2018\u2019b\u201b'c'")


def test_comment_with_quote_is_ignored() -> None:
    """A quote inside a comment does not open a string."""
    assert [1, 2] == run("1 # it's\n<# don't #> 2").output


def powershell_literal(value: str) -> str:
    """PowerShell's own escaping rule (CodeGeneration.EscapeSingleQuotedStringContent)."""
    return "'" + "".join(c * 2 if c in SINGLE_QUOTES else c for c in value) + "'"


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc"),
            whitelist_characters="\n\t'\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2013`$\"",
        ),
        max_size=30,
    )
)
def test_escaped_literal_round_trips(value: str) -> None:
    """Any text escaped by PowerShell's rule evaluates back to itself, as an argument too."""
    literal = powershell_literal(value)
    result = run(f"{literal}; Write-Output -InputObject {literal}")
    assert result.failed is None, result.failed
    assert [value, value] == result.output
