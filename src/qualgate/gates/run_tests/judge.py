"""From test outcomes and coverage numbers to a verdict: findings, thresholds, metrics.

One function serves a plain run, a shard and ``qualgate merge``, so a merged verdict is
judged exactly like an unsharded one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qualgate.gates.run_tests.cov import ChangedCoverage, CoverageReport, ranges
from qualgate.gates.run_tests.results import Problem, TestResults
from qualgate.gates.run_tests.rules import RULES
from qualgate.gates.run_tests.shards import Shard
from qualgate.verdict import (
    Check,
    Finding,
    Severity,
    Status,
    Threshold,
    Verdict,
    derive_status,
    plural,
)

LEAST_COVERED = 5


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    coverage_min: float
    changed_min: float
    integration_min: float
    file_min: float
    base: str | None = None
    shard: Shard | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Inputs:
    results: TestResults
    coverage: CoverageReport | None
    changed: ChangedCoverage | None
    command: tuple[str, ...]
    pytest_ms: int
    coverage_ms: int = 0
    extra_metrics: dict[str, Any] | None = None


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def problem_finding(p: Problem) -> Finding:
    rule = {"failed": "test-failed", "error": "test-error", "collect": "collection-error"}[p.kind]
    if p.kind == "collect":
        message = f"{p.path or p.nodeid} could not be collected: {p.message}"
    elif p.kind == "error":
        message = f"{p.nodeid} errored in {p.when}: {p.message}"
    else:
        message = f"{p.nodeid} failed: {p.message}"
    data: dict[str, Any] = {"nodeid": p.nodeid, "when": p.when}
    if p.exception:
        data["exception"] = p.exception
    if p.origin:
        data["origin"] = dict(p.origin)
    return RULES.finding(rule, message, path=p.path, line=p.line, check="pytest", data=data)


def build(inputs: Inputs, settings: Settings) -> Verdict:
    res = inputs.results
    counts = res.counts
    findings = [problem_finding(p) for p in res.problems]
    collect_errors = sum(1 for p in res.problems if p.kind == "collect")
    metrics: dict[str, Any] = {
        **{k: counts.get(k, 0) for k in ("passed", "failed", "errors", "skipped")},
        "xfailed": counts.get("xfailed", 0),
        "xpassed": counts.get("xpassed", 0),
        "collection_errors": collect_errors,
        "tests_collected": res.collected_total,
        "tests_selected": res.selected,
        "tests_deselected": res.deselected,
        "integration_tests": res.integration_selected,
        "duration_s": round(inputs.pytest_ms / 1000, 3),
        "slowest": res.slowest(10),
        "stopped_early": res.stopped_early,
    }
    next_steps: list[str] = []
    empty_shard = (
        settings.shard is not None
        and res.selected == 0
        and ((res.collected_total or 0) > 0 or res.other_shard_files > 0)
    )
    no_tests = res.ran == 0 and counts.get("skipped", 0) == 0 and not collect_errors
    failing = counts.get("failed", 0) + counts.get("errors", 0)

    pytest_status = Status.PASS
    pytest_summary = _test_summary(counts, collect_errors)
    if collect_errors:
        pytest_status = Status.FAIL
        # With --continue-on-collection-errors the rest of the suite still ran.
        rest = f"; {pytest_summary}" if res.ran else "; the tests did not run"
        pytest_summary = f"{plural(collect_errors, 'file')} could not be collected{rest}"
        next_steps.append("fix the import errors listed as collection-error findings")
    elif empty_shard:
        pytest_status = Status.SKIPPED
        elsewhere = plural(res.other_shard_files, "test file")
        pytest_summary = f"shard {settings.shard} holds no tests ({elsewhere} in other shards)"
    elif no_tests:
        pytest_status = Status.FAIL
        pytest_summary = "no tests were collected"
        if res.deselected:
            pytest_summary = f"no tests ran: all {res.deselected} collected were deselected"
        findings.append(
            RULES.finding(
                "no-tests",
                pytest_summary + ": a suite that runs nothing proves nothing",
                check="pytest",
            )
        )
    elif failing:
        pytest_status = Status.FAIL
        first = next((f for f in findings if f.rule in ("test-failed", "test-error")), None)
        if first is not None and first.path:
            next_steps.append(
                f"fix {first.data.get('nodeid')} ({first.path}:{first.line}); rerun it alone "
                f"with `qualgate run-tests -- {first.data.get('nodeid')}`"
            )
    checks = [
        Check(
            name="pytest",
            status=pytest_status,
            duration_ms=inputs.pytest_ms,
            command=inputs.command,
            tool_version=res.pytest_version,
            findings=sum(1 for f in findings if f.check == "pytest"),
            summary=pytest_summary,
        )
    ]
    thresholds: list[Threshold] = []
    coverage_note = ""
    cov = inputs.coverage
    if cov is not None and pytest_status is not Status.SKIPPED:
        cov_findings, cov_thresholds, cov_metrics, cov_steps, coverage_note = _coverage(
            cov, inputs.changed, res, settings
        )
        findings += cov_findings
        thresholds += cov_thresholds
        metrics.update(cov_metrics)
        next_steps += cov_steps
        cov_status = Status.FAIL if any(not t.ok for t in cov_thresholds) else Status.PASS
        if settings.shard is not None:
            cov_status = Status.SKIPPED
        checks.append(
            Check(
                name="coverage",
                status=cov_status,
                duration_ms=inputs.coverage_ms,
                tool_version=cov.version or res.coverage_version,
                findings=sum(1 for f in cov_findings if f.severity is Severity.ERROR),
                summary=coverage_note,
            )
        )
    if inputs.extra_metrics:
        metrics.update(inputs.extra_metrics)
    status = derive_status(checks, findings, thresholds)
    summary = pytest_summary
    if coverage_note and not collect_errors and not no_tests:
        summary += f"; {coverage_note}"
    return Verdict(
        gate=RULES.gate,
        status=status,
        summary=summary,
        checks=tuple(checks),
        metrics=metrics,
        thresholds=tuple(thresholds),
        findings=tuple(findings),
        next_steps=tuple(next_steps),
    )


def _test_summary(counts: Mapping[str, int], collect_errors: int) -> str:
    parts = []
    for key, word in (
        ("passed", "passed"),
        ("failed", "failed"),
        ("errors", "errors"),
        ("skipped", "skipped"),
        ("xfailed", "xfailed"),
        ("xpassed", "xpassed"),
    ):
        if counts.get(key, 0) or key == "passed":
            parts.append(f"{counts.get(key, 0)} {word}")
    return ", ".join(parts)


def _coverage(
    cov: CoverageReport, changed: ChangedCoverage | None, res: TestResults, settings: Settings
) -> tuple[list[Finding], list[Threshold], dict[str, Any], list[str], str]:
    findings: list[Finding] = []
    thresholds: list[Threshold] = []
    steps: list[str] = []
    notes: list[str] = []
    per_file = sorted(cov.files.values(), key=lambda f: (f.percent, f.path))
    metrics: dict[str, Any] = {
        "coverage": _r(cov.percent),
        "line_coverage": _r(cov.line_percent),
        "branch_coverage": _r(cov.branch_percent),
        "statements": cov.statements,
        "covered_lines": cov.covered_lines,
        "num_branches": cov.num_branches if cov.branch else None,
        "covered_branches": cov.covered_branches if cov.branch else None,
        "coverage_data": cov.data_file,
        "files": {
            f.path: {
                "coverage": _r(f.percent),
                "statements": len(f.statements),
                "missing": len(f.missing),
            }
            for f in sorted(cov.files.values(), key=lambda f: f.path)
        },
    }
    if settings.shard is not None:
        notes.append(
            f"coverage {cov.percent:.2f}% of this shard only; "
            "thresholds are checked by `qualgate merge`"
        )
        return findings, thresholds, metrics, steps, "; ".join(notes)

    total_ok = round(cov.percent, 2) >= settings.coverage_min
    thresholds.append(
        Threshold(
            name="coverage.total",
            min=settings.coverage_min,
            actual=_r(cov.percent),
            ok=total_ok,
        )
    )
    kind = "line+branch" if cov.branch else "line"
    notes.append(f"coverage {cov.percent:.2f}% ({kind}, min {settings.coverage_min:g}%)")

    least = [
        {"path": f.path, "coverage": _r(f.percent), "missing_lines": ranges(f.missing)}
        for f in per_file
        if f.missing
    ][:LEAST_COVERED]
    if changed is not None:
        pct = changed.percent
        metrics["changed_coverage"] = _r(pct)
        metrics["changed_statements"] = changed.statements
        metrics["changed_covered"] = changed.covered
        changed_rows = sorted(changed.files, key=lambda r: (r[2] / r[1] if r[1] else 1.0, r[0]))
        least = [
            {
                "path": path,
                "coverage": _r(100.0 * hit / stmts) if stmts else None,
                "missing_lines": ranges(missing),
            }
            for path, stmts, hit, missing in changed_rows
            if missing
        ][:LEAST_COVERED]
        if pct is None:
            notes.append(f"no executable lines changed since {settings.base}")
        else:
            ok = round(pct, 2) >= settings.changed_min
            thresholds.append(
                Threshold(name="coverage.changed", min=settings.changed_min, actual=_r(pct), ok=ok)
            )
            notes.append(f"changed lines {pct:.2f}% (min {settings.changed_min:g}%)")
            if not ok:
                for path, _stmts, _hit, missing in changed_rows:
                    if missing:
                        findings.append(
                            RULES.finding(
                                "uncovered-change",
                                f"changed lines not covered by any test: {ranges(missing)}",
                                path=path,
                                line=missing[0],
                                check="coverage",
                            )
                        )
    else:
        metrics["changed_coverage"] = None

    integration = _integration(cov, res)
    metrics["integration_coverage"] = _r(integration)
    if res.integration_selected == 0:
        notes.append("no integration tests")
    elif integration is None:
        notes.append("integration coverage not measured (dynamic_context is configured)")
    else:
        ok = round(integration, 2) >= settings.integration_min
        thresholds.append(
            Threshold(
                name="coverage.integration",
                min=settings.integration_min,
                actual=_r(integration),
                ok=ok,
            )
        )
        notes.append(f"integration {integration:.2f}% (min {settings.integration_min:g}%)")

    if settings.file_min > 0:
        for f in per_file:
            if round(f.percent, 2) < settings.file_min and f.statements:
                findings.append(
                    RULES.finding(
                        "file-coverage",
                        f"{f.percent:.2f}% covered (file-coverage-min "
                        f"{settings.file_min:g}%); missing lines {ranges(f.missing)}",
                        path=f.path,
                        line=min(f.missing) if f.missing else None,
                        check="coverage",
                    )
                )
    failed = [t for t in thresholds if not t.ok]
    if failed:
        metrics["least_covered"] = least
        names = ", ".join(f"{t.name} {t.actual}% < {t.min:g}%" for t in failed if t.min)
        where = "; ".join(f"{row['path']} ({row['coverage']}%)" for row in least)
        steps.append(f"raise coverage ({names}); least-covered files: {where or 'none'}")
    return findings, thresholds, metrics, steps, "; ".join(notes)


def _integration(cov: CoverageReport, res: TestResults) -> float | None:
    if res.integration_selected == 0:
        return None
    if res.dynamic_context:
        return None
    if not res.contexts:
        # Every selected test is an integration test: they reached everything measured.
        return cov.line_percent
    return cov.integration_percent()


def summary_counts(res: TestResults) -> Sequence[int]:
    return [res.counts.get(k, 0) for k in ("passed", "failed", "errors")]
