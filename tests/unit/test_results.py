"""Result parsing: real Windows and simulator records -> plain data, typed results, StepErrors."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recordings import decode_pipelines, deserialize

from psrunbook.catalog import catalog_document
from psrunbook.errors import ConnectionFailed, WSManFault
from psrunbook.results import (
    ERROR_CATEGORIES,
    ClusterResourceStateName,
    StepError,
    cluster_enum,
    cluster_enum_types,
    parse_output,
    plain,
)
from psrunbook.runbook.model import StepResult
from psrunbook.secrets import Secret
from psrunbook.sim.endpoint.clixml import ClixmlWriter
from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.objects import ErrorRecordData
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor

WRITE_ERROR = "Microsoft.PowerShell.Commands.WriteErrorException"


class ResourceResult(StepResult):
    name: str
    state: ClusterResourceStateName


def result_object(changed: str = "true", check_only: str = "false", data: str | None = None) -> Any:
    """A result object as Windows serialises a [PSCustomObject] (NoteProperties in <MS>)."""
    payload = data if data is not None else json.dumps({"name": "SSIS", "state": 2})
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return deserialize(
        '<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T>'
        "<T>System.Object</T></TN><ToString>@{PSRunbookResult=1}</ToString><MS>"
        '<I32 N="PSRunbookResult">1</I32>'
        f'<B N="Changed">{changed}</B><B N="CheckOnly">{check_only}</B>'
        f'<S N="Data">{escaped}</S></MS></Obj>'
    )


def resource_state_enum(label: str, number: int) -> Any:
    return deserialize(
        '<Obj RefId="0"><TN RefId="0">'
        "<T>Microsoft.FailoverClusters.PowerShell.ClusterResourceState</T><T>System.Enum</T>"
        "<T>System.ValueType</T><T>System.Object</T></TN>"
        f"<ToString>{label}</ToString><I32>{number}</I32></Obj>"
    )


# --------------------------------------------------------------------------- real Windows records


def test_failed_pipeline_error_record_from_windows() -> None:
    """The ErrorRecord of a real Failed pipeline keeps PowerShell's identifiers and position."""
    [pipeline] = decode_pipelines("test_psrp_error_failed.yml")
    assert (5, True) == (pipeline.state, pipeline.had_errors)
    [record] = pipeline.errors
    error = StepError.from_error_record(record)
    assert "error" == error.message
    assert WRITE_ERROR == error.exception_type
    assert WRITE_ERROR == error.fully_qualified_error_id
    assert ("NotSpecified", "Write-Error", "WriteErrorException") == (
        error.category,
        error.activity,
        error.reason,
    )
    assert 1 == error.script_line
    assert error.position_message is not None
    assert error.position_message.startswith("At line:1 char:55\r\n")
    assert None is error.target


def test_failed_pipeline_is_failed_without_a_contract_error() -> None:
    """A script that stopped on an error is failed by that error alone, output kept aside."""
    [pipeline] = decode_pipelines("test_psrp_error_failed.yml")
    parsed = parse_output(pipeline.output, pipeline.errors, pipeline.had_errors, StepResult)
    assert True is parsed.failed
    assert ["error"] == [e.message for e in parsed.errors]
    assert ("before",) == parsed.extra_output
    assert None is parsed.data


def test_non_terminating_error_fails_a_completed_pipeline() -> None:
    """A Write-Error on a Completed pipeline (had_errors False) still fails the step."""
    [pipeline] = decode_pipelines("test_psrp_stream_output_invocation.yml")
    assert (4, False) == (pipeline.state, pipeline.had_errors)
    parsed = parse_output(pipeline.output, pipeline.errors, pipeline.had_errors, StepResult)
    assert True is parsed.failed
    [error] = parsed.errors
    assert ("error stream", WRITE_ERROR) == (error.message, error.fully_qualified_error_id)
    assert 5 == error.script_line  # only the script stack trace still knows the line


def test_output_without_result_object_is_a_contract_error() -> None:
    """Plain output with no result object is reported as a StepError, not a crash."""
    first = decode_pipelines("test_psrp_multiple_invocations.yml")[0]
    assert [2] == first.output
    parsed = parse_output(first.output, first.errors, first.had_errors, StepResult)
    assert True is parsed.failed
    assert ["PSRunbookResultMissing"] == [e.fully_qualified_error_id for e in parsed.errors]
    assert (2,) == parsed.extra_output


def test_recording_decoder_reads_every_pipeline() -> None:
    """The recording decoder finds both invocations of a reused PowerShell object."""
    pipelines = decode_pipelines("test_psrp_multiple_invocations.yml")
    assert [("1+1", [2], 4), ("1+1", [2], 4)] == [(p.script, p.output, p.state) for p in pipelines]


# --------------------------------------------------------------------------- result contract


def test_result_object_is_validated_into_the_model() -> None:
    """A result object's Data JSON becomes the step's typed result, enums mapped by number."""
    parsed = parse_output([result_object()], [], False, ResourceResult)
    assert (False, True, False) == (parsed.failed, parsed.changed, parsed.check_only)
    assert ResourceResult(name="SSIS", state="Online") == parsed.data
    assert () == parsed.errors


def test_check_only_flag_is_read() -> None:
    """CheckOnly comes from the result object."""
    parsed = parse_output(
        [result_object(changed="true", check_only="true")], [], False, ResourceResult
    )
    assert (True, True) == (parsed.changed, parsed.check_only)


def test_extra_output_is_kept_apart_from_the_result() -> None:
    """Other output objects travel as extra_output and do not disturb the result."""
    parsed = parse_output(["note", result_object(), 7], [], False, ResourceResult)
    assert ("note", 7) == parsed.extra_output
    assert False is parsed.failed


def test_duplicate_result_objects_are_a_contract_error() -> None:
    """Two result objects fail the step with a clear message."""
    parsed = parse_output([result_object(), result_object()], [], False, ResourceResult)
    assert True is parsed.failed
    [error] = parsed.errors
    assert "PSRunbookResultDuplicate" == error.fully_qualified_error_id
    assert "2 result objects" in error.message


def test_invalid_json_is_a_contract_error() -> None:
    """Data that is not JSON fails the step with the parse position, not an exception."""
    parsed = parse_output([result_object(data="{not json")], [], False, ResourceResult)
    assert True is parsed.failed
    [error] = parsed.errors
    assert ("PSRunbookResultDataNotJson", "InvalidResult") == (
        error.fully_qualified_error_id,
        error.category,
    )
    assert "line 1 column 2" in error.message


def test_data_not_matching_model_names_the_field() -> None:
    """Data that does not fit the result model names the missing field."""
    parsed = parse_output([result_object(data='{"state": 2}')], [], False, ResourceResult)
    [error] = parsed.errors
    assert "PSRunbookResultDataInvalid" == error.fully_qualified_error_id
    assert "ResourceResult" in error.message
    assert "name" in error.message
    assert None is parsed.data


def test_data_that_is_not_an_object_is_a_contract_error() -> None:
    """A JSON array as Data is refused: a result is an object."""
    parsed = parse_output([result_object(data="[1, 2]")], [], False, StepResult)
    assert ["PSRunbookResultDataNotObject"] == [e.fully_qualified_error_id for e in parsed.errors]


def test_null_data_is_an_empty_result() -> None:
    """ConvertTo-Json of $null ('null') is a result with nothing to report."""
    parsed = parse_output([result_object(data="null")], [], False, StepResult)
    assert (False, StepResult()) == (parsed.failed, parsed.data)


def test_non_boolean_changed_is_a_contract_error() -> None:
    """Changed must be a boolean; anything else fails the step."""
    result = {"PSRunbookResult": 1, "Changed": "maybe", "CheckOnly": False, "Data": "{}"}
    parsed = parse_output([result], [], False, StepResult)
    assert ["PSRunbookResultChangedInvalid"] == [e.fully_qualified_error_id for e in parsed.errors]


def test_had_errors_alone_fails_the_step() -> None:
    """A Failed pipeline fails the step even when no error record arrived."""
    parsed = parse_output([result_object()], [], True, ResourceResult)
    assert (True, ()) == (parsed.failed, parsed.errors)


# --------------------------------------------------------------------------- simulator


def simulate(script: str, *arguments: tuple[str, Any]) -> tuple[list[Any], list[Any], bool]:
    """Run a script in the simulator and carry its streams through the wire format to pypsrp."""
    output: list[Any] = []
    errors: list[ErrorRecordData] = []

    class Sink:
        def output(self, value: Any) -> None:
            output.append(value)

        def error(self, record: ErrorRecordData) -> None:
            errors.append(record)

        def warning(self, message: str) -> None: ...

        def verbose(self, message: str) -> None: ...

        def information(self, value: Any) -> None: ...

        def debug(self, message: str) -> None: ...

        def progress(self, record: Any) -> None: ...

    request = PipelineRequest((CommandRequest(script, True, arguments),))
    failed: ErrorRecordData | None = None
    try:
        PowerShellExecutor(lambda ctx: {}).execute(
            request, ExecutionContext("NODE1", "LAB\\ops"), Sink()
        )
    except PipelineFailed as exc:
        failed = exc.record

    def wire(write: Any) -> Any:
        writer = ClixmlWriter()
        write(writer)
        return deserialize(writer.getvalue().decode("utf-8"))

    received = [wire(lambda w, v=v: w.value(v)) for v in output]
    received_errors = [wire(lambda w, r=r: w.error_record(r)) for r in errors]
    if failed is not None:
        state = wire(lambda w: w.pipeline_state(5, failed))
        received_errors.append(state.extended_properties["ExceptionAsErrorRecord"])
    return received, received_errors, failed is not None


EMITTER = """
[PSCustomObject]@{
    PSRunbookResult = 1
    Changed         = [bool]$changed
    CheckOnly       = [bool]$CheckOnly
    Data            = ConvertTo-Json -InputObject $result -Depth 8 -Compress
}
"""


def test_simulated_script_result_is_parsed() -> None:
    """A script run by the simulator and sent over CLIXML parses into its typed result."""
    script = (
        "param([string]$Name, [switch]$CheckOnly)\n"
        "$changed = $true\n"
        "$result = @{ name = $Name; state = 'offline' }\n" + EMITTER
    )
    parsed = parse_output(*simulate(script, ("Name", "SSIS")), ResourceResult)
    assert (False, True, False) == (parsed.failed, parsed.changed, parsed.check_only)
    assert ResourceResult(name="SSIS", state="Offline") == parsed.data


def test_simulated_throw_gives_step_error_with_line() -> None:
    """An uncaught throw in the simulator fails the step with PowerShell's throw shape."""
    script = 'param([string]$Name)\n$x = 1\nthrow "resource $Name failed"\n'
    parsed = parse_output(*simulate(script, ("Name", "SSIS")), StepResult)
    assert True is parsed.failed
    [error] = parsed.errors
    assert ("resource SSIS failed", "OperationStopped", 3) == (
        error.message,
        error.category,
        error.script_line,
    )
    assert "System.Management.Automation.RuntimeException" == error.exception_type


def test_simulated_non_terminating_error_fails_step_but_keeps_result() -> None:
    """A Write-Error under Continue fails the step and the result is still read."""
    script = (
        "param([switch]$CheckOnly)\n"
        "Write-Error -Message 'disk not reachable'\n"
        "$changed = $false\n"
        "$result = @{ name = 'SSIS'; state = 4 }\n" + EMITTER
    )
    output, errors, had_errors = simulate(script)
    parsed = parse_output(output, errors, had_errors, ResourceResult)
    assert (False, True) == (had_errors, parsed.failed)
    # Write-Error at the top of a script carries the script's invocation, which has no
    # line on Windows (test_psrp_stream_output_invocation.yml): no line to report.
    assert [("disk not reachable", None)] == [(e.message, e.script_line) for e in parsed.errors]
    assert ResourceResult(name="SSIS", state="Failed") == parsed.data


# --------------------------------------------------------------------------- StepError


def cluster_error_record(**overrides: str) -> Any:
    """A FailoverClusters error with extended info, in the shape Windows serialises it."""
    fields = {
        "fqid": "ClusterRpcConnection,Microsoft.FailoverClusters.PowerShell.GetResourceCommand",
        "category": "27",
        "target_name": "SQL Network Name (SQLVS1)",
    }
    fields.update(overrides)
    return deserialize(
        '<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.ErrorRecord</T>'
        "<T>System.Object</T></TN><ToString>The cluster service is not running.</ToString><MS>"
        '<Obj N="Exception" RefId="1"><TN RefId="1">'
        "<T>Microsoft.FailoverClusters.PowerShell.ClusterCmdletException</T>"
        "<T>System.Exception</T><T>System.Object</T></TN>"
        "<ToString>Microsoft.FailoverClusters.PowerShell.ClusterCmdletException: "
        "The cluster service is not running.</ToString>"
        '<Props><S N="Message">The cluster service is not running.</S></Props></Obj>'
        '<Nil N="TargetObject" />'
        f'<S N="FullyQualifiedErrorId">{fields["fqid"]}</S>'
        f'<I32 N="ErrorCategory_Category">{fields["category"]}</I32>'
        '<S N="ErrorCategory_Activity">Get-ClusterResource</S>'
        '<S N="ErrorCategory_Reason">ClusterCmdletException</S>'
        f'<S N="ErrorCategory_TargetName">{fields["target_name"]}</S>'
        '<S N="ErrorCategory_TargetType">String</S>'
        '<S N="ErrorCategory_Message">ConnectionError: (:) [Get-ClusterResource], '
        "ClusterCmdletException</S>"
        '<B N="SerializeExtendedInfo">true</B>'
        '<S N="InvocationInfo_InvocationName">Get-ClusterResource</S>'
        '<I32 N="InvocationInfo_ScriptLineNumber">12</I32>'
        '<S N="InvocationInfo_PositionMessage">At line:12 char:5</S>'
        '<S N="CommandInfo_Name">Get-ClusterResource</S>'
        "</MS></Obj>"
    )


def test_cluster_error_record_with_extended_info() -> None:
    """A FailoverClusters error keeps its id, category name, target, line and command."""
    error = StepError.from_error_record(cluster_error_record())
    assert (
        StepError(
            message="The cluster service is not running.",
            exception_type="Microsoft.FailoverClusters.PowerShell.ClusterCmdletException",
            fully_qualified_error_id=(
                "ClusterRpcConnection,Microsoft.FailoverClusters.PowerShell.GetResourceCommand"
            ),
            category="ConnectionError",
            target="SQL Network Name (SQLVS1)",
            activity="Get-ClusterResource",
            reason="ClusterCmdletException",
            script_line=12,
            position_message="At line:12 char:5",
            command_name="Get-ClusterResource",
        )
        == error
    )


def test_unknown_category_number_is_kept() -> None:
    """A category number outside the table is kept as Unknown(n)."""
    assert (
        "Unknown(99)" == StepError.from_error_record(cluster_error_record(category="99")).category
    )


@pytest.mark.parametrize(("number", "name"), sorted(ERROR_CATEGORIES.items()))
def test_every_error_category_maps_by_number(number: int, name: str) -> None:
    """Each ErrorCategory number from the facts maps to its name."""
    assert name == StepError.from_error_record(cluster_error_record(category=str(number))).category


@pytest.mark.parametrize("record", [None, "plain text error", object()])
def test_step_error_tolerates_non_records(record: Any) -> None:
    """Anything on the error stream becomes a StepError with a message, never a crash."""
    error = StepError.from_error_record(record)
    assert error.message
    assert "NotSpecified" == error.category


def test_step_error_tolerates_missing_fields() -> None:
    """An ErrorRecord with almost nothing in it still gives a usable StepError."""
    record = deserialize(
        '<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.ErrorRecord</T>'
        '<T>System.Object</T></TN><MS><S N="FullyQualifiedErrorId">Oops</S>'
        '<I32 N="ErrorCategory_Category">7</I32><B N="SerializeExtendedInfo">false</B></MS></Obj>'
    )
    assert StepError(
        message="unknown error", fully_qualified_error_id="Oops", category="InvalidOperation"
    ) == StepError.from_error_record(record)


def test_step_error_dict_round_trip_is_json() -> None:
    """to_dict is JSON-able and holds every field, so its JSON restores the same StepError."""
    error = StepError.from_error_record(cluster_error_record())
    as_json = json.dumps(error.to_dict())
    assert error == StepError(**json.loads(as_json))


def test_transport_fault_becomes_a_step_error_with_its_class_and_code() -> None:
    """A WSMan fault keeps its text, its class name as the type and its code as the error id."""
    fault = WSManFault("NODE1: WSMan fault 5: Access denied", code=5)
    expected = StepError(
        message="NODE1: WSMan fault 5: Access denied",
        exception_type="WSManFault",
        fully_qualified_error_id="5",
    )
    assert expected == StepError.from_exception(fault)


def test_fault_without_a_code_becomes_a_step_error_without_an_id() -> None:
    """A refused connection has no code: the error id stays empty rather than invented."""
    fault = ConnectionFailed("NODE2: connection refused", node="NODE2")
    expected = StepError(message="NODE2: connection refused", exception_type="ConnectionFailed")
    assert expected == StepError.from_exception(fault)


# --------------------------------------------------------------------------- plain values


def test_plain_object_merges_adapted_and_extended_properties() -> None:
    """An object's .NET and note properties become one dict; note properties win."""
    value = deserialize(
        '<Obj RefId="0"><TN RefId="0"><T>Microsoft.FailoverClusters.PowerShell.ClusterResource</T>'
        "<T>System.Object</T></TN><ToString>SSIS</ToString>"
        '<Props><S N="Name">SSIS</S><S N="OwnerGroup">SQL Server (MSSQLSERVER)</S></Props>'
        '<MS><S N="Name">SSIS (note)</S></MS></Obj>'
    )
    assert {"Name": "SSIS (note)", "OwnerGroup": "SQL Server (MSSQLSERVER)"} == plain(value)


def test_plain_enum_is_its_name() -> None:
    """A deserialized enum becomes the name PowerShell prints."""
    assert "OnlinePending" == plain(resource_state_enum("OnlinePending", 129))


def test_plain_collections_and_primitives() -> None:
    """Hashtables, arrays, GUIDs, byte arrays and DateTimes become JSON-able values."""
    value = deserialize(
        '<Obj RefId="0"><TN RefId="0"><T>System.Collections.Hashtable</T><T>System.Object</T></TN>'
        '<DCT><En><S N="Key">nodes</S><Obj N="Value" RefId="1"><TN RefId="1"><T>System.Object[]</T>'
        "<T>System.Array</T><T>System.Object</T></TN><LST><S>N1</S><S>N2</S></LST></Obj></En>"
        '<En><S N="Key">id</S><G N="Value">6f1f8f55-0e3a-4c5e-9d0a-1d1f2b3c4d5e</G></En>'
        '<En><S N="Key">bytes</S><BA N="Value">AQID</BA></En>'
        '<En><S N="Key">when</S><DT N="Value">2026-01-02T03:04:05.0000000Z</DT></En>'
        '<En><S N="Key">ratio</S><Db N="Value">0.5</Db></En>'
        "</DCT></Obj>"
    )
    expected = {
        "nodes": ["N1", "N2"],
        "id": "6f1f8f55-0e3a-4c5e-9d0a-1d1f2b3c4d5e",
        "bytes": "AQID",
        "when": "2026-01-02T03:04:05.0000000Z",
        "ratio": 0.5,
    }
    assert expected == plain(value)
    json.dumps(plain(value))


def test_plain_depth_one_snapshot_is_its_text() -> None:
    """A nested object that arrived as ToString only stays text."""
    value = deserialize(
        '<Obj RefId="0"><TN RefId="0"><T>System.Object</T></TN><ToString>SQLNODE1</ToString></Obj>'
    )
    assert "SQLNODE1" == plain(value)


def test_plain_get_date_is_its_date_text():
    """Windows sends Get-Date as a <DT> with its DisplayHint note (a primitive with
    notes); the value is the date, not the note."""
    value = deserialize(
        '<Obj RefId="0"><DT>2017-03-17T00:00:00.3522798-07:00</DT><MS>'
        '<Obj N="DisplayHint" RefId="1"><TN RefId="0">'
        "<T>Microsoft.PowerShell.Commands.DisplayHintType</T><T>System.Enum</T>"
        "<T>System.ValueType</T><T>System.Object</T></TN>"
        "<ToString>DateTime</ToString><I32>2</I32></Obj></MS></Obj>"
    )
    assert "2017-03-17T00:00:00.3522798-07:00" == plain(value)


def test_plain_keeps_secure_strings_masked() -> None:
    """A SecureString pypsrp could not decrypt, and a Secret, stay masked."""
    element = Element("SS")
    element.text = "c2VjcmV0"
    assert ["***", "***"] == plain([element, Secret("hunter2-plain")])


def test_plain_survives_self_reference() -> None:
    """A self-referencing graph ends in text instead of recursing forever."""
    loop: list[Any] = []
    loop.append(loop)
    assert isinstance(json.dumps(plain(loop)), str)


# --------------------------------------------------------------------------- cluster enums


def _facts_enums() -> dict[str, dict[str, int]]:
    enums = catalog_document()["enums"]
    return {k.removesuffix(" (flags)"): v for k, v in enums.items() if not k.startswith("_")}


@pytest.mark.parametrize(
    ("type_name", "member", "number"),
    [(t, m, n) for t, members in _facts_enums().items() for m, n in members.items()],
)
def test_cluster_enum_maps_every_fact_by_name_and_number(
    type_name: str, member: str, number: int
) -> None:
    """Every enum member in the facts maps from its number, its name and its upper-cased name."""
    assert member == cluster_enum(type_name, number)
    assert member == cluster_enum(type_name, member.upper())
    assert member == cluster_enum(type_name, str(number))


def test_cluster_enum_keeps_unknown_values() -> None:
    """Unknown numbers become Unknown(n); unknown names come back unchanged."""
    assert "Unknown(42)" == cluster_enum("ClusterResourceState", 42)
    assert "Quiescing" == cluster_enum("ClusterGroupState", "Quiescing")
    assert "Unknown(None)" == cluster_enum("ClusterNodeState", None)


def test_cluster_enum_reads_deserialized_enums_and_qualified_types() -> None:
    """A deserialized enum and a namespace-qualified type name both work."""
    state = resource_state_enum("Online", 2)
    assert "Online" == cluster_enum(
        "Microsoft.FailoverClusters.PowerShell.ClusterResourceState", state
    )


def test_cluster_enum_combines_flags() -> None:
    """A flags value prints as .NET does: member names joined by ', '."""
    assert "Locked, EmbeddedFailure" == cluster_enum("ClusterResourceStatusInformation", 3)
    assert "Unknown(128)" == cluster_enum("ClusterResourceStatusInformation", 128)


def test_cluster_enum_unknown_type_is_a_programming_error() -> None:
    """Asking for an enum the facts do not hold raises, listing the known ones."""
    with pytest.raises(ValueError, match="ClusterGroupState"):
        cluster_enum("ClusterThing", 1)
    assert "ClusterResourceState" in cluster_enum_types()


# --------------------------------------------------------------------------- never a crash

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    output=st.lists(
        _json_values
        | st.fixed_dictionaries(
            {"PSRunbookResult": st.just(1), "Changed": _json_values, "Data": _json_values}
        ),
        max_size=4,
    ),
    had_errors=st.booleans(),
)
def test_parse_output_never_raises(output: list[Any], had_errors: bool) -> None:
    """Whatever a script writes, parsing gives a ParsedOutput whose output is JSON-able."""
    parsed = parse_output(output, [], had_errors, StepResult)
    json.dumps(parsed.extra_output)
    assert parsed.failed or parsed.data is not None


@settings(max_examples=150, deadline=None)
@given(value=_json_values)
def test_cluster_enum_never_raises_for_a_value(value: Any) -> None:
    """Any value gives a state name string for a known enum type."""
    assert isinstance(cluster_enum("ClusterGroupState", value), str)
