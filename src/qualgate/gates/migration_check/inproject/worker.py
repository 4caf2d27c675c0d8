"""The migration worker: runs a project's Alembic ``env.py`` in the project's own interpreter.

This file is run by path (``python worker.py REQUEST RESULT``) with the project's Python,
which may not have qualgate installed: it imports nothing from qualgate. It reads a JSON
request, writes one JSON event per line to RESULT (flushed as it goes, so the parent knows
how far a killed worker got), and exits 0 whenever it could report.

Safety: before ``env.py`` runs, every way SQLAlchemy makes an engine (``create_engine``,
``engine_from_config``, ``create_async_engine``, ``async_engine_from_config``) is patched to
point at the target database, whatever URL ``env.py`` computed, through a driver the
project has. When ``env.py`` hands Alembic a connection, the worker checks that it came
from one of those engines and that the server says it is connected to the target
database; otherwise it refuses before any migration runs. Afterwards it checks that the
version table (wherever env.py keeps it) exists in the target.

Each revision's ``upgrade``/``downgrade`` is wrapped: the worker knows exactly which one
runs (a failure names it, branches or not), snapshots the tables a round-trip revision
touches right around its own functions (so a parallel branch never counts as its residue),
and stops the downgrade at a revision that declares itself irreversible.

Run by path in another interpreter, it cannot import qualgate: its helpers,
``worker_guard.py`` (the engine forcing and connection checks), ``worker_schema.py``
(schema snapshots and differences) and ``worker_models.py`` (the all-models-imported
check), are loaded the same way, by path.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

WORKER_PROTOCOL = 1

# Run by path, Python put this file's folder first on sys.path: its siblings
# (worker_guard.py, worker_schema.py) would shadow project modules of the same name.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]


# The module names the helpers run under: inside qualgate's package, so coverage (measuring
# by package) sees them, without importing qualgate.
_PACKAGE = "qualgate.gates.migration_check.inproject"


def _sibling(name: str) -> dict[str, Any]:
    """A helper file next to this one, run by path (the worker cannot import qualgate)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    return runpy.run_path(path, run_name=f"{_PACKAGE}.{name[:-3]}")


_SCHEMA = _sibling("worker_schema.py")
snapshot_of: Callable[..., dict[str, Any]] = _SCHEMA["snapshot_of"]
_split_sql: Callable[[str], list[str]] = _SCHEMA["split_sql"]
_describe_diff: Callable[[Any], dict[str, Any]] = _SCHEMA["describe_diff"]
_diff_snapshots: Callable[..., list[str]] = _SCHEMA["diff_snapshots"]
_residue: Callable[..., list[str]] = _SCHEMA["roundtrip_residue"]
_GUARD = _sibling("worker_guard.py")
Refused: type[Exception] = _GUARD["Refused"]
MissingDriver: Any = _GUARD["MissingDriver"]
Forcer: Any = _GUARD["Forcer"]
RawDB: Any = _GUARD["RawDB"]
Watch: Any = _GUARD["Watch"]
_driver_installed: Callable[[str], bool] = _GUARD["driver_installed"]
_MODELS = _sibling("worker_models.py")


class StepFailed(Exception):
    """A migration step failed; carries the revision (and line) it failed on."""

    def __init__(self, message: str, revision: str | None, line: int | None = None) -> None:
        super().__init__(message)
        self.revision = revision
        self.line = line


class EnvFailed(Exception):
    """env.py itself failed (import error, bad settings) before any migration ran."""


class Irreversible(Exception):
    """A revision's downgrade declares it cannot be undone: the downgrade stops there."""

    def __init__(self, revision: str, how: str) -> None:
        super().__init__(f"revision {revision} is irreversible ({how})")
        self.revision = revision
        self.how = how


class Emitter:
    """Writes one JSON event per line to the result file, flushed immediately."""

    def __init__(self, path: str, secrets: list[str]) -> None:
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in main
        self.secrets = [s for s in secrets if s]

    def mask(self, text: str) -> str:
        # Literal secrets only: this file cannot import qualgate.redact. The parent masks
        # every event again with it; this keeps the password out of the result file.
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def emit(self, **event: Any) -> None:
        line = self.mask(json.dumps(event, default=str))
        self.handle.write(line + "\n")
        self.handle.flush()


def _error_text(exc: BaseException) -> str:
    """The database's own message when there is one, else the exception's."""
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    if not text.strip():
        text = type(exc).__name__
    # Driver messages carry a trailing SQL echo and a background link: keep the reason.
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    short = "\n".join(lines[:6])
    return f"{type(orig).__name__ if orig is not None else type(exc).__name__}: {short}"


# ---------------------------------------------------------------------------
# The target's environment: what env.py and the app's settings read


def _url_parts(url: Any) -> dict[str, str]:
    """The scratch database's parts under the names settings classes read (POSTGRES_*...)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return {}
    parts = {
        "HOST": url.host or "",
        "PORT": str(url.port or ""),
        "USER": url.username or "",
        "PASSWORD": str(url.password or ""),
        "DB": url.database or "",
    }
    prefixes = ["DB", "DATABASE"]
    prefixes += ["POSTGRES", "PG"] if backend == "postgresql" else ["MYSQL", "MARIADB"]
    out: dict[str, str] = {}
    for prefix in prefixes:
        for key, value in parts.items():
            out[f"{prefix}_{key}"] = value
        out[f"{prefix}_NAME"] = parts["DB"]
        out[f"{prefix}_DATABASE"] = parts["DB"]
        out[f"{prefix}_SERVER"] = parts["HOST"]
    if backend == "postgresql":
        # libpq's own variables spell it without an underscore.
        for key, value in parts.items():
            out[f"PG{'DATABASE' if key == 'DB' else key}"] = value
    return {k: v for k, v in out.items() if v}


def _wraps_async_engine(script_dir: str) -> bool:
    try:
        with open(os.path.join(script_dir, "env.py"), encoding="utf-8", errors="replace") as f:
            return "AsyncEngine(" in f.read()
    except OSError:
        return False


# ---------------------------------------------------------------------------
# The steps


class Runner:
    def __init__(self, request: dict[str, Any], emitter: Emitter) -> None:
        self.request = request
        self.emitter = emitter
        self.forcer = Forcer(
            request["url"],
            preferred=request.get("drivers") or (),
            fast_commit=bool(request.get("scratch")),
        )
        self.watch = Watch(self.forcer)
        self.raw: Any = None
        self.published = ""
        self.driver = ""
        self.config: Any = None
        self.script: Any = None
        self.order: list[str] = []  # base -> head
        self.phase = ""
        self.current: str | None = None  # the revision whose function runs now
        self.stopped: Any = None  # the Irreversible that ended the last downgrade
        self.irreversible = set(request.get("irreversible") or ())
        # Round trip: revision -> tables to snapshot (None: all); and the four snapshots.
        self.roundtrip: dict[str, list[str] | None] = {}
        self.shots: dict[str, dict[str, Any]] = {}

    def setup(self) -> None:
        import sqlalchemy.engine.create as create_mod

        original_create = create_mod.create_engine
        try:
            import sqlalchemy.ext.asyncio.engine as async_mod

            original_async: Any = async_mod.create_async_engine
        except ImportError:  # pragma: no cover - no greenlet
            original_async = None
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        request = self.request
        ini = request["ini"]
        section = request.get("name") or "alembic"
        toml = request.get("toml")
        if toml:
            # Alembic 1.16+: source-code options in pyproject.toml [tool.alembic].
            self.config = Config(ini, ini_section=section, toml_file=toml)
        else:
            self.config = Config(ini, ini_section=section)
        self.script = ScriptDirectory.from_config(self.config)
        # `AsyncEngine(engine_from_config(...))` makes a sync engine of the URL it is given
        # and needs that URL to name an async driver: publish one when env.py does that.
        want_async = True if _wraps_async_engine(self.script.dir) else None
        try:
            published = self.forcer.url(want_async)
        except MissingDriver:
            published = self.forcer.url(None)
        self.driver = published.drivername
        self.published = published.render_as_string(hide_password=False)
        self.raw = RawDB(self.forcer, original_create, original_async)
        self.forcer.install()
        self.watch.install()
        url = self.published
        os.environ.update(_url_parts(published))
        for name in ["DATABASE_URL", *request.get("url_env", [])]:
            os.environ[name] = url
        # ConfigParser interpolation: a literal % must be doubled.
        self.config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        # Every alembic command builds a new ScriptDirectory and so re-imports every
        # revision file; on a long chain that is most of a step's time. Reuse ours.
        original_from_config = ScriptDirectory.from_config
        runner = self

        def from_config(cls: Any, config: Any) -> Any:
            if config is runner.config:
                return runner.script
            return original_from_config(config)

        ScriptDirectory.from_config = classmethod(from_config)  # type: ignore[method-assign,assignment]
        revisions = list(self.script.walk_revisions("base", "heads"))
        self.order = [s.revision for s in revisions][::-1]
        tables: dict[str, list[str] | None] = request.get("roundtrip_tables") or {}
        self.roundtrip = {
            rev: tables.get(rev) for rev in request.get("roundtrip") or () if rev in self.order
        }
        for script in revisions:
            self._wrap(script)

    # -- wrapping each revision's functions

    def _wrap(self, script: Any) -> None:
        module = script.module
        for kind in ("upgrade", "downgrade"):
            original = getattr(module, kind, None)
            if original is None or getattr(original, "_qualgate_wrapped", False):
                continue
            setattr(module, kind, self._wrapped(script.revision, kind, original))

    def _wrapped(self, revision: str, kind: str, original: Callable[..., Any]) -> Any:
        runner = self

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            runner.current = revision
            if kind == "downgrade" and revision in runner.irreversible:
                raise Irreversible(revision, "declared irreversible in the gate's config")
            shots = None
            if revision in runner.roundtrip and runner.phase == kind:
                shots = runner.shots.setdefault(revision, {})
                shots[f"{kind}_before"] = runner._shot(revision)
            try:
                result = original(*args, **kwargs)
            except NotImplementedError as exc:
                if kind == "downgrade":
                    raise Irreversible(
                        revision, "its downgrade raises NotImplementedError"
                    ) from exc
                raise
            if shots is not None:
                shots[f"{kind}_after"] = runner._shot(revision)
            return result

        wrapped._qualgate_wrapped = True  # type: ignore[attr-defined]
        wrapped.__wrapped__ = original  # type: ignore[attr-defined]
        return wrapped

    def _shot(self, revision: str) -> dict[str, Any]:
        # Inside the revision's transaction, on its own connection: its DDL is visible.
        from alembic import op

        return snapshot_of(op.get_bind(), self.roundtrip.get(revision), self._exclude())

    def _exclude(self) -> tuple[str, ...]:
        return ("alembic_version", self.watch.version_table)

    # -- the database as the worker itself sees it

    def snapshot(self) -> dict[str, Any]:
        exclude = self._exclude()
        return dict(self.raw.run(lambda conn: snapshot_of(conn, None, exclude)))

    def version_rows(self) -> list[str] | None:
        """The revisions in the target's version table (None when there is no table)."""
        table, schema = self.watch.version_table, self.watch.version_schema

        def read(conn: Any) -> list[str] | None:
            import sqlalchemy as sa

            if table not in sa.inspect(conn).get_table_names(schema=schema):
                return None
            version = sa.table(table, sa.column("version_num"), schema=schema)
            return [str(r[0]) for r in conn.execute(sa.select(version.c.version_num))]

        result: list[str] | None = self.raw.run(read)
        return result

    # -- running alembic commands

    def _ancestors(self, heads: list[str]) -> set[str]:
        """The revisions a database at ``heads`` has applied."""
        done: set[str] = set()
        try:
            for head in heads:
                done.update(r.revision for r in self.script.iterate_revisions(head, "base"))
        except Exception:  # noqa: BLE001 - an unknown version: blame by order alone
            return done
        return done

    def _failing(self, start: set[str], upgrading: bool) -> str | None:
        """The revision that was running: the one whose function ran last, else the first
        one the step had not finished."""
        if self.current is not None:
            return self.current
        applied = set(self.watch.applied)
        if upgrading:
            todo = [r for r in self.order if r not in start and r not in applied]
        else:
            todo = [r for r in self.order[::-1] if r in start and r not in applied]
        return todo[0] if todo else None

    def _run(self, what: str, fn: Callable[[], None], upgrading: bool = True) -> list[str]:
        self.watch.reset()
        self.current = None
        self.stopped = None
        start = self._ancestors(self.version_rows() or [])
        try:
            fn()
        except (Refused, MissingDriver):
            raise
        except Irreversible as exc:
            if upgrading:
                raise
            self.stopped = exc  # the round trip stops there; what came before stands
        except Exception as exc:
            if "requires an async driver" in str(exc):
                raise MissingDriver(self.forcer.backend, None, True) from exc
            if not self.watch.configured:
                # env.py failed before handing Alembic a connection: not a revision's fault.
                raise EnvFailed(_error_text(exc)) from exc
            # Every failure is reported with its revision and the line it came from.
            revision = self._failing(start, upgrading)
            raise StepFailed(_error_text(exc), revision, self._line_in(revision, exc)) from exc
        if not self.watch.configured:
            raise Refused(
                f"env.py never called context.configure() during {what}, so qualgate cannot "
                "tell which database it used"
            )
        return list(self.watch.applied)

    def _line_in(self, revision: str | None, exc: BaseException) -> int | None:
        """The line of the revision file the failure came from (deepest frame there)."""
        if revision is None:
            return None
        try:
            path = os.path.realpath(self.script.get_revision(revision).path)
        except Exception:  # noqa: BLE001 - no line is better than a crash here
            return None
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if os.path.realpath(frame.filename) == path:
                line = frame.lineno
        return line

    def baseline(self) -> None:
        request = self.request
        sql_file = request.get("baseline_sql")
        if sql_file:
            from sqlalchemy import text

            with open(sql_file, encoding="utf-8") as handle:
                script = handle.read()

            def run(conn: Any) -> None:
                for statement in _split_sql(script):
                    conn.execute(text(statement))

            try:
                self.raw.begin(run)
            except Exception as exc:
                raise StepFailed(f"baseline SQL {sql_file}: {_error_text(exc)}", None) from exc
        stamp = request.get("baseline_stamp")
        if stamp:
            from alembic import command

            self._run("stamp", lambda: command.stamp(self.config, stamp))

    def upgrade(self, target: str = "heads") -> list[str]:
        from alembic import command

        return self._run("upgrade", lambda: command.upgrade(self.config, target))

    def downgrade(self, target: str) -> list[str]:
        from alembic import command

        return self._run("downgrade", lambda: command.downgrade(self.config, target), False)

    def drift(self) -> dict[str, Any]:
        from alembic import autogenerate
        from alembic.runtime.environment import EnvironmentContext

        command_args = dict(
            message=None,
            autogenerate=True,
            sql=False,
            head="head",
            splice=False,
            branch_label=None,
            version_path=None,
            rev_id=None,
            depends_on=None,
        )
        opts_seen: dict[str, Any] = {}

        def retrieve(rev: Any, context: Any) -> list[Any]:
            opts_seen.update(context.opts)
            if context.opts.get("target_metadata") is None:
                return []
            revision_context.run_autogenerate(rev, context)
            return []

        revision_context = autogenerate.RevisionContext(self.config, self.script, command_args)
        self.watch.reset()
        with EnvironmentContext(
            self.config,
            self.script,
            fn=retrieve,
            as_sql=False,
            template_args=revision_context.template_args,
            revision_context=revision_context,
        ):
            self.script.run_env()
        if not self.watch.configured:
            raise Refused("env.py never called context.configure() during the drift check")
        if opts_seen.get("target_metadata") is None:
            return {"metadata": False, "diffs": []}
        diffs: list[Any] = []
        for script in revision_context.generated_revisions[-1:]:
            for ops in script.upgrade_ops_list:
                diffs.extend(ops.as_diffs())
        return {"metadata": True, "diffs": [_describe_diff(d) for d in diffs]}

    def models(self) -> dict[str, Any]:
        """The all-models-imported check, on the metadata env.py handed to Alembic."""
        if self.watch.target_metadata is None:
            self.watch.reset()
            from alembic.runtime.environment import EnvironmentContext

            with EnvironmentContext(self.config, self.script, fn=lambda rev, ctx: []):
                self.script.run_env()
        result: dict[str, Any] = _MODELS["check"](
            self.watch.target_metadata, self.request["root"], str(self.script.dir)
        )
        return result


class Steps:
    """The requested steps in order, with the schema snapshots they compare."""

    def __init__(self, runner: Runner, request: dict[str, Any]) -> None:
        self.runner = runner
        self.snapshots = bool(request.get("snapshots"))
        self.stamp = request.get("baseline_stamp")
        self.snaps: dict[str, Any] = {}

    def start(self) -> None:
        if self.snapshots:
            self.snaps["before"] = self.runner.snapshot()

    def run(self, step: str) -> dict[str, Any]:
        runner = self.runner
        if step == "drift":
            return runner.drift()
        if step == "models":
            return runner.models()
        runner.phase = "downgrade" if step == "downgrade" else "upgrade"
        if step == "reupgrade":
            runner.phase = "reupgrade"  # the round trip snapshots only the first upgrade
        try:
            if step == "downgrade":
                return self._downgrade()
            if step not in ("upgrade", "reupgrade"):
                raise ValueError(f"unknown step {step}")
            applied = runner.upgrade()
        finally:
            runner.phase = ""
        versions = runner.version_rows()
        if not versions and runner.order:
            where = runner.watch.version_table
            if runner.watch.version_schema:
                where = f"{runner.watch.version_schema}.{where}"
            raise Refused(
                f"after the upgrade the scratch database has no {where} rows: env.py "
                "migrated some other database"
            )
        extra: dict[str, Any] = {"applied": applied, "versions": versions}
        if self.snapshots:
            self.snaps[step] = runner.snapshot()
            if step == "reupgrade":
                extra["differences"] = _diff_snapshots(self.snaps["upgrade"], self.snaps[step])
        return extra

    def _downgrade(self) -> dict[str, Any]:
        runner = self.runner
        applied = runner.downgrade(self.stamp or "base")
        extra: dict[str, Any] = {"applied": applied, "versions": runner.version_rows()}
        stopped = runner.stopped
        if stopped is not None:
            extra["stopped_at"] = {"revision": stopped.revision, "how": stopped.how}
        elif self.snapshots:
            self.snaps["downgrade"] = runner.snapshot()
            extra["differences"] = _diff_snapshots(self.snaps["before"], self.snaps["downgrade"])
        extra["revisions"] = self._per_revision()
        return extra

    def _per_revision(self) -> dict[str, list[str]]:
        """For each round-trip revision that went up and down: what its downgrade left."""
        out: dict[str, list[str]] = {}
        for rev, shots in self.runner.shots.items():
            needed = ("upgrade_before", "upgrade_after", "downgrade_before", "downgrade_after")
            if all(k in shots for k in needed):
                out[rev] = _residue(*(shots[k] for k in needed))
        return out


def _exit_with_parent(parent: int | None) -> None:
    """Stop when qualgate dies without killing us (SIGKILL): no orphan keeps migrating."""
    import threading

    # The parent says who it is: it may already be gone by the time this line runs.
    parent = parent or os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(3)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True, name="qualgate-parent-watch").start()


def main(argv: list[str]) -> int:
    request_path, result_path = argv[1], argv[2]
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    _exit_with_parent(request.get("parent"))
    emitter = Emitter(result_path, request.get("secrets", []))
    # Anything env.py or the app prints must not reach the parent's protocol.
    sys.stdout = sys.stderr
    os.chdir(request.get("cwd") or request["root"])
    step = "setup"
    try:
        import alembic
        import sqlalchemy

        runner = Runner(request, emitter)
        emitter.emit(
            event="start",
            protocol=WORKER_PROTOCOL,
            alembic=alembic.__version__,
            sqlalchemy=sqlalchemy.__version__,
            python=sys.version.split()[0],
        )
        runner.setup()
        emitter.emit(event="order", revisions=runner.order)
        steps = Steps(runner, request)
        step = "baseline"
        runner.baseline()
        steps.start()
        for step in request["steps"]:
            t0 = time.monotonic()
            extra = steps.run(step)
            ms = int((time.monotonic() - t0) * 1000)
            emitter.emit(event="step", step=step, ok=True, ms=ms, **extra)
        emitter.emit(
            event="done",
            verified=runner.watch.verified,
            redirected=sorted(set(runner.forcer.requested)),
            driver=runner.watch.driver or runner.driver,
            version_table=runner.watch.version_table,
            version_schema=runner.watch.version_schema,
        )
    except Refused as exc:
        emitter.emit(event="refused", step=step, message=str(exc))
    except MissingDriver as exc:
        emitter.emit(
            event="crashed",
            step=step,
            message=str(exc),
            missing_driver={
                "backend": exc.backend,
                "wanted": exc.wanted,
                "async": exc.want_async,
            },
        )
    except EnvFailed as exc:
        emitter.emit(event="crashed", step=step, message=str(exc))
    except StepFailed as exc:
        emitter.emit(
            event="failed", step=step, revision=exc.revision, line=exc.line, message=str(exc)
        )
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a setup/step error
        emitter.emit(
            event="crashed",
            step=step,
            message=_error_text(exc),
            traceback=traceback.format_exc(limit=8),
        )
    finally:
        emitter.handle.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
