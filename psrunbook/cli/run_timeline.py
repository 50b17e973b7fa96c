"""The timeline of a run report: steps x nodes over time, as an inline SVG or a text table.

A change board asks "what ran where, when, and for how long": one row per node, one bar
per attempt from its start to its end, coloured by its result. The HTML report embeds the
picture as SVG (no script, no external asset, every value escaped by
:func:`psrunbook.review_text.html_text`, so the page stays one self-contained file and
the SVG is well-formed XML); Markdown, which has no pictures of its own, gets a table of
the same attempts with a bar drawn in characters on a fixed scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

import msgspec

from psrunbook.review_text import html_text, md_code

if TYPE_CHECKING:
    from psrunbook.journal_model import AttemptRecord

_LABEL_WIDTH: Final = 160
_CHART_WIDTH: Final = 640
_ROW_HEIGHT: Final = 26
_BAR_HEIGHT: Final = 16
_AXIS_HEIGHT: Final = 24
_MIN_BAR: Final = 2.0
"""A bar is never thinner than this (in pixels), so an attempt of a few milliseconds in a
run of an hour still shows."""
_TEXT_CELLS: Final = 40
COLOURS: Final = {"succeeded": "#2e7d32", "failed": "#c62828", "running": "#f9a825"}
"""Fill per attempt result; ``running`` is an attempt the journal never saw finish."""
_OTHER_COLOUR: Final = "#757575"


class Bar(msgspec.Struct, frozen=True):
    """One attempt placed on the time axis, in seconds from the run's first start."""

    node: str
    step: str
    mode: str
    result: str
    start_s: float
    end_s: float


def bars(attempts: Sequence[AttemptRecord]) -> tuple[list[Bar], float]:
    """Every attempt as a bar, and the length of the axis in seconds (never zero)."""
    if not attempts:
        return [], 1.0
    origin = min(a.started_at for a in attempts)
    ends = [_end(a) for a in attempts]
    latest = max([*(e for e in ends if e is not None), *(a.started_at for a in attempts)])
    placed = [
        Bar(
            node=a.node,
            step=f"{a.step_index:02d}-{a.step_name}",
            mode="check" if a.check_only else "apply",
            result=a.status,
            start_s=_seconds(a.started_at - origin),
            end_s=_seconds((end or latest) - origin),
        )
        for a, end in zip(attempts, ends, strict=True)
    ]
    return placed, max(_seconds(latest - origin), 1e-3)


def _end(attempt: AttemptRecord) -> datetime | None:
    if attempt.finished_at is not None:
        return attempt.finished_at
    if attempt.duration_ns is not None:
        return attempt.started_at + timedelta(microseconds=attempt.duration_ns / 1000)
    return None  # still running when the journal last heard of it: to the end of the axis


def _seconds(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.0)


def _nodes(placed: Sequence[Bar]) -> list[str]:
    """Rows in the order the nodes first started work, ties by name."""
    first: dict[str, float] = {}
    for bar in placed:
        first[bar.node] = min(first.get(bar.node, bar.start_s), bar.start_s)
    return sorted(first, key=lambda node: (first[node], node))


def svg(attempts: Sequence[AttemptRecord]) -> str:
    """The timeline as one ``<svg>`` element (XML), for the HTML report."""
    e = html_text
    placed, span = bars(attempts)
    rows = _nodes(placed)
    height = _AXIS_HEIGHT + _ROW_HEIGHT * max(len(rows), 1)
    width = _LABEL_WIDTH + _CHART_WIDTH + 10
    scale = _CHART_WIDTH / span
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="attempts per node over time" font-family="sans-serif" font-size="12">',
    ]
    for tick in range(5):
        x = _LABEL_WIDTH + _CHART_WIDTH * tick / 4
        out.append(
            f'<line class="tick" x1="{x:.1f}" y1="{_AXIS_HEIGHT - 4}" x2="{x:.1f}" '
            f'y2="{height}" stroke="#ddd"/>'
            f'<text class="tick" x="{x:.1f}" y="{_AXIS_HEIGHT - 8}" text-anchor="middle">'
            f"{span * tick / 4:.1f} s</text>"
        )
    for row, node in enumerate(rows):
        top = _AXIS_HEIGHT + row * _ROW_HEIGHT
        out.append(
            f'<text class="node" x="4" y="{top + _ROW_HEIGHT / 2 + 4:.1f}" '
            f'data-row="{row}">{e(node)}</text>'
        )
    for bar in placed:
        y = _AXIS_HEIGHT + rows.index(bar.node) * _ROW_HEIGHT + (_ROW_HEIGHT - _BAR_HEIGHT) / 2
        x = _LABEL_WIDTH + bar.start_s * scale
        w = max((bar.end_s - bar.start_s) * scale, _MIN_BAR)
        colour = COLOURS.get(bar.result, _OTHER_COLOUR)
        title = (
            f"{bar.step} on {bar.node} ({bar.mode}): {bar.result}, "
            f"{bar.start_s:.2f} s to {bar.end_s:.2f} s"
        )
        out.append(
            f'<rect class="attempt {e(bar.result)}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{w:.1f}" height="{_BAR_HEIGHT}" fill="{colour}" '
            f'data-node="{e(bar.node)}" data-step="{e(bar.step)}" data-mode="{bar.mode}" '
            f'data-result="{e(bar.result)}"><title>{e(title)}</title></rect>'
        )
    out.append("</svg>")
    return "\n".join(out)


def markdown_table(attempts: Sequence[AttemptRecord]) -> list[str]:
    """The timeline as Markdown table lines: node, step, from, to, result and a text bar."""
    placed, span = bars(attempts)
    order = {node: i for i, node in enumerate(_nodes(placed))}
    lines = [
        f"Each bar is {_TEXT_CELLS} cells for {span:.2f} s from the first start.",
        "",
        "| node | step | from (s) | to (s) | result | time |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for bar in sorted(placed, key=lambda b: (order[b.node], b.start_s, b.step)):
        first = min(int(bar.start_s / span * _TEXT_CELLS), _TEXT_CELLS - 1)
        last = max(min(int(bar.end_s / span * _TEXT_CELLS), _TEXT_CELLS - 1), first)
        drawn = "." * first + "#" * (last - first + 1) + "." * (_TEXT_CELLS - 1 - last)
        cells = [
            md_code(bar.node, table=True),
            md_code(bar.step, table=True),
            f"{bar.start_s:.2f}",
            f"{bar.end_s:.2f}",
            md_code(bar.result, table=True),
            md_code(drawn, table=True),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
