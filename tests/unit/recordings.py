"""Decode recorded Windows PSRP traffic into what pypsrp would hand a caller.

The recordings in ``tests/fixtures/recordings/`` are YAML files of SOAP request/response
pairs. Only the response envelopes matter here: their ``rsp:Stream`` elements hold
base64 PSRP fragments, which pypsrp's own ``Fragmenter`` and ``Serializer`` turn into
messages exactly as ``PowerShell.invoke()`` does. Messages are then sorted per
pipeline the way pypsrp's ``_process_*`` handlers do it: output objects, error
records, and the final pipeline state (whose ``ExceptionAsErrorRecord`` joins the
error stream; ``had_errors`` only when the state is Failed).

The YAML is read by a small reader for this one shape (``messages:`` list of
``request`` / ``response`` plain scalars, folded onto continuation lines), because the
project does not depend on a YAML library.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypsrp.messages import MessageType
from pypsrp.powershell import Fragmenter
from pypsrp.serializer import Serializer

RECORDINGS = Path(__file__).parent.parent / "fixtures" / "recordings"

_FAILED = 5  # PSInvocationState.Failed
_STREAM = re.compile(r"<rsp:Stream\b[^>]*>([A-Za-z0-9+/=\s]*)</rsp:Stream>")
_ARGUMENTS = re.compile(r"<rsp:Arguments>([A-Za-z0-9+/=\s]*)</rsp:Arguments>")
_CMD = re.compile(rb'<S N="Cmd">(.*?)</S>', re.DOTALL)
_ENTRY = re.compile(r"^(- |  )([A-Za-z_]+):(?: (.*))?$")


@dataclass
class Pipeline:
    """One pipeline's results as pypsrp collects them in ``PowerShell`` and its streams."""

    pid: str
    script: str | None = None
    output: list[Any] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    state: int | None = None
    had_errors: bool = False
    progress: list[tuple[Any, ...]] = field(default_factory=list)
    """Each progress record as :func:`progress_fields` gives it."""


def read_messages(path: Path) -> list[dict[str, str]]:
    """The ``messages`` list of a recording: one dict of plain scalars per item."""
    items: list[dict[str, str]] = []
    key: str | None = None
    for raw in path.read_text("utf-8").splitlines():
        if raw == "messages:" or not raw.strip():
            continue
        match = _ENTRY.match(raw)
        if match is not None:
            marker, key, value = match.groups()
            if marker == "- ":
                items.append({})
            items[-1][key] = value or ""
        elif raw.startswith("    ") and key is not None and items:
            # A folded continuation line of the previous scalar (or a nested mapping
            # such as transport_error, kept as text).
            items[-1][key] = f"{items[-1][key]} {raw.strip()}".strip()
        else:
            raise ValueError(f"{path.name}: unexpected line shape: {raw[:60]!r}")
    return items


def _scripts(messages: list[dict[str, str]]) -> list[str]:
    serializer = Serializer()
    scripts = []
    for item in messages:
        for blob in _ARGUMENTS.findall(item.get("request", "")):
            for cmd in _CMD.findall(base64.b64decode(blob)):
                scripts.append(serializer._deserialize_string(cmd.decode("utf-8")))
    return scripts


def decode_pipelines(name: str) -> list[Pipeline]:
    """Every pipeline in recording ``name`` (file name without directory), in order."""
    messages = read_messages(RECORDINGS / name)
    fragmenter = Fragmenter(512000, Serializer())
    current: dict[str, Pipeline] = {}
    ordered: list[Pipeline] = []
    for item in messages:
        for blob in _STREAM.findall(item.get("response", "")):
            for message in fragmenter.defragment(base64.b64decode("".join(blob.split()))):
                if (
                    message.pid is None
                    or str(message.pid) == "00000000-0000-0000-0000-000000000000"
                ):
                    continue  # runspace-pool messages
                pid = str(message.pid)
                pipe = current.get(pid)
                if pipe is None or pipe.state is not None:
                    # A PowerShell object invoked again reuses its pipeline id.
                    pipe = current[pid] = Pipeline(pid=pid)
                    ordered.append(pipe)
                kind = message.message_type
                data: Any = message.data
                if kind == MessageType.PIPELINE_OUTPUT:
                    pipe.output.append(data.data)
                elif kind == MessageType.ERROR_RECORD:
                    pipe.errors.append(data)
                elif kind == MessageType.PROGRESS_RECORD:
                    pipe.progress.append(progress_fields(data))
                elif kind == MessageType.PIPELINE_STATE:
                    pipe.state = data.state
                    if data.error_record is not None:
                        pipe.errors.append(data.error_record)
                    pipe.had_errors = pipe.state == _FAILED
    for pipe, script in zip(ordered, _scripts(messages), strict=False):
        pipe.script = script
    return ordered


def progress_fields(record: Any) -> tuple[Any, ...]:
    """A pypsrp ProgressRecord's fields in MS-PSRP 2.2.2.25's order, its Type by name."""
    kind = record.progress_type
    return (
        record.activity,
        record.activity_id,
        record.description,
        record.current_operation,
        record.parent_activity_id,
        record.percent_complete,
        None if kind is None else str(kind),
        record.seconds_remaining,
    )


def deserialize(clixml: str) -> Any:
    """One CLIXML ``<Obj>`` (or primitive element) through pypsrp's deserializer."""
    return Serializer().deserialize(clixml)
