"""``runs report``: a journaled run as a change record for a change board.

One document per run, in Markdown (for a ticket or a wiki) or HTML (to attach or mail):
the runbook and its version, who ran it (the operator's account and the remote account),
when, against which cluster, the approved bundle's hash, the parameters (secrets are
journaled masked), and every attempt with its node, mode, result, whether it changed
anything, its duration and its errors in full, the timeline of those attempts per node
(:mod:`psrunbook.cli.run_timeline`: an inline SVG in HTML, a table in Markdown), then the
before and after of every change.

Every value comes from the journal, and much of it from nodes (names, messages), so each
is escaped for its format by :mod:`psrunbook.review_text`, the one place that writes
values into review text: a node name cannot add a heading, a link or a script element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import msgspec

from psrunbook.cli import run_timeline
from psrunbook.cli.plan_view import spelled
from psrunbook.review_text import html_text, md_code, md_text

if TYPE_CHECKING:
    from psrunbook.journal import AttemptRecord, RunRecord

ReportFormat = Literal["md", "html"]


class _Row(msgspec.Struct, frozen=True):
    """One attempt as the report shows it: plain text cells, escaped when written."""

    step: str
    node: str
    mode: str
    result: str
    changed: str
    seconds: str
    started: str
    errors: tuple[str, ...]


def _rows(attempts: Sequence[AttemptRecord]) -> list[_Row]:
    rows = []
    for attempt in attempts:
        rows.append(
            _Row(
                step=f"{attempt.step_index:02d}-{attempt.step_name}",
                node=attempt.node,
                mode="check" if attempt.check_only else "apply",
                result=attempt.status,
                changed="" if attempt.changed is None else ("yes" if attempt.changed else "no"),
                seconds="" if attempt.duration_ns is None else f"{attempt.duration_ns / 1e9:.2f}",
                started=attempt.started_at.isoformat(timespec="seconds"),
                errors=tuple(_error_text(error) for error in attempt.errors),
            )
        )
    return rows


def _error_text(error: dict[str, object]) -> str:
    parts = [str(error.get("message", ""))]
    for name in ("exception_type", "fully_qualified_error_id", "category", "target"):
        if error.get(name) not in (None, ""):
            parts.append(f"{name}: {error[name]}")
    return "; ".join(parts)


def _facts(record: RunRecord) -> list[tuple[str, str]]:
    finished = record.finished_at
    duration = (
        f"{(finished - record.started_at).total_seconds():.1f} s" if finished is not None else ""
    )
    facts = [
        ("runbook", f"{record.runbook} (version {record.runbook_version})"),
        ("mode", record.mode),
        ("outcome", record.outcome or "unfinished"),
        ("cluster", record.cluster or "(not journaled)"),
        ("operator", record.os_user or "(not journaled)"),
        ("remote account", record.user or "(not journaled)"),
        ("started", record.started_at.isoformat(timespec="seconds")),
        ("finished", finished.isoformat(timespec="seconds") if finished else "not finished"),
        ("duration", duration),
        ("resumes", str(record.resumes)),
    ]
    if record.bundle_sha256:
        facts.append(("approved bundle manifest sha256", record.bundle_sha256))
    facts.extend((f"insecure on {node}", setting) for node, setting in record.insecure.items())
    return facts


def _changes(attempts: Sequence[AttemptRecord]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(step on node, [(Before|After|Actions, TOML text)]) of every attempt that reported one."""
    found: list[tuple[str, list[tuple[str, str]]]] = []
    for attempt in attempts:
        reported = attempt.result or {}
        keys: list[tuple[str, str]] = [
            (k, spelled(reported[k])) for k in ("Before", "After", "Actions") if k in reported
        ]
        if attempt.changed and keys:
            mode = "check" if attempt.check_only else "apply"
            title = f"{attempt.step_index:02d}-{attempt.step_name} on {attempt.node} ({mode})"
            found.append((title, keys))
    return found


_COLUMNS = ("step", "node", "mode", "result", "changed", "seconds", "started", "errors")


def _cells(row: _Row) -> list[str]:
    return [row.step, row.node, row.mode, row.result, row.changed, row.seconds, row.started]


def markdown(record: RunRecord, attempts: Sequence[AttemptRecord]) -> str:
    """The change record as CommonMark/GitHub Markdown, every value escaped."""
    out = [f"# Change record: run {md_text(record.run_id)}", ""]
    out += [f"- **{md_text(name)}**: {md_text(value)}" for name, value in _facts(record)]
    out += ["", "## Parameters", ""]
    out += [
        f"- {md_code(key)} = {md_code(spelled(value))}"
        for key, value in sorted(record.parameters.items())
    ] or ["(none)"]
    out += ["", "## Steps", "", "| " + " | ".join(_COLUMNS) + " |", "|" + " --- |" * 8]
    for row in _rows(attempts):
        cells = [md_code(c, table=True) if c else "" for c in _cells(row)]
        cells.append("<br>".join(md_text(e).replace("|", "\\|") for e in row.errors))
        out.append("| " + " | ".join(cells) + " |")
    if attempts:
        out += ["", "## Timeline", "", *run_timeline.markdown_table(attempts)]
    changes = _changes(attempts)
    if changes:
        out += ["", "## Changes"]
    for title, keys in changes:
        out += ["", f"### {md_text(title)}", ""]
        out += [f"- {md_text(key.lower())}: {md_code(text)}" for key, text in keys]
    return "\n".join(out) + "\n"


def html(record: RunRecord, attempts: Sequence[AttemptRecord]) -> str:
    """The change record as one self-contained HTML page, every value escaped."""
    e = html_text
    title = e(f"Change record: run {record.run_id}")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title>",
        "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;"
        "text-align:left;vertical-align:top}.failed{color:#b00}</style>",
        f"</head><body><h1>{title}</h1>",
        "<table>",
    ]
    out += [f"<tr><th>{e(name)}</th><td>{e(value)}</td></tr>" for name, value in _facts(record)]
    out += ["</table>", "<h2>Parameters</h2>", "<table>"]
    for key, value in sorted(record.parameters.items()):
        out.append(f"<tr><th>{e(key)}</th><td><code>{e(spelled(value))}</code></td></tr>")
    out += ["</table>", "<h2>Steps</h2>", "<table>"]
    out.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in _COLUMNS) + "</tr>")
    for row in _rows(attempts):
        css = ' class="failed"' if row.result == "failed" else ""
        cells = "".join(f"<td>{e(c)}</td>" for c in _cells(row))
        errors = "<br>".join(e(error) for error in row.errors)
        out.append(f"<tr{css}>{cells}<td>{errors}</td></tr>")
    out.append("</table>")
    if attempts:
        out += ["<h2>Timeline</h2>", run_timeline.svg(attempts)]
    changes = _changes(attempts)
    if changes:
        out.append("<h2>Changes</h2>")
    for change_title, keys in changes:
        out += [f"<h3>{e(change_title)}</h3>", "<dl>"]
        out += [f"<dt>{e(key.lower())}</dt><dd><code>{e(text)}</code></dd>" for key, text in keys]
        out.append("</dl>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


RENDERERS: dict[ReportFormat, Callable[[RunRecord, Sequence[AttemptRecord]], str]] = {
    "md": markdown,
    "html": html,
}
