"""migration-check on a PostgreSQL project with a throwaway server, against raw Alembic on a
server that is already running.

Run: .venv/bin/python benchmarks/migrations/throwaway.py [--runs N] [--revisions N]

Side by side, interleaved run by run (medians of --runs):
- `qualgate migration-check` with no --database-url: the project is PostgreSQL (its
  revisions import the dialect), so the gate starts a throwaway server from the local
  binaries, runs lint + upgrade + drift + downgrade + upgrade again, and stops it. Reported:
  the whole run, the server start alone (from the verdict), and the check without it.
  "cold (first ever)" empties qualgate's server template cache first (initdb runs);
  "cold" starts from the cached template, as every run after the first on a machine does.
- `alembic upgrade head && alembic downgrade base && alembic upgrade head` on the loopback
  server (127.0.0.1:5432), on a fresh database per run.
Goals: the whole run within 2x raw Alembic, the check itself <= 1.0x.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRATCH = REPO / "benchmarks" / ".scratch" / "throwaway"
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get(
    "QUALGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

INI = """\
[alembic]
script_location = %(here)s/migrations
prepend_sys_path = .
sqlalchemy.url = {url}
"""
ENV = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

from models import Base

config = context.config
connectable = engine_from_config(
    config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
"""
REVISION = '''\
"""table {i}"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "r{i:04d}"
down_revision = {down}


def upgrade():
    op.create_table(
        "t{i:04d}",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("data", postgresql.JSONB(), nullable=True),
    )
    op.create_index("ix_t{i:04d}_id", "t{i:04d}", ["id"])


def downgrade():
    op.drop_index("ix_t{i:04d}_id", table_name="t{i:04d}")
    op.drop_table("t{i:04d}")
'''


def make_project(root: Path, revisions: int, url: str) -> None:
    shutil.rmtree(root, ignore_errors=True)
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(INI.format(url=url), encoding="utf-8")
    (root / "migrations" / "env.py").write_text(ENV, encoding="utf-8")
    models = [
        "import sqlalchemy as sa",
        "from sqlalchemy.dialects import postgresql",
        "from sqlalchemy.orm import DeclarativeBase",
        "",
        "class Base(DeclarativeBase):",
        "    pass",
    ]
    for i in range(1, revisions + 1):
        down = "None" if i == 1 else f'"r{i - 1:04d}"'
        (versions / f"r{i:04d}.py").write_text(REVISION.format(i=i, down=down), encoding="utf-8")
        models += [
            "",
            f"class T{i}(Base):",
            f'    __tablename__ = "t{i:04d}"',
            "    id = sa.Column(sa.Integer(), primary_key=True, index=True)",
            "    data = sa.Column(postgresql.JSONB(), nullable=True)",
        ]
    (root / "models.py").write_text("\n".join(models) + "\n", encoding="utf-8")


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def raw_alembic(root: Path) -> float:
    name = f"bench_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    (root / "alembic.ini").write_text(INI.format(url=url), encoding="utf-8")
    try:
        started = time.perf_counter()
        for args in (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head")):
            subprocess.run([str(BIN / "alembic"), *args], cwd=root, check=True, capture_output=True)
        return time.perf_counter() - started
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def qualgate_check(root: Path, *, first_ever: bool) -> tuple[float, float]:
    """(whole run, server start) in seconds."""
    (root / "alembic.ini").write_text(INI.format(url="postgresql://app@db/app"), encoding="utf-8")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qualgate/servers"
    if first_ever:
        shutil.rmtree(cache, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(BIN / "qualgate"),
            "migration-check",
            str(root),
            *("--server", "local", "--no-cache", "--format", "json"),
        ],
        capture_output=True,
        text=True,
    )
    whole = time.perf_counter() - started
    verdict = json.loads(done.stdout)
    if verdict["status"] != "pass":
        raise SystemExit(f"migration-check did not pass: {verdict['summary']}")
    return whole, verdict["metrics"]["server_start_ms"] / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--revisions", type=int, default=30)
    args = parser.parse_args()
    root = SCRATCH / "project"
    make_project(root, args.revisions, "postgresql://app@db/app")
    raw: list[float] = []
    cold: list[tuple[float, float]] = []
    first: list[tuple[float, float]] = []
    for _ in range(args.runs):
        first.append(qualgate_check(root, first_ever=True))
        raw.append(raw_alembic(root))
        cold.append(qualgate_check(root, first_ever=False))
    med_raw = statistics.median(raw)
    rows = []
    for label, runs in (("cold (first ever: initdb)", first), ("cold (cached template)", cold)):
        whole = statistics.median(r[0] for r in runs)
        start = statistics.median(r[1] for r in runs)
        check = statistics.median(r[0] - r[1] for r in runs)
        rows.append(
            f"| {label} | {whole:.2f} | {start:.2f} | {check:.2f} | {med_raw:.2f} "
            f"| {whole / med_raw:.2f} | {check / med_raw:.2f} |"
        )
    load = os.getloadavg()[0]
    print(
        "# migration-check with a throwaway PostgreSQL "
        f"({args.revisions} revisions, median of {args.runs})"
    )
    print()
    print(
        "| migration-check | whole run (s) | server start (s) | check without the start (s) "
        "| raw alembic up+down+up on a running server (s) | whole / raw (goal <= 2) "
        "| check / raw (goal <= 1.0) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)
    print()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {load:.1f} at the end; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
    )


if __name__ == "__main__":
    main()
