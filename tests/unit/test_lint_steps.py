"""The linter on step scripts (issue 15): the step rules, and findings placed in the template.

A step script must open with ``param(...)`` declaring ``[switch]$CheckOnly`` and define
no function, filter, workflow, class or enum (PSR601, PSR602); a finding in a rendered
script names the template line and column where it is fixed, through includes and the
indentation an ``indent`` filter adds. The CLI case runs the real ``psrunbook lint`` over
a ``--templates`` folder that overrides a shipped template.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.render_lint import work_list
from psrunbook.lint import Finding, in_templates, lint_script
from psrunbook.templates import TemplateLibrary

PSRUNBOOK = str(Path(sys.executable).with_name("psrunbook"))

GOOD = """\
param(
    [string]$Name,
    [switch]$CheckOnly
)
$changed = $false
Get-ClusterGroup -Name $Name | Out-Null
"""


def codes(text: str) -> list[str]:
    return [f.code for f in lint_script(text, source="t", step=True)]


def test_a_step_script_with_its_param_block_and_no_function_passes() -> None:
    assert [] == codes(GOOD)
    assert [] == codes("# a comment first\n" + GOOD)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("$changed = $false\nGet-ClusterGroup | Out-Null\n", 1),  # no param block at all
        ("$x = 1\nparam([switch]$CheckOnly)\n$y = 2\n", 1),  # not the first statement
        ("param(\n    [string]$Name\n)\n$changed = $false\n", 1),  # no CheckOnly
        ("param([string]$CheckOnly)\n$changed = $false\n", 1),  # not a switch
    ],
    ids=["none", "not-first", "missing", "not-a-switch"],
)
def test_a_step_script_without_checkonly_in_its_param_block_fails(text: str, line: int) -> None:
    findings = [f for f in lint_script(text, source="t", step=True) if f.code == "PSR601"]
    assert [line] == [f.line for f in findings], findings
    assert "[switch]$CheckOnly" in findings[0].message


@pytest.mark.parametrize("keyword", ["function", "filter", "workflow"])
def test_a_step_script_defining_a_function_fails(keyword: str) -> None:
    text = GOOD + f"{keyword} Invoke-Hidden {{ Remove-ClusterResource -Name 'x' -Force }}\n"
    (finding,) = lint_script(text, source="t", step=True)
    assert ("PSR602", 7, 1) == (finding.code, finding.line, finding.column)
    assert f"'{keyword}' defines code out of line" in finding.message


def test_class_and_enum_definitions_fail_as_functions_do() -> None:
    text = GOOD + "class Hidden { [void] Run() { } }\nenum Mode { A }\n"
    assert ["PSR602", "PSR602"] == codes(text)


def test_the_step_rules_apply_only_to_step_scripts() -> None:
    assert [] == lint_script("function F { 1 }\nF\n", source="t")


SOURCES = {
    "demo/step.ps1.j2": """\
param(
    [string]$Name,
    [switch]$CheckOnly
)
{% include '_lib/prelude.ps1.j2' %}
{# a comment
   over two lines #}
$changed = $false
if ($true) {
    {% filter indent(4) %}{% include '_lib/inner.ps1.j2' %}{% endfilter %}
}
Get-ClusterGroup -Bogus $Name | Out-Null
""",
    "_lib/prelude.ps1.j2": "$ErrorActionPreference = 'Stop'\n",
    "_lib/inner.ps1.j2": "{# uses $Name #}\n$n = 1\nGet-ClusterNode -Nope 1 | Out-Null\n",
}


def test_findings_name_the_template_line_and_column_through_includes() -> None:
    """A rendered line maps to its template line; a line of an include to the include's
    own line, its column less the indentation the filter added."""
    rendered = (
        "param(\n    [string]$Name,\n    [switch]$CheckOnly\n)\n"
        "$ErrorActionPreference = 'Stop'\n"
        "$changed = $false\nif ($true) {\n    $n = 1\n    Get-ClusterNode -Nope 1 | Out-Null\n}\n"
        "Get-ClusterGroup -Bogus $Name | Out-Null\n"
    )
    findings = in_templates(
        lint_script(rendered, source="demo:step", step=True),
        rendered,
        "demo/step.ps1.j2",
        SOURCES.__getitem__,
    )
    located = {(f.code, f.line, f.column, f.template) for f in findings}
    assert {
        ("PSR101", 9, 21, "_lib/inner.ps1.j2:3:17"),
        ("PSR101", 11, 18, "demo/step.ps1.j2:12:18"),
    } == located
    shown = str(next(f for f in findings if f.line == 11))
    assert shown.startswith("demo/step.ps1.j2:12:18 (rendered demo:step:11:18): PSR101 ")


def test_a_shipped_template_maps_every_rendered_line() -> None:
    """Every non-blank line the shipped cluster report renders has a template origin."""
    library = TemplateLibrary()
    script = library.render("cluster/get_cluster_report.ps1.j2", {})
    lines = script.text.splitlines()
    findings = [
        Finding(source="r", line=n, column=1, code="X", message="m")
        for n, text in enumerate(lines, start=1)
        if text.strip()
    ]
    mapped = in_templates(findings, script.text, script.template_id, library.source)
    assert all(f.template is not None for f in mapped), [f for f in mapped if not f.template]


def test_psrunbook_lint_shows_template_positions_and_the_step_rules(tmp_path: Path) -> None:
    """`psrunbook --templates DIR lint` with a shipped template overridden: exit 1, each
    finding shown as template.ps1.j2:LINE:COL with the rendered position beside it."""
    library = TemplateLibrary()
    source = library.source("cluster/get_cluster_report.ps1.j2")
    broken = (
        source.replace("    [switch]$CheckOnly\n", "    [string]$Unused = ''\n", 1)
        + "function Get-Hidden { 1 }\n"
    ).replace("$cluster = Get-Cluster\n", "$cluster = Get-Cluster -Bogus 1\n", 1)
    override = tmp_path / "templates" / "cluster" / "get_cluster_report.ps1.j2"
    override.parent.mkdir(parents=True)
    override.write_text(broken, encoding="utf-8")
    bogus_line = broken.splitlines().index("$cluster = Get-Cluster -Bogus 1") + 1
    function_line = broken.splitlines().index("function Get-Hidden { 1 }") + 1
    result = subprocess.run(
        [PSRUNBOOK, "--templates", str(tmp_path / "templates"), "lint"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert 1 == result.returncode, result.stdout + result.stderr
    template = "cluster/get_cluster_report.ps1.j2"
    lines = result.stdout.splitlines()
    assert any(
        line.startswith(f"{template}:{bogus_line}:24 (rendered cluster-report:")
        and "PSR101" in line
        for line in lines
    ), result.stdout
    assert any(
        line.startswith(f"{template}:{function_line}:1 ") and "PSR602" in line for line in lines
    ), result.stdout
    assert any(f"{template}:1:1 " in line and "PSR601" in line for line in lines), result.stdout


CASE_SCRIPT = """\
param(
    [bool]$FileExisted = $false,
    [switch]$CheckOnly
)
# $fileExisted in a comment is no finding, nor '$fileExisted' in a single-quoted string
$fileExisted = Test-Path -LiteralPath 'C:\\x'
$FileExisted
"on $checkonly"
${fileexisted}
"""


def test_a_parameter_spelt_in_another_case_is_psr603_where_it_is_code() -> None:
    """PowerShell's variable names ignore case: ``$fileExisted`` is the parameter
    ``$FileExisted``, so assigning it overwrites what the step was given (a step once
    kept a file it had to remove that way). Reads in an expandable string count too;
    comments, single-quoted strings and the braced form (not looked for) do not."""
    findings = list(lint_script(CASE_SCRIPT, source="t", step=True))
    assert [(6, 1, "PSR603"), (8, 5, "PSR603")] == [(f.line, f.column, f.code) for f in findings]
    assert "$fileExisted is the parameter $FileExisted spelt in another case" in findings[0].message


def test_the_parameter_case_rule_is_a_step_rule() -> None:
    assert "PSR603" not in [f.code for f in lint_script(CASE_SCRIPT, source="t")]


def test_shipped_steps_spell_their_parameters_as_declared() -> None:
    library = TemplateLibrary()
    for template, arguments, structure in work_list():
        text = library.render(template, arguments, structure).text
        assert "PSR603" not in codes(text), template


def test_a_qualified_variable_in_a_default_value_is_no_parameter() -> None:
    """``$env:COMPUTERNAME`` as a default does not make ``env`` a parameter: ``$Env:USERNAME``
    later is no PSR603."""
    text = (
        "param(\n    [string]$Node = $env:COMPUTERNAME,\n    [switch]$CheckOnly\n)\n"
        "$who = $Env:USERNAME\n$node = $Node\n"
    )
    assert ["PSR603"] == [c for c in codes(text) if c.startswith("PSR6")]
