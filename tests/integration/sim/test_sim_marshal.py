"""A SecureString's text through ``[Marshal]::SecureStringToBSTR``, over real pypsrp 0.9.1.

pypsrp 0.9.1's ``test_psrp_multiple_commands`` sends a SecureString and reads it back with
``[System.Runtime.InteropServices.marshal]::PtrToStringAuto(...SecureStringToBSTR($s))``;
Windows PowerShell 5.1 answers ``Hello World`` (recorded in ``tests/tests_pypsrp/
responses/test_psrp_multiple_commands.yml``). The BSTR semantics follow the .NET docs of
``System.Runtime.InteropServices.Marshal``; the lab refuses what it cannot model
faithfully (memory it did not allocate, a freed BSTR).
"""

from __future__ import annotations

import pytest
from pypsrp.complex_objects import ObjectMeta
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

pytestmark = pytest.mark.integration

_MARSHAL = "[System.Runtime.InteropServices.marshal]"


def test_ptr_to_string_auto_reads_the_secure_strings_bstr(lab_pool: RunspacePool) -> None:
    """pypsrp's SecureString round trip: the BSTR of "Hello World" reads "Hello World"."""
    lab_pool.exchange_keys()
    ps = PowerShell(lab_pool)
    secure = lab_pool.serialize("Hello World", ObjectMeta("SS"))
    ps.add_cmdlet("Set-Variable").add_parameter("Name", "sec_string")
    ps.add_parameter("Value", secure)
    ps.add_statement().add_script(
        f"{_MARSHAL}::PtrToStringAuto({_MARSHAL}::SecureStringToBSTR($sec_string))"
    )
    assert ["Hello World"] == ps.invoke()


def test_bstr_reads_by_length_and_unicode_reads_to_the_first_nul(lab_pool: RunspacePool) -> None:
    """PtrToStringBSTR keeps an embedded NUL; PtrToStringUni stops at it; Zero is $null."""
    ps = PowerShell(lab_pool)
    ps.add_script(
        "$p = [Runtime.InteropServices.Marshal]::SecureStringToBSTR("
        '(ConvertTo-SecureString "ab`0c" -AsPlainText -Force))\n'
        "[Runtime.InteropServices.Marshal]::PtrToStringBSTR($p).Length\n"
        "[Runtime.InteropServices.Marshal]::PtrToStringUni($p)\n"
        "$null -eq [Runtime.InteropServices.Marshal]::PtrToStringAuto(0)\n"
        "[string]$p -eq [string]$p.ToInt64()"
    )
    assert [4, "ab", True, True] == ps.invoke()


def test_the_pointer_arrives_as_an_intptr(lab_pool: RunspacePool) -> None:
    """An IntPtr is serialised as an Obj of System.IntPtr whose ToString is the address."""
    ps = PowerShell(lab_pool)
    ps.add_script(
        "[Runtime.InteropServices.Marshal]::SecureStringToBSTR("
        "(ConvertTo-SecureString x -AsPlainText -Force))"
    )
    [pointer] = ps.invoke()
    assert ["System.IntPtr", "System.ValueType", "System.Object"] == pointer.types
    assert str(pointer).isdigit()


@pytest.mark.parametrize(
    "read",
    [
        "$p = [Runtime.InteropServices.Marshal]::SecureStringToBSTR("
        "(ConvertTo-SecureString x -AsPlainText -Force))\n"
        "[Runtime.InteropServices.Marshal]::ZeroFreeBSTR($p)\n"
        "[Runtime.InteropServices.Marshal]::PtrToStringAuto($p)",
        "[Runtime.InteropServices.Marshal]::PtrToStringAuto(12345)",
    ],
    ids=["after-ZeroFreeBSTR", "an-arbitrary-int"],
)
def test_memory_the_lab_did_not_allocate_is_refused(lab_pool: RunspacePool, read: str) -> None:
    """A freed BSTR or a number is not read as text: the script fails as unsupported."""
    ps = PowerShell(lab_pool)
    ps.add_script(read)
    ps.invoke()
    assert PSInvocationState.FAILED == ps.state or ps.had_errors
    assert "unsupported construct" in str(ps.streams.error[0])
