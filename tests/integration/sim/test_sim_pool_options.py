"""Runspace-pool settings and WSMan headers the lab must refuse as Windows does, through
real pypsrp 0.9.1 over HTTP (evidence: pypsrp 0.9.1's recorded Windows responses)."""

from __future__ import annotations

import pytest
from pypsrp.exceptions import InvalidPSRPOperation, WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from psrunbook.sim.endpoint.wsman import shell_body
from tests.integration.sim.simclient import client_for

pytestmark = pytest.mark.integration


def test_opened_pool_refuses_runspace_counts_windows_refuses(endpoint):
    """``responses/test_psrp_set_runspaces.yml``: Windows answers min 2 (max 5) true and
    min/max -1 false (RunspacePoolInternal.SetMinRunspaces/SetMaxRunspaces); a refused
    value leaves the pool's counts as they were."""
    with RunspacePool(client_for(endpoint)) as pool:
        pool.max_runspaces = 5
        pool.min_runspaces = 2
        with pytest.raises(InvalidPSRPOperation, match="Failed to set minimum runspaces"):
            pool.min_runspaces = -1
        with pytest.raises(InvalidPSRPOperation, match="Failed to set minimum runspaces"):
            pool.min_runspaces = 6  # above the maximum
        with pytest.raises(InvalidPSRPOperation, match="Failed to set maximum runspaces"):
            pool.max_runspaces = -1
        with pytest.raises(InvalidPSRPOperation, match="Failed to set maximum runspaces"):
            pool.max_runspaces = 1  # below the minimum
        assert (pool.min_runspaces, pool.max_runspaces) == (2, 5)
        assert pool.get_available_runspaces() == 5


def test_negative_operation_timeout_gets_windows_fault(lab_endpoint):
    """``responses/test_psrp_is_alive_other_wsman_error.yml``: OperationTimeout ``PT-1S``
    is refused with code 2150858767 and the invalid-timeout message; the pool lives on."""
    with RunspacePool(client_for(lab_endpoint)) as pool:
        pool.shell.wsman.operation_timeout = -1
        with pytest.raises(WSManFaultError) as err:
            pool.is_alive()
        assert err.value.code == 2150858767
        assert err.value.reason == (
            "The WS-Management service cannot process the request. The XML contains an "
            "invalid timeout field in the SOAP header: PT-1S."
        )
        pool.shell.wsman.operation_timeout = 30
        ps = PowerShell(pool)
        ps.add_script("1")
        assert ps.invoke() == [1]


def test_malformed_operation_timeout_is_refused(endpoint):
    """A value that is no xs:duration gets the same fault (UNVERIFIED; the stricter choice)."""
    wsman: WSMan = client_for(endpoint)
    with RunspacePool(wsman) as pool:
        wsman.operation_timeout = "1X"  # pypsrp writes f"PT{value}S": ``PT1XS``
        with pytest.raises(WSManFaultError) as err:
            pool.is_alive()
        assert err.value.code == 2150858767
        assert err.value.reason.endswith("invalid timeout field in the SOAP header: PT1XS.")
        wsman.operation_timeout = 30


def test_no_profile_pool_sees_the_system_profile(lab_endpoint):
    """``responses/test_psrp_no_profile.yml``: a pool created with WINRS_NOPROFILE=TRUE
    reads ``$env:USERPROFILE`` as the system profile (the Create answer also says
    ProfileLoaded No). The recording upper-cases it; the exact case is UNVERIFIED."""
    with RunspacePool(client_for(lab_endpoint), no_profile=True) as pool:
        ps = PowerShell(pool)
        ps.add_script("$env:USERPROFILE.ToUpperInvariant()")
        assert ps.invoke() == [r"C:\WINDOWS\SYSTEM32\CONFIG\SYSTEMPROFILE"]
    with RunspacePool(client_for(lab_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_script("$env:USERPROFILE")
        assert ps.invoke() == [r"C:\Users\psrunbook"]


def test_create_answers_profile_loaded_as_asked() -> None:
    """The Create answer says ``ProfileLoaded No`` for ``WINRS_NOPROFILE=TRUE``, as in
    ``responses/test_psrp_no_profile.yml``, and ``Yes`` otherwise."""
    assert "<rsp:ProfileLoaded>No</rsp:ProfileLoaded>" in shell_body(
        "S", owner="u", client_ip="c", profile_loaded=False
    )
    assert "<rsp:ProfileLoaded>Yes</rsp:ProfileLoaded>" in shell_body("S", owner="u", client_ip="c")


def test_a_remote_runspace_starts_in_the_users_documents(lab_endpoint):
    """Get-Location (``pwd``) in a PSRP runspace: a PathInfo for the user's Documents
    folder (UNVERIFIED, as Windows PowerShell remoting sessions show it)."""
    with RunspacePool(client_for(lab_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_script(
            "$l = pwd; $l.Path; [string]$l.Provider; $l.Provider.Name; $l.Drive.Name; "
            "$l.Drive.Root; [string]$l"
        )
        assert ps.invoke() == [
            "C:\\Users\\psrunbook\\Documents",
            "Microsoft.PowerShell.Core\\FileSystem",
            "FileSystem",
            "C",
            "C:\\",
            "C:\\Users\\psrunbook\\Documents",
        ]
