"""Fixtures shared by the whole suite: real database servers on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "QUALGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN_URL = os.environ.get(
    "QUALGATE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql"
)


def _services_required() -> bool:
    return os.environ.get("QUALGATE_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable: {type(exc).__name__}: {exc}"
    if _services_required():
        pytest.fail(f"QUALGATE_REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


def _probe(url: str, what: str) -> None:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any connection failure means unavailable
        _unavailable(what, exc)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """URL of the loopback PostgreSQL server's maintenance database."""
    _probe(POSTGRES_ADMIN_URL, "PostgreSQL on 127.0.0.1:5432")
    return POSTGRES_ADMIN_URL


@pytest.fixture(scope="session")
def mariadb_admin_url() -> str:
    """URL of the loopback MariaDB server (as root)."""
    _probe(MARIADB_ADMIN_URL, "MariaDB on 127.0.0.1:3306")
    return MARIADB_ADMIN_URL


def _fresh_database(admin_url: str, kind: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"qgtest_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    quote = '"' if kind == "postgres" else "`"
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            if kind == "postgres":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        engine.dispose()


@pytest.fixture()
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    yield from _fresh_database(postgres_admin_url, "postgres")


@pytest.fixture()
def mariadb_url(mariadb_admin_url: str) -> Iterator[str]:
    """A fresh, empty MariaDB database for one test, dropped afterwards."""
    yield from _fresh_database(mariadb_admin_url, "mariadb")


@pytest.fixture()
def fake_gate(monkeypatch: pytest.MonkeyPatch) -> str:
    """Register tests/fake_gate.py as the gate `fake` for the duration of a test."""
    from qualgate.gates import GATES, GateInfo

    monkeypatch.setitem(
        GATES,
        "fake",
        GateInfo(name="fake", module="tests.fake_gate", help="A fake gate.", wrapper="-"),
    )
    return "fake"


# Fixture projects carry their own tests; they are run by the gates under test, not by us.
collect_ignore = ["fixtures"]


def _slow_wanted() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("QUALGATE_SLOW") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow real-toolchain tests (venvs, wheels, servers) run in CI and in `make test`;
    a plain local `pytest` skips them, saying how to run them."""
    if _slow_wanted():
        return
    skip = pytest.mark.skip(reason="slow: runs in CI and `make test` (QUALGATE_SLOW=1 runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
