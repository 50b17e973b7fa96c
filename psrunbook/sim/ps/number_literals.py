"""PowerShell's numeric literals read as their values, for the evaluator and the parser's
checks (a hash literal's constant keys, a numeric constant too large for its type).

about_Numeric_Literals (5.1) gives an integer literal without a type suffix the first of
``[int]``, ``[long]``, ``[decimal]``, ``[double]`` that holds its value, and ``l`` makes it
a ``[long]``. A hexadecimal literal keeps its sign bit: ``0xFFFFFFFF`` is the Int32 -1 and
``0x80070005`` the negative HRESULT a script compares ``$_.Exception.HResult`` with
(7.4's reference lists ``0xFFFFFFFF`` as Int32 -1 and ``-0xFFFFFFFF`` as 1, "special
cases to retain original behaviors when the value is in the [int] or [long] range").
"""

from __future__ import annotations

from typing import Final

from psrunbook.sim.objects import PSInt64

NUMBER_PATTERN: Final = r"(?:0x[0-9a-f]+l?|\d+(?:\.\d+)?(?:e[+-]?\d+)?[ld]?)(?:kb|mb|gb|tb|pb)?"
"""A numeric literal's text as PowerShell's tokenizer scans it (compile with IGNORECASE):
hex or decimal, a real's fraction and exponent, the ``l``/``d`` suffix, a multiplier. The
parser's checks and the evaluator find numbers tree-sitter read as words with it."""

_MULTIPLIERS: Final = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}
_INT64: Final = range(-(2**63), 2**63)
"""``values.INT64`` too; kept here so the parser's checks (and lint) need not load the
evaluator's value rules."""

BAD_NUMERIC_CONSTANT: Final = "The numeric constant {} is not valid."
"""PowerShell's parse error for a literal its type cannot hold (BadNumericConstant)."""


class BadNumericConstant(ValueError):
    """A numeric literal PowerShell's parser refuses, with the whole script."""

    def __init__(self, text: str) -> None:
        super().__init__(BAD_NUMERIC_CONSTANT.format(text))


def number_literal(text: str) -> int | float:
    """A numeric literal's value as PowerShell types it.

    Hex or decimal, a real with a fraction or exponent, a type suffix (``l`` long; ``d``
    decimal, kept as a Double here, the lab models no Decimal) and a multiplier (``kb`` ...
    ``pb``), in any case, as PowerShell scans them; a real times its multiplier stays a
    Double (``1.5kb`` is 1536.0). An integer is an Int32 when it fits, else an Int64
    (:class:`PSInt64` when ``l`` types a small one), else a Double (Windows: a Decimal up
    to 79228162514264337593543950335). A hexadecimal literal is read as .NET reads hex
    into an Int32, else an Int64: up to 8 significant digits the 32-bit two's complement
    (``0xFFFFFFFF`` is -1), up to 16 the 64-bit one; more is refused
    (:class:`BadNumericConstant`), as a ``l`` literal outside the Int64 range is. A real
    with ``l`` is the Int64 nearest its value (``1.2L`` is 1; UNVERIFIED: which way a
    half rounds).
    """
    written = text
    text = text.casefold()
    multiplier = _MULTIPLIERS.get(text[-2:], 1)
    if multiplier != 1:
        text = text[:-2]
    long_suffix = text.endswith("l")
    if long_suffix:
        text = text[:-1]
    if text.startswith("0x"):
        return _hexadecimal(text[2:], long_suffix, multiplier, written)
    if text.endswith("d") or any(c in text for c in ".e"):
        real = float(text.removesuffix("d")) * multiplier
        if not long_suffix:
            return real
        rounded = round(real)
        if rounded not in _INT64:
            raise BadNumericConstant(written)
        return PSInt64(rounded)
    value = int(text) * multiplier
    if long_suffix:
        if value not in _INT64:
            raise BadNumericConstant(written)
        return PSInt64(value)
    return value if value in _INT64 else float(value)


def _hexadecimal(digits: str, long_suffix: bool, multiplier: int, written: str) -> int:
    """``0x<digits>`` with its sign bit, as :func:`number_literal` describes."""
    value = int(digits, 16)
    as_int32 = value < 2**32 and not long_suffix
    bits = 32 if as_int32 else 64
    if value >= 2**bits:
        raise BadNumericConstant(written)
    signed = value - 2**bits if value >= 2 ** (bits - 1) else value
    result = signed * multiplier
    if result not in _INT64:
        raise BadNumericConstant(written)
    # An Int32 times its multiplier is an Int64 only when larger (``0x10gb``, a plain
    # int); a 64-bit read is an Int64 whatever its value.
    return result if as_int32 else PSInt64(result)
