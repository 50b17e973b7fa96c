"""Fleets: queued runs across many clusters, executed by worker processes.

A fleet run is an ordinary journaled run (same run id, same journal, same steps and
events as ``psrunbook run``), queued by ``psrunbook submit`` and executed by
``psrunbook worker`` one runbook step at a time through
:class:`~psrunbook.execution.session.RunSession`. Durable execution (queues, one changing
run per cluster, approvals, cancellation, recovery after a crash) is a third-party
engine's job, reached only through the seam in :mod:`psrunbook.fleet.engine`;
:mod:`psrunbook.fleet.dbos_engine` adapts DBOS Transact to it.
"""
