"""Host calls: a client that gives the pool a PSHost gets Windows' PIPELINE_HOST_CALLs,
through real pypsrp 0.9.1 over HTTP.

Evidence: pypsrp 0.9.1's ``responses/test_psrp_pshost_*.yml`` (recorded against Windows:
the method identifiers, parameters and call ids, void calls with -100 and not waited
for, RawUI properties answered from HostDefaultData, setters as void calls) and
``ServerMethodExecutor.cs`` (a call that returns waits for the client's answer; a stop
aborts the wait).
"""

from __future__ import annotations

import threading
from typing import Any

import psrpcore
import pytest
from pypsrp.complex_objects import Color, Coordinates, Size
from pypsrp.host import PSHost, PSHostRawUserInterface, PSHostUserInterface
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from tests.integration.sim.simclient import client_for

pytestmark = pytest.mark.integration


class RecordingUI(PSHostUserInterface):
    """A client UI whose ReadLine answers and whose writes are recorded."""

    def __init__(self, raw_ui: PSHostRawUserInterface | None = None) -> None:
        super().__init__(raw_ui)
        self.lines: list[str] = []

    def ReadLine(self, runspace: Any, pipeline: Any) -> str:  # noqa: N802 - pypsrp's name
        return "typed on the client"

    def WriteLine2(self, runspace: Any, pipeline: Any, value: str) -> None:  # noqa: N802
        self.lines.append(value)

    def Prompt(  # noqa: N802 - pypsrp's name
        self, runspace: Any, pipeline: Any, caption: str, message: str, fields: list[Any]
    ) -> dict[str, str]:
        self.lines.append(f"prompt {fields[0].extended_properties['name']}")
        return {fields[0].extended_properties["name"]: "answered"}


def _raw_ui() -> PSHostRawUserInterface:
    return PSHostRawUserInterface(
        "lab window", 25, Color(value=Color.WHITE), Color(value=Color.BLUE),
        Coordinates(x=1, y=2), Coordinates(x=3, y=4), Size(width=120, height=50),
        Size(width=120, height=50), Size(width=120, height=50), Size(width=120, height=50),
    )  # fmt: skip


def test_the_pipeline_host_is_called_and_answers(lab_endpoint: SimEndpoint) -> None:
    raw_ui = _raw_ui()
    ui = RecordingUI(raw_ui)
    host = PSHost(None, None, False, "lab client", None, ui, "1.0")
    with RunspacePool(client_for(lab_endpoint), host=host) as pool:
        ps = PowerShell(pool)
        ps.add_script(
            "$host.UI.WriteLine('to the client')\n"
            "$host.UI.ReadLine()\n"
            "$host.UI.RawUI.WindowTitle\n"
            "$host.UI.RawUI.WindowTitle = 'renamed'\n"
            "$host.UI.RawUI.WindowTitle\n"
            "$host.CurrentCulture.Name\n"
            "$host.SetShouldExit(7)"
        )
        output = ps.invoke()
    assert ps.state == PSInvocationState.COMPLETED, ps.streams.error
    assert ["typed on the client", "lab window", "renamed", "en-US"] == output
    assert ["to the client"] == ui.lines
    assert "renamed" == raw_ui.window_title  # SetWindowTitle reached the client's RawUI
    assert 7 == host.rc  # SetShouldExit


def test_read_host_prompts_through_the_client_host(lab_endpoint: SimEndpoint) -> None:
    """ReadConsoleCmdlet.cs: ReadLine without -Prompt, else Prompt with one field."""
    ui = RecordingUI()
    host = PSHost(None, None, False, "lab client", None, ui, "1.0")
    with RunspacePool(client_for(lab_endpoint), host=host) as pool:
        ps = PowerShell(pool)
        ps.add_script("Read-Host; Read-Host -Prompt 'Your name'")
        output = ps.invoke()
    assert ps.state == PSInvocationState.COMPLETED, ps.streams.error
    assert ["typed on the client", "answered"] == output
    assert ["prompt Your name"] == ui.lines


def test_a_stop_ends_the_wait_for_the_host(
    lab_endpoint: SimEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    called = threading.Event()
    host_call = psrpcore.ServerRunspacePool.host_call

    def recorded_host_call(pool: psrpcore.ServerRunspacePool, *args: Any, **kw: Any) -> int:
        ci: int = host_call(pool, *args, **kw)
        called.set()
        return ci

    monkeypatch.setattr(psrpcore.ServerRunspacePool, "host_call", recorded_host_call)
    host = PSHost(None, None, False, "lab client", None, RecordingUI(), "1.0")
    with RunspacePool(client_for(lab_endpoint), host=host) as pool:
        waiting = PowerShell(pool)
        waiting.add_script("$host.UI.ReadLine()")
        waiting.begin_invoke()
        # The server sent ReadLine and waits; the client never answers it.
        assert called.wait(30), "the server never sent the host call"
        waiting.stop()
        # One runspace: the next pipeline runs only once the stopped one has let go.
        ps = PowerShell(pool)
        ps.add_script("'next'")
        assert ["next"] == ps.invoke()


def test_without_a_host_writes_are_dropped_and_records_kept(lab_pool: RunspacePool) -> None:
    ps = PowerShell(lab_pool)
    ps.add_script("$host.UI.WriteLine('nowhere'); $host.UI.WriteWarningLine('careful'); 'after'")
    output = ps.invoke()
    assert ps.state == PSInvocationState.COMPLETED
    assert ["after"] == output
    assert ["careful"] == [w.message for w in ps.streams.warning]
    assert not ps.had_errors
    # Read-Host without a client UI: refused before anything ran, as before.
    ps = PowerShell(lab_pool)
    ps.add_script("'first'; Read-Host")
    assert [] == ps.invoke()
    assert ps.state == PSInvocationState.FAILED


class ExitCodeHost(PSHost):
    """A client host that records every SetShouldExit, as Ansible's psrp connection
    reads a script's exit code from it."""

    def __init__(self) -> None:
        super().__init__(None, None, False, "lab client", None, RecordingUI(), "1.0")
        self.exits: list[int] = []

    def SetShouldExit(self, runspace: Any, pipeline: Any, exit_code: int) -> None:  # noqa: N802
        self.exits.append(exit_code)


@pytest.mark.parametrize(
    ("script", "output", "code"),
    [
        ("exit 3\nexit $LASTEXITCODE", [], 3),  # Ansible's raw: the first exit wins
        ("'a'; exit 5; 'b'", ["a"], 5),
        ("function f { exit 6 }; f; 'after'", [], 6),  # out of the function, the script
        ("cmd /c exit 7\nexit $LASTEXITCODE", [], 7),
        ("& { 'in'; exit }; 'after'", ["in"], 0),  # no value: 0
    ],
)
def test_exit_tells_the_client_host_its_code(
    lab_endpoint: SimEndpoint, script: str, output: list[str], code: int
) -> None:
    """LocalPipeline.InvokeHelper catches the ExitException of a pipeline that is not
    nested and calls SetShouldExit(code) on the host; ServerRemoteHost sends it to the
    client as a void host call. The pipeline ends Completed, without errors."""
    host = ExitCodeHost()
    with RunspacePool(client_for(lab_endpoint), host=host) as pool:
        ps = PowerShell(pool)
        ps.add_script(script)
        assert output == ps.invoke()
        assert ps.state == PSInvocationState.COMPLETED, ps.streams.error
        assert not ps.had_errors
        assert [code] == host.exits


def test_exit_ends_the_whole_pipeline_and_leaves_lastexitcode(lab_endpoint: SimEndpoint) -> None:
    """The ExitException leaves the pipeline: the command after the script never ends
    (Measure-Object writes no count). Only a nested pipeline sets $LASTEXITCODE from
    exit; this one leaves it as it was. Each add_statement() statement is a pipeline of
    its own, so the next one runs."""
    host = ExitCodeHost()
    with RunspacePool(client_for(lab_endpoint), host=host) as pool:
        ps = PowerShell(pool)
        ps.add_script("1; 2; exit 9").add_cmdlet("Measure-Object")
        assert [] == ps.invoke()
        assert ps.state == PSInvocationState.COMPLETED
        ps = PowerShell(pool)
        ps.add_script("$null -eq $LASTEXITCODE")
        assert [True] == ps.invoke()
        ps = PowerShell(pool)
        ps.add_script("exit 2").add_statement().add_script("'second'")
        assert ["second"] == ps.invoke()
        assert [9, 2] == host.exits


def test_exit_without_a_client_host_ends_the_script_quietly(lab_pool: RunspacePool) -> None:
    ps = PowerShell(lab_pool)
    ps.add_script("'before'; exit 4; 'after'")
    assert ["before"] == ps.invoke()
    assert ps.state == PSInvocationState.COMPLETED
    assert not ps.had_errors


def test_write_host_reaches_the_client_host_and_the_information_stream(
    lab_endpoint: SimEndpoint,
) -> None:
    """WriteHostCommand: the client's host shows the line (WriteLine2), and the record's
    MessageData is a HostInformationMessage (Message, NoNewLine, colours), Source
    Write-Host, tag PSHOST (psrp 1.0's test_invoke_ps_with_host against Windows reads
    ``MessageData.Message`` and sees ``write_line("host")`` once). The lab sent the text
    alone as Write-Information's and made no host call."""
    ui = RecordingUI(_raw_ui())
    host = PSHost(None, None, False, "lab client", None, ui, "1.0")
    with RunspacePool(client_for(lab_endpoint), host=host) as pool:
        ps = PowerShell(pool)
        ps.add_script("Write-Host 'host'; Write-Host 'green' -ForegroundColor Green")
        assert [] == ps.invoke()
    assert ["host"] == ui.lines  # a coloured line is not sent as WriteLine2
    plain, green = ps.streams.information
    assert ("Write-Host", ["PSHOST"]) == (plain.source, list(plain.tags))
    message = plain.message_data
    assert "host" == message.adapted_properties.get(
        "Message", message.extended_properties.get("Message")
    )
    assert "System.Management.Automation.HostInformationMessage" == message.types[0]
    colour = green.message_data.extended_properties.get("ForegroundColor")
    assert "Green" == str(colour)
