"""An endpoint that takes Basic never loads pyspnego (and cryptography's X.509 with it).

pyspnego is the Negotiate/CredSSP acceptor; importing it was about 45 ms of every
``sim serve`` and embedded-lab start. A fresh interpreter serves requests over Basic and
reports whether the module was imported; a Negotiate token proves the probe can see it.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import base64, json, sys, urllib.error, urllib.request
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor

mode = sys.argv[1]
fleet = SimFleet(["N1"], executor=TrivialExecutor(), users={"u": "p"}, auth=mode)
try:
    url = fleet["N1"].url
    basic = "Basic " + base64.b64encode(b"u:p").decode()
    headers = [{}, {"Authorization": basic}, {"Authorization": "Negotiate " + "TlRMTVNTUAAB"}]
    codes = []
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    for header in headers[: 2 if mode == "basic" else 3]:
        request = urllib.request.Request(
            url, data=b"<x/>", headers={"Content-Type": "application/soap+xml", **header}
        )
        try:
            codes.append(direct.open(request, timeout=30).status)
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)
finally:
    fleet.close()
print(json.dumps({"codes": codes, "spnego": "spnego" in sys.modules}))
"""


def _serve(mode: str) -> tuple[list[int], bool]:
    """The HTTP status of each request, and whether pyspnego was imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return [int(code) for code in report["codes"]], bool(report["spnego"])


def test_an_endpoint_over_basic_never_imports_spnego() -> None:
    codes, spnego = _serve("basic")
    assert 401 == codes[0]
    assert 401 != codes[1]
    assert not spnego


def test_a_negotiate_token_loads_the_acceptor() -> None:
    _, spnego = _serve("ntlm")
    assert spnego
