"""Bad input: one clear line naming what and where, exit 2, nothing touched, journal intact.

Every case runs the real CLI against a state directory holding a fresh embedded lab;
afterwards the lab must be byte-identical and the journal must hold no started run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from psrunbook.journal import Journal
from tests.conftest import FIXTURES
from tests.reliability.harness import (
    arm,
    assert_no_traceback,
    create_lab,
    error_line,
    lab_file,
    psrunbook,
)

pytestmark = pytest.mark.reliability

USER = (
    "--runbooks",
    str(FIXTURES / "user_runbooks"),
    "--templates",
    str(FIXTURES / "user_templates"),
)
SECRET = "Sup3r-Secret-Value-42"

GOOD_INVENTORY = """\
[cluster]
name = "CLUSTER1"

[[nodes]]
name = "NODE1"
address = "127.0.0.1"
port = 1

[connection]
ssl = false
auth = "basic"
encryption = "never"
username = "psrunbook"
password_env = "PSRUNBOOK_TEST_PASSWORD"
"""


@dataclass(frozen=True)
class Case:
    """One bad input: files to write, the command, and what the error must name."""

    id: str
    args: tuple[str, ...]
    names: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], object] | None = None
    code: int = 2
    env: dict[str, str] = field(default_factory=dict)


def inventory(text: str) -> dict[str, str]:
    return {"inv.toml": text}


def replace(old: str, new: str) -> dict[str, str]:
    assert old in GOOD_INVENTORY
    return inventory(GOOD_INVENTORY.replace(old, new))


NO_NODES = GOOD_INVENTORY.split("[[nodes]]", maxsplit=1)[0] + GOOD_INVENTORY.split("port = 1\n")[1]
PLAN = ("plan", "greeting", "-i", "{dir}/inv.toml", "-p", "name=world")
SIM = ("run", "ssis-clustered", "--sim", "--yes")


def plan_with(*extra: str) -> tuple[str, ...]:
    return (*PLAN, *extra)


def _corrupt_journal(directory: Path) -> None:
    (directory / "state" / "journal.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)


def _bad_started_at(directory: Path) -> None:
    """A journal with one real run whose started_at was edited into something else."""
    state = directory / "state"
    planned = psrunbook("plan", "cluster-report", "--sim", state_dir=state)
    assert 0 == planned.code, planned.describe()
    with sqlite3.connect(state / "journal.sqlite3") as connection:
        connection.execute("UPDATE runs SET started_at = 'garbage'")
    connection.close()


def _state_under_file(directory: Path) -> None:
    (directory / "plainfile").write_text("not a directory", encoding="utf-8")


def _bundle(edit: Callable[[Path], object]) -> Callable[[Path], None]:
    def prepare(directory: Path) -> None:
        shutil.copytree(directory.parent / "bundle-template", directory / "bundle")
        edit(directory / "bundle")

    return prepare


def _first_script(bundle: Path) -> Path:
    return sorted(bundle.rglob("*.ps1"))[0]


def _flip_byte(bundle: Path) -> None:
    path = _first_script(bundle)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _manifest_version(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = 999
    (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _manifest_edit(edit: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    def apply(bundle: Path) -> None:
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        edit(manifest)
        (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    return apply


def _manifest_symlink(bundle: Path) -> None:
    outside = bundle.parent / "outside-manifest.json"
    shutil.move(bundle / "manifest.json", outside)
    (bundle / "manifest.json").symlink_to(outside)


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda directory: os.mkfifo(directory / name)


def _many_nodes(count: int) -> str:
    head = GOOD_INVENTORY.split("[[nodes]]", maxsplit=1)[0]
    nodes = "".join(
        f'[[nodes]]\nname = "NODE{i}"\naddress = "127.0.0.{i}"\n\n' for i in range(1, count + 1)
    )
    return head + nodes + "[connection]" + GOOD_INVENTORY.split("[connection]")[1]


BIG = "# padding\n" * (1024 * 1024 // 10 + 1)
BUNDLE_RUN = ("run", "--bundle", "{dir}/bundle", "--sim", "--yes")
BUNDLE_VERIFY = ("export", "--verify", "{dir}/bundle")
# (id, edit, the field the message must name); each is refused by run --bundle and --verify.
TAMPERED_MANIFESTS: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("no-runbook", lambda m: m.pop("runbook"), "runbook"),
    ("no-runbook-name", lambda m: m["runbook"].pop("name"), "runbook.name"),
    ("no-inventory", lambda m: m.pop("inventory"), "inventory"),
    ("runbook-name-number", lambda m: m["runbook"].update(name=1), "runbook.name"),
    ("nodes-string", lambda m: m["inventory"].update(nodes="NODE1"), "inventory.nodes"),
    ("parameters-list", lambda m: m.update(parameters=[]), "parameters"),
    ("step-name-missing", lambda m: m["steps"][0].pop("name"), "steps.0.name"),
]

CASES = [
    # ---------------------------------------------------------------- inventory files
    Case(
        "inventory-missing",
        ("plan", "greeting", "-i", "{dir}/nope.toml", "-p", "name=a"),
        ("nope.toml",),
    ),
    Case("inventory-not-toml", plan_with(), ("inv.toml",), inventory("[cluster\nname=")),
    Case(
        "inventory-not-utf8",
        plan_with(),
        ("inv.toml",),
        prepare=lambda d: (d / "inv.toml").write_bytes(b'[cluster]\nname = "\xff"\n'),
    ),
    Case("inventory-directory", ("plan", "greeting", "-i", "{dir}", "-p", "name=a"), ("{dir}",)),
    Case(
        "inventory-no-cluster-name",
        plan_with(),
        ("inv.toml", "name"),
        replace('name = "CLUSTER1"\n', ""),
    ),
    Case(
        "inventory-no-nodes",
        plan_with(),
        ("inv.toml", "nodes"),
        inventory(NO_NODES),
    ),
    Case(
        "inventory-node-no-address",
        plan_with(),
        ("inv.toml", "address"),
        replace('address = "127.0.0.1"\n', ""),
    ),
    Case(
        "inventory-port-text", plan_with(), ("inv.toml", "port"), replace("port = 1", 'port = "x"')
    ),
    Case(
        "inventory-port-too-big",
        plan_with(),
        ("inv.toml", "port"),
        replace("port = 1", "port = 70000"),
    ),
    Case("inventory-port-zero", plan_with(), ("inv.toml", "port"), replace("port = 1", "port = 0")),
    Case(
        "inventory-literal-password",
        plan_with(),
        ("inv.toml", "password"),
        replace('password_env = "PSRUNBOOK_TEST_PASSWORD"', f'password = "{SECRET}"'),
    ),
    Case(
        "inventory-unknown-auth",
        plan_with(),
        ("inv.toml", "auth"),
        replace('auth = "basic"', 'auth = "magic"'),
    ),
    Case(
        "inventory-duplicate-node",
        plan_with(),
        ("inv.toml", "node1", "unique"),
        inventory(
            GOOD_INVENTORY.replace(
                "[connection]", '[[nodes]]\nname = "node1"\naddress = "127.0.0.2"\n\n[connection]'
            )
        ),
    ),
    Case(
        "inventory-unknown-key",
        plan_with(),
        ("inv.toml", "colour"),
        replace("[connection]\n", '[connection]\ncolour = "blue"\n'),
    ),
    Case(
        "inventory-bad-env-name",
        plan_with(),
        ("inv.toml", "password_env"),
        replace('"PSRUNBOOK_TEST_PASSWORD"', '"not a name!"'),
    ),
    Case(
        "inventory-read-timeout",
        plan_with(),
        ("inv.toml", "read_timeout_s"),
        replace("[connection]\n", "[connection]\noperation_timeout_s = 30\nread_timeout_s = 10\n"),
    ),
    Case(
        "inventory-empty-node-name",
        plan_with(),
        ("inv.toml", "name"),
        replace('name = "NODE1"', 'name = ""'),
    ),
    Case(
        "inventory-password-env-unset",
        plan_with(),
        ("PSRUNBOOK_TEST_PASSWORD",),
        inventory(GOOD_INVENTORY),
    ),
    Case(
        "inventory-ca-bundle-missing",
        plan_with(),
        ("inv.toml", "missing-ca.pem"),
        replace("ssl = false", 'ssl = true\nca_bundle = "missing-ca.pem"'),
    ),
    Case(
        "inventory-dev-zero",
        ("plan", "greeting", "-i", "/dev/zero", "-p", "name=a"),
        ("/dev/zero", "character device", "regular file"),
    ),
    Case(
        "inventory-fifo",
        plan_with(),
        ("inv.toml", "FIFO", "regular file"),
        prepare=_fifo("inv.toml"),
    ),
    Case("inventory-too-large", plan_with(), ("inv.toml", "1048576 bytes"), inventory(BIG)),
    Case(
        "inventory-deeply-nested",
        plan_with(),
        ("inv.toml", "nested too deeply"),
        inventory("x = " + "[" * 5000 + "\n"),
    ),
    Case(
        "inventory-deeply-nested-keys",
        plan_with(),
        ("inv.toml", "nested too deeply"),
        inventory("[" + "a." * 3000 + "b]\n"),
    ),
    Case(
        "inventory-65-nodes", plan_with(), ("inv.toml", "nodes", "64"), inventory(_many_nodes(65))
    ),
    Case(
        "inventory-basic-http-remote",
        plan_with(),
        ("inv.toml", "NODE1", "--insecure"),
        replace('address = "127.0.0.1"', 'address = "10.0.0.1"'),
        env={"PSRUNBOOK_TEST_PASSWORD": "x"},
    ),
    Case(
        "inventory-proxy-credentials",
        plan_with(),
        ("inv.toml", "connection.proxy", "no credentials"),
        replace("[connection]\n", f'[connection]\nproxy = "http://u:{SECRET}@proxy:8080"\n'),
    ),
    # ---------------------------------------------------------------- runbook names
    Case("runbook-unknown", ("plan", "nope", "--sim"), ("nope",)),
    Case("runbook-path", ("plan", "../runbooks/ssis_clustered", "--sim"), ("../runbooks",)),
    Case("runbook-empty", ("plan", "", "--sim"), ("runbook",)),
    # ---------------------------------------------------------------- parameters
    Case("param-missing-required", ("plan", "greeting", "--sim"), ("name",)),
    Case("param-no-equals", ("plan", "greeting", "--sim", "-p", "name"), ("name",)),
    Case(
        "param-unknown", ("plan", "greeting", "--sim", "-p", "name=a", "-p", "bogus=1"), ("bogus",)
    ),
    Case(
        "param-wrong-type",
        ("plan", "greeting", "--sim", "-p", "name=a", "-p", "repeat=abc"),
        ("repeat",),
    ),
    Case(
        "param-out-of-range",
        ("plan", "greeting", "--sim", "-p", "name=a", "-p", "repeat=0"),
        ("repeat",),
    ),
    Case(
        "param-secret-on-command-line",
        ("plan", "greeting", "--sim", "-p", "name=a", "-p", f"token={SECRET}"),
        ("token", "PSRUNBOOK_PARAM_TOKEN"),
    ),
    Case("param-control-character", ("plan", "greeting", "--sim", "-p", "name=a\x07b"), ("name",)),
    Case(
        "param-not-utf8",
        ("plan", "greeting", "--sim", "-p", "name=a\udced\udca0\udc80b"),
        ("name", "not UTF-8"),
    ),
    Case(
        "params-file-not-utf8",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("p.toml",),
        prepare=lambda d: (d / "p.toml").write_bytes(b'name = "a\xff"\n'),
    ),
    Case(
        "params-file-missing",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("p.toml",),
    ),
    Case(
        "params-file-not-toml",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("p.toml",),
        {"p.toml": "name = \n"},
    ),
    Case(
        "params-file-unknown-key",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("colour",),
        {"p.toml": 'name = "a"\ncolour = "blue"\n'},
    ),
    Case(
        "params-file-wrong-type",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("repeat",),
        {"p.toml": 'name = "a"\nrepeat = "many"\n'},
    ),
    Case(
        "params-file-dev-zero",
        ("plan", "greeting", "--sim", "--params-file", "/dev/zero"),
        ("/dev/zero", "--params-file", "regular file"),
    ),
    Case(
        "params-file-fifo",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("p.toml", "FIFO", "--params-file"),
        prepare=_fifo("p.toml"),
    ),
    Case(
        "params-file-too-large",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("p.toml", "1048576 bytes"),
        {"p.toml": BIG},
    ),
    Case(
        "params-file-deeply-nested",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("p.toml", "nested too deeply"),
        {"p.toml": "name = " + "[" * 5000 + "\n"},
    ),
    Case(
        "params-file-deeply-nested-keys",
        ("plan", "greeting", "--sim", "--params-file", "{dir}/p.toml"),
        ("nested too deeply",),
        {"p.toml": "a." * 5000 + "b = 1\n"},
    ),
    Case("ssis-unknown-version", (*SIM, "-p", "sql_version=1999"), ("sql_version", "1999")),
    Case("ssis-empty-group", (*SIM, "-p", "group="), ("group",)),
    Case("ssis-other-group", (*SIM, "-p", "ssis_group=Other Group"), ("ssis_group",)),
    Case("ssis-timeout-range", (*SIM, "-p", "online_timeout_s=1"), ("online_timeout_s",)),
    Case(
        "target-both",
        ("plan", "greeting", "--sim", "-i", "{dir}/inv.toml", "-p", "name=a"),
        ("--sim",),
        inventory(GOOD_INVENTORY),
    ),
    Case("target-none", ("plan", "greeting", "-p", "name=a"), ("--inventory", "--sim")),
    # ---------------------------------------------------------------- bundles
    Case("bundle-missing-dir", ("export", "--verify", "{dir}/nobundle"), ("nobundle",)),
    Case(
        "bundle-missing-file",
        ("export", "--verify", "{dir}/bundle"),
        (".ps1",),
        prepare=_bundle(lambda b: _first_script(b).unlink()),
        code=1,
    ),
    Case(
        "bundle-extra-file",
        ("export", "--verify", "{dir}/bundle"),
        ("extra.txt",),
        prepare=_bundle(lambda b: (b / "extra.txt").write_text("x", encoding="utf-8")),
        code=1,
    ),
    # Verifying a bundle is a check: a bundle that fails it exits 1, as a failed check does.
    Case(
        "bundle-changed-byte",
        ("export", "--verify", "{dir}/bundle"),
        (".ps1",),
        prepare=_bundle(_flip_byte),
        code=1,
    ),
    Case(
        "bundle-manifest-version",
        ("export", "--verify", "{dir}/bundle"),
        ("manifest",),
        prepare=_bundle(_manifest_version),
    ),
    Case(
        "bundle-manifest-not-json",
        ("export", "--verify", "{dir}/bundle"),
        ("manifest.json",),
        prepare=_bundle(lambda b: (b / "manifest.json").write_text("{", encoding="utf-8")),
    ),
    Case(
        "bundle-run-tampered",
        ("run", "--bundle", "{dir}/bundle", "--sim", "--yes"),
        (".ps1",),
        prepare=_bundle(_flip_byte),
    ),
    Case(
        "bundle-manifest-symlink",
        BUNDLE_RUN,
        ("manifest.json", "symbolic link"),
        prepare=_bundle(_manifest_symlink),
    ),
    Case(
        "bundle-sha256sums-changed",
        BUNDLE_RUN,
        ("SHA256SUMS",),
        prepare=_bundle(lambda b: (b / "SHA256SUMS").write_text("x\n", encoding="utf-8")),
    ),
    Case(
        "bundle-sha256sums-missing",
        BUNDLE_VERIFY,
        ("SHA256SUMS",),
        prepare=_bundle(lambda b: (b / "SHA256SUMS").unlink()),
        code=1,
    ),
    *(
        Case(
            f"bundle-manifest-{name}-{'run' if run else 'verify'}",
            BUNDLE_RUN if run else BUNDLE_VERIFY,
            ("manifest.json", f"  {field}:", "psrunbook export"),
            prepare=_bundle(_manifest_edit(edit)),
        )
        for name, edit, field in TAMPERED_MANIFESTS
        for run in (True, False)
    ),
    # ---------------------------------------------------------------- state directories
    Case(
        "state-under-a-file",
        ("runs", "--state-dir", "{dir}/plainfile/state"),
        ("plainfile",),
        prepare=_state_under_file,
    ),
    Case(
        "state-corrupted-journal",
        ("plan", "greeting", "--sim", "-p", "name=a"),
        ("journal.sqlite3",),
        prepare=_corrupt_journal,
    ),
    Case("resume-unknown-run", ("resume", "no-such-run", "--sim", "--yes"), ("no-such-run",)),
    Case(
        "state-journal-bad-started-at",
        ("runs",),
        ("started_at", "garbage", "--state-dir"),
        prepare=_bad_started_at,
    ),
    Case(
        "state-lab-broken",
        ("plan", "greeting", "--sim", "-p", "name=a"),
        ("lab.json", "psrunbook sim reset"),
        prepare=lambda d: lab_file(d / "state").write_text("{broken", encoding="utf-8"),
    ),
    Case(
        "state-faults-unknown-node",
        ("plan", "greeting", "--sim", "-p", "name=a"),
        ("faults.json", "NODE9", "NODE1"),
        prepare=lambda d: arm(d / "state", [{"node": "NODE9", "on": "Command", "fault": "reset"}]),
    ),
    # ---------------------------------------------------------------- log file, sim serve
    Case(
        "log-file-directory",
        ("--log-file", "{dir}", "plan", "greeting", "--sim", "-p", "name=a"),
        ("--log-file", "{dir}", "a directory"),
    ),
    Case(
        "log-file-unwritable",
        ("--log-file", "/dev/full", "plan", "greeting", "--sim", "-p", "name=a"),
        ("--log-file", "/dev/full", "regular file"),
    ),
    Case(
        "sim-serve-fail-online-unknown",
        ("sim", "serve", "--fail-online", "No Such Resource"),
        ("--fail-online", "No Such Resource", "SQL Server"),
        env={"PSRUNBOOK_SIM_PASSWORD": "x"},
    ),
]

# Cases that leave a run in the journal on purpose (their input is the journal itself).
JOURNAL_CASES = frozenset({"state-corrupted-journal", "state-journal-bad-started-at"})


@pytest.fixture(scope="module")
def bundle_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One exported bundle for the bundle cases, each of which tampers with its own copy:
    exporting takes two CLI runs, so once per test process instead of once per case."""
    return _export_template(tmp_path_factory.mktemp("bundle-export"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(
    tmp_path: Path, case: Case, request: pytest.FixtureRequest
) -> None:
    """Each bad input: exit 2 (or 1), one error line naming what and where, nothing changed."""
    directory = tmp_path / "case"
    directory.mkdir()
    state = directory / "state"
    create_lab(state)
    if case.id.startswith("bundle"):
        template = request.getfixturevalue("bundle_template")
        shutil.copytree(template, directory.parent / "bundle-template")
    for name, text in case.files.items():
        (directory / name).write_text(text, encoding="utf-8")
    if case.prepare is not None:
        case.prepare(directory)
    before = lab_file(state).read_bytes()
    args = [a.replace("{dir}", str(directory)) for a in case.args]
    result = psrunbook(*USER, *args, state_dir=state, env=case.env)
    assert case.code == result.code, result.describe()
    assert_no_traceback(result)
    error_line(result)
    # The message: the error line with its detail lines (and, for a bundle, the TAMPERED
    # lines before it); log events are JSON lines and not part of it.
    message = "\n".join(x for x in result.stderr.splitlines() if not x.startswith("{"))
    for name in case.names:
        assert name.replace("{dir}", str(directory)) in message, result.describe()
    assert SECRET not in result.stdout + result.stderr
    assert before == lab_file(state).read_bytes()
    if case.id not in JOURNAL_CASES:
        with Journal.open(state) as journal:
            assert [] == journal.runs(5)


def _export_template(tmp_path: Path) -> Path:
    state = tmp_path / "export-state"
    create_lab(state)
    # The lab's inventory is written when the lab is served; a read-only plan serves it.
    plan = psrunbook("plan", "cluster-report", "--sim", state_dir=state)
    assert 0 == plan.code, plan.describe()
    out = tmp_path / "exported"
    result = psrunbook(
        *USER,
        "export",
        "greeting",
        "-i",
        str(state / "sim" / "inventory.toml"),
        "-p",
        "name=a",
        "-o",
        str(out),
        state_dir=state,
    )
    assert 0 == result.code, result.describe()
    return out


# Each bounded seconds option, a value out of its range, and the range the parser names.
TIMEOUTS = ("inf", "-inf", "nan", "-1", "0", "1e400", "86401")
OUT_OF_RANGE = [
    *(("--step-timeout", v, "(1|86400)") for v in TIMEOUTS),
    *(("--stop-grace", v, "(0|3600)") for v in ("inf", "nan", "-1", "3601")),
]


@pytest.mark.parametrize(("option", "value", "bounds"), OUT_OF_RANGE)
def test_seconds_out_of_range_are_a_usage_error(
    tmp_path: Path, option: str, value: str, bounds: str
) -> None:
    """--step-timeout must be a finite number of seconds from 1 to 86400 (inf waited
    forever), --stop-grace one from 0 to 3600 (inf would wait for a node that never
    answers forever).

    The options are checked by the command-line parser, which words the error as
    ``Error: Invalid value for '--step-timeout': ...`` with the bound to respect.
    """
    state = tmp_path / "state"
    create_lab(state)
    before = lab_file(state).read_bytes()
    result = psrunbook("plan", "cluster-report", "--sim", option, value, state_dir=state)
    assert 2 == result.code, result.describe()
    assert_no_traceback(result)
    assert f"Invalid value for '{option}'" in result.stderr, result.describe()
    assert re.search(rf"(greater|less) than or equal to {bounds}", result.stderr), result.describe()
    assert before == lab_file(state).read_bytes()
    with Journal.open(state) as journal:
        assert [] == journal.runs(5)
