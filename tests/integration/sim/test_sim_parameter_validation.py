"""A script's parameter binding refused as Windows PowerShell 5.1 refuses it, through real
pypsrp 0.9.1 against ``psrunbook sim serve`` (a real process on loopback).

A binding error of the script sent by ``add_script`` ends the pipeline Failed with a
ParameterBindingValidationException record (category InvalidData = 6); nothing of the
script runs (ParameterBinderBase.ValidateNullOrEmptyArgument; MicrosoftDocs/
PowerShell-Docs#6578 shows 5.1's record for the empty string).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

from tests.integration.sim.simclient import Served, serve_lab

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve_lab("validate-pw", nodes=1) as lab:
        yield lab


@pytest.mark.parametrize(
    ("param", "value", "error_id", "message"),
    [
        ("$Name", None, "ParameterArgumentValidationErrorNullNotAllowed",
         "Cannot bind argument to parameter 'Name' because it is null."),
        ("[string]$Name", "", "ParameterArgumentValidationErrorEmptyStringNotAllowed",
         "Cannot bind argument to parameter 'Name' because it is an empty string."),
        ("[string[]]$Name", [], "ParameterArgumentValidationErrorEmptyArrayNotAllowed",
         "Cannot bind argument to parameter 'Name' because it is an empty array."),
    ],
)  # fmt: skip
def test_a_mandatory_parameter_sent_null_or_empty_fails_the_pipeline(
    served: Served, param: str, value: Any, error_id: str, message: str
) -> None:
    with RunspacePool(served.wsman()) as pool:
        ps = PowerShell(pool)
        ps.add_script(f"param([Parameter(Mandatory)]{param})\n'ran'")
        ps.add_parameter("Name", value)
        assert [] == ps.invoke()
    assert (PSInvocationState.FAILED, True) == (ps.state, ps.had_errors)
    [record] = ps.streams.error
    assert (error_id, 6, "ParameterBindingValidationException") == (
        record.fq_error,
        record.category,
        record.reason,
    )
    assert message == str(record)


def test_a_validation_attribute_fails_the_pipeline(served: Served) -> None:
    with RunspacePool(served.wsman()) as pool:
        ps = PowerShell(pool)
        ps.add_script("param([ValidateRange(1, 65535)][int]$Port)\n'ran'")
        ps.add_parameter("Port", 70000)
        assert [] == ps.invoke()
        good = PowerShell(pool)
        good.add_script('param([ValidateRange(1, 65535)][int]$Port)\n"ran $Port"')
        good.add_parameter("Port", 1433)
        assert ["ran 1433"] == good.invoke()
    assert PSInvocationState.FAILED == ps.state
    [record] = ps.streams.error
    assert "ParameterArgumentValidationError" == record.fq_error
    assert str(record) == (
        "Cannot validate argument on parameter 'Port'. The 70000 argument is greater than the "
        "maximum allowed range of 65535. Supply an argument that is less than or equal to "
        "65535 and then try the command again."
    )
