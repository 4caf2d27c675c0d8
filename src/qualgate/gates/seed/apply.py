"""One seed run against one database: reflect, plan, then check, dry-run or load + verify.

Everything happens in one transaction on one connection: the stored rows are read, the
writes are made, every seeded row is read back and compared, and only then is the
transaction committed. Any refusal by the database, and any stored value that is not what
the seed says, rolls everything back.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.seed import dberrors, load, order, plan, prepare, report, safety, schema, stored
from qualgate.gates.seed.files import SeedDoc
from qualgate.redact import mask
from qualgate.verdict import Check, Finding, Status, Verdict, plural


def _ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def run_throwaway(
    ctx: GateContext,
    base: Sequence[SeedDoc],
    overlay: Sequence[SeedDoc],
    read_check: Check,
    *,
    files: int,
) -> Verdict:
    """Build a throwaway database of the project's engine from the schema, load everything,
    verify, discard. SQLite is embedded; another engine gets a throwaway server."""
    from qualgate.gates.migration_check import api

    if ctx.option("check"):
        raise GateError(
            "--check compares the seeds with a database: pass --database-url",
            "without --database-url the gate already proves the seeds load cleanly",
        )
    ini = ctx.option("alembic-ini")
    engine = api.project_engine(ctx.root, ini=ini, dialect=str(ctx.option("dialect")))
    search = ctx.option("server-path")
    where = api.Where(
        server_url=None,
        backend=engine.backend,
        source=str(ctx.option("server")),
        search=tuple(Path(p) for p in search) if search is not None else None,
        root=ctx.root,
        timeout=min(ctx.remaining(), 120.0),
    )
    with api.scratch_database(where, gate=ctx.gate) as db:
        neutral = make_url(db.url)
        url = neutral.set(drivername=api.own_driver(engine.backend))
        schema_check = schema.build(
            ctx.root,
            neutral,
            python=ctx.python(),
            timeout=ctx.remaining(),
            ini=ini,
            metadata=ctx.option("metadata"),
            drivers=engine.drivers,
        )
        if db.backend == "sqlite":
            shown = "embedded SQLite (discarded)"
        else:
            shown = f"a throwaway {db.backend} server (discarded)"
        target = safety.Target(url=url, shown=shown)
        verdict = seed(ctx, target, base, overlay, [read_check, schema_check], files=files)
    metrics = dict(verdict.metrics)
    metrics["engine"] = engine.as_metric()
    if db.server is not None:
        metrics["server"] = db.server
        metrics["server_start_ms"] = db.server_ms
    return verdict.replace(metrics=metrics)


def run_on_url(
    ctx: GateContext,
    base: Sequence[SeedDoc],
    overlay: Sequence[SeedDoc],
    read_check: Check,
    *,
    files: int,
) -> Verdict:
    """Check or load ``--database-url`` (which must already have the schema, or --migrate)."""
    target = safety.parse(
        ctx.option("database-url"), root=ctx.root, allow_remote=ctx.option("allow-remote")
    )
    checks = [read_check]
    migrate = ctx.option("migrate")
    if migrate and (ctx.option("check") or ctx.option("dry-run")):
        raise GateError("--migrate writes the schema: it cannot go with --check or --dry-run")
    if target.backend == "sqlite" and not migrate:
        database = Path(target.url.database or "")
        if not database.is_file():
            raise GateError(
                f"{target.shown}: no such SQLite file",
                "create it with --migrate, or point --database-url at the right file",
            )
    if migrate:
        checks.append(
            schema.build(
                ctx.root,
                target.url,
                python=ctx.python(),
                timeout=ctx.remaining(),
                ini=ctx.option("alembic-ini"),
                metadata=ctx.option("metadata"),
            )
        )
    return seed(ctx, target, base, overlay, checks, files=files)


def seed(
    ctx: GateContext,
    target: safety.Target,
    base: Sequence[SeedDoc],
    overlay: Sequence[SeedDoc],
    checks: list[Check],
    *,
    files: int,
) -> Verdict:
    mode = "check" if ctx.option("check") else "dry-run" if ctx.option("dry-run") else "load"
    engine = load.connect(target.url, target.shown, ctx.remaining())
    try:
        return _seed(ctx, engine, target, base, overlay, checks, mode=mode, files=files)
    except DBAPIError as exc:
        _rule, message = dberrors.classify(exc, target.url)
        raise GateError(
            f"{target.shown}: {message}",
            "check that the server is running and the URL is right",
        ) from None
    except SQLAlchemyError as exc:
        raise GateError(
            f"{target.shown}: {mask(str(exc).splitlines()[0], safety.secrets_of(target.url))}"
        ) from None
    finally:
        engine.dispose()


def _seed(
    ctx: GateContext,
    engine: Engine,
    target: safety.Target,
    base: Sequence[SeedDoc],
    overlay: Sequence[SeedDoc],
    checks: list[Check],
    *,
    mode: str,
    files: int,
) -> Verdict:
    metrics: dict[str, Any] = {"database": target.shown, "mode": mode, "files": files}
    names = plan.seeded_tables((*base, *overlay))
    t0 = time.monotonic()
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            load.begin_checks(conn)
            metadata = stored.reflect(conn, names)
            seeds, problems = prepare.table_seeds(metadata, base, overlay)
            ordered, order_problems = order.order(seeds)
            problems += order_problems
            for s in ordered:
                if stored.non_transactional(s.table):
                    first = s.rows[0] if s.rows else None
                    problems.append(
                        plan.Problem(
                            rule="non-transactional",
                            message=f"{s.table.name} uses a storage engine that cannot roll back; "
                            "seed refuses to write to it (use InnoDB)",
                            path=first.path if first else "",
                            line=first.line if first else None,
                            table=s.table.name,
                        )
                    )
            plans: list[plan.TablePlan] = []
            ordered_inserts: dict[str, Sequence[plan.Row]] = {}
            if not problems:
                for s in ordered:
                    table_plan = plan.diff(s, stored.read_existing(conn, s))
                    plans.append(table_plan)
                    rows, problem = order.order_rows(s, table_plan.inserts)
                    ordered_inserts[table_plan.name] = rows
                    if problem is not None:
                        problems.append(problem)
            checks.append(
                Check(
                    name="plan",
                    status=Status.FAIL if problems else Status.PASS,
                    duration_ms=_ms(t0),
                    findings=len(problems),
                    summary=f"{plural(len(names), 'table')}, "
                    f"{plural(sum(d.size for d in (*base, *overlay)), 'row')}",
                )
            )
            if problems:
                findings = tuple(
                    report.finding(
                        p.rule,
                        p.message,
                        p.path,
                        p.line,
                        check="plan",
                        data={"table": p.table, **p.data} if p.table else dict(p.data),
                    )
                    for p in problems
                )
                return Verdict(
                    gate=ctx.gate,
                    status=Status.FAIL,
                    summary=f"{plural(len(findings), 'problem')} in the seeds; nothing was written",
                    checks=tuple(checks),
                    findings=findings,
                    metrics=metrics,
                )
            report.counts(metrics, plans)
            if mode == "check":
                return report.check_verdict(ctx.gate, plans, checks, metrics, target)
            if mode == "dry-run":
                return report.dry_run_verdict(ctx.gate, plans, checks, metrics, target)
            steps = load.steps_for(plans, ordered_inserts, conn.dialect)
            t1 = time.monotonic()
            try:
                load.execute(conn, steps)
            except load.WriteFailed as failed:
                transaction.rollback()
                return report.write_failed(
                    ctx.gate, engine, steps, failed, checks, metrics, target, t1
                )
            checks.append(
                Check(
                    name="load",
                    status=Status.PASS,
                    duration_ms=_ms(t1),
                    summary=f"{len(steps)} batched statements",
                )
            )
            t2 = time.monotonic()
            mismatches: list[Finding] = []
            if steps:
                drift = [plan.diff(p.seeds, stored.read_existing(conn, p.seeds)) for p in plans]
                mismatches = report.drift_findings(drift, check="verify", stored=True)
                verify_summary = (
                    "the database stored other values than the seeds"
                    if mismatches
                    else "every seeded row read back as written"
                )
            else:  # nothing was written: the read that found nothing to do is the proof
                verify_summary = "nothing written; every seeded row was already as seeded"
            checks.append(
                Check(
                    name="verify",
                    status=Status.FAIL if mismatches else Status.PASS,
                    duration_ms=_ms(t2),
                    findings=len(mismatches),
                    summary=verify_summary,
                )
            )
            if mismatches:
                transaction.rollback()
                report.zero(metrics)
                return Verdict(
                    gate=ctx.gate,
                    status=Status.FAIL,
                    summary=f"{plural(len(mismatches), 'row')} read back differently from the "
                    f"seeds; rolled back, nothing was written to {target.shown}",
                    checks=tuple(checks),
                    findings=tuple(mismatches),
                    metrics=metrics,
                )
            # Last, as setval is not undone by a rollback (a gap in ids is harmless).
            sequences = load.advance_sequences(conn, plans)
            if sequences:
                metrics["sequences_advanced"] = sequences
            try:
                transaction.commit()
            except DBAPIError as exc:  # a constraint only checked at commit
                rule, message = dberrors.classify(exc, target.url)
                report.zero(metrics)
                return Verdict(
                    gate=ctx.gate,
                    status=Status.FAIL,
                    summary=f"the database refused the commit ({rule}); nothing was written",
                    checks=tuple(checks),
                    findings=(
                        report.finding(
                            rule, f"commit refused: {message}", None, None, check="load"
                        ),
                    ),
                    metrics=metrics,
                )
        finally:
            if transaction.is_active:
                transaction.rollback()
    return Verdict(
        gate=ctx.gate,
        status=Status.PASS,
        summary=f"{report.totals(metrics)} in {target.shown}",
        checks=tuple(checks),
        metrics=metrics,
    )
