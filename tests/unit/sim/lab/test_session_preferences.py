"""The preference variables a lab session starts with, and what they change.

A Windows PowerShell 5.1 session has ``$ConfirmPreference = 'High'``,
``$WhatIfPreference = $false``, ``$FormatEnumerationLimit = 4``, an empty
``$PSDefaultParameterValues`` ... (about_Preference_Variables, 5.1). The lab gave
``$null`` for them, ignored ``$WhatIfPreference`` and ``$PSDefaultParameterValues``
(so a script that set them changed what Windows leaves alone, or ran past an error
Windows stops at), and formatted with a limit of 4 whatever the script set.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import output_of, run_on

SSIS = "MsDtsServer150"


def refusal_of(script: str) -> str:
    """The construct the lab refuses ``script`` for (it must be refused)."""
    failed = run_on(sample_lab(), script).failed
    assert failed is not None
    assert "UnsupportedConstruct" == failed.error_id, failed.message
    return failed.message


def test_the_preference_variables_have_windows_defaults() -> None:
    assert [
        "High",
        False,
        "NormalView",
        4,
        4096,
        4096,
        0,
        "wsman",
        "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
        "Microsoft.PowerShell",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
        True,
        0,
    ] == output_of(
        "$ConfirmPreference; $WhatIfPreference; $ErrorView; $FormatEnumerationLimit\n"
        "$MaximumHistoryCount; $MaximumVariableCount; $NestedPromptLevel\n"
        "$PSSessionApplicationName; $PSSessionConfigurationName; $ShellId; $PSHOME\n"
        "Test-Path Variable:PSEmailServer; $PSDefaultParameterValues.Count"
    )


@pytest.mark.parametrize("name", ["PSCulture", "PSUICulture", "OutputEncoding", "global:PSCulture"])
def test_a_windows_value_the_lab_does_not_model_is_refused_not_null(name: str) -> None:
    assert f"automatic variable ${name.rsplit(':', maxsplit=1)[-1]}" in refusal_of(f"${name}")


def test_a_value_the_script_set_is_read_back() -> None:
    assert ["de-DE"] == output_of("$PSCulture = 'de-DE'; $PSCulture")


# -- $FormatEnumerationLimit ------------------------------------------------------------


def test_the_global_enumeration_limit_is_what_the_formatter_shows() -> None:
    lines = output_of(
        "$o = [pscustomobject]@{A = 1..6}\n"
        "($o | Out-String).Trim()\n"
        "$global:FormatEnumerationLimit = 2; ($o | Out-String).Trim()\n"
        "$global:FormatEnumerationLimit = -1; ($o | Format-List | Out-String).Trim()\n"
        "$global:FormatEnumerationLimit = 'many'; ($o | Format-Table | Out-String).Trim()"
    )
    assert [text.splitlines()[-1].strip() for text in lines] == [
        "{1, 2, 3, 4...}",
        "{1, 2...}",
        "A : {1, 2, 3, 4, 5, 6}",
        "{1, 2, 3, 4...}",
    ]


def test_a_functions_own_enumeration_limit_is_ignored_as_on_windows() -> None:
    """Only the global variable counts (PowerShell/PowerShell#888)."""
    assert ["{1, 2, 3, 4...}"] == output_of(
        "function f { $FormatEnumerationLimit = 1; ([pscustomobject]@{A = 1..6} | Out-String) }\n"
        '(f).Trim().Split("`n")[-1].Trim()'
    )


# -- $WhatIfPreference and $ConfirmPreference -------------------------------------------


def test_whatif_preference_leaves_a_service_as_it_is() -> None:
    assert ["Automatic", "Running", "Manual"] == output_of(
        f"$WhatIfPreference = $true\n"
        f"Set-Service -Name {SSIS} -StartupType Manual; Stop-Service {SSIS}\n"
        f"[string](Get-Service {SSIS}).StartType; [string](Get-Service {SSIS}).Status\n"
        f"Set-Service -Name {SSIS} -StartupType Manual -WhatIf:$false\n"
        f"[string](Get-Service {SSIS}).StartType"
    )


def test_whatif_preference_refuses_a_command_whose_whatif_the_lab_does_not_model() -> None:
    assert "New-Item under $WhatIfPreference" in refusal_of(
        "$WhatIfPreference = $true; New-Item -Path C:\\x.txt -ItemType File"
    )


def test_whatif_preference_leaves_foreach_object_and_read_commands_alone() -> None:
    assert [1, 2, "Running"] == output_of(
        f"$WhatIfPreference = $true; 1..2 | ForEach-Object {{ $_ }}\n"
        f"[string](Get-Service {SSIS}).Status"
    )


def test_confirm_preference_medium_is_a_prompt_the_lab_refuses() -> None:
    message = refusal_of(f"$ConfirmPreference = 'Medium'; Stop-Service {SSIS}")
    assert "Stop-Service under $ConfirmPreference = Medium" in message


def test_confirm_preference_is_answered_by_confirm_false_or_none() -> None:
    assert [False, "Stopped"] == output_of(
        "Set-Content -Path C:\\Windows\\Temp\\t.txt -Value x\n"
        "$ConfirmPreference = 'Medium'\n"
        "Remove-Item -Path C:\\Windows\\Temp\\t.txt -Confirm:$false\n"
        "Test-Path C:\\Windows\\Temp\\t.txt\n"
        f"$ConfirmPreference = 'None'; Stop-Service {SSIS}\n"
        f"[string](Get-Service {SSIS}).Status"
    )


# -- $PSDefaultParameterValues ----------------------------------------------------------


def test_an_erroraction_default_stops_the_script_at_the_first_error() -> None:
    result = run_on(
        sample_lab(),
        "$PSDefaultParameterValues['*:ErrorAction'] = 'Stop'\nGet-Item C:\\nope\n'after'",
    )
    assert [] == result.output
    assert result.failed is not None
    assert "PathNotFound" == result.failed.error_id


def test_a_default_applies_to_matching_commands_only_and_yields_to_the_call() -> None:
    assert ["caught", "after", 3] == output_of(
        "$PSDefaultParameterValues = @{'Get-Item:ErrorAction' = 'Stop'}\n"
        "try { Get-Item C:\\nope } catch { 'caught' }\n"
        "Get-ChildItem C:\\nope -ErrorAction SilentlyContinue\n"
        "Get-Item C:\\nope -ErrorAction SilentlyContinue; 'after'\n"
        "$Error.Count"
    )


def test_disabled_turns_every_default_off() -> None:
    result = run_on(
        sample_lab(),
        "$PSDefaultParameterValues['*:ErrorAction'] = 'Stop'\n"
        "$PSDefaultParameterValues['Disabled'] = $true\nGet-Item C:\\nope\n'after'",
    )
    assert ["after"] == result.output
    assert ["PathNotFound"] == [e.error_id for e in result.errors]


def test_advanced_functions_take_defaults_and_simple_functions_do_not() -> None:
    assert ["X=5 EA=Ignore", "X=7 EA=Ignore", "Y="] == output_of(
        'function f { [CmdletBinding()] param($X) "X=$X EA=$ErrorActionPreference" }\n'
        'function g { param($Y) "Y=$Y" }\n'
        "$PSDefaultParameterValues += @{'f:X' = 5; 'f:ErrorAction' = 'Ignore'; 'g:Y' = 5}\n"
        "f; f -X 7; g"
    )


def test_a_default_is_converted_as_an_argument_is() -> None:
    result = run_on(
        sample_lab(), "$PSDefaultParameterValues['Out-String:Width'] = 'abc'; 1 | Out-String"
    )
    assert ["CannotConvertArgumentNoMessage"] == [e.error_id for e in result.errors]


@pytest.mark.parametrize(
    ("entry", "refused"),
    [
        ("$PSDefaultParameterValues['*:ErrorAction'] = { 'Stop' }", "with a script block"),
        ("$PSDefaultParameterValues['foo'] = 1", "not CommandName:ParameterName"),
        ("$PSDefaultParameterValues['*:ErrorAct'] = 'Stop'", "an abbreviated parameter"),
        ("$PSDefaultParameterValues['Get-Item:LiteralPath'] = 'C:\\'", "takes pipeline input"),
        (
            "$PSDefaultParameterValues['Get-*:ErrorAction'] = 'Stop'\n"
            "$PSDefaultParameterValues['*-Item:ErrorAction'] = 'Ignore'",
            "different values",
        ),
    ],
)
def test_forms_the_lab_does_not_model_are_refused_by_name(entry: str, refused: str) -> None:
    assert refused in refusal_of(f"{entry}\nGet-Item C:\\Windows")
