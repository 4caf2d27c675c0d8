"""What seeding the demo by hand takes: the schema on a throwaway SQLite database, then the
seed files (YAML and CSV) inserted with SQLAlchemy in one transaction.

Run from the demo service's folder: python seed_by_hand.py DB_PATH
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import yaml
from demo_service.models import Base
from sqlalchemy import create_engine, insert

engine = create_engine(f"sqlite:///{sys.argv[1]}")
Base.metadata.create_all(engine)
rows: dict[str, list[dict[str, object]]] = {}
for path in sorted(Path("seeds").glob("*.yaml")):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows.setdefault(document["table"], []).extend(document["rows"])
for path in sorted(Path("seeds").glob("*.csv")):
    with path.open(encoding="utf-8", newline="") as handle:
        rows.setdefault(path.stem, []).extend(csv.DictReader(handle))
with engine.begin() as conn:
    for table in Base.metadata.sorted_tables:
        if rows.get(table.name):
            conn.execute(insert(table), rows[table.name])
engine.dispose()
