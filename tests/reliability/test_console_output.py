"""Values that come back from nodes never reach the console as control characters.

A cluster object's name, a WSMan fault's text or a journal's error can hold an escape
sequence; when stdout is a pipe or a log file nothing strips it, and whoever views the
output later gets a cleared screen, a rewritten clipboard or a reversed line. Every value
psrunbook prints goes through one function (``psrunbook.cli.display.shown``); these
cases run the real CLI against the embedded lab and read every byte it wrote.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from psrunbook.cli.display import shown
from tests.reliability.harness import (
    Result,
    arm,
    assert_no_traceback,
    create_lab,
    error_line,
    lab_file,
    psrunbook,
    run_sim,
)

pytestmark = pytest.mark.reliability

# ESC [2J clears the screen, OSC 52 writes the clipboard, BEL ends it, CR rewinds the
# line, C1 CSI (0x9b) is ESC [ on some terminals, U+202E reverses the text after it, and
# [/] would be read as rich markup.
HOSTILE_NAME = "Evil\x1b[2J\x1b]52;c;cHduZWQ=\x07\rFake\x9b31m\u202eX[/]\x7f Group"
# Text that a WSMan fault carries (XML 1.0 has no ESC, so C1 and Unicode controls here).
HOSTILE_REASON = "denied\x9b2J\u202eesrever\x85next line\u2028sep"


def controls(text: str) -> list[str]:
    """Every control or bidirectional formatting character in ``text`` but newline."""
    return [
        c
        for c in text
        if c != "\n"
        and (
            unicodedata.category(c) == "Cc"
            or unicodedata.bidirectional(c)
            in {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "ALM", "LRM", "RLM"}
            or c in "\u2028\u2029"
        )
    ]


def assert_clean(result: Result) -> None:
    assert_no_traceback(result)
    assert [] == controls(result.stdout), result.describe()
    assert [] == controls(result.stderr), result.describe()


def add_hostile_group(state: Path) -> None:
    """A group whose name the cluster returns with control characters."""
    raw = json.loads(lab_file(state).read_text(encoding="utf-8"))
    group = dict(next(g for g in raw["groups"] if not g["is_core"]))
    group["name"] = HOSTILE_NAME
    raw["groups"].append(group)
    lab_file(state).write_text(json.dumps(raw), encoding="utf-8")


def test_report_tables_show_node_names_with_visible_escapes(tmp_path: Path) -> None:
    """cluster-report's tables, the summary and runs list/show: no control character."""
    state = tmp_path / "state"
    create_lab(state)
    add_hostile_group(state)
    result = psrunbook("run", "cluster-report", "--sim", "--yes", state_dir=state)
    assert 0 == result.code, result.describe()
    assert_clean(result)
    assert shown(HOSTILE_NAME) in result.stdout.replace("\n", ""), result.describe()
    listed = psrunbook("runs", state_dir=state)
    assert 0 == listed.code, listed.describe()
    assert_clean(listed)
    details = psrunbook("runs", "show", result.run_id, state_dir=state)
    assert 0 == details.code, details.describe()
    assert_clean(details)


def test_a_node_error_text_is_shown_with_visible_escapes(tmp_path: Path) -> None:
    """A WSMan fault's text reaches the error line and `runs show` with visible escapes."""
    state = tmp_path / "state"
    create_lab(state)
    arm(
        state,
        [{"node": "NODE1", "on": "Command", "nth": 2, "fault": "wsman", "reason": HOSTILE_REASON}],
    )
    result = run_sim(state, "--retries", "0")
    assert 1 == result.code, result.describe()
    assert_clean(result)
    assert shown(HOSTILE_REASON) in error_line(result), result.describe()
    details = psrunbook("runs", "show", result.run_id, state_dir=state)
    assert 0 == details.code, details.describe()
    assert_clean(details)
    assert "\\x9b2J" in details.stdout, details.describe()
