"""The dynamic half of migration-check: the chain run on a scratch database of the project's
engine, by the worker in the project's interpreter, and its events turned into checks.
"""

from __future__ import annotations

import re
from pathlib import Path

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.migration_check import dynamic, project, rollback, scratch, static
from qualgate.gates.migration_check.api import WorkerResult, run_worker, worker_problem
from qualgate.verdict import Check, Status

# Without --base, the newest revisions get the per-revision round trip (four snapshots of
# the tables each one touches: on a long chain, every revision would cost more than the run).
ROUNDTRIP_NEWEST = 10


def _roundtrip(ctx: GateContext, found: static.Static) -> list[str]:
    """Revisions whose own downgrade is checked against the schema before their upgrade."""
    if ctx.base is not None:
        return list(found.new_revisions)
    return list(found.chain.order[-ROUNDTRIP_NEWEST:])


def _baseline(ctx: GateContext, found: static.Static) -> tuple[Path | None, str | None]:
    baseline = ctx.option("baseline")
    if not baseline:
        return None, None
    if str(baseline).endswith(".sql"):
        path = ctx.root / str(baseline)
        if not path.is_file():
            raise GateError(f"baseline {baseline}: no such file", "point baseline at a .sql file")
        return path, None
    if str(baseline) in found.chain.revisions:
        return None, str(baseline)
    raise GateError(
        f"baseline {baseline}: neither a .sql file nor a known revision",
        "set baseline to a SQL file or a revision id of the chain",
    )


_EXTENSION = re.compile(
    r'extension "([^"]+)" is not available|could not open extension control file'
)


def _missing_extension(result: WorkerResult, db: scratch.Scratch) -> GateError | None:
    """A throwaway server without an extension the migrations create is not their fault."""
    outcome = result.outcome or {}
    if db.server is None or outcome.get("event") != "failed":
        return None
    match = _EXTENSION.search(str(outcome.get("message", "")))
    if match is None:
        return None
    name = match.group(1) or "an extension"
    return GateError(
        f"revision {outcome.get('revision')} creates the extension {name}, which the throwaway "
        f"server ({db.server}) does not have",
        "install the server's extensions (e.g. `sudo apt-get install postgresql-contrib`) and "
        "use --server local, or pass --database-url of a server that has them",
    )


def where(ctx: GateContext, found: static.Static) -> scratch.Where:
    """Where the scratch database goes, from the options and the project's engine."""
    backend = found.engine.backend if found.engine is not None else "sqlite"
    search = ctx.option("server-path")
    return scratch.Where(
        server_url=ctx.option("database-url"),
        backend=backend,
        source=str(ctx.option("server")),
        search=tuple(Path(p) for p in search) if search is not None else None,
        root=ctx.root,
        timeout=min(ctx.remaining(), 120.0),
    )


def run(
    ctx: GateContext, proj: project.AlembicProject, found: static.Static
) -> tuple[str, GateError | None]:
    """Run the chain on a scratch database; returns a summary part and any worker problem."""
    chain, parsed = found.chain, found.parsed
    checks, findings, metrics = found.checks, found.findings, found.metrics
    baseline_sql, baseline_stamp = _baseline(ctx, found)
    irreversible = tuple(ctx.option("irreversible-revisions") or ())
    unknown = [r for r in irreversible if r not in chain.revisions]
    if unknown:
        raise GateError(
            f"irreversible-revisions: no revision {', '.join(unknown)} in the chain",
            "list revision ids of the chain (see `alembic history`)",
        )
    python = ctx.python()
    # Which revision created each table/column: leftovers after a downgrade are blamed on it.
    creators: dict[str, str] = {}
    for rf in parsed:
        for item in rollback.created(rf):
            creators.setdefault(item, rf.revision or "")
    roundtrip = _roundtrip(ctx, found)
    steps = dynamic.STEPS + (("models",) if ctx.option("check-models-imported") else ())
    drivers = found.engine.drivers if found.engine is not None else ()
    target = where(ctx, found)
    ctx.progress("creating the scratch database")
    with scratch.scratch_database(target, gate=ctx.gate) as db:
        metrics["database"] = db.shown if db.backend != "sqlite" else "sqlite (temporary file)"
        if db.server is not None:
            metrics["server"] = db.server
            metrics["server_start_ms"] = db.server_ms
        ctx.progress(f"running the migrations on {db.backend}")
        result = run_worker(
            ctx.root,
            python=python,
            url=db.url,
            steps=steps,
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
            drivers=drivers,
            irreversible=irreversible,
            cwd=proj.workdir,
        )
    problem = worker_problem(result, python, ctx.root) or _missing_extension(result, db)
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
        result,
        revisions=chain.revisions,
        creators=creators,
        backend=db.backend,
        options=dynamic.Options(
            require_drift=bool(ctx.option("require-drift")),
            irreversible=str(ctx.option("irreversible")),
            env_py=ctx.relpath(proj.script_location / "env.py"),
            linted_irreversible=frozenset(
                f.path or "" for f in findings if f.rule == "empty-downgrade"
            ),
        ),
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
    final = result.outcome or {}
    metrics["env_py_urls"] = final.get("redirected", [])
    if final.get("driver"):
        metrics["driver"] = final["driver"]
    started = result.started or {}
    metrics["alembic_version"] = started.get("alembic")
    metrics["sqlalchemy_version"] = started.get("sqlalchemy")
    counts = {s: sum(1 for c in outcome.checks if c.status is s) for s in Status}
    parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
    return f"database steps on {db.backend}: {', '.join(parts)}", None
