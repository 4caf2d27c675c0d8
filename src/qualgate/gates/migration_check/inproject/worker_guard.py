"""Pinning env.py to the target database, for the migration worker (loaded by path).

`Forcer` patches SQLAlchemy's engine factories so every engine points at the target,
through a driver the project has; `RawDB` is the worker's own connection to it; `Watch`
patches Alembic's ``EnvironmentContext.configure`` to verify the connection env.py hands
over and to follow each migration step. Standard library and, inside functions,
SQLAlchemy and Alembic from the project's interpreter only: no qualgate imports.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


class Refused(Exception):
    """The worker cannot guarantee that env.py migrates the target database."""


# ---------------------------------------------------------------------------
# Forcing every engine onto the target URL


# Drivers tried when the project names none it has, best first.
SYNC_DRIVERS = {
    "postgresql": ("psycopg", "psycopg2", "pg8000"),
    "mysql": ("pymysql", "mysqldb", "mariadbconnector", "mysqlconnector"),
    "sqlite": ("pysqlite",),
}
ASYNC_DRIVERS = {
    "postgresql": ("asyncpg", "psycopg_async"),
    "mysql": ("aiomysql", "asyncmy"),
    "sqlite": ("aiosqlite",),
}


def family(backend: str) -> str:
    """MariaDB's dialect is MySQL's for the purpose of picking a server and a driver."""
    return "mysql" if backend == "mariadb" else backend


class MissingDriver(Exception):
    """The project's interpreter has no driver for the scratch database (sync or async)."""

    def __init__(self, backend: str, wanted: str | None, want_async: bool | None) -> None:
        kind = "async " if want_async else ""
        named = f" ({wanted} is not installed)" if wanted else ""
        super().__init__(f"the project's interpreter has no {kind}{backend} driver{named}")
        self.backend = backend
        self.wanted = wanted
        self.want_async = want_async


class Forcer:
    """Patches SQLAlchemy's engine factories so every engine points at ``target``.

    ``target`` names no driver: each engine keeps the driver env.py asked for when the
    project has it (and it fits: an async engine needs an async driver), else gets the
    first installed of ``preferred`` (the drivers the project's files name) and the usual
    ones. So the scratch database is reached through the project's own driver and dialect.
    """

    def __init__(self, target: str, *, preferred: Any = (), fast_commit: bool = False) -> None:
        from sqlalchemy.engine import make_url

        self.target = make_url(target)
        self.backend = family(self.target.get_backend_name())
        self.preferred = [str(d) for d in preferred or ()]
        self.fast_commit = fast_commit
        self.engines: list[Any] = []  # sync engines we created (async ones: their sync_engine)
        self.requested: list[str] = []

    def drivername(self, driver: str) -> str:
        return f"{self.target.get_backend_name()}+{driver}"

    def choose(self, want_async: bool | None) -> str | None:
        """A drivername for the target: preferred first; None when nothing fits."""
        backend = self.backend
        usual = {
            None: (*SYNC_DRIVERS.get(backend, ()), *ASYNC_DRIVERS.get(backend, ())),
            False: SYNC_DRIVERS.get(backend, ()),
            True: ASYNC_DRIVERS.get(backend, ()),
        }[want_async]
        for driver in (*self.preferred, *usual):
            if driver == "psycopg" and want_async:
                driver = "psycopg_async"
            name = self.drivername(driver)
            if not driver_installed(name):
                continue
            if want_async is not None and is_async_driver(name) != want_async:
                continue
            return name
        return None

    def url(self, want_async: bool | None = None) -> Any:
        """The target with a driver the project has; `MissingDriver` when it has none."""
        name = self.choose(want_async)
        if name is None:
            wanted = next(iter(self.preferred), None)
            raise MissingDriver(self.backend, wanted, want_async)
        return self.target.set(drivername=name)

    def _url_for(self, requested: Any, *, is_async: bool) -> Any:
        from sqlalchemy.engine import make_url

        try:
            asked = make_url(requested)
        except Exception:  # noqa: BLE001 - env.py may pass anything; we replace it anyway
            asked = None
        if asked is not None:
            self.requested.append(asked.render_as_string(hide_password=True))
        if (
            asked is not None
            and family(asked.get_backend_name()) == self.backend
            and driver_installed(asked.drivername)
            and (not is_async or async_capable(asked.drivername))
        ):
            # Keep the driver env.py chose (psycopg2, asyncpg...): the project has it.
            return self.target.set(drivername=asked.drivername)
        return self.url(is_async)

    def _kwargs(self, requested: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        from sqlalchemy.engine import make_url

        try:
            same = family(make_url(requested).get_backend_name()) == self.backend
        except Exception:  # noqa: BLE001
            same = False
        if not same:
            # connect_args meant for another backend would break the target's driver.
            kwargs = {k: v for k, v in kwargs.items() if k != "connect_args"}
        return kwargs

    def install(self) -> None:
        import sqlalchemy
        import sqlalchemy.engine
        import sqlalchemy.engine.create as create_mod

        original = create_mod.create_engine
        forcer = self

        def create_engine(url: Any, **kwargs: Any) -> Any:
            engine = original(forcer._url_for(url, is_async=False), **forcer._kwargs(url, kwargs))
            forcer.engines.append(engine)
            forcer._speed_up(engine)
            return engine

        # engine_from_config looks up create_engine in create_mod at call time.
        create_mod.create_engine = create_engine
        sqlalchemy.create_engine = create_engine
        sqlalchemy.engine.create_engine = create_engine

        try:
            import sqlalchemy.ext.asyncio as async_pkg
            import sqlalchemy.ext.asyncio.engine as async_mod
        except ImportError:  # pragma: no cover - very old SQLAlchemy or no greenlet
            return
        original_async = async_mod.create_async_engine

        def create_async_engine(url: Any, **kwargs: Any) -> Any:
            engine = original_async(
                forcer._url_for(url, is_async=True), **forcer._kwargs(url, kwargs)
            )
            forcer.engines.append(engine.sync_engine)
            forcer._speed_up(engine.sync_engine)
            return engine

        async_mod.create_async_engine = create_async_engine
        async_pkg.create_async_engine = create_async_engine

    def _speed_up(self, engine: Any) -> None:
        """On a throwaway scratch database, commits need not wait for the disk.

        A chain run commits once per revision, three times over; with fsync on each
        commit that dominates a long chain on a slow disk. Durability of a database that
        is dropped in a minute is worth nothing.
        """
        if not self.fast_commit:
            return
        from sqlalchemy import event

        statement = {
            "sqlite": "PRAGMA synchronous = OFF",
            "postgresql": "SET synchronous_commit TO off",
        }.get(engine.dialect.name)
        if statement is None:
            return

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(statement)
            finally:
                cursor.close()

        event.listen(engine, "connect", on_connect)

    def owns(self, connection: Any) -> bool:
        engine = getattr(connection, "engine", None)
        return any(engine is e for e in self.engines)


class RawDB:
    """The worker's own access to the target (schema snapshots, the version table).

    A sync engine when the project has a sync driver; else (an asyncpg-only project) an
    async engine driven by ``asyncio.run``. Never one of the engines env.py sees.
    """

    def __init__(self, forcer: Forcer, create_engine: Any, create_async_engine: Any) -> None:
        from sqlalchemy.pool import NullPool

        sync = forcer.choose(False)
        self.is_async = sync is None
        if sync is not None:
            self.engine = create_engine(forcer.target.set(drivername=sync), poolclass=NullPool)
        else:
            url = forcer.url(True)
            self.engine = create_async_engine(url, poolclass=NullPool)
        self.url = self.engine.url

    def run(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(connection)`` on a fresh connection of our own."""
        if not self.is_async:
            with self.engine.connect() as conn:
                return fn(conn)
        import asyncio

        async def go() -> Any:
            async with self.engine.connect() as conn:
                return await conn.run_sync(fn)

        return asyncio.run(go())

    def begin(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(connection)`` in a transaction that is committed."""
        if not self.is_async:
            with self.engine.begin() as conn:
                return fn(conn)
        import asyncio

        async def go() -> Any:
            async with self.engine.begin() as conn:
                return await conn.run_sync(fn)

        return asyncio.run(go())


# Driver name in a URL -> the module it imports, where the two differ.
_DRIVER_MODULES = {
    "pysqlite": "sqlite3",
    "psycopg_async": "psycopg",
    "mysqldb": "MySQLdb",
    "mysqlconnector": "mysql.connector",
    "mariadbconnector": "mariadb",
}


def _dialect(drivername: str) -> Any:
    from sqlalchemy.engine import make_url

    return make_url(f"{drivername}://").get_dialect()


def driver_installed(drivername: str) -> bool:
    """Whether the DBAPI module of ``drivername`` (``postgresql+psycopg2``) is importable."""
    import importlib.util

    try:
        # The dialect says which driver a bare "postgresql" means in this SQLAlchemy.
        driver = _dialect(drivername).driver
        return importlib.util.find_spec(_DRIVER_MODULES.get(driver, driver)) is not None
    except Exception:  # noqa: BLE001 - unknown dialect or driver: not usable
        return False


def is_async_driver(drivername: str) -> bool:
    try:
        return bool(getattr(_dialect(drivername), "is_async", False))
    except Exception:  # noqa: BLE001
        return False


def async_capable(drivername: str) -> bool:
    """Whether create_async_engine accepts it (``postgresql+psycopg`` picks its async twin)."""
    if is_async_driver(drivername):
        return True
    try:
        dialect = _dialect(drivername)
    except Exception:  # noqa: BLE001
        return False
    return bool(dialect.driver == "psycopg")


def _current_database(connection: Any) -> str:
    from sqlalchemy import text

    backend = connection.dialect.name
    if backend == "sqlite":
        rows = connection.execute(text("PRAGMA database_list")).fetchall()
        return next((str(r[2]) for r in rows if r[1] == "main"), "")
    if backend == "postgresql":
        return str(connection.execute(text("SELECT current_database()")).scalar())
    if backend in ("mysql", "mariadb"):
        return str(connection.execute(text("SELECT DATABASE()")).scalar())
    raise Refused(f"qualgate cannot verify which database a {backend} connection uses")


def _same_database(found: str, target: Any) -> bool:
    wanted = target.database or ""
    if target.get_backend_name() == "sqlite":
        return bool(found) and os.path.realpath(found) == os.path.realpath(wanted)
    return found == wanted


# ---------------------------------------------------------------------------
# Watching what env.py hands to Alembic


class Watch:
    """Patches EnvironmentContext.configure: verify the connection, follow each step."""

    def __init__(self, forcer: Forcer) -> None:
        self.forcer = forcer
        self.applied: list[str] = []
        self.configured = False
        self.verified = False
        # Where env.py keeps the version table (``version_table``, ``version_table_schema``).
        self.version_table = "alembic_version"
        self.version_schema: str | None = None
        self.target_metadata: Any = None
        self.driver: str | None = None

    def reset(self) -> None:
        self.applied = []
        self.configured = False

    def install(self) -> None:
        from alembic.runtime.environment import EnvironmentContext

        original = EnvironmentContext.configure
        watch = self

        def configure(self: Any, *args: Any, **kwargs: Any) -> Any:
            connection = kwargs.get("connection", args[0] if args else None)
            if connection is None:
                raise Refused(
                    "env.py configures Alembic without a connection (offline mode or a URL "
                    "of its own), so qualgate cannot prove which database it would migrate"
                )
            if not watch.forcer.owns(connection):
                raise Refused(
                    "env.py hands Alembic a connection qualgate did not create (a raw driver "
                    "connection or an engine made before qualgate could redirect it)"
                )
            # The probe must not leave a transaction open that Alembic would then join
            # and never commit (SQLAlchemy 2 autobegins on the first statement).
            was_in_transaction = connection.in_transaction()
            found = _current_database(connection)
            if not was_in_transaction and connection.in_transaction():
                connection.rollback()
            if not _same_database(found, watch.forcer.target):
                raise Refused(
                    f"env.py's connection is on database {found!r}, not qualgate's scratch database"
                )
            watch.verified = True
            # The driver env.py's connection really uses (async engines: their own).
            watch.driver = connection.engine.url.drivername
            watch.version_table = kwargs.get("version_table") or "alembic_version"
            watch.version_schema = kwargs.get("version_table_schema")
            if "target_metadata" in kwargs:
                watch.target_metadata = kwargs["target_metadata"]
            callbacks = list(kwargs.get("on_version_apply") or ())
            callbacks.append(watch._on_apply)
            kwargs["on_version_apply"] = callbacks
            # One revision per transaction: a failure names its revision and earlier
            # revisions stay applied, as `alembic upgrade +1` repeated would leave them.
            kwargs.setdefault("transaction_per_migration", True)
            watch.configured = True
            return original(self, *args, **kwargs)

        EnvironmentContext.configure = configure  # type: ignore[method-assign]

    def _on_apply(self, *, step: Any, **_: Any) -> None:
        # up_revision_ids: the revisions a step adds (upgrade) or removes (downgrade).
        self.applied.extend(step.up_revision_ids)
