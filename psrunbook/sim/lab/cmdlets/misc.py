"""Utility commands whose real versions touch time: ``Start-Sleep`` never sleeps.

The virtual clock advances by the requested time and every pending transition that
is due completes, so a polling loop sees the cluster move on without waiting.
"""

from __future__ import annotations

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet, arg, param
from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletSpec


class StartSleep(SimCmdlet):
    spec = CmdletSpec(
        "Start-Sleep",
        error_records.ps_type("StartSleepCommand"),
        (
            param("Seconds", "int", mandatory=True, position=0, sets=("Seconds",), by_name=True),
            param(
                "Milliseconds",
                "int",
                mandatory=True,
                sets=("Milliseconds",),
                aliases=("ms",),
                by_name=True,
            ),
        ),
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        seconds = float(arg(args, "Seconds", 0) or 0)
        seconds += float(arg(args, "Milliseconds", 0) or 0) / 1000
        self.cluster.clock.advance(seconds)
        self.cluster.settle_due()
        return None


MISC_CMDLETS: tuple[type[SimCmdlet], ...] = (StartSleep,)
