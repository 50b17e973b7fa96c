"""Streaming pipelines through real pypsrp 0.9.1 against the lab ``sim serve`` serves.

Windows runs each object through every later command before the first command makes
the next one, so the host and verbose records of two stages interleave (a1 b1 a2 b2),
and ``Select-Object -First`` stops the commands before it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from psrunbook.inventory import load_inventory
from psrunbook.sim.lab.serve import ServeOptions, serve

pytestmark = pytest.mark.integration

PASSWORD = "stream-pw"


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[RunspacePool]:
    """A pool on NODE1 of ``sim serve`` (run in a thread until the test ends)."""
    out = tmp_path / "sim.toml"
    stop, ready = threading.Event(), threading.Event()

    def echo(line: str) -> None:
        if line.startswith("serving"):
            ready.set()

    worker = threading.Thread(
        target=serve,
        args=(ServeOptions(nodes=1, inventory_out=out),),
        kwargs={"password": PASSWORD, "echo": echo, "stop": stop},
    )
    worker.start()
    try:
        assert ready.wait(30)
        inventory = load_inventory(out)
        host, port, ssl = inventory.endpoint_for("NODE1")
        conn = inventory.connection
        client = WSMan(
            host,
            port=port,
            ssl=ssl,
            auth=conn.auth,
            encryption=conn.encryption,
            username=conn.username,
            password=PASSWORD,
        )
        with RunspacePool(client) as opened:
            yield opened
    finally:
        stop.set()
        worker.join(30)


def test_host_and_verbose_records_of_two_stages_interleave_as_on_windows(pool):
    ps = PowerShell(pool)
    ps.add_script(
        '1..3 | ForEach-Object { Write-Host "a$_"; Write-Verbose "va$_" -Verbose; $_ }'
        ' | ForEach-Object { Write-Host "b$_"; Write-Verbose "vb$_" -Verbose; $_ * 10 }'
    )
    assert [10, 20, 30] == ps.invoke()
    assert ["a1", "b1", "a2", "b2", "a3", "b3"] == [
        str(record.message_data) for record in ps.streams.information
    ]
    assert ["va1", "vb1", "va2", "vb2", "va3", "vb3"] == [
        record.message for record in ps.streams.verbose
    ]


def test_select_first_stops_the_producer_and_get_service_works(pool):
    ps = PowerShell(pool)
    ps.add_script(
        "& { 1; 2; Write-Host x; 3 } | Select-Object -First 2\n"
        "(Get-Service | Select-Object -First 1 | Measure-Object).Count"
    )
    assert [1, 2, 1] == ps.invoke()
    assert [] == ps.streams.information
