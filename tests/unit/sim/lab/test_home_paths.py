"""A leading ``~`` in a provider command's ``-Path`` is the user's home, and the folders of
the user's profile are there for the commands that only read before the lab makes them.

about_Providers: the tilde stands for the provider's home (FileSystem: ``$HOME``);
Windows makes the profile at the user's first logon, the lab at the first write below
it, so a read-only run leaves the lab as it was.
"""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import dump, sample_lab
from tests.unit.sim.lab.scripts import output_of, run_on


def test_a_leading_tilde_is_the_users_home() -> None:
    assert ["C:\\Users\\admin", True, True, "C:\\Users\\admin\\Documents", "1"] == output_of(
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


def _state(lab: SimCluster) -> dict[str, object]:
    """The lab's saved state but its fault counters (which count pipelines)."""
    return {k: v for k, v in dump(lab).items() if k != "faults"}


def test_reading_the_profile_folders_finds_them_and_changes_nothing() -> None:
    lab = sample_lab()
    before = _state(lab)
    result = run_on(
        lab,
        "Test-Path .; @(Get-ChildItem).Count; (Get-Item $env:TEMP).FullName\n"
        "Test-Path C:\\Users\\admin\\Nope",
    )
    assert (None, []) == (result.failed, result.errors)
    assert [True, 0, "C:\\Users\\admin\\AppData\\Local\\Temp", False] == result.output
    assert before == _state(lab)


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
    ] == output_of(
        "$env:Path; $env:APPDATA; $env:LOCALAPPDATA; $env:TMP; $env:USERPROFILE\n"
        "$null -eq $env:PROMPT"
    )


def test_without_the_profile_loaded_its_folders_are_not_there_until_made() -> None:
    """A session created with ``WINRS_NOPROFILE``: Windows loaded no profile, so a user who
    never logged on has none; the lab does not pretend the folders are there."""
    result = run_on(
        sample_lab(),
        "$env:USERPROFILE; Test-Path C:\\Users\\admin\\Documents; Test-Path C:\\Users\\admin",
        profile_loaded=False,
    )
    assert (None, []) == (result.failed, result.errors)
    assert ["C:\\Windows\\system32\\config\\systemprofile", False, False] == result.output


def test_without_the_profile_loaded_dotnet_and_set_location_do_not_find_or_make_it() -> None:
    """The .NET file view and the writing item commands follow the session too:
    ``Set-Location`` to the user's Documents is not found, and a .NET or ``Set-Content``
    write there finds no folder (both used to make the profile, as for a session that
    loaded it)."""
    lab = sample_lab()
    before = _state(lab)
    result = run_on(
        lab,
        "Set-Location C:\\Users\\admin\\Documents\n"
        "[IO.File]::WriteAllText('C:\\Users\\admin\\Documents\\x.txt', 'a')\n"
        "Set-Content -Path C:\\Users\\admin\\Documents\\y.txt -Value a\n"
        "Test-Path C:\\Users\\admin",
        profile_loaded=False,
    )
    assert [False] == result.output
    assert [
        "Cannot find path 'C:\\Users\\admin\\Documents' because it does not exist.",
        'Exception calling "WriteAllText" with "2" argument(s): "Could not find a part of '
        "the path 'C:\\Users\\admin\\Documents\\x.txt'.\"",
        "Could not find a part of the path 'C:\\Users\\admin\\Documents\\y.txt'.",
    ] == [e.message for e in result.errors]
    assert before == _state(lab)
    loaded = run_on(lab, "Set-Location C:\\Users\\admin\\Documents; $PWD.Path")
    assert ["C:\\Users\\admin\\Documents"] == loaded.output


def test_userdomain_is_the_accounts_domain() -> None:
    """The lab's session user is a domain account (``SIMLAB\\admin``): USERDOMAIN is its
    domain, as ``whoami`` shows it (it was the node's name)."""
    assert ["SIMLAB", "simlab\\admin"] == output_of("$env:USERDOMAIN; whoami")
