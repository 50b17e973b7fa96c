"""The WinRS cmd shell of `sim serve`, driven by real pypsrp 0.9.1 as its own tests do.

The calls and expected outputs are those of pypsrp's ``tests/test_client.py`` and the
Windows recordings behind its ``test_winrs_*`` tests.
"""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypsrp.client import Client
from pypsrp.exceptions import WinRMError, WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.shell import CommandState, Process, SignalCode, WinRS

from psrunbook.inventory import load_inventory
from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.executor_protocol import (
    ExecutionContext,
    PipelineStopped,
    ProcessIO,
    ShellCommandRequest,
)
from psrunbook.sim.lab.serve import SIM_USER, ServeOptions, serve
from tests.integration.sim.simclient import PASSWORD as PW
from tests.integration.sim.simclient import USER, client_for

PASSWORD = "winrs-pw-1"
TOOL = "'netstat' (a Windows tool the lab does not simulate)"


@contextlib.contextmanager
def _sim_serve(tmp_path: Path) -> Iterator[Client]:
    """`sim serve` (one node) in a thread; yields a pypsrp Client for NODE1."""
    stop, ready = threading.Event(), threading.Event()
    lines: list[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("serving"):
            ready.set()

    out = tmp_path / "sim.toml"
    options = ServeOptions(nodes=1, inventory_out=out, time_scale=0.0)
    worker = threading.Thread(
        target=serve, args=(options,), kwargs={"password": PASSWORD, "echo": echo, "stop": stop}
    )
    worker.start()
    try:
        assert ready.wait(30)
        host, port, ssl = load_inventory(out).endpoint_for("NODE1")
        with Client(
            host, port=port, ssl=ssl, username=SIM_USER, password=PASSWORD, auth="basic",
            encryption="never",
        ) as client:  # fmt: skip
            yield client
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with _sim_serve(tmp_path) as served:
        yield served


def test_client_execute_cmd(client: Client) -> None:
    """pypsrp's test_client_execute_cmd: `dir` and `echo abc` through cmd.exe."""
    listing = client.execute_cmd("dir")
    assert "Volume in drive C" in listing[0]
    assert ("", 0) == listing[1:]
    assert ("abc\r\n", "", 0) == client.execute_cmd("echo abc")


def test_dir_prints_cmd_layout_of_the_lab_folder(client: Client) -> None:
    """`dir` of the profile folder: cmd's header, one line per entry, the summary."""
    stdout, stderr, rc = client.execute_cmd("dir")
    lines = stdout.split("\r\n")
    assert " Volume in drive C has no label." == lines[0]
    assert lines[1].startswith(" Volume Serial Number is ")
    assert f" Directory of C:\\Users\\{SIM_USER}" == lines[3]
    assert lines[5].endswith("    <DIR>          .")
    assert any(line.endswith("<DIR>          Documents") for line in lines)
    assert lines[-3].strip().endswith("File(s)              0 bytes")
    assert lines[-2].strip().endswith("bytes free")
    assert ("", 0) == (stderr, rc)


def test_client_execute_cmd_environment(client: Client) -> None:
    """pypsrp's test_client_execute_cmd_environment: `set` shows the shell's variables."""
    env = {"string": "string value", "int": 1234, "bool": True, "double_quote": 'double " quote',
           "single_quote": "single ' quote", "hyphen - var": "abc @ 123"}  # fmt: skip
    lines = client.execute_cmd("set", environment=env)[0].splitlines()  # type: ignore[arg-type]
    for key, value in env.items():
        assert f"{key}={value}" == next(line for line in lines if line.startswith(key))


def test_stdout_stderr_and_exit_code_as_the_recording(client: Client) -> None:
    """pypsrp's test_winrs_stderr_rc recording: `echo out && echo err>&2 && exit 1`."""
    assert ("out \r\n", "err \r\n", 1) == client.execute_cmd(
        "cmd.exe /c echo out && echo err>&2 && exit 1"
    )


def test_unknown_command_is_not_recognized(client: Client) -> None:
    assert (
        "",
        "'nosuchthing' is not recognized as an internal or external command,\r\n"
        "operable program or batch file.\r\n",
        1,
    ) == client.execute_cmd("nosuchthing")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("exit /b 7", ("", "", 7)),
        ("hostname", ("NODE1\r\n", "", 0)),
        ("whoami", (f"node1\\{SIM_USER}\r\n", "", 0)),
        ("ver", ("\r\nMicrosoft Windows [Version 10.0.17763.1]\r\n", "", 0)),
        ("echo %COMPUTERNAME%", ("NODE1\r\n", "", 0)),
        ("cd", (f"C:\\Users\\{SIM_USER}\r\n", "", 0)),
        ("netstat", ("", f"The simulator does not model this in cmd.exe: {TOOL}\r\n", 1)),
        (
            "timeout /t 1",
            (
                "",
                "The simulator does not model this in cmd.exe: 'timeout' (a Windows tool the"
                " lab does not simulate)\r\n",
                1,
            ),
        ),
        ("nosuchtool", ("", "'nosuchtool' is not recognized as an internal or external"
                        " command,\r\noperable program or batch file.\r\n", 1)),
    ],
)
def test_cmd_builtins_and_natives(client: Client, command: str, expected: tuple) -> None:
    assert expected == client.execute_cmd(command)


def test_powershell_prints_output_as_a_console(client: Client) -> None:
    """`powershell.exe ...` runs the lab's evaluator on the node: text lines, exit 0."""
    assert ("1\r\n2\r\n3\r\n", "", 0) == client.execute_cmd("powershell.exe 1..3")
    assert ("NODE1\r\n", "", 0) == client.execute_cmd("powershell $env:COMPUTERNAME")
    assert ("xy\r\n", "", 0) == client.execute_cmd(
        "powershell.exe -NoProfile -NonInteractive -Command \"'x' + 'y'\""
    )


def test_powershell_encoded_command(client: Client) -> None:
    encoded = base64.b64encode("Write-Output 'enc'; exit 4".encode("utf-16-le")).decode()
    assert ("enc\r\n", "", 4) == client.execute_cmd(f"powershell -EncodedCommand {encoded}")


def test_powershell_errors_go_to_stderr_as_clixml(client: Client) -> None:
    """A failing command: stderr is CLIXML that pypsrp's sanitise_clixml turns into the
    console's error text; the exit code is 1."""
    stdout, stderr, rc = client.execute_cmd("powershell.exe Get-Item C:\\nope")
    assert ("", 1) == (stdout, rc)
    assert stderr.startswith("#< CLIXML\r\n<Objs ")
    assert (
        "Get-Item : Cannot find path 'C:\\nope' because it does not exist.\r\n"
        "At line:1 char:1\r\n"
        "+ Get-Item C:\\nope\r\n"
        "+ ~~~~~~~~~~~~~~~~\r\n"
        "    + CategoryInfo          : ObjectNotFound: (C:\\nope:String) [Get-Item], "
        "ItemNotFoundException\r\n"
        "    + FullyQualifiedErrorId : PathNotFound,"
        "Microsoft.PowerShell.Commands.GetItemCommand\r\n"
        " \r\n"
    ) == Client.sanitise_clixml(stderr)


def _encoded(script: str) -> str:
    return "powershell -EncodedCommand " + base64.b64encode(script.encode("utf-16-le")).decode()


def test_powershell_exe_runs_under_the_console_host(client: Client) -> None:
    """powershell.exe's ``$host`` is the console host (ConsoleHost, the engine's version),
    not a PSRP session's ServerRemoteHost, and ``$host.SetShouldExit(n)`` (which the lab
    refused as a method ServerRemoteHost lacks) gives the exit code once the command has
    run; an ``exit N`` after it reaches the host the same way and wins."""
    assert ("ConsoleHost\r\n5.1.17763.1\r\n", "", 0) == client.execute_cmd(
        _encoded("$host.Name; $host.Version.ToString()")
    )
    assert ("after\r\n", "", 5) == client.execute_cmd(
        _encoded("$host.SetShouldExit(5); 'after'")
    )
    assert ("", "", 3) == client.execute_cmd(_encoded("$host.SetShouldExit(5); exit 3"))
    stdout, stderr, rc = client.execute_cmd(_encoded("$host.SetShouldExit(0); Get-Item C:\\nope"))
    assert ("", 0) == (stdout, rc) and "Get-Item : Cannot find path" in stderr
    # A PSRP runspace keeps the remote host.
    assert ["ServerRemoteHost"] == client.execute_ps("$host.Name")[0].splitlines()


def test_a_thrown_error_stands_alone_with_the_throw_underlined(client: Client) -> None:
    """about_Throw: a thrown string is printed alone, then the whole ``throw`` statement
    underlined. ``NAME : `` comes from an invocation (a command's error, or a name that
    finds no command) and a throw has none; the lab printed ``boom : boom`` and
    underlined ``throw`` only."""
    encoded = base64.b64encode("  throw 'boom'; 'after'".encode("utf-16-le")).decode()
    stdout, stderr, rc = client.execute_cmd(f"powershell -EncodedCommand {encoded}")
    assert ("", 1) == (stdout, rc)
    assert (
        "boom\r\n"
        "At line:1 char:3\r\n"
        "+   throw 'boom'; 'after'\r\n"
        "+   ~~~~~~~~~~~~\r\n"
        "    + CategoryInfo          : OperationStopped: (boom:String) [], RuntimeException\r\n"
        "    + FullyQualifiedErrorId : boom\r\n"
        " \r\n"
    ) == Client.sanitise_clixml(stderr)
    _, stderr, _ = client.execute_cmd("powershell.exe fake cmdlet")
    assert Client.sanitise_clixml(stderr).startswith("fake : The term 'fake' is not recognized")


def test_psrp_position_message_is_the_text_the_console_prints(client: Client) -> None:
    """NormalView prints ``InvocationInfo.PositionMessage``: a PSRP client reads the same
    underline the console shows (the lab sent one ``~`` whatever failed)."""
    _, streams, had_errors = client.execute_ps("Write-Output 1\nthrow 'boom'")
    assert had_errors
    [record] = streams.error
    assert "At line:2 char:1\r\n+ throw 'boom'\r\n+ ~~~~~~~~~~~~" == (
        record.invocation_position_message
    )
    _, streams, _ = client.execute_ps("Get-Item C:\\nope")
    [record] = streams.error
    assert "At line:1 char:1\r\n+ Get-Item C:\\nope\r\n+ ~~~~~~~~~~~~~~~~" == (
        record.invocation_position_message
    )


def test_write_error_names_its_caller_as_windows_prints_it(client: Client) -> None:
    """Write-Error's record carries its caller's invocation (WriteErrorCommand sets the
    caller's ``$MyInvocation``): at the top of ``-EncodedCommand`` the whole command text
    and no position, as pywinrm's capture of ``run_ps('Write-Error "Error"')`` shows; in a
    function, the function and where it was called. Under Stop, Write-Error's own
    statement (the recorded test_psrp_error_failed.yml). The lab printed ``Write-Error :``
    and the Write-Error statement's position for all three."""
    stdout, stderr, rc = client.execute_cmd(_encoded('Write-Error "Error"'))
    assert ("", 1) == (stdout, rc)
    assert (
        'Write-Error "Error" : Error\r\n'
        "    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException\r\n"
        "    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException\r\n"
        " \r\n"
    ) == Client.sanitise_clixml(stderr)
    _, stderr, _ = client.execute_cmd(_encoded("function F { Write-Error 'x' }\n  F"))
    assert Client.sanitise_clixml(stderr).startswith(
        "F : x\r\nAt line:2 char:3\r\n+   F\r\n+   ~\r\n"
    )
    _, stderr, _ = client.execute_cmd(_encoded("Write-Error 'x' -ErrorAction Stop"))
    assert Client.sanitise_clixml(stderr).startswith("Write-Error : x\r\nAt line:1 char:1\r\n")
    with RunspacePool(client.wsman) as pool:
        ps = PowerShell(pool)
        ps.add_script("Write-Output 1\nWrite-Error 'e'")
        ps.invoke()
    [record] = ps.streams.error
    assert ("", "", 0) == (
        record.invocation_position_message,
        record.invocation_line,
        record.invocation_script_line_number,
    )


def test_a_version_prints_as_its_table_view(client: Client) -> None:
    """pywinrm's ``run_ps('$PSVersionTable.PSVersion')``: the console prints System.Version's
    table view (the lab printed ``5.1.17763.1``)."""
    assert (
        "\r\nMajor  Minor  Build  Revision\r\n-----  -----  -----  --------\r\n"
        "5      1      17763  1       \r\n\r\n\r\n",
        "",
        0,
    ) == client.execute_cmd(_encoded("$PSVersionTable.PSVersion"))


def test_powershell_warnings_reach_stderr_in_order_with_errors(client: Client) -> None:
    """A warning is shown by a console host, never dropped: on stderr, tagged with its
    stream, before the error written after it; sanitise_clixml keeps only the error."""
    stdout, stderr, rc = client.execute_cmd(
        "powershell.exe Write-Warning 'disk low'; Write-Output ok; Get-Item C:\\nope"
    )
    assert ("ok\r\n", 1) == (stdout, rc)
    warning = stderr.index('<S S="warning">disk low_x000D__x000A_</S>')
    assert warning < stderr.index('<S S="Error">Get-Item : Cannot find path')
    assert Client.sanitise_clixml(stderr).startswith("Get-Item : Cannot find path")


def test_process_reads_its_script_from_stdin(client: Client) -> None:
    """pypsrp's test_winrs_send: `powershell.exe -` with the script sent to stdin."""
    with WinRS(client.wsman) as shell:
        process = Process(shell, "powershell.exe", ["-"])
        process.begin_invoke()
        process.send(b'Write-Host "output 1";', end=False)
        process.send(b'Write-Host "output 2";', end=True)
        process.end_invoke()
        process.signal(SignalCode.CTRL_C)
    assert (b"output 1\noutput 2\n", b"", 0) == (process.stdout, process.stderr, process.rc)


def test_terminated_command_is_forgotten_and_deleted_shell_is_gone(client: Client) -> None:
    """Signal terminate forgets a command; after Delete the shell id is unknown."""
    shell = WinRS(client.wsman, working_directory="C:\\Windows")
    shell.open()
    process = Process(shell, "powershell.exe", ["-"])
    process.begin_invoke()  # waits on stdin: still running
    process.signal(SignalCode.TERMINATE)
    with pytest.raises(WSManFaultError) as forgotten:
        process.poll_invoke()
    assert 2150858843 == forgotten.value.code
    assert ("C:\\Windows\r\n", "", 0) == _run(shell, "cd")
    shell.close()
    shell.opened, shell.id = True, "X"
    with pytest.raises(WSManFaultError) as gone:
        Process(shell, "echo", ["x"]).begin_invoke()
    assert 2150858843 == gone.value.code


def _run(shell: WinRS, command: str) -> tuple[str, str, int | None]:
    process = Process(shell, command)
    process.invoke()
    return process.stdout.decode("cp437"), process.stderr.decode("cp437"), process.rc


def test_running_command_reports_running_then_times_out(lab_endpoint: SimEndpoint) -> None:
    """A Receive while the process waits answers w:TimedOut after the operation timeout
    (pypsrp ignores it and polls again); a process stopped by ctrl_c then ends."""
    with WinRS(client_for(lab_endpoint)) as shell:
        process = Process(shell, "powershell", ["-"])
        process.begin_invoke()
        with pytest.raises(WSManFaultError) as timed_out:
            shell.receive(command_id=process.id, timeout=1)
        assert 2150858793 == timed_out.value.code
        process.signal(SignalCode.CTRL_C)
        process.end_invoke()
        assert CommandState.DONE == process.state
        assert 0 != process.rc


def test_trivial_executor_has_no_cmd_shell(endpoint: SimEndpoint) -> None:
    """The protocol tests' executor runs no commands: the cmd shell URI is not found."""
    with pytest.raises(WSManFaultError) as missing:
        WinRS(client_for(endpoint)).open()
    assert 2150858752 == missing.value.code


# -- Client.copy and Client.fetch (copy.ps1/fetch.ps1 run as sent) ---------------------

DOCUMENTS = f"C:\\Users\\{SIM_USER}\\Documents"


def _local(tmp_path: Path, data: bytes, name: str = "src.bin") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_client_copy_file(client: Client, tmp_path: Path) -> None:
    """pypsrp's test_client_copy_file: copy twice, the full path back, the content read
    with powershell.exe Get-Content, removed with powershell Remove-Item."""
    source = _local(tmp_path, b"abcdefghijklmnopqrstuvwxyz")
    actual = client.copy(source, "test_file")
    actual = client.copy(source, actual)  # a 2nd time must not fail
    assert f"{DOCUMENTS}\\test_file" == actual
    stdout = client.execute_cmd(f"powershell.exe Get-Content {actual}")[0]
    assert "abcdefghijklmnopqrstuvwxyz" == stdout.strip()
    assert ("", "", 0) == client.execute_cmd(f"powershell Remove-Item -Path '{actual}'")
    assert ("False\r\n", "", 0) == client.execute_cmd(f"powershell Test-Path '{actual}'")


def test_client_copy_file_empty(client: Client, tmp_path: Path) -> None:
    actual = client.copy(_local(tmp_path, b""), "test_file_empty")
    assert f"{DOCUMENTS}\\test_file_empty" == actual
    assert "" == client.execute_cmd(f"powershell.exe Get-Content {actual}")[0].strip()


def test_client_copy_large_file_in_small_envelopes(tmp_path: Path) -> None:
    """A file larger than one envelope: copy.ps1 gets it over several inputs, the hash
    checks out, and fetch brings the same bytes back."""
    data = b"abcdefghijklmnopqrstuvwxyz" * 20000
    with _sim_serve(tmp_path) as served:
        served.wsman.update_max_payload_size(51200)
        actual = served.copy(_local(tmp_path, data), "C:\\Windows\\Temp\\large.bin")
        assert "C:\\Windows\\Temp\\large.bin" == actual
        served.fetch(actual, str(tmp_path / "back.bin"))
    assert data == (tmp_path / "back.bin").read_bytes()


def test_client_fetch_file(client: Client, tmp_path: Path) -> None:
    """A file the lab wrote (Set-Content) comes back byte for byte."""
    _, _, rc = client.execute_cmd(
        "powershell Set-Content -Path C:\\Windows\\Temp\\file.txt -Value ('abc' * 3)"
    )
    assert 0 == rc
    client.fetch("C:\\Windows\\Temp\\file.txt", str(tmp_path / "file.txt"))
    assert b"abcabcabc\r\n" == (tmp_path / "file.txt").read_bytes()


def test_client_fetch_file_fail_dir(client: Client) -> None:
    with pytest.raises(WinRMError) as err:
        client.fetch("C:\\Windows", "")
    assert (
        "Failed to fetch file C:\\Windows: The path at 'C:\\Windows' is a directory, "
        "src must be a file"
    ) == str(err.value)


def test_client_fetch_file_fail_missing(client: Client) -> None:
    with pytest.raises(WinRMError) as err:
        client.fetch("C:\\fakefile.txt", "")
    assert (
        "Failed to fetch file C:\\fakefile.txt: The path at 'C:\\fakefile.txt' does not exist"
    ) == str(err.value)


def test_client_copy_to_a_missing_folder_fails_as_dotnet_does(client, tmp_path) -> None:
    """copy.ps1's File.Delete of the destination throws DirectoryNotFoundException first
    (.NET Framework ignores only a missing file, not a missing folder)."""
    with pytest.raises(WinRMError) as err:
        client.copy(_local(tmp_path, b"x"), "C:\\NoSuchFolder\\f.txt")
    assert (
        'Failed to copy file: Exception calling "Delete" with "1" argument(s): '
        "\"Could not find a part of the path 'C:\\NoSuchFolder\\f.txt'.\""
    ) == str(err.value)


class _StdinWaiter(TrivialExecutor):
    """A cmd shell whose one command waits for stdin; records when it was stopped."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()

    def run_command(
        self, request: ShellCommandRequest, context: ExecutionContext, io: ProcessIO
    ) -> int:
        self.started.set()
        try:
            io.read_stdin()
        except PipelineStopped:
            self.stopped.set()
            raise
        return 0


def test_abandoned_cmd_shell_is_reaped_after_the_idle_timeout() -> None:
    """A client that vanishes with a process waiting: the shell is deleted, the process
    stopped, as for a PowerShell shell (WinRM's IdleTimeOut)."""
    executor = _StdinWaiter()
    with SimEndpoint(executor, node="NODE1", users={USER: PW}, idle_timeout=0.5) as node:
        shell = WinRS(client_for(node))
        shell.open()
        process = Process(shell, "wait")
        process.begin_invoke()
        assert executor.started.wait(30)
        assert executor.stopped.wait(30), "the abandoned process was never stopped"
        assert () == node.shell_ids
        with pytest.raises(WSManFaultError) as gone:
            process.poll_invoke(timeout=1)
        assert 2150858843 == gone.value.code
