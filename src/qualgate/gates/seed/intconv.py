"""Integers from seed values: exact, and never wider than a 64-bit column.

A 5,000-digit integer must end as a finding at its row, not as Python's digit-limit
``ValueError`` or sqlite3's ``OverflowError`` out of the driver; so both the cell-by-cell
and the column-at-once conversions check the size before converting.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Sequence
from typing import Any


class ConversionError(ValueError):
    """A value that does not convert to its column's type; the message says why."""


_INT = re.compile(r"[+-]?\d+")
# No integer column stores more than 64 bits (and sqlite3 cannot even send more).
_INT_LIMIT = 2**63
_INT_DIGITS = 20


def digits(value: int) -> str:
    """How many digits ``value`` has (estimated past what ``str()`` may convert)."""
    if value.bit_length() < 10_000:
        return str(len(str(abs(value))))
    return f"about {int(value.bit_length() * 0.30103) + 1}"


def describe(value: Any) -> str:
    """A short, safe rendering of a seed value for messages."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of {digits(value)} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _too_big(value: int) -> ConversionError:
    return ConversionError(f"an integer of {digits(value)} digits does not fit a 64-bit column")


def _in_range(value: int) -> int:
    if -_INT_LIMIT <= value < _INT_LIMIT:
        return value
    raise _too_big(value)


def to_int(value: Any, _csv: bool) -> int:
    kind = type(value)
    if kind is int:  # the common cases first: this runs once per cell
        if -_INT_LIMIT <= value < _INT_LIMIT:
            return int(value)
        raise _too_big(value)
    if kind is str and len(value) < _INT_DIGITS and value.isdigit() and value.isascii():
        return _in_range(int(value))
    if isinstance(value, bool):
        raise ConversionError(f"expects an integer, got the boolean {value}")
    if isinstance(value, int):
        return _in_range(int(value))
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        if len(value.strip().lstrip("+-").lstrip("0")) > _INT_DIGITS:
            raise ConversionError(f"an integer of {len(value.strip())} digits is too big")
        return _in_range(int(value.strip()))
    if isinstance(value, (float, decimal.Decimal)) and math.isfinite(value) and value == int(value):
        return _in_range(int(value))
    raise ConversionError(f"expects an integer, got {describe(value)}")


def batch_int(values: Sequence[str | None]) -> list[int | None]:
    """A column of CSV text as integers; raises on any cell the row-by-row path must name."""
    if any(len(v) >= _INT_DIGITS for v in values if v is not None):
        raise ValueError("a cell needs the row-by-row check")
    out = [None if v is None else int(v) for v in values]
    numbers = [n for n in out if n is not None]
    if numbers and (max(numbers) >= _INT_LIMIT or min(numbers) < -_INT_LIMIT):
        raise ValueError("a cell needs the row-by-row check")
    return out
