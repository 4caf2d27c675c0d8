"""migration-check against the raw Alembic commands, on a generated 200-revision chain.

Run: .venv/bin/python benchmarks/migrations/bench.py [--runs N] [--revisions N]

Compares, side by side (medians of --runs):
- `qualgate migration-check` (lint + upgrade one by one + drift + downgrade + upgrade again)
  against `alembic upgrade head` + `alembic check` + `alembic downgrade base`, on SQLite and
  on PostgreSQL (when the loopback server answers);
- the static checks alone on 1,000 revision files (goal: under 1 s).
Scratch files go under benchmarks/.scratch/migrations/.
"""

from __future__ import annotations

import argparse
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
SCRATCH = REPO / "benchmarks" / ".scratch" / "migrations"
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
target_metadata = Base.metadata

connectable = engine_from_config(
    config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
"""

REVISION = '''\
"""table {i}"""
from alembic import op
import sqlalchemy as sa

revision = "r{i:04d}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "t{i:04d}",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=True),
    )
    op.create_index("ix_t{i:04d}_name", "t{i:04d}", ["name"])


def downgrade():
    op.drop_index("ix_t{i:04d}_name", table_name="t{i:04d}")
    op.drop_table("t{i:04d}")
'''

MODEL = """
class T{i:04d}(Base):
    __tablename__ = "t{i:04d}"
    id = sa.Column(sa.Integer(), primary_key=True)
    name = sa.Column(sa.String(100), nullable=False, index=True)
    amount = sa.Column(sa.Numeric(10, 2), nullable=True)
"""


def make_chain(root: Path, count: int, *, models: bool = True) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(ENV, encoding="utf-8")
    for i in range(count):
        down = repr(f"r{i - 1:04d}") if i else "None"
        (versions / f"r{i:04d}_table.py").write_text(
            REVISION.format(i=i, down=down), encoding="utf-8"
        )
    if models:
        text = "import sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
        text += "class Base(DeclarativeBase):\n    pass\n"
        text += "".join(MODEL.format(i=i) for i in range(count))
        (root / "models.py").write_text(text, encoding="utf-8")
    return root


def timed(argv: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate()
    except KeyboardInterrupt:
        # Ctrl-C reached the child too: let it clean up (drop its scratch database)
        # instead of killing it as subprocess.run would.
        proc.wait()
        raise
    elapsed = time.perf_counter() - t0
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{out}{err}")
    return elapsed


def pg_available() -> bool:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - absent server: skip that row
        return False


def pg_database(action: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if action == "create":
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def raw_alembic(root: Path, backend: str) -> tuple[float, float]:
    """(upgrade head + check + downgrade base, the same + upgrade head again): one process each.

    The second number is the same work migration-check does (it upgrades again after the
    downgrade to prove up/down consistency), to show the cost of its own machinery.
    """
    from sqlalchemy.engine import make_url

    name = f"bench_{secrets.token_hex(4)}"
    if backend == "sqlite":
        db = SCRATCH / f"{name}.db"
        url = f"sqlite:///{db}"
    else:
        pg_database("create", name)
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    (root / "alembic.ini").write_text(INI.format(url=url.replace("%", "%%")), encoding="utf-8")
    alembic = str(BIN / "alembic")
    try:
        total = timed([alembic, "upgrade", "head"], root)
        total += timed([alembic, "check"], root)
        total += timed([alembic, "downgrade", "base"], root)
        again = total + timed([alembic, "upgrade", "head"], root)
    finally:
        if backend == "sqlite":
            db.unlink(missing_ok=True)
        else:
            pg_database("drop", name)
    return total, again


def qualgate_check(root: Path, backend: str) -> float:
    (root / "alembic.ini").write_text(INI.format(url="sqlite:///unused.db"), encoding="utf-8")
    argv = [str(BIN / "qualgate"), "migration-check", str(root), "--format", "json"]
    argv += ["--python", sys.executable, "--disable", "create-index-not-concurrently"]
    if backend == "postgresql":
        argv += ["--database-url", PG_ADMIN]
    return timed(argv, root)


def static_lint(root: Path) -> tuple[float, float, float]:
    """(in-process wall, in-process CPU, CLI --static-only wall) seconds on root's files."""
    from qualgate.gates.migration_check import graph, oplint, project

    oplint.walked.cache_clear()
    c0 = time.process_time()
    t0 = time.perf_counter()
    proj = project.load(root, "alembic.ini", None)
    parsed = [graph.parse(p.read_text("utf-8"), p.name) for p in proj.revision_files()]
    graph.build(parsed)
    for rf in parsed:
        oplint.lint(rf, postgres=True)
    in_process, cpu = time.perf_counter() - t0, time.process_time() - c0
    argv = [str(BIN / "qualgate"), "migration-check", str(root), "--static-only"]
    cli = timed([*argv, "--format", "json"], root, ok=(0, 1))
    return in_process, cpu, cli


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--revisions", type=int, default=200)
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    chain = make_chain(SCRATCH / "chain", args.revisions)
    rows = []
    backends = ["sqlite"] + (["postgresql"] if pg_available() else [])
    for backend in backends:
        raw, same, ours = [], [], []
        for _ in range(args.runs):  # interleaved, so load changes hit both sides alike
            trio, four = raw_alembic(chain, backend)
            raw.append(trio)
            same.append(four)
            ours.append(qualgate_check(chain, backend))
        r, s4, q = statistics.median(raw), statistics.median(same), statistics.median(ours)
        rows.append((backend, r, s4, q))
    big = make_chain(SCRATCH / "lint1000", 1000, models=False)
    (big / "alembic.ini").write_text(INI.format(url="sqlite://"), encoding="utf-8")
    lint_runs = [static_lint(big) for _ in range(max(args.runs, 3))]
    inproc = statistics.median(x for x, _, _ in lint_runs)
    cpu = statistics.median(y for _, y, _ in lint_runs)
    cli = statistics.median(z for _, _, z in lint_runs)

    print(f"# migration-check benchmark ({args.revisions}-revision chain, median of {args.runs})\n")
    print(
        "| database | raw: upgrade + check + downgrade (s) | raw + upgrade again (s) "
        "| qualgate migration-check (s) | ratio to raw (goal <= 1.3) | ratio to same work |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for backend, r, s4, q in rows:
        print(f"| {backend} | {r:.2f} | {s4:.2f} | {q:.2f} | {q / r:.2f} | {q / s4:.2f} |")
    print("\n| static checks, 1,000 revision files | seconds (goal < 1) |")
    print("|---|---:|")
    print(f"| parse + graph + lint, in process (wall) | {inproc:.3f} |")
    print(f"| parse + graph + lint, in process (CPU) | {cpu:.3f} |")
    print(f"| `qualgate migration-check --static-only` (whole CLI) | {cli:.3f} |")
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
    )


if __name__ == "__main__":
    main()
