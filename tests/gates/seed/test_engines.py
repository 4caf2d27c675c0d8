"""seed on real projects: the project's own engine for the throwaway check, files that
cannot be read as findings, hostile values as located findings, --base, % in names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine

from tests.gates.migration_check.factory import ALEMBIC_INI, revision
from tests.gates.seed.helpers import (
    CATEGORIES_YAML,
    MODELS_PY,
    PRODUCTS_CSV,
    make_project,
    seed,
)
from tests.support import git_init, run_qualgate

PG_REVISION = revision(
    "0001",
    None,
    'op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True),'
    ' sa.Column("meta", postgresql.JSONB(), nullable=True))',
    'op.drop_table("tags")',
    header="from sqlalchemy.dialects import postgresql",
)
ENV_PY = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

connectable = engine_from_config(
    context.config.get_section(context.config.config_ini_section, {}),
    prefix="sqlalchemy.",
    poolclass=pool.NullPool,
)
with connectable.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""


def pg_project(root: Path, seeds: dict[str, str]) -> Path:
    return make_project(
        root,
        {
            "alembic.ini": ALEMBIC_INI,
            "migrations/env.py": ENV_PY,
            "migrations/versions/0001_tags.py": PG_REVISION,
            **seeds,
        },
    )


def _local_pg() -> None:
    from qualgate.gates.migration_check import servers_bins

    if servers_bins.local("postgresql", None, []) is None:
        pytest.skip("no PostgreSQL server binaries on this machine")


def test_postgresql_project_is_checked_on_a_throwaway_postgresql(tmp_path: Path) -> None:
    _local_pg()
    root = pg_project(
        tmp_path,
        {"seeds/tags.yaml": 'table: tags\nrows:\n  - {id: 1, meta: {"a": [1, 2]}}\n'},
    )
    run = seed(root, "--server", "local")
    assert run.code == 0, run.verdict
    assert run.verdict is not None
    m = run.verdict["metrics"]
    assert m["engine"]["backend"] == "postgresql"
    assert m["server"].startswith("local binaries")
    assert run.verdict["summary"].endswith("in a throwaway postgresql server (discarded)")


def test_postgresql_project_without_a_server_is_an_error(tmp_path: Path) -> None:
    root = pg_project(tmp_path, {"seeds/tags.yaml": "table: tags\nrows:\n  - {id: 1}\n"})
    run = seed(root, "--server", "local", "--server-path", str(tmp_path / "none"))
    assert run.code == 2
    assert run.verdict is not None
    assert "no throwaway PostgreSQL server could be started" in run.verdict["summary"]
    assert "--dialect" not in run.verdict["summary"]
    # Told to, the check runs on SQLite.
    run = seed(root, "--dialect", "sqlite")
    assert run.verdict is not None
    assert run.verdict["metrics"]["engine"]["backend"] == "sqlite", run.verdict


def test_dangling_and_outside_seed_files_are_findings(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("table: categories\nrows: []\n", encoding="utf-8")
    root = make_project(
        tmp_path / "proj",
        {"models.py": MODELS_PY, "seeds/categories.yaml": CATEGORIES_YAML},
    )
    os.symlink(root / "seeds" / "gone.yaml", root / "seeds" / "products.yaml")
    os.symlink(outside, root / "seeds" / "other.yaml")
    os.mkfifo(root / "seeds" / "pipe.csv")
    run = seed(root, "--metadata", "models:metadata")
    assert run.code == 1, run.verdict
    found = {(f["rule"], f["path"], f["message"]) for f in run.findings}
    assert found == {
        (
            "unreadable-file",
            "seeds/products.yaml",
            "cannot read: a symbolic link to a file that does not exist",
        ),
        (
            "unreadable-file",
            "seeds/other.yaml",
            "cannot read: a symbolic link to a file outside the project (not read)",
        ),
        ("unreadable-file", "seeds/pipe.csv", "cannot read: the file: not a regular file"),
    }


@pytest.mark.parametrize(
    ("name", "text", "line", "words"),
    [
        (
            "categories.json",
            '{"table": "categories", "rows": [\n  {"id": 1, "slug": "a", "name": "a"},\n'
            '  {"id": ' + "9" * 5000 + ', "slug": "b", "name": "b"}\n]}\n',
            3,
            "Exceeds the limit",
        ),
        (
            "categories.json",
            '{"table": "categories", "rows": [\n' + "[" * 5000 + "]" * 5000 + "]}",
            2,
            "nested",
        ),
        (
            "categories.yaml",
            "table: categories\nrows:\n  - {id: " + "9" * 5000 + ", slug: a, name: a}\n",
            1,
            "Exceeds the limit",
        ),
    ],
)
def test_hostile_values_are_located_findings(
    tmp_path: Path, name: str, text: str, line: int, words: str
) -> None:
    root = make_project(tmp_path, {"models.py": MODELS_PY, f"seeds/{name}": text})
    run = seed(root, "--metadata", "models:metadata")
    assert run.code == 1, run.verdict
    (found,) = run.findings
    assert (found["rule"], found["path"], found["line"]) == ("invalid-file", f"seeds/{name}", line)
    assert words in found["message"]


def test_big_ints_and_nul_bytes_in_values(tmp_path: Path) -> None:
    rows = (
        '{"table": "categories", "rows": [\n'
        '  {"id": 99999999999999999999999, "slug": "a", "name": "a"},\n'
        '  {"id": 2, "slug": "b\\u0000", "name": "b"}\n]}\n'
    )
    csv = "id,sku,name,price,stock,category_id\n1,A,a,1,123456789012345678901234567890,1\n"
    root = make_project(
        tmp_path,
        {"models.py": MODELS_PY, "seeds/categories.json": rows, "seeds/products.csv": csv},
    )
    run = seed(root, "--metadata", "models:metadata")
    assert run.code == 1, run.verdict
    found = sorted((f["rule"], f["path"], f["line"], f["message"]) for f in run.findings)
    assert found == [
        (
            "bad-value",
            "seeds/categories.json",
            2,
            "categories.id: an integer of 23 digits does not fit a 64-bit column",
        ),
        (
            "bad-value",
            "seeds/categories.json",
            3,
            "categories.slug: text contains a NUL character, which databases refuse",
        ),
        (
            "bad-value",
            "seeds/products.csv",
            2,
            "products.stock: an integer of 30 digits is too big",
        ),
    ]


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    bomb += "table: categories\nrows: *i\n"
    root = make_project(tmp_path, {"models.py": MODELS_PY, "seeds/categories.yaml": bomb})
    run = seed(root, "--metadata", "models:metadata", "--timeout", "20")
    assert run.code == 1, run.verdict
    (found,) = run.findings
    assert found["rule"] == "invalid-file"
    assert "alias bomb" in found["message"]


def test_allow_remote_is_command_line_only(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "pyproject.toml": "[tool.qualgate.seed]\nallow-remote = true\n",
            "seeds/categories.yaml": CATEGORIES_YAML,
        },
    )
    run = seed(root, "--database-url", "postgresql://app@db.example.com/app")
    assert run.code == 2
    assert "allow-remote" in run.verdict["summary"]  # type: ignore[index]


def test_base_is_verified_and_seeds_are_judged_whole(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "models.py": MODELS_PY,
            "seeds/categories.yaml": CATEGORIES_YAML.replace("id: 2", "id: x"),
        },
    )
    git_init(root)
    run = seed(root, "--metadata", "models:metadata", "--base", "no-such-ref")
    assert run.code == 2
    assert "no-such-ref" in run.verdict["summary"]  # type: ignore[index]
    # The bad row is on a line nobody changed since HEAD: it still fails.
    run = seed(root, "--metadata", "models:metadata", "--base", "HEAD")
    assert run.code == 1
    assert [f["rule"] for f in run.findings] == ["bad-value"]


@pytest.mark.postgres
def test_percent_in_a_column_name_and_many_rows(tmp_path: Path, postgres_url: str) -> None:
    metadata = MetaData()
    Table(
        "rates",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("growth_%", String(10)),
    )
    engine = create_engine(postgres_url)
    metadata.create_all(engine)
    engine.dispose()
    lines = ["id,growth_%"] + [f"{i},{i % 7}%" for i in range(1, 2502)]
    root = make_project(tmp_path, {"seeds/rates.csv": "\n".join(lines) + "\n"})
    run = seed(root, "--database-url", postgres_url)
    assert run.code == 0, run.verdict
    run = seed(root, "--database-url", postgres_url, "--check")  # the whole-table read
    assert run.code == 0, run.verdict
    assert run_qualgate("seed", str(root), "--database-url", postgres_url, "--dry-run").code == 0


def test_products_still_load_with_csv_and_yaml(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "models.py": MODELS_PY,
            "seeds/categories.yaml": CATEGORIES_YAML,
            "seeds/products.csv": PRODUCTS_CSV,
        },
    )
    run = seed(root, "--metadata", "models:metadata")
    assert run.code == 0, run.verdict
    assert run.verdict is not None
    assert run.verdict["metrics"]["engine"]["backend"] == "sqlite"


@pytest.mark.slow
def test_mariadb_project_is_checked_on_a_throwaway_mariadb(tmp_path: Path) -> None:
    from qualgate.gates.migration_check import servers_bins

    if servers_bins.local("mysql", None, []) is None:
        pytest.skip("no MariaDB server binaries on this machine")
    mysql_revision = revision(
        "0001",
        None,
        'op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True),'
        ' sa.Column("name", sa.String(20)), mysql_engine="InnoDB")',
        'op.drop_table("tags")',
    )
    root = make_project(
        tmp_path,
        {
            "alembic.ini": ALEMBIC_INI,
            "migrations/env.py": ENV_PY,
            "migrations/versions/0001_tags.py": mysql_revision,
            "seeds/tags.csv": "id,name\n1,a\n2,b\n",
        },
    )
    run = seed(root, "--server", "local")
    assert run.code == 0, run.verdict
    assert run.verdict is not None
    assert run.verdict["metrics"]["engine"]["backend"] == "mysql"
    assert run.verdict["summary"].endswith("in a throwaway mysql server (discarded)")
