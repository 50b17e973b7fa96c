"""The JSON log of real runs: ECS-shaped per tests/schemas, filled from real data, no secret.

The runs go through the real CLI over pypsrp to simulated nodes; every line written to
stderr and to ``--log-file`` is validated against the schema, and the canonical
``step.finished`` events are checked against the journal's own record of the attempts.
"""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # ships no stubs

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV, inventory_toml

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(
    (REPO / "tests" / "schemas" / "ecs_step_event.schema.json").read_text(encoding="utf-8")
)
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
    "event": {
        "kind": "event",
        "category": ["configuration"],
        "type": ["change"],
        "action": "step.finished",
        "outcome": "success",
        "duration": 2431000000,
    },
    "host": {"name": "SQLNODE1"},
    "user": {"name": "CONTOSO\\svc-psrunbook"},
    "trace": {"id": "20261129T011719Z-3f2c9a"},
    "psrunbook": {
        "runbook": "ssis-clustered",
        "step": "add-resource",
        "script_sha256": "9b1f" + "0" * 60,
        "changed": True,
    },
}


def _validated(text: str, where: str) -> list[dict[str, Any]]:
    """Every line of ``text`` parsed and validated; the failure names the line."""
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        event = json.loads(line)
        problems = [e.message for e in VALIDATOR.iter_errors(event)]
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


def test_json_log_of_full_runs_validates_and_matches_the_journal(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """Every line validates; each step.finished carries the journal's node, hash and run."""
    log_file = tmp_path / "run.jsonl"
    logging = ("--log-format", "json", "--log-file", str(log_file))
    good = psrunbook(*logging, "run", "ssis-clustered", "--sim", "--yes")
    bad = psrunbook(
        *logging, "run", "ssis-clustered", "--sim", "--yes", "-p", "group=No Such", expect=1
    )

    events = _validated(log_file.read_text(encoding="utf-8"), str(log_file))
    console = _validated(good.stderr, "stderr of the good run")
    console += _validated("\n".join(bad.stderr.splitlines()[:-1]), "stderr of the failed run")
    chatter = [
        e["message"][:120]
        for e in events + console
        if e["log"]["logger"].startswith(QUIET_BELOW_VVV) and e["log"]["level"] in ("debug", "info")
    ]
    assert [] == chatter
    failed_run, good_run = psrunbook.runs()
    for run, outcome in ((good_run, "success"), (failed_run, "failure")):
        mine = [e for e in events if e.get("trace", {}).get("id") == run.run_id]
        actions = [e["event"].get("action") for e in mine]
        assert "run.started" == actions[0]
        assert ("run.finished", outcome) == (actions[-1], mine[-1]["event"]["outcome"])
        finished = [e for e in mine if e["event"].get("action") == "step.finished"]
        attempts = psrunbook.attempts(run.run_id)
        assert len(attempts) == len(finished)
        assert len(attempts) == actions.count("step.started")
        journaled = {
            (a.step_name, a.node): (a.script_sha256, a.changed, a.status) for a in attempts
        }
        for event in finished:
            key = (event["psrunbook"]["step"], event["host"]["name"])
            sha, changed, status = journaled[key]
            assert sha == event["psrunbook"]["script_sha256"]
            assert "ssis-clustered" == event["psrunbook"]["runbook"]
            assert SIM_USER == event["user"]["name"]
            assert isinstance(event["event"]["duration"], int)
            assert event["event"]["duration"] > 0
            expected = "success" if status == "succeeded" else "failure"
            assert expected == event["event"]["outcome"]
            assert bool(changed) == event["psrunbook"]["changed"]
    failures = [
        e
        for e in events
        if e["event"].get("action") == "step.finished" and e["event"]["outcome"] == "failure"
    ]
    assert {"NODE1", "NODE2"} == {e["host"]["name"] for e in failures}
    assert all("No Such" in e["error"]["message"] for e in failures)


@pytest.fixture
def known_password_lab(tmp_path: Path) -> Iterator[Path]:
    """A simulated cluster served with a known Basic password; yields its inventory file."""
    with SimFleet(
        ["NODE1", "NODE2"],
        executor=cluster_executor(sample_lab()),
        users={SIM_USER: PASSWORD},
    ) as fleet:
        path = tmp_path / "inventory.toml"
        path.write_text(inventory_toml(fleet), encoding="utf-8")
        yield path


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
