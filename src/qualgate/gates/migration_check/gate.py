"""migration-check: Alembic revision chains linted statically and proven on a scratch database.

Static part (no database, no app import): the revision graph and the operation lint, read
with `ast`. Dynamic part: the project's env.py run by a worker in the project's interpreter
against a scratch database that qualgate creates and always drops: upgrade, model drift,
downgrade, upgrade again.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.migration_check import graph, project, rollback, static
from qualgate.options import Kind, Option
from qualgate.verdict import Check, Status, Verdict, derive_status, findings_summary

DEFAULT_TIMEOUT = 600.0
# With --base, findings of the revision graph off the changed lines are existing. The
# operation lint picks its own files (those added since --base: every line of them is
# changed) and reports `modified-revision` on an edited revision's `revision =` line, which
# the edit rarely touches: judged by lines it would become existing. The steps on the
# scratch database prove the whole chain.
BASE_SCOPED = frozenset({graph.CHECK})

OPTIONS = (
    Option(
        name="database-url",
        metavar="URL",
        help="Server to create the scratch database on (postgresql://..., mysql://...); "
        "default: an embedded SQLite file. The URL's own database is never written.",
    ),
    Option(
        name="python",
        kind=Kind.PATH,
        metavar="PYTHON",
        help="The project's interpreter that runs env.py (default .venv/bin/python).",
    ),
    Option(
        name="alembic-ini",
        default="alembic.ini",
        metavar="FILE",
        help="The Alembic config file, relative to the project root (default alembic.ini).",
    ),
    Option(
        name="name",
        metavar="SECTION",
        help="The alembic.ini section to use (like `alembic --name`; default alembic).",
    ),
    Option(
        name="url-env",
        kind=Kind.LIST,
        default=(),
        metavar="VAR",
        help="More environment variables set to the scratch URL (DATABASE_URL always is).",
    ),
    Option(
        name="baseline",
        metavar="SQL_FILE|REVISION",
        help="For migrations that expect tables made outside Alembic: a .sql file run first, "
        "or a revision to stamp (the chain is run from there).",
    ),
    Option(
        name="irreversible",
        kind=Kind.CHOICE,
        choices=("warning", "error"),
        default="warning",
        help="Severity of an empty or missing downgrade() (default warning).",
    ),
    Option(
        name="dialect",
        kind=Kind.CHOICE,
        choices=("auto", "postgresql", "mysql", "sqlite"),
        default="auto",
        help="Database the migrations target, for PostgreSQL-only rules (default auto: from "
        "--database-url, alembic.ini, or a mention of postgresql in env.py or revisions).",
    ),
    Option(
        name="disable",
        kind=Kind.LIST,
        default=(),
        metavar="RULE",
        help="Lint rules to turn off (see --list-rules).",
    ),
    Option(
        name="static-only",
        kind=Kind.BOOL,
        default=False,
        help="Only the static checks (graph and lint): no database, no env.py.",
    ),
)


def run(ctx: GateContext) -> Verdict:
    """Lint the revision files, then prove the chain on a scratch database."""
    ini = str(ctx.option("alembic-ini"))
    ini_path = Path(ini) if Path(ini).is_absolute() else ctx.root / ini
    if not ini_path.is_file() and project.toml_settings(ctx.root) is None:
        return Verdict(
            gate=ctx.gate,
            status=Status.SKIPPED,
            summary=f"no Alembic config: {ctx.relpath(ini_path)} does not exist",
            next_steps=("point --alembic-ini at the project's Alembic config",),
        )
    proj = project.load(ctx.root, ini_path, ctx.option("name"))
    found = static.analyze(ctx, proj)
    checks, findings, metrics = found.checks, found.findings, found.metrics
    summary_extra = ""
    if ctx.option("static-only"):
        summary_extra = "static checks only"
    elif found.chain.broken:
        from qualgate.gates.migration_check.dynamic import CHECK_NAMES

        checks += [
            Check(
                name=name,
                status=Status.SKIPPED,
                summary="skipped: the revision graph is broken, Alembic cannot load it",
            )
            for name in CHECK_NAMES.values()
        ]
        summary_extra = "migrations not run: the revision graph is broken"
    else:
        summary_extra, problem = _dynamic(ctx, proj, found)
        if problem is not None:
            return Verdict(
                gate=ctx.gate,
                status=Status.ERROR,
                summary=problem.reason,
                checks=tuple(checks),
                findings=tuple(findings),
                metrics=metrics,
                next_steps=(problem.hint,) if problem.hint else (),
            )
    summary = findings_summary(findings) if findings else "no findings"
    return Verdict(
        gate=ctx.gate,
        status=derive_status(checks, findings),
        summary=f"{summary}; {summary_extra}" if summary_extra else summary,
        checks=tuple(checks),
        findings=tuple(findings),
        metrics=metrics,
    )


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) cleans up like Ctrl-C: worker killed, scratch dropped."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# Without --base, the newest revisions get the per-revision round trip (two schema
# snapshots each: on a long chain, snapshotting every revision would cost more than the run).
ROUNDTRIP_NEWEST = 10


def _roundtrip(ctx: GateContext, found: static.Static) -> list[str]:
    """Revisions whose own downgrade is checked against the schema before their upgrade."""
    if ctx.base is not None:
        return list(found.new_revisions)
    return list(found.chain.order[-ROUNDTRIP_NEWEST:])


def _dynamic(
    ctx: GateContext, proj: project.AlembicProject, found: static.Static
) -> tuple[str, GateError | None]:
    """Run the chain on a scratch database; returns a summary part and any worker problem."""
    from qualgate.gates.migration_check import dynamic, scratch
    from qualgate.gates.migration_check.api import run_worker, worker_problem

    chain, parsed = found.chain, found.parsed
    checks, findings, metrics = found.checks, found.findings, found.metrics

    baseline = ctx.option("baseline")
    baseline_sql: Path | None = None
    baseline_stamp: str | None = None
    if baseline:
        if str(baseline).endswith(".sql"):
            baseline_sql = ctx.root / str(baseline)
            if not baseline_sql.is_file():
                raise GateError(
                    f"baseline {baseline}: no such file", "point baseline at a .sql file"
                )
        elif str(baseline) in chain.revisions:
            baseline_stamp = str(baseline)
        else:
            raise GateError(
                f"baseline {baseline}: neither a .sql file nor a known revision",
                "set baseline to a SQL file or a revision id of the chain",
            )
    python = ctx.python()
    # Which revision created each table/column: leftovers after a downgrade are blamed on it.
    creators: dict[str, str] = {}
    for rf in parsed:
        for item in rollback.created(rf):
            creators.setdefault(item, rf.revision or "")
    roundtrip = _roundtrip(ctx, found)
    server = ctx.option("database-url")
    ctx.progress("creating the scratch database")
    with _terminate_as_interrupt(), scratch.scratch_database(server, gate=ctx.gate) as db:
        metrics["database"] = db.shown if db.backend != "sqlite" else "sqlite (temporary file)"
        ctx.progress(f"running the migrations on {db.backend}")
        result = run_worker(
            ctx.root,
            python=python,
            url=db.url,
            steps=dynamic.STEPS,
            timeout=ctx.remaining(),
            ini=proj.ini,
            name=proj.section,
            toml=proj.toml,
            url_env=tuple(ctx.option("url-env") or ()),
            baseline_sql=baseline_sql,
            baseline_stamp=baseline_stamp,
            snapshots=True,
            secrets=db.secrets,
            scratch=True,
            roundtrip=roundtrip,
            roundtrip_tables={
                rev: rollback.touched_tables(chain.revisions[rev])
                for rev in roundtrip
                if rev in chain.revisions
            },
        )
    problem = worker_problem(result, python)
    if problem is not None:
        checks.append(
            Check(
                name=dynamic.CHECK_NAMES["upgrade"],
                status=Status.ERROR,
                command=result.argv,
                summary=problem.reason,
            )
        )
        return "", problem
    outcome = dynamic.build(
        result, revisions=chain.revisions, creators=creators, backend=db.backend
    )
    checks += outcome.checks
    findings += outcome.findings
    metrics.update(outcome.metrics)
    checked = outcome.metrics.get("roundtrip", {})
    for note in metrics.get("rollback", ()):
        if note.get("revision") in checked:
            left = checked[note["revision"]]
            note["undoes_on_database"] = not left
            note["left_behind"] = left
    metrics["worker_ms"] = result.duration_ms
    # The URLs env.py computed (password masked), each redirected to the scratch database.
    metrics["env_py_urls"] = (result.outcome or {}).get("redirected", [])
    started = result.started or {}
    metrics["alembic_version"] = started.get("alembic")
    counts = {s: sum(1 for c in outcome.checks if c.status is s) for s in Status}
    parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
    return f"database steps on {db.backend}: {', '.join(parts)}", None
