"""A wrapper that keeps secret values out of every text psrunbook produces.

A :class:`Secret` travels to the node as a SecureString parameter; everywhere else
(repr, str, logs, journal, bundle, exception messages) it shows as ``***``. Creating
one registers its value with the log redactor, so even a secret that slips into a
third-party log line is masked.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import core_schema

MASK = "***"


class Secret:
    """A secret value; ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            from psrunbook.logging import register_secret  # noqa: PLC0415 (import cycle: logging is imported by everything)

            register_secret(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        """Let runbook parameter models declare ``Secret`` fields that accept plain strings."""
        return core_schema.no_info_after_validator_function(
            lambda v: v if isinstance(v, Secret) else cls(v),
            core_schema.union_schema(
                [core_schema.is_instance_schema(cls), core_schema.str_schema(min_length=1)]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda _: MASK),
        )
