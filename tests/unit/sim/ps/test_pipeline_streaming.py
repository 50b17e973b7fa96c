"""Pipelines stream as on Windows: each object goes through every later command before
the first command makes the next one; ``begin`` blocks run first and ``end`` blocks last,
in order; ``Select-Object -First`` stops the commands before it; a later command's
terminating error stops the earlier ones (PS-src ``engine/pipeline.cs``,
``commands/utility/Select-Object.cs``)."""

from __future__ import annotations

from typing import Any

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.objects import ErrorRecordData
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor
from tests.unit.sim.ps.helpers import table


class OrderedSink:
    """Every record of every stream, in the order the evaluator sent them."""

    def __init__(self) -> None:
        self.records: list[tuple[str, Any]] = []

    def output(self, value: Any) -> None:
        self.records.append(("out", value))

    def error(self, record: ErrorRecordData) -> None:
        self.records.append(("error", record.message))

    def warning(self, message: str) -> None:
        self.records.append(("warning", message))

    def verbose(self, message: str) -> None:
        self.records.append(("verbose", message))

    def information(self, value: Any) -> None:
        self.records.append(("host", str(value)))

    def debug(self, message: str) -> None:
        self.records.append(("debug", message))

    def progress(self, record: Any) -> None:
        self.records.append(("progress", record))


def ordered(*scripts: str) -> tuple[list[tuple[str, Any]], ErrorRecordData | None]:
    """Run ``scripts`` as the commands of one PSRP pipeline; every record in order.

    The runspace has run a pipeline before (``Write-Output``), as a pool has after its
    first invocation, so the "Preparing modules for first use." progress record of a
    runspace's first module command (test_sim_first_module_use) is not among them."""
    executor = PowerShellExecutor(lambda ctx: table())
    context = ExecutionContext("NODE1", "LAB\\admin")
    warm_up = PipelineRequest((CommandRequest("Write-Output 0", True, ()),))
    executor.execute(warm_up, context, OrderedSink())
    sink = OrderedSink()
    request = PipelineRequest(tuple(CommandRequest(s, True, ()) for s in scripts))
    try:
        executor.execute(request, context, sink)
    except PipelineFailed as failed:
        return sink.records, failed.record
    return sink.records, None


def hosts(records: list[tuple[str, Any]]) -> list[str]:
    return [value for stream, value in records if stream == "host"]


def test_host_lines_of_two_stages_interleave_per_object():
    records, _ = ordered(
        '1..3 | ForEach-Object { Write-Host "a$_"; $_ } | ForEach-Object { Write-Host "b$_" }'
    )
    assert ["a1", "b1", "a2", "b2", "a3", "b3"] == hosts(records)


def test_verbose_warning_error_and_output_records_interleave_per_object():
    records, _ = ordered(
        '1..2 | ForEach-Object { Write-Verbose "v$_" -Verbose; Write-Warning "w$_"; $_ }'
        ' | ForEach-Object { Write-Error "e$_"; "o$_" }'
    )
    assert [
        ("verbose", "v1"),
        ("warning", "w1"),
        ("error", "e1"),
        ("out", "o1"),
        ("verbose", "v2"),
        ("warning", "w2"),
        ("error", "e2"),
        ("out", "o2"),
    ] == records


def test_merged_errors_reach_the_next_stage_between_the_producers_records():
    records, _ = ordered(
        '1..2 | ForEach-Object { Write-Host "p$_"; Write-Error "e$_"; "o$_" } 2>&1'
        ' | ForEach-Object { Write-Host "seen $_" }'
    )
    assert ["p1", "seen e1", "seen o1", "p2", "seen e2", "seen o2"] == hosts(records)


def test_a_stage_block_output_goes_on_before_its_next_statement():
    records, _ = ordered(
        "1 | ForEach-Object { Write-Host a; 1; Write-Host b; 2 }"
        ' | ForEach-Object { Write-Host "got $_" }'
    )
    assert ["a", "got 1", "b", "got 2"] == hosts(records)


def test_functions_run_all_begin_blocks_then_process_per_object_then_end_blocks():
    records, _ = ordered(
        "function A { begin { Write-Host 'A begin' } process { Write-Host \"A $_\"; $_ }"
        " end { Write-Host 'A end' } }\n"
        "function B { begin { Write-Host 'B begin' } process { Write-Host \"B $_\" }"
        " end { Write-Host 'B end' } }\n"
        "1, 2 | A | B"
    )
    assert ["A begin", "B begin", "A 1", "B 1", "A 2", "B 2", "A end", "B end"] == hosts(records)


def test_a_function_without_process_block_gets_input_after_the_end_of_the_one_before():
    records, _ = ordered(
        "function A { begin { Write-Host 'A begin' } process { Write-Host \"A $_\"; $_ }"
        " end { Write-Host 'A end' } }\n"
        "function C { begin { Write-Host 'C begin' }"
        ' end { foreach ($i in $input) { Write-Host "C $i" } } }\n'
        "1, 2 | A | C"
    )
    assert ["A begin", "C begin", "A 1", "A 2", "A end", "C 1", "C 2"] == hosts(records)


def test_foreach_begin_process_end_and_where_object_interleave():
    records, _ = ordered(
        '1..3 | ForEach-Object -Begin { Write-Host fb } -Process { Write-Host "fp$_"; $_ }'
        ' -End { Write-Host fe } | Where-Object { Write-Host "w$_"; $_ -ne 2 }'
    )
    assert ["fb", "fp1", "w1", "fp2", "w2", "fp3", "w3", "fe"] == hosts(records)
    assert [1, 3] == [value for stream, value in records if stream == "out"]


def test_psrp_commands_of_one_statement_stream_into_each_other():
    records, _ = ordered("Write-Host a1; 1; Write-Host a2; 2", 'process { Write-Host "b$_" }')
    assert ["a1", "b1", "a2", "b2"] == hosts(records)


def test_select_first_stops_a_script_block_before_its_later_statements():
    records, _ = ordered("& { 1; 2; Write-Host x; 3 } | Select-Object -First 2")
    assert [("out", 1), ("out", 2)] == records


def test_select_first_returns_at_once_from_a_huge_range():
    records, _ = ordered(
        "1..1000000000 | Select-Object -First 2",
    )
    assert [("out", 1), ("out", 2)] == records
    records, _ = ordered("$n = 1000000000; $n..1 | Select-Object -Skip 1 -First 2")
    assert [("out", 999999999), ("out", 999999998)] == records


def test_select_first_skips_the_end_of_upstream_but_not_of_downstream():
    records, _ = ordered(
        "1..5 | ForEach-Object -Process { $_ } -End { Write-Host upstream-end }"
        " | Select-Object -First 2 | ForEach-Object -Process { $_ } -End { Write-Host after }"
    )
    assert [("out", 1), ("out", 2), ("host", "after")] == records


def test_select_first_after_a_node_cmdlet_takes_only_what_it_needs():
    records, _ = ordered(
        'Get-Thing | ForEach-Object { Write-Host "saw $($_.Name)"; $_ }'
        " | Select-Object -First 1 | ForEach-Object { $_.Name }"
    )
    assert [("host", "saw alpha"), ("out", "alpha")] == records


def test_select_first_in_an_inner_pipeline_stops_only_that_pipeline():
    records, _ = ordered(
        '1..2 | ForEach-Object { 1..9 | Select-Object -First 1; Write-Host "after $_" }'
    )
    assert [("out", 1), ("host", "after 1"), ("out", 1), ("host", "after 2")] == records


def test_a_terminating_error_downstream_stops_the_producer_and_fails_the_script():
    records, failed = ordered(
        '& { 1; Write-Host more; 2 } | ForEach-Object { Write-Error "bad$_" -ErrorAction Stop }'
        "\nWrite-Host next"
    )
    assert failed is not None
    assert "bad1" == failed.message
    assert [] == hosts(records)


def test_a_statement_terminating_error_downstream_ends_only_that_statement():
    records, failed = ordered(
        "& { try { [pscustomobject]@{ Name = 'alpha' }; Write-Host more }"
        " catch { Write-Host caught } finally { Write-Host cleanup } } | Get-Thing -Terminate\n"
        "Write-Host next"
    )
    assert failed is None
    assert [("host", "cleanup"), ("error", "terminated"), ("host", "next")] == records


def test_a_non_terminating_error_downstream_lets_the_producer_go_on():
    records, failed = ordered(
        '& { 1; Write-Host more; 2 } | ForEach-Object { Write-Error "bad$_"; $_ }'
    )
    assert failed is None
    assert [
        ("error", "bad1"),
        ("out", 1),
        ("host", "more"),
        ("error", "bad2"),
        ("out", 2),
    ] == records


def test_each_stage_keeps_its_own_scope_and_common_parameters():
    records, _ = ordered(
        "$v = 'outer'\n"
        "& { $v = 'inner'; Write-Host $v; 1; Write-Host $v } | ForEach-Object { Write-Host $v }\n"
        "1 | Write-Output -OutVariable got | ForEach-Object { Write-Error x }\n"
        "Write-Host $got.Count"
    )
    assert [
        ("host", "inner"),
        ("host", "outer"),
        ("host", "inner"),
        ("error", "x"),
        ("host", "1"),
    ] == records
