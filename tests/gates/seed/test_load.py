"""Loading into a real database: idempotency, rollback, ordering, quoting, drift, overlays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from tests.gates.seed.helpers import (
    CATEGORIES_YAML,
    PRODUCTS_CSV,
    categories,
    count,
    make_project,
    products,
    rows,
    seed,
)


def _project(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    files = {
        "seeds/categories.yaml": CATEGORIES_YAML,
        "seeds/products.csv": PRODUCTS_CSV,
        **(extra or {}),
    }
    return make_project(tmp_path / "proj", files)


def test_load_twice_is_idempotent(tmp_path: Path, db_url: str) -> None:
    root = _project(tmp_path)
    first = seed(root, "--database-url", db_url)
    assert first.code == 0, first.stdout
    assert first.verdict is not None
    metrics = first.verdict["metrics"]
    assert metrics["tables"] == {
        "categories": {"inserted": 2, "updated": 0, "unchanged": 0},
        "products": {"inserted": 3, "updated": 0, "unchanged": 0},
    }
    stored = rows(db_url, products)
    assert [r["sku"] for r in stored] == ["T-1", "T-2", "G-1"]
    assert stored[0]["price"] == Decimal("12.50")
    assert stored[1]["name"] == "Saw, small"
    assert stored[1]["active"] is None  # an empty CSV cell is NULL
    assert bool(stored[0]["active"]) is True and bool(stored[2]["active"]) is True

    second = seed(root, "--database-url", db_url)
    assert second.code == 0, second.stdout
    assert second.verdict is not None
    assert second.verdict["metrics"]["inserted"] == 0
    assert second.verdict["metrics"]["updated"] == 0
    assert second.verdict["metrics"]["unchanged"] == 5
    assert [c["name"] for c in second.verdict["checks"]] == ["read", "plan", "load", "verify"]


def test_bad_row_rolls_back_everything(tmp_path: Path, db_url: str) -> None:
    # Row 4 (line 4) names a category that does not exist: the database refuses it, and
    # the categories inserted before it in the same run must be gone too.
    csv = PRODUCTS_CSV.replace("3,G-1,Hose,20,7,1,2", "3,G-1,Hose,20,7,1,99")
    root = _project(tmp_path, {"seeds/products.csv": csv})
    result = seed(root, "--database-url", db_url)
    assert result.code == 1, result.stdout
    assert result.rules() == ["missing-parent"]
    finding = result.findings[0]
    assert (finding["path"], finding["line"]) == ("seeds/products.csv", 4)
    assert count(db_url, categories) == 0
    assert count(db_url, products) == 0
    assert result.verdict is not None
    assert result.verdict["metrics"]["inserted"] == 0
    assert "rolled back" in result.verdict["summary"]


def test_unique_violation_points_at_row(tmp_path: Path, db_url: str) -> None:
    csv = PRODUCTS_CSV.replace("3,G-1,Hose", "3,T-1,Hose")  # sku T-1 twice
    root = _project(tmp_path, {"seeds/products.csv": csv})
    result = seed(root, "--database-url", db_url)
    assert result.code == 1, result.stdout
    assert result.rules() == ["unique-violation"]
    assert result.findings[0]["line"] == 4
    assert count(db_url, categories) == 0


def test_update_of_existing_rows_and_drift_check(tmp_path: Path, db_url: str) -> None:
    root = _project(tmp_path)
    assert seed(root, "--database-url", db_url).code == 0
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(products).where(products.c.id == 2).values(price=Decimal("1.00")))
        conn.execute(products.delete().where(products.c.id == 3))
    engine.dispose()

    check = seed(root, "--database-url", db_url, "--check")
    assert check.code == 1, check.stdout
    by_rule = {f["rule"]: f for f in check.findings}
    assert set(by_rule) == {"row-differs", "missing-row"}
    assert (by_rule["row-differs"]["path"], by_rule["row-differs"]["line"]) == (
        "seeds/products.csv",
        3,
    )
    assert "price is Decimal('1.00') in the database" in by_rule["row-differs"]["message"]
    assert by_rule["missing-row"]["line"] == 4
    assert rows(db_url, products)[1]["price"] == Decimal("1.00")  # --check wrote nothing

    dry = seed(root, "--database-url", db_url, "--dry-run")
    assert dry.code == 0
    assert dry.verdict is not None
    assert dry.verdict["metrics"]["inserted"] == 1 and dry.verdict["metrics"]["updated"] == 1
    assert sorted(f["rule"] for f in dry.findings) == ["would-insert", "would-update"]
    assert all(f["severity"] == "note" for f in dry.findings)
    assert count(db_url, products) == 2  # --dry-run wrote nothing

    fix = seed(root, "--database-url", db_url)
    assert fix.code == 0
    assert fix.verdict is not None
    assert fix.verdict["metrics"]["tables"]["products"] == {
        "inserted": 1,
        "updated": 1,
        "unchanged": 1,
    }
    assert seed(root, "--database-url", db_url, "--check").code == 0


HOSTILE = [
    "O'Brien",
    'say "hi"',
    "back\\slash \\' \\\\",
    "'; DROP TABLE products; --",
    "Robert'); DELETE FROM categories; --",
    "ünïcödé ✓ 漢字 🚀",
    "%s %(name)s :name ? $1",
    "tab\tand\nnewline",
]


def test_hostile_strings_round_trip(tmp_path: Path, db_url: str) -> None:
    import json

    doc = {
        "table": "products",
        "rows": [
            {"id": i + 1, "sku": f"H-{i}", "name": text, "price": "1.00", "category_id": 1}
            for i, text in enumerate(HOSTILE)
        ],
    }
    root = make_project(
        tmp_path / "proj",
        {"seeds/categories.yaml": CATEGORIES_YAML, "seeds/products.json": json.dumps(doc)},
    )
    result = seed(root, "--database-url", db_url)
    assert result.code == 0, result.stdout
    assert [r["name"] for r in rows(db_url, products)] == HOSTILE
    again = seed(root, "--database-url", db_url)
    assert again.verdict is not None and again.verdict["metrics"]["unchanged"] == 10


def test_parent_file_sorting_after_child_is_loaded_first(tmp_path: Path, db_url: str) -> None:
    # "a_products" sorts before "z_categories": the FK graph, not the file name, decides.
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/a_products.yaml": "table: products\nrows:\n"
            "  - {id: 1, sku: A, name: A, price: 1, category_id: 2}\n",
            "seeds/z_categories.yaml": CATEGORIES_YAML,
        },
    )
    result = seed(root, "--database-url", db_url)
    assert result.code == 0, result.stdout
    assert count(db_url, products) == 1


def test_self_reference_child_row_before_parent_row(tmp_path: Path, db_url: str) -> None:
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/categories.yaml": """\
table: categories
rows:
  - {id: 3, slug: hand-tools, name: Hand tools, parent_id: 1}
  - {id: 2, slug: power, name: Power tools, parent_id: 1}
  - {id: 1, slug: tools, name: Tools}
"""
        },
    )
    result = seed(root, "--database-url", db_url)
    assert result.code == 0, result.stdout
    assert [r["parent_id"] for r in rows(db_url, categories)] == [None, 1, 1]


def test_types_convert_and_compare(tmp_path: Path, db_url: str) -> None:
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/categories.yaml": CATEGORIES_YAML,
            "seeds/products.yaml": """\
table: products
key: sku
rows:
  - id: 1
    sku: "007"
    name: Typed
    price: 19.99
    stock: "12"
    active: no
    released: 2024-02-29
    created: "2024-03-01T10:30:00"
    attrs: {color: red, sizes: [1, 2]}
    category_id: 1
""",
        },
    )
    result = seed(root, "--database-url", db_url)
    assert result.code == 0, result.stdout
    (row,) = rows(db_url, products)
    assert row["price"] == Decimal("19.99")
    assert row["stock"] == 12
    assert not row["active"]
    assert row["released"] == dt.date(2024, 2, 29)
    assert row["created"] == dt.datetime(2024, 3, 1, 10, 30)
    assert row["attrs"] == {"color": "red", "sizes": [1, 2]}
    again = seed(root, "--database-url", db_url)
    assert again.verdict is not None
    assert again.verdict["metrics"]["tables"]["products"]["unchanged"] == 1


def test_overlay_overrides_by_key(tmp_path: Path, db_url: str) -> None:
    root = _project(
        tmp_path,
        {
            "seeds/dev/products.yaml": """\
table: products
rows:
  - {id: 2, price: "1.50"}
  - {id: 9, sku: DEV-9, name: Dev only, price: 0, category_id: 2}
""",
            "seeds/prod/products.yaml": "table: products\nrows:\n  - {id: 1, price: 999}\n",
        },
    )
    result = seed(root, "--database-url", db_url, "--env", "dev")
    assert result.code == 0, result.stdout
    stored = {r["id"]: r for r in rows(db_url, products)}
    assert sorted(stored) == [1, 2, 3, 9]
    assert stored[2]["price"] == Decimal("1.50")
    assert stored[2]["name"] == "Saw, small"  # base columns kept
    assert stored[1]["price"] == Decimal("12.50")  # other environments ignored


def test_composite_natural_key_updates_in_place(tmp_path: Path, db_url: str) -> None:
    # key: [slug, name] is not the primary key: rows are found by it, and `id` is a value.
    first = "table: categories\nkey: [slug, name]\nrows:\n  - {id: 1, slug: a, name: A}\n"
    root = make_project(tmp_path / "proj", {"seeds/categories.yaml": first})
    assert seed(root, "--database-url", db_url).code == 0
    second = first + "  - {id: 2, slug: b, name: B, parent_id: 1}\n"
    (root / "seeds" / "categories.yaml").write_text(second, encoding="utf-8")
    result = seed(root, "--database-url", db_url)
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    assert result.verdict["metrics"]["tables"]["categories"] == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 1,
    }
    changed = second.replace("parent_id: 1", "parent_id: null")
    (root / "seeds" / "categories.yaml").write_text(changed, encoding="utf-8")
    again = seed(root, "--database-url", db_url)
    assert again.verdict is not None
    assert again.verdict["metrics"]["updated"] == 1
    assert [r["parent_id"] for r in rows(db_url, categories)] == [None, None]


@pytest.mark.slow
def test_large_seed_reads_table_whole(tmp_path: Path, db_url: str) -> None:
    # Above 2,000 rows the stored rows are read in one scan (on SQLite through the
    # driver's cursor); the result must be the same as the keyed reads.
    lines = ["id,sku,name,price,stock,active,released,created,attrs,category_id"]
    lines += [
        f"{i},S{i},n{i},{i % 50}.{i % 100:02d},{i},{i % 2},2024-01-{i % 28 + 1:02d},"
        f'2024-02-03T04:05:{i % 60:02d},"{{""n"": {i}, ""tags"": [""x""]}}",1'
        for i in range(1, 2601)
    ]
    root = make_project(
        tmp_path / "proj",
        {"seeds/categories.yaml": CATEGORIES_YAML, "seeds/products.csv": "\n".join(lines)},
    )
    first = seed(root, "--database-url", db_url)
    assert first.code == 0, first.stdout
    assert first.verdict is not None and first.verdict["metrics"]["inserted"] == 2602
    again = seed(root, "--database-url", db_url)
    assert again.verdict is not None
    assert again.verdict["metrics"]["unchanged"] == 2602, again.verdict["metrics"]
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(products).where(products.c.id == 1234).values(released=None))
    engine.dispose()
    check = seed(root, "--database-url", db_url, "--check")
    assert [(f["rule"], f["line"]) for f in check.findings] == [("row-differs", 1235)]
