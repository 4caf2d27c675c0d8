"""``--format text``: what a person reads in a terminal.

Blocking findings first, grouped by file, in ``path:line:col`` form so editors and
terminals make them clickable; then thresholds, checks and next steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from qualgate.verdict import Finding, Severity, Status, Verdict

_MAX_FINDINGS = 200
_STATUS_WORD = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIPPED",
}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


def _location(f: Finding) -> str:
    if not f.path:
        return ""
    text = f.path
    if f.line:
        text += f":{f.line}"
        if f.column:
            text += f":{f.column}"
    return text + ": "


def _order(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (
            f.existing,
            _SEVERITY_ORDER[f.severity],
            f.path or "",
            f.line or 0,
            f.column or 0,
        ),
    )


def render(verdict: Verdict) -> str:
    lines: list[str] = []
    ordered = _order(verdict.findings)
    for f in ordered[:_MAX_FINDINGS]:
        tag = f"{f.severity.value}{' (existing)' if f.existing else ''}"
        lines.append(f"{_location(f)}{tag} [{f.rule}] {f.message}")
    if len(ordered) > _MAX_FINDINGS:
        lines.append(f"... and {len(ordered) - _MAX_FINDINGS} more findings (see --format json)")
    if ordered:
        lines.append("")
    for t in verdict.thresholds:
        bound = (
            f">= {t.min:g}" if t.min is not None else f"<= {t.max:g}" if t.max is not None else ""
        )
        actual = "n/a" if t.actual is None else f"{t.actual:g}"
        lines.append(f"  {'ok  ' if t.ok else 'FAIL'} {t.name} {actual} (want {bound})")
    for c in verdict.checks:
        extra = f" - {c.summary}" if c.summary else ""
        version = f" {c.tool_version}" if c.tool_version else ""
        lines.append(
            f"  {c.status.value:<7} {c.name}{version} ({c.duration_ms} ms, "
            f"{c.findings} findings){extra}"
        )
    if verdict.thresholds or verdict.checks:
        lines.append("")
    lines.append(
        f"{_STATUS_WORD[verdict.status]} {verdict.gate}: {verdict.summary} "
        f"({verdict.duration_ms} ms)"
    )
    for step in verdict.next_steps:
        lines.append(f"  -> {step}")
    return "\n".join(lines) + "\n"
