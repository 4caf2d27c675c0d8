"""Fixture projects shaped like real ones: async env.py, settings classes, branches, schemas.

Each builder writes a whole project into a folder (alembic.ini, env.py, revisions,
models) the way `alembic init` and the common templates (FastAPI's full-stack template,
pytest-alembic's examples) lay them out.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.gates.migration_check.factory import ALEMBIC_INI, revision
from tests.support import write_files

V = "migrations/versions"


def ini(url: str) -> str:
    return ALEMBIC_INI.replace("sqlite:///never-used.db", url)


# `alembic init -t async`: async_engine_from_config and connection.run_sync.
ENV_ASYNC = """\
import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from models import Base

config = context.config
target_metadata = Base.metadata


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    connectable = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


asyncio.run(run_async_migrations())
"""

# The stock `alembic init` env.py, with the models' metadata.
ENV_SYNC = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

from models import Base

config = context.config
target_metadata = Base.metadata
connectable = engine_from_config(
    config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
"""

# pytest-alembic's async example: AsyncEngine wrapping a sync engine of an async driver.
ENV_ASYNC_WRAPPED = """\
import asyncio

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.ext.asyncio.engine import AsyncEngine

from models import Base

target_metadata = Base.metadata


def do_run_migrations(connection):
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run():
    connectable = AsyncEngine(
        engine_from_config(
            context.config.get_section(context.config.config_ini_section),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
            future=True,
        )
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


asyncio.run(run())
"""

# FastAPI's full-stack template: pydantic settings, required POSTGRES_* parts, a computed
# PostgresDsn; env.py puts it into the config section. No URL in alembic.ini.
SETTINGS_PY = """\
from pydantic import PostgresDsn, computed_field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file="../.env", env_ignore_empty=True, extra="ignore")
    POSTGRES_SERVER: str
    POSTGRES_PORT: int = 5432
    POSTGRES_USER: str
    POSTGRES_PASSWORD: str = ""
    POSTGRES_DB: str = ""

    @computed_field
    @property
    def SQLALCHEMY_DATABASE_URI(self) -> PostgresDsn:
        return PostgresDsn.build(
            scheme="postgresql+psycopg",
            username=self.POSTGRES_USER,
            password=self.POSTGRES_PASSWORD,
            host=self.POSTGRES_SERVER,
            port=self.POSTGRES_PORT,
            path=self.POSTGRES_DB,
        )


settings = Settings()
"""

ENV_SETTINGS_CLASS = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

from app.core.config import settings
from app.models import Base

config = context.config
target_metadata = Base.metadata


def get_url():
    return str(settings.SQLALCHEMY_DATABASE_URI)


configuration = config.get_section(config.config_ini_section, {})
configuration["sqlalchemy.url"] = get_url()
connectable = engine_from_config(configuration, prefix="sqlalchemy.", poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
"""

# pytest-alembic's version_table_schema example, with a custom version table name too.
ENV_VERSION_SCHEMA = """\
from alembic import context
from sqlalchemy import engine_from_config, pool, text

from models import Base

config = context.config
target_metadata = Base.metadata
connectable = engine_from_config(
    config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
)
with connectable.connect() as connection:
    connection.execute(text("CREATE SCHEMA IF NOT EXISTS meta"))
    connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table="schema_history",
        version_table_schema="meta",
    )
    with context.begin_transaction():
        context.run_migrations()
"""

MODELS_ITEMS = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id = sa.Column(sa.Integer(), primary_key=True)
    name = sa.Column(sa.String(50), nullable=True)
"""

CREATE_ITEMS = """
op.create_table(
    "items",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=True),
)
"""
DROP_ITEMS = 'op.drop_table("items")'


def items_chain(header: str = "") -> dict[str, str]:
    return {f"{V}/0001_items.py": revision("0001", None, CREATE_ITEMS, DROP_ITEMS, header=header)}


def project(
    root: Path,
    *,
    url: str = "sqlite:///never-used.db",
    env: str,
    revisions: Mapping[str, str],
    models: str | None = MODELS_ITEMS,
    extra: Mapping[str, str] | None = None,
) -> Path:
    files = {"alembic.ini": ini(url), "migrations/env.py": env, **revisions}
    if models is not None:
        files["models.py"] = models
    files.update(extra or {})
    (root / V).mkdir(parents=True, exist_ok=True)
    return write_files(root, files)


def settings_project(root: Path) -> Path:
    """The full-stack template's shape: app/core/config.py, app/models.py, no ini URL."""
    files = {
        "alembic.ini": ALEMBIC_INI.replace("sqlalchemy.url = sqlite:///never-used.db\n", ""),
        "migrations/env.py": ENV_SETTINGS_CLASS,
        "app/__init__.py": "",
        "app/core/__init__.py": "",
        "app/core/config.py": SETTINGS_PY,
        "app/models.py": MODELS_ITEMS,
        **items_chain(),
    }
    (root / V).mkdir(parents=True, exist_ok=True)
    return write_files(root, files)


def branches(root: Path, *, url: str, env: str, broken_downgrade: bool = False) -> Path:
    """0001 -> (0002a creates foo | 0002b creates bar -> 0003b adds bar.x) -> 0004 merge."""
    create = 'op.create_table("{0}", sa.Column("id", sa.Integer(), primary_key=True))'
    revisions = {
        f"{V}/0001_base.py": revision("0001", None, CREATE_ITEMS, DROP_ITEMS),
        f"{V}/0002a_foo.py": revision(
            "0002a",
            "0001",
            create.format("foo"),
            "pass" if broken_downgrade else 'op.drop_table("foo")',
        ),
        f"{V}/0002b_bar.py": revision(
            "0002b", "0001", create.format("bar"), 'op.drop_table("bar")'
        ),
        f"{V}/0003b_bar_x.py": revision(
            "0003b",
            "0002b",
            'op.add_column("bar", sa.Column("x", sa.Integer(), nullable=True))',
            'op.drop_column("bar", "x")',
        ),
        f"{V}/0004_merge.py": revision("0004", ("0002a", "0003b")),
    }
    models = MODELS_ITEMS + (
        "\n\nclass Foo(Base):\n"
        '    __tablename__ = "foo"\n'
        "    id = sa.Column(sa.Integer(), primary_key=True)\n"
        "\n\nclass Bar(Base):\n"
        '    __tablename__ = "bar"\n'
        "    id = sa.Column(sa.Integer(), primary_key=True)\n"
        "    x = sa.Column(sa.Integer(), nullable=True)\n"
    )
    return project(root, url=url, env=env, revisions=revisions, models=models)


def python_without(tmp: Path, *hidden: str) -> str:
    """An interpreter that sees this venv's packages except ``hidden`` (top-level names).

    A venv (no pip, ~50 ms) whose .pth file points at a folder of links to each entry of
    our site-packages but the hidden ones: what a project's venv without a driver is.
    """
    import site
    import venv

    folder = tmp / f"venv-without-{'-'.join(hidden)}"
    if (folder / "bin" / "python").exists():
        return str(folder / "bin" / "python")
    venv.EnvBuilder(with_pip=False, symlinks=True).create(folder)
    ours = Path(next(p for p in site.getsitepackages() if p.endswith("site-packages")))
    view = folder / "view"
    view.mkdir()
    hide = {h.lower() for h in hidden}
    for entry in ours.iterdir():
        name = entry.name.lower()
        stem = name.split("-")[0].split(".")[0]
        if stem in hide or name.startswith(tuple(f"{h}-" for h in hide)):
            continue
        if entry.suffix == ".pth":
            continue
        os.symlink(entry, view / entry.name)
    pth = next((folder / "lib").glob("python*/site-packages"))
    (pth / "qualgate-view.pth").write_text(f"{view}\n", encoding="utf-8")
    return str(folder / "bin" / "python")


PYTHON = sys.executable
