"""Fixtures of the seed tests: one empty database per test, on each backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gates.seed.helpers import create_schema, sqlite_url


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database with the test schema (categories, products)."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = str(request.getfixturevalue(f"{request.param}_url"))
    create_schema(url)
    return url


@pytest.fixture()
def db_url_mariadb(mariadb_url: str) -> str:
    create_schema(mariadb_url)
    return mariadb_url


@pytest.fixture()
def db_url_postgres(postgres_url: str) -> str:
    create_schema(postgres_url)
    return postgres_url
