"""Behaviour that only real servers show: silent rounding caught by verify, MyISAM refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.gates.seed.helpers import (
    CATEGORIES_YAML,
    categories,
    count,
    make_project,
    products,
    seed,
)


@pytest.mark.mariadb
def test_verify_catches_values_the_database_changed(tmp_path: Path, db_url_mariadb: str) -> None:
    # DATETIME without fractional seconds drops the microseconds without an error:
    # the read-back sees it, and the whole load is rolled back.
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/categories.yaml": CATEGORIES_YAML,
            "seeds/products.yaml": """\
table: products
rows:
  - {id: 1, sku: A, name: a, price: 1, category_id: 1, created: "2024-01-01T10:00:00.250000"}
""",
        },
    )
    result = seed(root, "--database-url", db_url_mariadb)
    assert result.code == 1, result.stdout
    assert [(f["rule"], f["path"], f["line"]) for f in result.findings] == [
        ("stored-differs", "seeds/products.yaml", 3)
    ]
    assert "created is datetime.datetime(2024, 1, 1, 10, 0)" in result.findings[0]["message"]
    assert count(db_url_mariadb, categories) == 0
    assert count(db_url_mariadb, products) == 0


@pytest.mark.mariadb
def test_non_transactional_table_is_refused(tmp_path: Path, db_url_mariadb: str) -> None:
    engine = create_engine(db_url_mariadb)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE products DROP FOREIGN KEY products_ibfk_1"))
        conn.execute(text("ALTER TABLE products ENGINE=MyISAM"))
    engine.dispose()
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/products.yaml": "table: products\nrows:\n"
            "  - {id: 1, sku: A, name: a, price: 1, category_id: 1}\n"
        },
    )
    result = seed(root, "--database-url", db_url_mariadb)
    assert result.code == 1
    assert result.rules() == ["non-transactional"]
    assert count(db_url_mariadb, products) == 0


@pytest.mark.postgres
def test_postgres_check_constraint_is_located(tmp_path: Path, db_url_postgres: str) -> None:
    engine = create_engine(db_url_postgres)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE products ADD CONSTRAINT positive CHECK (price > 0)"))
    engine.dispose()
    rows = "\n".join(
        f"  - {{id: {i}, sku: S{i}, name: n, price: {0 if i == 7 else 1}, category_id: 1}}"
        for i in range(1, 11)
    )
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/categories.yaml": CATEGORIES_YAML,
            "seeds/products.yaml": f"table: products\nrows:\n{rows}\n",
        },
    )
    result = seed(root, "--database-url", db_url_postgres)
    assert result.code == 1
    assert [(f["rule"], f["line"]) for f in result.findings] == [("check-violation", 9)]
    assert count(db_url_postgres, categories) == 0


@pytest.mark.postgres
def test_locked_row_is_an_error_not_a_hang(tmp_path: Path, db_url_postgres: str) -> None:
    root = make_project(tmp_path / "proj", {"seeds/categories.yaml": CATEGORIES_YAML})
    assert seed(root, "--database-url", db_url_postgres).code == 0
    (root / "seeds" / "categories.yaml").write_text(
        CATEGORIES_YAML.replace("name: Tools", "name: Tools v2"), encoding="utf-8"
    )
    engine = create_engine(db_url_postgres)
    with engine.connect() as holder:
        holder.execute(text("SELECT * FROM categories WHERE id = 1 FOR UPDATE"))
        result = seed(root, "--database-url", db_url_postgres, "--timeout", "3")
        holder.rollback()
    engine.dispose()
    assert result.code == 2, result.stdout
    assert result.verdict is not None
    assert "gave up waiting" in result.verdict["summary"]
    assert "rolled back" in result.verdict["summary"]


@pytest.mark.postgres
def test_deferred_foreign_key_is_still_located(tmp_path: Path, db_url_postgres: str) -> None:
    engine = create_engine(db_url_postgres)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE products DROP CONSTRAINT products_category_id_fkey"))
        conn.execute(
            text(
                "ALTER TABLE products ADD CONSTRAINT products_category_id_fkey FOREIGN KEY "
                "(category_id) REFERENCES categories (id) DEFERRABLE INITIALLY DEFERRED"
            )
        )
    engine.dispose()
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/categories.yaml": CATEGORIES_YAML,
            "seeds/products.yaml": "table: products\nrows:\n"
            "  - {id: 1, sku: A, name: a, price: 1, category_id: 1}\n"
            "  - {id: 2, sku: B, name: b, price: 1, category_id: 77}\n",
        },
    )
    result = seed(root, "--database-url", db_url_postgres)
    assert result.code == 1, result.stdout
    assert [(f["rule"], f["line"]) for f in result.findings] == [("missing-parent", 4)]
    assert count(db_url_postgres, categories) == 0


def _natural_key_schema(url: str) -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table

    md = MetaData()
    Table(
        "tags",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("slug", String(40), nullable=False, unique=True),
        Column("label", String(80), nullable=False),
    )
    engine = create_engine(url)
    md.create_all(engine)
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
def test_generated_ids_with_a_natural_key(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue(f"{backend}_url"))
    _natural_key_schema(url)
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/tags.yaml": "table: tags\nkey: slug\nrows:\n  - {slug: a, label: A}\n"
            "  - {slug: b, label: B}\n"
        },
    )
    assert seed(root, "--database-url", url).code == 0
    again = seed(root, "--database-url", url)
    assert again.verdict is not None
    assert again.verdict["metrics"]["tables"]["tags"] == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 2,
    }


@pytest.mark.postgres
def test_postgres_native_types(tmp_path: Path, postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TYPE mood AS ENUM ('happy', 'sad')"))
        conn.execute(
            text(
                "CREATE TABLE events (id uuid PRIMARY KEY, mood mood NOT NULL, "
                "labels text[], at timestamptz, meta jsonb, done boolean DEFAULT false)"
            )
        )
    engine.dispose()
    seeds = """\
table: events
rows:
  - id: 6f1c2d3e-0000-4000-8000-000000000001
    mood: happy
    labels: [a, "b'c"]
    at: 2024-05-01T12:00:00+02:00
    meta: {k: [1, 2]}
    done: yes
  - {id: 6f1c2d3e-0000-4000-8000-000000000002, mood: grumpy}
"""
    root = make_project(tmp_path / "proj", {"seeds/events.yaml": seeds})
    bad = seed(root, "--database-url", postgres_url)
    assert [(f["rule"], f["line"]) for f in bad.findings] == [("bad-value", 9)]
    (root / "seeds" / "events.yaml").write_text(seeds.replace("grumpy", "sad"), encoding="utf-8")
    first = seed(root, "--database-url", postgres_url)
    assert first.code == 0, first.stdout
    again = seed(root, "--database-url", postgres_url)
    assert again.verdict is not None
    assert again.verdict["metrics"]["unchanged"] == 2, again.verdict


@pytest.mark.postgres
def test_postgres_sequence_follows_seeded_ids(tmp_path: Path, postgres_url: str) -> None:
    _natural_key_schema(postgres_url)
    root = make_project(
        tmp_path / "proj",
        {"seeds/tags.yaml": "table: tags\nrows:\n  - {id: 7, slug: a, label: A}\n"},
    )
    result = seed(root, "--database-url", postgres_url)
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    assert result.verdict["metrics"]["sequences_advanced"] == ["public.tags_id_seq"]
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        new_id = conn.execute(
            text("INSERT INTO tags (slug, label) VALUES ('b', 'B') RETURNING id")
        ).scalar()
    engine.dispose()
    assert new_id == 8
    again = seed(root, "--database-url", postgres_url)
    assert again.verdict is not None and "sequences_advanced" not in again.verdict["metrics"]
