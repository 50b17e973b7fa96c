"""Numbers and services as Windows serialises them, read through real pypsrp 0.9.1."""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell

pytestmark = pytest.mark.integration


def test_overflow_and_measure_object_sums_arrive_as_doubles(lab_pool):
    """`[int]::MaxValue + 1` and Measure-Object -Sum are Doubles (Db), counts Int32."""
    ps = PowerShell(lab_pool)
    ps.add_script("[int]::MaxValue + 1; (1, 2, 3 | Measure-Object -Sum).Sum; 1 + 1; [int]2.5")
    big, total, two, rounded = ps.invoke()
    assert (2147483648.0, float) == (big, type(big))
    assert (6.0, float) == (total, type(total))
    assert (2, int) == (two, type(two))
    assert 2 == rounded


def test_get_service_is_a_service_controller(lab_pool):
    """pypsrp's Get-Service scenario: type names, ToString, adapted Status/StartType enums."""
    ps = PowerShell(lab_pool)
    ps.add_script("Get-Service -Name WinRM")
    [service] = ps.invoke()
    assert [
        "System.ServiceProcess.ServiceController",
        "System.ComponentModel.Component",
        "System.MarshalByRefObject",
        "System.Object",
    ] == service.types
    # ToString is the ServiceName as typed (types.ps1xml; pypsrp 0.9.1's recorded
    # test_psrp_multiple_commands.yml: <ToString>winrm</ToString>).
    assert "WinRM" == str(service)
    assert "WinRM" == service.extended_properties["Name"]
    status = service.adapted_properties["Status"]
    assert "Running" == str(status)
    assert "System.ServiceProcess.ServiceControllerStatus" == status.types[0]
    assert (
        "System.ServiceProcess.ServiceStartMode"
        == (service.adapted_properties["StartType"].types[0])
    )


def test_a_byte_array_travels_as_ba_both_ways(lab_pool) -> None:
    """A byte[] is ``<BA>`` (base64) on the wire in both directions, as PowerShell
    serialises it (pypsrp 1.0's copy_file sends the file as byte[] pipeline input to a
    ``[byte[]]`` parameter, fetch_file reads byte[] output); the lab wrote a list of
    numbers and passed received bytes on as an unknown value."""
    ps = PowerShell(lab_pool)
    ps.add_script(
        "param([Parameter(ValueFromPipeline=$true)][byte[]]$Chunk)\n"
        "process { $Chunk.GetType().FullName; $Chunk.Count; ,([byte[]]($Chunk[0..1])) }"
    )
    output = ps.invoke([b"\x00\x01\xff"])
    assert not ps.had_errors, [str(e) for e in ps.streams.error]
    assert ["System.Byte[]", 3, b"\x00\x01"] == output


def test_get_content_text_arrives_as_a_string_with_its_notes(lab_pool) -> None:
    """Get-Content's text is a String with the provider's notes, which Windows writes as
    ``<Obj><S>text</S><MS>notes</MS></Obj>`` (``WritePrimitiveTypePSObjectWithNotes``):
    pypsrp reads an object whose property set is the text and whose extended properties
    are the notes, not a str. A new string is a plain ``<S>``."""
    ps = PowerShell(lab_pool)
    ps.add_script(
        "Set-Content -LiteralPath C:\\wire.txt -Value 'one' -Encoding UTF8\n"
        "Get-Content -LiteralPath C:\\wire.txt -Raw\n"
        "[string](Get-Content -LiteralPath C:\\wire.txt -Raw)"
    )
    noted, plain = ps.invoke()
    assert ["one\r\n"] == noted.property_sets
    assert "Microsoft.PowerShell.Core\\FileSystem::C:\\wire.txt" == (
        noted.extended_properties["PSPath"]
    )
    assert "wire.txt" == noted.extended_properties["PSChildName"]
    assert 1 == noted.extended_properties["ReadCount"]
    assert "one\r\n" == plain
