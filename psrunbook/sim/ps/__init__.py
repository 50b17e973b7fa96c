"""The simulated PowerShell language: it parses and really runs the scripts it is sent.

Entry point: :class:`psrunbook.sim.ps.powershell_executor.PowerShellExecutor`; the
commands a script may call come from :mod:`psrunbook.sim.ps.cmdlet_api` implementations.
"""
