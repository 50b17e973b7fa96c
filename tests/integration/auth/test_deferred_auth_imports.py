"""pypsrp loads its Negotiate and CredSSP stacks only when a session uses them.

:mod:`psrunbook.transport.pypsrp_import` imports ``pypsrp.wsman`` with
``pypsrp.negotiate`` and ``requests_credssp`` stood in for (issue 16: pyspnego, gssapi
and ``cryptography.x509`` were about 70 ms of every run's start-up that a Basic session
never uses). A fresh interpreter shows it: nothing of those stacks after Basic, and NTLM
(sealed messages: pypsrp's ``isinstance`` test against the CredSSP class) and CredSSP
(its class built through the stand-in, its sealing chosen by that test) still run a
pipeline against the lab, with the real modules importable afterwards.
"""

from __future__ import annotations

import pytest

from tests.support.fresh_interpreter import json_report

pytestmark = pytest.mark.integration

PROBE = r"""
import json, sys

def heavy():
    return sorted(
        name for name in sys.modules
        if name.split(".")[0] in {"spnego", "gssapi", "requests_credssp"}
        or name in {"pypsrp.negotiate", "cryptography.x509"}
    )

from psrunbook.transport.pypsrp_import import load_pypsrp

load_pypsrp()
report = {"after_load": heavy()}

from pypsrp.powershell import PowerShell, RunspacePool
import pypsrp.wsman

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from tests.integration.sim.simclient import PASSWORD, USER, client_for

def run(auth, user, **options):
    with SimEndpoint(TrivialExecutor(), node="NODE1", users={user: PASSWORD}, auth=auth) as ep:
        client = client_for(ep, auth=auth, username=user, **options)
        with RunspacePool(client) as pool:
            return PowerShell(pool).add_script(f"output {auth}").invoke()

report["basic"] = run("basic", USER)
report["after_basic"] = heavy()
report["not_credssp"] = isinstance(object(), pypsrp.wsman.HttpCredSSPAuth)
report["ntlm"] = run("ntlm", USER, encryption="auto")
report["credssp"] = run("credssp", f"LAB\\{USER}", encryption="auto")

import pypsrp.negotiate
import requests_credssp

report["real"] = [
    pypsrp.negotiate.HTTPNegotiateAuth.__module__,
    requests_credssp.HttpCredSSPAuth.__module__,
    type(pypsrp.negotiate.HTTPNegotiateAuth).__name__,
]
print(json.dumps(report))
"""


def test_basic_loads_no_negotiate_stack_and_ntlm_and_credssp_still_work() -> None:
    report = json_report(PROBE, timeout_s=120)
    assert [] == report["after_load"]
    assert ["basic"] == report["basic"]
    assert [] == report["after_basic"]
    assert report["not_credssp"] is False
    assert ["ntlm"] == report["ntlm"]
    assert ["credssp"] == report["credssp"]
    # The real modules, not the stand-ins, once the import is done.
    assert ["pypsrp.negotiate", "requests_credssp.credssp", "type"] == report["real"]


def test_a_loaded_pypsrp_is_left_as_it_is() -> None:
    probe = (
        "import sys, pypsrp.wsman\n"
        "from psrunbook.transport.pypsrp_import import load_pypsrp\n"
        "load_pypsrp()\n"
        "auth = pypsrp.wsman.HTTPNegotiateAuth\n"
        "print(json.dumps([auth.__module__, type(auth).__name__]))\n"
    )
    assert ["pypsrp.negotiate", "type"] == json_report("import json\n" + probe, timeout_s=60)
