"""pypsrp, imported without the Negotiate and CredSSP stacks until a session uses them.

``pypsrp.wsman`` imports ``pypsrp.negotiate`` and ``requests_credssp`` at its top, and
with them pyspnego, gssapi and ``cryptography.x509``: about 70 ms of every run's start-up
on a quiet machine (150 ms on a busy one, 15 % of a ``run --sim``'s imports, issue 16),
which a Basic or certificate session never uses. pypsrp names the two classes it needs
from them (``HTTPNegotiateAuth`` when it builds a Negotiate, NTLM or Kerberos auth, and
``HttpCredSSPAuth`` for CredSSP and one ``isinstance`` test on an encrypted session), so
while ``pypsrp.wsman`` is imported here the two modules are stood in for by modules whose
class imports the real one the first time it is called or tested against. Once the
import is done the stand-ins leave ``sys.modules``: anyone importing ``pypsrp.negotiate``
or ``requests_credssp`` afterwards gets the real module, and the stand-in classes behave
as the real ones for pypsrp (``tests/unit/test_pypsrp_import.py``).

Everything in psrunbook that imports pypsrp's remoting modules (``pypsrp.wsman``,
``pypsrp.shell``, ``pypsrp.powershell``) calls :func:`load_pypsrp` first; if something
else imported them before, pypsrp is as it always was and nothing is stood in for.

Node threads call it at the same moment, so it returns only once every module psrunbook
takes from pypsrp (and requests under them) is imported whole, by one thread: a thread
that went on while another was still inside ``requests/__init__`` imported
``requests.exceptions`` (through ``pypsrp.powershell``) and then waited for ``requests``,
while the first waited for ``requests.exceptions``: CPython's import locks call that a
deadlock and raise ``_DeadlockError`` in one of them (a 32-node run failed that way).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_lock = threading.Lock()
_loaded = threading.Event()

_DEFERRED: dict[str, str] = {
    "pypsrp.negotiate": "HTTPNegotiateAuth",
    "requests_credssp": "HttpCredSSPAuth",
}
"""The module pypsrp.wsman imports at its top -> the one name it takes from it."""


class _DeferredClass(type):
    """A stand-in class: calling it or testing against it imports the real class."""

    _module: str
    _name: str

    def real(cls) -> Any:
        return getattr(importlib.import_module(cls._module), cls._name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)

    def __instancecheck__(cls, instance: Any) -> bool:
        # Only an object built by the real class can be one, and building one has
        # imported it: nothing needs importing to say no.
        module = sys.modules.get(cls._module)
        real = getattr(module, cls._name, None) if module is not None else None
        return real is not None and real is not cls and isinstance(instance, real)


def _stand_in(module: str, name: str) -> types.ModuleType:
    """A module with one attribute, ``name``: a class deferring to ``module.name``."""
    stand_in = types.ModuleType(module, f"Stands in for {module} while pypsrp.wsman loads.")
    setattr(stand_in, name, _DeferredClass(name, (), {"_module": module, "_name": name}))
    return stand_in


def load_pypsrp() -> None:
    """Import ``pypsrp.wsman`` with the Negotiate and CredSSP modules deferred, then
    ``pypsrp.powershell``: every remoting module psrunbook uses, whole, when it returns.

    Thread-safe (node threads open their pools at the same time) and idempotent. A
    module that is not installed (``requests_credssp`` without pypsrp's credssp extra)
    is not stood in for: pypsrp's own ``ImportError`` handling sees it missing as before.
    """
    if _loaded.is_set():
        return
    with _lock:
        if _loaded.is_set():
            return
        if "pypsrp.wsman" not in sys.modules:
            _import_wsman_deferring_auth()
        # The rest of what the transport takes from pypsrp, in this thread, before any
        # other goes on (see the module's docstring).
        importlib.import_module("pypsrp.powershell")
        _loaded.set()


def _import_wsman_deferring_auth() -> None:
    stand_ins = {
        module: _stand_in(module, name)
        for module, name in _DEFERRED.items()
        if module not in sys.modules and importlib.util.find_spec(module) is not None
    }
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("pypsrp.wsman")
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
