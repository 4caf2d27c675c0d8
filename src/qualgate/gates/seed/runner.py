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

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.seed import load, plan, safety, schema
from qualgate.gates.seed.files import SeedDoc
from qualgate.verdict import Check, Finding, Severity, Status, Verdict, plural

HELP = "docs/gates/seed.md"
_NOTES = 200  # at most this many per-row notes in a --dry-run plan


def _finding(
    rule: str,
    message: str,
    path: str | None,
    line: int | None,
    *,
    check: str,
    severity: Severity = Severity.ERROR,
    data: dict[str, Any] | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        path=path or None,
        line=line,
        check=check,
        help=HELP,
        data=data or {},
    )


def _ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def run_embedded(
    ctx: GateContext,
    base: Sequence[SeedDoc],
    overlay: Sequence[SeedDoc],
    read_check: Check,
    scratch: Path,
    *,
    files: int,
) -> Verdict:
    """Build a throwaway SQLite database from the schema, load everything, verify, discard."""
    if ctx.option("check"):
        raise GateError(
            "--check compares the seeds with a database: pass --database-url",
            "without --database-url the gate already proves the seeds load cleanly",
        )
    url = URL.create("sqlite", database=str(scratch / "seed.db"))
    schema_check = schema.build(
        ctx.root,
        url,
        python=ctx.python(),
        timeout=ctx.remaining(),
        ini=ctx.option("alembic-ini"),
        metadata=ctx.option("metadata"),
    )
    target = safety.Target(url=url, shown="embedded SQLite (discarded)")
    return seed(ctx, target, base, overlay, [read_check, schema_check], files=files)


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
        _rule, message = load.classify(exc, target.url)
        raise GateError(
            f"{target.shown}: {message}",
            "check that the server is running and the URL is right",
        ) from None
    except SQLAlchemyError as exc:
        raise GateError(
            f"{target.shown}: {safety.scrub(str(exc).splitlines()[0], target.url)}"
        ) from None
    finally:
        engine.dispose()


def _seed(
    ctx: GateContext,
    engine: Any,
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
            metadata = load.reflect(conn, names)
            seeds, problems = plan.build(metadata, base, overlay)
            ordered, order_problems = plan.order(seeds)
            problems += order_problems
            for s in ordered:
                if load.non_transactional(s.table):
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
                    table_plan = plan.diff(s, load.read_existing(conn, s))
                    plans.append(table_plan)
                    rows, problem = plan.order_rows(s, table_plan.inserts)
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
                    f"{plural(sum(len(s.rows) for s in seeds), 'row')}",
                )
            )
            if problems:
                findings = tuple(
                    _finding(
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
                    gate="seed",
                    status=Status.FAIL,
                    summary=f"{plural(len(findings), 'problem')} in the seeds; nothing was written",
                    checks=tuple(checks),
                    findings=findings,
                    metrics=metrics,
                )
            _counts(metrics, plans)
            if mode == "check":
                return _check_verdict(plans, checks, metrics, target)
            if mode == "dry-run":
                return _dry_run_verdict(plans, checks, metrics, target)
            steps = load.steps_for(plans, ordered_inserts, conn.dialect)
            t1 = time.monotonic()
            try:
                load.execute(conn, steps)
            except load.WriteFailed as failed:
                transaction.rollback()
                return _write_failed(engine, steps, failed, checks, metrics, target, t1)
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
                drift = [plan.diff(p.seeds, load.read_existing(conn, p.seeds)) for p in plans]
                mismatches = _drift_findings(drift, check="verify", stored=True)
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
                _zero(metrics)
                return Verdict(
                    gate="seed",
                    status=Status.FAIL,
                    summary=f"{plural(len(mismatches), 'row')} read back differently from the "
                    f"seeds; rolled back, nothing was written to {target.shown}",
                    checks=tuple(checks),
                    findings=tuple(mismatches),
                    metrics=metrics,
                )
            transaction.commit()
        finally:
            if transaction.is_active:
                transaction.rollback()
    return Verdict(
        gate="seed",
        status=Status.PASS,
        summary=f"{_totals(metrics)} in {target.shown}",
        checks=tuple(checks),
        metrics=metrics,
    )


def _counts(metrics: dict[str, Any], plans: Sequence[plan.TablePlan]) -> None:
    tables = {
        p.name: {"inserted": len(p.inserts), "updated": len(p.updates), "unchanged": p.unchanged}
        for p in plans
    }
    metrics["tables"] = tables
    for key in ("inserted", "updated", "unchanged"):
        metrics[key] = sum(t[key] for t in tables.values())


def _zero(metrics: dict[str, Any]) -> None:
    """After a rollback nothing was inserted or updated."""
    for counts in metrics.get("tables", {}).values():
        counts["inserted"] = counts["updated"] = 0
    metrics["inserted"] = metrics["updated"] = 0


def _totals(metrics: dict[str, Any], verb: str = "") -> str:
    return (
        f"{plural(len(metrics.get('tables', {})), 'table')}: {metrics['inserted']} {verb}inserted, "
        f"{metrics['updated']} {verb}updated, {metrics['unchanged']} unchanged"
    )


def _key_text(p: plan.TablePlan, row: plan.Row) -> str:
    return ", ".join(f"{c}={v!r}" for c, v in zip(p.seeds.key, row.key, strict=True))


def _drift_findings(plans: Sequence[plan.TablePlan], *, check: str, stored: bool) -> list[Finding]:
    findings: list[Finding] = []
    for p in plans:
        for row in p.inserts:
            findings.append(
                _finding(
                    "missing-row",
                    f"{p.name} ({_key_text(p, row)}) is not in the database",
                    row.path,
                    row.line,
                    check=check,
                    data={"table": p.name},
                )
            )
        for change in p.updates:
            parts = [
                f"{c} is {plan.describe_value(change.before.get(c))} in the database, "
                f"the seed says {plan.describe_value(change.row.values.get(c))}"
                for c in change.columns
            ]
            findings.append(
                _finding(
                    "stored-differs" if stored else "row-differs",
                    f"{p.name} ({_key_text(p, change.row)}): " + "; ".join(parts),
                    change.row.path,
                    change.row.line,
                    check=check,
                    data={
                        "table": p.name,
                        "columns": {
                            c: {
                                "database": plan.describe_value(change.before.get(c)),
                                "seed": plan.describe_value(change.row.values.get(c)),
                            }
                            for c in change.columns
                        },
                    },
                )
            )
    return findings


def _check_verdict(
    plans: Sequence[plan.TablePlan],
    checks: list[Check],
    metrics: dict[str, Any],
    target: safety.Target,
) -> Verdict:
    findings = _drift_findings(plans, check="check", stored=False)
    checks.append(
        Check(
            name="check",
            status=Status.FAIL if findings else Status.PASS,
            findings=len(findings),
            summary="read only",
        )
    )
    if findings:
        summary = (
            f"{target.shown} differs from the seeds: {metrics['inserted']} missing, "
            f"{metrics['updated']} different, {metrics['unchanged']} as seeded"
        )
    else:
        summary = f"{target.shown} holds every seeded row ({metrics['unchanged']} rows)"
    # In --check mode nothing is written: the counts are what a load would do.
    return Verdict(
        gate="seed",
        status=Status.FAIL if findings else Status.PASS,
        summary=summary,
        checks=tuple(checks),
        findings=tuple(findings),
        metrics=metrics,
        next_steps=("run `tools/db/seed.sh --database-url URL` to load the seeds",)
        if findings
        else (),
    )


def _dry_run_verdict(
    plans: Sequence[plan.TablePlan],
    checks: list[Check],
    metrics: dict[str, Any],
    target: safety.Target,
) -> Verdict:
    notes: list[Finding] = []
    for p in plans:
        planned = [("insert", r, "") for r in p.inserts[:_NOTES]] + [
            ("update", c.row, ", ".join(c.columns)) for c in p.updates[:_NOTES]
        ]
        for action, row, what in planned:
            if len(notes) >= _NOTES:
                break
            notes.append(
                _finding(
                    f"would-{action}",
                    f"would {action} {p.name} ({_key_text(p, row)})"
                    + (f": {what}" if what else ""),
                    row.path,
                    row.line,
                    check="dry-run",
                    severity=Severity.NOTE,
                    data={"table": p.name},
                )
            )
    checks.append(Check(name="dry-run", status=Status.PASS, summary="nothing written"))
    return Verdict(
        gate="seed",
        status=Status.PASS,
        summary=f"dry run, nothing written: {_totals(metrics, 'would be ')} in {target.shown}",
        checks=tuple(checks),
        findings=tuple(notes),
        metrics=metrics,
    )


def _write_failed(
    engine: Any,
    steps: Sequence[load.Step],
    failed: load.WriteFailed,
    checks: list[Check],
    metrics: dict[str, Any],
    target: safety.Target,
    t1: float,
) -> Verdict:
    rule, message = load.classify(failed.error, target.url)
    if rule == "timeout":
        raise GateError(
            f"{target.shown}: gave up waiting ({message}); rolled back, nothing was written",
            "another session holds a lock on a seeded table, or raise --timeout",
        )
    located = load.locate(engine, steps, failed.at)
    step = steps[failed.at[0]]
    if located is not None:
        step, row, error = located
        rule, message = load.classify(error, target.url)
        path, line = row.path, row.line
    else:  # the batch failed but no single row did: point at the batch's first row
        rule, message = load.classify(failed.error, target.url)
        row = step.rows[failed.at[1]]
        path, line = row.path, row.line
    finding = _finding(
        rule,
        f"{step.table}: the database refused this row ({step.action}): {message}",
        path,
        line,
        check="load",
        data={"table": step.table, "action": step.action},
    )
    checks.append(
        Check(
            name="load",
            status=Status.FAIL,
            duration_ms=_ms(t1),
            findings=1,
            summary="rolled back",
        )
    )
    _zero(metrics)
    return Verdict(
        gate="seed",
        status=Status.FAIL,
        summary=f"{path}:{line}: {rule}; rolled back, nothing was written to {target.shown}",
        checks=tuple(checks),
        findings=(finding,),
        metrics=metrics,
    )
