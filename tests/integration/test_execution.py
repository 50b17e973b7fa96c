"""End to end: the real CLI runs the shipped runbooks over pypsrp against the --sim lab.

Each test starts from an empty state directory, so the lab is created fresh, served on
loopback ports chosen by the OS, and saved to ``sim/lab.json`` when the command ends;
assertions read that saved state and the journal, never the product's own report alone.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lxml import etree

from psrunbook.sim.lab.cluster_faults import clear_resource_fault
from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.embedded import EmbeddedLab
from psrunbook.sim.lab.lab_files import LabSpec, build_lab, restore, sample_lab, save

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PSRUNBOOK = str(Path(sys.executable).with_name("psrunbook"))
SSIS_RESOURCE = "SQL Server Integration Services"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


def _registry_value(node: dict[str, Any], key: str) -> Any:
    for entry in node["registry"]:
        if fold(entry["path"]) == fold(key):
            return {v["name"]: v["data"] for v in entry["values"]}.get("")
    return None


def _file(volume: dict[str, Any], path: str) -> bytes:
    """A file of a dumped volume by its Windows path (``S:\\SSIS\\x.xml``)."""
    entry = volume["entries"][fold(path.split(":\\", 1)[1])]
    assert not entry["is_dir"]
    return base64.b64decode(entry["data"])


def _top_level_folders(document: bytes) -> list[etree._Element]:
    return list(etree.fromstring(document).iterfind("TopLevelFolders/Folder"))


def _folders(document: bytes) -> dict[str, dict[str, str]]:
    """MsDtsSrvr.ini.xml's top-level folders: xsi:type -> {child tag: text}."""
    return {
        str(folder.get(XSI_TYPE)): {str(child.tag): child.text or "" for child in folder}
        for folder in _top_level_folders(document)
    }


def _server_names(document: bytes) -> list[str]:
    return [
        folder.findtext("ServerName", "")
        for folder in _top_level_folders(document)
        if folder.get(XSI_TYPE) == "SqlServerFolder"
    ]


def _per_node(change_log: list[list[str]]) -> dict[str, list[tuple[str, str]]]:
    """A lab change log as each node saw it: (cmdlet, target) in order, per node.

    Steps that run on every node run in parallel, so the interleaving of nodes in the
    cluster-wide log depends on which finishes first; the order on one node does not.
    Comparing lists per node states what matters (the same changes, in the same order,
    each once), never which thread won.
    """
    nodes: dict[str, list[tuple[str, str]]] = {}
    for cmdlet, node, target in change_log:
        nodes.setdefault(node, []).append((cmdlet, target))
    return nodes


def _rows(text: str, title: str) -> dict[str, list[str]]:
    """The rows of the console table titled ``title``, keyed by their first cell.

    Rich wraps a long cell onto continuation lines whose first cell is empty; those are
    joined back, so each value reads as the script reported it.
    """
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        if rows and not cells[0]:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    return {row[0]: row[1:] for row in rows}


def _seed_lab(psrunbook: Psrunbook, lab: LabSpec | SimCluster | None = None) -> None:
    """Create the state directory's lab before the first command, as `--sim` would."""
    if lab is None:
        with EmbeddedLab(psrunbook.state_dir):
            return
    directory = psrunbook.lab_file.parent
    directory.mkdir(parents=True, mode=0o700)
    save(build_lab(lab) if isinstance(lab, LabSpec) else lab, psrunbook.lab_file)
    (directory / "lab-id").write_text("seeded-lab\n", encoding="utf-8")


def _flip_one_byte(path: Path) -> None:
    """Change the case of one letter: the same PowerShell, yet not the approved bytes."""
    data = bytearray(path.read_bytes())
    index = data.index(b"param")
    data[index] ^= 0x20
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------- runs


def test_readme_first_command_works_as_a_fresh_install(tmp_path: Path) -> None:
    """`psrunbook run ssis-clustered --sim --yes` as a process: exit 0, 7 changes, JSON logs."""
    state_dir = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSRUNBOOK_")}
    env["PSRUNBOOK_STATE_DIR"] = str(state_dir)

    done = subprocess.run(
        [PSRUNBOOK, "run", "ssis-clustered", "--sim", "--yes"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )

    assert 0 == done.returncode, done.stderr
    assert "succeeded: 9 step/node pair(s) changed" == done.stdout.strip().splitlines()[-1]
    assert ["run.started", "run.finished"] == [
        event["event"]["action"]
        for event in map(json.loads, done.stderr.splitlines())
        if event["event"].get("action", "").startswith("run.")
    ]
    assert (state_dir / "journal.sqlite3").is_file()
    assert (state_dir / "sim" / "lab.json").is_file()


@pytest.mark.all_sim_auths
def test_ssis_clustered_configures_the_lab_then_changes_nothing(psrunbook: Psrunbook) -> None:
    """A fresh run creates the SSIS resource as documented; a second run changes nothing."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes")

    state = psrunbook.lab()
    facts = state["lab"]
    resource = _by_name(state["resources"])[SSIS_RESOURCE]
    assert "Generic Service" == resource["type"]
    assert facts["group"] == resource["group"]
    assert (
        "MsDtsServer150" == {p["name"]: p["value"] for p in resource["parameters"]}["ServiceName"]
    )
    assert ["NODE1", "NODE2"] == sorted(resource["possible_owners"])
    assert [[facts["sql_resource"]], [facts["disk_resource"]]] == resource["dependencies"]
    assert [facts["ssis_config_key"]] == resource["checkpoints"]
    assert "Online" == resource["state"]

    shared = state["shared_volumes"][0]
    folders = _folders(_file(shared, "S:\\SSIS\\MsDtsSrvr.ini.xml"))
    assert {"Name": "MSDB", "ServerName": "SQLVS01"} == folders["SqlServerFolder"]
    assert "S:\\SSIS\\Packages" == folders["FileSystemFolder"]["StorePath"]
    assert shared["entries"][fold("SSIS\\Packages")]["is_dir"]
    for node in state["nodes"]:
        assert "S:\\SSIS\\MsDtsSrvr.ini.xml" == _registry_value(node, facts["ssis_config_key"])

    first_run = psrunbook.last_run()
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    second_run = psrunbook.last_run()
    assert first_run.run_id != second_run.run_id
    attempts = psrunbook.attempts(second_run.run_id)
    # preflight, config-registry, service-manual and verify on both nodes, the rest on one
    assert 15 == len(attempts)
    assert [("succeeded", False)] * len(attempts) == [(a.status, a.changed) for a in attempts]
    after = psrunbook.lab()
    assert state["changes"] == after["changes"]
    assert state["change_log"] == after["change_log"]


@pytest.mark.all_sim_auths
def test_ssis_standalone_lists_every_instance_and_restarts_once(psrunbook: Psrunbook) -> None:
    """Every node's MsDtsSrvr.ini.xml lists the lab's instances; a second run restarts none."""
    _seed_lab(psrunbook, LabSpec(instances=("MSSQLSERVER", "SALES")))
    psrunbook("run", "ssis-standalone", "--sim", "--yes")
    psrunbook("run", "ssis-standalone", "--sim", "--yes")

    state = psrunbook.lab()
    config = state["lab"]["ssis_default_config"]
    for node in state["nodes"]:
        document = _file(node["volumes"][0], config)
        assert ["SQLVS01", "SQLVS01\\SALES"] == _server_names(document)
        service = _by_name(node["services"])["MsDtsServer150"]
        assert "Running" == service["status"]
    # A restart is the service's stop, then its start, each waited for with a bound.
    restarts = [c for c in state["change_log"] if c[0].startswith("ServiceController.")]
    assert [
        ["ServiceController.Start", "NODE1", "MsDtsServer150"],
        ["ServiceController.Start", "NODE2", "MsDtsServer150"],
        ["ServiceController.Stop", "NODE1", "MsDtsServer150"],
        ["ServiceController.Stop", "NODE2", "MsDtsServer150"],
    ] == sorted(restarts)
    second = psrunbook.attempts(psrunbook.last_run().run_id)
    assert 6 == len(second)
    assert {False} == {a.changed for a in second}


def test_a_fresh_lab_is_built_at_the_sql_version_asked_for(psrunbook: Psrunbook) -> None:
    """`-p sql_version=2008r2 --sim` builds a SQL Server 2008 R2 lab, whose service then runs."""
    psrunbook("run", "ssis-standalone", "--sim", "--yes", "-p", "sql_version=2008r2")

    state = psrunbook.lab()
    assert ("2008R2", "MsDtsServer100") == (
        state["lab"]["sql_version"],
        state["lab"]["ssis_service"],
    )
    assert "2008R2" == psrunbook.last_run().parameters["sql_version"]


def test_plan_changes_nothing_and_shows_what_would_change(psrunbook: Psrunbook) -> None:
    """`plan` leaves the lab's state identical and reports the steps that would change."""
    _seed_lab(psrunbook)
    before = psrunbook.lab_state()

    result = psrunbook("plan", "ssis-clustered", "--sim")

    assert before == psrunbook.lab_state()
    assert re.search(r"02-add-resource\s.*would change", result.stdout)
    details = result.stdout.split("02-add-resource on NODE1: would change", 1)[1]
    assert "    ~ Exists: false → true" == details.splitlines()[1]
    run = psrunbook.last_run()
    assert ("plan", "succeeded") == (run.mode, run.outcome)
    assert all(a.check_only for a in psrunbook.attempts(run.run_id))


def test_plan_shows_values_a_config_diff_and_what_restarts(psrunbook: Psrunbook) -> None:
    """ssis-standalone's plan: parameters as TOML, a unified diff of the config file each
    node would get, and the SSIS service it would restart on every node."""
    result = psrunbook("plan", "ssis-standalone", "--sim")
    out = result.stdout
    assert "    sql_version = '2019'" in out
    diff = out.split("02-write-config on NODE1: would change", 1)[1]
    assert re.search(r"--- C:\\.*MsDtsSrvr\.ini\.xml on NODE1 \(now\)", diff), out
    assert re.search(r"\n    -\s+<ServerName>\.</ServerName>", diff), out
    assert re.search(r"\n    \+\s+<ServerName>", diff), out
    assert "would restart MsDtsServer150 on NODE1, NODE2" in out


def test_a_failed_plan_says_plan_again_not_resume(psrunbook: Psrunbook) -> None:
    """A plan whose check fails exits 1 and suggests planning again: plans are not resumed."""
    result = psrunbook("plan", "ssis-clustered", "--sim", "-p", "group=No Such", expect=1)

    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("error: step 01-preflight failed on NODE")
    assert message.endswith("fix the cause, then plan again")
    assert ("plan", "failed") == (psrunbook.last_run().mode, psrunbook.last_run().outcome)


def test_run_bundle_refuses_one_changed_byte_and_runs_the_approved_one(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """A bundle with one byte changed is refused (exit 2, file named); the intact one runs."""
    _seed_lab(psrunbook)
    approved = tmp_path / "approved"
    exported = psrunbook(
        "export",
        "ssis-clustered",
        "-i",
        str(psrunbook.lab_file.parent / "inventory.toml"),
        "--params-file",
        str(EXAMPLES / "ssis-clustered.toml"),
        "-o",
        str(approved),
    )
    manifest_sha = exported.stdout.split("manifest sha256 ", 1)[1].split()[0]
    tampered = tmp_path / "tampered"
    shutil.copytree(approved, tampered)
    _flip_one_byte(tampered / "04-dependencies.ps1")
    before = psrunbook.lab_state()

    refused = psrunbook("run", "--bundle", str(tampered), "--sim", "--yes", expect=2)

    assert "04-dependencies.ps1" in refused.stderr
    assert "Traceback" not in refused.output
    assert before == psrunbook.lab_state()
    assert [] == psrunbook.runs()

    ran = psrunbook("run", "--bundle", str(approved), "--sim", "--yes")

    run = psrunbook.last_run()
    assert (manifest_sha, "succeeded") == (run.bundle_sha256, run.outcome)
    assert "Online" == _by_name(psrunbook.lab()["resources"])[SSIS_RESOURCE]["state"]
    finished = [line for line in ran.stderr.splitlines() if '"step.finished"' in line]
    assert finished
    assert all(f'"bundle_sha256": "{manifest_sha}"' in line for line in finished)


def test_run_bundle_expect_sha256_refuses_a_re_exported_bundle(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """--expect-sha256 pins the approved manifest: a consistent re-export granting Everyone
    is refused (exit 2, nothing run); the approved bundle runs."""
    _seed_lab(psrunbook)
    inventory = str(psrunbook.lab_file.parent / "inventory.toml")
    params = str(EXAMPLES / "ssis-clustered.toml")
    approved, other = tmp_path / "approved", tmp_path / "other"
    exported = psrunbook(
        "export", "ssis-clustered", "-i", inventory, "--params-file", params, "-o", str(approved)
    )
    manifest_sha = exported.stdout.split("manifest sha256 ", 1)[1].split()[0]
    psrunbook(
        "export", "ssis-clustered", "-i", inventory, "--params-file", params,
        "-p", "package_principals=Everyone", "-o", str(other),
    )  # fmt: skip
    psrunbook("export", "--verify", str(other))  # internally consistent
    before = psrunbook.lab_state()

    refused = psrunbook(
        "run", "--bundle", str(other), "--expect-sha256", manifest_sha, "--sim", "--yes", expect=2
    )
    without_bundle = psrunbook(
        "run", "ssis-clustered", "--expect-sha256", manifest_sha, "--sim", "--yes", expect=2
    )

    assert "is not the approved one" in refused.stderr
    assert manifest_sha in refused.stderr
    events = [json.loads(line) for line in refused.stderr.splitlines() if line.startswith("{")]
    [event] = [e for e in events if e["event"]["action"] == "bundle.refused"]
    assert ("error", "failure") == (event["log"]["level"], event["event"]["outcome"])
    assert (str(other), manifest_sha) == (
        event["psrunbook"]["bundle"],
        event["psrunbook"]["expected_sha256"],
    )
    assert "is not the approved one" in event["psrunbook"]["reason"]
    assert "--bundle" in without_bundle.stderr
    assert "Traceback" not in refused.output + without_bundle.output
    assert before == psrunbook.lab_state()
    assert [] == psrunbook.runs()
    psrunbook("run", "--bundle", str(approved), "--expect-sha256", manifest_sha, "--sim", "--yes")
    assert (manifest_sha, "succeeded") == (
        psrunbook.last_run().bundle_sha256,
        psrunbook.last_run().outcome,
    )


@pytest.mark.all_sim_auths
def test_resume_after_a_failed_step_ends_like_a_clean_run(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """A run failing at bring-online exits 1; resume re-checks, finishes, ends as a clean run."""
    clean = type(psrunbook)(tmp_path / "clean")
    clean("run", "ssis-clustered", "--sim", "--yes")
    cluster = sample_lab()
    # Armed before the resource exists (fail_resource_online needs it): every attempt fails.
    cluster.faults.fail_online[fold(SSIS_RESOURCE)] = -1
    _seed_lab(psrunbook, cluster)

    failed = psrunbook("run", "ssis-clustered", "--sim", "--yes", expect=1)

    run = psrunbook.last_run()
    assert "failed" == run.outcome
    message = failed.stderr.strip().splitlines()[-1]
    assert message.startswith("error: step 10-bring-online failed on NODE1: ")
    resume = f"psrunbook resume {run.run_id} --sim --state-dir {psrunbook.state_dir}"
    assert message.endswith(f"then `{resume}`")
    assert "Online" != _by_name(psrunbook.lab()["resources"])[SSIS_RESOURCE]["state"]
    cluster = restore(psrunbook.lab_file)
    clear_resource_fault(cluster, SSIS_RESOURCE)
    save(cluster, psrunbook.lab_file)
    applied_before = [a.attempt_id for a in psrunbook.attempts(run.run_id)]

    psrunbook("resume", run.run_id, "--sim", "--yes")

    resumed = psrunbook.last_run()
    assert (run.run_id, "succeeded", 1) == (resumed.run_id, resumed.outcome, resumed.resumes)
    new = [a for a in psrunbook.attempts(run.run_id) if a.attempt_id not in applied_before]
    assert [
        ("bring-online", True),
        ("bring-online", False),
        ("verify", False),
        ("verify", False),
    ] == [(a.step_name, a.check_only) for a in new]
    mine, theirs = psrunbook.lab_state(), clean.lab_state()
    # The only extra change is the start attempt that failed: nothing was applied twice.
    log = mine["change_log"]
    failed_start = log.index(["Start-ClusterResource", "NODE1", SSIS_RESOURCE])
    assert _per_node(theirs["change_log"]) == _per_node(
        log[:failed_start] + log[failed_start + 1 :]
    )
    for state in (mine, theirs):
        del state["faults"], state["change_log"], state["changes"]
    assert theirs == mine


def test_cluster_report_output_matches_the_lab(psrunbook: Psrunbook) -> None:
    """`cluster-report` prints exactly the lab's nodes, groups, resources and SSIS services."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    before = psrunbook.lab_state()

    out = psrunbook("run", "cluster-report", "--sim", "--yes").stdout

    state = psrunbook.lab_state()
    assert before == state
    owners = {g["name"]: g["owner"] for g in state["groups"]}
    assert {n["name"]: [n["state"]] for n in state["nodes"]} == _rows(out, "Nodes of SIMCLUSTER")
    assert {name: [owner, "Online"] for name, owner in owners.items()} == _rows(out, "Groups")
    assert {
        r["name"]: [
            r["type"],
            r["state"],
            r["group"],
            owners[r["group"]],
            ", ".join(r["possible_owners"]),
            " and ".join(f"[{provider}]" for (provider,) in r["dependencies"]),
            ", ".join(r["checkpoints"]),
        ]
        for r in state["resources"]
    } == _rows(out, "Resources")
    ssis = state["lab"]["ssis_service"]
    assert {
        n["name"]: [
            ssis,
            _by_name(n["services"])[ssis]["status"],
            _by_name(n["services"])[ssis]["start_type"],
            _registry_value(n, state["lab"]["ssis_config_key"]),
        ]
        for n in state["nodes"]
    } == _rows(out, "SSIS services")


def test_runs_and_runs_show_list_what_happened(psrunbook: Psrunbook) -> None:
    """`runs` lists every run whole, with mode and outcome; `runs show` every attempt."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    psrunbook("plan", "ssis-clustered", "--sim")
    plan_run, first_run = psrunbook.runs()

    listing = [line.split() for line in psrunbook("runs").stdout.splitlines()]
    assert ["run", "runbook", "mode", "started", "outcome", "resumes"] == listing[0]
    assert [
        [plan_run.run_id, "ssis-clustered", "plan", "succeeded", "0"],
        [first_run.run_id, "ssis-clustered", "run", "succeeded", "0"],
    ] == [row[:3] + row[4:] for row in listing[1:]]

    shown = psrunbook("runs", "show", first_run.run_id).stdout.splitlines()
    assert shown[0].startswith(f"run {first_run.run_id}: ssis-clustered")
    assert "outcome succeeded" in shown[0]
    attempts = psrunbook.attempts(first_run.run_id)
    header = next(i for i, line in enumerate(shown) if line.split()[:2] == ["step", "node"])
    assert [
        [
            f"{a.step_index:02d}-{a.step_name}",
            a.node,
            "apply",
            "succeeded",
            "yes" if a.changed else "no",
        ]
        for a in attempts
    ] == [line.split()[:5] for line in shown[header + 1 : header + 1 + len(attempts)]]

    missing = psrunbook("runs", "show", "no-such-run", expect=2)
    assert "no-such-run" in missing.stderr


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("run", "no-such-runbook", "--sim", "--yes"), "no-such-runbook"),
        (("run", "ssis-clustered", "--sim", "--yes", "-p", "no_such_key=1"), "no_such_key"),
        (("plan", "ssis-clustered", "--sim", "-i", "inventory.toml"), "--sim"),
    ],
    ids=["unknown-runbook", "unknown-parameter", "sim-and-inventory"],
)
def test_bad_input_exits_2_with_one_line(
    psrunbook: Psrunbook, args: tuple[str, ...], names: str
) -> None:
    """Bad input exits 2 with one `error:` message naming the problem, and runs nothing."""
    result = psrunbook(*args, expect=2)

    first, *details = result.stderr.splitlines()
    assert first.startswith("error: ")
    assert all(line.startswith("  ") for line in details), result.stderr
    assert names in result.stderr
    assert "Traceback" not in result.output
    assert [] == psrunbook.runs()
    assert not psrunbook.lab_file.exists() or {} == psrunbook.lab()["changes"]
