"""The native programs every Windows node has and that need nothing of the lab's model:
``hostname.exe``, ``whoami.exe`` and the few ``cmd.exe /c`` commands scripts use.

They are found after the node's own commands (a PATH search comes after cmdlets, so a
lab's command table may still replace them) and run as native commands do: arguments as
strings, output as lines of text, the exit code in ``$LASTEXITCODE`` and ``$?``. A form
the lab does not model (``whoami /groups``, any other argument) is refused by name
instead of printing something Windows would not.
"""

from __future__ import annotations

from typing import Protocol, cast, runtime_checkable

from psrunbook.sim.executor_protocol import type_implements
from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps.automatic import connected_user
from psrunbook.sim.ps.cmdlet_api import Cmdlet, CmdletContext, CmdletSpec, CommandRefused


class Hostname:
    """``hostname``: the computer's name, one line (UNVERIFIED: the case as the lab
    names the node; Windows prints the host name as it was set)."""

    spec = CmdletSpec("hostname", "hostname.exe", native=True)

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        if args["__args__"]:
            raise CommandRefused("hostname with arguments")
        ctx.write_output(ctx.node)
        return 0


class Whoami:
    """``whoami``: the session's account as ``domain\\user`` in lower case, as whoami.exe
    prints it (a local account's domain is the computer's name)."""

    spec = CmdletSpec("whoami", "whoami.exe", native=True)

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        argv: list[str] = args["__args__"]
        if argv:
            raise CommandRefused(f"whoami {' '.join(argv)}")
        ctx.write_output(connected_user(ctx.user, ctx.node).lower())
        return 0


@runtime_checkable
class NativeContext(Protocol):
    """What a native program inherits beyond :class:`CmdletContext`: the environment."""

    def environment(self) -> dict[str, str]: ...


def environment_of(ctx: object) -> dict[str, str]:
    """The environment ``ctx`` gives a program ({} for a context without one), the
    context's type asked once: typing's ``isinstance`` of a protocol looks up its members
    on every call, and every file cmdlet asks for the user's profile (issue 16)."""
    if type_implements(type(ctx), NativeContext):
        return cast(NativeContext, ctx).environment()
    return {}


_CMD_OPERATORS = set("&|<>^()")


def legacy_command_line(argv: list[str]) -> str | None:
    """The command line Windows PowerShell 5.1 gives a native program for ``argv``: the
    arguments joined by spaces, one that holds whitespace outside quotes wrapped in
    double quotes, embedded quotes passed as they are (PowerShell's
    ``NativeCommandParameterBinder.NeedQuotes``, the ``Legacy`` argument passing of
    about_Parsing that PowerShell 7.3 keeps for 5.1's behaviour).

    None (refused) for what 5.1 is known to mangle and the lab does not model: an empty
    argument, and a trailing backslash inside the quotes it adds (UNVERIFIED whether 5.1
    doubles it)."""
    parts: list[str] = []
    for arg in argv:
        if not arg:
            return None
        if not _needs_quotes(arg):
            parts.append(arg)
        elif arg.endswith("\\"):
            return None
        else:
            parts.append(f'"{arg}"')
    return " ".join(parts)


def _needs_quotes(arg: str) -> bool:
    """Whitespace outside a pair of (unescaped) double quotes, as NeedQuotes counts."""
    quotes = 0
    after_backslash = False
    for char in arg:
        if char == '"' and not after_backslash:
            quotes += 1
        elif char.isspace() and quotes % 2 == 0:
            return True
        after_backslash = char == "\\"
    return False


class Cmd:
    """``cmd.exe /c echo TEXT``, ``cmd.exe /c set`` and ``cmd.exe /c exit N``, printed
    as cmd.exe prints them (UNVERIFIED against a recording except ``echo``; cmd's own
    documentation):

    * cmd.exe gets the command line PowerShell 5.1 builds from the arguments
      (:func:`legacy_command_line`) and runs what ``/c`` leaves of it by ``cmd /?``'s
      quote rule (:func:`~psrunbook.sim.lab.cmd_line.cmd_switch_command`): the one
      argument ``/c echo hi`` reaches cmd as ``"/c echo hi"`` and prints ``hi"``, as
      pypsrp 0.9.1's ``test_psrp_multiple_commands.yml`` recorded on Windows.
    * ``echo TEXT`` prints TEXT as written, with ``%NAME%`` replaced by the environment
      variable (case-insensitive; an undefined one stays as written, as on a command
      line); ``echo`` alone prints ``ECHO is on.``
    * ``set`` prints every environment variable as ``NAME=value``, sorted by name
      ignoring case; ``set PREFIX`` those whose name starts with it.
    * ``exit N`` (also ``exit /b N``) prints nothing and exits N.

    The process inherits the runspace's environment (``$env:X = ...`` shows), and
    exits 0 otherwise. Anything else (other commands, ``/k`` and other switches, cmd's
    operators ``& | < > ^ ( )``, ``set`` of a name nothing matches, which writes to
    stderr) is refused by name.
    """

    spec = CmdletSpec("cmd", "cmd.exe", native=True)

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        # cmd.exe's parsing is loaded when a script first runs cmd (kept out of start-up,
        # see tests/unit/sim/lab/test_embedded_start.py).
        from psrunbook.sim.lab.cmd_line import (  # noqa: PLC0415
            PERCENT,
            cmd_switch_command,
            echo_text,
            lookup,
        )

        argv: list[str] = args["__args__"]
        shown = f"cmd {' '.join(argv)}".rstrip()
        line = legacy_command_line(argv)
        found = cmd_switch_command(line) if line is not None else None
        if found is None or found[0] != "c" or _CMD_OPERATORS & set(found[1]):
            raise CommandRefused(shown)
        environment = environment_of(ctx)
        command = PERCENT.sub(lambda m: lookup(environment, m), found[1]).strip()
        verb = command.split(maxsplit=1)[0].casefold() if command else ""
        if verb == "echo" or (verb.startswith("echo") and verb[4:5] in (".", ":")):
            ctx.write_output(echo_text(command[4:]))
            return 0
        rest = command.split()[1:]
        if verb == "set" and len(rest) <= 1 and not any(c in command for c in '"='):
            return _set(ctx, environment, rest, shown)
        if verb == "exit":
            code = rest[1:] if rest[:1] and rest[0].casefold() == "/b" else rest
            if len(code) == 1 and code[0].lstrip("-").isdigit():
                return int(code[0])
        raise CommandRefused(shown)


def _set(ctx: CmdletContext, environment: dict[str, str], rest: list[str], shown: str) -> int:
    """``set [PREFIX]``: the variables whose name starts with PREFIX, sorted ignoring case."""
    prefix = rest[0].casefold() if rest else ""
    names = sorted((n for n in environment if n.casefold().startswith(prefix)), key=str.casefold)
    if not names:
        raise CommandRefused(f"{shown} (no variable matches)")
    for name in names:
        ctx.write_output(f"{name}={environment[name]}")
    return 0


NATIVES: dict[str, Cmdlet] = {"hostname": Hostname(), "whoami": Whoami(), "cmd": Cmd()}
"""By name without ``.exe``; the evaluator also finds ``hostname.exe``."""
