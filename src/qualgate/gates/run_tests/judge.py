"""From test outcomes and coverage numbers to a verdict: findings, thresholds, metrics.

One function serves a plain run, a shard and ``qualgate merge``, so a merged verdict is
judged exactly like an unsharded one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qualgate.gates.run_tests import findings as findings_mod
from qualgate.gates.run_tests.cov import ChangedCoverage, CoverageReport, ranges
from qualgate.gates.run_tests.results import TestResults
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
    allow_all_skipped: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Inputs:
    results: TestResults
    coverage: CoverageReport | None
    changed: ChangedCoverage | None
    command: tuple[str, ...]
    pytest_ms: int
    coverage_ms: int = 0
    extra_metrics: dict[str, Any] | None = None
    # What coverage measured, for people: {"origin": ..., "source": [root-relative]}.
    measured: dict[str, Any] | None = None


def skip_reasons(reasons: Mapping[str, int], limit: int = 20) -> dict[str, int]:
    """The most common skip reasons first (pytest's ``-rs`` summary), at most ``limit``."""
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(ranked[:limit])


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def build(inputs: Inputs, settings: Settings) -> Verdict:
    res = inputs.results
    counts = res.counts
    findings, causes = findings_mod.findings_for(res.problems)
    collect_errors = sum(1 for p in res.problems if p.kind == "collect")
    metrics: dict[str, Any] = {
        **{k: counts.get(k, 0) for k in ("passed", "failed", "errors", "skipped")},
        "xfailed": counts.get("xfailed", 0),
        "xpassed": counts.get("xpassed", 0),
        "flaky": counts.get("flaky", 0),
        "reruns": res.reruns,
        "collection_errors": collect_errors,
        "tests_collected": res.collected_total,
        "tests_selected": res.selected,
        "tests_deselected": res.deselected,
        "integration_tests": res.integration_selected,
        "duration_s": round(inputs.pytest_ms / 1000, 3),
        "slowest": res.slowest(10),
        "stopped_early": res.stopped_early,
    }
    if res.skip_reasons:
        metrics["skip_reasons"] = skip_reasons(res.skip_reasons)
    if inputs.measured is not None:
        metrics["coverage_source"] = inputs.measured
    next_steps: list[str] = []
    empty_shard = (
        settings.shard is not None
        and res.selected == 0
        and ((res.collected_total or 0) > 0 or res.other_shard_files > 0)
    )
    failing = counts.get("failed", 0) + counts.get("errors", 0)
    no_tests = res.ran == 0 and not failing and not collect_errors
    lead = causes[0] if causes and 2 * len(causes[0].problems) >= failing + collect_errors else None

    pytest_status = Status.PASS
    pytest_summary = _test_summary(counts, collect_errors)
    if collect_errors:
        pytest_status = Status.FAIL
        # With --continue-on-collection-errors the rest of the suite still ran.
        rest = f"; {pytest_summary}" if res.ran else "; the tests did not run"
        collect = [p for p in res.problems if p.kind == "collect"]
        causes_seen = {(p.exception, p.message) for p in collect}
        why = f": {findings_mod.first_line(collect[0].message)}" if len(causes_seen) == 1 else ""
        pytest_summary = f"{plural(collect_errors, 'file')} could not be collected{why}{rest}"
        if lead is not None:
            next_steps.append(findings_mod.cause_step(lead, failing + collect_errors))
        next_steps.append("fix the import errors listed as collection-error findings")
    elif empty_shard:
        pytest_status = Status.SKIPPED
        elsewhere = plural(res.other_shard_files, "test file")
        pytest_summary = f"shard {settings.shard} holds no tests ({elsewhere} in other shards)"
    elif no_tests:
        pytest_status, pytest_summary, finding = _no_tests(res, settings)
        if finding is not None:
            findings.append(finding)
    elif failing:
        pytest_status = Status.FAIL
        if lead is not None:
            pytest_summary = f"{lead.headline} ({pytest_summary})"
            next_steps.append(findings_mod.cause_step(lead, failing))
        first = next((f for f in findings if f.rule in ("test-failed", "test-error")), None)
        if first is not None and first.path and lead is None:
            next_steps.append(
                f"fix {first.data.get('nodeid')} ({first.path}:{first.line}); rerun it alone "
                f"with `qualgate run-tests -- {first.data.get('nodeid')}`"
            )
    if counts.get("flaky", 0):
        next_steps.append(
            f"{plural(counts['flaky'], 'test')} failed and then passed on a rerun "
            "(flaky-test warnings): make them deterministic"
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
                summary="; ".join(x for x in (coverage_note, measured_note(inputs.measured)) if x),
            )
        )
    if inputs.extra_metrics:
        metrics.update(inputs.extra_metrics)
    status = derive_status(checks, findings, thresholds)
    summary = pytest_summary
    if coverage_note and not collect_errors and not no_tests:
        summary += f"; {coverage_note}"
        if (inputs.measured or {}).get("origin") in ("detected", "everything"):
            # Not the project's choice: say what the number is of.
            summary += f"; {measured_note(inputs.measured)}"
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


_ORIGINS = {
    "pytest-cov": "from pytest-cov's --cov",
    "config": "from the coverage configuration",
    "detected": "the project's own code, found by qualgate: no coverage source is configured",
}


def measured_note(measured: Mapping[str, Any] | None) -> str:
    """What the coverage figure is of, in words."""
    if not measured:
        return ""
    origin = str(measured.get("origin") or "")
    source = measured.get("source") or []
    if origin == "everything":
        return "measured every file run outside the standard library and site-packages"
    if origin == "config" and not source:
        return "measured what the coverage configuration selects"
    return f"measured {', '.join(str(s) for s in source)} ({_ORIGINS.get(origin, origin)})"


def _no_tests(res: TestResults, settings: Settings) -> tuple[Status, str, Any]:
    """No test ran: which of nothing collected, all deselected, all skipped."""
    skipped = res.counts.get("skipped", 0)
    if skipped:
        told = "; ".join(f"{n}x {r}" for r, n in skip_reasons(res.skip_reasons, 3).items())
        summary = f"no tests ran: all {plural(skipped, 'test')} were skipped ({told})"
        if settings.allow_all_skipped:
            return Status.SKIPPED, summary + "; allowed by allow-all-skipped", None
        why = "all-skipped"
    elif res.deselected and not res.selected:
        summary = f"no tests ran: all {res.deselected} collected were deselected"
        why = "all-deselected"
    elif res.selected:
        # Collected and selected, and none ran: --collect-only, or a plugin that ran nothing.
        summary = f"no tests ran: {plural(res.selected, 'test')} collected, none run"
        why = "none-ran"
    else:
        summary = "no tests were collected"
        why = "none-collected"
    finding = RULES.finding(
        "no-tests",
        summary + ": a suite that runs nothing proves nothing",
        check="pytest",
        data={"why": why},
    )
    return Status.FAIL, summary, finding


def _test_summary(counts: Mapping[str, int], collect_errors: int) -> str:
    parts = []
    for key, word in (
        ("passed", "passed"),
        ("failed", "failed"),
        ("errors", "errors"),
        ("skipped", "skipped"),
        ("xfailed", "xfailed"),
        ("xpassed", "xpassed"),
        ("flaky", "flaky"),
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
