"""Errors the simulated PowerShell raises while parsing and running a script.

Three kinds exist because PowerShell has three outcomes: a terminating error a
``try``/``catch`` may handle (:class:`ScriptError`), a script the simulator refuses
outright (:class:`UnsupportedConstruct`, :class:`ScriptParseError`: never catchable,
so a script outside the supported subset can never pass by swallowing its own failure),
and the control-flow signals ``break``/``continue``/``return``/``exit``.
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.objects import ErrorRecordData

UNSUPPORTED_ERROR_ID = "UnsupportedConstruct"
PARSE_ERROR_ID = "ParseError"


class ScriptError(Exception):
    """A terminating PowerShell error.

    ``script_terminating`` separates ``throw`` and Stop escalation (they unwind the
    whole script) from statement-terminating errors such as a missing command, which
    outside ``try`` are written to the error stream before the next statement runs.
    ``escalated`` marks a non-terminating error that ``-ErrorAction Stop`` turned into
    this one (``catch`` then also matches it as an ActionPreferenceStopException).
    """

    def __init__(
        self,
        record: ErrorRecordData,
        *,
        script_terminating: bool = True,
        escalated: bool = False,
    ) -> None:
        super().__init__(record.message)
        self.record = record
        self.script_terminating = script_terminating
        self.escalated = escalated


class RefusedScript(Exception):
    """A script the simulator will not run; always ends the pipeline Failed."""

    def __init__(self, record: ErrorRecordData) -> None:
        super().__init__(record.message)
        self.record = record


class UnsupportedConstruct(RefusedScript):
    """A construct outside the simulated subset, named with its line and text."""

    def __init__(
        self, line: int, construct: str, excerpt: str, line_text: str = "", column: int = 1
    ) -> None:
        short = " ".join(excerpt.split())
        if len(short) > 60:
            short = short[:57] + "..."
        message = f"unsupported construct at line {line}: {construct} '{short}'"
        super().__init__(
            ErrorRecordData(
                message=message,
                error_id=UNSUPPORTED_ERROR_ID,
                category="NotImplemented",
                exception_type="System.NotSupportedException",
                script_line=line,
                script_column=column,
                line_text=line_text or None,
            )
        )


class ScriptParseError(RefusedScript):
    """The script does not parse (or PowerShell would tokenize it differently)."""

    def __init__(self, line: int, column: int, message: str, line_text: str = "") -> None:
        super().__init__(
            ErrorRecordData(
                message=f"parse error at line {line}, column {column}: {message}",
                error_id=PARSE_ERROR_ID,
                category="ParserError",
                exception_type="System.Management.Automation.ParseException",
                script_line=line,
                script_column=column,
                line_text=line_text or None,
            )
        )


class FlowSignal(Exception):
    """Base of ``break``/``continue``/``return``/``exit``; never an error."""


class BreakSignal(FlowSignal):
    """``break`` out of the innermost loop or switch."""


class ContinueSignal(FlowSignal):
    """``continue`` with the next iteration of the innermost loop."""


class ReturnSignal(FlowSignal):
    """``return``: its value was already written to the output."""


class ExitSignal(FlowSignal):
    """``exit [code]``: ends the script; the code becomes ``$LASTEXITCODE``."""

    def __init__(self, code: Any) -> None:
        super().__init__("exit")
        self.code = code


class StopRequested(Exception):
    """The client asked to stop the pipeline; raised between statements."""


class MethodThrew(Exception):
    """A modelled .NET method threw ``exception`` (the .NET type's full name) with this
    message; PowerShell reports it as a MethodInvocationException ('Exception calling
    "Name" with "n" argument(s): "message"') whose inner exception a catch can match."""

    def __init__(self, message: str, exception: str) -> None:
        super().__init__(message)
        self.exception = exception
