"""The direct sender's TLS context: the CA bundle and checks requests would have used.

pypsrp hands ``cert_validation`` to requests' ``verify``: True (the bundle named by
``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``, else requests' own), a path (that file or
directory) or False. The context must verify and check the host name unless told False.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from types import SimpleNamespace

import pytest
from requests.utils import DEFAULT_CA_BUNDLE_PATH

from psrunbook.sim.endpoint.tls import generate_certificate
from psrunbook.transport.direct_http import tls_context


def _transport(cert_validation: bool | str) -> SimpleNamespace:
    return SimpleNamespace(auth="basic", cert_validation=cert_validation)


def _subjects(context: ssl.SSLContext) -> list[object]:
    return [ca["subject"] for ca in context.get_ca_certs()]


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    return generate_certificate(tmp_path).cert_path


@pytest.fixture(autouse=True)
def no_bundle_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def test_verification_is_on_with_the_host_name_checked_by_default() -> None:
    context = tls_context(_transport(True))
    assert ssl.CERT_REQUIRED == context.verify_mode
    assert context.check_hostname
    assert ssl.TLSVersion.TLSv1_2 <= context.minimum_version
    bundle = ssl.create_default_context(cafile=DEFAULT_CA_BUNDLE_PATH)
    assert _subjects(bundle) == _subjects(context)  # requests' own bundle, not the system's


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_bundle_variable_requests_honours_is_honoured(
    monkeypatch: pytest.MonkeyPatch, ca: Path, variable: str
) -> None:
    monkeypatch.setenv(variable, str(ca))
    context = tls_context(_transport(True))
    assert [((("commonName", "psrunbook-sim"),),)] == _subjects(context)


def test_a_ca_bundle_path_is_the_only_trust(ca: Path) -> None:
    context = tls_context(_transport(str(ca)))
    assert ssl.CERT_REQUIRED == context.verify_mode
    assert context.check_hostname
    assert [((("commonName", "psrunbook-sim"),),)] == _subjects(context)


def test_a_ca_directory_is_loaded_as_a_directory(ca: Path) -> None:
    context = tls_context(_transport(str(ca.parent)))
    assert ssl.CERT_REQUIRED == context.verify_mode
    assert [] == _subjects(context)  # a capath is read per handshake, not up front


def test_validation_off_checks_nothing() -> None:
    context = tls_context(_transport(False))
    assert ssl.CERT_NONE == context.verify_mode
    assert not context.check_hostname
