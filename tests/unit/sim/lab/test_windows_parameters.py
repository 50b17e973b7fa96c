"""A parameter Windows has and the lab does not model is refused by name.

Before, ``Get-Service -ComputerName x`` answered Windows' "A parameter cannot be found
that matches parameter name 'ComputerName'.", a claim about Windows that is false. The
lab now reads Windows' list (``psrunbook/data/windows_parameters.json``, from each
cmdlet's 5.1 reference page) and refuses such a parameter, by its name, an alias or a
prefix; a name Windows does not have either keeps Windows' error.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.executor_protocol import PipelineFailed
from psrunbook.sim.ps.windows_parameters import windows_parameter

from .test_cluster_executor import Runner, run  # noqa: F401 - the fixture

__all__ = ["Runner"]


@pytest.mark.parametrize(
    ("script", "named"),
    [
        ("Get-Service -ComputerName NODE2", "Get-Service -ComputerName"),
        ("Get-Service -Cn NODE2", "Get-Service -ComputerName"),  # an alias
        ("Get-Service -Comp NODE2", "Get-Service -ComputerName"),  # a prefix
        ("Get-ChildItem C:\\ -Depth 1", "Get-ChildItem -Depth"),
        ("Test-Path C:\\ -NewerThan 1", "Test-Path -NewerThan"),
        ("Get-Process -ComputerName NODE2", "Get-Process -ComputerName"),
        ("1, 2 | Select-Object -Index 0", "Select-Object -Index"),
        ("1, 2 | Sort-Object -Culture en-US", "Sort-Object -Culture"),
        ("1 | Measure-Object -Line", "Measure-Object -Line"),
    ],
)
def test_a_windows_parameter_the_lab_lacks_is_refused_by_name(
    run: Runner,  # noqa: F811 - the fixture
    script: str,
    named: str,
) -> None:
    with pytest.raises(PipelineFailed) as failed:
        run(script + "; 'after'")
    assert "UnsupportedConstruct" == failed.value.record.error_id
    assert f"{named} (a parameter the lab does not model)" in failed.value.record.message


def test_a_parameter_windows_lacks_too_keeps_windows_error(run: Runner) -> None:  # noqa: F811
    sink = run("Get-Service -Frobnicate; 'after'")
    assert ["after"] == sink.outputs
    assert ["A parameter cannot be found that matches parameter name 'Frobnicate'."] == [
        e.message for e in sink.errors
    ]


def test_the_catalog_matches_names_aliases_and_unique_prefixes() -> None:
    assert "ComputerName" == windows_parameter("get-service", "cn")
    assert "RequiredServices" == windows_parameter("Get-Service", "ServicesDependedOn")
    assert "DisplayName" == windows_parameter("Get-Service", "Disp")
    assert windows_parameter("Get-Service", "D") is None  # ambiguous: Windows' error stays
    assert windows_parameter("Get-Service", "Nope") is None
    assert windows_parameter("Not-ACmdlet", "Name") is None
