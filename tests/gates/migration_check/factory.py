"""Small Alembic projects written into tmp_path from templates, one defect at a time."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from tests.support import write_files

V = "migrations/versions"

ALEMBIC_INI = """\
[alembic]
script_location = %(here)s/migrations
prepend_sys_path = .
sqlalchemy.url = sqlite:///never-used.db

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)s %(message)s
"""

# The stock `alembic init` env.py, trimmed: engine_from_config on sqlalchemy.url.
ENV_STANDARD = """\
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

try:
    from models import Base
    target_metadata = Base.metadata
except ImportError:
    target_metadata = None


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
"""

# Like FastAPI's full-stack template: the URL comes from POSTGRES_* settings, not the ini.
ENV_SETTINGS = """\
import os

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

try:
    from models import Base
    target_metadata = Base.metadata
except ImportError:
    target_metadata = None


def get_url():
    user = os.getenv("POSTGRES_USER", "postgres")
    password = os.getenv("POSTGRES_PASSWORD", "")
    server = os.getenv("POSTGRES_SERVER", "localhost")
    port = os.getenv("POSTGRES_PORT", "5432")
    db = os.getenv("POSTGRES_DB", "app")
    return f"postgresql+psycopg://{user}:{password}@{server}:{port}/{db}"


def run_migrations_online():
    connectable = create_engine(get_url(), poolclass=NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""

# Opens a raw driver connection: qualgate cannot redirect it and must refuse.
ENV_RAW = """\
import sqlite3

from alembic import context

conn = sqlite3.connect("elsewhere.db")
context.configure(connection=conn)
with context.begin_transaction():
    context.run_migrations()
"""


def revision(
    rev: str,
    down: str | tuple[str, ...] | None,
    upgrade: str = "pass",
    downgrade: str = "pass",
    *,
    header: str = "",
) -> str:
    """A revision module's text; ``upgrade``/``downgrade`` are function bodies."""
    body_up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    body_down = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    return (
        f'"""revision {rev}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        f"{header}\n"
        f"revision = {rev!r}\n"
        f"down_revision = {down!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{body_up}\n\n\n"
        f"def downgrade():\n{body_down}\n"
    )


CREATE_USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(200), nullable=False),
)
"""

MODELS_USERS = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id = sa.Column(sa.Integer(), primary_key=True)
    email = sa.Column(sa.String(200), nullable=False)
"""


def good_chain() -> dict[str, str]:
    """Two revisions that build MODELS_USERS (plus a nickname column) and undo cleanly."""
    return {
        "migrations/versions/0001_users.py": revision(
            "0001", None, CREATE_USERS, 'op.drop_table("users")'
        ),
        "migrations/versions/0002_nick.py": revision(
            "0002",
            "0001",
            'op.add_column("users", sa.Column("nick", sa.String(50), nullable=True))',
            'op.drop_column("users", "nick")',
        ),
    }


MODELS_WITH_NICK = MODELS_USERS + "    nick = sa.Column(sa.String(50), nullable=True)\n"


def make_project(
    root: Path,
    revisions: Mapping[str, str],
    *,
    env: str = ENV_STANDARD,
    models: str | None = MODELS_WITH_NICK,
    extra: Mapping[str, str] | None = None,
) -> Path:
    files = {"alembic.ini": ALEMBIC_INI, "migrations/env.py": env, **revisions}
    if models is not None:
        files["models.py"] = models
    files.update(extra or {})
    (root / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    return write_files(root, files)
