"""The script linter: each rule fires on a bad script and stays silent on a good one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psrunbook.catalog import load_catalog
from psrunbook.lint import Finding, lint_script, lint_template_source, parse
from psrunbook.templates.literal import ps_literal

GOOD_SCRIPT = """\
param(
    [Parameter(Mandatory)][string]$GroupName,
    [Parameter(Mandatory)][string]$ResourceName,
    [string]$ServiceName = 'MsDtsServer160'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
# Unicode in comments is harmless: it’s not code – nothing to flag.
$group = Get-ClusterGroup -Name $GroupName
$existing = Get-ClusterResource -ErrorAction SilentlyContinue |
    Where-Object { $_.Name -eq $ResourceName }
if ($null -eq $existing) {
    $resource = Add-ClusterResource -Name $ResourceName -Group $GroupName `
        -ResourceType 'Generic Service'
    $resource | Set-ClusterParameter -Name 'ServiceName' -Value $ServiceName
    Add-ClusterResource 'Other' $GroupName 'Generic Service' | Out-Null
}
$note = 'Quotes inside a string are content: “smart” ‘‘doubled’’ – fine'
$text = "Expandable: $($group.Name) says “”hi“”"
Get-ClusterResource -Name 'Old' | Remove-ClusterResource -Force
Remove-ClusterCheckpoint -ResourceName 'R' -RegistryCheckpoint -CheckpointName 'K' -Force
Set-ClusterOwnerNode -Resource $ResourceName -Owners 'NODE1', 'NODE2'
$resource | Set-ClusterParameter -Multiple @{ 'ServiceName' = $ServiceName } -Create
Start-ClusterResource -Name $ResourceName -Wait 0 -Verbose:$false -ea Stop
[PSCustomObject]@{ Changed = $true; Name = $ResourceName }
"""


def assert_codes(expected: list[str], text: str) -> None:
    """Assert the finding codes of ``text``, in order of position."""
    actual = [finding.code for finding in lint_script(text, source="t.ps1")]
    assert expected == actual


def test_good_script_has_no_findings() -> None:
    """A script using every supported form correctly produces no finding at all."""
    expected: list[Finding] = []
    assert expected == lint_script(GOOD_SCRIPT, source="good.ps1")


def test_finding_reports_source_line_and_column() -> None:
    """Findings carry the source name and 1-based line and character column."""
    (finding,) = lint_script("$a = 1\n  Get-ClusterNode -Bogus 'x'\n", source="nodes.ps1.j2")
    expected = ("nodes.ps1.j2", 2, 19, "PSR101")
    assert expected == (finding.source, finding.line, finding.column, finding.code)
    assert str(finding).startswith("nodes.ps1.j2:2:19: PSR101 ")


def test_columns_count_characters_not_bytes() -> None:
    """A multi-byte character before a finding does not shift its column."""
    (finding,) = lint_script("$a = '€€€'; Get-ClusterNode -Bogus 1\n", source="t")
    expected_column = 29
    assert expected_column == finding.column


@pytest.mark.parametrize("script", ['$x = @"\r', "$x = @'\r", '$x = @"  \rtext\r"@\r'])
def test_a_here_string_header_ended_by_a_lone_cr_is_a_finding_not_a_crash(script: str) -> None:
    """Old Mac line ends (CR alone) after ``@"``: a syntax error, never an internal one."""
    (finding,) = lint_script(script, source="t")
    assert ("PSR001", "error") == (finding.code, finding.severity)


# --- rule 1: syntax ---------------------------------------------------------------------------


def test_syntax_error_is_reported() -> None:
    """An unclosed parenthesis is a syntax finding at its line."""
    findings = lint_script("$ok = 1\n$x = (1 +\n", source="t")
    expected = ("t", 2, "PSR001")
    assert [expected] == [(f.source, f.line, f.code) for f in findings]


def test_missing_node_is_reported() -> None:
    """A MISSING node (closing brace the parser had to invent) is a finding too."""
    findings = lint_script("if ($true) {\n  'x'\n", source="t")
    expected = ["PSR002"]
    assert expected == [finding.code for finding in findings]


@pytest.mark.parametrize("script", ["", "\n", "# only a comment\n", "param([string]$A)\n"])
def test_script_without_statement(script: str) -> None:
    """A script with nothing to run gets one clear finding, not a parser artefact."""
    assert_codes(["PSR004"], script)


@pytest.mark.parametrize(
    ("script", "columns"),
    [
        ("param([ValidateRange(1, $max)][int]$N)\n$N\n", [25]),
        ('param([ValidateSet(1..3)]$A, [Parameter(HelpMessage = "a$b")]$B)\n$A\n', [20, 55]),
        ("function f { param([ValidateSet(@('a'))]$A) }\n'x'\n", [33]),
        ("$v = [ValidateRange(1, [datetime]::MaxValue)][int]5\n", None),
    ],
)
def test_a_non_constant_attribute_argument_is_refused(
    script: str, columns: list[int] | None
) -> None:
    """PowerShell's parser refuses the whole script; PSR005 names each such argument."""
    found = [f for f in lint_script(script, source="t.ps1") if f.code == "PSR005"]
    if columns is None:  # tree-sitter cannot read an attributed assignment: PSR001 instead
        assert "PSR001" in [f.code for f in lint_script(script, source="t.ps1")]
        return
    assert columns == [f.column for f in found]
    assert all("not a constant or a script block" in f.message for f in found)


@pytest.mark.parametrize(
    ("script", "where"),
    [
        ("param($Name, [string]$NAME)\n$Name\n", [(1, 22)]),
        ("PARAM (\n  $a,\n  ${A})\n$a\n", [(3, 3)]),
        ("param($a)\n$block = { param($x, $X) $x }\n$a\n", [(2, 22)]),
        ("param([Parameter(Mandatory = $true, mandatory = $false)]$a)\n$a\n", [(1, 37)]),
    ],
)
def test_a_declaration_given_twice_is_refused(script: str, where: list[tuple[int, int]]) -> None:
    """PowerShell's parser refuses the whole script (DuplicateFormalParameter,
    DuplicateNamedArgument); PSR006 names the second one."""
    found = [f for f in lint_script(script, source="t.ps1") if f.code == "PSR006"]
    assert where == [(f.line, f.column) for f in found]


def test_distinct_declarations_pass() -> None:
    assert_codes(
        [],
        "param([Parameter(Mandatory = $true, Position = 0)][string]$Name, $Params)\n"
        "# param($a, $a) in a comment\n$x = 'param($b, $b)'\n"
        "$block = { param($Name) $Name }\n$k = 'a'\n$h = @{ a = 1; b = 2; $k = 3; (1) = 4 }\n"
        "@{ 1 = 'x'; Inner = @{ 1 = 1 } }\n$Name\n",
    )


def test_constant_attribute_arguments_pass() -> None:
    assert_codes(
        [],
        "param([Parameter(Mandatory = $true, Position = 0)][ValidateRange(-1, [int]::MaxValue)]"
        "[int]$N,\n[ValidateScript({ $_ -gt 0 })][ValidateSet('a', \"b\", (2 + 3))]$A)\n"
        "# [ValidateSet($x)] in a comment\n'[ValidateSet($y)] in a string'\n",
    )


def test_lone_surrogate_in_script() -> None:
    """Text that is not valid Unicode is refused at the bad character."""
    assert_codes(["PSR003"], "$a = 'x\ud800'\n")


# --- rule 2: cmdlet catalog -------------------------------------------------------------------


def test_unknown_parameter() -> None:
    """A parameter the cmdlet does not have is an error."""
    assert_codes(["PSR101"], "Get-ClusterResource -Bogus 'x'\n")


def test_alias_is_accepted() -> None:
    """Documented aliases (-ResType, -Type, -cf) are as good as the full name."""
    script = (
        "Add-ClusterResource -Name 'a' -Group 'g' -ResType 'Generic Service'\n"
        "Add-ClusterResource -Name 'b' -Group 'g' -Type 'Generic Service'\n"
        "Remove-ClusterResource -Name 'c' -Force -cf:$false\n"
    )
    assert_codes([], script)


def test_parameter_names_are_case_insensitive() -> None:
    """-name and -NAME bind like -Name, and cmdlet names are case-insensitive."""
    assert_codes([], "get-clusterresource -NAME 'x'\nGet-ClusterNode -name 'n'\n")


def test_prefix_is_a_style_warning() -> None:
    """An unambiguous abbreviation works in PowerShell but must be written out."""
    (finding,) = lint_script("Get-ClusterResource -Na 'x'\n", source="t")
    expected = ("PSR103", "warning")
    assert expected == (finding.code, finding.severity)
    assert "-Name" in finding.message


def test_ambiguous_prefix_is_an_error() -> None:
    """A prefix matching two parameters is an error naming both."""
    (finding,) = lint_script("Move-ClusterGroup -Name 'g' -I\n", source="t")
    expected = "PSR102"
    assert expected == finding.code
    assert "-IgnoreLocked" in finding.message
    assert "-InputObject" in finding.message


def test_common_parameters_are_accepted() -> None:
    """-ErrorAction, -Verbose and their aliases exist on every cmdlet."""
    assert_codes(
        [],
        "Get-ClusterNode -ErrorAction Stop -Verbose -ev err -OutVariable o -wa SilentlyContinue\n",
    )


def test_missing_mandatory_parameter() -> None:
    """Add-ClusterResource without -ResourceType would prompt: error."""
    (finding,) = lint_script("Add-ClusterResource -Name 'x' -Group 'g'\n", source="t")
    expected = "PSR108"
    assert expected == finding.code
    assert "-ResourceType" in finding.message


def test_positional_arguments_satisfy_mandatory_parameters() -> None:
    """Positional arguments bind to Name, Group, ResourceType in position order."""
    assert_codes([], "Add-ClusterResource 'x' 'g' 'Generic Service'\n")


def test_positional_arguments_skip_named_parameters() -> None:
    """A named -Name leaves position 0 free for the next positional parameter in order."""
    assert_codes([], "Add-ClusterResource -Name 'x' 'g' 'Generic Service'\n")


def test_too_many_positional_arguments() -> None:
    """An argument no positional parameter can take is an error."""
    assert_codes(["PSR106"], "Get-ClusterNode 'a' 'b'\n")


def test_value_parameter_without_value() -> None:
    """A value-taking parameter followed by another parameter has no value."""
    assert_codes(["PSR106"], "Get-ClusterNode -Name -Verbose\n")


def test_switch_does_not_consume_the_next_argument() -> None:
    """A switch leaves the following word to positional binding."""
    assert_codes([], "Get-ClusterCheckpoint -RegistryCheckpoint 'Res'\n")


def test_parameter_given_twice() -> None:
    """The same parameter twice is a binding error in PowerShell."""
    assert_codes(["PSR107"], "Get-ClusterNode -Name 'a' -Name 'b'\n")


def test_parameters_from_two_sets() -> None:
    """-Name and -Multiple belong to different sets of Set-ClusterParameter."""
    assert_codes(["PSR104"], "Set-ClusterParameter -Name 'a' -Multiple @{}\n")


def test_mandatory_from_pipeline_counts_when_piped() -> None:
    """A pipeline-bound InputObject is not demanded when the command is piped into."""
    assert_codes([], "Get-ClusterResource 'r' | Set-ClusterParameter -Name 'a' -Value 1\n")


def test_splatting_suspends_mandatory_check() -> None:
    """Splatted parameters are invisible, so missing mandatory ones are not claimed."""
    assert_codes([], "Add-ClusterResource @params\n")


def test_splatting_still_checks_named_parameters() -> None:
    """Named parameters next to a splat are still checked against the catalog."""
    assert_codes(["PSR101"], "Add-ClusterResource @params -Bogus 1\n")


def test_unknown_cluster_cmdlet() -> None:
    """A Verb-Cluster* name outside the catalog is an error."""
    assert_codes(["PSR105"], "Get-ClusterSharedVolumeX -Name 'x'\n")


def test_module_qualified_name_is_checked() -> None:
    """FailoverClusters\\Get-ClusterNode is looked up like Get-ClusterNode."""
    assert_codes(["PSR101"], "FailoverClusters\\Get-ClusterNode -Bogus 1\n")


def test_other_commands_are_not_checked() -> None:
    """Commands outside the cluster module are left alone."""
    assert_codes([], "Get-Service -Name 'x' -Whatever 1\n")


def test_commands_inside_blocks_and_subexpressions_are_checked() -> None:
    """Calls nested in if blocks, script blocks and $() are found too."""
    script = "if ($x) { $y = $(Get-ClusterNode -Bogus 1) }\n& { Get-ClusterGroup -Nope 2 }\n"
    assert_codes(["PSR101", "PSR101"], script)


@pytest.mark.parametrize("name", load_catalog().names)
def test_every_catalog_cmdlet_is_known(name: str) -> None:
    """Every cmdlet in the packaged catalog lints clean with its mandatory parameters."""
    cmdlet = load_catalog().get(name)
    assert cmdlet is not None
    arguments = " ".join(
        f"-{parameter.name} 'x'"
        for parameter in cmdlet.parameters
        if parameter.mandatory and parameter.in_all_sets
    )
    force = " -Force" if cmdlet.parameter("Force") else ""
    assert_codes([], f"{name} {arguments}{force}\n")


def test_catalog_keeps_its_sources() -> None:
    """The packaged catalog still names where each cmdlet's facts came from."""
    catalog = load_catalog()
    assert all(cmdlet.sources for cmdlet in catalog.cmdlets.values())


# --- rule 3: Jinja leftovers ------------------------------------------------------------------


@pytest.mark.parametrize("leftover", ["{{ name }}", "{% if x %}", "{# note #}"])
def test_jinja_leftovers_are_errors(leftover: str) -> None:
    """Template syntax in a rendered script is an error, even inside a string."""
    assert_codes(["PSR201"], f"$x = '{leftover}'\n")


# --- rule 4: Unicode quotes and dashes --------------------------------------------------------


def test_smart_quotes_outside_strings() -> None:
    """Quotes that tree-sitter reads as a bare word are quotes to PowerShell: error."""
    assert_codes(["PSR301", "PSR301"], "Get-ClusterNode -Name \u2018x\u2019\n")


def test_unicode_dash_outside_strings() -> None:
    """An en dash before a parameter name is a dash to PowerShell: error."""
    assert_codes(["PSR301"], "Get-ClusterNode \u2013Name 'x'\n")


def test_unpaired_smart_quote_splits_a_string() -> None:
    """'b’c' is one token to tree-sitter but ends at ’ in PowerShell."""
    (finding,) = lint_script("$v = 'b\u2019c'\n", source="t")
    expected = ("PSR302", 1, 8)
    assert expected == (finding.code, finding.line, finding.column)


def test_mixed_pair_makes_a_string_run_on() -> None:
    """'a’' is a complete string to tree-sitter, an unterminated one to PowerShell."""
    assert_codes(["PSR302"], "$v = 'a\u2019'\n")


def test_smart_double_quote_splits_an_expandable_string() -> None:
    """A lone U+201C ends a double-quoted string in PowerShell."""
    assert_codes(["PSR302"], '$v = "a\u201cb"\n')


def test_backtick_escapes_a_smart_double_quote() -> None:
    """`“ inside a double-quoted string is an escaped character, not a terminator."""
    assert_codes([], '$v = "a`\u201cb"\n')


def test_smart_footer_ends_a_here_string_early() -> None:
    """A line starting with ’@ ends a @' here-string in PowerShell."""
    assert_codes(["PSR302"], "$v = @'\nline\n\u2019@ more\n'@\n")


def test_paired_smart_quotes_in_strings_are_fine() -> None:
    """Doubled Unicode quotes and other-kind quotes inside strings are plain content."""
    assert_codes([], "$v = 'it\u2019\u2019s \u201cfine\u201d \u2013 ok'\n")


@given(st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40))
def test_ps_literal_output_always_lints_clean(value: str) -> None:
    """Whatever the value, an assignment of its literal passes every rule but Jinja."""
    findings = lint_script(f"$v = {ps_literal(value)}\n", source="t")
    expected: list[Finding] = []
    assert expected == [finding for finding in findings if finding.code != "PSR201"]


# --- rule 5: prompting cmdlets ----------------------------------------------------------------


def test_remove_cluster_resource_needs_force() -> None:
    """Remove-ClusterResource would prompt on a non-interactive host."""
    assert_codes(["PSR401"], "Remove-ClusterResource -Name 'x'\n")


def test_force_false_does_not_count() -> None:
    """-Force:$false is no -Force at all."""
    assert_codes(["PSR401"], "Remove-ClusterResource -Name 'x' -Force:$false\n")


def test_remove_with_force_is_fine() -> None:
    """With -Force the call is accepted, also when piped."""
    assert_codes([], "$r | Remove-ClusterResource -Force\n")


# --- template source --------------------------------------------------------------------------


def test_template_value_interpolation_is_an_error() -> None:
    """{{ ... }} in template source interpolates a value: error with its position."""
    findings = lint_template_source("param([string]$A)\n$x = '{{ a }}'\n", "x.ps1.j2")
    expected = [Finding("x.ps1.j2", 2, 7, "PSR501", findings[0].message)]
    assert expected == findings


def test_template_structure_is_allowed() -> None:
    """{% include %}, {% if %} and {% for %} are structure, not values."""
    source = "{% include '_lib/prelude.ps1.j2' %}\n{% if x %}\n'y'\n{% endif %}\n"
    expected: list[Finding] = []
    assert expected == lint_template_source(source, "x.ps1.j2")


def test_parse_is_usable_directly() -> None:
    """parse() returns a tree-sitter tree for other components to walk."""
    expected = "program"
    assert expected == parse("Get-ClusterNode\n").root_node.type


FRAGMENTS = [
    "Get-ClusterNode",
    "Add-ClusterResource",
    "Remove-ClusterResource",
    " -Name",
    " -Force",
    " -",
    ":",
    "'",
    "\u2019",
    "\u201c",
    '"',
    "@'",
    "'@",
    "\n",
    "\r\n",
    "$(",
    ")",
    "{",
    "}",
    "|",
    ";",
    " @p",
    " x",
    "`",
    "\u2013",
    "{{",
    "#",
    "<#",
    "#>",
    "\u20ac",
    "\U0001f600",
    " --%",
    " 1",
]


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_linter_survives_any_text(text: str) -> None:
    """Arbitrary fragments never crash the linter; every position lies inside the text."""
    line_count = len(text.split("\n"))
    for finding in lint_script(text, source="fuzz"):
        assert 1 <= finding.line <= line_count
        assert finding.column >= 1


@pytest.mark.parametrize(
    "script",
    [
        "& { begin { 'b' }; process { $_ } }\n",
        "$block = { begin {}; process {}; end {} }\n",
        "function Step { begin { 'b' } ; ; process { $_ } }\n",
    ],
)
def test_semicolons_between_named_blocks_are_no_syntax_error(script: str) -> None:
    """PowerShell skips ``;`` around a script block's named blocks (Parser.cs,
    NamedBlockListRule); tree-sitter does not, and the linter used to report it."""
    assert lint_script(script, source="blocks.ps1") == []


def test_a_statement_after_a_named_block_is_still_a_syntax_error() -> None:
    (finding,) = lint_script("& { begin {}; 3 }\n", source="blocks.ps1")
    assert (finding.code, finding.message) == ("PSR001", "syntax error near '3'")


@pytest.mark.parametrize(
    ("script", "where"),
    [
        ('$o = 1\nthrow "group on $o: moved"\n', [(2, 17)]),
        ('$o = 1\n$m = "is $o:"\n$m\n', [(2, 10)]),
        ('$o = 1\n@"\nat $o: here\n"@\n', [(3, 4)]),
        ("$o = 1\nWrite-Output $o: x\n", [(2, 14)]),
        ('"$script: x"\n', [(1, 2)]),
        ('$a = 1\n"$a: and $a:"\n', [(2, 2), (2, 10)]),
    ],
)
def test_a_variable_followed_by_a_colon_is_refused(
    script: str, where: list[tuple[int, int]]
) -> None:
    """PowerShell reads ``$o:`` as a drive- or scope-qualified name left empty and refuses
    the whole script (InvalidVariableReferenceWithDrive); PSR007 names each, and the
    fix."""
    found = [f for f in lint_script(script, source="t.ps1") if f.code == "PSR007"]
    assert where == [(f.line, f.column) for f in found]
    assert all("write ${" in f.message for f in found)


def test_colons_a_variable_does_not_take_pass() -> None:
    assert_codes(
        [],
        '$o = 1\n"${o}: y"\n"$($o): y"\n"$o`: y"\n"$o : y"\n\'$o: y\'\n'
        '# "$o: y" in a comment\n"$env:TEMP"\n$script:s = 2\n"$script:s"\n'
        "$t = [int]\n$t::MaxValue\n",
    )
