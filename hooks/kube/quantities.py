"""Resource quantities in the form the API server stores them.

A quantity written differently from how the API server writes it back (``averageValue: 100`` as a number,
``"1000"`` for what is stored as ``"1k"``, ``"0.5"`` for ``"500m"``) never equals the stored object, and
Metacontroller would update the child on every sync. :func:`canonical` gives the stored text, following
apimachinery's ``resource.Quantity`` (``ParseQuantity`` and ``CanonicalizeBytes``, v0.36):

- the value is rounded away from zero to a multiple of 10^-9;
- decimal SI (no suffix, ``n u m k M G T P E``) is written as an integer mantissa times 1000^k with the
  largest such k (``1500`` stays ``1500``, ``12000`` is ``12k``, ``0.5`` is ``500m``);
- binary SI (``Ki Mi Gi Ti Pi Ei``) stays binary when the value is an integer of magnitude 1024 or more, as
  an integer mantissa times 1024^k with the largest such k (``2048Mi`` is ``2Gi``, ``1536Mi`` stays);
  otherwise it is written as decimal SI;
- zero is ``0``.

Decimal exponents (``1e3``) are left as written (:func:`canonical` answers None): rare in the fields the
hooks canonicalise, and kept by the API server in a form of its own.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_UP, Decimal, InvalidOperation, localcontext

_DECIMAL_SUFFIXES = {"n": -3, "u": -2, "m": -1, "": 0, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
_BINARY_SUFFIXES = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_BY_POWER = {power: suffix for suffix, power in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER = {0: "", **{power: suffix for suffix, power in _BINARY_SUFFIXES.items()}}
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([A-Za-z]*)")
_NANO = Decimal("1e-9")


def canonical(value: object) -> str | None:
    """The API server's text for a quantity given as a string or a JSON number; None when not one it knows
    how to write (anything else, a decimal exponent, text that is no quantity)."""
    parsed = _parse(value)
    if parsed is None:
        return None
    amount, binary = parsed
    if amount == 0:
        return "0"
    if binary and abs(amount) >= 1024 and amount == amount.to_integral_value():
        return _binary(int(amount))
    return _decimal(amount)


def _parse(value: object) -> tuple[Decimal, bool] | None:
    """(value rounded away from zero to 10^-9, written in binary SI) or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, float) and ("e" in text or "E" in text):
        text = format(Decimal(text), "f")
    match = _QUANTITY.fullmatch(text)
    if match is None:
        return None
    number, suffix = match.groups()
    if suffix in _DECIMAL_SUFFIXES:
        scale, binary = Decimal(1000) ** _DECIMAL_SUFFIXES[suffix], False
    elif suffix in _BINARY_SUFFIXES:
        scale, binary = Decimal(1024) ** _BINARY_SUFFIXES[suffix], True
    else:
        return None
    with localcontext() as ctx:
        ctx.prec = 200
        try:
            amount = Decimal(number) * scale
        except InvalidOperation:
            return None
        return amount.quantize(_NANO, rounding=ROUND_UP), binary


def _decimal(amount: Decimal) -> str:
    """Integer mantissa times 1000^k, k as large as possible (at most 6, ``E``; at least -3, ``n``)."""
    with localcontext() as ctx:
        ctx.prec = 200
        mantissa, power = amount * Decimal(1000) ** 3, -3  # an integer: the amount is a multiple of 10^-9
        while power < 6 and mantissa % 1000 == 0:
            mantissa, power = mantissa / 1000, power + 1
        return f"{int(mantissa)}{_DECIMAL_BY_POWER[power]}"


def _binary(amount: int) -> str:
    mantissa, power = amount, 0
    while power < 6 and mantissa % 1024 == 0:
        mantissa, power = mantissa // 1024, power + 1
    return f"{mantissa}{_BINARY_BY_POWER[power]}"
