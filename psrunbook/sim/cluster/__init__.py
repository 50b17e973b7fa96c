"""A simulated Windows failover cluster: the state model and the cmdlets over it.

Entry points: :func:`psrunbook.sim.cluster.lab.sample_lab` (the default lab),
:func:`psrunbook.sim.cluster.executor_factory.cluster_executor` (what the endpoint runs),
:mod:`psrunbook.sim.cluster.faults` (what tests and ``sim serve`` break on purpose).
"""
