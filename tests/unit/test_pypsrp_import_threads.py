"""Node threads loading pypsrp at the same moment never trip CPython's import deadlock.

A 32-node run failed with ``_DeadlockError`` on ``requests.exceptions``: one thread was
inside ``requests/__init__`` (importing ``pypsrp.wsman``) when another, seeing
``pypsrp.wsman`` in ``sys.modules``, went on to import ``pypsrp.powershell`` and with it
``requests.exceptions``; which thread waits for which then depends on timing. The fix is
that no thread returns from ``load_pypsrp`` while another is still importing: the probe
holds the first thread inside ``requests/__init__`` (at its ``import urllib3``) and checks
that the second returns only after the first was let go, and that both end with pypsrp
loaded.
"""

from __future__ import annotations

from tests.support.fresh_interpreter import json_report

PROBE = r"""
import json, sys, threading

inside, release = threading.Event(), threading.Event()

class HoldUrllib3:
    # Holds the first thread inside requests/__init__ (its `import urllib3`, before its
    # `from .exceptions import ...`) until released. Held while urllib3 is executed, not
    # while it is found: finders run under the global import lock, which would stop
    # every other import too.
    def find_spec(self, name, path=None, target=None):
        if name != "urllib3" or inside.is_set():
            return None
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec(name, path)
        loader = spec.loader
        class Held(type(loader)):
            def exec_module(self, module):
                inside.set()
                release.wait(60)
                return super().exec_module(module)
        loader.__class__ = Held
        return spec

assert "urllib3" not in sys.modules
sys.meta_path.insert(0, HoldUrllib3())
import inspect
from psrunbook.transport.pypsrp_import import load_pypsrp

source, start = inspect.getsourcelines(load_pypsrp)
lock_line = start + next(i for i, line in enumerate(source) if line.strip() == "with _lock:")

errors = []

def first():
    try:
        load_pypsrp()
    except BaseException as exc:
        errors.append(f"first: {type(exc).__name__}: {exc}")

returned = []

def second():
    try:
        load_pypsrp()
        returned.append("while the first thread was importing" if not release.is_set() else "after")
        from pypsrp.powershell import RunspacePool  # what a node thread imports next
    except BaseException as exc:
        errors.append(f"second: {type(exc).__name__}: {exc}")

a = threading.Thread(target=first)
a.start()
assert inside.wait(60), "the first thread never imported urllib3"
b = threading.Thread(target=second)
b.start()
# Let the first thread go once the second waits on psrunbook's lock (the `with _lock:`
# line of load_pypsrp) or has returned from load_pypsrp. The loop's bound is a guard
# against a hang, not a timing.
for _ in range(6_000_000):
    frame = sys._current_frames().get(b.ident)
    if returned or frame is None or (
        frame.f_code.co_name == "load_pypsrp" and frame.f_lineno == lock_line
    ):
        break
release.set()
a.join(60)
b.join(60)
print(json.dumps({"errors": errors, "alive": [a.is_alive(), b.is_alive()],
                  "returned": returned, "loaded": "pypsrp.powershell" in sys.modules}))
"""


def test_two_threads_loading_pypsrp_at_once_both_get_it_whole() -> None:
    report = json_report(PROBE, timeout_s=180)
    assert {"errors": [], "alive": [False, False], "returned": ["after"], "loaded": True} == report
