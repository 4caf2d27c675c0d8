"""Shared pieces of the seed gate tests: a schema, a project builder, database readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    select,
)

from tests.support import Run, run_qualgate, write_files

metadata = MetaData()
categories = Table(
    "categories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("categories.id"), nullable=True),
)
products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(32), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("price", Numeric(10, 2), nullable=False),
    Column("stock", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=True),
    Column("released", Date, nullable=True),
    Column("created", DateTime, nullable=True),
    Column("attrs", JSON, nullable=True),
    Column("category_id", Integer, ForeignKey("categories.id"), nullable=False),
)

# The same schema as a module a project can name with --metadata.
MODELS_PY = """
from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, MetaData,
                        Numeric, String, Table, Text)
metadata = MetaData()
Table("categories", metadata,
      Column("id", Integer, primary_key=True, autoincrement=False),
      Column("slug", String(64), nullable=False, unique=True),
      Column("name", String(200), nullable=False),
      Column("parent_id", Integer, ForeignKey("categories.id"), nullable=True))
Table("products", metadata,
      Column("id", Integer, primary_key=True, autoincrement=False),
      Column("sku", String(32), nullable=False, unique=True),
      Column("name", Text, nullable=False),
      Column("price", Numeric(10, 2), nullable=False),
      Column("stock", Integer, nullable=False, server_default="0"),
      Column("active", Boolean, nullable=True),
      Column("released", Date, nullable=True),
      Column("created", DateTime, nullable=True),
      Column("attrs", JSON, nullable=True),
      Column("category_id", Integer, ForeignKey("categories.id"), nullable=False))
"""

CATEGORIES_YAML = """\
table: categories
rows:
  - id: 1
    slug: tools
    name: Tools
  - id: 2
    slug: garden
    name: Garden
"""

PRODUCTS_CSV = """\
id,sku,name,price,stock,active,category_id
1,T-1,Hammer,12.50,4,yes,1
2,T-2,"Saw, small",9.99,3,,1
3,G-1,Hose,20,7,1,2
"""


def create_schema(url: str) -> None:
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def make_project(root: Path, files: dict[str, str]) -> Path:
    write_files(root, files)
    return root


def seed(root: Path, *args: str) -> Run:
    return run_qualgate("seed", str(root), *args)


def rows(url: str, table: Table) -> list[dict[str, Any]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        result = [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]
    engine.dispose()
    return result


def count(url: str, table: Table) -> int:
    return len(rows(url, table))


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db.sqlite'}"
