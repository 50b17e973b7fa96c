"""``[System.IO.File]::Open(path, mode, access, share)`` on a lab node (pypsrp 1.0's
``fetch_file`` tests make an empty file with ``Open(p, 'Create', 'Write', 'None')``)."""

from __future__ import annotations

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import run_on

PATH = "$p = 'C:\\Windows\\Temp\\opened.bin'\n"


def test_create_writes_through_the_stream_and_open_reads_it_back() -> None:
    script = PATH + (
        "$w = [System.IO.File]::Open($p, 'Create', 'Write', 'None')\n"
        "$w.Write([byte[]](7, 8, 9), 0, 3); $w.Dispose()\n"
        "$r = [System.IO.File]::Open($p, 'Open', 'Read', 'Read')\n"
        "$buffer = New-Object byte[] 4; $r.Read($buffer, 0, 4); $r.Close(); $buffer[0..2]\n"
        "$e = [System.IO.File]::Open($p, 'Create', 'Write', 'None'); $e.Dispose()\n"
        "(Get-Item $p).Length"
    )
    result = run_on(sample_lab(), script)
    assert result.failed is None, result.failed
    assert [3, 7, 8, 9, 0] == result.output


def test_create_new_of_an_existing_file_is_dotnets_io_exception() -> None:
    script = PATH + "[System.IO.File]::WriteAllText($p, 'x')\n" + (
        "[System.IO.File]::Open($p, 'CreateNew', 'Write'); 'after'"
    )
    result = run_on(sample_lab(), script)
    assert ["after"] == result.output
    (error,) = result.errors
    assert (
        'Exception calling "Open" with "3" argument(s): "The file '
        "'C:\\Windows\\Temp\\opened.bin' already exists.\"",
        "IOException",
    ) == (error.message, error.error_id)


def test_modes_the_lab_does_not_model_are_refused_by_name() -> None:
    result = run_on(sample_lab(), PATH + "[System.IO.File]::Open($p, 'Append', 'Write')")
    assert result.failed is not None
    assert "with mode Append and access Write" in result.failed.message
