"""Ends the process once a command is done, without the interpreter's teardown.

After ``run --sim`` the heap holds millions of objects (the plan, pypsrp, the embedded
lab, every module). A normal exit then clears every module and frees every object one
by one: 20 to 30 ms of CPU (45 ms of wall time on a loaded machine) that change nothing
anyone can see, since the kernel takes the memory back at once (issue 16). So the
console script ends with :func:`os._exit` instead, but only when nothing can be lost by
it, and it first does every part of the teardown that can be seen:

* only one thread is left: no thread is still writing, and none would have been joined;
* the exit status is one the process can return as it is (``None`` or 0 to 255; any
  other ``SystemExit`` value is printed by Python, so the normal exit handles it);
* every ``atexit`` handler has run: ``logging.shutdown`` (each handler flushed and
  closed, a ``--log-file`` and a syslog connection included), ``weakref.finalize``
  callbacks (temporary directories), and any tool's own (coverage saves its data);
* stdout and stderr are flushed; when one cannot be (a closed pipe), the normal exit
  runs instead and reports it as Python always does.

Files are never left to the garbage collector to close: psrunbook closes what it opens
(``tests/integration/test_quick_exit.py`` checks that a run leaves no ``ResourceWarning``
and that everything it writes is complete).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def exit_status(code: object) -> int | None:
    """The status ``SystemExit(code)`` gives the process, when Python prints nothing for it."""
    if code is None:
        return 0
    if type(code) is int and 0 <= code <= 255:
        return code
    return None


def exit_without_teardown(code: object) -> None:
    """Flush and close what an exit would, then end the process with ``code``'s status.

    Returns (having done nothing) when that is not safe; the caller then exits normally.
    """
    status = exit_status(code)
    if status is None or threading.active_count() > 1:
        return
    atexit._run_exitfuncs()  # they run once: a normal exit after this finds none left
    if threading.active_count() > 1:
        return  # a handler started a thread: let the normal exit wait for it
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return  # the normal exit reports an unflushable stream as it always has
    os._exit(status)
