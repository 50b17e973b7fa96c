"""Running scripts on nodes: a tiny protocol, the pypsrp implementation, and a fake."""

from psrunbook.transport.base import RawResult, ScriptCall, Session, Transport

__all__ = ["RawResult", "ScriptCall", "Session", "Transport"]
