"""A leading ``~`` in a provider command's ``-Path`` is the user's home, and the folders of
the user's profile are there for the commands that only read before the lab makes them.

about_Providers: the tilde stands for the provider's home (FileSystem: ``$HOME``);
Windows makes the profile at the user's first logon, the lab at the first write below
it, so a read-only run leaves the lab as it was.
"""

from __future__ import annotations

from psrunbook.sim.lab.lab_files import dump, sample_lab
from tests.unit.sim.lab.scripts import run_on


def _run(script: str) -> list[object]:
    result = run_on(sample_lab(), script)
    assert result.failed is None, result.failed
    assert [] == result.errors, [e.message for e in result.errors]
    return result.output


def test_a_leading_tilde_is_the_users_home() -> None:
    assert ["C:\\Users\\admin", True, True, "C:\\Users\\admin\\Documents", "1"] == _run(
        "(Get-Item ~).FullName; Test-Path ~; Test-Path ~\\AppData -PathType Container\n"
        "(Resolve-Path ~/Documents).Path\n"
        "Set-Content ~\\a.txt 1; Get-Content ~\\a.txt"
    )


def test_a_tilde_inside_a_name_or_a_literal_path_is_a_name() -> None:
    result = run_on(sample_lab(), "Get-Item ~x; Get-Item -LiteralPath ~; 'after'")
    assert ["after"] == result.output
    assert [
        "Cannot find path '~x' because it does not exist.",
        "Cannot find path '~' because it does not exist.",
    ] == [e.message for e in result.errors]


def test_reading_the_profile_folders_finds_them_and_changes_nothing() -> None:
    lab = sample_lab()

    def state() -> dict[str, object]:
        return {k: v for k, v in dump(lab).items() if k != "faults"}  # counts pipelines

    before = state()
    result = run_on(
        lab,
        "Test-Path .; @(Get-ChildItem).Count; (Get-Item $env:TEMP).FullName\n"
        "Test-Path C:\\Users\\admin\\Nope",
    )
    assert (None, []) == (result.failed, result.errors)
    assert [True, 0, "C:\\Users\\admin\\AppData\\Local\\Temp", False] == result.output
    assert before == state()


def test_a_session_has_the_host_processs_environment() -> None:
    """With the user's profile loaded, ``$env:`` is the block a WinRS process gets too:
    the user's own folders and Windows' Path; cmd.exe's PROMPT is not in it."""
    assert [
        "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
        "C:\\Users\\admin\\AppData\\Roaming",
        "C:\\Users\\admin\\AppData\\Local",
        "C:\\Users\\admin\\AppData\\Local\\Temp",
        "C:\\Users\\admin",
        True,
    ] == _run(
        "$env:Path; $env:APPDATA; $env:LOCALAPPDATA; $env:TMP; $env:USERPROFILE\n"
        "$null -eq $env:PROMPT"
    )
