"""Naming what the database said: a rule id and a one-line, password-free message.

PostgreSQL errors carry a SQLSTATE, MySQL/MariaDB errors a numeric code, SQLite only text.
"""

from __future__ import annotations

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from qualgate.gates.seed.safety import secrets_of
from qualgate.redact import mask

_SQLSTATE = {
    "57014": "timeout",
    "55P03": "timeout",
    "23503": "missing-parent",
    "23505": "unique-violation",
    "23502": "not-null",
    "22001": "bad-value",
    "22003": "bad-value",
    "22007": "bad-value",
    "22008": "bad-value",
    "22P02": "bad-value",
    "23514": "check-violation",
}
_MYSQL = {
    1205: "timeout",
    3024: "timeout",
    1452: "missing-parent",
    1062: "unique-violation",
    1048: "not-null",
    1364: "not-null",
    1406: "bad-value",
    1264: "bad-value",
    1366: "bad-value",
    1292: "bad-value",
    4025: "check-violation",
    3819: "check-violation",
}
_SQLITE_WORDS = (
    ("FOREIGN KEY", "missing-parent"),
    ("UNIQUE", "unique-violation"),
    ("NOT NULL", "not-null"),
    ("CHECK", "check-violation"),
    ("datatype mismatch", "bad-value"),
    ("database is locked", "timeout"),
)


def classify(error: DBAPIError, url: URL) -> tuple[str, str]:
    """(rule, one-line message) for a database error, password scrubbed."""
    orig = error.orig
    message = mask(
        str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__,
        secrets_of(url),
    )
    rule = "db-error"
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate in _SQLSTATE:
        rule = _SQLSTATE[sqlstate]
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL:
        rule = _MYSQL[args[0]]
    if rule == "db-error":
        for word, name in _SQLITE_WORDS:
            if word.lower() in message.lower():
                rule = name
                break
    return rule, message
