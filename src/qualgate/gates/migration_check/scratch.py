"""Scratch databases: created for one gate run, always dropped, never the user's database.

The parent process owns the scratch database: `scratch_database` is a context manager
whose ``finally`` drops it after success, failure, timeout or Ctrl-C (the worker, if still
running, is killed first by `qualgate.process.run`). Where it lives: on ``--database-url``'s
server when one is given; else in an embedded SQLite file when the project's engine is
SQLite (or unknown); else on a throwaway server of the project's engine (`servers`).

A scratch URL names no driver (``postgresql://...``): qualgate's own process connects with
its own driver (`drivers.own_driver`), the project's code with the project's.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualgate.errors import GateError
from qualgate.gates.migration_check.drivers import own_driver
from qualgate.redact import mask, url_secrets

if TYPE_CHECKING:
    # SQLAlchemy is imported when a database is used, not when the gate loads.
    from sqlalchemy.engine import URL, Engine


def make_url(raw: str) -> URL:
    from sqlalchemy.engine import make_url as parse

    return parse(raw)


_SUPPORTED = ("postgresql", "mysql", "mariadb", "sqlite")


@dataclass(frozen=True, kw_only=True, slots=True)
class Scratch:
    """A scratch database: its full URL (with password, no driver) and how to show it."""

    url: str
    shown: str
    backend: str
    name: str
    secrets: tuple[str, ...] = ()
    # Where the server came from when qualgate started one (None: given, or SQLite).
    server: str | None = None
    server_ms: int = 0


def neutral(url: URL) -> URL:
    """``url`` without its driver: ``postgresql+asyncpg://`` -> ``postgresql://``."""
    backend = url.get_backend_name()
    return url.set(drivername="mysql" if backend == "mariadb" else backend)


def parse_server_url(raw: str) -> URL:
    """The URL as a SQLAlchemy URL with a driver of qualgate's own; GateError otherwise.

    Whatever driver the URL names (``+asyncpg``, ``+psycopg_async``: the project's), the
    server is administered through a sync driver qualgate has.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise GateError(
            "--database-url is not a database URL",
            "use e.g. postgresql://user@host:5432/postgres or mysql://root@host:3306/mysql",
        ) from exc
    backend = url.get_backend_name()
    if backend not in _SUPPORTED:
        raise GateError(
            f"--database-url: unsupported database {backend!r}",
            "use PostgreSQL (postgresql://) or MySQL/MariaDB (mysql://), or omit it for SQLite",
        )
    if backend == "sqlite":
        return url.set(drivername="sqlite")
    family = "mysql" if backend == "mariadb" else backend
    return url.set(drivername=own_driver(family).replace(family, backend, 1))


def secrets_of(url: URL) -> tuple[str, ...]:
    """The password of a SQLAlchemy URL: as given, and as the URL's text spells it."""
    password = url.password
    given = (str(password),) if password else ()
    return tuple(dict.fromkeys((*given, *url_secrets(url.render_as_string(hide_password=False)))))


def _admin_engine(url: URL) -> Engine:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    # pg8000 names the connect timeout differently from libpq and the MySQL drivers.
    key = "timeout" if url.get_dialect().driver == "pg8000" else "connect_timeout"
    connect_args: dict[str, Any] = {key: 10}
    return create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args=connect_args
    )


def _quote(backend: str, name: str) -> str:
    return f'"{name}"' if backend == "postgresql" else f"`{name}`"


def _server_error(action: str, url: URL, exc: Exception) -> GateError:
    orig = getattr(exc, "orig", None) or exc
    reason = mask(
        str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__,
        secrets_of(url),
    )
    shown = url.render_as_string(hide_password=True)
    return GateError(
        f"cannot {action} on {shown}: {reason}",
        "check that the server is running and the user may CREATE DATABASE",
    )


def create(server_url: str) -> Scratch:
    """Create ``qualgate_<random>`` on the server ``server_url`` names."""
    from sqlalchemy import text

    url = parse_server_url(server_url)
    backend = url.get_backend_name()
    backend = "mysql" if backend == "mariadb" else backend
    name = f"qualgate_{secrets.token_hex(6)}"
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {_quote(backend, name)}"))
    except Exception as exc:
        raise _server_error("create a scratch database", url, exc) from exc
    finally:
        engine.dispose()
    scratch_url = neutral(url.set(database=name))
    return Scratch(
        url=scratch_url.render_as_string(hide_password=False),
        shown=scratch_url.render_as_string(hide_password=True),
        backend=backend,
        name=name,
        secrets=secrets_of(url),
    )


def drop(server_url: str, scratch: Scratch) -> None:
    """Drop the scratch database, disconnecting anything still attached."""
    from sqlalchemy import text

    url = parse_server_url(server_url)
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            if scratch.backend == "postgresql":
                version = conn.dialect.server_version_info or ()
                force = version >= (13,)
                clause = " WITH (FORCE)" if force else ""
                conn.execute(
                    text(f"DROP DATABASE IF EXISTS {_quote('postgresql', scratch.name)}{clause}")
                )
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS {_quote('mysql', scratch.name)}"))
    except Exception as exc:
        raise _server_error(f"drop scratch database {scratch.name}", url, exc) from exc
    finally:
        engine.dispose()


@dataclass(frozen=True, kw_only=True, slots=True)
class Where:
    """Where the scratch database goes: a server, SQLite, or a throwaway server."""

    server_url: str | None  # --database-url
    backend: str  # the project's engine (postgresql | mysql | sqlite)
    source: str = "auto"  # --server
    search: tuple[Path, ...] | None = None  # --server-path
    root: Path | None = None
    timeout: float = 60.0


@contextlib.contextmanager
def scratch_database(where: Where, *, gate: str) -> Iterator[Scratch]:
    """A scratch database for the body, dropped (or its server stopped) afterwards."""
    server_url = where.server_url
    if server_url is not None and parse_server_url(server_url).get_backend_name() == "sqlite":
        # A SQLite URL names a file the user may care about: work on a fresh one instead.
        server_url = None
        where = Where(server_url=None, backend="sqlite")
    if server_url is None and where.backend != "sqlite":
        from qualgate.gates.migration_check import servers

        with servers.throwaway(
            where.backend,
            source=where.source,
            search=where.search,
            timeout=where.timeout,
            root=where.root,
        ) as srv:
            url = make_url(srv.url)
            yield Scratch(
                url=srv.url,
                shown=url.render_as_string(hide_password=True),
                backend=where.backend,
                name=url.database or "",
                secrets=(srv.password,),
                server=f"{srv.source} ({srv.version})",
                server_ms=srv.start_ms,
            )
        return
    if server_url is None:
        folder = Path(tempfile.mkdtemp(prefix="qualgate-mig-"))
        name = f"qualgate_{secrets.token_hex(6)}"
        path = folder / f"{name}.db"
        try:
            yield Scratch(
                url=f"sqlite:///{path}", shown=f"sqlite:///{path}", backend="sqlite", name=name
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    scratch = create(server_url)
    try:
        yield scratch
    except BaseException:
        # The first fault is the one to report; still try hard to leave nothing behind.
        try:
            drop(server_url, scratch)
        except GateError as exc:
            sys.stderr.write(f"qualgate {gate}: {exc.reason}\n")
        raise
    drop(server_url, scratch)
