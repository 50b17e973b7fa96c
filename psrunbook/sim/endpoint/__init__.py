"""A simulated node's WSMan/PSRP endpoint: what pypsrp talks to, knowing no PowerShell.

Entry points: :class:`psrunbook.sim.endpoint.http_server.SimEndpoint` (one node) and
:class:`~psrunbook.sim.endpoint.http_server.SimFleet` (one endpoint per node); each runs
its pipelines through an :class:`~psrunbook.sim.executor_protocol.Executor`.
"""
