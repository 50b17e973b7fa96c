"""The simulated Windows failover cluster, in three rooms and two shared modules.

``endpoint/``
    WSMan over HTTP(S), the PSRP host, CLIXML, authentication, TLS and the faults an
    endpoint can be told to inject. It knows the protocol and nothing of PowerShell.
``ps/``
    The PowerShell language: parser front end, evaluator, values, parameter binding.
    It knows neither the protocol nor the cluster.
``lab/``
    The cluster and node model, the cmdlets over it, cluster faults, lab files, and the
    glue that puts a lab behind endpoints (``--sim``, ``psrunbook sim serve``).

:mod:`psrunbook.sim.objects` (the values a pipeline carries) and
:mod:`psrunbook.sim.executor_protocol` (how the endpoint hands a pipeline to whatever
runs it) sit beside the rooms; ``lab`` is the only room that imports the other two.
"""
