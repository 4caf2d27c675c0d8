"""migration-check: Alembic revision chains linted statically and proven on a scratch database.

Static part (no database, no app import): the revision graph and the operation lint, read
with `ast`. Dynamic part: the project's env.py run by a worker in the project's interpreter
against a scratch database that qualgate creates and always drops: upgrade, model drift,
downgrade, upgrade again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.migrations import graph, lint, project, rollback
from qualgate.options import Kind, Option
from qualgate.verdict import (
    Check,
    Finding,
    Severity,
    Status,
    Verdict,
    derive_status,
    findings_summary,
    plural,
)

DEFAULT_TIMEOUT = 600.0
GATE = "migration-check"

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
    Option(name="list-rules", help="List the lint rules and exit.", action=lint.rules_text),
)


def _dialect(ctx: GateContext, proj: project.AlembicProject, sources: list[str]) -> str | None:
    chosen = str(ctx.option("dialect"))
    if chosen != "auto":
        return chosen
    for url in (ctx.option("database-url"), proj.url):
        if url and "://" in url:
            scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
            if scheme in ("postgresql", "postgres"):
                return "postgresql"
            if scheme in ("mysql", "mariadb", "sqlite"):
                return "mysql" if scheme == "mariadb" else scheme
    env_py = proj.script_location / "env.py"
    texts = [env_py.read_text(encoding="utf-8", errors="replace"), *sources]
    if any("postgresql" in t or "asyncpg" in t or "psycopg" in t for t in texts):
        return "postgresql"
    return None


def _new_since_base(ctx: GateContext, rels: list[str]) -> tuple[set[str], set[str]]:
    """(added, modified) revision files since --base."""
    from qualgate import git

    if ctx.base is None:
        return set(rels), set()
    changed = ctx.changed_lines()
    files = changed.files if changed is not None else frozenset()
    added, modified = set(), set()
    for rel in rels:
        if rel not in files:
            continue
        if git.show_file(ctx.root, ctx.base, rel) is None:
            added.add(rel)
        else:
            modified.add(rel)
    return added, modified


def run(ctx: GateContext) -> Verdict:
    """Lint the revision files, then prove the chain on a scratch database."""
    from qualgate.gates.migrations.api import has_alembic

    ini = str(ctx.option("alembic-ini"))
    ini_path = Path(ini) if Path(ini).is_absolute() else ctx.root / ini
    if not ini_path.is_file():
        return Verdict(
            gate=GATE,
            status=Status.SKIPPED,
            summary=f"no Alembic config: {ctx.relpath(ini_path)} does not exist",
            next_steps=("point --alembic-ini at the project's Alembic config",),
        )
    del has_alembic
    proj = project.load(ctx.root, ini_path, ctx.option("name"))
    t0 = time.monotonic()
    files = proj.revision_files()
    sources: list[str] = []
    parsed: list[graph.RevisionFile] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        sources.append(text)
        parsed.append(graph.parse(text, ctx.relpath(path)))
    chain = graph.build(parsed)
    graph_ms = int((time.monotonic() - t0) * 1000)
    findings: list[Finding] = list(chain.findings)
    checks: list[Check] = [
        Check(
            name=graph.CHECK,
            status=Status.FAIL if any(f.blocking for f in chain.findings) else Status.PASS,
            duration_ms=graph_ms,
            findings=len(chain.findings),
            summary=f"{plural(len(chain.revisions), 'revision')}, "
            f"{plural(len(chain.heads), 'head')}",
        )
    ]
    # Lint
    t1 = time.monotonic()
    dialect = _dialect(ctx, proj, sources)
    added, modified = _new_since_base(ctx, [rf.path for rf in parsed])
    irreversible = Severity(str(ctx.option("irreversible")))
    disabled = frozenset(ctx.option("disable") or ())
    unknown = disabled - set(lint.RULES)
    if unknown:
        raise GateError(
            f"--disable: unknown rule {', '.join(sorted(unknown))}",
            "see `qualgate migration-check --list-rules`",
        )
    lint_findings: list[Finding] = []
    for rf in parsed:
        if rf.path in added:
            lint_findings += lint.lint(
                rf, postgres=dialect == "postgresql", irreversible=irreversible, disabled=disabled
            )
    for rel in sorted(modified):
        rf = next(r for r in parsed if r.path == rel)
        lint_findings.append(
            Finding(
                rule="modified-revision",
                severity=Severity.WARNING,
                message=f"revision {rf.revision} existed at {ctx.base} and was edited: "
                "databases that already ran it will not run it again",
                path=rel,
                line=rf.revision_line,
                check=lint.CHECK,
                help="add a new revision instead of editing one that may be deployed",
            )
        )
    findings += lint_findings
    checks.append(
        Check(
            name=lint.CHECK,
            status=Status.FAIL if any(f.blocking for f in lint_findings) else Status.PASS,
            duration_ms=int((time.monotonic() - t1) * 1000),
            findings=len(lint_findings),
            summary=f"{plural(len(added), 'revision')} linted"
            + (f" (added since {ctx.base})" if ctx.base else "")
            + f"; target {dialect or 'unknown'}",
        )
    )
    notes = [rollback.note(rf) for rf in parsed if rf.path in added and rf.tree is not None]
    metrics: dict[str, Any] = {
        "revisions": len(chain.revisions),
        "heads": list(chain.heads),
        "linted": len(added),
        "dialect": dialect,
        "rollback": notes,
    }
    next_steps: list[str] = []
    summary_extra = ""
    if ctx.option("static-only"):
        summary_extra = "static checks only"
    elif chain.broken:
        for step_name in ("upgrade", "drift", "downgrade", "reupgrade"):
            from qualgate.gates.migrations.dynamic import CHECK_NAMES

            checks.append(
                Check(
                    name=CHECK_NAMES[step_name],
                    status=Status.SKIPPED,
                    summary="skipped: the revision graph is broken, Alembic cannot load it",
                )
            )
        summary_extra = "migrations not run: the revision graph is broken"
    else:
        summary_extra, problem = _dynamic(ctx, proj, chain, parsed, checks, findings, metrics)
        if problem is not None:
            next_steps.append(problem.hint or "")
            status = Status.ERROR
            return Verdict(
                gate=GATE,
                status=status,
                summary=problem.reason,
                checks=tuple(checks),
                findings=tuple(findings),
                metrics=metrics,
                next_steps=tuple(s for s in next_steps if s),
            )
    status = derive_status(checks, findings)
    summary = findings_summary(findings) if findings else "no findings"
    summary = f"{summary}; {summary_extra}" if summary_extra else summary
    return Verdict(
        gate=GATE,
        status=status,
        summary=summary,
        checks=tuple(checks),
        findings=tuple(findings),
        metrics=metrics,
        next_steps=tuple(next_steps),
    )


def _dynamic(
    ctx: GateContext,
    proj: project.AlembicProject,
    chain: graph.Graph,
    parsed: list[graph.RevisionFile],
    checks: list[Check],
    findings: list[Finding],
    metrics: dict[str, Any],
) -> tuple[str, GateError | None]:
    """Run the chain on a scratch database; returns a summary part and any worker problem."""
    from qualgate.gates.migrations import dynamic, scratch
    from qualgate.gates.migrations.api import run_worker, worker_problem

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
    creators: dict[str, str] = {}
    for rf in parsed:
        if rf.tree is None or rf.revision is None:
            continue
        created, _, _, _ = rollback._effects(
            lint._function(rf.tree, "upgrade"), lint._op_names(rf.tree)
        )
        for item in created:
            creators.setdefault(item, rf.revision)
    server = ctx.option("database-url")
    ctx.progress("creating the scratch database")
    with scratch.scratch_database(server) as db:
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
            url_env=tuple(ctx.option("url-env") or ()),
            baseline_sql=baseline_sql,
            baseline_stamp=baseline_stamp,
            snapshots=True,
            secrets=db.secrets,
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
    metrics["worker_ms"] = result.duration_ms
    started = result.started or {}
    metrics["alembic_version"] = started.get("alembic")
    ran = [c for c in outcome.checks if c.status is Status.PASS]
    return f"{len(ran)} of 4 database steps passed on {db.backend}", None
