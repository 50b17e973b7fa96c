"""The native programs every Windows node has and that need nothing of the lab's model:
``hostname.exe``, ``whoami.exe`` and the few ``cmd.exe /c`` commands scripts use.

They are found after the node's own commands (a PATH search comes after cmdlets, so a
lab's command table may still replace them) and run as native commands do: arguments as
strings, output as lines of text, the exit code in ``$LASTEXITCODE`` and ``$?``. A form
the lab does not model (``whoami /groups``, any other argument) is refused by name
instead of printing something Windows would not.
"""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps.automatic import connected_user
from psrunbook.sim.ps.cmdlet_api import Cmdlet, CmdletContext, CmdletSpec


class NativeRefused(Exception):
    """A native program's arguments the lab does not model; the evaluator refuses them."""

    def __init__(self, construct: str) -> None:
        super().__init__(construct)
        self.construct = construct


class Hostname:
    """``hostname``: the computer's name, one line (UNVERIFIED: the case as the lab
    names the node; Windows prints the host name as it was set)."""

    spec = CmdletSpec("hostname", "hostname.exe", native=True)

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        if args["__args__"]:
            raise NativeRefused("hostname with arguments")
        ctx.write_output(ctx.node)
        return 0


class Whoami:
    """``whoami``: the session's account as ``domain\\user`` in lower case, as whoami.exe
    prints it (a local account's domain is the computer's name)."""

    spec = CmdletSpec("whoami", "whoami.exe", native=True)

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        argv: list[str] = args["__args__"]
        if argv:
            raise NativeRefused(f"whoami {' '.join(argv)}")
        ctx.write_output(connected_user(ctx.user, ctx.node).lower())
        return 0


@runtime_checkable
class NativeContext(Protocol):
    """What a native program inherits beyond :class:`CmdletContext`: the environment."""

    def environment(self) -> dict[str, str]: ...


_PERCENT = re.compile(r"%([^%\s]+)%")
_CMD_OPERATORS = set("&|<>^()")


class Cmd:
    """``cmd.exe /c echo TEXT``, ``cmd.exe /c set`` and ``cmd.exe /c exit N``, printed
    as cmd.exe prints them (UNVERIFIED against a recording; cmd's own documentation):

    * ``echo TEXT`` prints TEXT with ``%NAME%`` replaced by the environment variable
      (case-insensitive; an undefined one stays as written, as on a command line);
      ``echo`` alone prints ``ECHO is on.``
    * ``set`` prints every environment variable as ``NAME=value``, sorted by name
      ignoring case; ``set PREFIX`` those whose name starts with it.
    * ``exit N`` (also ``exit /b N``) prints nothing and exits N.

    The process inherits the runspace's environment (``$env:X = ...`` shows), and
    exits 0 otherwise. Anything else (other commands, cmd's operators ``& | < > ^``,
    ``set`` of a name nothing matches, which writes to stderr) is refused by name.
    """

    spec = CmdletSpec("cmd", "cmd.exe", native=True)

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        argv: list[str] = args["__args__"]
        line = " ".join(argv)
        if len(argv) < 2 or argv[0].casefold() != "/c" or _CMD_OPERATORS & set(line):
            raise NativeRefused(f"cmd {line}".rstrip())
        environment = ctx.environment() if isinstance(ctx, NativeContext) else {}
        verb, rest = argv[1].casefold(), argv[2:]
        if verb == "echo":
            ctx.write_output(_expand(" ".join(rest), environment) if rest else "ECHO is on.")
            return 0
        if verb == "set" and len(rest) <= 1:
            prefix = rest[0].casefold() if rest else ""
            names = sorted((n for n in environment if n.casefold().startswith(prefix)),
                           key=str.casefold)  # fmt: skip
            if not names:
                raise NativeRefused(f"cmd {line} (no variable matches)")
            for name in names:
                ctx.write_output(f"{name}={environment[name]}")
            return 0
        if verb == "exit":
            code = rest[1:] if rest[:1] and rest[0].casefold() == "/b" else rest
            if len(code) == 1 and code[0].lstrip("-").isdigit():
                return int(code[0])
        raise NativeRefused(f"cmd {line}")


def _expand(text: str, environment: dict[str, str]) -> str:
    folded = {k.casefold(): v for k, v in environment.items()}
    return _PERCENT.sub(lambda m: folded.get(m.group(1).casefold(), m.group()), text)


NATIVES: dict[str, Cmdlet] = {"hostname": Hostname(), "whoami": Whoami(), "cmd": Cmd()}
"""By name without ``.exe``; the evaluator also finds ``hostname.exe``."""
