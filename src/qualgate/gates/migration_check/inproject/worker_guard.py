"""Pinning env.py to the target database, for the migration worker (loaded by path).

`Forcer` patches SQLAlchemy's engine factories so every engine points at the target;
`Watch` patches Alembic's ``EnvironmentContext.configure`` to verify the connection env.py
hands over and to follow each migration step. Standard library and, inside functions,
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


class Forcer:
    """Patches SQLAlchemy's engine factories so every engine points at ``target``."""

    def __init__(self, target: str, *, fast_commit: bool = False) -> None:
        from sqlalchemy.engine import make_url

        self.target = make_url(target)
        self.fast_commit = fast_commit
        self.engines: list[Any] = []  # sync engines we created (async ones: their sync_engine)
        self.requested: list[str] = []

    def _url_for(self, requested: Any, *, is_async: bool) -> Any:
        from sqlalchemy.engine import make_url

        target = self.target
        try:
            asked = make_url(requested)
        except Exception:  # noqa: BLE001 - env.py may pass anything; we replace it anyway
            asked = None
        if asked is not None:
            self.requested.append(asked.render_as_string(hide_password=True))
        if (
            asked is not None
            and asked.get_backend_name() == target.get_backend_name()
            and driver_installed(asked.drivername)
        ):
            # Keep the driver env.py chose (psycopg2, asyncpg...): the project has it.
            return target.set(drivername=asked.drivername)
        if is_async:
            async_driver = {
                "sqlite": "sqlite+aiosqlite",
                "postgresql": "postgresql+psycopg",
                "mysql": "mysql+aiomysql",
                "mariadb": "mariadb+aiomysql",
            }.get(target.get_backend_name())
            if async_driver:
                return target.set(drivername=async_driver)
        return target

    def _kwargs(self, requested: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        from sqlalchemy.engine import make_url

        try:
            same = make_url(requested).get_backend_name() == self.target.get_backend_name()
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


# Driver name in a URL -> the module it imports, where the two differ.
_DRIVER_MODULES = {
    "pysqlite": "sqlite3",
    "psycopg_async": "psycopg",
    "mysqldb": "MySQLdb",
    "mysqlconnector": "mysql.connector",
}


def driver_installed(drivername: str) -> bool:
    """Whether the DBAPI module of ``drivername`` (``postgresql+psycopg2``) is importable."""
    import importlib.util

    from sqlalchemy.engine import make_url

    try:
        # The dialect says which driver a bare "postgresql" means in this SQLAlchemy.
        driver = make_url(f"{drivername}://").get_dialect().driver
        return importlib.util.find_spec(_DRIVER_MODULES.get(driver, driver)) is not None
    except Exception:  # noqa: BLE001 - unknown dialect or driver: not usable
        return False


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
    """Patches EnvironmentContext.configure: verify the connection, track each step."""

    def __init__(self, forcer: Forcer, snapshot_of: Callable[..., dict[str, Any]]) -> None:
        self.forcer = forcer
        self.snapshot_of = snapshot_of
        self.applied: list[str] = []
        self.configured = False
        self.verified = False
        # Per-revision round trip: schema after upgrading each of `snap_up`, and after
        # downgrading each of `snap_down`, taken on the migration's own connection.
        self.phase = ""
        # revision -> tables to reflect in detail (None: all of them)
        self.snap_up: dict[str, list[str] | None] = {}
        self.snap_down: dict[str, list[str] | None] = {}
        self.up_snaps: dict[str, Any] = {}
        self.down_snaps: dict[str, Any] = {}

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
            callbacks = list(kwargs.get("on_version_apply") or ())
            callbacks.append(watch._on_apply)
            kwargs["on_version_apply"] = callbacks
            # One revision per transaction: a failure names its revision and earlier
            # revisions stay applied, as `alembic upgrade +1` repeated would leave them.
            kwargs.setdefault("transaction_per_migration", True)
            watch.configured = True
            return original(self, *args, **kwargs)

        EnvironmentContext.configure = configure  # type: ignore[method-assign]

    def _on_apply(self, *, ctx: Any, step: Any, **_: Any) -> None:
        # up_revision_ids: the revisions a step adds (upgrade) or removes (downgrade).
        self.applied.extend(step.up_revision_ids)
        wanted = self.snap_up if self.phase == "upgrade" else self.snap_down
        if self.phase not in ("upgrade", "downgrade") or not wanted:
            return
        for rev in step.up_revision_ids:
            if rev in wanted:
                # Inside the step's transaction: its DDL is visible on this connection.
                shot = self.snapshot_of(ctx.connection, wanted[rev])
                (self.up_snaps if self.phase == "upgrade" else self.down_snaps)[rev] = shot
