"""``Set-Location`` (``cd``) on a lab node: the runspace's FileSystem location moves, and
relative paths, ``$PWD`` and ``Get-Location`` follow it."""

from __future__ import annotations

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import output_of, run_on


def test_absolute_relative_parent_home_and_provider_paths() -> None:
    """``cd C:`` is drive C's current location, which PowerShell keeps per drive
    (about_Locations; Set-Location's example 3)."""
    assert [
        "C:\\Windows",
        "C:\\Windows\\Temp",
        "C:\\Windows",
        "C:\\Users\\admin",
        "C:\\Users\\admin\\Documents",
        "C:\\Windows\\Temp",
        "C:\\Windows\\Temp",
    ] == output_of(
        "Set-Location C:\\Windows; $PWD.Path\n"
        "cd Temp; (Get-Location).Path\n"
        "sl ..; (pwd).Path\n"
        "cd ~; (pwd).Path\n"
        "chdir Documents; (pwd).Path\n"
        "Set-Location -LiteralPath 'Microsoft.PowerShell.Core\\FileSystem::C:\\Windows\\Temp'\n"
        "(pwd).Path; cd C:; (pwd).Path"
    )


def test_relative_paths_of_cmdlets_follow_the_location_and_pass_thru_answers_it() -> None:
    assert ["C:\\Windows\\Temp\\here.txt", "C:\\WINDOWS\\Temp"] == output_of(
        "cd C:\\Windows\\Temp; Set-Content here.txt x; (Get-Item here.txt).FullName\n"
        "(Set-Location c:\\WINDOWS\\Temp -PassThru).Path"
    )


def test_a_missing_folder_is_an_error_and_the_location_stays() -> None:
    result = run_on(sample_lab(), "cd C:\\Windows; cd C:\\nope; (pwd).Path")
    assert ["C:\\Windows"] == result.output
    (error,) = result.errors
    assert (
        "Cannot find path 'C:\\nope' because it does not exist.",
        "PathNotFound,Microsoft.PowerShell.Commands.SetLocationCommand",
        "ObjectNotFound",
    ) == (error.message, error.fully_qualified_error_id, error.category)


def test_another_providers_location_and_wildcards_are_refused_by_name() -> None:
    for script in ("Set-Location HKLM:\\SOFTWARE", "cd Env:\\Path", "cd C:\\Win*"):
        failed = run_on(sample_lab(), script).failed
        assert failed is not None and "Set-Location to" in failed.message, script


def test_a_session_state_providers_root_is_a_location() -> None:
    """pypsrp 1.0's ``invoke_ps(cwd="Variable:/")``: Get-Item of the root, then
    Set-Location to its PSPath; its test, taken from Windows, reads ``$pwd.Path`` as
    the provider-qualified root. A drive-qualified root shows as the drive's root; a
    FileSystem path brings the location back."""
    assert [
        True,
        "Microsoft.PowerShell.Core\\Variable::",
        "Variable",
        "Microsoft.PowerShell.Core\\Variable::",
        "Variable",
        "Env:\\",
        "Env",
        "Environment",
        "C:\\Windows",
    ] == output_of(
        "$item = Get-Item -LiteralPath 'Variable:/' -Force -ErrorAction SilentlyContinue\n"
        "[bool]$item; $item.PSPath; $item.PSProvider.Name\n"
        "Set-Location -LiteralPath $item.PSPath; $pwd.Path; (Get-Location).Provider.Name\n"
        "cd Env:; $PWD.Path; $PWD.Drive.Name; $PWD.Provider.Name\n"
        "cd C:\\Windows; $PWD.Path"
    )


def test_at_a_providers_root_relative_locations_and_other_providers_items_are_refused() -> None:
    """There a bare name is that provider's item (a function's, which the lab does not
    model, at ``Function:\\``), and a relative location is not resolved: refused by name,
    never resolved below the old folder."""
    for command in ("Get-Item foo", "cd ..", "Get-ChildItem", "cd ~"):
        failed = run_on(sample_lab(), f"cd C:\\Windows; cd Function:\\; {command}").failed
        assert failed is not None, command
        assert "Function:" in failed.message, (command, failed.message)


def test_at_the_variable_drive_a_bare_name_is_a_variable() -> None:
    result = run_on(
        sample_lab(), "$here = 1; cd Variable:\\; (Get-Item here).Value; Get-Item nope"
    )
    assert [1] == result.output
    assert ["Cannot find path 'Variable:\\nope' because it does not exist."] == [
        e.message for e in result.errors
    ]


def test_environment_current_directory_is_set_apart_from_the_location() -> None:
    result = run_on(
        sample_lab(),
        "[Environment]::CurrentDirectory = 'C:\\Windows'; [Environment]::CurrentDirectory\n"
        "(pwd).Path -eq 'C:\\Windows'\n"
        "[Environment]::CurrentDirectory = 'C:\\nope'; [Environment]::CurrentDirectory",
    )
    assert ["C:\\Windows", False, "C:\\Windows"] == result.output
    (error,) = result.errors
    assert "Could not find a part of the path 'C:\\nope'." in error.message


def test_an_items_provider_is_a_provider_info() -> None:
    """``$item.PSProvider`` is a ProviderInfo (Name ``FileSystem``, shown as
    ``Microsoft.PowerShell.Core\\FileSystem``), as pypsrp 1.0's cwd script reads it; the
    lab gave the text, whose ``.Name`` was ``$null``."""
    assert ["FileSystem", "Microsoft.PowerShell.Core\\FileSystem", "Registry"] == output_of(
        "$i = Get-Item C:\\Windows; $i.PSProvider.Name; \"$($i.PSProvider)\"\n"
        "(Get-Item HKLM:\\SOFTWARE).PSProvider.Name"
    )


def test_a_drive_alone_is_that_drives_current_location() -> None:
    """Set-Location's example 3 (5.1 reference): from HKLM:\\ (here a session-state
    provider's root), ``Set-Location C:`` returns to C:\\Windows; the provider commands
    read ``C:`` as the location on that drive too."""
    assert ["C:\\Windows", "C:\\Windows", "C:\\", "C:\\"] == output_of(
        "cd C:\\Windows; cd Env:\\; cd C:; $PWD.Path; (Get-Item C:).FullName\n"
        "cd C:\\; cd C:; $PWD.Path; (Get-Item C:).FullName"
    )
