"""A simulated Windows failover cluster: the state model, the cmdlets over it, and labs.

Entry points: :func:`psrunbook.sim.lab.lab_files.sample_lab` (the default lab),
:func:`psrunbook.sim.lab.cluster_executor.cluster_executor` (what the endpoint runs),
:mod:`psrunbook.sim.lab.cluster_faults` (what tests and ``sim serve`` break on purpose),
:class:`psrunbook.sim.lab.embedded.EmbeddedLab` (``--sim``) and
:func:`psrunbook.sim.lab.serve.serve` (``psrunbook sim serve``).
"""
