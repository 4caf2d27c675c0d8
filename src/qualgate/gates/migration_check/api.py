"""Running the migration worker from qualgate, and the API other gates call.

The seed gate builds its schema with these: `project_engine` tells which database engine
the project targets, `scratch_database` gives a throwaway database of that engine (an
embedded SQLite file, or a throwaway server), and `upgrade_to_head` runs the project's
``env.py`` (in the project's interpreter) against a database the caller owns, with every
engine forced onto that URL. `own_driver` is the driver qualgate's process connects with.
`scratch_inputs` is the result-cache key of a run on a throwaway database, for both gates.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualgate import process, pyenv
from qualgate.errors import GateError, ToolTimeout
from qualgate.gates.migration_check import engine, project
from qualgate.gates.migration_check.drivers import own_driver
from qualgate.gates.migration_check.project import find_ini, has_alembic
from qualgate.gates.migration_check.scratch import Scratch, Where, scratch_database
from qualgate.redact import mask, url_secrets

if TYPE_CHECKING:
    from qualgate.cache.inputs import Inputs
    from qualgate.context import GateContext

__all__ = [
    "DOC_FILES",
    "Scratch",
    "Where",
    "WorkerResult",
    "has_alembic",
    "own_driver",
    "project_engine",
    "run_worker",
    "scratch_database",
    "scratch_inputs",
    "upgrade_to_head",
    "worker_problem",
]

# Runs in the project's interpreter (see inproject/__init__.py).
WORKER = Path(__file__).with_name("inproject") / "worker.py"
# The worker file is run by path, under a module name inside our package: the project's
# interpreter need not have qualgate, and coverage (measuring by package) still sees it.
# `-c` put the working directory first on sys.path; Alembic's own CLI does not.
_BOOT = (
    "import runpy, sys; del sys.path[0]; "
    "ns = runpy.run_path(sys.argv[1], "
    "run_name='qualgate.gates.migration_check.inproject.worker'); "
    "sys.exit(ns['main'](sys.argv[1:]))"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkerResult:
    """What the worker reported, event by event, plus its command line and stderr tail."""

    argv: tuple[str, ...]
    events: tuple[dict[str, Any], ...]
    stderr: str
    duration_ms: int
    timed_out: bool = False
    returncode: int = 0
    secrets: tuple[str, ...] = field(default_factory=tuple)

    def first(self, kind: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("event") == kind), None)

    def steps(self) -> dict[str, dict[str, Any]]:
        return {e["step"]: e for e in self.events if e.get("event") == "step"}

    @property
    def outcome(self) -> dict[str, Any] | None:
        """The final event: done, failed, refused or crashed (None when it never reported)."""
        for event in reversed(self.events):
            if event.get("event") in ("done", "failed", "refused", "crashed"):
                return dict(event)
        return None

    @property
    def started(self) -> dict[str, Any] | None:
        return self.first("start")


def run_worker(
    root: Path,
    *,
    python: str,
    url: str,
    steps: Sequence[str],
    timeout: float,
    ini: str | Path = "alembic.ini",
    name: str | None = None,
    url_env: Sequence[str] = (),
    baseline_sql: Path | None = None,
    baseline_stamp: str | None = None,
    snapshots: bool = False,
    secrets: Sequence[str] = (),
    scratch: bool = False,
    roundtrip: Sequence[str] = (),
    roundtrip_tables: Mapping[str, Sequence[str] | None] | None = None,
    toml: Path | None = None,
    drivers: Sequence[str] = (),
    irreversible: Sequence[str] = (),
    cwd: Path | None = None,
) -> WorkerResult:
    """Run the worker once for ``steps`` against ``url``; never raises for a step failure.

    ``url`` names no driver (or one the worker may replace): the worker picks one the
    project's interpreter has, ``drivers`` (those the project's files name) first.
    """
    root = root.resolve()
    ini_path = Path(ini) if Path(ini).is_absolute() else root / ini
    if toml is None and project.toml_settings(root) is not None:
        toml = root / "pyproject.toml"
    if "/" in python or os.sep in python:
        # The worker runs in the project root: a relative interpreter path must not move.
        python = str(Path(python).absolute())
    request = {
        "root": str(root),
        # Where env.py runs (alembic's working directory): the root, or the ini's folder.
        "cwd": str(cwd or root),
        "ini": str(ini_path) if ini_path.is_file() else None,
        "toml": str(toml) if toml else None,
        "name": name,
        "url": url,
        "url_env": list(url_env),
        "drivers": list(drivers),
        # Revisions whose downgrade is not run (the round trip stops there).
        "irreversible": list(irreversible),
        "steps": list(steps),
        "baseline_sql": str(baseline_sql) if baseline_sql else None,
        "baseline_stamp": baseline_stamp,
        "snapshots": snapshots,
        "secrets": list(secrets),
        # A scratch database is thrown away: the worker may trade durability for speed.
        "scratch": scratch,
        # The worker exits when this process dies, even by SIGKILL.
        "parent": os.getpid(),
        # Revisions whose own downgrade is checked, one by one, against the schema before
        # their upgrade (two schema snapshots each).
        "roundtrip": list(roundtrip),
        # ... reflecting only the tables each one names (None: all tables).
        "roundtrip_tables": {
            rev: None if tables is None else list(tables)
            for rev, tables in (roundtrip_tables or {}).items()
        },
    }
    # The worker sets these (and POSTGRES_* parts) again with the driver it picks; set
    # here too, so nothing the interpreter starts with sees the user's own database.
    env = {"DATABASE_URL": url, **{n: url for n in url_env}}
    secrets = (*secrets, *environment_secrets(url_env))
    with tempfile.TemporaryDirectory(prefix="qualgate-worker-") as tmp:
        request_path = Path(tmp) / "request.json"
        result_path = Path(tmp) / "result.jsonl"
        request_path.write_text(json.dumps(request), encoding="utf-8")
        result_path.touch()
        argv = (python, "-c", _BOOT, str(WORKER), str(request_path), str(result_path))
        # What checks show: the interpreter, the worker file and the steps it ran (the
        # request and result files are temporary).
        shown_argv = (python, str(WORKER), *steps)
        timed_out, stderr, returncode, duration = False, "", 0, 0
        try:
            done = process.run(
                argv,
                cwd=cwd or root,
                timeout=timeout,
                env=env,
                install_hint="pass --python with the project's interpreter",
            )
            stderr, returncode, duration = done.stderr, done.returncode, done.duration_ms
        except ToolTimeout as exc:
            timed_out, stderr = True, exc.stderr
        events = []
        for line in result_path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:  # pragma: no cover - a line cut by a kill
                continue
            # Masked once parsed: masking the JSON text could cut a string at an escape.
            if isinstance(event, dict):
                events.append(_masked(event, secrets))
    return WorkerResult(
        argv=shown_argv,
        events=tuple(events),
        stderr=mask(stderr, secrets)[-4000:],
        duration_ms=duration,
        timed_out=timed_out,
        returncode=returncode,
        secrets=tuple(secrets),
    )


def environment_secrets(url_env: Sequence[str]) -> tuple[str, ...]:
    """Passwords in the user's own values of DATABASE_URL and the --url-env variables.

    The worker replaces those variables; their original values (a CI secret) must still
    never be quoted back, should the project's code read them from elsewhere.
    """
    found: list[str] = []
    for name in ("DATABASE_URL", *url_env):
        value = os.environ.get(name)
        if value and "://" in value:
            found += url_secrets(value)
    return tuple(found)


def _masked(value: Any, secrets: Sequence[str]) -> Any:
    """``value`` (decoded JSON) with every password in its strings masked."""
    if isinstance(value, str):
        return mask(value, secrets)
    if isinstance(value, list):
        return [_masked(v, secrets) for v in value]
    if isinstance(value, dict):
        return {mask(str(k), secrets): _masked(v, secrets) for k, v in value.items()}
    return value


def worker_problem(result: WorkerResult, python: str, root: Path) -> GateError | None:
    """A GateError when the worker could not do its job (as opposed to a migration failing)."""
    outcome = result.outcome
    if result.timed_out:
        step = _last_step(result)
        return GateError(
            f"the migrations did not finish within the time limit ({step})",
            "raise --timeout, or look for a migration that waits on a lock",
        )
    if outcome is None:
        tail = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.returncode}"]
        return GateError(
            f"the migration worker stopped without reporting: {tail[0]}",
            f"check that {python} runs and can import alembic and sqlalchemy",
        )
    if outcome["event"] == "refused":
        return GateError(
            f"refusing to run migrations: {outcome['message']}",
            "let env.py build its engine with sqlalchemy (engine_from_config or create_engine) "
            "and pass context.configure(connection=...)",
        )
    if outcome["event"] == "crashed" and outcome.get("missing_driver"):
        from qualgate.gates.migration_check.drivers import install_hint

        info = outcome["missing_driver"]
        backend = str(info.get("backend") or "postgresql")
        wanted = info.get("wanted")
        if info.get("async"):
            choice = {"postgresql": "asyncpg", "mysql": "aiomysql", "sqlite": "aiosqlite"}
            wanted = wanted or choice.get(backend)
        return GateError(
            f"env.py could not run: {outcome.get('message')}",
            f"install it: {install_hint(python, backend, (str(wanted),) if wanted else ())}",
        )
    if outcome["event"] == "crashed":
        message = str(outcome.get("message", ""))
        hint = (
            "fix the error in env.py or alembic.ini; if the app's settings need environment "
            "variables, set them (any database URL they build is redirected to the scratch one)"
        )
        if "No module named" in message and outcome.get("step") == "setup":
            hint = f"install alembic and SQLAlchemy in {python}, or pass --python"
        elif "greenlet" in message:
            hint = f"env.py runs async engines: {python} -m pip install 'sqlalchemy[asyncio]'"
        if why := pyenv.unsupported(root, python):
            message, hint = f"{message}; {why}", "point --python at a Python the project supports"
        return GateError(f"env.py could not run ({outcome.get('step')}): {message}", hint)
    return None


def _last_step(result: WorkerResult) -> str:
    order = next((e for e in result.events if e.get("event") == "order"), None)
    finished = [e["step"] for e in result.events if e.get("event") == "step"]
    if order is None:
        return "while starting env.py"
    return f"after {', '.join(finished)}" if finished else "during the first upgrade"


# Files that change nothing env.py, the migrations or the seeds do: left out of the
# result-cache key of both gates.
DOC_FILES = ("**/*.md", "**/*.rst", "**/*.png", "**/*.jpg", "**/*.jpeg", "**/*.gif", "**/*.svg")


def scratch_inputs(ctx: GateContext, *, name: str | None = None) -> Inputs:
    """The result-cache inputs of a run on a throwaway database: every file but the docs
    and every variable (env.py may read any), and the server the run would start (its
    binaries and version) for the project's engine.

    Reads the options migration-check and seed share: ``alembic-ini``, ``dialect``,
    ``server`` and ``server-path``; ``name`` is the alembic.ini section, when the gate has one.
    """
    from qualgate.cache.inputs import Inputs
    from qualgate.gates.migration_check import servers

    backend = project_engine(
        ctx.root, ini=str(ctx.option("alembic-ini")), name=name, dialect=str(ctx.option("dialect"))
    ).backend
    search = ctx.option("server-path")
    paths = [Path(p) for p in search] if search is not None else None
    server = servers.identity(backend, str(ctx.option("server")), paths, ctx.root)
    return Inputs(exclude=DOC_FILES, extra=(f"scratch={server}",), database=True)


def project_engine(
    root: Path,
    *,
    ini: str = "alembic.ini",
    name: str | None = None,
    dialect: str | None = None,
    database_url: str | None = None,
) -> engine.Engine:
    """The database engine the project's migrations and models are written for."""
    ini_url: str | None = None
    env_py: Path | None = None
    revisions: list[tuple[str, str]] = []
    if has_alembic(root, ini):
        try:
            proj = project.load(root, find_ini(root, ini), name)
        except GateError:
            proj = None
        if proj is not None:
            ini_url, env_py = proj.url, proj.script_location / "env.py"
            for path in proj.revision_files():
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                revisions.append((path.relative_to(root).as_posix(), text))
    return engine.detect(
        root,
        option=dialect,
        database_url=database_url,
        ini_url=ini_url,
        env_py=env_py,
        revisions=revisions,
    )


def upgrade_to_head(
    root: Path,
    url: str,
    *,
    python: str,
    timeout: float,
    ini: str = "alembic.ini",
    name: str | None = None,
    drivers: Sequence[str] = (),
) -> None:
    """Upgrade the database at ``url`` to head by running the project's env.py.

    ``name`` is the alembic.ini section to use (like ``alembic --name``; None: ``[alembic]``).
    Every engine env.py creates is forced onto ``url``. Raises `GateError` naming the
    failing revision and the database's error when a migration fails, and when env.py
    cannot be proven to migrate ``url``.
    """
    from sqlalchemy.engine import make_url

    ini_path = find_ini(root, ini)
    section = name or "alembic"
    if ini_path.is_file() and not project.has_section(ini_path, section):
        # `name` is the alembic.ini section (like `alembic --name`), not a label.
        raise GateError(
            f"{ini_path.name} has no [{section}] section",
            "pass name=None for [alembic], or the alembic.ini section of this database",
        )
    password = make_url(url).password
    secret_values = (*url_secrets(url), *((str(password),) if password else ()))
    result = run_worker(
        root,
        python=python,
        url=url,
        steps=("upgrade",),
        timeout=timeout,
        ini=ini_path,
        name=name,
        secrets=secret_values,
        drivers=drivers,
        cwd=project.workdir_of(root, ini_path, name),
    )
    problem = worker_problem(result, python, root)
    if problem is not None:
        raise problem
    outcome = result.outcome
    if outcome is not None and outcome["event"] == "failed":
        revision = outcome.get("revision") or "?"
        raise GateError(
            f"migration {revision} failed to upgrade: {outcome['message']}",
            "fix that revision, then run `qualgate migration-check`",
        )
