"""Converting seed values to the Python values a column's type expects, or refusing.

The column types come from the database (reflection), so the same seed file is judged the
same way on SQLite, PostgreSQL and MariaDB. A conversion is accepted only when it loses
nothing: ``"12"`` is the integer 12, ``19.99`` is ``Decimal("19.99")``, but ``12.5`` is not an
integer, ``1.234`` does not fit ``Numeric(10, 2)``, and an unquoted YAML number is not text
(``007`` would silently become ``"7"``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
import uuid
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.schema import Column

from qualgate.gates.seed.intconv import ConversionError, describe
from qualgate.gates.seed.intconv import batch_int as _batch_int
from qualgate.gates.seed.intconv import to_int as _to_int

__all__ = ["BatchConverter", "ConversionError", "Converter", "batch_converter", "converter_for"]


# value, from_csv -> converted value
Converter = Callable[[Any, bool], Any]
# a column of CSV cells -> converted column (raises on any bad cell)
BatchConverter = Callable[[Sequence[Any]], list[Any]]
# Column converters made by `_string` / `_numeric` -> their column-at-once twin; weak, so
# the converters of finished runs are not kept alive.
_BATCH: weakref.WeakKeyDictionary[Converter, BatchConverter] = weakref.WeakKeyDictionary()

_TRUE = {"true", "yes", "y", "on", "1", "t"}
_FALSE = {"false", "no", "n", "off", "0", "f"}


def _describe(value: Any) -> str:
    return describe(value)


def _to_tinyint_bool(value: Any, csv_: bool) -> Any:
    # MySQL/MariaDB spell BOOLEAN as TINYINT(1): accept true/false there too.
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in (_TRUE | _FALSE):
        return int(value.strip().lower() in _TRUE)
    return _to_int(value, csv_)


def _to_bool(value: Any, _csv: bool) -> bool:
    if value is True or value is False:
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ConversionError(f"expects a boolean (true/false, yes/no, 1/0), got {_describe(value)}")


def _decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool):
        raise ConversionError(f"expects a number, got the boolean {value}")
    try:
        if isinstance(value, decimal.Decimal):
            number = value
        elif isinstance(value, int):
            number = decimal.Decimal(value)
        elif isinstance(value, float):
            # repr() is the shortest text that reads back as this float: what was written.
            number = decimal.Decimal(repr(value))
        elif isinstance(value, str):
            number = decimal.Decimal(value.strip())
        else:
            raise ConversionError(f"expects a number, got {_describe(value)}")
    except decimal.InvalidOperation:
        raise ConversionError(f"expects a number, got {_describe(value)}") from None
    if not number.is_finite():
        raise ConversionError(f"expects a finite number, got {_describe(value)}")
    return number


_PLAIN_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")


def _numeric(precision: int | None, scale: int | None) -> Converter:
    limit = None if precision is None else precision - (scale or 0)

    def convert(value: Any, _csv: bool) -> decimal.Decimal:
        if type(value) is str:
            # Fast path for plain "123.45" text: digits counted on the text itself.
            match = _PLAIN_DECIMAL.fullmatch(value)
            if match is not None and (match.group(2) or match.group(3)):
                whole, fraction = match.group(2).lstrip("0"), (match.group(3) or "").rstrip("0")
                if (scale is None or len(fraction) <= scale) and (
                    limit is None or len(whole) <= limit
                ):
                    return decimal.Decimal(value)
        number = _decimal(value)
        _sign, digits, exponent = number.as_tuple()
        exponent = int(exponent)  # an int for finite numbers, checked above
        if scale is not None and -exponent > scale:
            normal_exp = int(number.normalize().as_tuple().exponent)
            if max(0, -normal_exp) > scale:
                raise ConversionError(
                    f"{number} has {max(0, -normal_exp)} decimal places; the column keeps {scale}"
                    " (the database would round it)"
                )
        if precision is not None:
            whole = max(0, len(digits) + exponent)  # digits before the point
            if number != 0 and whole > precision - (scale or 0):
                raise ConversionError(f"{number} does not fit NUMERIC({precision}, {scale or 0})")
        return number

    def batch(values: Sequence[str | None]) -> list[decimal.Decimal | None]:
        # CSV text in plain notation: digits counted on the text, one Decimal per cell.
        out: list[decimal.Decimal | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            text = value.strip()
            head, _, tail = text.partition(".")
            digits = head.lstrip("+-")
            if (
                not (digits + tail).isdigit()
                or (scale is not None and len(tail.rstrip("0")) > scale)
                or (limit is not None and len(digits.lstrip("0")) > limit)
            ):
                raise ValueError("a cell needs the row-by-row check")
            out.append(decimal.Decimal(text))
        return out

    _BATCH[convert] = batch
    return convert


def _to_float(value: Any, _csv: bool) -> float:
    return float(_decimal(value))


def _iso(value: str) -> str:
    # Python 3.10's fromisoformat does not take "Z".
    text = value.strip()
    return text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text


def _to_date(value: Any, _csv: bool) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ConversionError(f"expects a date, got the date and time {value.isoformat()}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConversionError(f"expects an ISO date (YYYY-MM-DD), got {_describe(value)}")


def _datetime(timezone: bool) -> Converter:
    def convert(value: Any, _csv: bool) -> dt.datetime:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(_iso(value))
            except ValueError:
                raise ConversionError(
                    f"expects an ISO date and time, got {_describe(value)}"
                ) from None
        else:
            raise ConversionError(f"expects an ISO date and time, got {_describe(value)}")
        # A column with time zone gets aware values (naive ones are UTC); a column
        # without one gets naive UTC, so what is compared is what the database returns.
        if timezone and moment.tzinfo is None:
            return moment.replace(tzinfo=dt.timezone.utc)
        if not timezone and moment.tzinfo is not None:
            return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return moment

    return convert


def _to_time(value: Any, _csv: bool) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads 10:30 as the sexagesimal integer 630 (minutes).
        raise ConversionError(f"expects a time; quote it in YAML ('10:30'), got {value}")
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConversionError(f"expects an ISO time (HH:MM[:SS]), got {_describe(value)}")


def _string(length: int | None, choices: tuple[str, ...] | None) -> Converter:
    def batch(values: Sequence[str | None]) -> list[str | None]:
        # CSV text: the checks of `convert`, done on the whole column at once in C.
        texts = [v for v in values if v is not None]
        if not texts:
            return list(values)
        if (length is not None and max(map(len, texts)) > length) or "\x00" in "".join(texts):
            raise ValueError("a cell needs the row-by-row check")
        if choices is not None and not set(texts) <= set(choices):
            raise ValueError("a cell needs the row-by-row check")
        return list(values)

    def convert(value: Any, _csv: bool) -> str:
        if (
            type(value) is str
            and (length is None or len(value) <= length)
            and choices is None
            and "\x00" not in value
        ):
            return value
        if isinstance(value, (dict, list)):
            # A JSON document stored in a text column (MariaDB's JSON is LONGTEXT).
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if not isinstance(value, str):
            raise ConversionError(
                f"expects text, got {type(value).__name__} {_describe(value)}"
                " (quote it: YAML reads 007 as 7 and 1.10 as 1.1)"
            )
        if "\x00" in value:
            raise ConversionError("text contains a NUL character, which databases refuse")
        if length is not None and len(value) > length:
            raise ConversionError(
                f"text of {len(value)} characters does not fit the column's length {length}"
            )
        if choices is not None and value not in choices:
            raise ConversionError(f"expects one of {', '.join(choices)}, got {_describe(value)}")
        return value

    _BATCH[convert] = batch
    return convert


def _to_json(value: Any, csv_: bool) -> Any:
    if csv_ and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConversionError(f"expects JSON text in a CSV cell: {exc.msg}") from None
    if isinstance(value, (dt.date, dt.time, decimal.Decimal, bytes)):
        raise ConversionError(f"{type(value).__name__} is not a JSON value; quote it")
    return value


def _to_uuid(value: Any, _csv: bool) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise ConversionError(f"expects a UUID, got {_describe(value)}")


def _uuid_text(value: Any, csv_: bool) -> str:
    return str(_to_uuid(value, csv_))


def _to_bytes(value: Any, _csv: bool) -> bytes:
    if isinstance(value, bytes):
        return value
    raise ConversionError(
        f"expects binary data (YAML !!binary), got {type(value).__name__} {_describe(value)}"
    )


def _passthrough(value: Any, _csv: bool) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ConversionError("text contains a NUL character, which databases refuse")
    return value


_WORDS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def _batch_bool(values: Sequence[str | None]) -> list[bool | None]:
    return [None if v is None else _WORDS[v.strip().lower()] for v in values]


def batch_converter(convert: Converter) -> BatchConverter | None:
    """A converter of a whole column of CSV text at once, where a faster one exists.

    Any exception sends the whole run back to the row-by-row path, which names the bad
    cell.
    """
    if convert is _to_int:
        return _batch_int
    if convert is _to_bool:
        return _batch_bool
    return _BATCH.get(convert)


def converter_for(column: Column[Any]) -> Converter:
    """The converter for a reflected column (pass-through for types we do not know)."""
    kind = column.type
    if isinstance(kind, sqltypes.Boolean):
        return _to_bool
    if isinstance(kind, sqltypes.Integer):
        if getattr(kind, "display_width", None) == 1 and type(kind).__name__ == "TINYINT":
            return _to_tinyint_bool
        return _to_int
    if isinstance(kind, sqltypes.Float):
        return _to_float
    if isinstance(kind, sqltypes.Numeric):
        if not kind.asdecimal:
            return _to_float
        return _numeric(kind.precision, kind.scale)
    if isinstance(kind, sqltypes.DateTime):
        return _datetime(bool(kind.timezone))
    if isinstance(kind, sqltypes.Date):
        return _to_date
    if isinstance(kind, sqltypes.Time):
        return _to_time
    if isinstance(kind, sqltypes.JSON):
        return _to_json
    if isinstance(kind, sqltypes.Uuid):
        return _to_uuid if kind.as_uuid else _uuid_text
    if isinstance(kind, sqltypes.Enum):
        return _string(None, tuple(kind.enums) or None)
    if isinstance(kind, sqltypes.String):
        return _string(kind.length, None)
    if isinstance(kind, sqltypes._Binary):
        return _to_bytes
    return _passthrough


def same(a: Any, b: Any) -> bool:
    """Whether a stored value equals a seed value (floats within float32 precision)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    if (
        isinstance(a, dt.datetime)
        and isinstance(b, dt.datetime)
        and (a.tzinfo is None) != (b.tzinfo is None)
    ):
        return False
    return bool(a == b)
