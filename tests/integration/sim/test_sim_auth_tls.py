"""Basic authentication and HTTPS with a certificate generated at start."""

from __future__ import annotations

import pytest
import requests
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration


def test_wrong_password_is_an_authentication_error(endpoint):
    """A wrong password gets HTTP 401, which pypsrp raises as AuthenticationError."""
    with pytest.raises(AuthenticationError):
        RunspacePool(client_for(endpoint, password="wrong")).open()
    assert 1 == endpoint.counters.requests("Unauthorized")
    assert 0 == endpoint.counters.shells_open


def test_unknown_user_is_an_authentication_error(endpoint):
    """A user that is not configured is refused like a wrong password."""
    with pytest.raises(AuthenticationError):
        RunspacePool(client_for(endpoint, username="intruder")).open()


@pytest.fixture(scope="module")
def https_endpoint():
    with SimEndpoint(TrivialExecutor(), node="NODE1", users={USER: PASSWORD}, tls=True) as ep:
        yield ep


def test_https_certificate_is_refused_without_its_ca(https_endpoint):
    """With default validation the generated certificate is not trusted."""
    client = client_for(https_endpoint, ssl=True, encryption="auto")
    with pytest.raises(requests.exceptions.SSLError):
        RunspacePool(client).open()


def test_https_works_with_the_certificate_as_ca_bundle(https_endpoint):
    """Given the certificate as CA bundle, the client validates it and runs a pipeline."""
    client = client_for(
        https_endpoint, ssl=True, encryption="auto", cert_validation=https_endpoint.cert_path
    )
    with RunspacePool(client) as pool:
        assert ["over tls"] == PowerShell(pool).add_script("output over tls").invoke()
    assert https_endpoint.url.startswith("https://127.0.0.1:")
