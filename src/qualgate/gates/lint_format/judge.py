"""Judging the checks' outcomes: preset de-duplication, --base, and the verdict."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

from qualgate import git
from qualgate.context import GateContext
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

from . import mypy as mypy_check
from . import ruff as ruff_check
from .tools import Outcome

# The check the standards preset adds (its module, which needs `ast`, loads only then).
STANDARDS_CHECK = "standards"


def _key(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.path, f.line, f.column)


def _named(finding: Finding, preset: Finding) -> Finding:
    """The project's finding, named after the standard the preset's twin enforces."""
    return dataclasses.replace(
        finding,
        message=preset.message,
        data={
            **finding.data,
            "standard": preset.data["standard"],
            "standard_title": preset.data["standard_title"],
        },
    )


def dedupe_standards(outcomes: list[Outcome]) -> list[Outcome]:
    """A rule both the project and the preset select is reported once, by ruff-check,
    naming the standard it also enforces."""
    by_name = {o.check.name: o for o in outcomes}
    lint = by_name.get(ruff_check.RUFF_CHECK)
    preset = by_name.get(STANDARDS_CHECK)
    if lint is None or preset is None or not preset.findings:
        return outcomes
    preset_keys = {_key(f): f for f in preset.findings}
    lint_findings = tuple(
        _named(f, preset_keys[_key(f)]) if _key(f) in preset_keys else f for f in lint.findings
    )
    lint_keys = {_key(f) for f in lint.findings}
    kept = tuple(f for f in preset.findings if _key(f) not in lint_keys)
    new_lint = dataclasses.replace(lint, findings=lint_findings)
    new_preset = dataclasses.replace(
        preset,
        findings=kept,
        check=dataclasses.replace(
            preset.check,
            findings=len(kept),
            status=_status_of(preset.check, kept),
        ),
    )
    swap = {ruff_check.RUFF_CHECK: new_lint, STANDARDS_CHECK: new_preset}
    return [swap.get(o.check.name, o) for o in outcomes]


def _status_of(check: Check, findings: Sequence[Finding]) -> Status:
    if check.status in (Status.ERROR, Status.SKIPPED):
        return check.status
    return Status.FAIL if any(f.blocking for f in findings) else Status.PASS


def _touches(finding: Finding, changed: git.ChangedLines) -> bool:
    lines = finding.data.get("changed_lines")
    if finding.check == ruff_check.RUFF_FORMAT and isinstance(lines, list):
        return any(changed.contains(finding.path, n) for n in lines)
    if (
        finding.line is not None
        and finding.end_line is not None
        and finding.end_line > finding.line
    ):
        # A long function or multi-line diagnostic is new when any of its lines changed.
        span = range(finding.line, min(finding.end_line, finding.line + 10_000) + 1)
        return any(changed.contains(finding.path, n) for n in span)
    return changed.contains(finding.path, finding.line)


def apply_base(outcome: Outcome, changed: git.ChangedLines) -> Outcome:
    """Findings off the changed lines become existing notes (original severity kept)."""
    if not outcome.findings:
        return outcome
    findings = tuple(
        f
        if _touches(f, changed)
        else dataclasses.replace(
            f,
            severity=Severity.NOTE,
            existing=True,
            data={**f.data, "severity": f.severity.value},
        )
        for f in outcome.findings
    )
    check = dataclasses.replace(outcome.check, status=_status_of(outcome.check, findings))
    return dataclasses.replace(outcome, findings=findings, check=check)


def _fix_command(ctx: GateContext) -> str:
    """The command that fixes this project, runnable from where the gate was run."""
    shown = os.path.relpath(ctx.root)
    target = "" if shown == "." else f" {shown if not shown.startswith('..') else ctx.root}"
    base = f" --base {ctx.base}" if ctx.base else ""
    return f"qualgate lint-format{target} --fix{base}"


def build_verdict(
    ctx: GateContext,
    outcomes: Sequence[Outcome],
    changed_files: tuple[str, ...],
    outside: tuple[str, ...],
    *,
    fix: bool,
) -> Verdict:
    checks = tuple(o.check for o in outcomes)
    findings = tuple(f for o in outcomes for f in o.findings)
    status = derive_status(checks, findings)
    blocking = [f for f in findings if f.blocking]
    existing = [f for f in findings if f.existing]
    fixable = [f for f in blocking if f.fixable]
    next_steps: list[str] = []
    errors = [o for o in outcomes if o.check.status is Status.ERROR]
    if errors:
        summary = "; ".join(f"{o.check.name}: {o.data.get('reason')}" for o in errors)
        for o in errors:
            hint = o.data.get("hint")
            if hint and hint not in next_steps:
                next_steps.append(str(hint))
    elif blocking:
        summary = findings_summary(blocking)
        if fixable:
            summary += f" ({len(fixable)} fixable with --fix)"
    else:
        ran = [c.name for c in checks if c.status is Status.PASS]
        what = "no findings on changed lines" if existing else "no findings"
        others = [f for f in findings if not f.existing]
        if others:
            # Warnings and notes are reported but do not fail the gate.
            what = f"no errors, {findings_summary(others)}"
        summary = f"{what} ({', '.join(ran)})" if ran else "nothing was checked"
    for check in checks:
        if check.status is Status.SKIPPED and status is not Status.SKIPPED:
            summary += f"; {check.name} skipped: {check.summary}"
        elif check.status is Status.SKIPPED:
            summary = f"{check.name} skipped: {check.summary}"
    if existing and not errors:
        summary += f"; {plural(len(existing), 'existing finding')} before {ctx.base}"
    if fix and changed_files:
        summary += f"; --fix changed {plural(len(changed_files), 'file')}"
    if fixable and not errors:
        fixes = plural(len(fixable), "safe fix", "safe fixes")
        next_steps.append(f"run `{_fix_command(ctx)}` to apply {fixes}")
    for f in blocking:
        if f.check == mypy_check.MYPY:
            next_steps.append("fix the type errors mypy reports (they have no automatic fix)")
            break
    if outside:
        next_steps.append(
            f"--fix left {plural(len(outside), 'file')} alone: symlinked outside the project"
        )
    metrics: dict[str, Any] = {
        "findings": len(findings),
        "blocking": len(blocking),
        "fixable": len(fixable),
        "existing": len(existing),
        "files_with_findings": len({f.path for f in blocking if f.path}),
    }
    if fix:
        metrics["files_changed"] = list(changed_files)
        metrics["files_changed_count"] = len(changed_files)
        if outside:
            metrics["files_outside_project"] = list(outside)
    return Verdict(
        gate=ctx.gate,
        status=status,
        summary=summary,
        checks=checks,
        metrics=metrics,
        findings=findings,
        next_steps=tuple(next_steps),
    )
