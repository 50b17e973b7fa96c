"""Runbooks: typed parameters, advisories and an ordered list of steps."""

from psrunbook.runbook.model import Advisory, Runbook, Step, Target

__all__ = ["Advisory", "Runbook", "Step", "Target"]
