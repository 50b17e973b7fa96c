"""Shared pieces of the SSIS runbooks: version facts, config documents, parameter types.

The modules here are imported by ``ssis_clustered``, ``ssis_standalone`` and
``cluster_report``; none of them does any I/O at import time.
"""
