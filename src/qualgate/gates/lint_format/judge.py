"""Judging the checks' outcomes: preset de-duplication and the verdict.

``--base`` is not judged here: the run pipeline marks the findings off the change as
existing after the gate returns (``gate.BASE_SCOPED``), and says so in the summary.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

from qualgate.context import GateContext
from qualgate.redact import mask
from qualgate.verdict import (
    Check,
    Finding,
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


def _key(f: Finding) -> tuple[str, str | None, int | None, int | None]:
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


def _masked(finding: Finding, secrets: Sequence[str]) -> Finding:
    """A finding whose text quotes none of the secrets found (mypy quotes literals)."""
    message = mask(finding.message, secrets)
    return finding if message == finding.message else dataclasses.replace(finding, message=message)


def _status_of(check: Check, findings: Sequence[Finding]) -> Status:
    if check.status in (Status.ERROR, Status.SKIPPED):
        return check.status
    return Status.FAIL if any(f.blocking for f in findings) else Status.PASS


def _fix_command(ctx: GateContext) -> str:
    """The command that fixes this project, runnable from where the gate was run."""
    shown = os.path.relpath(ctx.root)
    target = "" if shown == "." else f" {shown if not shown.startswith('..') else ctx.root}"
    base = f" --base {ctx.base}" if ctx.base else ""
    return f"qualgate {ctx.gate}{target} --fix{base}"


def build_verdict(
    ctx: GateContext,
    outcomes: Sequence[Outcome],
    changed_files: tuple[str, ...],
    outside: tuple[str, ...],
    *,
    fix: bool,
    fix_scope: frozenset[str] | None,
    notes: Sequence[Finding] = (),
    secrets: Sequence[str] = (),
) -> Verdict:
    """The verdict of the checks' outcomes.

    ``fix_scope`` holds the files ``--fix`` would touch (with ``--base``: the changed
    ones; None: all): only fixes there are offered.
    """
    checks = tuple(o.check for o in outcomes)
    findings = tuple(f for o in outcomes for f in o.findings) + tuple(notes)
    if secrets:
        findings = tuple(_masked(f, secrets) for f in findings)
    status = derive_status(checks, findings)
    blocking = [f for f in findings if f.blocking]
    fixable = [f for f in blocking if f.fixable and (fix_scope is None or f.path in fix_scope)]
    next_steps: list[str] = []
    errors = [o for o in outcomes if o.check.status is Status.ERROR]
    if errors:
        summary = "; ".join(f"{o.check.name}: {o.reason}" for o in errors)
        for o in errors:
            if o.hint and o.hint not in next_steps:
                next_steps.append(o.hint)
    elif blocking:
        summary = findings_summary(blocking)
        if fixable:
            summary += f" ({len(fixable)} fixable with --fix)"
    else:
        ran = [c.name for c in checks if c.status is Status.PASS]
        what = "no findings"
        if findings:
            # Warnings and notes are reported but do not fail the gate.
            what = f"no errors, {findings_summary(findings)}"
        summary = f"{what} ({', '.join(ran)})" if ran else "nothing was checked"
    for check in checks:
        if check.status is Status.SKIPPED and status is not Status.SKIPPED:
            summary += f"; {check.name} skipped: {check.summary}"
        elif check.status is Status.SKIPPED:
            summary = f"{check.name} skipped: {check.summary}"
    if fix and changed_files:
        summary += f"; --fix changed {plural(len(changed_files), 'file')}"
    if fixable and not errors:
        fixes = plural(len(fixable), "safe fix", "safe fixes")
        next_steps.append(f"run `{_fix_command(ctx)}` to apply {fixes}")
    for checker in (mypy_check.MYPY, "pyright"):
        if any(f.check == checker for f in blocking):
            next_steps.append(f"fix the type errors {checker} reports (they have no automatic fix)")
    if outside:
        next_steps.append(
            f"--fix left {plural(len(outside), 'file')} alone: symlinked outside the project"
        )
    metrics: dict[str, Any] = {
        "findings": len(findings),
        "blocking": len(blocking),
        "fixable": len(fixable),
        # 0 from the gate: --base marks findings existing in the run pipeline, after it
        # (the findings' `existing` flags and the summary count them).
        "existing": 0,
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
