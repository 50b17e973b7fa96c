"""``cmd.exe /c LINE`` on a lab node: what a WinRS cmd-shell command runs.

WinRM starts each Command of a cmd shell as ``cmd.exe /c`` followed by the Command and
its Arguments joined by spaces (MS-WSMV; ``WINRS_SKIP_CMD_SHELL`` false, pypsrp's
default). This module is that ``cmd.exe``: ``%NAME%`` expansion, the operators ``&``,
``&&``, ``||``, the redirections ``>&2``, ``2>&1``, ``>nul``, ``2>nul``, and the commands

* built-ins as cmd prints them: ``echo``, ``set``, ``dir`` (of the node's file model),
  ``cd``/``chdir``, ``type``, ``ver``, ``exit [/b] N``;
* the native programs the lab has: ``hostname``, ``whoami``, ``ipconfig [/all]``
  (:mod:`.ipconfig`), ``cmd /c`` and ``powershell[.exe]`` (``-Command``,
  ``-EncodedCommand``, ``-`` for a script on stdin), run by the node's PowerShell
  evaluator as a console host (:mod:`psrunbook.sim.ps.console_host`);
* anything else: cmd's "is not recognized" on stderr and exit code 1, except the
  commands and programs every node has but the lab does not model
  (:func:`.windows_commands.cmd_commands`: ``net``, ``sc``, ``rem``, ``start``, ...),
  which are refused by name on stderr rather than answered as if missing.

Texts are cmd.exe's en-US ones (UNVERIFIED against a recording except ``echo`` and
``exit``, which ``test_winrs_standard.yml``/``test_winrs_stderr_rc.yml`` in pypsrp's
tests show); output is encoded in the shell's code page (``WINRS_CODEPAGE``, 437).
Splitting the line and the ``powershell.exe`` arguments is :mod:`.cmd_line`'s.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import msgspec
from msgspec.structs import replace

from psrunbook.sim.executor_protocol import (
    RUNSPACE_LOCATION,
    ExecutionContext,
    ProcessIO,
    ShellCommandRequest,
)
from psrunbook.sim.lab.cluster_model import FsEntry, SimCluster, fold
from psrunbook.sim.lab.cmd_line import (
    PERCENT,
    cmd_switch_command,
    echo_text,
    lookup,
    powershell_script,
    split_operators,
    strip_cmd_c,
    take_redirects,
)
from psrunbook.sim.lab.fs import FsView
from psrunbook.sim.lab.ipconfig import full_listing, ipconfig_text
from psrunbook.sim.lab.paths import BadDrive, FsPath, parse
from psrunbook.sim.lab.windows_commands import cmd_commands
from psrunbook.sim.ps.automatic import connected_user
from psrunbook.sim.windows_environment import process_environment

PowerShellRunner = Callable[
    [str, ExecutionContext, dict[str, str], Callable[[str], None], Callable[[str], None], str],
    int,
]
"""Runs a script as powershell.exe: (script, context, environment, stdout, stderr,
newline) -> exit code."""

NOT_RECOGNIZED = (
    "'{name}' is not recognized as an internal or external command,\r\n"
    "operable program or batch file.\r\n"
)
VERSION = "Microsoft Windows [Version 10.0.17763.1]"
"""``ver`` of the lab's Windows Server 2019 (the build of $PSVersionTable.BuildVersion)."""
VOLUME_SERIAL = "A2C4-1E7F"
"""A fixed serial number for every lab volume (UNVERIFIED: Windows' is random per volume)."""
FREE_BYTES = 53_687_091_200
"""What ``dir`` reports free on every lab volume (50 GiB; the lab models no capacity)."""
COMMAND_LINE_LIMIT = 8191
"""The longest command line cmd.exe runs, before and after ``%NAME%`` expansion
(Microsoft's "Command prompt (Cmd.exe) command-line string limitation"); a longer one
prints "The command line is too long." and exits 1, which is what a pywinrm ``run_ps``
of a script of about 3,000 characters or more meets (pywinrm issues 87 and 184)."""
TOO_LONG = "The command line is too long.\r\n"


class Refused(Exception):
    """A command line the lab does not model; its message goes to stderr."""


class CmdState(msgspec.Struct):
    """One cmd.exe process: environment, current directory, where its output goes."""

    env: dict[str, str]
    cwd: FsPath
    out: Callable[[str], None]
    err: Callable[[str], None]
    stdin: Callable[[], bytes]
    exit_code: int = 0
    exited: bool = False


class CmdShell:
    """cmd.exe for one lab; ``powershell`` runs a script as powershell.exe does."""

    def __init__(self, cluster: SimCluster, powershell: PowerShellRunner) -> None:
        self.cluster = cluster
        self.powershell = powershell

    def run(self, request: ShellCommandRequest, context: ExecutionContext, io: ProcessIO) -> int:
        codec = "utf-8" if request.codepage == 65001 else f"cp{request.codepage}"
        user = context.user.split("\\")[-1].split("@")[0]
        domain = connected_user(context.user, context.node).split("\\")[0]
        env = process_environment(context.node, user, request.environment, domain=domain)
        cwd = self._start_directory(request.working_directory, env)
        state = CmdState(
            env=env,
            cwd=cwd,
            out=lambda text: io.stdout(text.encode(codec, errors="replace")),
            err=lambda text: io.stderr(text.encode(codec, errors="replace")),
            stdin=io.read_stdin,
        )
        line = request.command_line
        if not request.skip_cmd_shell:
            line = strip_cmd_c(line)
            if len(line) > COMMAND_LINE_LIMIT:
                state.err(TOO_LONG)
                return 1
        self.run_line(line, state, context)
        return state.exit_code

    def _start_directory(self, requested: str | None, env: dict[str, str]) -> FsPath:
        """The shell's WorkingDirectory, else the user's profile folder (UNVERIFIED:
        WinRS starts a cmd shell in %USERPROFILE%)."""
        text = requested or env.get("USERPROFILE", "C:\\")
        try:
            found = parse(text, "C:\\")
        except BadDrive:
            found = None
        if isinstance(found, FsPath):
            return found
        return FsPath("C", ())

    # -- the command line --------------------------------------------------------------

    def run_line(self, line: str, state: CmdState, context: ExecutionContext) -> None:
        """``a & b && c || d`` left to right, as cmd.exe runs a command line."""
        expanded = PERCENT.sub(lambda m: lookup(state.env, m), line)
        if len(expanded) > COMMAND_LINE_LIMIT:
            state.err(TOO_LONG)
            state.exit_code = 1
            return
        pending = "&"
        for text, operator in split_operators(expanded):
            run = (
                pending == "&"
                or (pending == "&&" and state.exit_code == 0)
                or (pending == "||" and state.exit_code != 0)
            )
            if run and not state.exited:
                self._run_simple(text, state, context)
            if operator == "|":
                state.err("The simulator does not model a pipe (|) in cmd.exe.\r\n")
                state.exit_code = 1
                return
            pending = operator

    def _run_simple(self, text: str, state: CmdState, context: ExecutionContext) -> None:
        command, redirects = take_redirects(text)
        out, err = state.out, state.err
        targets = {"1": out, "2": err}
        for fd, target in redirects:
            if target.casefold() == "nul":
                targets[fd] = _discard
            else:
                targets[fd] = {"&1": out, "&2": err}[target]
        state.out, state.err = targets["1"], targets["2"]
        try:
            self._dispatch(command, state, context)
        except Refused as refused:
            state.err(f"The simulator does not model this in cmd.exe: {refused}\r\n")
            state.exit_code = 1
        finally:
            state.out, state.err = out, err

    def _dispatch(self, text: str, state: CmdState, context: ExecutionContext) -> None:
        stripped = text.strip()
        if not stripped:
            return
        if fold(stripped[:4]) == "echo" and stripped[4:5] in ("", " ", "\t", ".", ":", "("):
            _echo(text.lstrip()[4:], state)
            return
        match = re.match(r'^"[^"]*"|^[^\s"]+', stripped)
        word = match.group() if match else stripped
        rest = stripped[len(word) :]
        name = fold(word.strip('"')).removesuffix(".exe")
        handler = _BUILTINS.get(name)
        if handler is not None:
            handler(self, rest.strip(), state, context)
            return
        if name in cmd_commands():
            raise Refused(f"'{word}' (a Windows tool the lab does not simulate)")
        state.err(NOT_RECOGNIZED.format(name=word.strip('"')))
        state.exit_code = 1

    # -- programs ----------------------------------------------------------------------

    def _powershell(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        found = powershell_script(args, state.stdin)
        if found is None:
            raise Refused(f"powershell {args}")
        script, newline = found
        env = dict(state.env)
        # A new powershell.exe process: a runspace of its own, in the cmd's directory.
        process = replace(context, runspace={RUNSPACE_LOCATION: state.cwd.display})
        state.exit_code = self.powershell(script, process, env, state.out, state.err, newline)

    def _cmd(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        """``cmd /c LINE`` (and ``/k``): LINE as cmd's quote rule leaves it
        (:func:`~psrunbook.sim.lab.cmd_line.cmd_switch_command`), run in a child cmd."""
        found = cmd_switch_command(args)
        if found is None:
            raise Refused(f"cmd {args}".strip())
        inner = CmdState(
            env=dict(state.env), cwd=state.cwd, out=state.out, err=state.err, stdin=state.stdin
        )
        self.run_line(found[1].strip(), inner, context)
        state.exit_code = inner.exit_code

    def _hostname(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        if args:
            raise Refused(f"hostname {args}")
        state.out(f"{context.node}\r\n")
        state.exit_code = 0

    def _whoami(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        if args:
            raise Refused(f"whoami {args}")
        state.out(f"{connected_user(context.user, context.node).lower()}\r\n")
        state.exit_code = 0

    def _ipconfig(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        """``ipconfig`` and ``ipconfig /all`` (:mod:`.ipconfig`); any other argument is
        refused by name."""
        full = full_listing(args.split())
        if full is None:
            raise Refused(f"ipconfig {args}")
        with self.cluster.lock:
            shown = ipconfig_text(self.cluster, context.node, full=full)
        state.out(shown)
        state.exit_code = 0

    def _set(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        if "=" in args:
            name, value = args.split("=", 1)
            key = next((k for k in state.env if fold(k) == fold(name)), name)
            if value:
                state.env[key] = value
            else:
                state.env.pop(key, None)
            state.exit_code = 0
            return
        prefix = fold(args.strip())
        names = sorted((n for n in state.env if fold(n).startswith(prefix)), key=fold)
        if not names:
            state.err(f"Environment variable {args.strip()} not defined\r\n")
            state.exit_code = 1
            return
        for name in names:
            state.out(f"{name}={state.env[name]}\r\n")
        state.exit_code = 0

    def _exit(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        words = args.split()
        if words[:1] and words[0].casefold() == "/b":
            words = words[1:]
        code = words[0] if words else "0"
        state.exit_code = int(code) if re.fullmatch(r"-?\d+", code) else 0
        state.exited = True

    def _ver(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        state.out(f"\r\n{VERSION}\r\n")
        state.exit_code = 0

    def _cd(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        target = args.strip().removeprefix("/d").removeprefix("/D").strip().strip('"')
        if not target:
            state.out(f"{state.cwd.display}\r\n")
            state.exit_code = 0
            return
        path = self._resolve(target, state)
        with self.cluster.lock:
            entry = FsView(self.cluster, context.node).get(path) if path else None
        if path is None or entry is None or not entry.is_dir:
            state.err("The system cannot find the path specified.\r\n")
            state.exit_code = 1
            return
        state.cwd = path
        state.exit_code = 0

    def _type(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        target = args.strip().strip('"')
        path = self._resolve(target, state) if target else None
        with self.cluster.lock:
            entry = FsView(self.cluster, context.node).get(path) if path else None
        if path is None or entry is None or entry.is_dir:
            state.err("The system cannot find the file specified.\r\n")
            state.exit_code = 1
            return
        state.out(entry.data.decode("cp1252", errors="replace"))
        state.exit_code = 0

    def _dir(self, args: str, state: CmdState, context: ExecutionContext) -> None:
        words = [w for w in args.split() if not w.startswith("/")]
        if len(words) > 1 or any(w.startswith("/") for w in args.split()):
            raise Refused(f"dir {args}")
        path = self._resolve(words[0].strip('"'), state) if words else state.cwd
        if path is None:
            state.err("The system cannot find the path specified.\r\n")
            state.exit_code = 1
            return
        with self.cluster.lock:
            view = FsView(self.cluster, context.node)
            volume = view.volume_or_none(path)
            entry = view.get(path)
            listing = view.children(path) if entry is not None and entry.is_dir else []
            up = path.parent()
            parent = view.get(up) if up is not None else None
        if volume is None:
            state.err("The system cannot find the path specified.\r\n")
            state.exit_code = 1
            return
        state.out(
            f" Volume in drive {path.drive} has no label.\r\n"
            f" Volume Serial Number is {VOLUME_SERIAL}\r\n\r\n"
        )
        if entry is None:
            parent_path = path.parent() or path
            state.out(f" Directory of {parent_path.display}\r\n\r\n")
            state.err("File Not Found\r\n")
            state.exit_code = 1
            return
        if not entry.is_dir:
            shown = [(path, entry)]
            folder = path.parent() or path
        else:
            shown = []
            folder = path
            if path.parts:
                shown.append((path, _named(entry, ".")))
                shown.append((path.parent() or path, _named(parent or entry, "..")))
            shown.extend(sorted(listing, key=lambda item: fold(item[1].name)))
        state.out(f" Directory of {folder.display}\r\n\r\n")
        files = [e for _, e in shown if not e.is_dir]
        dirs = [e for _, e in shown if e.is_dir]
        for _, item in shown:
            stamp = _dir_date(item.stamp)
            if item.is_dir:
                state.out(f"{stamp}    <DIR>          {item.name}\r\n")
            else:
                state.out(f"{stamp}    {len(item.data):>14,} {item.name}\r\n")
        total = sum(len(e.data) for e in files)
        state.out(f"{len(files):>16} File(s) {total:>14,} bytes\r\n")
        state.out(f"{len(dirs):>16} Dir(s) {FREE_BYTES:>15,} bytes free\r\n")
        state.exit_code = 0

    def _resolve(self, text: str, state: CmdState) -> FsPath | None:
        """A path as cmd resolves it: absolute, drive-rooted or relative to the cwd."""
        if re.match(r"^[A-Za-z]:", text):
            candidate = text
        elif text.startswith("\\"):
            candidate = f"{state.cwd.drive}:{text}"
        else:
            candidate = f"{state.cwd.display.rstrip(chr(92))}\\{text}"
        try:
            found = parse(candidate, state.cwd.display)
        except BadDrive:
            return None
        return found if isinstance(found, FsPath) else None


_BUILTINS: dict[str, Callable[[CmdShell, str, CmdState, ExecutionContext], None]] = {
    "powershell": CmdShell._powershell,
    "cmd": CmdShell._cmd,
    "hostname": CmdShell._hostname,
    "whoami": CmdShell._whoami,
    "ipconfig": CmdShell._ipconfig,
    "set": CmdShell._set,
    "exit": CmdShell._exit,
    "ver": CmdShell._ver,
    "cd": CmdShell._cd,
    "chdir": CmdShell._cd,
    "type": CmdShell._type,
    "dir": CmdShell._dir,
}


def _echo(text: str, state: CmdState) -> None:
    """``echo TEXT`` prints TEXT as written (trailing spaces too); ``echo`` alone prints
    the echo state; ``echo.`` an empty line."""
    state.out(f"{echo_text(text)}\r\n")
    state.exit_code = 0


def _discard(text: str) -> None:
    return None


def _named(entry: FsEntry, name: str) -> FsEntry:
    return replace(entry, name=name)


def _dir_date(stamp: int) -> str:
    """A lab moment as ``dir`` shows it: ``MM/dd/yyyy  hh:mm tt`` (en-US)."""
    moment = datetime.datetime(2026, 1, 1) + datetime.timedelta(microseconds=stamp // 10)
    return moment.strftime("%m/%d/%Y  %I:%M %p")
