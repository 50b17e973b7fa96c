"""What Get-Content writes is text with the provider's notes (PowerShell's
``ContentCommandBase.WriteContentObject``): a variable or a hashtable keeps them, a new
string does not, and Windows PowerShell 5.1's ConvertTo-Json writes such text as an object
of them (PowerShell issue 5797), which the lab refuses by name. ssis-standalone's
write-config step put Get-Content's text in its result's JSON: on a real node the
``Before`` of its file change arrived as an object, so the plan's diff and the text the
undo restores were lost; the lab ran it as a plain string."""

from __future__ import annotations

import json

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import lab_facts, sample_lab
from tests.unit.sim.lab.scripts import output_of, run_on
from tests.unit.sim.lab.test_hidden_files import _standalone_steps, run_on_step

_WRITE = "Set-Content -LiteralPath C:\\notes.txt -Value 'one','two' -Encoding UTF8\n"


def _text_on(lab: SimCluster, script: str) -> str:
    """The one text ``script`` writes on NODE1 of ``lab``, without an error."""
    result = run_on(lab, script)
    assert result.failed is None, result.failed
    (text,) = result.output
    return str(text)


def test_get_content_text_carries_the_provider_notes() -> None:
    assert [
        "Microsoft.PowerShell.Core\\FileSystem::C:\\notes.txt",
        "Microsoft.PowerShell.Core\\FileSystem::C:\\",
        "notes.txt",
        "FileSystem",
        1,
        2,
        "Int64",
    ] == output_of(
        _WRITE + "$raw = Get-Content -LiteralPath C:\\notes.txt -Raw\n"
        "$raw.PSPath; $raw.PSParentPath; $raw.PSChildName; $raw.PSProvider.Name\n"
        "$lines = Get-Content -LiteralPath C:\\notes.txt\n"
        "$lines[0].ReadCount; $lines[1].ReadCount; $lines[1].ReadCount.GetType().Name\n"
    )


def test_a_new_string_leaves_the_notes_behind() -> None:
    assert [True, True, True, "one"] == output_of(
        _WRITE + "$line = (Get-Content -LiteralPath C:\\notes.txt)[0]\n"
        "$null -eq ([string]$line).PSPath\n"
        "$null -eq $line.Trim().PSPath\n"
        '$null -eq "$line".PSPath\n'
        "$line\n"
    )


@pytest.mark.parametrize(
    "conversion",
    [
        "ConvertTo-Json -InputObject ([ordered]@{ Before = $raw }) -Compress",
        "$raw | ConvertTo-Json",
        "ConvertTo-Json -InputObject @(@{ Before = $raw }) -Depth 8",
    ],
)
def test_convertto_json_of_get_content_text_is_refused_by_name(conversion: str) -> None:
    result = run_on(
        sample_lab(), _WRITE + f"$raw = Get-Content -LiteralPath C:\\notes.txt -Raw\n{conversion}\n"
    )
    assert result.failed is not None
    assert "ConvertTo-Json of text Get-Content wrote" in result.failed.message
    assert "[string](Get-Content ...)" in result.failed.message


def test_convertto_json_of_the_text_as_a_string_is_the_text() -> None:
    (text,) = output_of(
        _WRITE + "$raw = [string](Get-Content -LiteralPath C:\\notes.txt -Raw)\n"
        "ConvertTo-Json -InputObject ([ordered]@{ Before = $raw }) -Compress\n"
    )
    assert {"Before": "one\r\ntwo\r\n"} == json.loads(str(text))


def test_ssis_standalone_reports_the_installed_file_text_as_its_before() -> None:
    """The write-config step rewrites the installed MsDtsSrvr.ini.xml on its first run:
    its result's file change holds the file's text as it was (before the template read it
    as a plain string, the lab refused the step's ConvertTo-Json)."""
    lab = sample_lab(nodes=1)
    config = lab_facts(lab).ssis_default_config
    installed = _text_on(lab, f"[string](Get-Content -LiteralPath '{config}' -Raw)")
    (write,) = [s for s in _standalone_steps() if s.step.name == "write-config"]
    result = run_on_step(lab, write.script.text, {**dict(write.arguments), "CheckOnly": True})
    assert result.failed is None, result.failed
    (change,) = json.loads(result.output[-1].properties["Data"])["FileChanges"]
    assert installed == change["Before"]


def test_get_member_lists_the_notes_beside_the_string_members() -> None:
    (names,) = output_of(
        _WRITE + "$line = (Get-Content -LiteralPath C:\\notes.txt)[0]\n"
        "($line | Get-Member -MemberType NoteProperty | ForEach-Object { $_.Name }) -join ','\n"
    )
    assert "PSChildName,PSDrive,PSParentPath,PSPath,PSProvider,ReadCount" == names
