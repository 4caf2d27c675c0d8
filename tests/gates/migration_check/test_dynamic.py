"""Dynamic checks of migration-check on a scratch database: SQLite, PostgreSQL and MariaDB.

Every server test points --database-url at a fresh database holding one marker table and
proves afterwards that the marker is all it holds and that the scratch database is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.gates.migration_check.factory import (
    CREATE_USERS,
    ENV_RAW,
    ENV_SETTINGS,
    MODELS_USERS,
    MODELS_WITH_NICK,
    V,
    good_chain,
    make_project,
    revision,
)
from tests.support import Run, run_qualgate


@dataclass
class Server:
    """Where a test points --database-url (None: the default SQLite scratch)."""

    kind: str
    url: str | None

    def tables(self) -> set[str]:
        assert self.url is not None
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return set(inspect(conn).get_table_names())
        finally:
            engine.dispose()

    def database_exists(self, name: str) -> bool:
        assert self.url is not None
        engine = create_engine(self.url, poolclass=NullPool)
        query = (
            "SELECT 1 FROM pg_database WHERE datname = :n"
            if self.kind == "postgres"
            else "SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"
        )
        try:
            with engine.connect() as conn:
                return conn.execute(text(query), {"n": name}).first() is not None
        finally:
            engine.dispose()


def _with_marker(url: str) -> str:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE qualgate_marker (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "sqlite":
        yield Server(kind="sqlite", url=None)
        return
    url = request.getfixturevalue("postgres_url" if request.param == "postgres" else "mariadb_url")
    srv = Server(kind=request.param, url=_with_marker(url))
    yield srv
    # The database the URL names is never written: the marker is all it holds.
    assert srv.tables() == {"qualgate_marker"}


def check(
    root: Path, srv: Server | None = None, *args: str, env: dict[str, str] | None = None
) -> Run:
    argv = ["migration-check", str(root), *args]
    env = dict(env or {})
    if srv is not None and srv.url is not None:
        # Through the environment, so the URL is not echoed in `reproduce`.
        env["QUALGATE_MIGRATION_CHECK_DATABASE_URL"] = srv.url
    run = run_qualgate(*argv, env=env)
    assert run.verdict is not None, run.stdout + run.stderr
    if srv is not None and srv.url is not None:
        shown = run.verdict["metrics"].get("database")
        if shown:
            name = make_url(shown).database
            assert name and name.startswith("qualgate_")
            assert not srv.database_exists(name), f"scratch database {name} was left behind"
    return run


def statuses(run: Run) -> dict[str, str]:
    assert run.verdict is not None
    return {c["name"]: c["status"] for c in run.verdict["checks"]}


def finding(run: Run, rule: str) -> dict[str, Any]:
    found = [f for f in run.findings if f["rule"] == rule]
    assert found, run.findings
    return found[0]


# ---------------------------------------------------------------------------
# On all three backends


def test_good_chain_passes_every_step(tmp_path: Path, server: Server) -> None:
    run = check(make_project(tmp_path, good_chain()), server)
    assert run.code == 0, run.verdict
    assert statuses(run) == {
        "revision graph": "pass",
        "operation lint": "pass",
        "upgrade base -> head": "pass",
        "model drift": "pass",
        "downgrade head -> base": "pass",
        "up/down consistency": "pass",
    }
    assert run.findings == []


def test_failing_upgrade_names_revision_and_line(tmp_path: Path, server: Server) -> None:
    revs = good_chain()
    revs[f"{V}/0003_bad.py"] = revision(
        "0003", "0002", "op.execute('INSERT INTO no_such_table VALUES (1)')", "pass"
    )
    run = check(make_project(tmp_path, revs), server, "--disable", "empty-downgrade")
    assert run.code == 1
    bad = finding(run, "upgrade-failed")
    assert (bad["path"], bad["line"]) == (f"{V}/0003_bad.py", 12)
    assert "upgrade of revision 0003 failed" in bad["message"]
    assert "no_such_table" in bad["message"]
    assert statuses(run)["model drift"] == "skipped"


def test_env_py_building_its_own_url_still_hits_the_scratch(tmp_path: Path, server: Server) -> None:
    # POSTGRES_* point at the marker database: a naive run would migrate it.
    env: dict[str, str] = {}
    if server.url is not None:
        url = make_url(server.url)
        env = {
            "POSTGRES_SERVER": url.host or "",
            "POSTGRES_PORT": str(url.port or ""),
            "POSTGRES_USER": url.username or "",
            "POSTGRES_DB": url.database or "",
        }
    run = check(make_project(tmp_path, good_chain(), env=ENV_SETTINGS), server, env=env)
    assert run.code == 0, run.verdict
    assert statuses(run)["upgrade base -> head"] == "pass"
    assert run.verdict is not None
    (asked,) = run.verdict["metrics"]["env_py_urls"]
    assert asked.startswith("postgresql+psycopg://")  # what env.py built, redirected


# ---------------------------------------------------------------------------
# SQLite only (the behaviour does not depend on the server)


def test_model_drift_lists_each_difference(tmp_path: Path) -> None:
    models = MODELS_WITH_NICK + (
        "    age = sa.Column(sa.Integer(), nullable=True)\n\n\n"
        "class Tag(Base):\n"
        '    __tablename__ = "tags"\n'
        "    id = sa.Column(sa.Integer(), primary_key=True)\n"
    )
    run = check(make_project(tmp_path, good_chain(), models=models))
    assert run.code == 1
    drift = sorted(f["message"] for f in run.findings if f["rule"] == "model-drift")
    assert len(drift) == 2
    assert drift[0].startswith("column users.age is in the models but no migration adds it")
    assert drift[1].startswith("table tags is in the models but no migration creates it")
    assert statuses(run)["model drift"] == "fail"
    assert statuses(run)["downgrade head -> base"] == "pass"


def test_no_target_metadata_skips_drift_with_reason(tmp_path: Path) -> None:
    run = check(make_project(tmp_path, good_chain(), models=None))
    assert run.code == 0
    assert run.verdict is not None
    drift = next(c for c in run.verdict["checks"] if c["name"] == "model drift")
    assert drift["status"] == "skipped"
    assert "no target_metadata" in drift["summary"]


def test_downgrade_that_does_not_undo(tmp_path: Path) -> None:
    revs = good_chain()
    revs[f"{V}/0001_users.py"] = revision("0001", None, CREATE_USERS, 'op.execute("SELECT 1")')
    run = check(make_project(tmp_path, revs))
    assert run.code == 1
    (left,) = [f for f in run.findings if f["rule"] == "downgrade-incomplete"]
    assert left["message"] == (
        "the downgrade of 0001 does not undo its upgrade: table users is left over"
    )
    assert (left["path"], left["line"]) == (f"{V}/0001_users.py", 19)
    assert run.verdict is not None
    notes = {n["revision"]: n for n in run.verdict["metrics"]["rollback"]}
    assert notes["0001"]["undoes"] == "unknown"  # statically: raw SQL in the downgrade
    assert notes["0001"]["undoes_on_database"] is False
    assert notes["0002"]["undoes_on_database"] is True
    assert statuses(run)["up/down consistency"] == "fail"
    again = finding(run, "up-down-mismatch")
    assert again["path"] == f"{V}/0001_users.py"
    assert "table users already exists" in again["message"]


def test_failing_downgrade_names_revision(tmp_path: Path) -> None:
    revs = good_chain()
    revs[f"{V}/0002_nick.py"] = revision(
        "0002",
        "0001",
        'op.create_table("extra", sa.Column("id", sa.Integer(), primary_key=True))',
        'op.drop_table("not_there")',
    )
    run = check(make_project(tmp_path, revs, models=MODELS_USERS))
    assert run.code == 1
    bad = finding(run, "downgrade-failed")
    assert (bad["path"], bad["line"]) == (f"{V}/0002_nick.py", 16)
    assert statuses(run)["up/down consistency"] == "skipped"


def test_raw_driver_connection_is_refused_before_migrating(tmp_path: Path) -> None:
    run = check(make_project(tmp_path, good_chain(), env=ENV_RAW))
    assert run.code == 2
    assert run.verdict is not None
    assert run.verdict["summary"].startswith("refusing to run migrations")
    assert "connection qualgate did not create" in run.verdict["summary"]
    assert statuses(run)["upgrade base -> head"] == "error"
    # sqlite3.connect created the file, but no migration ran in it.
    engine = create_engine(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()


def test_broken_env_py_is_an_error(tmp_path: Path) -> None:
    run = check(make_project(tmp_path, good_chain(), env="import no_such_module\n"))
    assert run.code == 2
    assert run.verdict is not None
    assert "env.py could not run" in run.verdict["summary"]
    assert "No module named 'no_such_module'" in run.verdict["summary"]


def test_broken_graph_skips_the_database(tmp_path: Path) -> None:
    revs = {**good_chain(), f"{V}/0003_other.py": revision("0003", "0001")}
    run = check(make_project(tmp_path, revs))
    assert run.code == 1
    assert statuses(run)["upgrade base -> head"] == "skipped"


def test_baseline_sql_and_stamp(tmp_path: Path) -> None:
    revs = {
        f"{V}/0001_legacy.py": revision("0001", None, "pass", "pass"),
        f"{V}/0002_nick.py": revision(
            "0002",
            "0001",
            'op.add_column("users", sa.Column("nick", sa.String(50), nullable=True))',
            'op.drop_column("users", "nick")',
        ),
    }
    sql = "-- made before Alembic\nCREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n"
    sql += "  email VARCHAR(200) NOT NULL\n);\n"
    root = make_project(tmp_path, revs, models=None, extra={"schema.sql": sql})
    run = check(root, None, "--disable", "empty-downgrade")
    assert run.code == 1  # without the baseline, 0002 finds no users table
    assert finding(run, "upgrade-failed")["path"] == f"{V}/0002_nick.py"
    run = check(root, None, "--baseline", "schema.sql", "--disable", "empty-downgrade")
    assert run.code == 0, run.findings
    run = check(root, None, "--baseline", "0001", "--disable", "empty-downgrade")
    assert run.code == 1  # stamping alone does not make the users table
    run = check(root, None, "--baseline", "nope")
    assert run.code == 2


def test_url_env_and_named_section(tmp_path: Path) -> None:
    env_py = (
        "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine\n"
        "engine = create_engine(os.environ['APP_DB'])\n"
        "with engine.connect() as connection:\n"
        "    context.configure(connection=connection)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    )
    ini = "[primary]\nscript_location = %(here)s/migrations\n"
    root = make_project(tmp_path, good_chain(), env=env_py, extra={"alembic.ini": ini})
    run = check(root, None, "--name", "primary", "--url-env", "APP_DB")
    assert run.code == 0, run.verdict
    assert statuses(run)["model drift"] == "skipped"


# ---------------------------------------------------------------------------
# PostgreSQL: secrets, timeouts, bad servers


@pytest.mark.postgres
def test_password_never_shown(tmp_path: Path, postgres_admin_url: str) -> None:
    url = make_url(postgres_admin_url).set(password="s3cr3t-pw").render_as_string(False)
    revs = good_chain()
    revs[f"{V}/0003_bad.py"] = revision("0003", "0002", "op.execute('SELECT nope')", "pass")
    run = check(make_project(tmp_path, revs), Server(kind="postgres", url=url))
    assert run.code == 1
    assert "s3cr3t-pw" not in run.stdout
    assert "***" in run.verdict["metrics"]["database"]  # type: ignore[index]
    bad_host = make_url(url).set(host="127.0.0.1", port=1).render_as_string(False)
    run = run_qualgate(
        "migration-check",
        str(tmp_path),
        env={"QUALGATE_MIGRATION_CHECK_DATABASE_URL": bad_host},
    )
    assert run.code == 2
    assert "s3cr3t-pw" not in run.stdout
    assert "cannot create a scratch database" in run.verdict["summary"]  # type: ignore[index]


@pytest.mark.slow
@pytest.mark.postgres
def test_timeout_still_drops_the_scratch(tmp_path: Path, postgres_admin_url: str) -> None:
    revs = good_chain()
    revs[f"{V}/0003_slow.py"] = revision(
        "0003", "0002", "import time\ntime.sleep(60)", 'op.drop_table("users")'
    )
    root = make_project(tmp_path, revs)
    srv = Server(kind="postgres", url=postgres_admin_url)
    run = check(root, srv, "--timeout", "4")  # check() proves the scratch is gone
    assert run.code == 2
    assert run.verdict is not None
    assert "did not finish within the time limit" in run.verdict["summary"]
    assert run.verdict["metrics"]["database"].startswith("postgresql://postgres@")


def _scratch_databases(srv: Server) -> set[str]:
    engine = create_engine(srv.url or "", poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'qualgate_%'"))
        names = {r[0] for r in rows}
    engine.dispose()
    return names


def test_unsupported_database_url(tmp_path: Path) -> None:
    make_project(tmp_path, good_chain())
    run = check(tmp_path, None, "--database-url", "oracle://u@h/x")
    assert run.code == 2
    assert "unsupported database 'oracle'" in run.verdict["summary"]  # type: ignore[index]


# ---------------------------------------------------------------------------
# The API the seed gate uses


@pytest.mark.postgres
def test_upgrade_to_head_api(tmp_path: Path, postgres_url: str) -> None:
    from qualgate.errors import GateError
    from qualgate.gates.migration_check.api import has_alembic, upgrade_to_head

    root = make_project(tmp_path, good_chain(), env=ENV_SETTINGS)
    assert has_alembic(root)
    assert not has_alembic(root, "missing.ini")
    with pytest.raises(GateError, match=r"alembic.ini has no \[seed\] section"):
        upgrade_to_head(root, postgres_url, python=sys.executable, timeout=60, name="seed")
    upgrade_to_head(root, postgres_url, python=sys.executable, timeout=60)
    assert Server(kind="postgres", url=postgres_url).tables() == {"users", "alembic_version"}
    (root / V / "0003_bad.py").write_text(
        revision("0003", "0002", "op.execute('SELECT nope')", "pass"), "utf-8"
    )
    with pytest.raises(GateError, match="migration 0003 failed to upgrade"):
        upgrade_to_head(root, postgres_url, python=sys.executable, timeout=60)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_still_drops_the_scratch(
    tmp_path: Path, postgres_admin_url: str, signum: signal.Signals
) -> None:

    revs = good_chain()
    revs[f"{V}/0003_slow.py"] = revision(
        "0003", "0002", "import time\ntime.sleep(60)", 'op.drop_table("users")'
    )
    root = make_project(tmp_path, revs)
    srv = Server(kind="postgres", url=postgres_admin_url)
    before = _scratch_databases(srv)
    qualgate = Path(sys.executable).with_name("qualgate")
    proc = subprocess.Popen(
        [str(qualgate), "migration-check", str(root), "--format", "json"],
        env={**os.environ, "QUALGATE_MIGRATION_CHECK_DATABASE_URL": postgres_admin_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (_scratch_databases(srv) - before) and time.monotonic() < deadline:
            time.sleep(0.2)
        appeared = _scratch_databases(srv) - before
        assert appeared, "the scratch database never appeared"
        time.sleep(1.5)  # let the worker reach the slow revision
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # The run pipeline: Ctrl-C exits 130, SIGTERM (a cancelled CI job) 143, verdict written.
    assert proc.returncode == (130 if signum == signal.SIGINT else 143)
    assert '"status": "error"' in out
    # Tests running in parallel may have made scratch databases in the same window:
    # theirs go away on their own, ours must already be gone.
    deadline = time.monotonic() + 20
    while appeared & _scratch_databases(srv) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not appeared & _scratch_databases(srv)


@pytest.mark.postgres
def test_missing_driver_falls_back_to_the_scratch_driver(tmp_path: Path, postgres_url: str) -> None:
    # env.py asks for pygresql, which this interpreter lacks: one it has is used.
    env_py = ENV_SETTINGS.replace("postgresql+psycopg://", "postgresql+pygresql://")
    srv = Server(kind="postgres", url=_with_marker(postgres_url))
    run = check(make_project(tmp_path, good_chain(), env=env_py), srv)
    assert run.code == 0, run.verdict
    assert srv.tables() == {"qualgate_marker"}


def test_interpreter_without_alembic_is_an_error(tmp_path: Path) -> None:
    bare = Path("/usr/bin/python3")
    if not bare.exists():
        pytest.skip("no system python3 without alembic")
    run = check(make_project(tmp_path, good_chain()), None, "--python", str(bare))
    assert run.code == 2
    assert run.verdict is not None
    assert "No module named" in run.verdict["summary"]
    assert f"install alembic and SQLAlchemy in {bare}" in run.verdict["next_steps"][0]


def test_sqlite_database_url_is_never_written(tmp_path: Path) -> None:
    root = make_project(tmp_path, good_chain())
    mine = tmp_path / "mine.db"
    run = check(root, None, "--database-url", f"sqlite:///{mine}")
    assert run.code == 0, run.verdict
    assert run.verdict is not None
    assert run.verdict["summary"] == "no findings; database steps on sqlite: 4 pass"
    assert not mine.exists()


def test_downgrade_hidden_by_an_older_one_is_still_caught(tmp_path: Path) -> None:
    # 0002's downgrade forgets its column; 0001 then drops the whole table, so the chain
    # ends clean. A rollback of 0002 alone would not: the per-revision round trip says so.
    revs = good_chain()
    revs[f"{V}/0002_nick.py"] = revision(
        "0002",
        "0001",
        'op.add_column("users", sa.Column("nick", sa.String(50), nullable=True))',
        'op.execute("SELECT 1")',
    )
    run = check(make_project(tmp_path, revs))
    assert run.code == 1
    (left,) = [f for f in run.findings if f["rule"] == "downgrade-incomplete"]
    assert left["message"] == (
        "the downgrade of 0002 does not undo its upgrade: column users.nick is left over"
    )
    assert left["path"] == f"{V}/0002_nick.py"
    assert statuses(run)["up/down consistency"] == "pass"


def test_pyproject_tool_alembic_without_ini(tmp_path: Path) -> None:
    from qualgate.gates.migration_check.api import has_alembic

    pyproject = '[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
    root = make_project(tmp_path, good_chain(), extra={"pyproject.toml": pyproject})
    (root / "alembic.ini").unlink()
    assert has_alembic(root)
    run = check(root)
    assert run.code == 0, run.verdict
    assert statuses(run)["downgrade head -> base"] == "pass"
    assert run.verdict is not None
    assert run.verdict["metrics"]["revisions"] == 2


def test_forgotten_index_found_by_the_round_trip(tmp_path: Path) -> None:
    revs = good_chain()
    revs[f"{V}/0003_index.py"] = revision(
        "0003", "0002", 'op.create_index("ix_users_email", "users", ["email"])', "pass"
    )
    models = MODELS_WITH_NICK.replace(
        "email = sa.Column(sa.String(200), nullable=False)",
        "email = sa.Column(sa.String(200), nullable=False, index=True)",
    )
    run = check(make_project(tmp_path, revs, models=models))
    assert run.code == 1
    (left,) = [f for f in run.findings if f["rule"] == "downgrade-incomplete"]
    assert left["message"] == (
        "the downgrade of 0003 does not undo its upgrade: "
        "indexes of users differ: left over ix_users_email(email)"
    )
    assert run.verdict is not None
    assert run.verdict["metrics"]["roundtrip"]["0002"] == []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"worker.py" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_worker_stops_when_qualgate_is_killed(tmp_path: Path) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc")
    revs = good_chain()
    revs[f"{V}/0003_slow.py"] = revision("0003", "0002", "import time\ntime.sleep(60)", "pass")
    root = make_project(tmp_path, revs)
    qualgate = Path(sys.executable).with_name("qualgate")
    proc = subprocess.Popen(
        [str(qualgate), "migration-check", str(root), "--format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        workers: list[int] = []
        while not workers and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert workers, "the worker never started"
        proc.kill()  # SIGKILL: no cleanup in qualgate itself
        proc.wait()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{workers[0]}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        # Gone, or a zombie nobody reaps yet: either way no longer migrating.
        status = Path(f"/proc/{workers[0]}/status")
        assert not status.exists() or "zombie" in status.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
