"""A database server's identity for the result cache: its kind and version.

Asked the cheapest way each driver allows (one connection, no query on the data), and
only for a gate run against a server: the embedded SQLite database is part of the
interpreter already keyed.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import unquote, urlsplit

_TIMEOUT_S = 3


def engine_identity(url: str) -> str | None:
    """``"postgresql 16.2"``, ``"mysql 11.4.2-MariaDB"``, ``"sqlite"``; None when unknown."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return "sqlite"
    try:
        if scheme in ("postgresql", "postgres"):
            return f"postgresql {_postgres(url)}"
        if scheme in ("mysql", "mariadb"):
            return f"mysql {_mysql(parts)}"
    except Exception:  # noqa: BLE001 - no answer: the gate runs (and says what is wrong)
        return None
    return None


def _postgres(url: str) -> str:
    import psycopg

    plain = "postgresql" + url[url.index("://") :]
    with contextlib.closing(psycopg.connect(plain, connect_timeout=_TIMEOUT_S)) as conn:
        version: Any = conn.info.parameter_status("server_version")
        return str(version or conn.info.server_version)


def _mysql(parts: Any) -> str:
    import pymysql  # type: ignore[import-untyped]

    conn = pymysql.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        connect_timeout=_TIMEOUT_S,
    )
    try:
        return str(conn.get_server_info())
    finally:
        conn.close()
