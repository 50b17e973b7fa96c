"""Which session configuration a PowerShell resource URI names, as a lab node serves it."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from psrunbook.sim.endpoint import wsman
from psrunbook.sim.endpoint.psrp_host import SessionConfiguration, session_configuration
from psrunbook.sim.endpoint.wsman import WSManFaultResponse

PREFIX = "http://schemas.microsoft.com/powershell/"


@pytest.mark.parametrize(
    ("name", "wow64"),
    [
        ("Microsoft.PowerShell", False),
        ("microsoft.powershell", False),
        ("Microsoft.PowerShell32", True),
        ("MICROSOFT.POWERSHELL32", True),
    ],
)
def test_the_two_served_configurations_keep_the_clients_spelling(name: str, wow64: bool) -> None:
    """Microsoft.PowerShell is 64-bit, Microsoft.PowerShell32 a WOW64 process; any case."""
    assert SessionConfiguration(name, wow64) == session_configuration(PREFIX + name)
    assert PREFIX + name == session_configuration(PREFIX + name).resource_uri


@pytest.mark.parametrize(
    "name", ["PowerShell.7", "Microsoft.Exchange", "Microsoft.PowerShell64", "", "a/b"]
)
def test_an_unregistered_name_is_windows_invalid_resource_uri_fault(name: str) -> None:
    """ERROR_WSMAN_INVALID_RESOURCE_URI with the words pypsrp users quote from Windows."""
    with pytest.raises(WSManFaultResponse) as raised:
        session_configuration(PREFIX + name)
    assert 2150858811 == raised.value.code
    assert (
        f"The resource URI ({PREFIX}{name}) was not found in the WS-Management catalog."
        in raised.value.reason
    )


@pytest.mark.parametrize(
    "name", ["Microsoft.PowerShell.Workflow", "microsoft.windows.servermanagerworkflows"]
)
def test_a_default_the_lab_does_not_model_is_refused_by_name(name: str) -> None:
    """Never served as Microsoft.PowerShell, never called unknown."""
    with pytest.raises(WSManFaultResponse) as raised:
        session_configuration(PREFIX + name)
    assert wsman.E_NOTIMPL == raised.value.code
    assert raised.value.reason.startswith(f"unsupported construct: the {name} session")


def test_the_unknown_configuration_fault_is_a_sender_fault_pypsrp_reads() -> None:
    """The envelope carries the code and the message in the WSManFault detail."""
    fault = wsman.unknown_configuration_fault(PREFIX + "X")
    root = ElementTree.fromstring(wsman.fault_envelope(fault, "uuid:1", "NODE1"))
    found = root.find(".//{http://schemas.microsoft.com/wbem/wsman/1/wsmanfault}WSManFault")
    assert found is not None
    assert ("2150858811", "NODE1") == (found.get("Code"), found.get("Machine"))
    value = root.find(".//{http://www.w3.org/2003/05/soap-envelope}Value")
    assert value is not None and "s:Sender" == value.text


def test_a_shell_body_names_its_own_configuration() -> None:
    """Create, Get and Enumerate report the ResourceUri the shell was created under."""
    uri = PREFIX + "Microsoft.PowerShell32"
    body = wsman.shell_body("S1", owner="u", client_ip="::1", created=True, resource_uri=uri)
    assert 2 == body.count(f">{uri}<")
    assert f">{PREFIX}Microsoft.PowerShell<" not in body
