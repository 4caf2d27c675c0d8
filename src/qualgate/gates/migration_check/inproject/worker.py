"""The migration worker: runs a project's Alembic ``env.py`` in the project's own interpreter.

This file is run by path (``python worker.py REQUEST RESULT``) with the project's Python,
which may not have qualgate installed: it imports nothing from qualgate. It reads a JSON
request, writes one JSON event per line to RESULT (flushed as it goes, so the parent knows
how far a killed worker got), and exits 0 whenever it could report.

Safety: before ``env.py`` runs, every way SQLAlchemy makes an engine (``create_engine``,
``engine_from_config``, ``create_async_engine``, ``async_engine_from_config``) is patched to
point at the target database, whatever URL ``env.py`` computed. When ``env.py`` hands
Alembic a connection, the worker checks that it came from one of those engines and that the
server says it is connected to the target database; otherwise it refuses before any
migration runs. Afterwards it checks that ``alembic_version`` exists in the target.

Run by path in another interpreter, it cannot import qualgate: its two helpers,
``worker_guard.py`` (the engine forcing and connection checks) and ``worker_schema.py``
(schema snapshots and differences), are loaded the same way, by path.
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
_GUARD = _sibling("worker_guard.py")
Refused: type[Exception] = _GUARD["Refused"]
Forcer: Any = _GUARD["Forcer"]
Watch: Any = _GUARD["Watch"]
_driver_installed: Callable[[str], bool] = _GUARD["driver_installed"]


class StepFailed(Exception):
    """A migration step failed; carries the revision (and line) it failed on."""

    def __init__(self, message: str, revision: str | None, line: int | None = None) -> None:
        super().__init__(message)
        self.revision = revision
        self.line = line


class EnvFailed(Exception):
    """env.py itself failed (import error, bad settings) before any migration ran."""


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
# Schema snapshots (reflection), for downgrade and up/down consistency checks


def snapshot(url: Any) -> dict[str, Any]:
    """Tables, columns, keys and indexes of ``url``, as plain JSON-able data."""
    with _raw_engine(url).connect() as conn:
        return snapshot_of(conn)


_ORIGINAL_CREATE_ENGINE: Callable[..., Any] | None = None


def _raw_engine(url: Any) -> Any:
    """An engine of our own on ``url`` (not one of the forced ones env.py sees)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    key = str(url)
    if key not in _RAW_ENGINES:
        # One engine per URL: creating one costs a dialect setup (~0.1 s), and NullPool
        # keeps no connection open between uses.
        factory = _ORIGINAL_CREATE_ENGINE or create_engine
        _RAW_ENGINES[key] = factory(url, poolclass=NullPool)
    return _RAW_ENGINES[key]


_RAW_ENGINES: dict[str, Any] = {}


def _version_rows(url: Any) -> list[str] | None:
    """The revisions in the target's alembic_version table (None when there is no table)."""
    from sqlalchemy import inspect, text

    engine = _raw_engine(url)
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return [str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


# ---------------------------------------------------------------------------
# The steps


class Runner:
    def __init__(self, request: dict[str, Any], emitter: Emitter) -> None:
        self.request = request
        self.emitter = emitter
        self.forcer = Forcer(request["url"], fast_commit=bool(request.get("scratch")))
        self.watch = Watch(self.forcer, snapshot_of)
        self.config: Any = None
        self.script: Any = None
        self.order: list[str] = []  # base -> head

    def setup(self) -> None:
        global _ORIGINAL_CREATE_ENGINE
        import sqlalchemy.engine.create as create_mod

        _ORIGINAL_CREATE_ENGINE = create_mod.create_engine
        self.forcer.install()
        self.watch.install()
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        request = self.request
        url = request["url"]
        for name in ["DATABASE_URL", *request.get("url_env", [])]:
            os.environ[name] = url
        ini = request["ini"]
        section = request.get("name") or "alembic"
        toml = request.get("toml")
        if toml:
            # Alembic 1.16+: source-code options in pyproject.toml [tool.alembic].
            self.config = Config(ini, ini_section=section, toml_file=toml)
        else:
            self.config = Config(ini, ini_section=section)
        # ConfigParser interpolation: a literal % must be doubled.
        self.config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        self.script = ScriptDirectory.from_config(self.config)
        # Every alembic command builds a new ScriptDirectory and so re-imports every
        # revision file; on a long chain that is most of a step's time. Reuse ours.
        original_from_config = ScriptDirectory.from_config
        runner = self

        def from_config(cls: Any, config: Any) -> Any:
            if config is runner.config:
                return runner.script
            return original_from_config(config)

        ScriptDirectory.from_config = classmethod(from_config)  # type: ignore[method-assign,assignment]
        self.order = [s.revision for s in self.script.walk_revisions("base", "heads")][::-1]

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
        """The revision that was running: the first one the step had not finished."""
        applied = set(self.watch.applied)
        if upgrading:
            todo = [r for r in self.order if r not in start and r not in applied]
        else:
            todo = [r for r in self.order[::-1] if r in start and r not in applied]
        return todo[0] if todo else None

    def _run(self, what: str, fn: Callable[[], None], upgrading: bool = True) -> list[str]:
        self.watch.reset()
        start = self._ancestors(_version_rows(self.forcer.target) or [])
        try:
            fn()
        except Refused:
            raise
        except Exception as exc:
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
            engine = _raw_engine(self.forcer.target)
            try:
                with engine.begin() as conn:
                    for statement in _split_sql(script):
                        conn.execute(text(statement))
            except Exception as exc:
                raise StepFailed(f"baseline SQL {sql_file}: {_error_text(exc)}", None) from exc
            finally:
                engine.dispose()
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


class Steps:
    """The requested steps in order, with the schema snapshots they compare."""

    def __init__(self, runner: Runner, request: dict[str, Any]) -> None:
        self.runner = runner
        self.target = runner.forcer.target
        self.snapshots = bool(request.get("snapshots"))
        self.stamp = request.get("baseline_stamp")
        self.snaps: dict[str, Any] = {}
        # Revisions whose own downgrade is checked against the schema before their upgrade.
        self.roundtrip = [r for r in request.get("roundtrip") or () if r in runner.order]
        tables: dict[str, list[str] | None] = request.get("roundtrip_tables") or {}
        self.parents: dict[str, str | None] = {}
        self.only: dict[str, list[str] | None] = {}
        for rev in self.roundtrip:
            down = runner.script.get_revision(rev).down_revision
            # A merge has no single "before" schema: compared with its first parent's.
            self.parents[rev] = down[0] if isinstance(down, (tuple, list)) else down
            self.only[rev] = tables.get(rev)
        # The one child of each revision (the state before its downgrade is the state
        # after its child's downgrade; for the head, the state at head).
        kids: dict[str, list[str]] = {}
        for rev in runner.order:
            down = runner.script.get_revision(rev).down_revision
            for parent in down if isinstance(down, (tuple, list)) else (down,):
                if parent:
                    kids.setdefault(parent, []).append(rev)
        self.child = {r: kids[r][0] if len(kids.get(r, [])) == 1 else None for r in self.roundtrip}
        self.head = {r: not kids.get(r) for r in self.roundtrip}
        watch = runner.watch

        def want(snaps: dict[str, list[str] | None], rev: str, tables: list[str] | None) -> None:
            have = snaps.get(rev, [])
            snaps[rev] = None if have is None or tables is None else sorted({*have, *tables})

        for rev in self.roundtrip:
            # After its upgrade and after its downgrade; its parent's after-upgrade state
            # is its "before"; its child's after-downgrade state is what came down to it.
            for snaps, at in (
                (watch.snap_up, rev),
                (watch.snap_up, self.parents[rev]),
                (watch.snap_down, rev),
                (watch.snap_down, self.child[rev]),
            ):
                if at:
                    want(snaps, at, self.only[rev])

    def start(self) -> None:
        if self.snapshots:
            self.snaps["before"] = snapshot(self.target)

    def run(self, step: str) -> dict[str, Any]:
        runner = self.runner
        if step == "drift":
            return runner.drift()
        runner.watch.phase = "downgrade" if step == "downgrade" else step
        try:
            if step == "downgrade":
                applied = runner.downgrade(self.stamp or "base")
                extra: dict[str, Any] = {
                    "applied": applied,
                    "versions": _version_rows(self.target),
                }
                if self.snapshots:
                    self.snaps[step] = snapshot(self.target)
                    extra["differences"] = _diff_snapshots(self.snaps["before"], self.snaps[step])
                extra["revisions"] = self._per_revision()
                return extra
            if step not in ("upgrade", "reupgrade"):
                raise ValueError(f"unknown step {step}")
            applied = runner.upgrade()
        finally:
            runner.watch.phase = ""
        versions = _version_rows(self.target)
        if not versions and runner.order:
            raise Refused(
                "after the upgrade the scratch database has no alembic_version rows: env.py "
                "migrated some other database"
            )
        extra = {"applied": applied, "versions": versions}
        if self.snapshots:
            self.snaps[step] = snapshot(self.target)
            if step == "reupgrade":
                extra["differences"] = _diff_snapshots(self.snaps["upgrade"], self.snaps[step])
        return extra

    def _per_revision(self) -> dict[str, list[str]]:
        """For each round-trip revision: what its own downgrade left different.

        Differences already there before its downgrade (left by a newer revision's
        downgrade) are not its doing and are subtracted.
        """
        watch = self.runner.watch
        out: dict[str, list[str]] = {}
        for rev in self.roundtrip:
            parent, child = self.parents[rev], self.child[rev]
            before = watch.up_snaps.get(parent) if parent else self.snaps.get("before")
            after = watch.down_snaps.get(rev)
            if before is None or after is None:
                continue
            left = _diff_snapshots(before, after)
            came_down = (
                self.snaps.get("upgrade") if self.head[rev] else watch.down_snaps.get(child or "")
            )
            upgraded = watch.up_snaps.get(rev)
            if came_down is not None and upgraded is not None:
                inherited = set(_diff_snapshots(upgraded, came_down))
                left = [d for d in left if d not in inherited]
            out[rev] = left
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
    os.chdir(request["root"])
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
        )
    except Refused as exc:
        emitter.emit(event="refused", step=step, message=str(exc))
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
