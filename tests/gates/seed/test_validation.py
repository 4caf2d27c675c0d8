"""Seed defects found before anything is written: findings at the exact file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gates.seed.helpers import (
    CATEGORIES_YAML,
    categories,
    count,
    create_schema,
    make_project,
    products,
    seed,
    sqlite_url,
)


@pytest.fixture()
def url(tmp_path: Path) -> str:
    value = sqlite_url(tmp_path)
    create_schema(value)
    return value


def _run(tmp_path: Path, url: str, files: dict[str, str]) -> tuple[int, list[tuple[str, str, int]]]:
    root = make_project(tmp_path / "proj", files)
    result = seed(root, "--database-url", url)
    found = sorted((f["rule"], f["path"], f["line"]) for f in result.findings)
    assert count(url, categories) == 0, "nothing may be written when seeds are invalid"
    return result.code, found


def test_values_that_do_not_convert(tmp_path: Path, url: str) -> None:
    products_yaml = """\
table: products
rows:
  - id: 1
    sku: A
    name: ok
    price: 1.5
    category_id: 1
  - {id: 2, sku: B, name: b, price: 1.234, category_id: 1}
  - {id: 3, sku: C, name: c, price: 1, stock: 2.5, category_id: 1}
  - {id: 4, sku: D, name: d, price: 1, active: maybe, category_id: 1}
  - {id: 5, sku: E, name: e, price: 1, released: 2024-02-30, category_id: 1}
  - {id: 6, sku: 7, name: f, price: 1, category_id: 1}
  - {id: 7, sku: G, name: g, price: 123456789, category_id: 1}
  - {id: 8, sku: H, name: h, price: 1, created: yesterday, category_id: 1}
  - {id: 9, sku: I, name: i, price: abc, category_id: 1}
"""
    code, found = _run(
        tmp_path,
        url,
        {"seeds/categories.yaml": CATEGORIES_YAML, "seeds/products.yaml": products_yaml},
    )
    assert code == 1
    assert found == [("bad-value", "seeds/products.yaml", line) for line in range(8, 16)]


def test_csv_integer_from_text_and_bad_cells(tmp_path: Path, url: str) -> None:
    csv = "id,sku,name,price,category_id\n1,A,a,1,1\nx,B,b,1,1\n3,C,c,1,one\n"
    code, found = _run(
        tmp_path, url, {"seeds/categories.yaml": CATEGORIES_YAML, "seeds/products.csv": csv}
    )
    assert code == 1
    assert found == [("bad-value", "seeds/products.csv", 3), ("bad-value", "seeds/products.csv", 4)]


def test_unknown_table_column_duplicate_and_missing_key(tmp_path: Path, url: str) -> None:
    files = {
        "seeds/categories.yaml": """\
table: categories
rows:
  - {id: 1, slug: a, name: A, colour: red}
  - {id: 2, slug: b, name: B}
  - {id: 2, slug: c, name: C}
  - {slug: d, name: D}
  - {id: 5, slug: e, name: null}
""",
        "seeds/widgets.yaml": "table: widgets\nrows: []\n",
    }
    code, found = _run(tmp_path, url, files)
    assert code == 1
    assert found == [
        ("duplicate-key", "seeds/categories.yaml", 5),
        ("missing-key", "seeds/categories.yaml", 6),
        ("not-null", "seeds/categories.yaml", 7),
        ("unknown-column", "seeds/categories.yaml", 3),
        ("unknown-table", "seeds/widgets.yaml", 1),
    ]


def test_invalid_files(tmp_path: Path, url: str) -> None:
    files = {
        "seeds/a.yaml": "table: categories\nrows:\n  - {id: 1\n",
        "seeds/b.json": '{"table": "categories", "rows": [\n  {"id": 1,}\n]}',
        "seeds/c.yaml": "- just a list\n",
        "seeds/d.yaml": "table: categories\nrows: {id: 1}\n",
        "seeds/e.yaml": "table: categories\nkeys: [id]\nrows: []\n",
        "seeds/f.yaml": "table: categories\nrows:\n  - 5\n",
        "seeds/categories.csv": "id,slug,slug\n1,a,b\n",
        "seeds/products.csv": "id,sku\n1,a,extra\n",
    }
    code, found = _run(tmp_path, url, files)
    assert code == 1
    assert found == [
        ("invalid-document", "seeds/c.yaml", 1),
        ("invalid-document", "seeds/d.yaml", 1),
        ("invalid-document", "seeds/e.yaml", 1),
        ("invalid-document", "seeds/f.yaml", 3),
        ("invalid-file", "seeds/a.yaml", 4),
        ("invalid-file", "seeds/b.json", 2),
        ("invalid-file", "seeds/categories.csv", 1),
        ("invalid-row", "seeds/products.csv", 2),
    ]


def test_json_and_multi_document_yaml_lines(tmp_path: Path, url: str) -> None:
    json_text = """[
  {"table": "categories",
   "rows": [
     {"id": 1, "slug": "a", "name": "A"},

     {"id": 2,
      "slug": "b", "name": "B"}
   ]},
  {"table": "products", "key": ["sku"], "rows": [
     {"id": 1, "sku": "S", "name": "s", "price": "x", "category_id": 1}]}
]"""
    yaml_text = """\
table: categories
rows:
  - {id: 3, slug: c, name: C}
---
table: categories
rows:
  - id: 4
    slug: d
    name: D
    parent_id: "four"
"""
    code, found = _run(tmp_path, url, {"seeds/one.json": json_text, "seeds/two.yaml": yaml_text})
    assert code == 1
    assert found == [("bad-value", "seeds/one.json", 10), ("bad-value", "seeds/two.yaml", 7)]


def test_csv_multiline_cell_keeps_row_lines(tmp_path: Path, url: str) -> None:
    csv = 'id,slug,name\n1,a,"two\nlines"\n\n2,b,"x"\n3,c,\n'
    code, found = _run(tmp_path, url, {"seeds/categories.csv": csv})
    assert code == 1
    assert found == [("not-null", "seeds/categories.csv", 6)]


def test_conflicting_keys_and_unknown_key_column(tmp_path: Path, url: str) -> None:
    files = {
        "seeds/a.yaml": "table: categories\nkey: slug\nrows: []\n",
        "seeds/b.yaml": "table: categories\nkey: id\nrows: []\n",
        "seeds/c.yaml": "table: products\nkey: [nope]\nrows: []\n",
    }
    code, found = _run(tmp_path, url, files)
    assert code == 1
    assert found == [("invalid-document", "seeds/a.yaml", 1), ("unknown-column", "seeds/c.yaml", 1)]


def _two_table_cycle(tmp_path: Path, *, a_to_b_nullable: bool) -> tuple[Path, str]:
    """Tables a <-> b referencing each other (b.a_id NOT NULL), one seed row each."""
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, create_engine

    url = sqlite_url(tmp_path)
    md = MetaData()
    Table(
        "a",
        md,
        Column("id", Integer, primary_key=True),
        Column("b_id", ForeignKey("b.id"), nullable=a_to_b_nullable),
    )
    Table(
        "b",
        md,
        Column("id", Integer, primary_key=True),
        Column("a_id", ForeignKey("a.id", use_alter=True), nullable=False),
    )
    engine = create_engine(url)
    md.create_all(engine)
    engine.dispose()
    root = make_project(
        tmp_path / "proj",
        {
            "seeds/a.yaml": "table: a\nrows:\n  - {id: 1, b_id: 1}\n",
            "seeds/b.yaml": "table: b\nrows:\n  - {id: 1, a_id: 1}\n",
        },
    )
    return root, url


def test_table_cycle_with_nullable_fk_is_deferred(tmp_path: Path) -> None:
    root, url = _two_table_cycle(tmp_path, a_to_b_nullable=True)
    result = seed(root, "--database-url", url)
    assert result.code == 0, result.stdout
    again = seed(root, "--database-url", url)
    assert again.verdict is not None and again.verdict["metrics"]["unchanged"] == 2


def test_self_reference_row_cycle_is_reported(tmp_path: Path, url: str) -> None:
    files = {
        "seeds/categories.yaml": """\
table: categories
rows:
  - {id: 1, slug: a, name: A, parent_id: 2}
  - {id: 2, slug: b, name: B, parent_id: 1}
"""
    }
    code, found = _run(tmp_path, url, files)
    assert code == 1
    assert found == [("fk-cycle", "seeds/categories.yaml", 3)]
    assert count(url, products) == 0


def test_table_cycle_without_nullable_fk_is_reported(tmp_path: Path) -> None:
    root, url = _two_table_cycle(tmp_path, a_to_b_nullable=False)
    result = seed(root, "--database-url", url)
    assert result.code == 1
    assert [(f["rule"], f["path"], f["line"]) for f in result.findings] == [
        ("fk-cycle", "seeds/a.yaml", 3)
    ]
    assert "a, b" in result.findings[0]["message"]


def test_check_lists_at_most_a_thousand_rows_per_table(tmp_path: Path, url: str) -> None:
    csv = "id,slug,name\n" + "".join(f"{i},s{i},n{i}\n" for i in range(1, 1206))
    root = make_project(tmp_path / "proj", {"seeds/categories.csv": csv})
    result = seed(root, "--database-url", url, "--check")
    assert result.code == 1
    assert len(result.findings) == 1001
    assert result.findings[-1]["message"] == "categories: 205 more rows differ (not listed)"
    assert result.verdict is not None and result.verdict["metrics"]["inserted"] == 1205
