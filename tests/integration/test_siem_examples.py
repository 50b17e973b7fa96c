"""The SIEM shipping examples in examples/siem parse, and every field they use is emitted.

Each configuration is parsed by the same kind of parser its tool uses (YAML for Filebeat,
TOML for Vector, Splunk's .conf as INI), and the ECS fields it filters, routes or
extracts on are looked up in the events of a real ``--sim`` run's log file: a renamed
field fails here, not silently in a SOC.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.conftest import EXAMPLES, Psrunbook

SIEM = EXAMPLES / "siem"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")


@pytest.fixture
def events(psrunbook: Psrunbook, tmp_path: Path) -> list[dict[str, Any]]:
    log = tmp_path / "run.jsonl"
    psrunbook("--log-file", str(log), "run", "ssis-clustered", "--sim")
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def emitted(events: list[dict[str, Any]], dotted: str) -> list[Any]:
    """The values of ``a.b.c`` (an ECS name may itself hold a dot: ``@timestamp``)."""
    values = []
    for event in events:
        node: Any = event
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            values.append(node)
    return values


def test_filebeat_config_decodes_at_the_root_and_filters_on_emitted_fields(
    events: list[dict[str, Any]],
) -> None:
    config = yaml.safe_load((SIEM / "filebeat.yml").read_text(encoding="utf-8"))
    [source] = config["filebeat.inputs"]
    assert "filestream" == source["type"]
    assert all(p.endswith(".jsonl") for p in source["paths"])
    assert "" == source["parsers"][0]["ndjson"]["target"]
    drop, stamp = source["processors"]
    [(field, value)] = drop["drop_event"]["when"]["not"]["equals"].items()
    assert value in emitted(events, field)
    assert "@timestamp" == stamp["timestamp"]["field"]
    assert all(TIMESTAMP.match(t) for t in emitted(events, "@timestamp"))


def test_vector_config_routes_on_emitted_fields(events: list[dict[str, Any]]) -> None:
    config = tomllib.loads((SIEM / "vector.toml").read_text(encoding="utf-8"))
    assert "file" == config["sources"]["psrunbook"]["type"]
    condition = config["transforms"]["psrunbook_failures"]["condition"]
    for path, value in re.findall(r'\.([\w.]+) == "([^"]+)"', condition):
        assert path in {"event.outcome", "event.dataset"}
        assert emitted(events, path), path
        if path == "event.dataset":
            assert value in emitted(events, path)
    assert {"success"} <= set(emitted(events, "event.outcome"))
    sinks = config["sinks"]
    assert "psrunbook.run" == sinks["elasticsearch"]["data_stream"]["dataset"]
    assert "@timestamp" == sinks["splunk"]["timestamp_key"]
    assert "${SPLUNK_HEC_TOKEN}" == sinks["splunk"]["default_token"]


def test_splunk_configs_extract_json_with_the_emitted_timestamp(
    events: list[dict[str, Any]],
) -> None:
    props = configparser.RawConfigParser()
    props.optionxform = str  # type: ignore[assignment,method-assign]  # Splunk keys are upper case
    props.read_string((SIEM / "splunk-props.conf").read_text(encoding="utf-8"))
    stanza = props["psrunbook:ecs"]
    assert "json" == stanza["INDEXED_EXTRACTIONS"]
    assert emitted(events, stanza["TIMESTAMP_FIELDS"])
    aliases = stanza["FIELDALIAS-psrunbook"].split()
    for field in aliases[0::3]:
        assert emitted(events, field), field
    inputs = configparser.RawConfigParser()
    inputs.read_string((SIEM / "splunk-inputs.conf").read_text(encoding="utf-8"))
    [monitor] = inputs.sections()
    assert monitor.endswith(".jsonl")
    assert "psrunbook:ecs" == inputs[monitor]["sourcetype"]
