"""The JSON log of real runs: ECS-shaped per tests/schemas, filled from real data, no secret.

The runs go through the real CLI over pypsrp to simulated nodes; every line written to
stderr and to ``--log-file`` is validated twice: against our own schema
(``ecs_step_event.schema.json``: which fields each event must carry) and against the
ECS 8.11 definitions of every ECS field it uses (``ecs_8_11_fields.json``: the field
exists in ECS, has ECS's type, and the categorization fields hold allowed values that
ECS expects together). The canonical ``step.finished`` events are checked against the
journal's own record of the attempts.
"""

from __future__ import annotations

import base64
import getpass
import json
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # ships no stubs

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV, inventory_toml
from psrunbook.version import VERSION
from tests.integration.conftest import EXAMPLES

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(
    (REPO / "tests" / "schemas" / "ecs_step_event.schema.json").read_text(encoding="utf-8")
)
ECS = json.loads((REPO / "tests" / "schemas" / "ecs_8_11_fields.json").read_text(encoding="utf-8"))
EXAMPLE_PARAMS = REPO / "examples" / "ssis-clustered.toml"
SIM_USER = "psrunbook"
# Distinctive values, so finding one anywhere cannot be a coincidence.
PASSWORD = "Basic-Pa55word-7f3a9c0e'&<x>"
TOKEN = 'Vault-Token-c41d2e8b"quoted"'

# Loggers that stay quiet without -vvv (-v for the simulator's endpoints): they log
# whole scripts, SOAP bodies, PSRP messages or one line per request.
QUIET_BELOW_VVV = ("pypsrp", "psrpcore", "spnego", "requests_credssp", "urllib3", "psrunbook.sim")

USER_RUNBOOK = '''
"""A user runbook with a secret parameter, handed to every node as a SecureString."""

from pydantic import BaseModel, ConfigDict, Field

from psrunbook.runbook.model import Runbook, Step, Target
from psrunbook.secrets import Secret


class VaultParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    token: Secret = Field(description="Vault token; from PSRUNBOOK_PARAM_TOKEN.")
    label: str = Field(default="lab", description="Where the token is for.", examples=["lab"])


def _steps(params, inventory):
    return [
        Step(
            "check-token",
            "Hand the token to every node",
            "vault/check_token.ps1.j2",
            Target.EVERY_NODE,
            arguments={"Token": params.token, "Label": params.label},
            changes=False,
        )
    ]


runbook = Runbook(
    name="vault-check",
    summary="Passes a secret to every node (test runbook)",
    parameters=VaultParameters,
    build_steps=_steps,
)
'''

USER_TEMPLATE = """\
param(
    [Parameter(Mandatory = $true)][securestring]$Token,
    [Parameter(Mandatory = $true)][string]$Label,
    [switch]$CheckOnly
)
{% include '_lib/prelude.ps1.j2' %}
$changed = $false
$result = [ordered]@{
    Before = $null
    After  = [ordered]@{ Label = $Label; HasToken = ($null -ne $Token) }
}
{% include '_lib/result.ps1.j2' %}
"""


VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
GOOD_STEP_EVENT: dict[str, Any] = {
    "@timestamp": "2026-11-29T01:17:19.067936Z",
    "log": {"level": "info", "logger": "psrunbook.run"},
    "message": "step.finished",
    "ecs": {"version": "8.11.0"},
    "service": {"name": "psrunbook", "version": "0.1.0"},
    "process": {"pid": 4242, "user": {"name": "alice"}},
    "event": {
        "kind": "event",
        "category": ["configuration"],
        "type": ["change"],
        "dataset": "psrunbook.run",
        "action": "step.finished",
        "outcome": "success",
        "duration": 2431000000,
    },
    "host": {"name": "SQLNODE1"},
    "user": {"name": "CONTOSO\\svc-psrunbook"},
    "trace": {"id": "20261129T011719Z-3f2c9a"},
    "psrunbook": {
        "cluster": "SQLCLUSTER1",
        "runbook": "ssis-clustered",
        "step": "add-resource",
        "step_index": 2,
        "script_sha256": "9b1f" + "0" * 60,
        "changed": True,
        "check_only": False,
    },
}


def _ecs_problems(event: dict[str, Any]) -> list[str]:
    """Where ``event`` departs from the ECS 8.11 definitions of the fields it uses.

    Every leaf outside the ``psrunbook`` namespace must be an ECS field, of ECS's type
    (keyword and text: strings, or arrays of them; long: integers; date: ISO text); the
    categorization fields must hold allowed values, and every event.type must be one
    ECS expects with each event.category.
    """
    problems: list[str] = []
    fields: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict) and path not in ECS["fields"]:
            for key, child in value.items():
                walk(child, f"{path}.{key}" if path else key)
        else:
            fields[path] = value

    walk({k: v for k, v in event.items() if k != ECS["custom_namespace"]}, "")
    for path, value in fields.items():
        kind = ECS["fields"].get(path)
        values = value if isinstance(value, list) else [value]
        if kind is None:
            problems.append(f"{path} is not an ECS 8.11 field we declared")
        elif kind == "long" and not all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            problems.append(f"{path} is {value!r}, not an ECS long")
        elif kind != "long" and not all(isinstance(v, str) for v in values):
            problems.append(f"{path} is {value!r}, not an ECS {kind}")
        for v in values:
            if v not in ECS["allowed_values"].get(path, [v]):
                problems.append(f"{path} = {v!r} is not an ECS 8.11 allowed value")
    for category in fields.get("event.category", []):
        expected = ECS["expected_event_types"].get(category, [])
        problems += [
            f"event.type {kind!r} is not expected with event.category {category!r}"
            for kind in fields.get("event.type", [])
            if kind not in expected
        ]
    return problems


def _validated(text: str, where: str) -> list[dict[str, Any]]:
    """Every line of ``text`` parsed and validated (schema and ECS); failures name the line."""
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        event = json.loads(line)
        problems = [e.message for e in VALIDATOR.iter_errors(event)] + _ecs_problems(event)
        assert [] == problems, f"{where} line {number}: {line}"
        events.append(event)
    return events


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    """The schema file itself is a valid JSON Schema (draft 2020-12)."""
    assert "https://json-schema.org/draft/2020-12/schema" == SCHEMA["$schema"]
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("host",), None),
        (("user",), None),
        (("trace",), None),
        (("event", "duration"), 2.5),
        (("event", "outcome"), "ok"),
        (("psrunbook", "script_sha256"), "not-a-hash"),
        (("psrunbook", "changed"), "yes"),
        (("event.action",), "step.finished"),
        (("event", "dataset"), None),
        (("service",), None),
        (("process",), None),
        (("psrunbook", "cluster"), None),
        (("psrunbook", "check_only"), True),
        (("psrunbook", "changed"), False),
        (("error",), {"message": "x", "code": "a whole sentence"}),
    ],
    ids=lambda v: ".".join(v) if isinstance(v, tuple) else repr(v),
)
def test_schema_rejects_a_step_event_missing_or_mistyping_a_field(
    path: tuple[str, ...], value: Any
) -> None:
    """A step.finished without a required field, or with a wrong type, fails the schema."""
    event: dict[str, Any] = json.loads(json.dumps(GOOD_STEP_EVENT))
    assert [] == list(VALIDATOR.iter_errors(event))
    *parents, leaf = path
    target = event
    for part in parents:
        target = target[part]
    if value is None:
        del target[leaf]
    else:
        target[leaf] = value

    assert [] != list(VALIDATOR.iter_errors(event))


def test_schema_rejects_an_error_event_that_is_not_a_failure() -> None:
    """An event at error (a refused bundle run's ``cluster.mismatch``) must say
    ``event.outcome: failure``, the field a detection rule filters on."""
    mismatch: dict[str, Any] = {
        **{k: GOOD_STEP_EVENT[k] for k in ("@timestamp", "ecs", "service", "process", "trace")},
        "log": {"level": "error", "logger": "psrunbook.run"},
        "message": "cluster.mismatch",
        "event": {
            "kind": "event",
            "category": ["configuration"],
            "type": ["info"],
            "dataset": "psrunbook.run",
            "action": "cluster.mismatch",
        },
        "psrunbook": {"cluster": "SQLCLUSTER1", "reason": "another cluster answered"},
    }
    assert [] != list(VALIDATOR.iter_errors(mismatch))
    mismatch["event"]["outcome"] = "success"
    assert [] != list(VALIDATOR.iter_errors(mismatch))
    mismatch["event"]["outcome"] = "failure"
    assert [] == [e.message for e in VALIDATOR.iter_errors(mismatch)]


def test_ecs_check_accepts_the_example_and_rejects_what_ecs_does_not_define() -> None:
    """The ECS 8.11 table check passes a good event and names each departure from ECS."""
    assert [] == _ecs_problems(GOOD_STEP_EVENT)
    bad: dict[str, Any] = json.loads(json.dumps(GOOD_STEP_EVENT))
    bad["event"].update(kind="log", category=["application"], duration="2s")
    bad["user"]["os_name"] = "alice"
    bad["process"]["pid"] = True

    problems = _ecs_problems(bad)

    assert {
        "event.kind = 'log' is not an ECS 8.11 allowed value",
        "event.category = 'application' is not an ECS 8.11 allowed value",
        "event.type 'change' is not expected with event.category 'application'",
        "event.duration is '2s', not an ECS long",
        "user.os_name is not an ECS 8.11 field we declared",
        "process.pid is True, not an ECS long",
    } == set(problems)
    configuration_start: dict[str, Any] = json.loads(json.dumps(GOOD_STEP_EVENT))
    configuration_start["event"]["type"] = ["start"]
    assert [
        "event.type 'start' is not expected with event.category 'configuration'"
    ] == _ecs_problems(configuration_start)


def _events_of(events: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("trace", {}).get("id") == run_id]


def _action(event: dict[str, Any]) -> str | None:
    action = event["event"].get("action")
    return None if action is None else str(action)


def test_json_log_of_run_plan_failed_run_and_resume_validates_and_matches_the_journal(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """Every line of a run, a plan, a failed run and its resume validates against the
    schema and ECS 8.11; each step.finished carries the journal's node, hash and run."""
    log_file = tmp_path / "run.jsonl"
    logging = ("--log-format", "json", "--log-file", str(log_file))
    good = psrunbook(*logging, "run", "ssis-clustered", "--sim", "--yes")
    plan = psrunbook(*logging, "plan", "ssis-clustered", "--sim")
    bad = psrunbook(
        *logging, "run", "ssis-clustered", "--sim", "--yes", "-p", "group=No Such", expect=1
    )
    failed_run = psrunbook.last_run()
    resumed = psrunbook(*logging, "resume", failed_run.run_id, "--sim", "--yes", expect=1)

    events = _validated(log_file.read_text(encoding="utf-8"), str(log_file))
    console = _validated(good.stderr, "stderr of the good run")
    console += _validated(plan.stderr, "stderr of the plan")
    for name, result in (("failed run", bad), ("resume", resumed)):
        console += _validated("\n".join(result.stderr.splitlines()[:-1]), f"stderr of the {name}")
    chatter = [
        e["message"][:120]
        for e in events + console
        if e["log"]["logger"].startswith(QUIET_BELOW_VVV) and e["log"]["level"] in ("debug", "info")
    ]
    assert [] == chatter
    runs = {(r.mode, r.outcome): r for r in psrunbook.runs()}
    good_run, plan_run = runs[("run", "succeeded")], runs[("plan", "succeeded")]
    for run, outcome in ((good_run, "success"), (plan_run, "success"), (failed_run, "failure")):
        mine = _events_of(events, run.run_id)
        actions = [_action(e) for e in mine]
        assert "run.started" == actions[0]
        assert ("run.finished", outcome) == (actions[-1], mine[-1]["event"]["outcome"])
        assert {"SIMCLUSTER"} == {e["psrunbook"]["cluster"] for e in mine}
        finished = [e for e in mine if _action(e) == "step.finished"]
        attempts = psrunbook.attempts(run.run_id)
        assert len(attempts) == len(finished)
        assert len(attempts) == actions.count("step.started")
        journaled = {
            (a.step_name, a.node, a.check_only): (a.script_sha256, a.changed, a.status)
            for a in attempts
        }
        for event in finished:
            ours = event["psrunbook"]
            sha, changed, status = journaled[
                (ours["step"], event["host"]["name"], ours["check_only"])
            ]
            assert sha == ours["script_sha256"]
            assert "ssis-clustered" == ours["runbook"]
            assert SIM_USER == event["user"]["name"]
            assert isinstance(event["event"]["duration"], int)
            assert event["event"]["duration"] > 0
            expected = "success" if status == "succeeded" else "failure"
            assert expected == event["event"]["outcome"]
            if status == "succeeded":
                key = "would_change" if ours["check_only"] else "changed"
                assert bool(changed) == ours[key]
    failures = [
        e for e in events if _action(e) == "step.finished" and e["event"]["outcome"] == "failure"
    ]
    assert {"NODE1", "NODE2"} == {e["host"]["name"] for e in failures}
    assert all("No Such" in e["error"]["message"] for e in failures)


def test_a_plan_is_never_logged_as_a_change(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """A plan that finds changes says would_change, typed info; its run says changed."""
    log_file = tmp_path / "run.jsonl"
    logging = ("--log-format", "json", "--log-file", str(log_file))
    psrunbook(*logging, "plan", "ssis-clustered", "--sim")
    psrunbook(*logging, "run", "ssis-clustered", "--sim", "--yes")
    events = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    run = next(r for r in psrunbook.runs() if r.mode == "run")
    plan = next(r for r in psrunbook.runs() if r.mode == "plan")

    def summary(run_id: str) -> set[tuple[str, bool, str, bool | None]]:
        return {
            (
                e["event"]["type"][0],
                e["psrunbook"]["check_only"],
                "would_change" if "would_change" in e["psrunbook"] else "changed",
                e["psrunbook"].get("would_change", e["psrunbook"].get("changed")),
            )
            for e in _events_of(events, run_id)
            if _action(e) == "step.finished"
        }

    assert {("info", True, "would_change", True), ("info", True, "would_change", False)} == (
        summary(plan.run_id)
    )
    assert {("change", False, "changed", True), ("info", False, "changed", False)} == (
        summary(run.run_id)
    )
    plan_end = _events_of(events, plan.run_id)[-1]
    assert ("run.finished", "would_change_count") == (
        _action(plan_end),
        next(k for k in plan_end["psrunbook"] if k.endswith("_count") and k != "failed_count"),
    )


def test_a_failed_step_is_an_error_with_a_code_not_a_sentence(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """A failed step and its run log at error; error.code groups, error.message tells."""
    log_file = tmp_path / "run.jsonl"
    psrunbook(
        "--log-file",
        str(log_file),
        "run",
        "ssis-clustered",
        "--sim",
        "--yes",
        "-p",
        "group=No Such",
        expect=1,
    )
    events = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    started = next(e for e in events if _action(e) == "run.started")
    failed = [e for e in events if _action(e) == "step.finished"]
    finished = next(e for e in events if _action(e) == "run.finished")

    assert "info" == started["log"]["level"]
    assert {("error", "failure")} == {(e["log"]["level"], e["event"]["outcome"]) for e in failed}
    assert ("error", "failure") == (finished["log"]["level"], finished["event"]["outcome"])
    assert {"System.Management.Automation.RuntimeException"} == {e["error"]["code"] for e in failed}
    assert all("cluster group 'No Such' does not exist" in e["error"]["message"] for e in failed)


def test_every_run_event_names_the_tool_the_dataset_the_cluster_and_both_accounts(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """service.*, event.dataset, psrunbook.cluster, user.name and process.user.name."""
    log_file = tmp_path / "run.jsonl"
    psrunbook("--log-file", str(log_file), "run", "cluster-report", "--sim", "--yes")
    events = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    run_events = [e for e in events if (_action(e) or "").startswith(("run.", "step."))]

    assert {"run.started", "step.started", "step.finished", "run.finished"} <= {
        _action(e) for e in run_events
    }
    assert {
        (
            ("psrunbook", VERSION),
            "psrunbook.run",
            "SIMCLUSTER",
            SIM_USER,
            getpass.getuser(),
        )
    } == {
        (
            (e["service"]["name"], e["service"]["version"]),
            e["event"]["dataset"],
            e["psrunbook"]["cluster"],
            e["user"]["name"],
            e["process"]["user"]["name"],
        )
        for e in run_events
    }
    record = psrunbook.last_run()
    assert ("SIMCLUSTER", getpass.getuser(), {}) == (
        record.cluster,
        record.os_user,
        record.insecure,
    )


def test_docs_logging_examples_are_events_psrunbook_writes() -> None:
    """Every JSON example in docs/logging.md passes the schema and the ECS 8.11 check, and
    names only loggers, steps and run ids of the kinds psrunbook really writes."""
    text = (REPO / "docs" / "logging.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in text.split("```json\n")[1:]]
    examples = [json.loads(block) for block in blocks]
    source = (REPO / "psrunbook" / "runbooks" / "ssis_clustered.py").read_text(encoding="utf-8")
    steps = set(re.findall(r'^\s+name="([a-z0-9-]+)",$', source, flags=re.MULTILINE))

    assert len(examples) >= 4
    for example in examples:
        assert [] == [e.message for e in VALIDATOR.iter_errors(example)] + _ecs_problems(example)
        assert "psrunbook.run" == example["log"]["logger"]
        assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", example["trace"]["id"])
        assert example["psrunbook"].get("step", "preflight") in steps
    assert {"run.started", "step.finished", "run.finished"} <= {
        e["event"]["action"] for e in examples
    }
    assert {("error", "failure")} <= {
        (e["log"]["level"], e["event"].get("outcome")) for e in examples
    }


def _serve_lab(tmp_path: Path, *, tls: bool, edit: Callable[[str], str]) -> Iterator[Path]:
    """A simulated cluster served with a known Basic password; yields its (edited) inventory."""
    with SimFleet(
        ["NODE1", "NODE2"],
        executor=cluster_executor(sample_lab()),
        users={SIM_USER: PASSWORD},
        tls=tls,
    ) as fleet:
        path = tmp_path / "inventory.toml"
        path.write_text(edit(inventory_toml(fleet)), encoding="utf-8")
        yield path


def _without_certificate_check(inventory: str) -> str:
    text = inventory.replace("cert_validation = true", "cert_validation = false")
    return "\n".join(line for line in text.splitlines() if not line.startswith("ca_bundle"))


@pytest.fixture
def unverified_https_inventory(tmp_path: Path) -> Iterator[Path]:
    """A simulated cluster over HTTPS whose inventory turns certificate validation off."""
    yield from _serve_lab(tmp_path, tls=True, edit=_without_certificate_check)


def test_insecure_use_is_a_warning_event_per_node_and_journaled(
    psrunbook: Psrunbook, tmp_path: Path, unverified_https_inventory: Path
) -> None:
    """--insecure accepting unverified TLS logs connection.insecure per node and journals it."""
    log_file = tmp_path / "run.jsonl"
    psrunbook(
        *("--log-format", "json", "--log-file", str(log_file)),
        *("run", "cluster-report", "-i", str(unverified_https_inventory), "--insecure", "--yes"),
        env={PASSWORD_ENV: PASSWORD},
    )
    events = _validated(log_file.read_text(encoding="utf-8"), str(log_file))
    record = psrunbook.last_run()
    insecure = [e for e in _events_of(events, record.run_id) if _action(e) == "connection.insecure"]

    assert [("NODE1", "warning"), ("NODE2", "warning")] == [
        (e["host"]["name"], e["log"]["level"]) for e in insecure
    ]
    assert all("certificate validation is off" in e["psrunbook"]["reason"] for e in insecure)
    assert {"NODE1", "NODE2"} == set(record.insecure)
    assert all("certificate validation is off" in r for r in record.insecure.values())
    first_step = next(
        i for i, e in enumerate(_events_of(events, record.run_id)) if _action(e) == "step.started"
    )
    assert first_step > max(_events_of(events, record.run_id).index(e) for e in insecure)


@pytest.fixture
def known_password_lab(tmp_path: Path) -> Iterator[Path]:
    """A simulated cluster served with a known Basic password; yields its inventory file."""
    yield from _serve_lab(tmp_path, tls=False, edit=lambda text: text)


def _user_runbook(tmp_path: Path) -> tuple[Path, Path]:
    runbooks = tmp_path / "runbooks"
    templates = tmp_path / "templates"
    (templates / "vault").mkdir(parents=True)
    runbooks.mkdir()
    (runbooks / "vault_check.py").write_text(textwrap.dedent(USER_RUNBOOK), encoding="utf-8")
    (templates / "vault" / "check_token.ps1.j2").write_text(USER_TEMPLATE, encoding="utf-8")
    return runbooks, templates


def test_known_secrets_are_written_nowhere(
    psrunbook: Psrunbook, tmp_path: Path, known_password_lab: Path
) -> None:
    """The Basic password and a secret parameter appear in no output, log, journal or file."""
    runbooks, templates = _user_runbook(tmp_path)
    log_file = tmp_path / "run.jsonl"
    bundle = tmp_path / "bundle"
    inventory = str(known_password_lab)
    options = (
        *("-vvv", "--log-format", "json", "--log-file", str(log_file)),
        *("--runbooks", str(runbooks), "--templates", str(templates)),
    )
    env = {PASSWORD_ENV: PASSWORD, "PSRUNBOOK_PARAM_TOKEN": TOKEN}

    results = [
        psrunbook(
            *options,
            "run",
            "ssis-clustered",
            "-i",
            inventory,
            "--params-file",
            str(EXAMPLE_PARAMS),
            "--yes",
            env=env,
        ),
        psrunbook(*options, "run", "vault-check", "-i", inventory, "--yes", env=env),
        psrunbook(*options, "plan", "vault-check", "-i", inventory, env=env),
        psrunbook(*options, "export", "vault-check", "-i", inventory, "-o", str(bundle), env=env),
    ]
    vault_run = next(r for r in psrunbook.runs() if r.runbook == "vault-check" and r.mode == "run")
    results.append(psrunbook(*options, "runs", "show", vault_run.run_id, env=env))
    results.append(psrunbook(*options, "runs", env=env))

    attempts = psrunbook.attempts(vault_run.run_id)
    assert [True, True] == [a.result["After"]["HasToken"] for a in attempts if a.result]
    assert "***" == vault_run.parameters["token"]
    basic = base64.b64encode(f"{SIM_USER}:{PASSWORD}".encode()).decode()
    forms = [PASSWORD, TOKEN, basic, json.dumps(PASSWORD)[1:-1], json.dumps(TOKEN)[1:-1]]
    texts = {f"output of command {i}": r.output for i, r in enumerate(results)}
    files = [log_file, *psrunbook.state_dir.rglob("*"), *bundle.rglob("*")]
    texts.update({str(f): f.read_bytes().decode("latin-1") for f in files if f.is_file()})
    assert len(log_file.read_text(encoding="utf-8").splitlines()) > 20
    _validated(log_file.read_text(encoding="utf-8"), str(log_file))
    leaks = [(where, form) for where, text in texts.items() for form in forms if form in text]
    assert [] == leaks


def test_a_refused_bundle_is_an_event_that_validates(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """A bundle whose script was changed after export is refused (exit 2, nothing run) and
    the SIEM sees it: one ``bundle.refused`` at error, outcome failure, valid as every
    other event."""
    bundle = tmp_path / "bundle"
    psrunbook(
        "export", "cluster-report", "-i", str(EXAMPLES / "inventory.toml"), "-o", str(bundle)
    )
    script = next(bundle.rglob("*.ps1"))
    script.write_text(script.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    log_file = tmp_path / "run.jsonl"
    logging = ("--log-format", "json", "--log-file", str(log_file))

    psrunbook(*logging, "run", "--bundle", str(bundle), "--sim", "--yes", expect=2)

    [refused] = _validated(log_file.read_text(encoding="utf-8"), str(log_file))
    assert ("bundle.refused", "failure", "error") == (
        refused["event"]["action"],
        refused["event"]["outcome"],
        refused["log"]["level"],
    )
    assert str(bundle) == refused["psrunbook"]["bundle"]
    assert script.name in refused["psrunbook"]["reason"]
    assert [] == psrunbook.runs()
