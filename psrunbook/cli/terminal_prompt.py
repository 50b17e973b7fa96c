"""Yes/no questions asked on the operator's terminal, never on stdout or into a log.

``psrunbook run ... | tee change.log`` sends stdout to a file, and ``2>run.err`` sends
stderr to another: a question written to either would wait unseen, and the run would
look hung. Like ``getpass`` (and ``sudo``, ``ssh``), the question is asked on the
controlling terminal, ``/dev/tty``, and read from it; only a process without one falls
back to stderr and stdin. Whether a question may be asked at all (stdin a terminal, no
``--yes``) is the caller's decision.
"""

from __future__ import annotations

import io
import os
from typing import Final

import typer

from psrunbook.cli.exit_codes import EXIT_INTERRUPTED

_YES: Final = frozenset({"y", "yes"})
_NO: Final = frozenset({"", "n", "no"})


def ask_yes_no(question: str) -> bool:
    """``question [y/N]`` on the terminal; True only for y/yes, False for n/no/Enter/EOF.

    Anything else asks again. Ctrl-C while asking exits 130, as an interrupted run does.
    """
    try:
        # As getpass opens it: one descriptor for both ways (a tty cannot seek, so no
        # buffered "r+" file), and never made the controlling terminal by this open.
        descriptor = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return typer.confirm(question, default=False, err=True)
    tty = io.TextIOWrapper(io.FileIO(descriptor, "w+"), encoding="utf-8", errors="replace")
    try:
        with tty:
            while True:
                tty.write(f"{question} [y/N]: ")
                tty.flush()
                line = tty.readline()
                if not line:  # end of input: no answer is no
                    tty.write("\n")
                    return False
                answer = line.strip().lower()
                if answer in _YES or answer in _NO:
                    return answer in _YES
                tty.write("Please answer y or n.\n")
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None
