"""cmd.exe of a lab node: command-line parsing and the built-ins over the file model."""

from __future__ import annotations

import base64

import pytest

from psrunbook.sim.executor_protocol import ExecutionContext, ShellCommandRequest
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.cmd_line import argv, powershell_script
from psrunbook.sim.lab.cmd_shell import CmdShell
from psrunbook.sim.lab.fs import FsView
from psrunbook.sim.lab.paths import FsPath
from psrunbook.sim.lab.profiles import ensure_profile


class Streams:
    """A ProcessIO that keeps what the process wrote; stdin is given up front."""

    def __init__(self, stdin: bytes = b"") -> None:
        self.out = b""
        self.err = b""
        self._stdin = stdin

    def read_stdin(self) -> bytes:
        return self._stdin

    def stdout(self, data: bytes) -> None:
        self.out += data

    def stderr(self, data: bytes) -> None:
        self.err += data


def _no_powershell(*args: object) -> int:
    raise AssertionError("powershell.exe was not expected here")


def _cmd(
    lab: SimCluster, line: str, user: str = "SIMLAB\\admin", **request: object
) -> tuple[str, str, int]:
    context = ExecutionContext("NODE1", user)
    ensure_profile(lab, "NODE1", context.user)
    streams = Streams()
    code = CmdShell(lab, _no_powershell).run(
        ShellCommandRequest(line, **request),  # type: ignore[arg-type]
        context,
        streams,
    )
    return streams.out.decode("cp437"), streams.err.decode("cp437"), code


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('a "b c" d', ["a", "b c", "d"]),
        ("-Command \"'x' + 'y'\"", ["-Command", "'x' + 'y'"]),
        ('say \\"hi\\"', ["say", '"hi"']),
        ('""', [""]),
    ],
)
def test_argv_splits_as_windows_programs_do(line: str, words: list[str]) -> None:
    assert words == argv(line)


def test_powershell_script_forms() -> None:
    encoded = base64.b64encode("1 + 1".encode("utf-16-le")).decode()
    stdin = lambda: b"'from stdin'"  # noqa: E731
    assert ("Get-Date", "\r\n") == powershell_script("-NoProfile Get-Date", stdin)
    assert ("a b", "\r\n") == powershell_script("-ExecutionPolicy Bypass -Command a b", stdin)
    assert ("1 + 1", "\r\n") == powershell_script(f"-EncodedCommand {encoded}", stdin)
    assert ("'from stdin'", "\n") == powershell_script("-", stdin)
    assert powershell_script("-File x.ps1", stdin) is None


def test_dir_of_a_file_and_of_nothing(lab: SimCluster) -> None:
    with lab.lock:
        FsView(lab, "NODE1").write_file(FsPath("C", ("Users", "admin", "a.txt")), b"12345")
    out, err, code = _cmd(lab, "dir a.txt")
    assert " Directory of C:\\Users\\admin\r\n" in out
    assert "                 5 a.txt\r\n" in out
    assert "               1 File(s)              5 bytes\r\n" in out
    assert ("", 0) == (err, code)
    out, err, code = _cmd(lab, "dir nothing.txt")
    assert ("File Not Found\r\n", 1) == (err, code)


def test_cd_type_and_set_in_one_line(lab: SimCluster) -> None:
    with lab.lock:
        FsView(lab, "NODE1").write_file(FsPath("C", ("Windows", "Temp", "t.txt")), b"body")
    out, err, code = _cmd(lab, "cd C:\\Windows\\Temp & type t.txt & set X=1 & echo %X%")
    assert ("body%X%\r\n", "", 0) == (out, err, code)  # %X% expands when the line is read


def test_operators_follow_exit_codes(lab: SimCluster) -> None:
    out, err, code = _cmd(lab, "cd C:\\nope || echo b")
    assert ("b\r\n", "The system cannot find the path specified.\r\n", 0) == (out, err, code)
    out, err, code = _cmd(lab, "cd C:\\nope && echo never")
    assert ("", "The system cannot find the path specified.\r\n", 1) == (out, err, code)


def test_working_directory_and_environment_of_the_shell(lab: SimCluster) -> None:
    out, _, _ = _cmd(
        lab, "cd & echo %Greeting%", working_directory="C:\\Windows",
        environment=(("Greeting", "hello"),),
    )  # fmt: skip
    assert "C:\\Windows\r\nhello\r\n" == out


def test_redirection_to_nul_and_echo_forms(lab: SimCluster) -> None:
    assert ("", "", 0) == _cmd(lab, "echo hidden>nul")
    # Like `echo out && ...` in the recording, the space before `&` is printed.
    assert (" \r\nECHO is on.\r\n", "", 0) == _cmd(lab, "echo. & echo")


def test_a_command_line_longer_than_cmd_takes_is_refused(lab: SimCluster) -> None:
    """8191 characters run; one more is "The command line is too long.", exit 1, as a
    pywinrm ``run_ps`` of a long script meets it on Windows."""
    longest = "echo " + "a" * (8191 - len("echo "))
    out, err, code = _cmd(lab, longest)
    assert (out, err, code) == ("a" * 8186 + "\r\n", "", 0)
    out, err, code = _cmd(lab, longest + "a")
    assert (out, err, code) == ("", "The command line is too long.\r\n", 1)


def test_the_limit_counts_the_line_after_variable_expansion(lab: SimCluster) -> None:
    line = "echo %LONG%" + "b" * (8191 - len("echo %LONG%"))
    out, err, code = _cmd(lab, line, environment=(("LONG", "x" * 100),))
    assert ("", "The command line is too long.\r\n", 1) == (out, err, code)


@pytest.mark.parametrize(
    ("user", "account", "domain"),
    [
        ("SIMLAB\\admin", "simlab\\admin", "SIMLAB"),
        ("psrunbook", "node1\\psrunbook", "NODE1"),
        ("operator@CORP.EXAMPLE", "corp\\operator", "CORP"),
    ],
)
def test_whoami_and_userdomain_name_the_accounts_domain(
    lab: SimCluster, user: str, account: str, domain: str
) -> None:
    """A domain account's domain, the computer's name for a local one (USERDOMAIN); a
    Kerberos principal's realm as its domain, as PowerShell's ``whoami`` shows it (the
    cmd shell said ``node1\\operator`` for it, and USERDOMAIN was the node's name for
    every account)."""
    out, err, code = _cmd(lab, "whoami & echo %USERDOMAIN%", user=user)
    assert (0, "") == (code, err)
    assert [account, domain] == out.split()
