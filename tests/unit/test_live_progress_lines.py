"""The progress lines written without rich on a pipe are the lines rich would print.

Through a pipe without colour, :class:`RunProgressDisplay` writes each line to the console's
file itself (issue 16: rich's measuring and segmenting cost 0.2 ms a line, six lines a
node). These tests hold the two paths to the same characters, hostile node names
included, and keep rich for the cases it is needed for (colour on a pipe).
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from psrunbook.cli.live_progress import RunProgressDisplay
from psrunbook.execution.outcome import Status, TargetOutcome
from psrunbook.results.step_error import StepError

NODES = ["NODE1", "N\x1b[2JODE2", "tab\there", "cr\rnode", "wide-ÄÖÜ-ノード", "x" * 40]


def _events(progress: RunProgressDisplay) -> None:
    """Every kind of line, on every node: started, finished (each label), skipped."""
    planned: Any = SimpleNamespace(slug="03-service-running", index=3)
    for node in NODES:
        progress("started", planned, node, None)
        progress(
            "finished",
            planned,
            node,
            TargetOutcome(node=node, status=Status.CHANGED, duration_ns=1_234_000_000),
        )
        progress("finished", planned, node, TargetOutcome(node=node, status=Status.UNCHANGED))
        progress(
            "skipped",
            planned,
            node,
            TargetOutcome(
                node=node,
                status=Status.SKIPPED,
                errors=(StepError(message="no answer\x07 in 30s"),),
            ),
        )


def _console(**options: Any) -> tuple[Console, io.StringIO]:
    sink = io.StringIO()
    return Console(file=sink, highlight=False, soft_wrap=True, width=80, **options), sink


@pytest.mark.parametrize("check_only", [False, True])
def test_a_pipe_without_colour_gets_the_characters_rich_would_print(check_only: bool) -> None:
    plain_console, plain = _console(color_system=None)
    progress = RunProgressDisplay(plain_console, check_only=check_only, steps=3)
    plain_console.print = _refuse  # type: ignore[method-assign]
    with progress:
        _events(progress)

    rich_console, printed = _console(color_system=None)
    through_rich = RunProgressDisplay(rich_console, check_only=check_only, steps=3)
    through_rich._plain = False  # the path a coloured console takes
    with through_rich:
        _events(through_rich)

    assert printed.getvalue() == plain.getvalue()
    assert "\x1b" not in plain.getvalue() and "\r" not in plain.getvalue()
    assert "N\\x1b[2JODE2" in plain.getvalue()
    assert len(plain.getvalue().splitlines()) == 4 * len(NODES)


def test_no_color_writes_plain_lines_even_when_colour_is_forced() -> None:
    console, sink = _console(color_system="standard", force_terminal=False, no_color=True)
    console.print = _refuse  # type: ignore[method-assign]
    progress = RunProgressDisplay(console, check_only=False, steps=3)
    with progress:
        _events(progress)
    assert "\x1b" not in sink.getvalue()


def test_colour_on_a_pipe_still_goes_through_rich() -> None:
    console, sink = _console(color_system="standard", force_terminal=False)
    progress = RunProgressDisplay(console, check_only=False, steps=3)
    with progress:
        _events(progress)
    assert "\x1b[33m" in sink.getvalue()  # "changed" in yellow


def test_a_quiet_console_gets_no_line() -> None:
    console, sink = _console(color_system=None)
    progress = RunProgressDisplay(console, check_only=False, steps=3)
    console.quiet = True
    with progress:
        _events(progress)
    assert "" == sink.getvalue()


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the plain path must not go through rich")
