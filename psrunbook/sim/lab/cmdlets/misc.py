"""Utility commands whose real versions touch time: ``Start-Sleep``.

The virtual clock advances by the requested time and every pending transition that
is due completes; then the pipeline really waits (scaled by the lab's ``time_scale``),
without the cluster lock, so other pipelines run meanwhile and Stop ends the wait.
"""

from __future__ import annotations

from msgspec.structs import replace

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet, arg, param
from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletSpec
from psrunbook.sim.ps.validation import ValidateRange


class StartSleep(SimCmdlet):
    spec = CmdletSpec(
        "Start-Sleep",
        error_records.ps_type("StartSleepCommand"),
        # [ValidateRange(0, int.MaxValue / 1000)] and [ValidateRange(0, int.MaxValue)]
        # (StartSleepCommand.cs): a negative wait is a binding error, which a script's
        # 'Stop' makes terminating.
        (
            replace(
                param(
                    "Seconds", "int", mandatory=True, position=0, sets=("Seconds",), by_name=True
                ),
                validators=(ValidateRange(0, 2147483647 // 1000),),
            ),
            replace(
                param(
                    "Milliseconds",
                    "int",
                    mandatory=True,
                    sets=("Milliseconds",),
                    aliases=("ms",),
                    by_name=True,
                ),
                validators=(ValidateRange(0, 2147483647),),
            ),
        ),
    )

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        super().invoke(ctx, args)  # the clock moves under the lock, the wait is outside it
        ctx.sleep(_seconds(args))
        return None

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        self.cluster.clock.advance(_seconds(args))
        self.cluster.settle_due()
        return None


def _seconds(args: PSHashtable) -> float:
    return float(arg(args, "Seconds", 0) or 0) + float(arg(args, "Milliseconds", 0) or 0) / 1000


MISC_CMDLETS: tuple[type[SimCmdlet], ...] = (StartSleep,)
