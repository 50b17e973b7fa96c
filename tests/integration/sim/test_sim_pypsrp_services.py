"""Get-Service names as Windows PowerShell 5.1 gives them, read through real pypsrp 0.9.1.

``new ServiceController(name)`` keeps a service name as typed (.NET Framework reference
source, ``ServiceController.GenerateNames``: ``GetServiceKeyName`` fails for a name that
is not a display name, ``GetServiceDisplayName`` succeeds, the name stays as given); a
display name gives the SCM's key name, and enumeration (wildcards) gives key names.
Recorded Windows answers: pypsrp 0.9.1 ``tests/tests_pypsrp/responses/
test_psrp_multiple_commands.yml`` and ``test_client_execute_ps.yml`` (``winrm`` where the
SCM's key is ``WinRM``).
"""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

pytestmark = pytest.mark.integration

_WINRM_DISPLAY = "Windows Remote Management (WS-Management)"


def _invoke(pool: RunspacePool, script: str) -> list[object]:
    ps = PowerShell(pool)
    ps.add_script(script)
    output: list[object] = ps.invoke()
    assert not ps.had_errors, ps.streams.error
    return output


def test_a_literal_name_stays_as_typed_everywhere(lab_pool: RunspacePool) -> None:
    """`Get-Service -Name winrm`: ToString, ServiceName (Props) and Name (MS) are `winrm`."""
    [service] = _invoke(lab_pool, "Get-Service -Name winrm")
    assert "winrm" == str(service)
    assert "winrm" == service.adapted_properties["ServiceName"]  # type: ignore[attr-defined]
    assert "winrm" == service.extended_properties["Name"]  # type: ignore[attr-defined]


def test_the_default_table_shows_the_name_as_typed(lab_pool: RunspacePool) -> None:
    """pypsrp's test_client_execute_ps text: `$serv.Name` and the table row say `winrm`."""
    [text] = _invoke(
        lab_pool, "$serv = Get-Service -Name winrm; $serv.Name; $serv.Status; $serv | Out-String"
    )[2:]
    assert "Running  winrm              Windows Remote Management (WS-Manag..." in str(text)


def test_a_display_name_and_a_wildcard_give_the_scm_key_name(lab_pool: RunspacePool) -> None:
    """GetServiceKeyName of a display name, and enumeration for `win*`, give `WinRM`."""
    output = _invoke(
        lab_pool,
        f"(Get-Service -Name '{_WINRM_DISPLAY}').Name; (Get-Service -Name winr*).Name;"
        f" (Get-Service -DisplayName '{_WINRM_DISPLAY}').Name",
    )
    assert ["WinRM", "WinRM", "WinRM"] == output


def test_piped_names_and_controllers_keep_their_names(lab_pool: RunspacePool) -> None:
    """A piped string binds to -Name (as typed); a piped ServiceController passes as is."""
    output = _invoke(
        lab_pool,
        "('winrm' | Get-Service).Name; (Get-Service winRM | Get-Service).Name;"
        " (Start-Service -Name winrm -PassThru).Name",
    )
    assert ["winrm", "winRM", "winrm"] == output
