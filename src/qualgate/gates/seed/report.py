"""Turning plans and failures into verdicts: counts, drift findings, the dry-run plan."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from qualgate.errors import GateError
from qualgate.gates.seed import dberrors, load, plan, safety
from qualgate.gates.seed.rules import RULES
from qualgate.verdict import Check, Finding, Status, Verdict, plural

_NOTES = 200  # at most this many per-row notes in a --dry-run plan
DRIFT_LIMIT = 1_000  # at most this many drift findings per table


def finding(
    rule: str,
    message: str,
    path: str | None,
    line: int | None,
    *,
    check: str,
    data: dict[str, Any] | None = None,
) -> Finding:
    """A finding of a catalogued rule at a seed file and line (its default severity)."""
    return RULES.finding(rule, message, path=path or None, line=line, check=check, data=data or {})


def _ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def counts(metrics: dict[str, Any], plans: Sequence[plan.TablePlan]) -> None:
    tables = {
        p.name: {"inserted": len(p.inserts), "updated": len(p.updates), "unchanged": p.unchanged}
        for p in plans
    }
    metrics["tables"] = tables
    for key in ("inserted", "updated", "unchanged"):
        metrics[key] = sum(t[key] for t in tables.values())


def zero(metrics: dict[str, Any]) -> None:
    """After a rollback nothing was inserted or updated."""
    for counts in metrics.get("tables", {}).values():
        counts["inserted"] = counts["updated"] = 0
    metrics["inserted"] = metrics["updated"] = 0


def totals(metrics: dict[str, Any], verb: str = "") -> str:
    return (
        f"{plural(len(metrics.get('tables', {})), 'table')}: {metrics['inserted']} {verb}inserted, "
        f"{metrics['updated']} {verb}updated, {metrics['unchanged']} unchanged"
    )


def _key_text(p: plan.TablePlan, row: plan.Row) -> str:
    return ", ".join(f"{c}={v!r}" for c, v in zip(p.seeds.key, row.key, strict=True))


def drift_findings(plans: Sequence[plan.TablePlan], *, check: str, stored: bool) -> list[Finding]:
    """One finding per missing or differing row, at most `DRIFT_LIMIT` per table."""
    findings: list[Finding] = []
    for p in plans:
        findings.extend(_table_drift(p, check=check, stored=stored))
    return findings


def _table_drift(p: plan.TablePlan, *, check: str, stored: bool) -> list[Finding]:
    findings: list[Finding] = []
    total = len(p.inserts) + len(p.updates)
    for row in p.inserts[:DRIFT_LIMIT]:
        findings.append(
            finding(
                "missing-row",
                f"{p.name} ({_key_text(p, row)}) is not in the database",
                row.path,
                row.line,
                check=check,
                data={"table": p.name},
            )
        )
    for change in p.updates[: max(0, DRIFT_LIMIT - len(findings))]:
        parts = [
            f"{c} is {plan.describe_value(change.before.get(c))} in the database, "
            f"the seed says {plan.describe_value(change.row.values.get(c))}"
            for c in change.columns
        ]
        findings.append(
            finding(
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
    if total > len(findings):
        # A whole table off (a truncating column, an empty database) would otherwise
        # bury the verdict under 100,000 findings: the count says how many.
        findings.append(
            finding(
                "stored-differs" if stored else "row-differs",
                f"{p.name}: {total - len(findings)} more rows differ (not listed)",
                None,
                None,
                check=check,
                data={"table": p.name, "unlisted": total - len(findings)},
            )
        )
    return findings


def check_verdict(
    gate: str,
    plans: Sequence[plan.TablePlan],
    checks: list[Check],
    metrics: dict[str, Any],
    target: safety.Target,
) -> Verdict:
    findings = drift_findings(plans, check="check", stored=False)
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
        gate=gate,
        status=Status.FAIL if findings else Status.PASS,
        summary=summary,
        checks=tuple(checks),
        findings=tuple(findings),
        metrics=metrics,
        next_steps=("run `tools/db/seed.sh --database-url URL` to load the seeds",)
        if findings
        else (),
    )


def dry_run_verdict(
    gate: str,
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
                finding(
                    f"would-{action}",
                    f"would {action} {p.name} ({_key_text(p, row)})"
                    + (f": {what}" if what else ""),
                    row.path,
                    row.line,
                    check="dry-run",
                    data={"table": p.name},
                )
            )
    checks.append(Check(name="dry-run", status=Status.PASS, summary="nothing written"))
    return Verdict(
        gate=gate,
        status=Status.PASS,
        summary=f"dry run, nothing written: {totals(metrics, 'would be ')} in {target.shown}",
        checks=tuple(checks),
        findings=tuple(notes),
        metrics=metrics,
    )


def write_failed(
    gate: str,
    engine: Engine,
    steps: Sequence[load.Step],
    failed: load.WriteFailed,
    checks: list[Check],
    metrics: dict[str, Any],
    target: safety.Target,
    t1: float,
) -> Verdict:
    rule, message = dberrors.classify(failed.error, target.url)
    if rule == "timeout":
        raise GateError(
            f"{target.shown}: gave up waiting ({message}); rolled back, nothing was written",
            "another session holds a lock on a seeded table, or raise --timeout",
        )
    located = load.locate(engine, steps, failed.at)
    step = steps[failed.at[0]]
    if located is not None:
        step, row, error = located
        rule, message = dberrors.classify(error, target.url)
        path, line = row.path, row.line
    else:  # the batch failed but no single row did: point at the batch's first row
        rule, message = dberrors.classify(failed.error, target.url)
        row = step.rows[failed.at[1]]
        path, line = row.path, row.line
    refused = finding(
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
    zero(metrics)
    return Verdict(
        gate=gate,
        status=Status.FAIL,
        summary=f"{path}:{line}: {rule}; rolled back, nothing was written to {target.shown}",
        checks=tuple(checks),
        findings=(refused,),
        metrics=metrics,
    )
