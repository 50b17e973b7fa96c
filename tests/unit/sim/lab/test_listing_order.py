"""The order Windows PowerShell 5.1 lists things in: ``Get-ChildItem -Recurse`` writes a
folder's whole listing before it descends (FileSystemProvider.Dir), ``Get-Process`` sorts
by process name, then id (ProcessBaseCommand.MatchingProcesses)."""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import Service, SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import run_on

TREE = (
    "$null = New-Item C:\\X\\B\\Deep -ItemType Directory -Force; "
    "$null = New-Item C:\\X\\C -ItemType Directory; "
    "Set-Content C:\\X\\z.txt 'z'; Set-Content C:\\X\\a.txt 'a'; "
    "Set-Content C:\\X\\B\\b1.txt 'b'; Set-Content C:\\X\\B\\Deep\\d.txt 'd'; "
    "Set-Content C:\\X\\C\\c1.txt 'c'; "
)


def lines(lab: SimCluster, script: str) -> list[object]:
    result = run_on(lab, script)
    assert (result.errors, result.failed) == ([], None)
    return result.output


def test_recurse_lists_a_folder_before_its_subfolders() -> None:
    """Folders, then files, of C:\\X; then all of B (and B\\Deep after B's own items);
    then C. A depth-first walk would put B\\Deep right after B."""
    assert [
        "C:\\X\\B",
        "C:\\X\\C",
        "C:\\X\\a.txt",
        "C:\\X\\z.txt",
        "C:\\X\\B\\Deep",
        "C:\\X\\B\\b1.txt",
        "C:\\X\\B\\Deep\\d.txt",
        "C:\\X\\C\\c1.txt",
    ] == lines(sample_lab(), TREE + "(Get-ChildItem C:\\X -Recurse).FullName")


def test_recurse_with_name_gives_relative_paths_in_the_same_order() -> None:
    assert [
        "B",
        "C",
        "a.txt",
        "z.txt",
        "B\\Deep",
        "B\\b1.txt",
        "B\\Deep\\d.txt",
        "C\\c1.txt",
    ] == lines(sample_lab(), TREE + "Get-ChildItem C:\\X -Recurse -Name")


def test_recurse_with_a_filter_keeps_the_order_of_the_walk() -> None:
    """The filter selects what is written; the walk still enters every folder."""
    assert ["a.txt", "z.txt", "B\\b1.txt", "B\\Deep\\d.txt", "C\\c1.txt"] == lines(
        sample_lab(), TREE + "Get-ChildItem C:\\X -Recurse -Filter *.txt -Name"
    )


def process_lab() -> SimCluster:
    """NODE1 with service processes whose ids run against their names' order, two of
    one image, and names that sort differently in upper and lower case (``_``)."""
    lab = sample_lab()
    services = lab.node("NODE1").services
    for name, pid, image in [
        ("SvcA", 300, "C:\\Windows\\System32\\svchost.exe"),
        ("SvcB", 120, "C:\\Windows\\System32\\svchost.exe"),
        ("Under", 200, "C:\\Tools\\a_b.exe"),
        ("Plain", 900, "C:\\Tools\\aab.exe"),
        ("Cluster", 5000, "C:\\Windows\\Cluster\\clussvc.exe"),
    ]:
        services[name] = Service(name=name, display_name=name, pid=pid, image_path=image)
    return lab


NAMES_AND_IDS = "ForEach-Object { '{0} {1}' -f $_.ProcessName, $_.Id }"


def test_get_process_sorts_by_name_ignoring_case_then_by_id() -> None:
    """OrdinalIgnoreCase compares upper-cased names: 'AAB' before 'A_B' ('A' < '_')."""
    assert [
        "aab 900",
        "a_b 200",
        "clussvc 5000",
        "MsDtsSrvr 1001",
        "svchost 120",
        "svchost 300",
    ] == lines(process_lab(), f"Get-Process | {NAMES_AND_IDS}")


def test_get_process_by_id_sorts_too() -> None:
    """The ids' order does not matter; a repeated id is one process; an unknown id is
    still an error."""
    result = run_on(process_lab(), f"Get-Process -Id 5000, 300, 7, 900, 300 | {NAMES_AND_IDS}")
    assert ["aab 900", "clussvc 5000", "svchost 300"] == result.output
    (error,) = result.errors
    assert "Cannot find a process with the process identifier 7." == error.message


def test_get_process_by_name_pattern_sorts_by_name() -> None:
    """Not by the patterns' order ("s*" first), nor by id."""
    assert ["MsDtsSrvr 1001", "svchost 120", "svchost 300"] == lines(
        process_lab(), f"Get-Process -Name s*, m* | {NAMES_AND_IDS}"
    )


def test_get_process_by_a_name_that_matches_nothing_is_an_error() -> None:
    """Windows writes NoProcessFoundForGivenName for a name without wildcards that finds
    no process (the lab wrote nothing, so ``-ErrorVariable`` checks never saw it); a
    pattern that matches nothing is silent, and the found processes still come."""
    result = run_on(process_lab(), f"Get-Process -Name nope, svc*, aab, x* | {NAMES_AND_IDS}")
    assert ["aab 900", "svchost 120", "svchost 300"] == result.output
    (error,) = result.errors
    assert (
        'Cannot find a process with the name "nope". Verify the process name and call the'
        " cmdlet again.",
        "NoProcessFoundForGivenName,Microsoft.PowerShell.Commands.GetProcessCommand",
        "ObjectNotFound",
    ) == (error.message, error.fully_qualified_error_id, error.category)
