"""Pure helpers of the worker, loaded in-process without running it (no patching happens)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from qualgate.gates.migration_check.api import WORKER

W: dict[str, Any] = runpy.run_path(str(WORKER), run_name="qualgate_worker_under_test")


def test_split_sql() -> None:
    script = "-- comment\nCREATE TABLE a (id INT);\nINSERT INTO a\nVALUES (1);\n\nSELECT 1"
    assert W["_split_sql"](script) == [
        "CREATE TABLE a (id INT)",
        "INSERT INTO a\nVALUES (1)",
        "SELECT 1",
    ]


def test_diff_snapshots() -> None:
    col = {"type": "INTEGER", "nullable": False, "default": None}
    table = {
        "columns": {"id": col},
        "primary_key": ["id"],
        "foreign_keys": [],
        "indexes": [],
        "unique": [],
    }
    wider = {**table, "columns": {"id": col, "x": col}, "indexes": ["ix(x)"]}
    changed = {**table, "columns": {"id": {**col, "nullable": True}}}
    diff = W["_diff_snapshots"]
    assert diff({"a": table}, {"a": table}) == []
    assert diff({"a": table}, {}) == ["table a is missing"]
    assert diff({}, {"a": table}) == ["table a is left over"]
    assert diff({"a": table}, {"a": wider}) == [
        "column a.x is left over",
        "indexes of a differ: [] vs ['ix(x)']",
    ]
    assert diff({"a": wider}, {"a": table})[0] == "column a.x is missing"
    assert diff({"a": table}, {"a": changed})[0].startswith("column a.id differs")


def _diffs(tmp_path: Path, db_ddl: list[str], models: sa.MetaData) -> list[dict[str, Any]]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'd.db'}")
    with engine.begin() as conn:
        for ddl in db_ddl:
            conn.execute(sa.text(ddl))
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        found = [W["_describe_diff"](d) for d in compare_metadata(ctx, models)]
    engine.dispose()
    return found


def test_describe_each_kind_of_difference(tmp_path: Path) -> None:
    md = sa.MetaData()
    sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")),
        sa.Index("ix_users_email", "email"),
        sa.UniqueConstraint("email", name="uq_email"),
    )
    sa.Table("teams", md, sa.Column("id", sa.Integer, primary_key=True))
    found = _diffs(
        tmp_path,
        [
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, team_id INTEGER, old INTEGER)",
            "CREATE INDEX ix_users_old ON users (old)",
            "CREATE TABLE legacy (id INTEGER PRIMARY KEY)",
        ],
        md,
    )
    messages = sorted(f["message"] for f in found)
    kinds = sorted(f["kind"] for f in found)
    assert "add_table" in kinds and "remove_table" in kinds
    assert "table legacy is created by the migrations but is not in the models" in messages
    assert "column users.old exists after the migrations but not in the models" in messages
    assert "index ix_users_email on users(email) is in the models only" in messages
    assert "index ix_users_old on users(old) is in the database only" in messages
    assert any(m.startswith("foreign key") and "in the models only" in m for m in messages)
    assert any(m.startswith("UniqueConstraint uq_email on users(email)") for m in messages)
    email = next(f for f in found if f["kind"].startswith("modify_") and f["column"] == "email")
    assert email["table"] == "users"
    assert (
        "column users.email type: database has TEXT(), models have String(length=100)"
        in (email["message"])
    )


@pytest.mark.parametrize(
    ("driver", "installed"),
    [
        ("postgresql+psycopg", True),
        ("postgresql+psycopg2", False),
        ("sqlite", True),
        ("nosuch+db", False),
    ],
)
def test_driver_installed(driver: str, installed: bool) -> None:
    assert W["_driver_installed"](driver) is installed


def test_url_forcing_keeps_a_usable_driver() -> None:
    forcer = W["Forcer"]("postgresql+psycopg://u:pw@127.0.0.1:5432/qualgate_x")
    same = forcer._url_for("postgresql://app@db:5432/app", is_async=False)
    assert same.render_as_string(hide_password=False) == (
        "postgresql://u:pw@127.0.0.1:5432/qualgate_x"
    )
    other = forcer._url_for("mysql+pymysql://app@db/app", is_async=False)
    assert other.drivername == "postgresql+psycopg"
    assert forcer._kwargs("mysql://x/y", {"connect_args": {"a": 1}, "echo": True}) == {"echo": True}
    sqlite = W["Forcer"]("sqlite:////tmp/x.db")
    assert sqlite._url_for("postgresql+asyncpg://h/db", is_async=True).drivername == (
        "sqlite+aiosqlite"
    )
    assert sqlite._url_for(object(), is_async=False).drivername == "sqlite"
