"""Pipelines that stream, as Windows PowerShell runs them.

Every command of a pipeline is a :class:`Stage`. PowerShell's ``PipelineProcessor``
(PS-src ``engine/pipeline.cs``: ``Start``, ``SynchronousExecuteEnumerate``,
``DoCompleteCore``) runs the ``begin`` of every command first, in order; then the first
command's ``process`` (once without input, or once per object given to the pipeline, as it arrives),
where every object a command writes goes at once through the ``process`` of the next
command, before the writer goes on; then the ``end`` of every command, in order, each
one's output again flowing on at once. So ``Write-Host`` lines of two stages interleave
(a1 b1 a2 b2), and a command can stop the ones before it: ``Select-Object -First N``
throws ``StopUpstreamCommandsException`` once it has N objects (PS-src
``commands/utility/Select-Object.cs`` ``ProcessRecord``), after which the commands up to
it are not completed and the ones after it are.

The stages share one evaluator, so each one keeps a *frame*: the scope, script,
statement, output sink, common parameters and ``try`` depth it runs with. Handing an
object to the next stage switches to that stage's frame and back. An error a later
stage raises travels back through the earlier ones wrapped in :class:`Downstream`,
which no ``try``/``catch``, statement or script block of theirs handles (their
``finally`` blocks still run), and leaves the pipeline as the error itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from psrunbook.sim.streamed_input import StreamedInput

if TYPE_CHECKING:
    from psrunbook.sim.ps.evaluator import Evaluator

Emit = Callable[[Any], None]
Frame = tuple[Any, Any, Any, Any, list[Any], list[Any], int]
"""``(scope, script, statement, sink, call_action, error_captures, try_depth)``."""


class StopUpstream(Exception):
    """Raised by a stage's ``process`` that needs no more input (``Select-Object -First``)."""


class Downstream(Exception):
    """An exception a later stage of ``pipeline`` raised, on its way back to it."""

    def __init__(self, pipeline: object, index: int, error: Exception) -> None:
        super().__init__(error)
        self.pipeline = pipeline
        self.index = index
        self.error = error


def save(ev: Evaluator) -> Frame:
    """The evaluator's running frame."""
    return (
        ev.scope,
        ev.script,
        ev.statement,
        ev.session.sink,
        ev.call_action,
        ev.error_captures,
        ev.try_depth,
    )


def restore(ev: Evaluator, frame: Frame) -> None:
    """Make ``frame`` the running one."""
    (
        ev.scope,
        ev.script,
        ev.statement,
        ev.session.sink,
        ev.call_action,
        ev.error_captures,
        ev.try_depth,
    ) = frame


class Stage:
    """One command of a pipeline: ``begin`` once, ``process`` per object (``first``
    once instead when nothing is piped in), ``end`` once, ``close`` always.

    ``emit`` is where its output goes (the next stage, or the pipeline's output); the
    driver sets it and ``frame`` (the caller's) before ``begin``, which may change the
    frame (a script block's own scope). Every method runs in the stage's frame.
    """

    emit: Emit
    frame: Frame
    expecting_input: bool = False

    def begin(self) -> None:
        """Before any object: a ``begin`` block, parameter binding, redirections."""

    def process(self, item: Any) -> None:
        """One object from the stage before."""

    def first(self) -> None:
        """The one pass of the first command when nothing is piped into the pipeline."""

    def reads_streamed_input(self, source: StreamedInput) -> bool:
        """Whether this first command takes the client's still-arriving input itself.

        False (the driver reads ``source`` object by object into ``process``) for all
        but a script without a ``process`` block, whose ``end`` block Windows runs at
        once, reading the input through ``$input`` (:mod:`psrunbook.sim.streamed_input`).
        """
        return False

    def end(self) -> None:
        """After the last object: an ``end`` block, or a collecting command's work."""

    def close(self, completed: bool) -> None:
        """After the pipeline, however it ended (``completed`` when without an error):
        set ``-OutVariable``, write redirected files."""


def _handoff(ev: Evaluator, pipeline: object, stage: Stage, index: int) -> Emit:
    """The ``emit`` of the stage before ``stage``: runs its ``process`` in its frame.

    This runs for every object between every two commands, so :func:`save` and
    :func:`restore` are written out inline and the session looked up once."""
    process = stage.process
    session = ev.session

    def emit(item: Any) -> None:
        saved = (ev.scope, ev.script, ev.statement, session.sink, ev.call_action,
                 ev.error_captures, ev.try_depth)  # fmt: skip
        (ev.scope, ev.script, ev.statement, session.sink, ev.call_action, ev.error_captures,
         ev.try_depth) = stage.frame  # fmt: skip
        try:
            process(item)
        except Downstream:
            raise
        except Exception as error:
            raise Downstream(pipeline, index, error) from error
        finally:
            (ev.scope, ev.script, ev.statement, session.sink, ev.call_action,
             ev.error_captures, ev.try_depth) = saved  # fmt: skip

    return emit


def run_pipeline(
    ev: Evaluator, stages: list[Stage], emit: Emit, inputs: Iterable[Any] | None = None
) -> None:
    """Run ``stages`` streaming into ``emit``; ``inputs`` None means nothing is piped in.

    The error of a stage (or of a later one, unwrapped) leaves as raised; a
    :class:`StopUpstream` ends the stages up to its raiser and completes the others.
    """
    pipeline = object()
    count = len(stages)
    caller = save(ev)
    for index, stage in enumerate(stages):
        stage.emit = _handoff(ev, pipeline, stages[index + 1], index + 1) if index + 1 < count \
            else emit  # fmt: skip
        stage.frame = caller
        stage.expecting_input = index > 0 or inputs is not None
    started: list[Stage] = []
    completed = False
    try:
        following = 0
        try:
            for stage in stages:
                restore(ev, stage.frame)
                started.append(stage)
                stage.begin()
            if inputs is None:
                restore(ev, stages[0].frame)
                stages[0].first()
            elif isinstance(inputs, StreamedInput) and stages[0].reads_streamed_input(inputs):
                pass
            else:
                inject = _handoff(ev, pipeline, stages[0], 0)
                for item in inputs:
                    ev.check_stop()
                    inject(item)
        except Downstream as carried:
            following = _stopped(carried, pipeline)
        while following < count:
            try:
                for index in range(following, count):
                    following = index + 1
                    restore(ev, stages[index].frame)
                    stages[index].end()
            except Downstream as carried:
                following = _stopped(carried, pipeline)
        completed = True
    finally:
        restore(ev, caller)
        for stage in started:
            stage.close(completed)
        restore(ev, caller)


def _stopped(carried: Downstream, pipeline: object) -> int:
    """The stage to complete next after ``carried``; re-raises anything but a stop."""
    if carried.pipeline is not pipeline:
        raise carried
    if isinstance(carried.error, StopUpstream):
        return carried.index + 1
    raise carried.error


class StreamingCommand(Protocol):
    """A built-in cmdlet that handles one object at a time (``ForEach-Object``,
    ``Where-Object``, ``Select-Object``), made per run with its bound arguments and the
    ``emit`` its output goes to. ``first`` runs it without pipeline input (it reads
    ``-InputObject``); ``process`` may raise :class:`StopUpstream`."""

    def begin(self) -> None: ...

    def process(self, item: Any) -> None: ...

    def first(self) -> None: ...

    def end(self) -> None: ...
