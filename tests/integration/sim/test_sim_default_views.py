"""Windows PowerShell 5.1's default views of DateTime, file system items and Process,
through real pypsrp against the lab over HTTP.

``Client.execute_ps`` runs the script through ``Out-String -Stream``, so what it returns
is the text of the views (psrunbook.sim.ps.format_views), lines joined with ``\\n``; a
``PowerShell`` pipeline ending in ``Out-String`` receives the same text as one string
with CRLF line ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.client import Client
from pypsrp.powershell import PowerShell, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

WIDTH = 120


@pytest.fixture
def client(lab_endpoint: SimEndpoint) -> Client:
    return Client(lab_endpoint.host, port=lab_endpoint.port, username=USER, password=PASSWORD,
                  ssl=False, auth="basic", encryption="never")  # fmt: skip


@pytest.fixture
def pool(lab_endpoint: SimEndpoint) -> Iterator[RunspacePool]:
    with RunspacePool(client_for(lab_endpoint)) as opened:
        yield opened


def test_execute_ps_prints_a_directory_listing_as_windows_does(client: Client) -> None:
    output, streams, had_errors = client.execute_ps("Get-ChildItem C:\\")
    assert (False, []) == (had_errors, streams.error)
    table = [
        "Mode                LastWriteTime         Length Name",
        "----                -------------         ------ ----",
        "d-----         1/1/2026  12:00 AM                Program Files",
        "d-----         1/1/2026  12:00 AM                Users",
        "d-----         1/1/2026  12:00 AM                Windows",
    ]
    expected = ["", "", "    Directory: C:\\", "", "", *(r.ljust(WIDTH) for r in table), "", ""]
    assert "\n".join(expected) == output


def test_execute_ps_prints_processes_and_a_datetime(client: Client) -> None:
    output, streams, had_errors = client.execute_ps(
        "Get-Process | Select-Object -First 3; (Get-Item C:\\Windows).LastWriteTime"
    )
    assert (False, []) == (had_errors, streams.error)
    table = [
        "Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName",
        "-------  ------    -----      -----     ------     --  -- -----------",
        "    250      16     8192      20480       0.50   1001   0 MsDtsSrvr",
    ]
    expected = [
        "",
        *(r.ljust(WIDTH) for r in table),
        "",
        "",
        "",
        "Thursday, January 1, 2026 12:00:00 AM",
        "",
        "",
    ]
    assert "\n".join(expected) == output


def test_a_pipeline_ending_in_out_string_receives_one_crlf_text(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_script("(Get-Item C:\\Windows).LastWriteTime | Out-String")
    output = ps.invoke()
    assert not ps.had_errors, ps.streams.error
    assert ["\r\nThursday, January 1, 2026 12:00:00 AM\r\n\r\n\r\n"] == output
