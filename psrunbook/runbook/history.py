"""What a runbook may read of earlier runs on the same cluster (the run journal).

An undo restores what the run it undoes found before it changed anything, and the
journal holds exactly that: every attempt's result, with the ``Before`` a test-then-set
script reported on its node. A runbook that needs it declares a ``history_defaults``
hook on its :class:`~psrunbook.runbook.model.Runbook`; the run session calls it while it
plans a new run (never for a resume, a saved plan or an approved bundle, whose parameters
are fixed) and the answers become ordinary parameters: journaled with the run, hashed in
a plan and a bundle, shown by ``plan``, and overridden by what the operator gives.

This module is the contract: the journal (:class:`psrunbook.journal_model.RunJournal`)
satisfies :class:`RunHistory`; nothing here opens one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from psrunbook.journal_model import AttemptRecord, RunRecord


class RunHistory(Protocol):
    """The part of a run journal a runbook reads: runs, newest first, and their attempts."""

    def runs(self, limit: int = 20) -> list[RunRecord]: ...

    def attempts(self, run_id: str) -> list[AttemptRecord]: ...


HistoryDefaults = Callable[[RunHistory, "str | None", Mapping[str, Any]], Mapping[str, Any]]
"""``(history, cluster, given) -> defaults``: parameter defaults read from earlier runs on
``cluster`` (the inventory's cluster name), given the parameters known so far."""
