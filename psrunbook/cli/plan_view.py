"""A plan as an operator reads it before a change: real values, diffs and side effects.

For every step and node that would change, the keys whose value would differ are
listed as ``~ Key: now → planned`` (``+`` for a key that appears, ``-`` for one that
goes), values spelled as TOML (``'S:\\SSIS'`` as typed, never JSON's ``"S:\\\\SSIS"``);
a file the step would write (``FileChanges`` in its result: path, text now, text
planned) is shown as a unified diff; services a step would restart or stop
(``Restarts``, ``Stops``) are named per step and collected at the end, because that is
what interrupts work (restarting SSIS stops the packages running on it).

Every registered secret is masked (:func:`psrunbook.secrets.redact_text`) and every
value passes through :func:`psrunbook.cli.display.shown`: results come from nodes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from psrunbook.cli.display import shown

if TYPE_CHECKING:
    from rich.console import Console

    from psrunbook.execution.outcome import RunReport

_MISSING = object()
_EFFECTS = (("Restarts", "restarts"), ("Stops", "stops"))


def spelled(value: Any) -> str:
    """One value as the plan shows it: TOML spelling, secrets masked."""
    from psrunbook.cli.runbook_cmds import toml_value
    from psrunbook.secrets import redact_text

    return redact_text(toml_value(value))


def changes(before: Any, after: Any) -> Iterator[str]:
    """``~``/``+``/``-`` lines for what differs between a result's Before and After."""
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        if before != after:
            yield f"~ {spelled(before)} → {spelled(after)}"
        return
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old == new:
            continue
        if old is _MISSING:
            yield f"+ {key}: {spelled(new)}"
        elif new is _MISSING:
            yield f"- {key}: {spelled(old)}"
        else:
            yield f"~ {key}: {spelled(old)} → {spelled(new)}"


def file_diff(change: Mapping[str, Any], node: str) -> list[str]:
    """A unified diff of one file a step would write, named by node and path."""
    from psrunbook.secrets import redact_text

    path = str(change.get("Path", "(file)"))
    old = redact_text(str(change.get("Before") or ""))
    new = redact_text(str(change.get("After") or ""))
    return list(
        difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            fromfile=f"{path} on {node} (now)" if change.get("Before") is not None else "(none)",
            tofile=f"{path} on {node} (planned)",
            lineterm="",
        )
    )


def _names(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [] if value in (None, "") else [str(value)]


def plan_details(console: Console, report: RunReport) -> None:
    """Every change the plan found, per step and node, then what it would interrupt."""
    from psrunbook.execution.outcome import Status

    effects: dict[tuple[str, str], list[str]] = {}
    for step in report.steps:
        for target in step.targets:
            result = target.result
            if target.status is not Status.CHANGED or result is None or not result.reported():
                continue
            data = result.reported()
            lines = list(changes(data.get("Before"), data.get("After")))
            actions = _names(data.get("Actions"))
            if actions:
                lines.append("actions: " + ", ".join(actions))
            for key, verb in _EFFECTS:
                for service in _names(data.get(key)):
                    lines.append(f"{verb} {service}")
                    effects.setdefault((verb, service), []).append(target.node)
            files = data.get("FileChanges")
            for change in files if isinstance(files, list) else []:
                if isinstance(change, Mapping):
                    lines.extend(file_diff(change, target.node))
            _print(console, f"{step.planned.slug} on {target.node}: would change")
            for line in lines:
                _print(console, f"    {line}")
    for (verb, service), nodes in effects.items():
        _print(console, f"{step_verb(verb)} {service} on {', '.join(nodes)}")


def step_verb(verb: str) -> str:
    """The closing summary's wording: what the run would interrupt."""
    return {"restarts": "would restart", "stops": "would stop"}[verb]


def _print(console: Console, text: str) -> None:
    console.print(shown(text), markup=False, highlight=False)
