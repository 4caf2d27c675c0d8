"""Seed gate vs a plain SQLAlchemy ``executemany``: 100,000 rows into SQLite and PostgreSQL.

For each backend and each repetition, on a fresh database with the same schema:

- baseline: read the CSV with ``csv.DictReader``, convert the columns by hand, and insert
  everything with one ``conn.execute(table.insert(), rows)`` in one transaction;
- seed, first load: ``qualgate seed --database-url URL`` (in-process ``run``): parse with
  line numbers, reflect, convert by column type, read what is stored, diff, insert, read
  everything back and compare, commit;
- seed, unchanged re-run: the same again on the loaded database (nothing to write).

Prints medians and ratios as a markdown table. Run: ``.venv/bin/python benchmarks/seed/bench.py``
(``--rows N``, ``--runs N``, ``--no-postgres``). Scratch files go to benchmarks/.scratch/seed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    func,
    select,
    text,
)

REPO = Path(__file__).resolve().parents[2]
SCRATCH = REPO / "benchmarks" / ".scratch" / "seed"
PG_ADMIN = os.environ.get(
    "QUALGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(32), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("price", Numeric(10, 2), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
)


def write_csv(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "sku", "name", "price", "qty", "active"])
        for i in range(1, rows + 1):
            writer.writerow(
                [
                    i,
                    f"SKU-{i:07d}",
                    f"Item {i}, \"quoted\" 'x'",
                    f"{i % 1000}.{i % 100:02d}",
                    i % 97,
                    "true" if i % 2 else "false",
                ]
            )


def baseline(url: str, path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            {
                "id": int(r["id"]),
                "sku": r["sku"],
                "name": r["name"],
                "price": Decimal(r["price"]),
                "qty": int(r["qty"]),
                "active": r["active"] == "true",
            }
            for r in csv.DictReader(handle)
        ]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(items.insert(), rows)
    engine.dispose()


def run_gate(url: str, project: Path) -> dict[str, object]:
    from qualgate.context import GateContext
    from qualgate.gates.seed import gate as seed
    from qualgate.options import common_options

    options = {o.name: o.default for o in (*common_options(seed.DEFAULT_TIMEOUT), *seed.OPTIONS)}
    options["seeds-dir"] = project / "seeds"
    options["database-url"] = url
    ctx = GateContext(gate="seed", root=project, options=options, timeout=600)
    verdict = seed.run(ctx)
    if verdict.status.value != "pass":
        raise SystemExit(f"seed did not pass: {verdict.summary}")
    return dict(verdict.metrics)


def count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(items)).scalar_one()
    engine.dispose()
    return int(n)


@contextmanager
def fresh_sqlite() -> Iterator[str]:
    path = SCRATCH / f"bench-{uuid.uuid4().hex[:8]}.db"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def fresh_postgres() -> Iterator[str]:
    from sqlalchemy.engine import make_url

    name = f"qgbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(
    name: str, fresh: Callable[[], object], project: Path, rows: int, runs: int
) -> dict[str, float]:
    csv_path = project / "seeds" / "items.csv"
    base: list[float] = []
    first: list[float] = []
    again: list[float] = []
    for _ in range(runs):
        with fresh() as url:  # type: ignore[attr-defined]
            base.append(timed(lambda url=url: baseline(url, csv_path)))
            assert count(url) == rows
        with fresh() as url:  # type: ignore[attr-defined]
            first.append(timed(lambda url=url: run_gate(url, project)))
            assert count(url) == rows
            metrics: dict[str, object] = {}
            again.append(timed(lambda url=url, m=metrics: m.update(run_gate(url, project))))
            assert metrics["inserted"] == 0 and metrics["updated"] == 0, metrics
            assert metrics["unchanged"] == rows
        print(
            f"  {name}: baseline {base[-1]:.2f}s, seed {first[-1]:.2f}s, re-run {again[-1]:.2f}s",
            file=sys.stderr,
        )
    return {
        "baseline": statistics.median(base),
        "first": statistics.median(first),
        "again": statistics.median(again),
        # Paired per-run ratios: robust to the machine getting busier during the run.
        "ratio": statistics.median(f / b for f, b in zip(first, base, strict=True)),
        "again_ratio": statistics.median(a / f for a, f in zip(again, first, strict=True)),
    }


def main() -> None:
    import signal

    # SIGTERM (a killed run) unwinds like Ctrl-C, so scratch databases are dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    sys.path.insert(0, str(REPO / "src"))
    SCRATCH.mkdir(parents=True, exist_ok=True)
    project = SCRATCH / "project"
    shutil.rmtree(project, ignore_errors=True)
    write_csv(project / "seeds" / "items.csv", args.rows)
    results = {"SQLite": bench("sqlite", fresh_sqlite, project, args.rows, args.runs)}
    if not args.no_postgres:
        results["PostgreSQL"] = bench("postgres", fresh_postgres, project, args.rows, args.runs)
    shutil.rmtree(project, ignore_errors=True)
    print(f"{args.rows:,} rows (6 columns, CSV), medians of {args.runs} runs\n")
    print(
        "| backend | executemany baseline | seed first load | ratio (goal <= 1.5) "
        "| seed unchanged re-run | re-run / first load (goal <= 1) |"
    )
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['baseline']:.2f} s | {r['first']:.2f} s | "
            f"{r['first'] / r['baseline']:.2f} (paired {r['ratio']:.2f}) | {r['again']:.2f} s | "
            f"{r['again'] / r['first']:.2f} (paired {r['again_ratio']:.2f}) |"
        )
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {dt.date.today().isoformat()}; load average "
        f"{load_start:.1f} at start, {os.getloadavg()[0]:.1f} at end (a shared machine)"
    )


if __name__ == "__main__":
    main()
