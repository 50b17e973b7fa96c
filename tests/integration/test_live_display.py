"""What the operator sees while a run goes on, on a terminal and through a pipe.

On a real pseudo-terminal a step held at one node (a ``hold`` fault: the lab never
answers) must show which step waits on which node with its elapsed time, not a silent
screen; the SIEM events must not be echoed beside the progress lines; NO_COLOR and
FORCE_COLOR are honoured; Ctrl-C exits 130. Through a pipe the same run prints one plain
line per event with no control code at all.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.integration.terminal import COLOUR, ESCAPE, spawn
from tests.reliability.harness import (
    PSRUNBOOK,
    STEP_COMMANDS,
    arm,
    create_lab,
    environment,
    hold_channels,
)

RUN = ["run", "ssis-clustered", "--sim", "--yes"]
# Named from the runbook's own plan, so a step added before it does not break the tests.
HELD_STEP = next(step for step, _, _ in STEP_COMMANDS if step.endswith("-bring-online"))
STEP_COUNT = len({step for step, _, _ in STEP_COMMANDS})


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in environment().items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def test_a_terminal_shows_which_node_a_running_step_waits_on(tmp_path: Path) -> None:
    """While bring-online is held on NODE1 the live region names the step, the node
    and the elapsed time; finished steps scroll above it in colour; no log event is
    echoed; Ctrl-C stops the run with exit 130 and the summary table."""
    state = tmp_path / "state"
    create_lab(state)
    [nth] = [n for step, node, n in STEP_COMMANDS if step == HELD_STEP and node == "NODE1"]
    with hold_channels(state, ["NODE1"]) as holds:
        arm(
            state,
            [
                {
                    "node": "NODE1",
                    "on": "Command",
                    "nth": nth,
                    "fault": "hold",
                    "count": 100,
                    "notify": str(holds.paths["NODE1"]),
                }
            ],
        )
        term = spawn([*RUN, "--state-dir", str(state)], terminal_env(), tmp_path)
        holds.wait()
        number = int(HELD_STEP.split("-", 1)[0])
        term.read_until(
            rf"step {number}/{STEP_COUNT} {HELD_STEP}: waiting on NODE1 \d+s".encode()
        )
        term.press(b"\x03")
        code = term.wait()
    screen = term.text
    assert 130 == code, screen
    assert re.search(r"08-service-manual\s+NODE2\s+.*changed", screen), screen
    assert COLOUR.search(term.screen), screen  # "changed" in yellow
    assert "step.finished" not in screen  # the SIEM events are not echoed on the console
    assert "interrupted" in screen
    assert "Traceback" not in screen


def test_no_color_on_a_terminal_gives_no_colour_codes(tmp_path: Path) -> None:
    state = tmp_path / "state"
    term = spawn([*RUN, "--state-dir", str(state)], terminal_env(NO_COLOR="1"), tmp_path)
    code = term.wait()
    assert 0 == code, term.text
    assert HELD_STEP in term.text
    assert not COLOUR.search(term.screen), term.text


def piped(state: Path, **extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PSRUNBOOK, *RUN, "--state-dir", str(state)],
        capture_output=True,
        env=terminal_env(**extra),
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )


def test_a_pipe_gets_one_plain_line_per_event_and_no_control_codes(tmp_path: Path) -> None:
    result = piped(tmp_path / "state")
    assert 0 == result.returncode, result
    assert ESCAPE not in result.stdout
    assert ESCAPE not in result.stderr
    lines = result.stdout.decode().splitlines()
    held = [line.split() for line in lines if line.split()[:2] == [HELD_STEP, "NODE1"]]
    assert [HELD_STEP, "NODE1", "started"] == held[0]
    assert [HELD_STEP, "NODE1", "changed"] == held[1][:3]
    assert 2 == len(held)


def test_force_color_colours_a_pipe_without_animating_it(tmp_path: Path) -> None:
    result = piped(tmp_path / "state", FORCE_COLOR="1")
    assert 0 == result.returncode, result
    assert COLOUR.search(result.stdout), result.stdout
    # No cursor movement, no erased lines, no hidden cursor: a log stays readable.
    assert not re.search(rb"\x1b\[(\d*[ABK]|\?25[lh])", result.stdout), result.stdout
