"""``[Environment]::GetEnvironmentVariable`` and its siblings on a lab node: the Process
target is the runspace's environment; the User and Machine targets (the registry's
Environment keys, not modelled) are refused by name. They were refused as a whole."""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import output_of, run_on


def test_get_and_set_work_on_the_environment_env_reads() -> None:
    assert ["NODE1", "NODE1", "v", "v", None, False] == output_of(
        "[Environment]::GetEnvironmentVariable('computername')\n"
        "[System.Environment]::GetEnvironmentVariable('COMPUTERNAME', 'Process')\n"
        "[Environment]::SetEnvironmentVariable('PSRB_M', 'v'); $env:PSRB_M\n"
        "[Environment]::GetEnvironmentVariable('PSRB_M', [EnvironmentVariableTarget]::Process)\n"
        "[Environment]::GetEnvironmentVariable('PSRB_NONE')\n"
        "[Environment]::SetEnvironmentVariable('PSRB_M', ''); Test-Path Env:PSRB_M"
    )


def test_get_environment_variables_is_the_whole_environment() -> None:
    assert [True, "NODE1"] == output_of(
        "$all = [Environment]::GetEnvironmentVariables()\n"
        "$all.Count -eq @(Get-ChildItem Env:).Count; $all['COMPUTERNAME']"
    )


@pytest.mark.parametrize(
    ("call", "message", "error_id"),
    [
        ("SetEnvironmentVariable('a=b', 'x')",
         'Exception calling "SetEnvironmentVariable" with "2" argument(s): "Environment '
         'variable name cannot contain equal character.\r\nParameter name: variable"',
         "ArgumentException"),
        ("SetEnvironmentVariable('', 'x')",
         'Exception calling "SetEnvironmentVariable" with "2" argument(s): "String cannot '
         'be of zero length.\r\nParameter name: variable"',
         "ArgumentException"),
        ("GetEnvironmentVariable($null)",
         'Exception calling "GetEnvironmentVariable" with "1" argument(s): "Value cannot '
         'be null.\r\nParameter name: variable"',
         "ArgumentNullException"),
    ],
)  # fmt: skip
def test_a_bad_name_is_dotnets_argument_error(call: str, message: str, error_id: str) -> None:
    result = run_on(sample_lab(), f"[Environment]::{call}; 'on'")
    assert ["on"] == result.output
    assert [(message, error_id)] == [(e.message, e.error_id) for e in result.errors]


@pytest.mark.parametrize(
    "call",
    [
        "GetEnvironmentVariable('Path', 'Machine')",
        "SetEnvironmentVariable('X', 'v', [EnvironmentVariableTarget]::User)",
        "GetEnvironmentVariables('Machine')",
    ],
)
def test_the_user_and_machine_targets_are_refused_by_name(call: str) -> None:
    failed = run_on(sample_lab(), f"[Environment]::{call}").failed
    assert failed is not None
    assert "target (the registry's Environment keys" in failed.message
