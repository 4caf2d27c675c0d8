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
        "indexes of a differ: left over ix(x)",
    ]
    assert diff({"a": wider}, {"a": table}) == [
        "column a.x is missing",
        "indexes of a differ: missing ix(x)",
    ]
    # Only what changed, in words: no dict or list reprs.
    assert diff({"a": table}, {"a": changed}) == ["column a.id differs: nullable NOT NULL vs NULL"]
    retyped = {**table, "columns": {"id": {**col, "type": "BIGINT"}}, "primary_key": []}
    assert diff({"a": table}, {"a": retyped}) == [
        "column a.id differs: type INTEGER vs BIGINT",
        "primary key of a differs: (id) vs none",
    ]


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
    assert any(m.startswith("unique constraint uq_email on users(email)") for m in messages)
    email = next(f for f in found if f["kind"].startswith("modify_") and f["column"] == "email")
    assert email["table"] == "users"
    assert (
        "column users.email type: database has TEXT, models have VARCHAR(100)" in (email["message"])
    )


@pytest.mark.parametrize(
    ("driver", "installed"),
    [
        ("postgresql+psycopg", True),
        ("postgresql+pygresql", False),
        ("sqlite", True),
        ("nosuch+db", False),
    ],
)
def test_driver_installed(driver: str, installed: bool) -> None:
    assert W["_driver_installed"](driver) is installed


def test_url_forcing_keeps_a_usable_driver() -> None:
    forcer = W["Forcer"]("postgresql://u:pw@127.0.0.1:5432/qualgate_x")
    same = forcer._url_for("postgresql+psycopg://app@db:5432/app", is_async=False)
    assert same.render_as_string(hide_password=False) == (
        "postgresql+psycopg://u:pw@127.0.0.1:5432/qualgate_x"
    )
    # Another engine's URL gets a driver of the target's engine the interpreter has.
    other = forcer._url_for("mysql+pymysql://app@db/app", is_async=False)
    assert other.drivername == "postgresql+psycopg"
    # A driver the interpreter lacks is replaced; an async engine gets an async driver.
    assert forcer._url_for("postgresql+pygresql://h/db", is_async=False).drivername == (
        "postgresql+psycopg"
    )
    assert forcer._url_for("postgresql+psycopg2://h/db", is_async=True).drivername == (
        "postgresql+asyncpg"
    )
    # psycopg (3) serves async engines itself.
    assert forcer._url_for("postgresql+psycopg://h/db", is_async=True).drivername == (
        "postgresql+psycopg"
    )
    assert forcer._kwargs("mysql://x/y", {"connect_args": {"a": 1}, "echo": True}) == {"echo": True}
    sqlite = W["Forcer"]("sqlite:////tmp/x.db")
    assert sqlite._url_for("postgresql+asyncpg://h/db", is_async=True).drivername == (
        "sqlite+aiosqlite"
    )
    assert sqlite._url_for(object(), is_async=False).drivername == "sqlite+pysqlite"


def test_published_driver_follows_the_project() -> None:
    pg = W["Forcer"]("postgresql://u@h/d", preferred=["asyncpg"])
    assert pg.url(None).drivername == "postgresql+asyncpg"
    assert pg.choose(False) == "postgresql+psycopg"  # the worker's own reads stay sync
    assert W["Forcer"]("postgresql://u@h/d", preferred=["pygresql"]).url(None).drivername == (
        "postgresql+psycopg"
    )
    with pytest.raises(W["MissingDriver"], match="no async nosuch driver"):
        W["Forcer"]("nosuch://u@h/d").url(True)


ITEM = {"type": "INTEGER", "nullable": True, "default": None}


def _table(**columns: dict[str, Any]) -> dict[str, Any]:
    return {
        "columns": columns,
        "primary_key": [],
        "foreign_keys": [],
        "indexes": [],
        "unique": [],
    }


def test_roundtrip_residue_ignores_what_other_revisions_did() -> None:
    residue = W["_residue"]
    base = {"a": _table(id=ITEM)}
    with_foo = {**base, "foo": _table(id=ITEM)}
    both = {**with_foo, "bar": _table(id=ITEM)}
    # foo's own round trip: bar appeared in between (another branch) and is still there.
    assert residue(base, with_foo, both, {**base, "bar": _table(id=ITEM)}) == []
    assert residue(base, with_foo, both, both) == ["table foo is left over"]
    # Dropping what its upgrade did not create is reported too.
    assert residue(base, with_foo, both, base) == ["table bar is missing"]
    # A column added and not dropped; a change made again later is not this revision's.
    nick = {"a": _table(id=ITEM, nick=ITEM)}
    assert residue(base, nick, nick, nick) == ["column a.nick is left over"]
    other = {"a": _table(id=ITEM, nick={**ITEM, "nullable": False})}
    assert residue(base, nick, other, other) == []
