"""qualgate installed in an environment of its own checks a project on old pins, and leaves
the project's environment exactly as it was (pydantic 1.x, SQLAlchemy 1.4).

Slow: builds qualgate's wheel, a venv for it and a venv for the project (cached for the
session). CI runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO, assert_valid_verdict, write_files

pytestmark = pytest.mark.slow

PROJECT = {
    "pyproject.toml": """\
[project]
name = "oldapp"
version = "0.1.0"
requires-python = ">=3.9"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]

[tool.coverage.run]
source = ["oldapp"]

[tool.qualgate.run-tests]
coverage-min = 80

[tool.qualgate.dependency-scan]
vuln-db = "osv"
""",
    "requirements.txt": "pydantic==1.10.21\nSQLAlchemy==1.4.54\n",
    "osv/README.md": "No advisories: an empty offline database.\n",
    "src/oldapp/__init__.py": "",
    "src/oldapp/models.py": """\
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Category(Base):
    __tablename__ = "categories"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
""",
    "src/oldapp/schemas.py": """\
from pydantic import BaseModel
from pydantic.fields import Undefined  # gone in pydantic 2: proves the project's pydantic ran


class CategoryIn(BaseModel):
    name: str


def is_pydantic_v1() -> bool:
    return Undefined is not None
""",
    "tests/test_app.py": """\
from oldapp.models import Category
from oldapp.schemas import CategoryIn, is_pydantic_v1


def test_models_and_schemas() -> None:
    assert is_pydantic_v1()
    assert CategoryIn(name="tools").name == "tools"
    assert Category.__tablename__ == "categories"
""",
    "alembic.ini": (
        "[alembic]\nscript_location = migrations\nprepend_sys_path = src\n"
        "sqlalchemy.url = sqlite:///app.db\n"
    ),
    "migrations/script.py.mako": "",
    "migrations/env.py": """\
from alembic import context
from sqlalchemy import engine_from_config, pool

from oldapp.models import Base

config = context.config
target_metadata = Base.metadata

connectable = engine_from_config(
    config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
""",
    "migrations/versions/0001_categories.py": """\
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("categories")
""",
    "seeds/categories.yaml": "table: categories\nrows:\n  - id: 1\n    name: Tools\n",
}


def _run(argv: list[str], cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def qualgate_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """qualgate from its wheel, in a venv of its own."""
    base = tmp_path_factory.mktemp("isolated")
    wheels = base / "dist"
    done = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
        base,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    venv = base / "qualgate-venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], base).returncode == 0
    wheel = next(wheels.glob("qualgate-*.whl"))
    done = _run([str(venv / "bin/pip"), "install", "-q", f"{wheel}[postgres]"], base)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv / "bin" / "qualgate"


@pytest.fixture(scope="session")
def old_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_files(tmp_path_factory.mktemp("oldapp") / "oldapp", PROJECT)
    venv = root / ".venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], root).returncode == 0
    done = _run(
        [str(venv / "bin/pip"), "install", "-q", "pydantic==1.10.21", "SQLAlchemy==1.4.54",
         "alembic==1.13.3", "pytest==8.3.5", "coverage==7.6.12", "PyYAML"],
        root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return root


def _freeze(root: Path) -> str:
    return _run([str(root / ".venv/bin/pip"), "freeze", "--all"], root).stdout


@pytest.mark.parametrize(
    "gate",
    ["run-tests", "migration-check", "seed", "lint-format", "dependency-scan", "artifact-validate",
     "openapi-lint"],
)  # fmt: skip
def test_every_gate_leaves_the_project_venv_untouched(
    qualgate_bin: Path, old_project: Path, gate: str
) -> None:
    before = _freeze(old_project)
    done = _run([str(qualgate_bin), gate, str(old_project), "--format", "json"], old_project)
    verdict = json.loads(done.stdout)
    assert_valid_verdict(verdict)
    assert _freeze(old_project) == before
    assert "pydantic==1.10.21" in before and "SQLAlchemy==1.4.54" in before
    if gate in ("run-tests", "migration-check", "seed"):
        # Checked in the project's own interpreter, on its own pins.
        assert verdict["status"] == "pass", verdict["summary"]


BARE = {
    "pyproject.toml": '[project]\nname = "bare"\nversion = "0"\n',
    "bare.py": "def f(x):\n    return x + 1\n",
    "test_bare.py": """\
import pytest

from bare import f


def test_f() -> None:
    assert f(1) == 2


def test_only_coverage_is_lent() -> None:
    # qualgate's coverage measures this run; nothing else of qualgate's environment leaks in.
    with pytest.raises(ImportError):
        import click  # noqa: F401
""",
}


def _env_without_venv() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}


@pytest.fixture(scope="session")
def bare_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose venv has pytest and no coverage."""
    root = write_files(tmp_path_factory.mktemp("bare") / "bare", BARE)
    assert _run([sys.executable, "-m", "venv", str(root / ".venv")], root).returncode == 0
    done = _run([str(root / ".venv/bin/pip"), "install", "-q", "pytest==8.3.5"], root)
    assert done.returncode == 0, done.stderr[-2000:]
    return root


def test_a_project_venv_without_coverage_is_measured_with_qualgates_own(
    qualgate_bin: Path, bare_project: Path
) -> None:
    before = _freeze(bare_project)
    assert "coverage" not in before.lower()
    done = _run(
        [str(qualgate_bin), "run-tests", str(bare_project), "--format", "json"],
        bare_project,
        env=_env_without_venv(),
    )
    verdict = json.loads(done.stdout)
    assert_valid_verdict(verdict)
    assert verdict["status"] == "pass", verdict["summary"]
    assert verdict["metrics"]["passed"] == 2 and verdict["metrics"]["coverage"] == 100.0
    probe = "import coverage; print(coverage.__version__)"
    ours = _run([str(qualgate_bin.parent / "python"), "-c", probe], bare_project)
    (check,) = [c for c in verdict["checks"] if c["name"] == "coverage"]
    assert check["tool_version"] == ours.stdout.strip()
    assert _freeze(bare_project) == before


def test_no_project_interpreter_at_all_is_an_error_naming_the_one_to_pass(
    qualgate_bin: Path, tmp_path: Path
) -> None:
    # An isolated qualgate (no pytest of its own), a project with no venv, none active.
    project = write_files(tmp_path / "novenv", BARE)
    done = _run(
        [str(qualgate_bin), "run-tests", str(project), "--format", "json"],
        project,
        env=_env_without_venv(),
    )
    verdict = json.loads(done.stdout)
    assert_valid_verdict(verdict)
    assert done.returncode == 2 and verdict["status"] == "error"
    assert verdict["summary"].startswith("no project interpreter found")
    assert "--python" in verdict["next_steps"][0]
