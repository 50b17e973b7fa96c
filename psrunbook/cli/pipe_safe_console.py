"""A rich console that goes quiet when its reader goes away, instead of ending the process.

``psrunbook run ... | head`` or a ``tee`` that dies closes the pipe under a run. rich's
answer to the broken pipe is ``SystemExit(1)`` from whatever thread was printing, and the
progress lines are printed from the node worker threads: a change half made would be
abandoned on a cluster (or, before the orchestrator carried every exception, the run
would wait for that node forever). What the operator sees is not worth a half-made
change: the console stops writing, the run goes on to its end, the journal and the log
file record it as usual, and the exit code is the run's.
"""

from __future__ import annotations

import os

from rich.console import Console


class PipeSafeConsole(Console):
    """A :class:`rich.console.Console` whose output may vanish without stopping the run."""

    def on_broken_pipe(self) -> None:
        """Stop writing, and point the stream's descriptor at ``/dev/null``.

        The descriptor is replaced (not just the console silenced) so that the
        interpreter's own flush of the stream at exit does not fail on it either.
        """
        self.quiet = True
        try:
            descriptor = self.file.fileno()
        except (AttributeError, OSError, ValueError):
            return  # not a real file (a test's StringIO): nothing to redirect
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, descriptor)
        finally:
            os.close(devnull)
