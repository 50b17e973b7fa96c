"""A number's text under a format specifier (``'{0:N2}' -f $x``, ``$x.ToString('F1')``),
as .NET Framework 4.8 writes it in en-US, the lab's culture; and a double's text without
one (:func:`double_text`).

.NET Framework formats a Double from its 15 significant digits and rounds half away
from zero on those decimal digits, so ``0.125`` with "F2" is ``0.13`` and ``2.5`` with
"F0" is ``3`` (Python's own formatting rounds the binary value half to even: ``0.12``,
``2``); a result that rounds to zero has no minus sign (negative zero as "-0" came with
.NET Core 3.0; UNVERIFIED for a custom format's negative number that rounds to zero).
Modelled: the standard formats "D" (integers only; a Double is .NET's FormatException,
refused by name), "N", "F", "P" (``25.60 %``), "C" (``$1,234.57``, negative
``($1,234.57)``), "E" (``1.234560E+003``), "X" (non-negative integers), "G" without
digits; and custom formats of ``0``, ``#``, ``.`` and grouping ``,`` (``#,##0.00``,
``0.##``, ``000``). Any other specifier (a precision on "G", "R", "X" of a Double or a
negative number, ``%``, ``E0`` or ``;`` in a custom format, a scaling comma) is refused
by name (:class:`FormatNotModelled`), where the lab used to write the number as if no
specifier had been given.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

_STANDARD = re.compile(r"[A-Za-z]\d{0,2}")
"""A standard format: a letter and an optional precision (0 to 99)."""


def double_text(value: float) -> str:
    """A double as Windows PowerShell 5.1 writes it in text (``"$x"``, ``[string]$x``, an
    item or property inside another's text): .NET Framework's ``Double.ToString()``, the
    "G" format with 15 significant digits (Standard numeric format strings: "the default
    precision for Double is 15" before .NET Core 3.0, whose shortest round-trip text 5.1
    never uses). So ``0.1 + 0.2`` is ``0.3`` and ``1/3`` ``0.333333333333333``; ``2.0`` is
    ``2``; an exponent below -4 or of 15 and more is scientific with an upper-case E and
    at least two digits (``1E+15``, ``1E-05``); negative zero is ``0``. (On the wire a
    double travels whole, ``<Db>`` with every digit: this is only its text.)"""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    mantissa, scientific, exponent = format(value, ".15g").partition("e")
    return f"{mantissa}E{exponent}" if scientific else mantissa


def roundtrip_text(value: float) -> str:
    """.NET Framework's ``Double.ToString("R")``: the 15-digit "G" text when it reads back
    as the same double, else 17 digits ("G17"), which always does (.NET Core 3.0 and later
    write the shortest text instead; 5.1 runs on .NET Framework). ``0.1 + 0.2`` is
    ``0.30000000000000004``, ``5.0`` is ``5``, ``1e15`` ``1E+15``."""
    text = double_text(value)
    if not math.isfinite(value) or value == 0 or float(text) == value:
        return text
    mantissa, scientific, exponent = format(value, ".17g").partition("e")
    return f"{mantissa}E{exponent}" if scientific else mantissa


class FormatNotModelled(Exception):
    """A format specifier of a number the lab does not model; refused by name."""


def format_number_with(number: int | float, spec: str, plain: str) -> str:
    """``number`` written with ``spec``; ``plain`` is its text without one ("G"), which
    an empty ``spec`` also gives."""
    if not spec or (isinstance(number, float) and not math.isfinite(number)):
        return plain  # .NET writes NaN and infinity by name, whatever the specifier
    if _STANDARD.fullmatch(spec) is None:
        return _custom(number, spec)
    kind, digits = spec[0].upper(), spec[1:]
    places = int(digits) if digits else None
    if kind == "D":
        if isinstance(number, float):
            raise FormatNotModelled(f"format '{spec}' of a Double (.NET's FormatException)")
        sign = "-" if number < 0 else ""
        return sign + str(abs(number)).zfill(places or 0)
    if kind == "X":
        if isinstance(number, float) or number < 0:
            raise FormatNotModelled(f"format '{spec}' of a Double or a negative number")
        text = f"{number:0{places or 0}X}"
        return text if spec[0] == "X" else text.lower()
    if kind == "F":
        return _fixed(number, 2 if places is None else places)
    if kind == "N":
        return _fixed(number, 2 if places is None else places, grouped=True)
    if kind == "P":
        return _fixed(_exact(number) * 100, 2 if places is None else places, grouped=True) + " %"
    if kind == "C":
        decimals = 2 if places is None else places
        text = "$" + _fixed(abs(_exact(number)), decimals, grouped=True)
        return f"({text})" if _fixed(number, decimals).startswith("-") else text
    if kind == "E":
        return _scientific(number, 6 if places is None else places, spec[0])
    if kind == "G" and places is None:
        return plain
    return _custom(number, spec)


def _exact(number: int | float | Decimal) -> Decimal:
    """The decimal value .NET Framework formats: an integer whole, a Double's 15 digits."""
    if isinstance(number, Decimal):
        return number
    if isinstance(number, int):
        return Decimal(number)
    return Decimal(format(number, ".15g"))


def _fixed(number: int | float | Decimal, places: int, *, grouped: bool = False) -> str:
    """Fixed point with ``places`` decimals, half away from zero, no "-" on a zero."""
    rounded = _exact(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)
    return f"{rounded:,f}" if grouped else f"{rounded:f}"


def _scientific(number: int | float, places: int, letter: str) -> str:
    """"E": one digit, ``places`` decimals, an exponent of at least three digits with its
    sign (``1.234560E+003``)."""
    exact = _exact(number)
    mantissa, _, exponent = f"{exact:.{places}E}".partition("E")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}{letter}{sign}{exponent.lstrip('+-').lstrip('0').zfill(3)}"


def _custom(number: int | float, spec: str) -> str:
    """A custom format of ``0`` (a digit always written), ``#`` (a digit written only
    when significant), one ``.`` and grouping ``,`` between integer placeholders."""
    if not spec or set(spec) - set("0#.,") or spec.count(".") > 1:
        raise FormatNotModelled(f"format '{spec}' of a number")
    whole_pattern, _, fraction_pattern = spec.partition(".")
    if whole_pattern.endswith(",") or "," in fraction_pattern:
        raise FormatNotModelled(f"format '{spec}' of a number (a scaling comma)")
    grouped = "," in whole_pattern
    places = len(fraction_pattern)
    required = fraction_pattern.rfind("0") + 1  # decimals up to the rightmost 0 always shown
    text = _fixed(number, places)
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    fraction = fraction[:required] + fraction[required:].rstrip("0")
    integer_pattern = whole_pattern.replace(",", "")
    minimum = len(integer_pattern) - integer_pattern.find("0") if "0" in integer_pattern else 0
    whole = whole.lstrip("0").zfill(minimum)
    if grouped:
        whole = _grouped(whole)
    body = f"{whole}.{fraction}" if fraction else whole
    return f"-{body}" if negative else body


def _grouped(digits: str) -> str:
    """``digits`` with a comma between each group of three from the right (en-US)."""
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ",".join(g for g in groups if g)
