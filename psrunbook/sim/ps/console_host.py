"""``powershell.exe -Command ...`` as a process: the script's output as text on
stdout, its errors on stderr, and the process's exit code.

A WinRS command such as ``powershell.exe Get-Content C:\\x`` (pypsrp's
``Client.execute_cmd``) starts a non-interactive console host whose stdout is a pipe:

* Output is formatted as the console host formats it (``Out-Default``, the same text
  ``Out-String -Stream`` gives), one line per ``\\r\\n``.
* Errors go to stderr in the CLIXML form pypsrp's ``Client.sanitise_clixml`` undoes:
  ``#< CLIXML`` then ``<Objs>`` with one ``<S S="Error">`` per line of the error as the
  console prints it (``name : message``, ``At line:1 char:N``, the line, the
  squiggle, ``CategoryInfo``, ``FullyQualifiedErrorId``, a blank line). The layout is
  that of pypsrp's ``tests/data/test_sanitise_clixml_with_error.xml``, captured from
  Windows; the "Preparing modules for first use." progress records Windows puts in
  front on a first module load are not simulated (UNVERIFIED when Windows chooses the
  CLIXML form over plain text; the stricter, machine form is used always).
* The exit code follows about_PowerShell_exe for ``-Command``: ``exit N`` gives N,
  otherwise ``$host.SetShouldExit(n)``'s n (``$host`` is the console host,
  :func:`~psrunbook.sim.ps.automatic.console_host`), otherwise 0 when the last statement
  succeeded (``$?``) and 1 when it did not or a terminating error ended the script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from psrunbook.sim.executor_protocol import ExecutionContext
from psrunbook.sim.objects import ErrorRecordData, ProgressData
from psrunbook.sim.ps.automatic import console_host
from psrunbook.sim.ps.binding import Argument
from psrunbook.sim.ps.evaluator import Evaluator
from psrunbook.sim.ps.exceptions import ExitSignal, RefusedScript, ScriptError
from psrunbook.sim.ps.parser import parse
from psrunbook.sim.ps.pipeline import run_pipeline
from psrunbook.sim.ps.stages import BlockStage
from psrunbook.sim.ps.values import to_int, to_string

if TYPE_CHECKING:
    from psrunbook.sim.ps.powershell_executor import PowerShellExecutor

CONSOLE_WIDTH = 120
"""The buffer width error lines wrap at (the captured CLIXML wraps there)."""

CLIXML_HEADER = "#< CLIXML\r\n"
_OBJS_OPEN = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'


class _ConsoleSink:
    """A console run's streams: ``Write-Host`` (the information stream) printed on
    stdout as the console does; errors, warnings, and the verbose and debug records the
    preferences let through kept in order for stderr, where a console host whose
    output is redirected writes them as CLIXML strings tagged with their stream
    (``S="Error"``, ``S="warning"``, ``S="verbose"``, ``S="debug"``; UNVERIFIED beyond
    the error form, which pypsrp's test data captured from Windows: the stream tags are
    the ones ``Client.sanitise_clixml`` and Ansible's WinRM connection read). A record
    Windows shows is never dropped; progress is not shown, as a non-interactive host
    does not draw it."""

    def __init__(self, write_out: Callable[[str], None]) -> None:
        self.stderr: list[tuple[str, list[str]]] = []
        self._write_out = write_out

    def output(self, value: Any) -> None:  # pragma: no cover - output goes to emit
        pass

    def error(self, record: ErrorRecordData) -> None:
        self.stderr.append(("Error", console_error_lines(record)))

    def warning(self, message: str) -> None:
        self.stderr.append(("warning", _wrap(message)))

    def verbose(self, message: str) -> None:
        self.stderr.append(("verbose", _wrap(message)))

    def information(self, value: Any) -> None:
        # Write-Host ends its line with \n alone, with -Command as with a script read
        # from stdin (pypsrp 0.9.1's recorded test_winrs_unicode.yml and
        # test_winrs_send.yml), while Out-Default's lines end with \r\n under -Command
        # (test_winrs_extra_opts.yml).
        self._write_out(f"{to_string(value)}\n")

    def debug(self, message: str) -> None:
        self.stderr.append(("debug", _wrap(message)))

    def progress(self, record: ProgressData) -> None:
        pass


def run_console(
    executor: PowerShellExecutor,
    script: str,
    context: ExecutionContext,
    env: dict[str, str],
    write_out: Callable[[str], None],
    write_err: Callable[[str], None],
    *,
    newline: str = "\r\n",
) -> int:
    """Run ``script`` as ``powershell.exe -Command`` would; returns the exit code.

    ``newline`` ends each line of the script's output (``\r\n`` under ``-Command``, as
    pypsrp's recorded ``test_winrs_extra_opts.yml`` shows; ``\n`` for ``powershell -``
    reading its script from stdin, UNVERIFIED: that recording, ``test_winrs_send.yml``,
    has only ``Write-Host`` lines, which always end with ``\n``). A stop asked by the
    client leaves as :class:`~psrunbook.sim.ps.evaluator.StopRequested`."""
    sink = _ConsoleSink(write_out)
    evaluator = Evaluator(executor.session_for(context, sink, env), context.runspace)
    should_exit: list[int] = []
    runspace = evaluator.global_scope.get("host")[1].properties.get("Runspace")
    evaluator.global_scope.set_local("host", console_host(runspace, should_exit.append))
    code: int | None = None
    failed = False
    items: list[Any] = []
    try:
        try:
            parsed = parse(script)
            command = BlockStage(evaluator, parsed, parsed.body_node, (), top_level=True)
            run_pipeline(evaluator, [command], items.append)
        except ExitSignal as finished:
            code = to_int(finished.code) if finished.code is not None else 0
        except (ScriptError, RefusedScript) as error:
            sink.error(error.record)
            failed = True
        succeeded = evaluator.succeeded
        if items and not _print(
            evaluator, items, lambda line: write_out(f"{to_string(line)}{newline}"), sink
        ):
            failed = True
    finally:
        evaluator.release()
    if sink.stderr:
        write_err(clixml_streams(sink.stderr))
    if code is not None:
        return code
    if should_exit:  # $host.SetShouldExit(n), the command having run to its end
        return should_exit[-1]
    return 1 if failed or not succeeded else 0


def _print(
    evaluator: Evaluator, items: list[Any], emit: Callable[[Any], None], sink: _ConsoleSink
) -> bool:
    """The script's output as Out-Default prints it: Out-String's lines (objects of one
    type share a table, so they are formatted together once the script has ended).

    False when it could not be printed (an object the lab has no format view for): the
    error goes to stderr and the process exits 1, so the lab never reports success for
    output it did not print."""
    formatter = evaluator.named_stage("Out-String", [Argument("Stream", True, colon=True)])
    try:
        run_pipeline(evaluator, [formatter], emit, items)
    except (ScriptError, RefusedScript) as error:
        sink.error(error.record)
        return False
    return True


def console_error_lines(record: ErrorRecordData) -> list[str]:
    """An error as the console host prints it (ErrorView NormalView), wrapped at
    :data:`CONSOLE_WIDTH`, each line without its ``\\r\\n``."""
    who = _invocation_name(record)
    text = f"{who} : {record.message}" if who else record.message
    lines = [part for line in text.replace("\r\n", "\n").split("\n") for part in _wrap(line)]
    lines.extend(record.position_lines())
    target = record.target_name or (to_string(record.target_object) if record.target_object else "")
    target_type = record.target_type or ("String" if target else "")
    lines.append(
        f"    + CategoryInfo          : {record.category}: ({target}:{target_type}) "
        f"[{record.activity}], {record.reason}"
    )
    lines.append(f"    + FullyQualifiedErrorId : {record.fully_qualified_error_id}")
    lines.append(" ")
    return lines


def _invocation_name(record: ErrorRecordData) -> str:
    """The ``NAME : `` the error view puts before the message: the invocation's name.

    Write-Error names its caller (:attr:`ErrorRecordData.command_name`: the function,
    or the whole command text at the top of powershell.exe's ``-Command``, as pywinrm's
    capture ``Write-Error "Error" : Error`` shows). A command's error names the command
    (its activity); a name that finds no command
    names itself (pypsrp's capture ``fake : The term 'fake' is not recognized``). An
    error of the script itself (``throw``, a failed method call, a division by zero) has
    no invocation name, so the message stands alone, as about_Throw shows it.
    """
    if record.command_name is not None:
        return record.command_name
    if record.activity:
        return record.activity
    return record.target_name if record.error_id == "CommandNotFoundException" else ""


def _wrap(text: str) -> list[str]:
    """Break ``text`` before :data:`CONSOLE_WIDTH` at a space, the space kept at the
    end of the line, as the console buffer does."""
    lines: list[str] = []
    while len(text) > CONSOLE_WIDTH:
        cut = text.rfind(" ", 0, CONSOLE_WIDTH)
        cut = CONSOLE_WIDTH - 1 if cut <= 0 else cut
        lines.append(text[: cut + 1])
        text = text[cut + 1 :]
    lines.append(text)
    return lines


def clixml_streams(entries: list[tuple[str, list[str]]]) -> str:
    """stderr of a console host: each record's lines as CLIXML ``<S S="stream">``
    strings, in the order they were written."""
    parts = [CLIXML_HEADER, _OBJS_OPEN]
    for stream, lines in entries:
        parts.extend(f'<S S="{stream}">{_encode(line)}_x000D__x000A_</S>' for line in lines)
    parts.append("</Objs>")
    return "".join(parts)


def _encode(text: str) -> str:
    """CLIXML string escaping: XML entities, control characters as ``_xHHHH_``."""
    out = escape(text.replace("_x", "_x005F_x"))
    return "".join(c if c >= " " else f"_x{ord(c):04X}_" for c in out)
