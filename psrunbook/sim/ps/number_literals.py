"""PowerShell's numeric literals read as their values, for the evaluator and the parser's
checks (a hash literal's constant keys)."""

from __future__ import annotations

_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}


def number_literal(text: str) -> int | float:
    """A numeric literal's value: hex or decimal, a real with a fraction or exponent, a
    type suffix (``l`` long, ``d`` decimal, kept as a Double here as before) and a
    multiplier (``kb`` ... ``pb``), in any case, as PowerShell scans them; a real
    times its multiplier stays a Double (``1.5kb`` is 1536.0)."""
    text = text.replace("_", "").casefold()
    multiplier = _MULTIPLIERS.get(text[-2:], 1)
    if multiplier != 1:
        text = text[:-2]
    if text.startswith("0x"):
        return int(text[2:].rstrip("l"), 16) * multiplier
    real = text.endswith("d") or any(c in text for c in ".e")
    text = text.rstrip("ld")
    return float(text) * multiplier if real else int(text) * multiplier
