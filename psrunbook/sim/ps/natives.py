"""The native programs every Windows node has and that need nothing of the lab's model:
``hostname.exe`` and ``whoami.exe``.

They are found after the node's own commands (a PATH search comes after cmdlets, so a
lab's command table may still replace them) and run as native commands do: arguments as
strings, output as lines of text, the exit code in ``$LASTEXITCODE`` and ``$?``. A form
the lab does not model (``whoami /groups``, any other argument) is refused by name
instead of printing something Windows would not.
"""

from __future__ import annotations

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


NATIVES: dict[str, Cmdlet] = {"hostname": Hostname(), "whoami": Whoami()}
"""By name without ``.exe``; the evaluator also finds ``hostname.exe``."""
