"""What the operator sees while a run goes on: every step and node, as it happens.

A step on a real cluster can take minutes (a bring-online poll waits up to its timeout, a
node that does not answer up to the connect deadline). A display that prints a line only
when a step *finishes* leaves the operator looking at a silent screen, unable to tell a
slow node from a hung tool. So:

* on a terminal, a live region under the scrolling lines names every step and node
  running now with its elapsed time ("waiting on NODE1 12s"), redrawn by rich a few
  times a second; each attempt's end scrolls above it as one line;
* anywhere else (a pipe, ``| tee change.log``, a CI log), one plain line per event, a
  start and an end, with no cursor movement and no control codes (colour only when
  ``FORCE_COLOR`` asks for it; ``NO_COLOR`` always wins, as rich implements both).
  Without colour the line is written to the console's file as it is: rich would only
  measure and segment it to print the same characters (0.2 ms a line, six lines a node:
  issue 16's fan-out spends its client CPU per node).

Every value goes through :mod:`psrunbook.cli.display`: node names and messages come
back from the cluster. The callbacks come from the node worker threads, so the running
set is guarded by a lock; rich's console serialises the writes.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Final

from psrunbook.cli.display import shown

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from psrunbook.execution.outcome import TargetOutcome
    from psrunbook.runbook.planner import PlannedStep

# The colour of each outcome, as Ansible users scan for it; rich drops it under NO_COLOR.
_STYLES: Final = {
    "changed": "yellow",
    "would change": "yellow",
    "unchanged": "green",
    "failed": "bold red",
    "skipped": "magenta",
}
_REFRESH_PER_SECOND: Final = 4


def status_label(outcome: TargetOutcome, *, check_only: bool) -> str:
    """The outcome as the operator reads it: a check never says it *changed* anything."""
    from psrunbook.execution.outcome import Status

    if check_only and outcome.status is Status.CHANGED:
        return "would change"
    return outcome.status.value


def elapsed(seconds: float) -> str:
    """``12s``, ``3m05s``: short enough to sit beside a node name."""
    whole = int(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m{whole % 60:02d}s"


class RunProgressDisplay:
    """The orchestrator's progress callback, and the live region it keeps up to date.

    Use it as a context manager around the run: on a terminal it starts and stops the
    live region (leaving nothing of it on screen), elsewhere it does nothing extra.
    """

    def __init__(self, console: Console, *, check_only: bool, steps: int) -> None:
        self._console = console
        self._check_only = check_only
        self._steps = steps
        self._lock = threading.Lock()
        # (step slug, node) -> (step index, monotonic start), in the order they started.
        self._running: dict[tuple[str, str], tuple[int, float]] = {}
        self._live: Live | None = None
        # Plain text straight to the file: no terminal, and no colour to write either.
        self._plain = not self.interactive and (console.no_color or console.color_system is None)

    @property
    def interactive(self) -> bool:
        """A live region only on a real terminal: FORCE_COLOR colours a pipe, never animates it."""
        isatty = getattr(self._console.file, "isatty", None)
        return bool(isatty and isatty()) and not self._console.is_dumb_terminal

    def __enter__(self) -> RunProgressDisplay:
        if self.interactive:
            from rich.live import Live

            self._live = Live(
                self,
                console=self._console,
                refresh_per_second=_REFRESH_PER_SECOND,
                transient=True,
                redirect_stdout=True,
                redirect_stderr=True,
            )
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    # ------------------------------------------------------------------ events

    def __call__(
        self, event: str, planned: PlannedStep, node: str, outcome: TargetOutcome | None
    ) -> None:
        key = (planned.slug, node)
        if event == "started":
            with self._lock:
                self._running[key] = (planned.index, time.monotonic())
            if self._live is None:
                self._line(planned.slug, node, "started", "")
            return
        with self._lock:
            self._running.pop(key, None)
        if outcome is None:
            return
        if event == "skipped":
            self._line(planned.slug, node, "skipped", f": {outcome.message}")
        elif event == "finished":
            label = status_label(outcome, check_only=self._check_only)
            self._line(planned.slug, node, label, f" {outcome.duration_ns / 1e9:6.2f}s")

    def _line(self, slug: str, node: str, label: str, rest: str) -> None:
        width = 12 if rest.startswith(" ") else 0
        head, status, tail = (
            shown(f"  {slug:<28} {node:<16} "),
            shown(f"{label:<{width}}"),
            shown(rest),
        )
        if self._plain:
            # The same characters rich prints for this line without colour: no markup,
            # emoji or wrapping applies to a Text with soft_wrap. The lock keeps lines
            # from the node threads whole; a reader gone away is the console's to handle,
            # as when rich writes (psrunbook.cli.pipe_safe_console).
            with self._lock:
                if self._console.quiet:
                    return
                try:
                    self._console.file.write(f"{head}{status}{tail}\n")
                    self._console.file.flush()
                except BrokenPipeError:
                    self._console.on_broken_pipe()
            return
        from rich.text import Text

        text = Text(head)
        text.append(status, style=_STYLES.get(label, ""))
        text.append(tail)
        self._console.print(text, soft_wrap=True)

    # ------------------------------------------------------------------ live region

    def __rich__(self) -> RenderableType:
        """The attempts running now, grouped by step, each node with its elapsed time."""
        from rich.text import Text

        now = time.monotonic()
        with self._lock:
            running = list(self._running.items())
        if not running:
            return Text("")
        by_step: dict[str, tuple[int, list[str]]] = {}
        for (slug, node), (index, started) in running:
            entry = by_step.setdefault(slug, (index, []))
            entry[1].append(f"{node} {elapsed(now - started)}")
        lines = Text()
        for slug, (index, waits) in by_step.items():
            if lines:
                lines.append("\n")
            lines.append(shown(f"  step {index}/{self._steps} {slug}: "), style="bold")
            lines.append(shown("waiting on " + ", ".join(waits)))
        return lines
