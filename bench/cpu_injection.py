"""``psrunbook`` with a fixed amount of CPU added to every WSMan request on one side.

``python -m bench.cpu_injection SIDE MICROSECONDS ARGUMENTS...`` runs ``psrunbook
ARGUMENTS...`` (through the console script's own entry, collector tuning included) with
MICROSECONDS of thread CPU spent before each request: on the ``client`` side before
psrunbook sends a message (``DirectSender.send``), on the ``simulator`` side before the
lab answers one (``SimEndpoint._answer``). The CPU is spent in Python, holding the
interpreter lock, as real work on that side would. :mod:`bench.fanout_bound` uses it to
find which side a fan-out's wall time waits for; nothing else should.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

SIDES = ("client", "simulator")


def spend(seconds: float) -> None:
    """Use ``seconds`` of this thread's CPU, holding the interpreter lock throughout."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def _spending_first(method: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    def spending(*args: Any, **kwargs: Any) -> Any:
        spend(seconds)
        return method(*args, **kwargs)

    return spending


def inject(side: str, seconds: float) -> None:
    """Make every request on ``side`` cost ``seconds`` more CPU (see the module)."""
    if side == "client":
        from psrunbook.transport.direct_http import DirectSender

        DirectSender.send = _spending_first(DirectSender.send, seconds)  # type: ignore[method-assign]
    elif side == "simulator":
        from psrunbook.sim.endpoint.http_server import SimEndpoint

        SimEndpoint._answer = _spending_first(SimEndpoint._answer, seconds)  # type: ignore[method-assign]
    else:
        raise ValueError(f"side must be one of {', '.join(SIDES)}, not {side!r}")


def main(argv: list[str]) -> None:
    side, microseconds, *arguments = argv
    from psrunbook.cli.collector import collect_young_less_often

    collect_young_less_often()  # before the modules inject imports, as the entry does
    inject(side, float(microseconds) / 1e6)
    from psrunbook.cli.entry import console_script

    sys.argv = ["psrunbook", *arguments]
    console_script()


if __name__ == "__main__":
    main(sys.argv[1:])
