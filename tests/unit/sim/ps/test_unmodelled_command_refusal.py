"""The evaluator refuses by name a command the session says Windows has but the lab does
not model (``PipelineSession.unmodelled``), instead of CommandNotFoundException, which
would tell a script the command does not exist on Windows. The lookup is the lab's
(:mod:`psrunbook.sim.lab.windows_commands`); here a fake one keeps the evaluator's side
on its own: asked only after every lookup failed, before the default verb, never
catchable, whatever ``-ErrorAction`` says; Get-Command refuses such a name too."""

from __future__ import annotations

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.ps.exceptions import UNSUPPORTED_ERROR_ID
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor

from .helpers import Result, Sink, table

_KNOWN = {
    "get-hotfix": "a Microsoft.PowerShell.Management command; the simulator does not model it",
    "netstat": "the program netstat.exe; the simulator does not model it",
    "get-thing": "never asked: the node's table has Get-Thing",
    "get-widget": "the default verb's command; the simulator does not model it",
}
_NOT_FOUND = (
    "The term '{}' is not recognized as the name of a cmdlet, function, script file, or "
    "operable program. Check the spelling of the name, or if a path was included, verify "
    "that the path is correct and try again."
)


def _unmodelled(context: ExecutionContext, name: str) -> str | None:
    return _KNOWN.get(name.casefold())


def _run(script: str, *, by_name: bool = False, lookup: bool = True) -> Result:
    commands = table()
    executor = PowerShellExecutor(
        lambda ctx: commands, unmodelled_command=_unmodelled if lookup else None
    )
    sink = Sink()
    request = PipelineRequest((CommandRequest(script, not by_name, ()),), ())
    try:
        executor.execute(request, ExecutionContext("NODE1", "LAB\\admin"), sink)
    except PipelineFailed as failed:
        sink.result.failed = failed.record
    return sink.result


def _refusal(result: Result) -> str:
    assert result.failed is not None
    assert result.failed.error_id == UNSUPPORTED_ERROR_ID
    return result.failed.message


def test_a_known_unmodelled_command_is_refused_by_name_and_cannot_be_caught() -> None:
    result = _run("try { Get-HotFix -Id KB1 } catch { 'caught' }\n'after'")
    assert result.output == []
    assert _refusal(result) == (
        "unsupported construct at line 1: command Get-HotFix (a Microsoft.PowerShell."
        "Management command; the simulator does not model it) 'Get-HotFix -Id KB1'"
    )


def test_error_action_does_not_silence_the_refusal() -> None:
    result = _run("netstat -an -ErrorAction SilentlyContinue")
    assert "command netstat (the program netstat.exe;" in _refusal(result)


def test_the_nodes_own_command_is_never_asked_about() -> None:
    result = _run("(Get-Thing alpha).Name")
    assert (result.output, result.failed) == (["alpha"], None)


def test_the_default_verb_is_refused_under_its_full_name() -> None:
    """``Widget`` finds nothing, nor does ``Get-Widget``: Windows would run Get-Widget."""
    assert "command Get-Widget (the default verb's" in _refusal(_run("Widget"))


def test_a_name_windows_does_not_know_is_still_command_not_found() -> None:
    result = _run("Get-Nothing; 'after'")
    assert result.output == ["after"]
    assert [e.message for e in result.errors] == [_NOT_FOUND.format("Get-Nothing")]


def test_without_a_lookup_every_unknown_name_is_command_not_found() -> None:
    result = _run("Get-HotFix; 'after'", lookup=False)
    assert result.output == ["after"]
    assert [e.error_id for e in result.errors] == ["CommandNotFoundException"]


def test_a_psrp_command_by_name_is_refused_too() -> None:
    """``add_cmdlet('Get-HotFix')``: no script text, the name is the excerpt."""
    assert _refusal(_run("Get-HotFix", by_name=True)).startswith(
        "unsupported construct at line 1: command Get-HotFix ("
    )


def test_get_command_refuses_the_name_even_when_asked_to_stay_silent() -> None:
    result = _run("if (Get-Command Get-HotFix -ErrorAction SilentlyContinue) { 'has it' }")
    assert result.output == []
    assert "Get-Command of Get-HotFix (a Microsoft.PowerShell.Management" in _refusal(result)


def test_get_command_of_an_unknown_name_or_a_wildcard_is_unchanged() -> None:
    result = _run(
        "if (-not (Get-Command Get-Nothing -ErrorAction SilentlyContinue)) { 'none' }\n"
        "@(Get-Command Get-Hot*).Count\n"
        "(Get-Command Get-Thing).Name"
    )
    assert (result.output, result.errors, result.failed) == (["none", 0, "Get-Thing"], [], None)
