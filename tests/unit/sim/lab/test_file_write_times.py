"""A file written again with the same text is dated anew, as on Windows.

``Set-Content`` opens the file for writing (FileMode.Create) whatever it holds, so its
LastWriteTime is the time of that write. The lab kept the old time when the bytes were the
same, so a script that rewrites a file to mark when it was last put in place (the SSIS
shared-config step after it grants Read) saw no change.
"""

from __future__ import annotations

from tests.unit.sim.lab.scripts import output_of


def test_the_same_text_written_again_gets_a_later_write_time() -> None:
    first, second, text = output_of(
        "Set-Content -LiteralPath C:\\Windows\\Temp\\a.txt -Value same -NoNewline\n"
        "(Get-Item -LiteralPath C:\\Windows\\Temp\\a.txt).LastWriteTimeUtc.Ticks\n"
        "Start-Sleep -Seconds 2\n"
        "Set-Content -LiteralPath C:\\Windows\\Temp\\a.txt -Value same -NoNewline\n"
        "(Get-Item -LiteralPath C:\\Windows\\Temp\\a.txt).LastWriteTimeUtc.Ticks\n"
        "Get-Content -LiteralPath C:\\Windows\\Temp\\a.txt"
    )
    assert "same" == text
    assert isinstance(first, int) and isinstance(second, int)
    assert second > first
