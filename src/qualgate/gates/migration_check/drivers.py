"""Database drivers: which one qualgate's own process uses, and how to install a missing one.

qualgate connects to a server itself only to create and drop scratch databases (and the
seed gate to load rows); the project's migrations run in the project's interpreter with
the project's own driver (see inproject/worker_guard.py). A missing driver is an ``error``
naming the command that installs it, never an internal error.
"""

from __future__ import annotations

import importlib.util

from qualgate.errors import GateError

# Sync drivers qualgate can use in its own process, best first: (driver, module, package).
OWN_DRIVERS = {
    "postgresql": (
        ("psycopg", "psycopg", "psycopg[binary]"),
        ("psycopg2", "psycopg2", "psycopg2-binary"),
        ("pg8000", "pg8000", "pg8000"),
    ),
    "mysql": (
        ("pymysql", "pymysql", "PyMySQL"),
        ("mysqldb", "MySQLdb", "mysqlclient"),
    ),
}
# The extra of qualgate that brings a driver for each server engine.
EXTRA = {"postgresql": "postgres", "mysql": "mysql"}
# Driver name in a URL -> the package that provides it (for install hints).
PACKAGES = {
    "psycopg": "psycopg[binary]",
    "psycopg_async": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "asyncpg": "asyncpg",
    "pg8000": "pg8000",
    "pymysql": "PyMySQL",
    "mysqldb": "mysqlclient",
    "aiomysql": "aiomysql",
    "asyncmy": "asyncmy",
    "aiosqlite": "aiosqlite",
    "mariadbconnector": "mariadb",
    "mysqlconnector": "mysql-connector-python",
}
LABEL = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "sqlite": "SQLite"}


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def own_driver(backend: str) -> str:
    """The SQLAlchemy drivername qualgate's own process uses for ``backend``.

    Raises `GateError` naming the install command when no driver is installed.
    """
    if backend == "sqlite":
        return "sqlite"
    for driver, module, _package in OWN_DRIVERS.get(backend, ()):
        if installed(module):
            return f"{backend}+{driver}"
    extra = EXTRA.get(backend, backend)
    package = OWN_DRIVERS[backend][0][2] if backend in OWN_DRIVERS else backend
    raise GateError(
        f"qualgate's environment has no {LABEL.get(backend, backend)} driver to reach the server",
        f"pip install 'qualgate[{extra}]' (or `pip install '{package}'` where qualgate is "
        f"installed; with pipx: `pipx inject qualgate '{package}'`)",
    )


def install_hint(python: str, backend: str, drivers: tuple[str, ...]) -> str:
    """The command that gives the project's interpreter a driver for ``backend``."""
    wanted = next((d for d in drivers if d in PACKAGES), None)
    if wanted is None:
        wanted = {"postgresql": "psycopg2", "mysql": "pymysql", "sqlite": "aiosqlite"}[backend]
    return f"{python} -m pip install '{PACKAGES[wanted]}'"
