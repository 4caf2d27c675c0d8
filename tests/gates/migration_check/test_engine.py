"""Engine detection: which database a project's migrations are written for, from its files."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualgate.gates.migration_check.engine import Engine, detect
from tests.support import write_files


def engine(
    root: Path,
    files: dict[str, str],
    *,
    ini_url: str | None = None,
    option: str | None = None,
    database_url: str | None = None,
) -> Engine:
    write_files(root, files)
    revisions = [
        (rel, text) for rel, text in files.items() if rel.startswith("migrations/versions/")
    ]
    env_py = root / "migrations" / "env.py"
    return detect(
        root,
        option=option,
        database_url=database_url,
        ini_url=ini_url,
        env_py=env_py if env_py.exists() else None,
        revisions=revisions,
    )


STOCK_ENV = "from sqlalchemy import engine_from_config\nconnectable = engine_from_config({})\n"


def test_nothing_names_an_engine_means_sqlite(tmp_path: Path) -> None:
    found = engine(
        tmp_path, {"migrations/env.py": STOCK_ENV}, ini_url="driver://user:pass@localhost/dbname"
    )
    assert found.backend == "sqlite"
    assert found.decided_by is None
    assert "embedded SQLite default" in found.reason


def test_dialect_code_in_a_revision_beats_a_sqlite_ini(tmp_path: Path) -> None:
    files = {
        "migrations/env.py": STOCK_ENV,
        "migrations/versions/0001.py": (
            "import sqlalchemy as sa\nfrom sqlalchemy.dialects import postgresql\n"
        ),
    }
    found = engine(tmp_path, files, ini_url="sqlite:///dev.db")
    assert found.backend == "postgresql"
    assert found.reason == (
        "migrations/versions/0001.py:2: postgresql-specific code `dialects import postgresql`"
    )


def test_postgresdsn_settings_beat_a_sqlite_ini_env_py_overrides(tmp_path: Path) -> None:
    files = {
        "migrations/env.py": "from app.config import settings\n"
        "config.set_main_option('sqlalchemy.url', str(settings.DATABASE_URL))\n",
        "app/config.py": (
            "from pydantic import PostgresDsn\n\n\nclass S:\n    DATABASE_URL: PostgresDsn\n"
        ),
    }
    found = engine(tmp_path, files, ini_url="sqlite:///./app.db")
    assert found.backend == "postgresql"
    assert found.reason == "app/config.py:1: settings name `PostgresDsn`"
    # Without env.py building its own URL, alembic.ini's URL is what runs.
    files["migrations/env.py"] = STOCK_ENV
    assert engine(tmp_path / "b", files, ini_url="sqlite:///./app.db").backend == "sqlite"


def test_urls_drivers_and_their_order(tmp_path: Path) -> None:
    files = {
        "migrations/env.py": 'URL = "postgresql+asyncpg://app@db/app"\n# "mysql+pymysql://x"\n',
        "pyproject.toml": '[project]\ndependencies = [\n  "psycopg2-binary>=2.9",\n]\n',
    }
    found = engine(tmp_path, files)
    assert found.backend == "postgresql"
    assert found.drivers == ("asyncpg", "psycopg2")
    assert found.reason == "migrations/env.py:1: database URL postgresql+asyncpg://"


@pytest.mark.parametrize(
    ("files", "backend"),
    [
        ({"docker-compose.yml": "services:\n  db:\n    image: mariadb:11\n"}, "mysql"),
        ({".env.example": "DATABASE_URL=postgresql://u:p@localhost/app\n"}, "postgresql"),
        ({"app/models.py": "class T:\n    __table_args__ = {'mysql_engine': 'InnoDB'}\n"}, "mysql"),
        ({"requirements.txt": "aiomysql==0.2\n"}, "mysql"),
        ({"app/db.py": 'SCHEME = PostgresDsn.build(scheme="postgresql+psycopg")\n'}, "postgresql"),
        ({"app/db.py": 'if dialect == "mysql":\n    pass\n'}, "sqlite"),
    ],
)
def test_settings_files_compose_models_dependencies(
    tmp_path: Path, files: dict[str, str], backend: str
) -> None:
    assert engine(tmp_path, files).backend == backend


def test_options_decide(tmp_path: Path) -> None:
    files = {"migrations/versions/0001.py": "from sqlalchemy.dialects import postgresql\n"}
    assert engine(tmp_path, files, option="sqlite").backend == "sqlite"
    assert engine(tmp_path, files, database_url="mysql://root@h/x").backend == "mysql"


def test_tests_and_virtualenvs_are_not_read(tmp_path: Path) -> None:
    files = {
        "tests/test_pg.py": "from sqlalchemy.dialects import postgresql\n",
        ".venv/lib/site.py": "from sqlalchemy.dialects import postgresql\n",
        "test_x.py": "import asyncpg\n",
    }
    assert engine(tmp_path, files).backend == "sqlite"
