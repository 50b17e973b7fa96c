"""$PSSenderInfo, $host and $PSVersionTable as a remote Windows PowerShell 5.1 session has
them, read through real pypsrp 0.9.1 against the lab over HTTP."""

from __future__ import annotations

import pytest
from pypsrp.complex_objects import GenericComplexObject
from pypsrp.powershell import PowerShell, RunspacePool

from tests.integration.sim.simclient import USER, client_for

pytestmark = pytest.mark.integration


def _invoke(pool: RunspacePool, script: str) -> list[object]:
    ps = PowerShell(pool)
    ps.add_script(script)
    output = ps.invoke()
    assert not ps.had_errors, ps.streams.error
    return list(output)


def test_application_arguments_reach_pssenderinfo(lab_endpoint):
    """pypsrp's test_psrp_application_args: the pool's arguments come back as the dict.

    Windows sends them as a PSPrimitiveDictionary (pypsrp's recording of that test).
    """
    app_arguments = {"test_var": "abcdef12345"}
    pool = RunspacePool(client_for(lab_endpoint))
    pool.open(app_arguments)
    try:
        assert [app_arguments] == _invoke(pool, "$PSSenderInfo.ApplicationArguments")
        assert ["System.Management.Automation.PSPrimitiveDictionary", "abcdef12345"] == _invoke(
            pool,
            "$PSSenderInfo.ApplicationArguments.GetType().FullName; "
            "$PSSenderInfo.ApplicationArguments.test_var",
        )
    finally:
        pool.close()


def test_pssenderinfo_names_the_connected_user_and_connection(lab_endpoint):
    with RunspacePool(client_for(lab_endpoint)) as pool:
        user, url, config, arguments = _invoke(
            pool,
            "$PSSenderInfo.ConnectedUser; $PSSenderInfo.ConnectionString; "
            "$PSSenderInfo.ConfigurationName; $PSSenderInfo.ApplicationArguments.Count",
        )
    assert f"NODE1\\{USER}" == user
    assert lab_endpoint.url == url
    assert "Microsoft.PowerShell" == config
    assert 0 == arguments


def test_host_is_the_server_remote_host(lab_endpoint):
    with RunspacePool(client_for(lab_endpoint)) as pool:
        name, version, ui_type = _invoke(
            pool, "$host.Name; $host.Version.ToString(); $host.UI.GetType().FullName"
        )
        (host,) = _invoke(pool, "$host")
    assert "ServerRemoteHost" == name
    assert "1.0.0.0" == version
    assert "System.Management.Automation.Remoting.ServerRemoteHostUserInterface" == ui_type
    assert isinstance(host, GenericComplexObject)
    assert "System.Management.Automation.Remoting.ServerRemoteHost" == host.types[0]


def test_psversiontable_is_windows_powershell_5_1(lab_endpoint):
    """Keys, order and System.Version values as Windows sends $PSVersionTable."""
    with RunspacePool(client_for(lab_endpoint)) as pool:
        major, minor, edition, newer, clr = _invoke(
            pool,
            "$PSVersionTable.PSVersion.Major; $PSVersionTable.PSVersion.Minor; "
            "$PSVersionTable.PSEdition; $PSVersionTable.PSVersion -ge [version]'5.0'; "
            "$PSVersionTable.CLRVersion.ToString()",
        )
        (table,) = _invoke(pool, "$PSVersionTable")
        (version,) = _invoke(pool, "$PSVersionTable.PSVersion")
    assert (5, 1, "Desktop", True, "4.0.30319.42000") == (major, minor, edition, newer, clr)
    assert [
        "PSVersion",
        "PSEdition",
        "PSCompatibleVersions",
        "BuildVersion",
        "CLRVersion",
        "WSManStackVersion",
        "PSRemotingProtocolVersion",
        "SerializationVersion",
    ] == list(table)
    assert "5.1.17763.1" == version
    assert ["1.0", "2.0", "3.0", "4.0", "5.0", "5.1.17763.1"] == table["PSCompatibleVersions"]
