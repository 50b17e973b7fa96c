"""The console script ends without the interpreter's teardown only when nothing is lost.

Each case runs a fresh interpreter that ends through
:func:`psrunbook.cli.quick_exit.exit_without_teardown`, as the ``psrunbook`` script does,
and reads what it left behind: buffered output, what ``atexit`` handlers wrote, and
whether the teardown ran (an object's finaliser that only the teardown calls).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from psrunbook.cli.quick_exit import exit_status

PROBE = """
import atexit, logging, sys, threading

class Finalised:
    def __del__(self):
        sys.stderr.write("teardown ran\\n")

KEEP = Finalised()  # a module global: only the interpreter's teardown finalises it
handler = logging.FileHandler(sys.argv[2], delay=False)
logging.getLogger("probe").addHandler(handler)
logging.getLogger("probe").warning("logged before exit")
atexit.register(lambda: sys.stdout.write("atexit handler ran\\n"))
sys.stdout.write("buffered line\\n")  # a pipe: block-buffered, not yet written
if sys.argv[3] == "thread":
    release = threading.Event()
    threading.Thread(target=release.wait, daemon=True).start()
from psrunbook.cli.quick_exit import exit_without_teardown
code = {"none": None, "three": 3, "text": "failed: text"}[sys.argv[1]]
exit_without_teardown(code)
sys.stderr.write("normal exit\\n")
raise SystemExit(code)
"""


def _probe(tmp_path: Path, code: str, threads: str = "single") -> tuple[int, str, str, str]:
    log = tmp_path / "probe.log"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, code, str(log), threads],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr, log.read_text(encoding="utf-8")


@pytest.mark.parametrize(("code", "status"), [("none", 0), ("three", 3)])
def test_a_single_thread_exits_at_once_after_flushing(
    tmp_path: Path, code: str, status: int
) -> None:
    """The teardown is skipped, everything that can be seen is done: output flushed,
    atexit handlers run, the log file handler flushed and closed; the status is kept."""
    returncode, stdout, stderr, log = _probe(tmp_path, code)
    assert status == returncode
    assert "buffered line\natexit handler ran\n" == stdout
    assert "logged before exit\n" == log
    assert "teardown ran" not in stderr
    assert "normal exit" not in stderr


def test_another_thread_leaves_the_normal_exit(tmp_path: Path) -> None:
    """With a thread still alive, nothing is skipped: the normal exit runs (and waits)."""
    returncode, stdout, stderr, _ = _probe(tmp_path, "three", "thread")
    assert 3 == returncode
    assert "buffered line\natexit handler ran\n" == stdout
    assert "normal exit\n" in stderr
    assert "teardown ran\n" in stderr


def test_a_message_as_exit_code_is_printed_by_the_normal_exit(tmp_path: Path) -> None:
    """``SystemExit("text")`` is Python's to print (and exit 1): not ended early."""
    returncode, _, stderr, _ = _probe(tmp_path, "text")
    assert 1 == returncode
    assert "normal exit\n" in stderr
    assert "failed: text" in stderr


@pytest.mark.parametrize(
    ("code", "status"),
    [(None, 0), (0, 0), (2, 2), (255, 255), (256, None), (-1, None), (True, None), ("x", None)],
)
def test_exit_status(code: object, status: int | None) -> None:
    assert status == exit_status(code)
